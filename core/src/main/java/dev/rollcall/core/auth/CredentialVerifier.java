package dev.rollcall.core.auth;

import dev.rollcall.core.util.LruMap;
import dev.rollcall.core.bus.Addresses;
import dev.rollcall.core.bus.Commands;
import dev.rollcall.core.bus.Failure;
import dev.rollcall.core.bus.TokenMessages;
import dev.rollcall.core.http.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies {@code X-Agent-Token} on the agent API's hot path without a round trip per request: a local
 * cache of credential hashes, filled through the {@code rollcall.token.verify} miss path and emptied by
 * {@code rollcall.token.revoked} facts and by a once-a-second poll of {@code agent_credentials.changed_at}
 * (so a revocation reaches every node within a second even if the bus drops the fact).
 *
 * <p>Not thread-safe by design: one instance per HTTP verticle instance, confined to its event loop.
 * Create it on that verticle's context (its consumer and timer are undeployed with it).
 */
public final class CredentialVerifier {
  public static final String HEADER = "X-Agent-Token";
  private static final Logger LOG = LoggerFactory.getLogger(CredentialVerifier.class);
  private static final int MAX_ENTRIES = 200_000;
  private static final Duration POLL_EVERY = Duration.ofSeconds(1);
  /** Overlap of successive polls: a transaction may commit with a changed_at just under the watermark. */
  private static final Duration POLL_OVERLAP = Duration.ofSeconds(5);
  private static final String CHANGED_SINCE =
      "SELECT id, changed_at, revoked_at IS NOT NULL AS revoked FROM agent_credentials WHERE changed_at > $1 "
          + "ORDER BY changed_at LIMIT 10000";

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final DeliveryOptions busOptions;
  /**
   * Least recently looked up first out. A caller that holds its recent credential (the heartbeat path)
   * skips the lookup, so past {@code MAX_ENTRIES} on one event loop those go first and come back through
   * one token-verticle round trip each.
   */
  private final Map<UUID, VerifiedAgent> cache = new LruMap<>(MAX_ENTRIES, VerifiedAgent::drop);
  private Instant watermark;
  private boolean polling;
  /**
   * Changes already applied within the overlap window: the poll re-reads them for a few seconds and
   * must not evict the same credential again each time (that would turn every call into a miss).
   */
  private final Map<UUID, Instant> applied = new java.util.HashMap<>();

