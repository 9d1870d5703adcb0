-- Delivery state of outbox mail; the twin of migrations/sqlite/0004.
ALTER TABLE outbox ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at bigint;
ALTER TABLE outbox ADD COLUMN last_error text;
ALTER TABLE outbox ADD COLUMN failed_at bigint;
CREATE INDEX outbox_pending ON outbox (sent_at, failed_at, next_attempt_at);
