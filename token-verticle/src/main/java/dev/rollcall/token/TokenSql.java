package dev.rollcall.token;

/** The token-verticle's SQL, in one place. {@code $n} parameters only. */
final class TokenSql {
  static final String INSERT_TICKET = "INSERT INTO bootstrap_tickets "
      + "(id, agent_id, provision_epoch, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)";

  static final String FIND_TICKET_FOR_UPDATE = "SELECT id, agent_id, provision_epoch, secret_hash, expires_at, used_at, "
      + "used_by_instance, credential_id FROM bootstrap_tickets WHERE id = $1 FOR UPDATE";

  static final String CONSUME_TICKET = "UPDATE bootstrap_tickets SET used_at = $2, used_by_instance = $3, credential_id = $4 "
      + "WHERE id = $1 AND used_at IS NULL RETURNING id";

  static final String REPOINT_TICKET = "UPDATE bootstrap_tickets SET credential_id = $2 WHERE id = $1";

  /** Open tickets of older attempts can never be redeemed once a newer epoch registers, or the agent is gone. */
  static final String CLOSE_OPEN_TICKETS = "UPDATE bootstrap_tickets SET expires_at = $2 "
      + "WHERE agent_id = $1 AND used_at IS NULL AND expires_at > $2";

  static final String INSERT_CREDENTIAL = "INSERT INTO agent_credentials (id, agent_id, provision_epoch, instance_id, "
      + "secret_hash, source, replaces_id, created_at, expires_at, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8)";

  static final String FIND_CREDENTIAL = "SELECT id, agent_id, provision_epoch, secret_hash, first_used_at, expires_at, "
      + "revoked_at, replaces_id FROM agent_credentials WHERE id = $1";

  static final String FIND_CREDENTIALS = "SELECT id, agent_id, provision_epoch, secret_hash, first_used_at, expires_at, "
      + "revoked_at, replaces_id FROM agent_credentials WHERE id = ANY($1)";

  static final String COUNT_LIVE = "SELECT count(*) FROM agent_credentials WHERE agent_id = $1 AND provision_epoch = $2 "
      + "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)";

  static final String REVOKE_ONE = "UPDATE agent_credentials SET revoked_at = $2, revoked_reason = $3, changed_at = $2 "
      + "WHERE id = $1 AND revoked_at IS NULL RETURNING id";

  static final String REVOKE_ALL_OF_AGENT = "UPDATE agent_credentials SET revoked_at = $2, revoked_reason = $3, changed_at = $2 "
      + "WHERE agent_id = $1 AND revoked_at IS NULL RETURNING id";

  static final String REVOKE_OLDER_EPOCHS = "UPDATE agent_credentials SET revoked_at = $3, revoked_reason = 'superseded_epoch', "
      + "changed_at = $3 WHERE agent_id = $1 AND provision_epoch < $2 AND revoked_at IS NULL RETURNING id";

  /** First use; a delivered rotation credential loses its pending expiry (it gets the normal lifetime, $3). */
  static final String MARK_USED = "UPDATE agent_credentials SET first_used_at = $2, changed_at = $2, "
      + "expires_at = CASE WHEN source = 'rotation' THEN $3 ELSE expires_at END "
      + "WHERE id = $1 AND first_used_at IS NULL RETURNING agent_id, replaces_id";

  /** Each live agent of a gateway with the credential it uses now (null when it has none). */
  static final String AGENTS_OF_GATEWAY = "SELECT DISTINCT ON (a.id) a.id AS agent_id, a.provision_epoch, c.id AS credential_id "
      + "FROM agents a LEFT JOIN agent_credentials c ON c.agent_id = a.id AND c.provision_epoch = a.provision_epoch "
      + "AND c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > $2) "
      + "WHERE a.gateway_id = $1 AND a.lifecycle_status <> 'deleted' "
      + "ORDER BY a.id, (c.first_used_at IS NOT NULL) DESC, c.created_at DESC";

  static final String INSERT_ROTATION = "INSERT INTO agent_credentials (id, agent_id, provision_epoch, secret_hash, source, "
      + "replaces_id, created_at, expires_at, changed_at) VALUES ($1, $2, $3, $4, 'rotation', $5, $6, $7, $6)";

  /** After a successful gateway write: the replaced credentials end at the grace deadline $2 at the latest. */
  static final String START_GRACE = "UPDATE agent_credentials SET expires_at = LEAST(COALESCE(expires_at, $2), $2), changed_at = $3 "
      + "WHERE id = ANY($1) AND revoked_at IS NULL";

  static final String INSERT_SUCCESSOR = "INSERT INTO agent_credentials (id, agent_id, provision_epoch, instance_id, secret_hash, "
      + "source, replaces_id, created_at, expires_at, changed_at) VALUES ($1, $2, $3, $4, $5, 'successor', $6, $7, $8, $7)";

  /** Successors handed out before but never used: nobody holds them for sure, so they are replaced. */
  static final String REVOKE_UNUSED_SUCCESSORS = "UPDATE agent_credentials SET revoked_at = $2, revoked_reason = 'successor_reissued', "
      + "changed_at = $2 WHERE replaces_id = $1 AND source = 'successor' AND first_used_at IS NULL AND revoked_at IS NULL RETURNING id";

  static final String FIND_CREDENTIAL_FOR_UPDATE = "SELECT id, agent_id, provision_epoch, instance_id, expires_at, revoked_at "
      + "FROM agent_credentials WHERE id = $1 FOR UPDATE";

  private TokenSql() {
  }
}
