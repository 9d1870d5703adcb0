//! The job queue (C7): the owner's calls (as the app role on PostgreSQL), the workers' as the
//! system. Claiming differs per back-end (`sqlite/claim.rs`, `postgres/claim.rs`). Enqueues
//! and ended jobs wake idle workers: on PostgreSQL by `NOTIFY` inside the transaction, on
//! SQLite by this process's watch channel once committed.

use async_trait::async_trait;
use tokio::sync::watch;

use super::{each_backend, get, get_u32};
use crate::domain::{JobId, ResultId, Timestamp, UserScope};
use crate::store::{
    Claim, Job, JobStatus, JobStore, JobView, NewJob, ResultRecord, StoreError, StoreResult,
};

each_backend! {
    pub(in crate::store) const JOB_COLUMNS: &str = "id, user_id, upload_id, style, intensity, seed, cost, status, attempts, progress, error, result_id, created_at, prompt";

    pub(in crate::store) fn job_from_row(row: &DbRow) -> StoreResult<Job> {
        let status: String = get(row, "status")?;
        let seed: i64 = get(row, "seed")?;
        Ok(Job {
            id: get(row, "id")?,
            user_id: get(row, "user_id")?,
            upload_id: get(row, "upload_id")?,
            style: get(row, "style")?,
            intensity: get(row, "intensity")?,
            seed: u64::from_ne_bytes(seed.to_ne_bytes()),
            cost: get_u32(row, "cost")?,
            status: JobStatus::parse(&status)
                .ok_or_else(|| StoreError::Internal(format!("job status {status}").into()))?,
            attempts: get_u32(row, "attempts")?,
            progress: get(row, "progress")?,
            error: get(row, "error")?,
            result_id: get(row, "result_id")?,
            created_at: get(row, "created_at")?,
            prompt: get(row, "prompt")?,
        })
    }

    /// The job, locked for the rest of the caller's transaction.
    async fn lock_job(conn: &mut DbConn, id: JobId) -> StoreResult<(Job, Option<String>)> {
        let lock = dialect("", " FOR UPDATE");
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS}, lease_owner FROM jobs WHERE id = $1{lock}"
        ));
        let row = sqlx::query(sql).bind(id).fetch_one(conn).await?;
        Ok((job_from_row(&row)?, get(&row, "lease_owner")?))
    }

    /// Marks a job failed and refunds it in the caller's transaction; `false` if it had already
    /// ended (or, with `worker`, if that worker no longer holds the lease).
    pub(in crate::store) async fn fail_in(
        conn: &mut DbConn,
        id: JobId,
        worker: Option<&str>,
        error: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET status = 'failed', error = $1, lease_owner = NULL, lease_until = NULL,
                             updated_at = $2
             WHERE id = $3 AND status IN ('queued', 'running')
               AND (CAST($4 AS TEXT) IS NULL OR lease_owner = $4)",
        )
        .bind(error)
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        refund_in(conn, id, now).await?;
        Ok(true)
    }

    #[async_trait]
    impl JobStore for Db {
        async fn enqueue_job(
            &self,
            scope: UserScope,
            job: NewJob,
            now: Timestamp,
        ) -> StoreResult<Job> {
            let mut tx = self.user_write(scope).await?;
            spend_in(&mut tx, scope.user_id(), job.cost, job.id, now).await?;
            // The arrival order: an identity column on PostgreSQL; on SQLite the next number,
            // taken under the write lock.
            let (seq, next) = dialect(
                (", seq", ", (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs)"),
                ("", ""),
            );
            let sql = sqlx::AssertSqlSafe(format!(
                "INSERT INTO jobs (id{seq}, user_id, upload_id, style, intensity, seed, cost, status,
                                   run_after, created_at, updated_at, prompt)
                 VALUES ($1{next}, $2, $3, $4, $5, $6, $7, 'queued', $8, $8, $8, $9)
                 RETURNING {JOB_COLUMNS}"
            ));
            let row = sqlx::query(sql)
                .bind(job.id)
                .bind(scope.user_id())
                .bind(job.upload_id)
                .bind(&job.style)
                .bind(job.intensity)
                .bind(i64::from_ne_bytes(job.seed.to_ne_bytes()))
                .bind(i64::from(job.cost))
                .bind(now)
                .bind(job.prompt.as_deref())
                .fetch_one(&mut *tx)
                .await?;
            notify_workers(&mut tx).await?;
            tx.commit().await?;
            self.wake_workers();
            job_from_row(&row)
        }

        async fn job(&self, scope: UserScope, id: JobId) -> StoreResult<Option<JobView>> {
            let mut tx = self.user_read(scope).await?;
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 AND user_id = $2"
            ));
            let row = sqlx::query(sql)
                .bind(id)
                .bind(scope.user_id())
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
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
                .bind(id)
                .fetch_one(self.read_pool())
                .await?;
                Some(position)
            } else {
                None
            };
            Ok(Some(JobView {
                job,
                queue_position,
            }))
        }

        async fn cancel_job(
            &self,
            scope: UserScope,
            id: JobId,
            now: Timestamp,
        ) -> StoreResult<Job> {
            let mut tx = self.user_write(scope).await?;
            let sql = sqlx::AssertSqlSafe(format!(
                "UPDATE jobs SET status = 'canceled', updated_at = $1
                 WHERE id = $2 AND user_id = $3 AND status = 'queued'
                 RETURNING {JOB_COLUMNS}"
            ));
            let row = sqlx::query(sql)
                .bind(now)
                .bind(id)
                .bind(scope.user_id())
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                let owned: Option<i32> =
                    sqlx::query_scalar("SELECT 1 FROM jobs WHERE id = $1 AND user_id = $2")
                        .bind(id)
                        .bind(scope.user_id())
                        .fetch_optional(&mut *tx)
                        .await?;
                return Err(if owned.is_some() {
                    StoreError::WrongState
                } else {
                    StoreError::NotFound
                });
            };
            refund_in(&mut tx, id, now).await?;
            tx.commit().await?;
            job_from_row(&row)
        }

        async fn claim_next_job(&self, claim: &Claim, now: Timestamp) -> StoreResult<Option<Job>> {
            let mut tx = self.system_write().await?;
            let job = claim_in(&mut tx, claim, now).await?;
            tx.commit().await?;
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
            .bind(lease_until)
            .bind(progress.clamp(0.0, 1.0))
            .bind(id)
            .bind(worker)
            .execute(self.write_pool())
            .await?;
            Ok(done.rows_affected() == 1)
        }

        async fn complete_job(
            &self,
            id: JobId,
            worker: &str,
            result: &ResultRecord,
            now: Timestamp,
        ) -> StoreResult<ResultId> {
            let mut tx = self.system_write().await?;
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
            .bind(result.id)
            .bind(id)
            .bind(job.user_id)
            .bind(&result.blob_key)
            .bind(i64::from(result.width))
            .bind(i64::from(result.height))
            .bind(result.created_at)
            .bind(result.expires_at)
            .execute(&mut *tx)
            .await?;
            let result_id: ResultId =
                sqlx::query_scalar("SELECT id FROM results WHERE job_id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            sqlx::query(
                "UPDATE jobs SET status = 'succeeded', progress = 1, result_id = $1, lease_owner = NULL,
                                 lease_until = NULL, updated_at = $2
                 WHERE id = $3",
            )
            .bind(result_id)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            notify_workers(&mut tx).await?;
            tx.commit().await?;
            self.wake_workers();
            Ok(result_id)
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
            .bind(run_after)
            .bind(id)
            .bind(worker)
            .execute(self.write_pool())
            .await?;
            Ok(())
        }

        async fn fail_job(
            &self,
            id: JobId,
            worker: Option<&str>,
            error: &str,
            now: Timestamp,
        ) -> StoreResult<()> {
            let mut tx = self.system_write().await?;
            let failed = fail_in(&mut tx, id, worker, error, now).await?;
            if failed {
                notify_workers(&mut tx).await?;
            }
            tx.commit().await?;
            if failed {
                self.wake_workers();
            }
            Ok(())
        }

        async fn queue_depth(&self) -> StoreResult<i64> {
            Ok(
                sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'queued'")
                    .fetch_one(self.read_pool())
                    .await?,
            )
        }

        async fn jobs_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Job>> {
            let mut tx = self.user_read(scope).await?;
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE user_id = $1 ORDER BY seq DESC LIMIT $2"
            ));
            let rows = sqlx::query(sql)
                .bind(scope.user_id())
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            rows.iter().map(job_from_row).collect()
        }

        fn job_wakeups(&self) -> Option<watch::Receiver<()>> {
            Some(self.wakeups())
        }
    }
}
