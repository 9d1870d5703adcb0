-- Abuse reports (issue 8): the owner of a portrait or photo reports it (items are private to
-- their owner, so the reporter is always the owner); admins review the queue.
--
-- The report is the reporter's data (exported as reports.json). Erasing the account keeps
-- the report for the admins' record but detaches it: `user_id` becomes NULL and the free-text
-- `details` are cleared (privacy erasure does both; the foreign key's SET NULL is the net).
-- What an admin decided stays in admin_audit, which names no erased account either.
CREATE TABLE abuse_reports (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    item_kind TEXT NOT NULL CHECK (item_kind IN ('result', 'upload')),
    item_id TEXT NOT NULL,
    reason TEXT NOT NULL
        CHECK (reason IN ('consent', 'minor', 'sexual', 'violent', 'hateful', 'deception', 'other')),
    details TEXT NOT NULL CHECK (length(details) <= 2000),
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'removed', 'actioned', 'dismissed')),
    created_at BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX abuse_reports_queue ON abuse_reports (status, created_at);
CREATE INDEX abuse_reports_user ON abuse_reports (user_id);
