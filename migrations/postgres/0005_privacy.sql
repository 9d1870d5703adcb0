-- The privacy center (issue 6); the twin of migrations/sqlite/0005_privacy.sql.

ALTER TABLE users ADD COLUMN display_name text;
-- Restriction: no new uploads or jobs, queued jobs are not run.
ALTER TABLE users ADD COLUMN processing_paused boolean NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN analytics_opt_out boolean NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN marketing_opt_in boolean NOT NULL DEFAULT FALSE;

-- One row per change of a choice above. Append-only: the trigger refuses updates and no
-- role but the owner is granted UPDATE or DELETE; rows go with the account (ON DELETE
-- CASCADE, which runs as the owner).
CREATE TABLE consents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL
        CHECK (kind IN ('processing-paused', 'analytics-opt-out', 'marketing-opt-in')),
    value boolean NOT NULL,
    source text NOT NULL CHECK (source IN ('web', 'api', 'sign-up', 'erasure')),
    created_at bigint NOT NULL
);
CREATE INDEX consents_user ON consents (user_id, id);
CREATE FUNCTION consents_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consents is append-only';
END;
$$;
CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
FOR EACH ROW EXECUTE FUNCTION consents_refuse_update();
ALTER TABLE consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE consents FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON consents
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);

-- The erasure confirmation is deleted once delivered or given up on.
ALTER TABLE outbox ADD COLUMN purge_on_send boolean NOT NULL DEFAULT FALSE;
