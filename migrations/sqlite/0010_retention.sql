-- Retention beyond images (issue 6): expired token lots lose their details, usage analytics
-- are collected (unless the user objects) and kept two years.

-- When the details of an expired lot were purged: its source became 'expired' and its ledger
-- entries lost their job ids and notes. Amounts, kinds and dates stay (DESIGN §3).
ALTER TABLE token_lots ADD COLUMN details_purged_at BIGINT;
CREATE INDEX token_lots_unpurged ON token_lots (expires_at) WHERE details_purged_at IS NULL;
-- The purge finds a lot's entries by lot.
CREATE INDEX token_ledger_lot ON token_ledger (lot_id);

-- The ledger stays append-only, but for that purge: an update may only clear `job_id` and
-- `note`, everything else must stay as it was (as admin_audit allows clearing its subject).
DROP TRIGGER token_ledger_no_update;
CREATE TRIGGER token_ledger_no_update BEFORE UPDATE ON token_ledger
WHEN NEW.job_id IS NOT NULL OR NEW.note IS NOT NULL OR NEW.id IS NOT OLD.id
    OR NEW.user_id IS NOT OLD.user_id OR NEW.lot_id IS NOT OLD.lot_id
    OR NEW.kind IS NOT OLD.kind OR NEW.amount IS NOT OLD.amount
    OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'token_ledger is append-only'); END;

-- Usage analytics: what happened, never what was in it. Recorded only while the user has not
-- opted out (users.analytics_opt_out); opting out deletes them, and so does erasure. Kept for
-- retention.analytics_ttl (two years).
CREATE TABLE usage_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN
        ('signed-up', 'upload', 'job-succeeded', 'job-failed', 'purchase-paid')),
    style TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX usage_events_user ON usage_events (user_id, id);
CREATE INDEX usage_events_created ON usage_events (created_at);
