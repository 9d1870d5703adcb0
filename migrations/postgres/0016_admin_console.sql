-- The admin console; the twin of migrations/sqlite/0016_admin_console.sql.
ALTER TABLE jobs ADD COLUMN started_at bigint;
CREATE INDEX jobs_started ON jobs (started_at) WHERE started_at IS NOT NULL;
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX users_created ON users (created_at);
CREATE INDEX token_ledger_created ON token_ledger (created_at);

CREATE TABLE sweeper_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at bigint NOT NULL,
    finished_at bigint NOT NULL,
    removed text NOT NULL,
    error text
);
-- No user owns these rows: only the system role's policy (access.rs) lets anyone see them.
ALTER TABLE sweeper_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE sweeper_runs FORCE ROW LEVEL SECURITY;
