-- Abuse reports (issue 8); the twin of migrations/sqlite/0015_abuse_reports.sql.
--
-- Filed by the item's owner as the app role (their rows only, by the policy below); read and
-- decided by admins through the system role. Erasure detaches a report (user_id NULL, details
-- cleared) instead of deleting it, so the admins' record of what was reported stays.
CREATE TABLE abuse_reports (
    id uuid PRIMARY KEY,
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    item_kind text NOT NULL CHECK (item_kind IN ('result', 'upload')),
    item_id uuid NOT NULL,
    reason text NOT NULL
        CHECK (reason IN ('consent', 'minor', 'sexual', 'violent', 'hateful', 'deception', 'other')),
    details text NOT NULL CHECK (length(details) <= 2000),
    status text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'removed', 'actioned', 'dismissed')),
    created_at bigint NOT NULL,
    resolved_at bigint
);
CREATE INDEX abuse_reports_queue ON abuse_reports (status, created_at);
CREATE INDEX abuse_reports_user ON abuse_reports (user_id);
ALTER TABLE abuse_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE abuse_reports FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON abuse_reports
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);
