-- Text prompts (issue 7); the twin of migrations/postgres/0013_prompts.sql.

-- The user's prompt, as given (after trimming), for styles that take one. It is personal
-- data with the lifetime of the result: deleting the result (by its owner, the retention
-- sweep or erasure) clears it, and the sweeper clears those of jobs that ended without a
-- result once results of their age would have expired.
ALTER TABLE jobs ADD COLUMN prompt TEXT;

CREATE TRIGGER results_forget_prompt AFTER DELETE ON results
BEGIN
    UPDATE jobs SET prompt = NULL WHERE id = OLD.job_id AND prompt IS NOT NULL;
END;

CREATE INDEX jobs_prompt_held ON jobs (created_at) WHERE prompt IS NOT NULL;
