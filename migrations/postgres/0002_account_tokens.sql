-- Single-use tokens e-mailed for password reset and e-mail change. Only the SHA-256 of a
-- token is stored; `used_at` makes it single-use. Twin of migrations/sqlite/0002.
CREATE TABLE account_tokens (
    token_hash text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('password-reset', 'email-change')),
    new_email text,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    used_at bigint
);
CREATE INDEX account_tokens_user ON account_tokens (user_id);

ALTER TABLE account_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON account_tokens
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);
