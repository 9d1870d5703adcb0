//! Claiming the next job on SQLite: one `UPDATE … WHERE id = (SELECT … fair order … LIMIT 1)
//! RETURNING` inside the caller's `BEGIN IMMEDIATE` transaction, SQLite's stand-in for
//! PostgreSQL's `FOR UPDATE SKIP LOCKED` (the write lock admits one claimer at a time). Fair
//! order: each user's n-th runnable job takes turn n, ties by arrival; only active accounts;
//! a per-user cap on running jobs; expired leases reclaimed.

use sqlx::SqliteConnection;

use super::backend::{JOB_COLUMNS, fail_in, job_from_row};
use crate::domain::{JobId, Timestamp};
use crate::store::{Claim, Job, StoreResult};

pub(in crate::store) async fn claim_in(
    conn: &mut SqliteConnection,
    claim: &Claim,
    now: Timestamp,
) -> StoreResult<Option<Job>> {
    // A lease that ran out on the last allowed attempt means the job keeps killing its
    // worker (or the machine): give up on it, with a refund, instead of running it again.
    let exhausted: Vec<JobId> = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE status = 'running' AND lease_until < $1 AND attempts >= $2",
    )
    .bind(now)
    .bind(i64::from(claim.max_attempts))
    .fetch_all(&mut *conn)
    .await?;
    for id in exhausted {
        let error = "gave up after repeated interruptions";
        fail_in(conn, id, None, error, now).await?;
    }
    let lease_until = now.plus(claim.lease);
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $1,
                         lease_until = $2, error = NULL, updated_at = $3,
                         started_at = COALESCE(started_at, $3)
         WHERE id = (
             SELECT c.id FROM (
                 SELECT j.id, j.user_id, j.seq,
                        ROW_NUMBER() OVER (PARTITION BY j.user_id ORDER BY j.seq) AS turn
                 FROM jobs j
                 WHERE ((j.status = 'queued' AND j.run_after <= $3)
                        OR (j.status = 'running' AND j.lease_until < $3))
                   -- Restricted (paused at the user's request), suspended and banned
                   -- accounts keep their queued jobs but nothing of theirs runs.
                   AND j.user_id IN (SELECT id FROM users
                                     WHERE status = 'active' AND NOT processing_paused)
             ) c
             WHERE (SELECT COUNT(*) FROM jobs r
                    WHERE r.user_id = c.user_id AND r.status = 'running'
                      AND r.lease_until >= $3) < $4
             ORDER BY c.turn, c.seq
             LIMIT 1)
         RETURNING {JOB_COLUMNS}"
    ));
    let row = sqlx::query(sql)
        .bind(&claim.worker)
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(claim.per_user_concurrency))
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(job_from_row).transpose()
}
