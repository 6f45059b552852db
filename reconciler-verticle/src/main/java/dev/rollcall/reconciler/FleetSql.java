package dev.rollcall.reconciler;

/** The fleet sample's SQL ({@link FleetView}), in one place. */
final class FleetSql {
  private FleetSql() {
  }

  /**
   * Agents per gateway and status, with what {@link FleetVerdict.GatewayCounts} needs: suspects, agents
   * registered since the gateway's mark, and agents lost since it that are due to come back. Every
   * gateway has a row, one without agents with a null status.
   */
  static final String SAMPLE = """
      SELECT g.id, g.unreachable_since, a.lifecycle_status, count(a.id) AS agents,
             count(a.id) FILTER (WHERE a.suspect_since IS NOT NULL) AS suspect,
             count(a.id) FILTER (WHERE a.registered_at > g.unreachable_since) AS registered_since_mark,
             count(a.id) FILTER (WHERE a.status_changed_at > g.unreachable_since
                                   AND NOT (a.lifecycle_status = 'offline' AND a.recovery_at IS NULL)) AS lost_since_mark
      FROM gateways g LEFT JOIN agents a ON a.gateway_id = g.id AND a.lifecycle_status <> 'deleted'
      GROUP BY g.id, g.unreachable_since, a.lifecycle_status""";

  /** $1 gateway, $2 now: marks it unreachable unless it already is (the first sample to see it wins). */
  static final String MARK_UNREACHABLE = "UPDATE gateways SET unreachable_since = $2, version = version + 1, updated_at = $2 "
      + "WHERE id = $1 AND unreachable_since IS NULL";

  /** $1 gateway, $2 its mark as read: clears that mark (not a newer one another node made meanwhile). */
  static final String CLEAR_UNREACHABLE = "UPDATE gateways SET unreachable_since = NULL, version = version + 1, updated_at = now() "
      + "WHERE id = $1 AND unreachable_since = $2";

  /** $1 gateway: its agents held behind the probe slot, looked at again once the gateway is reachable. */
  static final String HELD_AGENTS = "SELECT id FROM agents WHERE gateway_id = $1 "
      + "AND (lifecycle_status IN ('provisioning', 'waking') OR (lifecycle_status = 'offline' AND recovery_at IS NOT NULL))";
}
