-- The admin console (issue 8): when each job first left the queue (the dashboard's queue
-- latency is started_at - created_at) and the retention sweeper's recent runs.
ALTER TABLE jobs ADD COLUMN started_at BIGINT;
CREATE INDEX jobs_started ON jobs (started_at) WHERE started_at IS NOT NULL;
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX users_created ON users (created_at);
CREATE INDEX token_ledger_created ON token_ledger (created_at);

-- One row per sweep: what it removed per kind (a JSON list of [kind, count] pairs, kinds
-- with nothing removed left out) or why it stopped. Not about anyone: no user id. The
-- sweeper keeps only the latest runs.
CREATE TABLE sweeper_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    removed TEXT NOT NULL,
    error TEXT
);
