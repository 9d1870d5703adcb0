-- The developer API (issue 9): API keys and idempotency records.

-- API keys: per user, named, only the SHA-256 of the secret stored (as sessions). Revoking
-- deletes the row, so a revoked key is unknown at once; erasure deletes them with the user.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- The first characters of the secret (`atl_` and 6 more), so a person can tell keys apart.
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);

-- `Idempotency-Key` on POST /jobs and /uploads: one row per (user, key), claimed before the
-- work is done; the first reply is kept for 24 hours and replayed to repeats.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    -- SHA-256 of the route and the request's content: a repeat must be the same request.
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    response_status INTEGER,
    response_body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
