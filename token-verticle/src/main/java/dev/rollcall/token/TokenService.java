package dev.rollcall.token;

import dev.rollcall.core.auth.Secrets;
import dev.rollcall.core.bus.StaleInstances;
import dev.rollcall.core.bus.TokenMessages;
import dev.rollcall.core.config.RollcallConfig;
import dev.rollcall.core.http.ApiError;
import dev.rollcall.core.http.ApiException;
import dev.rollcall.core.lifecycle.LifecycleEventNames;
import dev.rollcall.core.lifecycle.LifecycleStatus;
import dev.rollcall.core.lifecycle.LifecycleTrigger;
import dev.rollcall.core.persistence.AgentChange;
import dev.rollcall.core.persistence.AgentRecord;
import dev.rollcall.core.persistence.AgentRepository;
import dev.rollcall.core.persistence.TransitionResult;
import dev.rollcall.core.util.BatchedLookup;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bootstrap tickets and agent credentials (seeds 01 and 03). Every answer is one a client can act on:
 * no terminal 401 while the agent has no live credential, a retryable answer for a stale epoch, a clear
 * "stop" for the loser of a double provision. Secrets are hashed before they are stored and never logged.
 */
final class TokenService {
  private static final Logger LOG = LoggerFactory.getLogger(TokenService.class);
  private static final Pattern INSTANCE_ID = Pattern.compile("^[A-Za-z0-9._:-]{1,128}$");

  private final Pool pool;
  private final AgentRepository agents;
  private final RegisterLimiter limiter;
  private final Clock clock;
  private final RollcallConfig config;
  private final Consumer<TokenMessages.Revoked> onRevoked;
  private final java.util.function.BiConsumer<Long, Runnable> timer;
  /**
   * A credential-cache miss reads the credential and the agent: batched, because a node that restarts
   * under a large fleet misses for every agent within one heartbeat interval (BatchedLookup).
   */
  private final BatchedLookup<UUID, Row> credentialReads;
  private final BatchedLookup<UUID, AgentRecord> agentReads;
  private static final int VERIFY_BATCH = 500;

  /**
   * @param timer schedules a retry after a delay in ms (vertx.setTimer); never a sleeping thread
   */
  TokenService(Pool pool, AgentRepository agents, RegisterLimiter limiter, Clock clock, RollcallConfig config,
               Consumer<TokenMessages.Revoked> onRevoked, java.util.function.BiConsumer<Long, Runnable> timer) {
    this.timer = timer;
    this.pool = pool;
    this.agents = agents;
    this.limiter = limiter;
    this.clock = clock;
    this.config = config;
    this.onRevoked = onRevoked;
    this.credentialReads = new BatchedLookup<>(VERIFY_BATCH, 2, ids -> pool.preparedQuery(TokenSql.FIND_CREDENTIALS)
        .execute(Tuple.of(ids.toArray(new UUID[0]))).map(rows -> {
          Map<UUID, Row> found = new HashMap<>(rows.size() * 2);
          for (Row row : rows) {
            found.put(row.getUUID("id"), row);
          }
          return found;
        }));
    this.agentReads = new BatchedLookup<>(VERIFY_BATCH, 2, agents::findAllById);
  }

  /** A ticket for the agent's current provision attempt; only its hash is stored. */
  Future<TokenMessages.TicketIssued> issueTicket(TokenMessages.IssueTicket request) {
    Instant now = clock.instant();
    Instant expires = now.plus(config.ticketTtl());
    Secrets.IssuedSecret secret = Secrets.generate();
    return pool.withTransaction(conn -> agents.findForUpdate(conn, request.agentId()).compose(found -> {
      AgentRecord agent = found.orElseThrow(() -> ApiError.notFound("agent_not_found", "agent " + request.agentId() + " does not exist").exception());
      if (agent.status() == LifecycleStatus.DELETED) {
        throw deleted(agent.id());
      }
      if (agent.provisionEpoch() != request.provisionEpoch()) {
        throw ApiError.conflict("stale_epoch", "agent " + agent.id() + " is at provision epoch " + agent.provisionEpoch()
            + ", not " + request.provisionEpoch(), false).exception();
      }
      return conn.preparedQuery(TokenSql.INSERT_TICKET)
          .execute(Tuple.of(secret.id(), agent.id(), agent.provisionEpoch(), Buffer.buffer(secret.hash()), utc(now), utc(expires)))
          .compose(r -> agents.recordEventIn(conn, agent, LifecycleEventNames.TICKET_ISSUED,
              new JsonObject().put("ticketId", secret.id().toString()).put("expiresAt", expires.toString())))
          .map(id -> new TokenMessages.TicketIssued(secret.id(), secret.text(), agent.id(), agent.provisionEpoch(), expires));
    }));
  }

