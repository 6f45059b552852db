-- The reconciler (issue 6): recovery of offline agents, wake-to-ready timing, gateway reachability.

-- When the reconciler next tries to bring this offline agent back (a re-provision); null: it does not
-- (the agent stopped on purpose, or recovery probes are off and seed 01's escalation stopped).
ALTER TABLE agents ADD COLUMN recovery_at timestamptz;
-- Recovery probes since the agent last checked in; each one waits twice as long (recoveryProbe .. recoveryProbeMax).
ALTER TABLE agents ADD COLUMN recovery_probes integer NOT NULL DEFAULT 0 CHECK (recovery_probes >= 0);
-- The first wake of the current check-in cycle; cleared when the agent becomes ready (wake-to-ready histogram).
ALTER TABLE agents ADD COLUMN woken_at timestamptz;

-- Set while a large share of the gateway's agents went silent together (mass failure, not agent
-- failure): the reconciler re-provisions its agents one probe at a time until one of them checks in.
ALTER TABLE gateways ADD COLUMN unreachable_since timestamptz;

-- The anti-entropy sweep and the fleet sample read agents by gateway and status.
CREATE INDEX agents_offline_recovery ON agents (recovery_at) WHERE lifecycle_status = 'offline' AND recovery_at IS NOT NULL;
