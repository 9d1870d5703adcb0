//! The job queue on PostgreSQL (C7): the owner's calls as the app role, the workers' as the
//! system role. Claiming lives in `claim.rs`. Enqueues and ended jobs `NOTIFY` idle workers.

use async_trait::async_trait;
use sqlx::PgConnection;
use sqlx::postgres::PgRow;
use tokio::sync::watch;
use uuid::Uuid;

use super::ledger::{refund_in, spend_in};
use super::{PgStore, get, get_id, get_opt_id, get_time, get_u32, int, internal, wake};
use crate::domain::{JobId, ResultId, Timestamp, UserScope};
use crate::store::{
    Claim, Job, JobStatus, JobStore, JobView, NewJob, ResultRecord, StoreError, StoreResult,
};

pub(super) const JOB_COLUMNS: &str = "id, user_id, upload_id, style, intensity, seed, cost, status, attempts, progress, error, result_id, created_at, prompt";

pub(super) fn job_from_row(row: &PgRow) -> StoreResult<Job> {
    let status: String = get(row, "status")?;
    let seed: i64 = get(row, "seed")?;
    Ok(Job {
        id: get_id(row, "id")?,
        user_id: get_id(row, "user_id")?,
        upload_id: get_opt_id(row, "upload_id")?,
        style: get(row, "style")?,
        intensity: get(row, "intensity")?,
        seed: u64::from_ne_bytes(seed.to_ne_bytes()),
        cost: get_u32(row, "cost")?,
        status: JobStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("job status {status}").into()))?,
        attempts: get_u32(row, "attempts")?,
        progress: get(row, "progress")?,
        error: get(row, "error")?,
        result_id: get_opt_id(row, "result_id")?,
        created_at: get_time(row, "created_at")?,
        prompt: get(row, "prompt")?,
    })
}

/// The job, locked for the rest of the caller's transaction.
async fn lock_job(conn: &mut PgConnection, id: JobId) -> StoreResult<(Job, Option<String>)> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS}, lease_owner FROM jobs WHERE id = $1 FOR UPDATE"
    ));
    let row = sqlx::query(sql)
        .bind(id.as_uuid())
        .fetch_one(conn)
        .await
        .map_err(internal)?;
    Ok((job_from_row(&row)?, get(&row, "lease_owner")?))
}

