-- The support center (issue 8); the twin of migrations/sqlite/0014_support.sql.
-- A user's tickets and messages are theirs under RLS (owner_rows) and go with the account
-- (ON DELETE CASCADE). Visitor tickets (user_id NULL) match no user: only the system role's
-- policy (admins' calls) reaches them.
CREATE TABLE support_tickets (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    email text NOT NULL,
    locale text NOT NULL,
    subject text NOT NULL,
    job_id uuid,
    urgent boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    closed_at bigint
);
CREATE INDEX support_tickets_user ON support_tickets (user_id, updated_at);
CREATE INDEX support_tickets_status ON support_tickets (status, urgent);
ALTER TABLE support_tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE support_tickets FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON support_tickets
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);

CREATE TABLE support_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id bigint NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    from_staff boolean NOT NULL,
    body text NOT NULL,
    created_at bigint NOT NULL
);
CREATE INDEX support_messages_ticket ON support_messages (ticket_id, id);
CREATE INDEX support_messages_user ON support_messages (user_id);
ALTER TABLE support_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE support_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON support_messages
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);
