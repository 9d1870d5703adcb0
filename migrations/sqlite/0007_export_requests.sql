-- Data exports built in the background (issue 6): the request's status, and once ready the
-- encrypted ZIP's blob under the user's folder, downloadable by its owner until it expires.
CREATE TABLE export_requests (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
    blob_key TEXT,
    bytes BIGINT,
    error TEXT,
    created_at BIGINT NOT NULL,
    ready_at BIGINT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX export_requests_user ON export_requests (user_id, created_at);
CREATE INDEX export_requests_expiry ON export_requests (expires_at);
-- One export in the making per user: asking again while one is built is refused.
CREATE UNIQUE INDEX export_requests_one_pending ON export_requests (user_id)
    WHERE status = 'pending';
