package dev.rollcall.core.persistence;

/** The SQL of the agent lifecycle, in one place. {@code $n} parameters only. */
final class AgentSql {
  static final String COLUMNS = "id, gateway_id, name, lifecycle_status, status_reason, status_changed_at, version, "
      + "provision_epoch, wake_attempts, checkin_deadline, last_seen_at, suspect_since, registered_at, "
      + "last_provision_error, template_version, needs_rebootstrap, needs_template_sync, recovery_at, recovery_probes, woken_at, created_at, updated_at";

  static final String INSERT = "INSERT INTO agents (id, gateway_id, name, lifecycle_status, status_reason, "
      + "status_changed_at, version, provision_epoch, template_version, created_at, updated_at) "
      + "VALUES ($1, $2, $3, $4, $5, $6, 0, 1, $7, $6, $6) RETURNING " + COLUMNS;

  static final String FIND_BY_ID = "SELECT " + COLUMNS + " FROM agents WHERE id = $1";

  static final String FIND_ALL = "SELECT " + COLUMNS + " FROM agents WHERE id = ANY($1)";

  /**
   * The coalesced last_seen_at of many agents: no version bump, no event (bookkeeping, not state), only
   * rows nobody holds (SKIP LOCKED: no wait behind a transition, no deadlock between two batches), never
   * moved back.
   */
  static final String RECORD_LAST_SEEN = "WITH seen AS (SELECT * FROM unnest($1::uuid[], $2::timestamptz[]) AS s(id, at)), "
      + "free AS (SELECT a.id FROM agents a JOIN seen ON seen.id = a.id ORDER BY a.id FOR UPDATE OF a SKIP LOCKED) "
      + "UPDATE agents a SET last_seen_at = seen.at FROM seen, free "
      + "WHERE a.id = free.id AND seen.id = a.id AND (a.last_seen_at IS NULL OR a.last_seen_at < seen.at)";

  static final String CURRENT_VERSION = "SELECT version FROM agents WHERE id = $1";

  static final String FLAG_REBOOTSTRAP = "UPDATE agents SET needs_rebootstrap = true, version = version + 1, "
      + "updated_at = $3 WHERE id = $1 AND version = $2 AND NOT needs_rebootstrap RETURNING id";

  /** Keyset page: optional status ($1) and gateway ($2) filters, ids after $3, at most $4. */
  static final String LIST = "SELECT " + COLUMNS + " FROM agents WHERE ($1::text IS NULL OR lifecycle_status = $1) "
      + "AND ($2::uuid IS NULL OR gateway_id = $2) AND id > $3 ORDER BY id LIMIT $4";

  /** A failure noted on the agent, fenced by its epoch: a late outcome of an older attempt writes nothing. */
  static final String NOTE_ERROR = "UPDATE agents SET last_provision_error = $3, version = version + 1, updated_at = $4 "
      + "WHERE id = $1 AND provision_epoch = $2 RETURNING " + COLUMNS;

  /**
   * One ready agent of a gateway with no live task, locked; agents other dispatchers hold are skipped,
   * not waited for.
   */
  static final String READY_OF_GATEWAY_FOR_UPDATE = "SELECT " + COLUMNS + " FROM agents a WHERE gateway_id = $1 "
      + "AND lifecycle_status = 'ready' AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.agent_id = a.id "
      + "AND " + TaskTrigger.whereLive("t.state") + ") ORDER BY status_changed_at LIMIT 1 FOR UPDATE OF a SKIP LOCKED";

  static final String FIND_FOR_UPDATE = "SELECT " + COLUMNS + " FROM agents WHERE id = $1 FOR UPDATE";

  /**
   * The conditional update. $1 id, $2 expected version, $3 expected status, $4 new status, $5 now,
   * $6 status_reason (only when the status changes or the change sets it), then the change's own
   * parameters. {@code status_changed_at} moves only when the status does.
   */
  static String conditionalUpdate(String extraAssignments, boolean setReason) {
    return "UPDATE agents SET lifecycle_status = $4, version = version + 1, updated_at = $5, "
        + "status_changed_at = CASE WHEN lifecycle_status = $4 THEN status_changed_at ELSE $5 END"
        + (setReason ? ", status_reason = $6" : "")
        + (extraAssignments.isEmpty() ? "" : ", " + extraAssignments)
        + " WHERE id = $1 AND version = $2 AND lifecycle_status = $3 RETURNING " + COLUMNS;
  }

  static final String INSERT_EVENT = "INSERT INTO lifecycle_events "
      + "(agent_id, at, name, from_status, to_status, agent_version, provision_epoch, detail) "
      + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";

  static final String EVENTS = "SELECT id, agent_id, at, name, from_status, to_status, agent_version, "
      + "provision_epoch, detail FROM lifecycle_events WHERE agent_id = $1 AND id > $2 ORDER BY id LIMIT $3";

  /** The newest events of one agent, newest first ($2 of them). */
  static final String LATEST_EVENTS = "SELECT id, agent_id, at, name, from_status, to_status, agent_version, "
      + "provision_epoch, detail FROM lifecycle_events WHERE agent_id = $1 ORDER BY id DESC LIMIT $2";

  private AgentSql() {
  }
}
