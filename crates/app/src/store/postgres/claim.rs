//! Claiming the next job on PostgreSQL, the same semantics as the SQLite claim: fair order
//! (each user's n-th runnable job takes turn n, ties by arrival), only active accounts, a
//! per-user cap on running jobs, expired leases reclaimed, and a job whose lease ran out on
//! its last attempt failed with a refund.
//!
//! Many workers claim at once without a global lock: `FOR UPDATE SKIP LOCKED` hands each
//! worker a different job. The per-user cap is then rechecked under a per-user advisory
//! lock (held to commit), because two workers may lock two jobs of the same user at once;
//! the loser leaves that user out and looks again.

use sqlx::PgConnection;
use uuid::Uuid;

use super::backend::{JOB_COLUMNS, fail_in, job_from_row};
use crate::domain::{JobId, Timestamp};
use crate::store::{Claim, Job, StoreResult};

/// How many users over their cap one claim steps past before it reports nothing to do.
const MAX_SKIPPED_USERS: usize = 16;

pub(in crate::store) async fn claim_in(
    conn: &mut PgConnection,
    claim: &Claim,
    now: Timestamp,
) -> StoreResult<Option<Job>> {
    give_up_exhausted(conn, claim, now).await?;
    let cap = i64::from(claim.per_user_concurrency);
    let mut skipped: Vec<Uuid> = Vec::new();
    while skipped.len() <= MAX_SKIPPED_USERS {
        let candidate: Option<(Uuid, Uuid)> = sqlx::query_as(
            "WITH ranked AS (
                 SELECT j.id, j.seq,
                        ROW_NUMBER() OVER (PARTITION BY j.user_id ORDER BY j.seq) AS turn
                 FROM jobs j JOIN users u ON u.id = j.user_id
                 WHERE ((j.status = 'queued' AND j.run_after <= $1)
                        OR (j.status = 'running' AND j.lease_until < $1))
                   -- Restricted (paused at the user's request), suspended and banned
                   -- accounts keep their queued jobs but nothing of theirs runs.
                   AND u.status = 'active'
                   AND NOT u.processing_paused
                   AND NOT (j.user_id = ANY($3)))
             SELECT j.id, j.user_id FROM jobs j JOIN ranked c ON c.id = j.id
             WHERE ((j.status = 'queued' AND j.run_after <= $1)
                    OR (j.status = 'running' AND j.lease_until < $1))
               AND (SELECT COUNT(*) FROM jobs r
                    WHERE r.user_id = j.user_id AND r.status = 'running'
                      AND r.lease_until >= $1) < $2
             ORDER BY c.turn, c.seq
             LIMIT 1
             FOR UPDATE OF j SKIP LOCKED",
        )
        .bind(now)
        .bind(cap)
        .bind(&skipped)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((job, user)) = candidate else {
            return Ok(None);
        };
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 1))")
            .bind(user.to_string())
            .execute(&mut *conn)
            .await?;
        // A new statement sees every claim committed before the lock was ours.
        let running: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs
             WHERE user_id = $1 AND status = 'running' AND lease_until >= $2",
        )
        .bind(user)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        if running >= cap {
            skipped.push(user);
            continue;
        }
        let lease_until = now.plus(claim.lease);
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $1,
                             lease_until = $2, error = NULL, updated_at = $3,
                             started_at = COALESCE(started_at, $3)
             WHERE id = $4
             RETURNING {JOB_COLUMNS}"
        ));
        let row = sqlx::query(sql)
            .bind(&claim.worker)
            .bind(lease_until)
            .bind(now)
            .bind(job)
            .fetch_one(&mut *conn)
            .await?;
        return job_from_row(&row).map(Some);
    }
    Ok(None)
}

/// A lease that ran out on the last allowed attempt means the job keeps killing its worker
/// (or the machine): give up on it, with a refund, instead of running it again. Jobs another
/// claimer holds are left to it.
async fn give_up_exhausted(
    conn: &mut PgConnection,
    claim: &Claim,
    now: Timestamp,
) -> StoreResult<()> {
    let exhausted: Vec<JobId> = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE status = 'running' AND lease_until < $1 AND attempts >= $2
         ORDER BY seq FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .bind(i64::from(claim.max_attempts))
    .fetch_all(&mut *conn)
    .await?;
    for id in exhausted {
        let error = "gave up after repeated interruptions";
        fail_in(conn, id, None, error, now).await?;
    }
    Ok(())
}
