-- Erasure forgets the reported item (issue 17); the twin of
-- migrations/sqlite/0017_report_items.sql. A report kept for the admins' record after its
-- reporter's account is erased must not hold the id of their portrait or photo, so `item_id`
-- may be NULL, and is NULL exactly for reports whose reporter is gone.
--
-- Reports already detached lose their item here. Row security binds the owner running this
-- migration too (FORCE), and no policy shows it rows without a user: it is lifted for this
-- one statement, inside the migration's transaction.
ALTER TABLE abuse_reports ALTER COLUMN item_id DROP NOT NULL;
ALTER TABLE abuse_reports NO FORCE ROW LEVEL SECURITY;
UPDATE abuse_reports SET item_id = NULL, details = '' WHERE user_id IS NULL;
ALTER TABLE abuse_reports FORCE ROW LEVEL SECURITY;
