-- Work dispatch (seeds 03 and 04). A task is dispatched as attempt n: the agent turns busy, the task
-- turns dispatched and a dispatch_outbox row is written, all in one transaction; a dispatcher then
-- carries the row out (the gateway's task start) and settles it. Every report names its attempt.

CREATE TABLE tasks (
    id                 uuid        PRIMARY KEY,
    gateway_id         uuid        NOT NULL REFERENCES gateways (id),
    -- The agent the operator asked for; null means any ready agent of the gateway.
    requested_agent_id uuid        REFERENCES agents (id),
    -- The agent of the current or last attempt.
    agent_id           uuid        REFERENCES agents (id),
    -- delivered: the gateway accepted the start. processed: the agent acknowledged the result.
    -- Seed 03's "completed" hid the difference; here they are two states.
    state              text        NOT NULL CHECK (state IN ('queued', 'dispatched', 'delivered', 'processed', 'failed')),
    attempt            integer     NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts       integer     NOT NULL CHECK (max_attempts >= 1),
    -- Backoff: a queued task is not dispatched again before this.
    not_before         timestamptz NOT NULL,
    last_error         text,
    payload            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    result             jsonb,
    version            bigint      NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    delivered_at       timestamptz,
    processed_at       timestamptz
);

CREATE INDEX tasks_queued ON tasks (not_before) WHERE state = 'queued';
CREATE INDEX tasks_by_agent ON tasks (agent_id) WHERE state IN ('dispatched', 'delivered');

CREATE TABLE dispatch_outbox (
    task_id         uuid        PRIMARY KEY REFERENCES tasks (id),
    attempt         integer     NOT NULL,
    agent_id        uuid        NOT NULL REFERENCES agents (id),
    provision_epoch bigint      NOT NULL,
    created_at      timestamptz NOT NULL,
    -- A dispatcher's claim; once it passes, another dispatcher takes the row (its node died).
    claimed_until   timestamptz,
    -- The start timed out: a report for this attempt before then cancels the rollback.
    confirm_until   timestamptz
);

CREATE TABLE task_events (
    id       bigserial   PRIMARY KEY,
    task_id  uuid        NOT NULL REFERENCES tasks (id),
    at       timestamptz NOT NULL,
    name     text        NOT NULL,
    attempt  integer,
    agent_id uuid,
    detail   jsonb       NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX task_events_by_task ON task_events (task_id, id);
