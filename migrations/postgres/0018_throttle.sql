-- Rate-limit and sign-in throttle counters shared by every node (issue 17); the twin of
-- migrations/sqlite/0018_throttle.sql. `name` is a SHA-256 digest of what is counted (the
-- limit and an address, an account or both), never the address or e-mail itself. `hits`
-- counts since `first_at`; a hit once that window is over starts a new count. Rows past
-- `expires_at` mean nothing and are pruned.
CREATE TABLE throttle_counters (
    name bytea PRIMARY KEY,
    hits bigint NOT NULL,
    first_at bigint NOT NULL,
    last_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX throttle_counters_expires ON throttle_counters (expires_at);
-- No user owns these rows: only the system role's policy (access.rs) lets anyone see them.
ALTER TABLE throttle_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE throttle_counters FORCE ROW LEVEL SECURITY;
