-- Retention beyond images (issue 6); the twin of migrations/sqlite/0010_retention.sql.

-- When the details of an expired lot were purged: its source became 'expired' and its ledger
-- entries lost their job ids and notes. Amounts, kinds and dates stay (DESIGN §3).
ALTER TABLE token_lots ADD COLUMN details_purged_at bigint;
CREATE INDEX token_lots_unpurged ON token_lots (expires_at) WHERE details_purged_at IS NULL;
-- The purge finds a lot's entries by lot.
CREATE INDEX token_ledger_lot ON token_ledger (lot_id);

-- The ledger stays append-only, but for that purge: an update may only clear `job_id` and
-- `note`; the system role is granted UPDATE of those two columns only (access.rs).
CREATE OR REPLACE FUNCTION token_ledger_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.job_id IS NULL AND NEW.note IS NULL AND NEW.id = OLD.id
       AND NEW.user_id = OLD.user_id AND NEW.lot_id = OLD.lot_id AND NEW.kind = OLD.kind
       AND NEW.amount = OLD.amount AND NEW.created_at = OLD.created_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'token_ledger is append-only';
END;
$$;

-- Usage analytics: what happened, never what was in it. Recorded only while the user has not
-- opted out; opting out deletes them, and so does erasure (ON DELETE CASCADE).
CREATE TABLE usage_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN
        ('signed-up', 'upload', 'job-succeeded', 'job-failed', 'purchase-paid')),
    style text,
    created_at bigint NOT NULL
);
CREATE INDEX usage_events_user ON usage_events (user_id, id);
CREATE INDEX usage_events_created ON usage_events (created_at);
ALTER TABLE usage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_events FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON usage_events
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);
