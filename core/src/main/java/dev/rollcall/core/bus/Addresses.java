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

  /**
   * Command (token-verticle). Body: {@link TokenMessages.IssueTicket}. Reply:
   * {@link TokenMessages.TicketIssued} (the ticket text crosses the bus once, to the provisioner that
   * hands it to the gateway). Fails 404 agent_not_found, 409 stale_epoch, 410 agent_deleted.
   */
  public static final String TOKEN_ISSUE_TICKET = "rollcall.token.issue-ticket";

  /**
   * Command (token-verticle). Body: {@link TokenMessages.Register}. Reply: {@link TokenMessages.Registered}
   * (the credential, returned once). Fails with the register answers of docs/event-bus.md.
   */
  public static final String TOKEN_REGISTER = "rollcall.token.register";

  /**
   * Command (token-verticle): the miss path of {@code CredentialVerifier}. Body:
   * {@link TokenMessages.Verify} (the hash of the presented secret, never the secret). Reply:
   * {@link TokenMessages.Verified}. Fails 401 credential_invalid (with recovery=rebootstrap when the agent
   * has no live credential, and the agent flagged) or 410 agent_deleted.
   */
  public static final String TOKEN_VERIFY = "rollcall.token.verify";

  /**
   * Command (token-verticle): a credential was used for the first time (proof of delivery). Body:
   * {@code {"credentialId"}}. Reply: {@code {}}. Revokes the credential it replaces, if any.
   */
  public static final String TOKEN_USED = "rollcall.token.used";

  /**
   * Command (token-verticle): revoke every live credential and open ticket of an agent. Body:
   * {@code {"agentId", "reason"}}. Reply: {@code {"revoked": n}}.
   */
  public static final String TOKEN_REVOKE_AGENT = "rollcall.token.revoke-agent";

  /**
   * Command (token-verticle): template sync of a gateway, with token rotation when asked. Body:
   * {@code {"gatewayId", "rotateTokens"}}. Reply: {@code {"gatewayId", "agents", "rotated", "templateVersion"}}.
   * Fails 404 gateway_not_found, 502 gateway_sync_failed (old credentials untouched; retry).
   */
  public static final String TOKEN_SYNC_TEMPLATES = "rollcall.token.sync-templates";

  /**
   * Command (token-verticle): when credentials have a lifetime, the successor of a credential that is
   * close to expiry. Body: {@code {"agentId", "credentialId"}}. Reply: {@code {}} when none is due yet,
   * else {@code {"credential", "credentialId", "expiresAt"}} (shown once; a repeated request re-mints and
   * revokes the unused previous successor).
   */
  public static final String TOKEN_SUCCESSOR = "rollcall.token.successor";

  /** Fact (token-verticle). Body: {@link TokenMessages.Revoked}. Caches drop these credentials at once. */
  public static final String TOKEN_REVOKED = "rollcall.token.revoked";

  /**
   * Command (provisioner-verticle): provision or re-provision an agent under single flight. Body:
   * {@code {"agentId", "source", "keepWakeBudget"?, "expectedVersion"?}} (source: operator, reconciler, ...;
   * keepWakeBudget: the new instance inherits the wake attempts, for a re-provision after a lost credential;
   * expectedVersion: act only on the agent as the caller read it, else 409 agent_changed). Reply: the operation,
   * {@code {"agentId", "provisionEpoch", "joined"}}; {@code joined} is true when a provision of that
   * epoch was already in flight and this request joined it. Fails 404 agent_not_found, 410 agent_deleted.
   */
  public static final String PROVISIONER_PROVISION = "rollcall.provisioner.provision";

  /**
   * Command (provisioner-verticle): wake an agent (seed 01: counts the attempt, sets the check-in
   * deadline, records {@code lifecycle.queue.enqueued}, schedules the reconciler). Body:
   * {@code {"agentId", "source", "retriggeredBecause"?, "expectedVersion"?}} (the reconciler's reason: seed
   * 01's {@code lifecycle.reconcile.retriggered} is recorded in the wake's transaction; expectedVersion as
   * for provision). Reply: the agent record. Fails 409 not_wakeable.
   */
  public static final String PROVISIONER_WAKE = "rollcall.provisioner.wake";

  /**
   * Command (provisioner-verticle): create an agent and provision it (its first epoch). Body:
   * {@code {"gatewayId", "name", "templateVersion"?}}. Reply: {@code {"agent", "operation"}}. Fails 404
   * gateway_not_found, 409 agent_name_taken.
   */
  public static final String PROVISIONER_CREATE_AGENT = "rollcall.provisioner.create-agent";

  /**
   * Command (provisioner-verticle): delete an agent (tombstone, credentials revoked, instances
   * deprovisioned). Body: {@code {"agentId"}}. Reply: the agent record. Deleting twice is a no-op.
   */
  public static final String PROVISIONER_DELETE_AGENT = "rollcall.provisioner.delete-agent";

  /**
   * Fact (provisioner routes): a task was queued. Body: {@code {"taskId", "gatewayId"}}. A dispatcher
   * that hears it runs a pass at once; one that does not finds the task on its next periodic pass.
   */
  public static final String TASK_QUEUED = "rollcall.task.queued";

  /**
   * Fact (heartbeat-verticle, token-verticle): an instance of a superseded provision epoch reported in
   * and was told to stop. Body: {@code {"agentId", "provisionEpoch"}}. The provisioner deprovisions it
   * on its gateway (best-effort: the instance was also told to stop in the answer it got).
   */
  public static final String AGENT_STALE_INSTANCE = "rollcall.agent.stale-instance";

  private Addresses() {
  }
}
