-- Data exports built in the background; the twin of migrations/sqlite/0007.
CREATE TABLE export_requests (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'failed')),
    blob_key text,
    bytes bigint,
    error text,
    created_at bigint NOT NULL,
    ready_at bigint,
    expires_at bigint NOT NULL
);
CREATE INDEX export_requests_user ON export_requests (user_id, created_at);
CREATE INDEX export_requests_expiry ON export_requests (expires_at);
-- One export in the making per user: asking again while one is built is refused.
CREATE UNIQUE INDEX export_requests_one_pending ON export_requests (user_id)
    WHERE status = 'pending';
CREATE INDEX export_requests_blob ON export_requests (blob_key);
ALTER TABLE export_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE export_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON export_requests
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);
