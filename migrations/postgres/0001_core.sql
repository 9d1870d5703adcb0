-- Core schema: accounts, sessions, tokens, uploads, jobs, results, outbox, access log.
-- The twin of migrations/sqlite/0001_core.sql with native types: ids are uuid, instants are
-- Unix milliseconds (bigint), keys are bytea, and the job arrival order is an identity column.
--
-- Row Level Security is the second wall (DESIGN C12): every table that holds a user's rows
-- has ENABLE and FORCE ROW LEVEL SECURITY and an `owner_rows` policy comparing its owner
-- column with the user id set per transaction. Roles, grants and the system role's policies
-- depend on configured role names, so `atelier migrate` applies them after the migrations
-- (src/store/postgres/access.rs).

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'restricted', 'suspended', 'banned')),
    guardian_consent boolean NOT NULL DEFAULT FALSE,
    -- The user's data key wrapped by the master key; NULL once crypto-shredded.
    wrapped_key bytea,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until bigint,
    created_at bigint NOT NULL
);

CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at bigint NOT NULL,
    last_seen_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE token_lots (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    quantity integer NOT NULL CHECK (quantity > 0),
    remaining integer NOT NULL CHECK (remaining >= 0 AND remaining <= quantity),
    source text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX token_lots_user_expiry ON token_lots (user_id, expires_at);

-- Append-only: rows are inserted, never updated or deleted (but by account erasure). The
-- trigger refuses updates; no role but the owner is granted UPDATE or DELETE.
CREATE TABLE token_ledger (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lot_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('grant', 'spend', 'refund', 'expire', 'revoke')),
    amount integer NOT NULL CHECK (amount > 0),
    job_id uuid,
    note text,
    created_at bigint NOT NULL
);
CREATE INDEX token_ledger_user ON token_ledger (user_id, id);
CREATE INDEX token_ledger_job ON token_ledger (job_id);
CREATE FUNCTION token_ledger_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'token_ledger is append-only';
END;
$$;
CREATE TRIGGER token_ledger_no_update BEFORE UPDATE ON token_ledger
FOR EACH ROW EXECUTE FUNCTION token_ledger_refuse_update();

CREATE TABLE uploads (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blob_key text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    faces integer NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX uploads_user ON uploads (user_id);
CREATE INDEX uploads_expiry ON uploads (expires_at);
CREATE INDEX uploads_blob ON uploads (blob_key);

CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    -- Arrival order, for fair ordering; ties of created_at are common.
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    upload_id uuid,
    style text NOT NULL,
    intensity real NOT NULL,
    seed bigint NOT NULL,
    cost integer NOT NULL,
    status text NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    attempts integer NOT NULL DEFAULT 0,
    run_after bigint NOT NULL,
    lease_owner text,
    lease_until bigint,
    progress real NOT NULL DEFAULT 0,
    error text,
    result_id uuid,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, run_after);
CREATE INDEX jobs_user ON jobs (user_id, status);

CREATE TABLE results (
    id uuid PRIMARY KEY,
    -- One result per job: a job run twice (at-least-once) never writes two.
    job_id uuid NOT NULL UNIQUE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blob_key text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX results_user ON results (user_id);
CREATE INDEX results_expiry ON results (expires_at);
CREATE INDEX results_blob ON results (blob_key);

-- System only: mail is addressed to e-mail addresses, not owned by a user row.
CREATE TABLE outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at bigint NOT NULL,
    sent_at bigint
);

CREATE TABLE access_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at bigint NOT NULL,
    ip text,
    user_agent text,
    method text NOT NULL,
    route text NOT NULL,
    status integer NOT NULL,
    user_id uuid
);
CREATE INDEX access_log_at ON access_log (at);
CREATE INDEX access_log_user ON access_log (user_id, id);

-- The second wall. FORCE makes the policies bind the table owner too; only superusers and
-- BYPASSRLS roles skip them, and Atelier's roles are neither.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON users
    USING (id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (id = NULLIF(current_setting('app.user_id', true), '')::uuid);

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON sessions
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);

ALTER TABLE token_lots ENABLE ROW LEVEL SECURITY;
ALTER TABLE token_lots FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON token_lots
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);

ALTER TABLE token_ledger ENABLE ROW LEVEL SECURITY;
ALTER TABLE token_ledger FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON token_ledger
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);

ALTER TABLE uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON uploads
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON jobs
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);

ALTER TABLE results ENABLE ROW LEVEL SECURITY;
ALTER TABLE results FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON results
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;

ALTER TABLE access_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE access_log FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON access_log
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);
