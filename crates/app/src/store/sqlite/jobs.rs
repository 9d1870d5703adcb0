//! The job queue on SQLite (C7). A claim is one `UPDATE … WHERE id = (SELECT … fair order
//! … LIMIT 1) RETURNING` inside a `BEGIN IMMEDIATE` transaction: SQLite's stand-in for
//! PostgreSQL's `FOR UPDATE SKIP LOCKED`.

use async_trait::async_trait;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use tokio::sync::watch;

use super::tokens::{refund_in, spend_in};
use super::{SqliteStore, get, get_id, get_opt_id, get_time, get_u32, internal};
use crate::domain::{JobId, ResultId, Timestamp, UserScope};
use crate::store::{
    Claim, Job, JobStatus, JobStore, JobView, NewJob, ResultRecord, StoreError, StoreResult,
};

pub(super) const JOB_COLUMNS: &str = "id, user_id, upload_id, style, intensity, seed, cost, status, attempts, progress, error, result_id, created_at, prompt";

pub(super) fn job_from_row(row: &SqliteRow) -> StoreResult<Job> {
    let status: String = get(row, "status")?;
    let seed: i64 = get(row, "seed")?;
    let intensity: f64 = get(row, "intensity")?;
    let progress: f64 = get(row, "progress")?;
    Ok(Job {
        id: get_id(row, "id")?,
        user_id: get_id(row, "user_id")?,
        upload_id: get_opt_id(row, "upload_id")?,
        style: get(row, "style")?,
        #[allow(clippy::cast_possible_truncation)] // stored from an f32
        intensity: intensity as f32,
        seed: u64::from_ne_bytes(seed.to_ne_bytes()),
        cost: get_u32(row, "cost")?,
        status: JobStatus::parse(&status).ok_or_else(|| StoreError::Internal(format!("job status {status}").into()))?,
        attempts: get_u32(row, "attempts")?,
        #[allow(clippy::cast_possible_truncation)] // a fraction in 0..=1
        progress: progress as f32,
        error: get(row, "error")?,
        result_id: get_opt_id(row, "result_id")?,
        created_at: get_time(row, "created_at")?,
        prompt: get(row, "prompt")?,
    })
}

async fn fetch_job(conn: &mut SqliteConnection, id: JobId) -> StoreResult<Job> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"));
    let row = sqlx::query(sql)
        .bind(id.to_string())
        .fetch_one(conn)
        .await
        .map_err(internal)?;
    job_from_row(&row)
}