  /** Redeems a ticket for a credential: the answers of issue 3, each in one transaction. */
  Future<TokenMessages.Registered> register(TokenMessages.Register request) {
    Optional<Secrets.PresentedSecret> ticket = Secrets.parse(request.ticket());
    if (ticket.isEmpty()) {
      return Future.failedFuture(ticketInvalid("the ticket must be the bootstrap ticket <id>.<secret> Rollcall issued"));
    }
    if (request.instanceId() == null || !INSTANCE_ID.matcher(request.instanceId()).matches()) {
      return Future.failedFuture(ApiError.badRequest("invalid_instance_id",
          "instanceId must be 1-128 characters of letters, digits and . _ : -").exception());
    }
    return limiter.admit(request.agentId(), request.source())
        .compose(v -> agents.inTransaction(tx -> registerIn(tx, request, ticket.get())))
        .compose(this::afterRegister);
  }

  private Future<Outcome> registerIn(AgentRepository.Tx tx, TokenMessages.Register request, Secrets.PresentedSecret presented) {
    SqlConnection conn = tx.connection();
    Instant now = clock.instant();
    // The agent row lock serialises registers of one agent: two instances racing one ticket (seed 03)
    // are decided one after the other, never both.
    return agents.findForUpdate(conn, request.agentId()).compose(found -> {
      if (found.isEmpty()) {
        return refuse(ticketInvalid("no such ticket for this agent"));
      }
      AgentRecord agent = found.get();
      if (agent.status() == LifecycleStatus.DELETED) {
        return refuse(deleted(agent.id()));
      }
      return conn.preparedQuery(TokenSql.FIND_TICKET_FOR_UPDATE).execute(Tuple.of(presented.id())).compose(rows -> {
        Row t = first(rows);
        if (t == null || !t.getUUID("agent_id").equals(agent.id()) || !Secrets.sameHash(bytes(t, "secret_hash"), presented.hash())) {
          return refuse(ticketInvalid("no such ticket for this agent"));
        }
        long ticketEpoch = t.getLong("provision_epoch");
        if (ticketEpoch < agent.provisionEpoch()) {
          return refuse(StaleInstances.refused("this ticket belongs to provision attempt " + ticketEpoch
              + "; the agent has been re-provisioned (attempt " + agent.provisionEpoch() + "). Wait for the next wake, "
              + "which brings a fresh ticket", true, ticketEpoch));
        }
        if (t.getOffsetDateTime("used_at") != null) {
          return alreadyUsed(tx, agent, t, request.instanceId(), now);
        }
        if (!t.getOffsetDateTime("expires_at").toInstant().isAfter(now)) {
          return refuse(ticketInvalid("the ticket has expired; the next wake brings a fresh one"));
        }
        return mint(conn, agent, ticketEpoch, request.instanceId(), null, now).compose(minted ->
            conn.preparedQuery(TokenSql.CONSUME_TICKET)
                .execute(Tuple.of(presented.id(), utc(now), request.instanceId(), minted.credentialId))
                .compose(consumed -> conn.preparedQuery(TokenSql.REVOKE_OLDER_EPOCHS).execute(Tuple.of(agent.id(), ticketEpoch, utc(now))))
                .compose(superseded -> registered(tx, agent, minted, ids(superseded), "superseded_epoch", now)));
      });
    });
  }