/// Marks a job failed and refunds it in the caller's transaction; `false` if it had already
/// ended (or, with `worker`, if that worker no longer holds the lease).
pub(super) async fn fail_in(
    conn: &mut PgConnection,
    id: JobId,
    worker: Option<&str>,
    error: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'failed', error = $1, lease_owner = NULL, lease_until = NULL,
                         updated_at = $2
         WHERE id = $3 AND status IN ('queued', 'running')
           AND ($4::text IS NULL OR lease_owner = $4)",
    )
    .bind(error)
    .bind(now.millis())
    .bind(id.as_uuid())
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
impl JobStore for PgStore {
    async fn enqueue_job(&self, scope: UserScope, job: NewJob, now: Timestamp) -> StoreResult<Job> {
        let mut tx = self.scoped(scope).await?;
        spend_in(&mut tx, scope.user_id(), job.cost, job.id, now).await?;
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO jobs (id, user_id, upload_id, style, intensity, seed, cost, status,
                               run_after, created_at, updated_at, prompt)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8, $8, $9)
             RETURNING {JOB_COLUMNS}"
        ));
        let row = sqlx::query(sql)
            .bind(job.id.as_uuid())
            .bind(scope.user_id().as_uuid())
            .bind(job.upload_id.map(|u| u.as_uuid()))
            .bind(&job.style)
            .bind(job.intensity)
            .bind(i64::from_ne_bytes(job.seed.to_ne_bytes()))
            .bind(int(job.cost)?)
            .bind(now.millis())
            .bind(job.prompt.as_deref())
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
        wake::notify(&mut tx).await?;
        tx.commit().await.map_err(internal)?;
        job_from_row(&row)
    }

    async fn job(&self, scope: UserScope, id: JobId) -> StoreResult<Option<JobView>> {
        let mut tx = self.scoped(scope).await?;
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 AND user_id = $2"
        ));
        let row = sqlx::query(sql)
            .bind(id.as_uuid())
            .bind(scope.user_id().as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        let Some(row) = row else { return Ok(None) };
        let job = job_from_row(&row)?;
        let queue_position = if job.status == JobStatus::Queued {
            // The place in line counts everyone's jobs, which the app role cannot see: the
            // system role answers with one number, after the owner's read above proved the
            // job theirs. Same order as the claim: each user's n-th queued job takes turn n.
            let position: i64 = sqlx::query_scalar(
                "WITH ranked AS (
                     SELECT id, seq,
                            ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY seq) AS turn
                     FROM jobs WHERE status = 'queued')
                 SELECT COUNT(*) + 1 FROM ranked r, ranked me
                 WHERE me.id = $1 AND (r.turn, r.seq) < (me.turn, me.seq)",
            )
            .bind(id.as_uuid())
            .fetch_one(&self.system)
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
        let mut tx = self.scoped(scope).await?;
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET status = 'canceled', updated_at = $1
             WHERE id = $2 AND user_id = $3 AND status = 'queued'
             RETURNING {JOB_COLUMNS}"
        ));
        let row = sqlx::query(sql)
            .bind(now.millis())
            .bind(id.as_uuid())
            .bind(scope.user_id().as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        let Some(row) = row else {
            let owned: Option<i32> =
                sqlx::query_scalar("SELECT 1 FROM jobs WHERE id = $1 AND user_id = $2")
                    .bind(id.as_uuid())
                    .bind(scope.user_id().as_uuid())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(internal)?;
            return Err(if owned.is_some() {
                StoreError::WrongState
            } else {
                StoreError::NotFound
            });
        };
        refund_in(&mut tx, id, now).await?;
        tx.commit().await.map_err(internal)?;
        job_from_row(&row)
    }

    async fn claim_next_job(&self, claim: &Claim, now: Timestamp) -> StoreResult<Option<Job>> {
        let mut tx = self.system_tx().await?;
        let job = super::claim::claim_in(&mut tx, claim, now).await?;
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
            "UPDATE jobs SET lease_until = $1, progress = $2
             WHERE id = $3 AND status = 'running' AND lease_owner = $4",
        )
        .bind(lease_until.millis())
        .bind(progress.clamp(0.0, 1.0))
        .bind(id.as_uuid())
        .bind(worker)
        .execute(&self.system)
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
        let mut tx = self.system_tx().await?;
        let (job, owner) = lock_job(&mut tx, id).await?;
        if job.status == JobStatus::Succeeded {
            return job.result_id.ok_or(StoreError::WrongState);
        }
        if job.status != JobStatus::Running || owner.as_deref() != Some(worker) {
            return Err(StoreError::WrongState);
        }
        sqlx::query(
            "INSERT INTO results (id, job_id, user_id, blob_key, width, height, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (job_id) DO NOTHING",
        )
        .bind(result.id.as_uuid())
        .bind(id.as_uuid())
        .bind(job.user_id.as_uuid())
        .bind(&result.blob_key)
        .bind(int(result.width)?)
        .bind(int(result.height)?)
        .bind(result.created_at.millis())
        .bind(result.expires_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let result_id: Uuid = sqlx::query_scalar("SELECT id FROM results WHERE job_id = $1")
            .bind(id.as_uuid())
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
        sqlx::query(
            "UPDATE jobs SET status = 'succeeded', progress = 1, result_id = $1, lease_owner = NULL,
                             lease_until = NULL, updated_at = $2
             WHERE id = $3",
        )
        .bind(result_id)
        .bind(now.millis())
        .bind(id.as_uuid())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        wake::notify(&mut tx).await?;
        tx.commit().await.map_err(internal)?;
        Ok(ResultId::from(result_id))
    }

    async fn retry_job(
        &self,
        id: JobId,
        worker: &str,
        error: &str,
        run_after: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET status = 'queued', error = $1, run_after = $2, lease_owner = NULL,
                             lease_until = NULL
             WHERE id = $3 AND status = 'running' AND lease_owner = $4",
        )
        .bind(error)
        .bind(run_after.millis())
        .bind(id.as_uuid())
        .bind(worker)
        .execute(&self.system)
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
        let mut tx = self.system_tx().await?;
        if fail_in(&mut tx, id, worker, error, now).await? {
            wake::notify(&mut tx).await?;
        }
        tx.commit().await.map_err(internal)
    }

    async fn queue_depth(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'queued'")
            .fetch_one(&self.system)
            .await
            .map_err(internal)
    }

    async fn jobs_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Job>> {
        let mut tx = self.scoped(scope).await?;
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE user_id = $1 ORDER BY seq DESC LIMIT $2"
        ));
        let rows = sqlx::query(sql)
            .bind(scope.user_id().as_uuid())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        rows.iter().map(job_from_row).collect()
    }

    fn job_wakeups(&self) -> Option<watch::Receiver<()>> {
        Some(self.wake.subscribe())
    }
}
