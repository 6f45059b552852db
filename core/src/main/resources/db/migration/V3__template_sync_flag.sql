-- Set when an agent reports a template version behind its gateway's (seed 01's stale templates): the
-- agent is due a template sync. Cleared when it reports the current version.
ALTER TABLE agents ADD COLUMN needs_template_sync boolean NOT NULL DEFAULT false;