  /** The ticket was redeemed before: a lost response (same instance, credential unused) or a second instance. */
  private Future<Outcome> alreadyUsed(AgentRepository.Tx tx, AgentRecord agent, Row ticket, String instanceId, Instant now) {
    SqlConnection conn = tx.connection();
    String winner = ticket.getString("used_by_instance");
    if (!instanceId.equals(winner)) {
      JsonObject detail = new JsonObject().put("ticketId", ticket.getUUID("id").toString())
          .put("registeredInstance", winner).put("refusedInstance", instanceId);
      LOG.atWarn().addKeyValue("agent_id", agent.id()).addKeyValue("event", LifecycleEventNames.AGENT_DUPLICATE_INSTANCE)
          .addKeyValue("refused_instance", instanceId).log("second instance refused: it must stop");
      return agents.recordEventIn(conn, agent, LifecycleEventNames.AGENT_DUPLICATE_INSTANCE, detail)
          .compose(id -> refuse(ApiError.conflict("duplicate_instance", "another instance (" + winner + ") already "
              + "registered with this ticket; this instance is a duplicate of a double provision and must stop", false)
              .exception()));
    }
    UUID previous = ticket.getUUID("credential_id");
    return conn.preparedQuery(TokenSql.FIND_CREDENTIAL).execute(Tuple.of(previous)).compose(rows -> {
      Row cred = first(rows);
      if (cred != null && cred.getOffsetDateTime("first_used_at") == null) {
        // The first response was lost: the credential was never used, so nobody holds it. Mint again.
        return conn.preparedQuery(TokenSql.REVOKE_ONE).execute(Tuple.of(previous, utc(now), "response_lost"))
            .compose(revoked -> mint(conn, agent, ticket.getLong("provision_epoch"), instanceId, null, now))
            .compose(minted -> conn.preparedQuery(TokenSql.REPOINT_TICKET).execute(Tuple.of(ticket.getUUID("id"), minted.credentialId))
                .compose(r -> agents.recordEventIn(conn, agent, LifecycleEventNames.CREDENTIAL_REISSUED,
                    new JsonObject().put("revokedCredentialId", previous.toString()).put("credentialId", minted.credentialId.toString())))
                .compose(r -> registered(tx, agent, minted, List.of(previous), "response_lost", now)));
      }
      return refuse(ApiError.conflict("already_registered", "this instance already registered and has used its "
          + "credential; present it in " + "X-Agent-Token instead of registering again", false).exception());
    });
  }

  private Future<Minted> mint(SqlConnection conn, AgentRecord agent, long epoch, String instanceId, UUID replaces, Instant now) {
    Secrets.IssuedSecret secret = Secrets.generate();
    Instant expires = config.credentialLifetime().map(now::plus).orElse(null);
    return conn.preparedQuery(TokenSql.INSERT_CREDENTIAL)
        .execute(Tuple.from(Arrays.asList(secret.id(), agent.id(), epoch, instanceId, Buffer.buffer(secret.hash()), "register", replaces,
            utc(now), utc(expires))))
        .map(r -> new Minted(secret.id(), secret.text(), expires));
  }

  private Future<Outcome> registered(AgentRepository.Tx tx, AgentRecord agent, Minted minted, List<UUID> revoked,
                                     String revokedReason, Instant now) {
    AgentChange change = AgentChange.create().registeredAt(now).needsRebootstrap(false);
    return tx.transition(agent, LifecycleTrigger.REGISTERED, change,
            new JsonObject().put("credentialId", minted.credentialId.toString()))
        .map(result -> {
          AgentRecord after = switch (result.outcome()) {
            case "applied" -> ((TransitionResult.Applied) result).agent();
            case "unchanged" -> ((TransitionResult.Unchanged) result).agent();
            // The row is locked by this transaction, so neither a lost race nor a missing row can happen;
            // an illegal transition (only from deleted) was refused above. Fail loudly if it ever does.
            default -> throw new IllegalStateException("register could not move agent " + agent.id() + ": " + result);
          };
          TokenMessages.Registered answer = new TokenMessages.Registered(agent.id(), minted.credentialId, minted.text,
              after.provisionEpoch(), after.status().wireName(), minted.expiresAt, config.heartbeatInterval().toMillis());
          return new Outcome(answer, null, revoked.isEmpty() ? null
              : new TokenMessages.Revoked(agent.id(), revoked, revokedReason));
        });
  }

