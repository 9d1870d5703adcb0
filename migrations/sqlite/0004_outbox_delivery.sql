-- Delivery state of outbox mail: each failed attempt is counted and retried later with
-- backoff; after the last attempt, or on a permanent refusal, the mail is marked failed.
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at BIGINT;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN failed_at BIGINT;
CREATE INDEX outbox_pending ON outbox (sent_at, failed_at, next_attempt_at);
