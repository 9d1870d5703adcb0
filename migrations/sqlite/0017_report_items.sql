-- Erasure forgets the reported item (issue 17): a report kept for the admins' record after
-- its reporter's account is erased must not hold the id of their portrait or photo, so
-- `item_id` may be NULL, and is NULL exactly for reports whose reporter is gone.
--
-- SQLite cannot drop a NOT NULL in place: the table is rebuilt with the same columns, checks
-- and indexes (nothing references it). Reports already detached lose their item here.
CREATE TABLE abuse_reports_new (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    item_kind TEXT NOT NULL CHECK (item_kind IN ('result', 'upload')),
    item_id TEXT,
    reason TEXT NOT NULL
        CHECK (reason IN ('consent', 'minor', 'sexual', 'violent', 'hateful', 'deception', 'other')),
    details TEXT NOT NULL CHECK (length(details) <= 2000),
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'removed', 'actioned', 'dismissed')),
    created_at BIGINT NOT NULL,
    resolved_at BIGINT
);
INSERT INTO abuse_reports_new
    (id, user_id, item_kind, item_id, reason, details, status, created_at, resolved_at)
    SELECT id, user_id, item_kind, CASE WHEN user_id IS NULL THEN NULL ELSE item_id END,
           reason, CASE WHEN user_id IS NULL THEN '' ELSE details END, status, created_at,
           resolved_at
    FROM abuse_reports;
DROP TABLE abuse_reports;
ALTER TABLE abuse_reports_new RENAME TO abuse_reports;
CREATE INDEX abuse_reports_queue ON abuse_reports (status, created_at);
CREATE INDEX abuse_reports_user ON abuse_reports (user_id);