  private Future<TokenMessages.Registered> afterRegister(Outcome outcome) {
    if (outcome.revoked != null) {
      onRevoked.accept(outcome.revoked);
    }
    if (outcome.refusal != null) {
      return Future.failedFuture(outcome.refusal);
    }
    LOG.atInfo().addKeyValue("agent_id", outcome.registered.agentId())
        .addKeyValue("event", "token.registered").addKeyValue("credential_id", outcome.registered.credentialId())
        .log("credential minted");
    return Future.succeededFuture(outcome.registered);
  }

  /**
   * The miss path of the credential cache: is the presented credential valid for this agent? When it is
   * not and the agent has no live credential, the agent is flagged for re-bootstrap and the answer says
   * so: the bootstrap gate re-opens instead of a permanent 401 (seed 03).
   */
  Future<TokenMessages.Verified> verify(TokenMessages.Verify request) {
    Instant now = clock.instant();
    Future<Row> credential = request.credentialId() == null
        ? Future.succeededFuture(null)
        : credentialReads.get(request.credentialId());
    Future<AgentRecord> read = agentReads.get(request.agentId());
    return Future.all(credential, read).compose(both -> {
      Row cred = credential.result();
      AgentRecord agent = read.result();
      if (agent == null) {
        return Future.failedFuture(credentialInvalid("no such agent", null));
      }
      if (agent.status() == LifecycleStatus.DELETED) {
        return Future.failedFuture(deleted(agent.id()));
      }
      boolean genuine = cred != null && cred.getUUID("agent_id").equals(agent.id())
          && Secrets.sameHash(bytes(cred, "secret_hash"), request.presentedHash());
      if (genuine && cred.getLong("provision_epoch") < agent.provisionEpoch()) {
        // A real credential of a replaced instance (seed 03): it must stop, not re-bootstrap. Flagging the
        // agent here would have the reconciler re-provision a healthy agent because its old copy is alive.
        long instanceEpoch = cred.getLong("provision_epoch");
        return Future.failedFuture(StaleInstances.mustStop(instanceEpoch, agent.provisionEpoch()));
      }
      if (genuine
          && cred.getOffsetDateTime("revoked_at") == null
          && cred.getLong("provision_epoch") == agent.provisionEpoch()
          && (cred.getOffsetDateTime("expires_at") == null || cred.getOffsetDateTime("expires_at").toInstant().isAfter(now))) {
        OffsetDateTime expires = cred.getOffsetDateTime("expires_at");
        return Future.succeededFuture(new TokenMessages.Verified(agent.id(), cred.getUUID("id"), agent.provisionEpoch(),
            bytes(cred, "secret_hash"), expires == null ? null : expires.toInstant(), cred.getOffsetDateTime("first_used_at") != null));
      }
      return rejected(agent, request.credentialId() == null ? "no credential presented" : "credential not valid for this agent", now);
    });
  }

  private Future<TokenMessages.Verified> rejected(AgentRecord agent, String why, Instant now) {
    if (agent.needsRebootstrap()) {
      // Already flagged, and only a register (which clears the flag) mints a credential for a flagged
      // agent: a client repeating a dead credential costs two reads, not a transaction each time.
      return Future.failedFuture(credentialInvalid(why, "rebootstrap"));
    }
    return pool.withTransaction(conn -> conn.preparedQuery(TokenSql.COUNT_LIVE)
            .execute(Tuple.of(agent.id(), agent.provisionEpoch(), utc(now)))
            .compose(rows -> {
              long live = first(rows).getLong(0);
              if (live > 0) {
                return Future.succeededFuture(false);
              }
              return agents.findForUpdate(conn, agent.id()).compose(locked -> locked.isEmpty()
                  ? Future.succeededFuture(true)
                  : agents.flagRebootstrapIn(conn, locked.get(), new JsonObject().put("why", why)).map(flagged -> {
                    if (flagged) {
                      LOG.atWarn().addKeyValue("agent_id", agent.id())
                          .addKeyValue("event", LifecycleEventNames.CREDENTIAL_REBOOTSTRAP_REQUIRED)
                          .log("agent has no live credential: flagged for re-provisioning with a fresh ticket");
                    }
                    return true;
                  }));
            }))
        .compose(noLiveCredential -> Future.failedFuture(credentialInvalid(why, noLiveCredential ? "rebootstrap" : null)));
  }

