-- Core schema: accounts, sessions, tokens, uploads, jobs, results, outbox, access log.
-- Ids are UUID text, instants are Unix milliseconds (BIGINT), so the PostgreSQL twin keeps
-- the same shapes (uuid / bigint).

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'restricted', 'suspended', 'banned')),
    guardian_consent BOOLEAN NOT NULL DEFAULT FALSE,
    -- The user's data key wrapped by the master key; NULL once crypto-shredded.
    wrapped_key BLOB,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE token_lots (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    remaining INTEGER NOT NULL CHECK (remaining >= 0 AND remaining <= quantity),
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX token_lots_user_expiry ON token_lots (user_id, expires_at);

-- Append-only: rows are inserted, never updated or deleted (but by account erasure).
CREATE TABLE token_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lot_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('grant', 'spend', 'refund', 'expire', 'revoke')),
    amount INTEGER NOT NULL CHECK (amount > 0),
    job_id TEXT,
    note TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX token_ledger_user ON token_ledger (user_id, id);
CREATE INDEX token_ledger_job ON token_ledger (job_id);
CREATE TRIGGER token_ledger_no_update BEFORE UPDATE ON token_ledger
BEGIN SELECT RAISE(ABORT, 'token_ledger is append-only'); END;

CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blob_key TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    faces INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX uploads_user ON uploads (user_id);
CREATE INDEX uploads_expiry ON uploads (expires_at);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    -- Arrival order, for fair ordering; ties of created_at are common.
    seq BIGINT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    upload_id TEXT,
    style TEXT NOT NULL,
    intensity REAL NOT NULL,
    seed BIGINT NOT NULL,
    cost INTEGER NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    run_after BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    progress REAL NOT NULL DEFAULT 0,
    error TEXT,
    result_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, run_after);
CREATE INDEX jobs_user ON jobs (user_id, status);

CREATE TABLE results (
    id TEXT PRIMARY KEY,
    -- One result per job: a job run twice (at-least-once) never writes two.
    job_id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blob_key TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX results_user ON results (user_id);
CREATE INDEX results_expiry ON results (expires_at);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);

CREATE TABLE access_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    status INTEGER NOT NULL,
    user_id TEXT
);
CREATE INDEX access_log_at ON access_log (at);
