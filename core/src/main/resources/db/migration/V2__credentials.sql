-- Bootstrap tickets and agent credentials (token-verticle). Only SHA-256 hashes of secrets are
-- stored; a secret is shown once, to whoever it was minted for.

CREATE TABLE bootstrap_tickets (
    id               uuid        PRIMARY KEY,           -- the public half of "id.secret"
    agent_id         uuid        NOT NULL REFERENCES agents (id),
    provision_epoch  bigint      NOT NULL,              -- a ticket is good for one provision attempt
    secret_hash      bytea       NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz,                       -- consumed: set once, by a conditional UPDATE
    used_by_instance text,
    credential_id    uuid                               -- what the consumption minted (latest, after a lost-response re-mint)
);

CREATE INDEX bootstrap_tickets_by_agent ON bootstrap_tickets (agent_id, provision_epoch);

CREATE TABLE agent_credentials (
    id              uuid        PRIMARY KEY,            -- the public half of "id.secret": O(1) lookup
    agent_id        uuid        NOT NULL REFERENCES agents (id),
    provision_epoch bigint      NOT NULL,
    instance_id     text,
    secret_hash     bytea       NOT NULL,
    source          text        NOT NULL CHECK (source IN ('register', 'rotation', 'successor')),
    replaces_id     uuid REFERENCES agent_credentials (id), -- the credential this one supersedes once it is used
    created_at      timestamptz NOT NULL,
    first_used_at   timestamptz,                        -- proof of delivery
    expires_at      timestamptz,                        -- lifetime, rotation grace, or undelivered-successor limit
    revoked_at      timestamptz,
    revoked_reason  text,
    -- Moves whenever revocation or expiry changes: every node's credential cache polls it, so a
    -- revocation reaches all caches within a second even if the bus message is lost.
    changed_at      timestamptz NOT NULL
);

CREATE INDEX agent_credentials_live_by_agent ON agent_credentials (agent_id) WHERE revoked_at IS NULL;
CREATE INDEX agent_credentials_by_changed_at ON agent_credentials (changed_at);

-- Set when an agent presented a credential that is not valid while it has no live credential at all:
-- the reconciler re-provisions it with a fresh ticket (the bootstrap gate re-opens; no permanent 401).
ALTER TABLE agents ADD COLUMN needs_rebootstrap boolean NOT NULL DEFAULT false;
