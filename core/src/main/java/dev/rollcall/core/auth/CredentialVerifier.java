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
      "SELECT id, changed_at FROM agent_credentials WHERE changed_at > $1 ORDER BY changed_at LIMIT 10000";

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final DeliveryOptions busOptions;
  private final Map<UUID, Entry> cache = new LruMap<>(MAX_ENTRIES);
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
      revoked.credentialIds().forEach(cache::remove);
    });
    vertx.setPeriodic(POLL_EVERY.toMillis(), id -> pollChanges());
  }

  /**
   * The agent the header authenticates, if it is a valid credential of {@code agentId}. Fails with an
   * ApiException: 401 {@code credential_invalid} (with {@code recovery} when the agent must
   * re-bootstrap), 410 {@code agent_deleted}, or 503 when no token-verticle answers.
   */
  public Future<VerifiedAgent> verify(String header, UUID agentId) {
    if (header == null || header.isBlank()) {
      return ask(agentId, null, null);
    }
    var presented = Secrets.parse(header);
    if (presented.isEmpty()) {
      return Future.failedFuture(new ApiError(401, "credential_invalid",
          HEADER + " must be the credential returned by register, <id>.<secret>", false).exception());
    }
    UUID credentialId = presented.get().id();
    Entry entry = cache.get(credentialId);
    Instant now = clock.instant();
    if (entry != null && entry.agentId.equals(agentId) && Secrets.sameHash(entry.hash, presented.get().hash())
        && (entry.expiresAt == null || entry.expiresAt.isAfter(now))) {
      markUsed(credentialId, entry);
      return Future.succeededFuture(entry.view(credentialId));
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
          Entry entry = new Entry(v.agentId(), v.secretHash(), v.provisionEpoch(), v.expiresAt());
          entry.firstUsed = v.firstUsed();
          cache.put(v.credentialId(), entry);
          markUsed(v.credentialId(), entry);
          return entry.view(v.credentialId());
        });
  }

  /** The first use proves delivery; the token-verticle records it (and retires what it replaces). */
  private void markUsed(UUID credentialId, Entry entry) {
    if (entry.firstUsed || entry.usedPending) {
      return;
    }
    entry.usedPending = true;
    vertx.eventBus().request(Addresses.TOKEN_USED, new JsonObject().put("credentialId", credentialId.toString()), busOptions)
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
            if (!changed.equals(applied.put(id, changed))) {
              cache.remove(id);
            }
            if (changed.isAfter(watermark)) {
              watermark = changed;
            }
          }
          Instant horizon = watermark.minus(POLL_OVERLAP.multipliedBy(2));
          applied.values().removeIf(changed -> changed.isBefore(horizon));
        });
  }

  /** Who a valid credential belongs to. */
  public record VerifiedAgent(UUID agentId, UUID credentialId, long provisionEpoch, Instant expiresAt) {
  }

  private static final class Entry {
    final UUID agentId;
    final byte[] hash;
    final long epoch;
    final Instant expiresAt;
    boolean firstUsed;
    boolean usedPending;

    Entry(UUID agentId, byte[] hash, long epoch, Instant expiresAt) {
      this.agentId = agentId;
      this.hash = hash;
      this.epoch = epoch;
      this.expiresAt = expiresAt;
    }

    VerifiedAgent view(UUID credentialId) {
      return new VerifiedAgent(agentId, credentialId, epoch, expiresAt);
    }
  }
}
