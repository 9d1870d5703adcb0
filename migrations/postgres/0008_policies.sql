-- Versioned privacy policy and terms; the twin of migrations/sqlite/0008.
CREATE TABLE policy_versions (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('privacy', 'terms')),
    version integer NOT NULL CHECK (version > 0),
    title text NOT NULL,
    summary text NOT NULL,
    body text NOT NULL,
    published_at bigint NOT NULL,
    effective_at bigint NOT NULL,
    notified integer NOT NULL DEFAULT 0,
    UNIQUE (kind, version)
);
CREATE INDEX policy_versions_effective ON policy_versions (kind, effective_at);
CREATE FUNCTION policy_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'policy_versions is append-only';
END
$$;
CREATE TRIGGER policy_versions_no_change BEFORE UPDATE OR DELETE ON policy_versions
    FOR EACH ROW EXECUTE FUNCTION policy_versions_append_only();
-- Published texts are public: anyone may read them, under Row Level Security like every table.
ALTER TABLE policy_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE policy_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY public_rows ON policy_versions FOR SELECT USING (true);

CREATE TABLE policy_acceptances (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    policy_id uuid NOT NULL REFERENCES policy_versions (id),
    source text NOT NULL CHECK (source IN ('sign-up', 'web', 'api')),
    accepted_at bigint NOT NULL,
    PRIMARY KEY (user_id, policy_id)
);
ALTER TABLE policy_acceptances ENABLE ROW LEVEL SECURITY;
ALTER TABLE policy_acceptances FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON policy_acceptances
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);
