-- E-mail verification, the language mail is written in, and the HTML part of outbox mail.
-- Twin of migrations/sqlite/0009.
ALTER TABLE users ADD COLUMN locale text;
ALTER TABLE users ADD COLUMN email_verified_at bigint;
-- Accounts made before verification existed count as verified since their creation, so the
-- sweep of unconfirmed accounts never takes them.
UPDATE users SET email_verified_at = created_at;
CREATE INDEX users_unverified ON users (created_at) WHERE email_verified_at IS NULL;

ALTER TABLE outbox ADD COLUMN html text;

-- A third purpose of e-mailed tokens.
ALTER TABLE account_tokens DROP CONSTRAINT account_tokens_purpose_check;
ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_check
    CHECK (purpose IN ('password-reset', 'email-change', 'verify-email'));
