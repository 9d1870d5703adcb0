-- The developer API (issue 9); the twin of migrations/sqlite/0011_api_keys.sql.

-- API keys: per user, named, only the SHA-256 of the secret stored (as sessions). Revoking
-- deletes the row; erasure deletes them with the user (ON DELETE CASCADE). Authentication
-- looks a key up by hash as the system role, like a session.
CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL,
    token_hash text NOT NULL UNIQUE,
    prefix text NOT NULL,
    created_at bigint NOT NULL,
    last_used_at bigint
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON api_keys
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);

-- `Idempotency-Key` on POST /jobs and /uploads: one row per (user, key), claimed before the
-- work is done; the first reply is kept for 24 hours and replayed to repeats.
CREATE TABLE idempotency_keys (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key text NOT NULL,
    fingerprint text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    response_status integer,
    response_body text,
    created_at bigint NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON idempotency_keys
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);
