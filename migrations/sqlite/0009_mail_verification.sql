-- E-mail verification, the language mail is written in, and the HTML part of outbox mail.
ALTER TABLE users ADD COLUMN locale TEXT;
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
-- Accounts made before verification existed count as verified since their creation, so the
-- sweep of unconfirmed accounts never takes them.
UPDATE users SET email_verified_at = created_at;
CREATE INDEX users_unverified ON users (created_at) WHERE email_verified_at IS NULL;

ALTER TABLE outbox ADD COLUMN html TEXT;

-- A third purpose of e-mailed tokens. SQLite cannot change a CHECK in place: the table is
-- rebuilt with the same columns (nothing references it).
CREATE TABLE account_tokens_new (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL
        CHECK (purpose IN ('password-reset', 'email-change', 'verify-email')),
    new_email TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
INSERT INTO account_tokens_new
    (token_hash, user_id, purpose, new_email, created_at, expires_at, used_at)
    SELECT token_hash, user_id, purpose, new_email, created_at, expires_at, used_at
    FROM account_tokens;
DROP TABLE account_tokens;
ALTER TABLE account_tokens_new RENAME TO account_tokens;
CREATE INDEX account_tokens_user ON account_tokens (user_id);
