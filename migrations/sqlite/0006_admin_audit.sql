-- What operators and admins did (issue 6): grants, suspensions, refunds, exports of a user's
-- data. Append-only: no row is ever deleted, and the only change allowed is clearing the
-- subject when that account is erased (the entry stays, no longer naming anyone).
CREATE TABLE admin_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_user_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX admin_audit_at ON admin_audit (at);
CREATE INDEX admin_audit_subject ON admin_audit (subject_user_id);
CREATE TRIGGER admin_audit_no_delete BEFORE DELETE ON admin_audit
BEGIN SELECT RAISE(ABORT, 'admin_audit is append-only'); END;
CREATE TRIGGER admin_audit_no_edit BEFORE UPDATE ON admin_audit
WHEN NEW.subject_user_id IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at
    OR NEW.actor IS NOT OLD.actor OR NEW.action IS NOT OLD.action OR NEW.detail IS NOT OLD.detail
BEGIN SELECT RAISE(ABORT, 'admin_audit is append-only'); END;