  public CredentialVerifier(Vertx vertx, Pool pool, Clock clock, Duration busTimeout) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.busOptions = new DeliveryOptions().setSendTimeout(busTimeout.toMillis());
    this.watermark = clock.instant().minus(POLL_OVERLAP);
    vertx.eventBus().<JsonObject>consumer(Addresses.TOKEN_REVOKED, msg -> {
      TokenMessages.Revoked revoked = TokenMessages.Revoked.fromJson(msg.body());
      revoked.credentialIds().forEach(this::drop);
    });
    vertx.setPeriodic(POLL_EVERY.toMillis(), id -> pollChanges());
  }

  /**
   * The agent the header authenticates, if it is a valid credential of {@code agentId}. Fails with an
   * ApiException: 401 {@code credential_invalid} (with {@code recovery} when the agent must
   * re-bootstrap), 410 {@code agent_deleted}, or 503 when no token-verticle answers.
   */
  public Future<VerifiedAgent> verify(String header, UUID agentId) {
    return verify(header, agentId, null);
  }

  /**
   * {@link #verify(String, UUID)}, given what this caller verified last for the agent: while this cache
   * still holds that credential, a header presenting it is checked without a lookup (the heartbeat
   * path keeps it per agent). Revocations, the change poll and the size bound drop it all the same.
   */
  public Future<VerifiedAgent> verify(String header, UUID agentId, VerifiedAgent recent) {
    if (header == null || header.isBlank()) {
      return ask(agentId, null, null);
    }
    var presented = Secrets.parse(header);
    if (presented.isEmpty()) {
      return Future.failedFuture(new ApiError(401, "credential_invalid",
          HEADER + " must be the credential returned by register, <id>.<secret>", false).exception());
    }
    UUID credentialId = presented.get().id();
    VerifiedAgent entry = recent != null && !recent.dropped && recent.is(credentialId) ? recent : cache.get(credentialId);
    if (entry != null && entry.belongsTo(agentId) && Secrets.sameHash(entry.hash, presented.get().hash())
        && entry.expiresAtMillis > clock.millis()) {
      markUsed(entry);
      return Future.succeededFuture(entry);
    }
    // Anything but a clean local hit is decided by the token-verticle (which also flags the agent for
    // re-bootstrap when it has no live credential left).
    return ask(agentId, credentialId, presented.get().hash());
  }

  private Future<VerifiedAgent> ask(UUID agentId, UUID credentialId, byte[] hash) {
    return Commands.requestLocalFirst(vertx, Addresses.TOKEN_VERIFY, new TokenMessages.Verify(agentId, credentialId, hash).toJson(), busOptions)
        .recover(e -> Future.failedFuture(Failure.toApiError(e).exception()))
        .map(reply -> {
          TokenMessages.Verified v = TokenMessages.Verified.fromJson(reply.body());
          VerifiedAgent entry = new VerifiedAgent(v.credentialId(), v.agentId(), v.secretHash(), v.provisionEpoch(), v.expiresAt());
          entry.firstUsed = v.firstUsed();
          VerifiedAgent replaced = cache.put(v.credentialId(), entry);
          if (replaced != null) {
            replaced.drop();
          }
          markUsed(entry);
          return entry;
        });
  }

  /** The first use proves delivery; the token-verticle records it (and retires what it replaces). */
  private void markUsed(VerifiedAgent entry) {
    if (entry.firstUsed || entry.usedPending) {
      return;
    }
    entry.usedPending = true;
    vertx.eventBus().request(Addresses.TOKEN_USED, new JsonObject().put("credentialId", entry.credentialId.toString()), busOptions)
        .onComplete(ar -> {
          entry.usedPending = false;
          if (ar.succeeded()) {
            entry.firstUsed = true;
          }
        });
  }

  private void pollChanges() {
    if (polling) {
      return;
    }
    polling = true;
    pool.preparedQuery(CHANGED_SINCE).execute(Tuple.of(OffsetDateTime.ofInstant(watermark.minus(POLL_OVERLAP), java.time.ZoneOffset.UTC)))
        .onComplete(ar -> {
          polling = false;
          if (ar.failed()) {
            LOG.atWarn().addKeyValue("event", "credential.cache.poll_failed").log("credential change poll failed: {}", ar.cause().getMessage());
            return;
          }
          for (Row row : ar.result()) {
            UUID id = row.getUUID("id");
            Instant changed = row.getOffsetDateTime("changed_at").toInstant();
            boolean firstSeen = !changed.equals(applied.put(id, changed));
            // A revoked one is dropped on every poll that sees it, not only the first: a verification
            // answered just before the revocation committed may cache it again after that first drop.
            if (firstSeen || row.getBoolean("revoked")) {
              drop(id);
            }
            if (changed.isAfter(watermark)) {
              watermark = changed;
            }
          }
          Instant horizon = watermark.minus(POLL_OVERLAP.multipliedBy(2));
          applied.values().removeIf(changed -> changed.isBefore(horizon));
        });
  }

  /** Forgets a credential here, and tells whoever holds it as a recent one (see {@link VerifiedAgent#dropped}). */
  private void drop(UUID credentialId) {
    VerifiedAgent entry = cache.remove(credentialId);
    if (entry != null) {
      entry.drop();
    }
  }

  /**
   * Who a valid credential belongs to, as this cache holds it. Laid out for the hot path: the ids the
   * check compares are kept as numbers in the entry itself, not as further objects to fetch.
   */
  public static final class VerifiedAgent {
    private final UUID credentialId;
    private final long credentialHigh;
    private final long credentialLow;
    private final UUID agentId;
    private final long agentHigh;
    private final long agentLow;
    private final byte[] hash;
    private final long epoch;
    private final Instant expiresAt;
    private final long expiresAtMillis;
    private boolean firstUsed;
    private boolean usedPending;
    /**
     * Set once the cache lets go of it (revoked, changed, evicted, replaced). A caller's recent
     * credential is trusted only while this is false: dropping is the one way out of the cache.
     */
    private boolean dropped;

    private VerifiedAgent(UUID credentialId, UUID agentId, byte[] hash, long epoch, Instant expiresAt) {
      this.credentialId = credentialId;
      this.credentialHigh = credentialId.getMostSignificantBits();
      this.credentialLow = credentialId.getLeastSignificantBits();
      this.agentId = agentId;
      this.agentHigh = agentId.getMostSignificantBits();
      this.agentLow = agentId.getLeastSignificantBits();
      this.hash = hash;
      this.epoch = epoch;
      this.expiresAt = expiresAt;
      this.expiresAtMillis = expiresAt == null ? Long.MAX_VALUE : expiresAt.toEpochMilli();
    }

    public UUID agentId() {
      return agentId;
    }

    public UUID credentialId() {
      return credentialId;
    }

    public long provisionEpoch() {
      return epoch;
    }

    public Instant expiresAt() {
      return expiresAt;
    }

    private boolean is(UUID credential) {
      return credentialHigh == credential.getMostSignificantBits() && credentialLow == credential.getLeastSignificantBits();
    }

    private boolean belongsTo(UUID agent) {
      return agentHigh == agent.getMostSignificantBits() && agentLow == agent.getLeastSignificantBits();
    }

    private void drop() {
      dropped = true;
    }

    @Override
    public String toString() {
      return "VerifiedAgent[agent=" + agentId + ", credential=" + credentialId + "]";
    }
  }
}