  /** First use of a credential: proof of delivery. Retires the credential it replaces, if any. */
  Future<Void> markUsed(UUID credentialId) {
    Instant now = clock.instant();
    Instant lifetimeEnd = config.credentialLifetime().map(now::plus).orElse(null);
    return pool.withTransaction(conn -> conn.preparedQuery(TokenSql.MARK_USED)
            .execute(Tuple.from(Arrays.asList(credentialId, utc(now), utc(lifetimeEnd))))
            .compose(rows -> {
              Row row = first(rows);
              if (row == null || row.getUUID("replaces_id") == null) {
                return Future.succeededFuture((TokenMessages.Revoked) null);
              }
              UUID replaced = row.getUUID("replaces_id");
              return conn.preparedQuery(TokenSql.REVOKE_ONE).execute(Tuple.of(replaced, utc(now), "replaced_and_delivered"))
                  .map(r -> r.size() == 0 ? null : new TokenMessages.Revoked(row.getUUID("agent_id"), List.of(replaced), "replaced_and_delivered"));
            }))
        .map(revoked -> {
          if (revoked != null) {
            onRevoked.accept(revoked);
          }
          return null;
        });
  }

  /**
   * With a credential lifetime set, an agent is handed a successor once its credential has less than a
   * third of its lifetime left, long before it expires: a long-running agent never sees a 401 gap. The
   * old credential ends at its own expiry, or as soon as the successor is used.
   */
  Future<JsonObject> successor(UUID agentId, UUID credentialId) {
    if (config.credentialLifetime().isEmpty()) {
      return Future.succeededFuture(new JsonObject());
    }
    java.time.Duration lifetime = config.credentialLifetime().get();
    Instant now = clock.instant();
    return pool.withTransaction(conn -> conn.preparedQuery(TokenSql.FIND_CREDENTIAL_FOR_UPDATE).execute(Tuple.of(credentialId))
            .compose(rows -> {
              Row cred = first(rows);
              if (cred == null || !cred.getUUID("agent_id").equals(agentId) || cred.getOffsetDateTime("revoked_at") != null
                  || cred.getOffsetDateTime("expires_at") == null) {
                return Future.succeededFuture(new Renewal(new JsonObject(), List.of()));
              }
              Instant expires = cred.getOffsetDateTime("expires_at").toInstant();
              if (java.time.Duration.between(now, expires).compareTo(lifetime.dividedBy(3)) > 0 || !expires.isAfter(now)) {
                return Future.succeededFuture(new Renewal(new JsonObject(), List.of()));
              }
              Secrets.IssuedSecret secret = Secrets.generate();
              Instant successorExpires = now.plus(lifetime);
              return conn.preparedQuery(TokenSql.REVOKE_UNUSED_SUCCESSORS).execute(Tuple.of(credentialId, utc(now)))
                  .compose(revoked -> conn.preparedQuery(TokenSql.INSERT_SUCCESSOR).execute(Tuple.from(Arrays.asList(
                          secret.id(), agentId, cred.getLong("provision_epoch"), cred.getString("instance_id"),
                          Buffer.buffer(secret.hash()), credentialId, utc(now), utc(successorExpires))))
                      .map(r -> new Renewal(new JsonObject().put("credential", secret.text())
                          .put("credentialId", secret.id().toString()).put("expiresAt", successorExpires.toString()), ids(revoked))));
            }))
        .map(renewal -> {
          if (!renewal.revoked.isEmpty()) {
            onRevoked.accept(new TokenMessages.Revoked(agentId, renewal.revoked, "successor_reissued"));
          }
          return renewal.answer;
        });
  }

  private record Renewal(JsonObject answer, List<UUID> revoked) {
    @Override
    public String toString() {
      return "Renewal[" + revoked.size() + " revoked]";
    }
  }

