-- Rate-limit and sign-in throttle counters (issue 17), the twin of
-- migrations/postgres/0018_throttle.sql. A single SQLite node keeps its counters in memory;
-- the table is here so both schemas match and a shared SQLite file could use it.
-- `name` is a SHA-256 digest of what is counted (the limit and an address, an account or
-- both), never the address or e-mail itself. `hits` counts since `first_at`; a hit once
-- that window is over starts a new count. Rows past `expires_at` mean nothing and are
-- pruned.
CREATE TABLE throttle_counters (
    name BLOB PRIMARY KEY,
    hits BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX throttle_counters_expires ON throttle_counters (expires_at);
