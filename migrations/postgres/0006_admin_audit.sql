-- What operators and admins did; the twin of migrations/sqlite/0006_admin_audit.sql.
-- Append-only: the trigger refuses deletes and every update but clearing the subject of an
-- erased account; the system role is granted only SELECT, INSERT and UPDATE of that column.
CREATE TABLE admin_audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at bigint NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    subject_user_id uuid,
    detail text NOT NULL
);
CREATE INDEX admin_audit_at ON admin_audit (at);
CREATE INDEX admin_audit_subject ON admin_audit (subject_user_id);
CREATE FUNCTION admin_audit_refuse_edit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.subject_user_id IS NULL AND NEW.id = OLD.id
       AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND NEW.action = OLD.action
       AND NEW.detail = OLD.detail THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'admin_audit is append-only';
END;
$$;
CREATE TRIGGER admin_audit_no_edit BEFORE UPDATE OR DELETE ON admin_audit
FOR EACH ROW EXECUTE FUNCTION admin_audit_refuse_edit();
-- No user owns these rows: only the system role's policy (access.rs) lets anyone see them.
ALTER TABLE admin_audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin_audit FORCE ROW LEVEL SECURITY;
