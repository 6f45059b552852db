-- Rollcall's source of truth: gateways, agents and the lifecycle event log.
-- Every state change is a conditional UPDATE on agents (WHERE id = $1 AND version = $2) that inserts
-- its lifecycle_events row in the same transaction (AgentRepository).

CREATE TABLE gateways (
    id               uuid        PRIMARY KEY,
    name             text        NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    base_url         text        NOT NULL CHECK (length(base_url) BETWEEN 1 AND 2000),
    -- Version of the agent templates this gateway should run; an agent reporting an older one is
    -- flagged for a template sync (seed 01's stale templates).
    template_version integer     NOT NULL DEFAULT 1 CHECK (template_version >= 1),
    version          bigint      NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

CREATE TABLE agents (
    id                   uuid        PRIMARY KEY,
    gateway_id           uuid        NOT NULL REFERENCES gateways (id),
    name                 text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The names of LifecycleStatus; LifecycleStatusSchemaTest keeps the two in step.
    lifecycle_status     text        NOT NULL CHECK (lifecycle_status IN
                             ('provisioning', 'waking', 'starting', 'ready', 'busy', 'degraded', 'offline', 'deleted')),
    -- Why the agent is in its status (the table's reason, or the failure that put it there).
    status_reason        text,
    status_changed_at    timestamptz NOT NULL,
    -- Optimistic concurrency: every update is WHERE version = <read version> and bumps it.
    version              bigint      NOT NULL DEFAULT 0 CHECK (version >= 0),
    -- Fence for side effects: each provision attempt bumps it; tickets, wakes and dispatches carry it.
    provision_epoch      bigint      NOT NULL DEFAULT 0 CHECK (provision_epoch >= 0),
    wake_attempts        integer     NOT NULL DEFAULT 0 CHECK (wake_attempts >= 0),
    checkin_deadline     timestamptz,
    last_seen_at         timestamptz,
    -- Set when the liveness lease first lapsed; cleared by the next heartbeat (suspicion, not a status).
    suspect_since        timestamptz,
    registered_at        timestamptz,
    last_provision_error text,
    template_version     integer,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    UNIQUE (gateway_id, name)
);

CREATE INDEX agents_by_status ON agents (lifecycle_status);
CREATE INDEX agents_by_gateway_status ON agents (gateway_id, lifecycle_status);

CREATE TABLE lifecycle_events (
    id              bigserial   PRIMARY KEY,
    agent_id        uuid        NOT NULL REFERENCES agents (id),
    at              timestamptz NOT NULL,
    -- A LifecycleTrigger event name or a LifecycleEventNames constant (seed 01's names verbatim).
    name            text        NOT NULL,
    from_status     text,
    to_status       text,
    agent_version   bigint,
    provision_epoch bigint,
    detail          jsonb       NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX lifecycle_events_by_agent ON lifecycle_events (agent_id, id);