  /**
   * Template sync of a gateway, rotating its agents' credentials when asked (seed 01's fix for drifted
   * tokens). Mission Control commits the new hash before the gateway write and agents 401 when that
   * write fails; here the old credential is only given an end after the gateway confirmed the write,
   * and is retired early only when the agent proves it has the new one by using it.
   */
  Future<JsonObject> syncTemplates(UUID gatewayId, boolean rotate, GatewayRecordLookup gateways, GatewayWriter writer) {
    Instant now = clock.instant();
    return gateways.find(gatewayId).compose(found -> {
      var gateway = found.orElseThrow(() -> ApiError.notFound("gateway_not_found", "gateway " + gatewayId + " does not exist").exception());
      return pool.withTransaction(conn -> conn.preparedQuery(TokenSql.AGENTS_OF_GATEWAY).execute(Tuple.of(gatewayId, utc(now)))
          .compose(rows -> {
            List<SyncEntry> entries = new ArrayList<>();
            Future<Void> chain = Future.succeededFuture();
            for (Row row : rows) {
              UUID agentId = row.getUUID("agent_id");
              long epoch = row.getLong("provision_epoch");
              UUID current = row.getUUID("credential_id");
              if (!rotate || current == null) {
                entries.add(new SyncEntry(agentId, epoch, null, null));
                continue;
              }
              Secrets.IssuedSecret secret = Secrets.generate();
              entries.add(new SyncEntry(agentId, epoch, current, secret.text()));
              chain = chain.compose(v -> conn.preparedQuery(TokenSql.INSERT_ROTATION).execute(Tuple.from(Arrays.asList(
                  secret.id(), agentId, epoch, Buffer.buffer(secret.hash()), current, utc(now),
                  utc(now.plus(config.ticketTtl()))))).mapEmpty());
            }
            return chain.map(entries);
          }))
          .compose(entries -> writeWithRetries(writer, gateway.baseUrl(), syncBody(gateway.id(), gateway.templateVersion(), entries), 3)
              .recover(e -> {
                List<UUID> rotatedAgents = entries.stream().filter(x -> x.credential != null).map(x -> x.agentId).toList();
                rotatedAgents.forEach(id -> agents.recordEvent(id, LifecycleEventNames.CREDENTIAL_ROTATION_FAILED,
                    new JsonObject().put("gatewayId", gatewayId.toString()).put("error", e.getMessage())));
                LOG.atWarn().addKeyValue("event", "token.rotation.failed").addKeyValue("gateway_id", gatewayId)
                    .log("template sync failed; old credentials left valid: {}", e.getMessage());
                return Future.failedFuture(new ApiError(502, "gateway_sync_failed", "the gateway did not confirm the "
                    + "template sync (" + e.getMessage() + "); every old credential is still valid, retry the sync", true).exception());
              })
              .compose(written -> startGrace(entries, now))
              .map(rotated -> new JsonObject().put("gatewayId", gatewayId.toString()).put("agents", entries.size())
                  .put("rotated", rotated).put("templateVersion", gateway.templateVersion())));
    });
  }

  private Future<Integer> startGrace(List<SyncEntry> entries, Instant writtenAt) {
    List<SyncEntry> rotated = entries.stream().filter(x -> x.credential != null).toList();
    if (rotated.isEmpty()) {
      return Future.succeededFuture(0);
    }
    UUID[] replaced = rotated.stream().map(x -> x.replaces).toArray(UUID[]::new);
    Instant graceEnd = writtenAt.plus(config.rotationGrace());
    return pool.preparedQuery(TokenSql.START_GRACE).execute(Tuple.of(replaced, utc(graceEnd), utc(clock.instant())))
        .compose(r -> Future.all(rotated.stream().map(x -> agents.recordEvent(x.agentId, LifecycleEventNames.CREDENTIAL_ROTATED,
            new JsonObject().put("replacedCredentialId", x.replaces.toString()).put("oldValidUntil", graceEnd.toString()))).toList()))
        .map(done -> {
          LOG.atInfo().addKeyValue("event", LifecycleEventNames.CREDENTIAL_ROTATED).addKeyValue("agents", rotated.size())
              .log("template sync delivered rotated credentials; old ones end at {}", graceEnd);
          return rotated.size();
        });
  }

