-- Versioned privacy policy and terms (issue 6): each published version is kept as written
-- (Markdown), with the date it takes effect; users accept each version once.
CREATE TABLE policy_versions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('privacy', 'terms')),
    version INTEGER NOT NULL CHECK (version > 0),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    effective_at BIGINT NOT NULL,
    -- How many users were e-mailed about this version when it was published.
    notified INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, version)
);
CREATE INDEX policy_versions_effective ON policy_versions (kind, effective_at);
-- A published text is a record of what users were shown: it never changes.
CREATE TRIGGER policy_versions_no_update BEFORE UPDATE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy_versions is append-only'); END;
CREATE TRIGGER policy_versions_no_delete BEFORE DELETE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy_versions is append-only'); END;

CREATE TABLE policy_acceptances (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    policy_id TEXT NOT NULL REFERENCES policy_versions (id),
    source TEXT NOT NULL CHECK (source IN ('sign-up', 'web', 'api')),
    accepted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, policy_id)
);