/// Marks a job failed and refunds it in the caller's transaction; `false` if it had already
/// ended (or, with `worker`, if that worker no longer holds the lease).
async fn fail_in(
    conn: &mut SqliteConnection,
    id: JobId,
    worker: Option<&str>,
    error: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'failed', error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
         WHERE id = ? AND status IN ('queued', 'running') AND (? IS NULL OR lease_owner = ?)",
    )
    .bind(error)
    .bind(now.millis())
    .bind(id.to_string())
    .bind(worker)
    .bind(worker)
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    refund_in(conn, id, now).await?;
    Ok(true)
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn enqueue_job(&self, scope: UserScope, job: NewJob, now: Timestamp) -> StoreResult<Job> {
        let mut tx = self.write().await?;
        spend_in(&mut tx, scope.user_id(), job.cost, job.id, now).await?;
        sqlx::query(
            "INSERT INTO jobs (id, seq, user_id, upload_id, style, intensity, seed, cost, status, run_after, created_at, updated_at, prompt)
             VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
        )
        .bind(job.id.to_string())
        .bind(scope.user_id().to_string())
        .bind(job.upload_id.map(|u| u.to_string()))
        .bind(&job.style)
        .bind(f64::from(job.intensity))
        .bind(i64::from_ne_bytes(job.seed.to_ne_bytes()))
        .bind(i64::from(job.cost))
        .bind(now.millis())
        .bind(now.millis())
        .bind(now.millis())
        .bind(job.prompt.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let inserted = fetch_job(&mut tx, job.id).await?;
        tx.commit().await.map_err(internal)?;
        self.wake.send_replace(());
        Ok(inserted)
    }

    async fn job(&self, scope: UserScope, id: JobId) -> StoreResult<Option<JobView>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE id = ? AND user_id = ?"
        ));
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(internal)?;
        let Some(row) = row else { return Ok(None) };
        let job = job_from_row(&row)?;
        let queue_position = if job.status == JobStatus::Queued {
            // Same order as the claim: each user's n-th queued job takes turn n.
            let position: i64 = sqlx::query_scalar(
                "WITH ranked AS (
                     SELECT id, seq,
                            ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY seq) AS turn
                     FROM jobs WHERE status = 'queued')
                 SELECT COUNT(*) + 1 FROM ranked r, ranked me
                 WHERE me.id = ? AND (r.turn, r.seq) < (me.turn, me.seq)",
            )
            .bind(id.to_string())
            .fetch_one(&self.reader)
            .await
            .map_err(internal)?;
            Some(position)
        } else {
            None
        };
        Ok(Some(JobView {
            job,
            queue_position,
        }))
    }

    async fn cancel_job(&self, scope: UserScope, id: JobId, now: Timestamp) -> StoreResult<Job> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE jobs SET status = 'canceled', updated_at = ? WHERE id = ? AND user_id = ? AND status = 'queued'",
        )
        .bind(now.millis())
        .bind(id.to_string())
        .bind(scope.user_id().to_string())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        if done.rows_affected() == 0 {
            let owned: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM jobs WHERE id = ? AND user_id = ?")
                    .bind(id.to_string())
                    .bind(scope.user_id().to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(internal)?;
            return Err(if owned.is_some() {
                StoreError::WrongState
            } else {
                StoreError::NotFound
            });
        }
        refund_in(&mut tx, id, now).await?;
        let job = fetch_job(&mut tx, id).await?;
        tx.commit().await.map_err(internal)?;
        Ok(job)
    }

    async fn claim_next_job(&self, claim: &Claim, now: Timestamp) -> StoreResult<Option<Job>> {
        let mut tx = self.write().await?;
        // A lease that ran out on the last allowed attempt means the job keeps killing its
        // worker (or the machine): give up on it, with a refund, instead of running it again.
        let exhausted: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE status = 'running' AND lease_until < ? AND attempts >= ?",
        )
        .bind(now.millis())
        .bind(i64::from(claim.max_attempts))
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        for id in exhausted {
            let id: JobId = id.parse().map_err(|e| StoreError::Internal(Box::new(e)))?;
            fail_in(
                &mut tx,
                id,
                None,
                "gave up after repeated interruptions",
                now,
            )
            .await?;
        }
        let lease_until = now.plus(claim.lease);
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = ?1, lease_until = ?2,
                             error = NULL, updated_at = ?3, started_at = COALESCE(started_at, ?3)
             WHERE id = (
                 SELECT c.id FROM (
                     SELECT j.id, j.user_id, j.seq,
                            ROW_NUMBER() OVER (PARTITION BY j.user_id ORDER BY j.seq) AS turn
                     FROM jobs j
                     WHERE ((j.status = 'queued' AND j.run_after <= ?3)
                            OR (j.status = 'running' AND j.lease_until < ?3))
                       -- Restricted (paused at the user's request), suspended and banned
                       -- accounts keep their queued jobs but nothing of theirs runs.
                       AND j.user_id IN (SELECT id FROM users WHERE status = 'active' AND NOT processing_paused)
                 ) c
                 WHERE (SELECT COUNT(*) FROM jobs r
                        WHERE r.user_id = c.user_id AND r.status = 'running' AND r.lease_until >= ?3) < ?4
                 ORDER BY c.turn, c.seq
                 LIMIT 1)
             RETURNING {JOB_COLUMNS}"
        ));
        let row = sqlx::query(sql)
            .bind(&claim.worker)
            .bind(lease_until.millis())
            .bind(now.millis())
            .bind(i64::from(claim.per_user_concurrency))
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        let job = row.as_ref().map(job_from_row).transpose()?;
        tx.commit().await.map_err(internal)?;
        Ok(job)
    }

    async fn heartbeat_job(
        &self,
        id: JobId,
        worker: &str,
        progress: f32,
        lease_until: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET lease_until = ?, progress = ? WHERE id = ? AND status = 'running' AND lease_owner = ?",
        )
        .bind(lease_until.millis())
        .bind(f64::from(progress.clamp(0.0, 1.0)))
        .bind(id.to_string())
        .bind(worker)
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(done.rows_affected() == 1)
    }

    async fn complete_job(
        &self,
        id: JobId,
        worker: &str,
        result: &ResultRecord,
        now: Timestamp,
    ) -> StoreResult<ResultId> {
        let mut tx = self.write().await?;
        let job = fetch_job(&mut tx, id).await?;
        if job.status == JobStatus::Succeeded {
            return job.result_id.ok_or(StoreError::WrongState);
        }
        let owner: Option<String> = sqlx::query_scalar("SELECT lease_owner FROM jobs WHERE id = ?")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
        if job.status != JobStatus::Running || owner.as_deref() != Some(worker) {
            return Err(StoreError::WrongState);
        }
        sqlx::query(
            "INSERT INTO results (id, job_id, user_id, blob_key, width, height, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING",
        )
        .bind(result.id.to_string())
        .bind(id.to_string())
        .bind(job.user_id.to_string())
        .bind(&result.blob_key)
        .bind(i64::from(result.width))
        .bind(i64::from(result.height))
        .bind(result.created_at.millis())
        .bind(result.expires_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let result_id: String = sqlx::query_scalar("SELECT id FROM results WHERE job_id = ?")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
        sqlx::query(
            "UPDATE jobs SET status = 'succeeded', progress = 1, result_id = ?, lease_owner = NULL, lease_until = NULL,
                             updated_at = ? WHERE id = ?",
        )
        .bind(&result_id)
        .bind(now.millis())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        self.wake.send_replace(());
        result_id
            .parse()
            .map_err(|e| StoreError::Internal(Box::new(e)))
    }

    async fn retry_job(
        &self,
        id: JobId,
        worker: &str,
        error: &str,
        run_after: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET status = 'queued', error = ?, run_after = ?, lease_owner = NULL, lease_until = NULL
             WHERE id = ? AND status = 'running' AND lease_owner = ?",
        )
        .bind(error)
        .bind(run_after.millis())
        .bind(id.to_string())
        .bind(worker)
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn fail_job(
        &self,
        id: JobId,
        worker: Option<&str>,
        error: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let failed = fail_in(&mut tx, id, worker, error, now).await?;
        tx.commit().await.map_err(internal)?;
        if failed {
            self.wake.send_replace(());
        }
        Ok(())
    }

    async fn queue_depth(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'queued'")
            .fetch_one(&self.reader)
            .await
            .map_err(internal)
    }

    async fn jobs_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Job>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE user_id = ? ORDER BY seq DESC LIMIT ?"
        ));
        let rows = sqlx::query(sql)
            .bind(scope.user_id().to_string())
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await
            .map_err(internal)?;
        rows.iter().map(job_from_row).collect()
    }

    fn job_wakeups(&self) -> Option<watch::Receiver<()>> {
        Some(self.wake.subscribe())
    }
}