  private Future<JsonObject> writeWithRetries(GatewayWriter writer, String baseUrl, JsonObject body, int attempts) {
    return writer.write(baseUrl, body).recover(e -> attempts <= 1
        ? Future.failedFuture(e)
        : delay(200L * (4 - attempts)).compose(v -> writeWithRetries(writer, baseUrl, body, attempts - 1)));
  }

  private Future<Void> delay(long ms) {
    io.vertx.core.Promise<Void> p = io.vertx.core.Promise.promise();
    timer.accept(ms, p::complete);
    return p.future();
  }

  private static JsonObject syncBody(UUID gatewayId, int templateVersion, List<SyncEntry> entries) {
    io.vertx.core.json.JsonArray list = new io.vertx.core.json.JsonArray();
    for (SyncEntry e : entries) {
      JsonObject a = new JsonObject().put("agentId", e.agentId.toString()).put("provisionEpoch", e.epoch);
      if (e.credential != null) {
        a.put("credential", e.credential);
      }
      list.add(a);
    }
    return new JsonObject().put("gatewayId", gatewayId.toString()).put("templateVersion", templateVersion).put("agents", list);
  }

  /** Finds a gateway (the gateway repository, as a function so tests and the verticle share one path). */
  interface GatewayRecordLookup {
    Future<Optional<dev.rollcall.core.persistence.GatewayRecord>> find(UUID id);
  }

  /** Writes a template sync to a gateway (the gateway client). */
  interface GatewayWriter {
    Future<JsonObject> write(String baseUrl, JsonObject body);
  }

  private record SyncEntry(UUID agentId, long epoch, UUID replaces, String credential) {
    @Override
    public String toString() {
      return "SyncEntry[" + agentId + "]";
    }
  }

  /** Revokes every live credential and closes every open ticket of the agent (deletion). */
  Future<Integer> revokeAgent(UUID agentId, String reason) {
    Instant now = clock.instant();
    return pool.withTransaction(conn -> conn.preparedQuery(TokenSql.REVOKE_ALL_OF_AGENT).execute(Tuple.of(agentId, utc(now), reason))
            .compose(rows -> conn.preparedQuery(TokenSql.CLOSE_OPEN_TICKETS).execute(Tuple.of(agentId, utc(now))).map(closed -> ids(rows))))
        .map(revoked -> {
          if (!revoked.isEmpty()) {
            onRevoked.accept(new TokenMessages.Revoked(agentId, revoked, reason));
          }
          return revoked.size();
        });
  }

  private static Future<Outcome> refuse(Throwable error) {
    return Future.succeededFuture(new Outcome(null, error, null));
  }

  private static ApiException ticketInvalid(String why) {
    return new ApiError(401, "ticket_invalid", "bootstrap ticket not accepted: " + why, false).exception();
  }

  private static ApiException credentialInvalid(String why, String recovery) {
    ApiError error = new ApiError(401, "credential_invalid", recovery == null
        ? why + "; if the gateway's copy drifted, run a template sync with token rotation"
        : why + "; the agent has no live credential, so it will be re-provisioned with a fresh bootstrap ticket",
        recovery != null);
    return (recovery == null ? error : error.with("recovery", recovery)).exception();
  }

  private static ApiException deleted(UUID agentId) {
    return new ApiError(410, "agent_deleted", "agent " + agentId + " was deleted; it must stop", false).exception();
  }

  private static List<UUID> ids(RowSet<Row> rows) {
    List<UUID> ids = new ArrayList<>(rows.size());
    for (Row row : rows) {
      ids.add(row.getUUID(0));
    }
    return ids;
  }

  private static Row first(RowSet<Row> rows) {
    return rows.size() == 0 ? null : rows.iterator().next();
  }

  private static byte[] bytes(Row row, String column) {
    return row.getBuffer(column).getBytes();
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }

  private record Minted(UUID credentialId, String text, Instant expiresAt) {
  }

  /**
   * What a register transaction decided; applied after commit (revocation facts, the answer). Its
   * transition is announced by the transaction itself ({@link AgentRepository#inTransaction}).
   */
  private record Outcome(TokenMessages.Registered registered, Throwable refusal, TokenMessages.Revoked revoked) {
  }
}
