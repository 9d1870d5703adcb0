-- The privacy center (issue 6): rectifiable display name, the user's current choices on
-- restriction and objection, and an append-only record of every change to them.

ALTER TABLE users ADD COLUMN display_name TEXT;
-- Restriction (GDPR art. 18): no new uploads or jobs, queued jobs are not run.
ALTER TABLE users ADD COLUMN processing_paused BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN analytics_opt_out BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN marketing_opt_in BOOLEAN NOT NULL DEFAULT FALSE;

-- One row per change of a choice above, with when and through what it was made.
-- Append-only: never updated; deleted only with the account.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL
        CHECK (kind IN ('processing-paused', 'analytics-opt-out', 'marketing-opt-in')),
    value BOOLEAN NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('web', 'api', 'sign-up', 'erasure')),
    created_at BIGINT NOT NULL
);
CREATE INDEX consents_user ON consents (user_id, id);
CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
BEGIN SELECT RAISE(ABORT, 'consents is append-only'); END;

-- Mail that names someone who asked to be forgotten (the erasure confirmation) is deleted
-- once delivered or given up on, instead of being kept as sent.
ALTER TABLE outbox ADD COLUMN purge_on_send BOOLEAN NOT NULL DEFAULT FALSE;
