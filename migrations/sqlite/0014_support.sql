-- The support center (issue 8): tickets from the contact form and their threads.

-- A ticket: from a signed-in user (user_id set, erased with the account) or from a visitor
-- (user_id NULL: reachable only by admins and by e-mail). `locale` is the submitter's
-- language, for the mails about the ticket. The id is the ticket number people see.
CREATE TABLE support_tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- A job of the submitter's the ticket is about; no foreign key: jobs may go first.
    job_id TEXT,
    urgent BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE INDEX support_tickets_user ON support_tickets (user_id, updated_at);
CREATE INDEX support_tickets_status ON support_tickets (status, urgent);

-- The thread: the first message, follow-ups and staff replies, oldest first. `user_id` is
-- the ticket's owner (repeated so each row is scoped by itself, as on PostgreSQL).
CREATE TABLE support_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    from_staff BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX support_messages_ticket ON support_messages (ticket_id, id);
CREATE INDEX support_messages_user ON support_messages (user_id);
