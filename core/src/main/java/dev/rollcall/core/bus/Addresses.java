package dev.rollcall.core.bus;

/**
 * Every event-bus address Rollcall uses, in one place. Commands are {@code rollcall.<context>.<verb>}
 * (request/reply, one consumer answers); facts are {@code rollcall.<context>.<past-tense>} (published,
 * every subscriber gets a copy). docs/event-bus.md describes each body and failure.
 *
 * <p>The bus is best-effort: a lost or repeated message may delay convergence but never corrupt it,
 * because the database and the due queue are the record and every consumer is idempotent.
 */
public final class Addresses {
  /**
   * Command. Body: empty. Reply: {@code {"node": "<node id>"}}. Any node answers; /health/ready uses it
   * to prove the bus delivers (in a cluster: across nodes).
   */
  public static final String HEALTH_PING = "rollcall.health.ping";

  /**
   * Fact, published after a lifecycle transition committed. Body: {@link AgentTransitioned}. Consumers
   * must tolerate loss and duplicates: it is a hint to look at the agent, never the record itself.
   */
  public static final String AGENT_TRANSITIONED = "rollcall.agent.transitioned";

  private Addresses() {
  }
}
