package dev.rollcall.core.persistence;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The columns a transition sets besides {@code lifecycle_status}: wake escalation, check-in deadline,
 * liveness, errors, the epoch fence. Only these columns can be written by a transition; the SQL is
 * built from this fixed list, never from input.
 */
public final class AgentChange {

  /** Columns a transition may assign. */
  enum Column {
    STATUS_REASON("status_reason"),
    WAKE_ATTEMPTS("wake_attempts"),
    CHECKIN_DEADLINE("checkin_deadline"),
    LAST_SEEN_AT("last_seen_at"),
    SUSPECT_SINCE("suspect_since"),
    REGISTERED_AT("registered_at"),
    LAST_PROVISION_ERROR("last_provision_error"),
    TEMPLATE_VERSION("template_version"),
    NEEDS_REBOOTSTRAP("needs_rebootstrap"),
    NEEDS_TEMPLATE_SYNC("needs_template_sync"),
    RECOVERY_AT("recovery_at"),
    RECOVERY_PROBES("recovery_probes"),
    WOKEN_AT("woken_at");

    final String sql;

    Column(String sql) {
      this.sql = sql;
    }
  }

  private static final Object NULL = new Object();

  private final Map<Column, Object> assignments = new EnumMap<>(Column.class);
  private boolean incrementWakeAttempts;
  private boolean bumpProvisionEpoch;

  public static AgentChange none() {
    return new AgentChange();
  }

  public static AgentChange create() {
    return new AgentChange();
  }

  /** Overrides the table's reason as the agent's {@code status_reason}. */
  public AgentChange statusReason(String reason) {
    return set(Column.STATUS_REASON, reason);
  }

  public AgentChange wakeAttempts(int attempts) {
    if (attempts < 0) {
      throw new IllegalArgumentException("wake attempts cannot be negative");
    }
    incrementWakeAttempts = false;
    return set(Column.WAKE_ATTEMPTS, attempts);
  }

  /** {@code wake_attempts = wake_attempts + 1}, computed by the database. */
  public AgentChange incrementWakeAttempts() {
    assignments.remove(Column.WAKE_ATTEMPTS);
    incrementWakeAttempts = true;
    return this;
  }

  /** {@code provision_epoch = provision_epoch + 1}: fences out every side effect of the older attempt. */
  public AgentChange bumpProvisionEpoch() {
    bumpProvisionEpoch = true;
    return this;
  }

  public AgentChange checkinDeadline(Instant deadline) {
    return set(Column.CHECKIN_DEADLINE, deadline);
  }

  public AgentChange lastSeenAt(Instant at) {
    return set(Column.LAST_SEEN_AT, at);
  }

  public AgentChange suspectSince(Instant at) {
    return set(Column.SUSPECT_SINCE, at);
  }

  public AgentChange registeredAt(Instant at) {
    return set(Column.REGISTERED_AT, at);
  }

  public AgentChange lastProvisionError(String error) {
    return set(Column.LAST_PROVISION_ERROR, error);
  }

  public AgentChange templateVersion(Integer version) {
    return set(Column.TEMPLATE_VERSION, version);
  }

  /** Flag (or clear) the agent for re-provisioning with a fresh bootstrap ticket. */
  public AgentChange needsRebootstrap(boolean needed) {
    return set(Column.NEEDS_REBOOTSTRAP, needed);
  }

  /** Flag (or clear) the agent as running templates older than its gateway's. */
  public AgentChange needsTemplateSync(boolean needed) {
    return set(Column.NEEDS_TEMPLATE_SYNC, needed);
  }

  /** When the reconciler next tries to bring the (offline) agent back; null: it does not. */
  public AgentChange recoveryAt(Instant at) {
    return set(Column.RECOVERY_AT, at);
  }

  public AgentChange recoveryProbes(int probes) {
    if (probes < 0) {
      throw new IllegalArgumentException("recovery probes cannot be negative");
    }
    return set(Column.RECOVERY_PROBES, probes);
  }

  /** The first wake of a check-in cycle (null clears it once the agent is ready). */
  public AgentChange wokenAt(Instant at) {
    return set(Column.WOKEN_AT, at);
  }

  boolean setsRecoveryAt() {
    return assignments.containsKey(Column.RECOVERY_AT);
  }

  boolean setsWokenAt() {
    return assignments.containsKey(Column.WOKEN_AT);
  }

  /** An independent copy: the repository adds implied columns to it, never to the caller's change. */
  AgentChange copy() {
    AgentChange copy = new AgentChange();
    copy.assignments.putAll(assignments);
    copy.incrementWakeAttempts = incrementWakeAttempts;
    copy.bumpProvisionEpoch = bumpProvisionEpoch;
    return copy;
  }

  public boolean isEmpty() {
    return assignments.isEmpty() && !incrementWakeAttempts && !bumpProvisionEpoch;
  }

  /** Only last_seen_at: liveness bookkeeping (a coalesced heartbeat), not a change of the agent's state. */
  boolean onlyLastSeen() {
    return assignments.size() == 1 && assignments.containsKey(Column.LAST_SEEN_AT) && !incrementWakeAttempts
        && !bumpProvisionEpoch;
  }

  boolean setsStatusReason() {
    return assignments.containsKey(Column.STATUS_REASON);
  }

  /**
   * SET fragments and their parameters, numbered from {@code firstParam}. Column names come from
   * {@link Column}, values only ever travel as parameters.
   */
  Sql toSql(int firstParam) {
    List<String> fragments = new ArrayList<>();
    List<Object> params = new ArrayList<>();
    int n = firstParam;
    for (Map.Entry<Column, Object> e : assignments.entrySet()) {
      fragments.add(e.getKey().sql + " = $" + n++);
      Object value = e.getValue() == NULL ? null : e.getValue();
      params.add(value instanceof Instant i ? OffsetDateTime.ofInstant(i, ZoneOffset.UTC) : value);
    }
    if (incrementWakeAttempts) {
      fragments.add("wake_attempts = wake_attempts + 1");
    }
    if (bumpProvisionEpoch) {
      fragments.add("provision_epoch = provision_epoch + 1");
    }
    return new Sql(Collections.unmodifiableList(fragments), Collections.unmodifiableList(params));
  }

  private AgentChange set(Column column, Object value) {
    assignments.put(column, value == null ? NULL : value);
    return this;
  }

  record Sql(List<String> fragments, List<Object> params) {
  }

  @Override
  public String toString() {
    return "AgentChange" + assignments.keySet() + (incrementWakeAttempts ? "+wake" : "") + (bumpProvisionEpoch ? "+epoch" : "");
  }
}
