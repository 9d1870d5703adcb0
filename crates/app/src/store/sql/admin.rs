//! The admin console's reads across accounts and the sweeper's run log (as the system role on
//! PostgreSQL).

use async_trait::async_trait;

use super::{each_backend, from_row, get};
use crate::domain::{JobId, Role, Timestamp, UserId};
use crate::store::{
    AccountStatus, AdminJob, AdminStore, DAY_MS, DayCount, Job, JobStatus, QueueLatency, QueueNow,
    StoreError, StoreResult, StyleOutcome, SweepRun, TokenFlow, UserSummary, latency_per_day,
};

each_backend! {
    const USER_COLUMNS: &str = "u.id, u.email, u.role, u.status, u.created_at,
        COALESCE((SELECT SUM(l.remaining) FROM token_lots l
                  WHERE l.user_id = u.id AND l.expires_at > $1), 0) AS balance";

    const ADMIN_JOB_COLUMNS: &str = "j.id, j.user_id, u.email, j.style, j.status, j.error,
        j.started_at, j.lease_owner, j.updated_at";

    fn status_of(row: &DbRow) -> StoreResult<JobStatus> {
        let text: String = get(row, "status")?;
        JobStatus::parse(&text)
            .ok_or_else(|| StoreError::Internal(format!("job status {text}").into()))
    }

    fn user_from_row(row: &DbRow) -> StoreResult<UserSummary> {
        let status: String = get(row, "status")?;
        Ok(UserSummary {
            id: get(row, "id")?,
            email: get(row, "email")?,
            role: Role::parse(&get::<String, _>(row, "role")?),
            status: AccountStatus::parse(&status)
                .ok_or_else(|| StoreError::Internal(format!("account status {status}").into()))?,
            created_at: get(row, "created_at")?,
            balance: get(row, "balance")?,
        })
    }

    impl Db {
        async fn admin_jobs(
            &self,
            status: JobStatus,
            order: &str,
            limit: u32,
        ) -> StoreResult<Vec<AdminJob>> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {ADMIN_JOB_COLUMNS} FROM jobs j JOIN users u ON u.id = j.user_id
                 WHERE j.status = $1 ORDER BY {order} LIMIT $2"
            ));
            let rows = sqlx::query(sql)
                .bind(status.as_str())
                .bind(i64::from(limit))
                .fetch_all(self.read_pool())
                .await?;
            rows.iter().map(from_row).collect()
        }
    }

    #[async_trait]
    impl AdminStore for Db {
        async fn signups_per_day(&self, since: Timestamp) -> StoreResult<Vec<DayCount>> {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT created_at / $1 AS day, COUNT(*) FROM users WHERE created_at >= $2
                 GROUP BY day ORDER BY day",
            )
            .bind(DAY_MS)
            .bind(since)
            .fetch_all(self.read_pool())
            .await?;
            Ok(rows
                .into_iter()
                .map(|(day, count)| DayCount { day, count })
                .collect())
        }

        async fn jobs_by_style(&self, since: Timestamp) -> StoreResult<Vec<StyleOutcome>> {
            let rows = sqlx::query(
                "SELECT style, status, COUNT(*) AS n FROM jobs WHERE created_at >= $1
                 GROUP BY style, status ORDER BY style, status",
            )
            .bind(since)
            .fetch_all(self.read_pool())
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(StyleOutcome {
                        style: get(row, "style")?,
                        status: status_of(row)?,
                        count: get(row, "n")?,
                    })
                })
                .collect()
        }

        async fn token_flow_per_day(&self, since: Timestamp) -> StoreResult<Vec<TokenFlow>> {
            let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
                "SELECT e.created_at / $1 AS day,
                        COALESCE(SUM(CASE WHEN e.kind = 'grant' AND t.source LIKE 'purchase:%'
                                          THEN e.amount ELSE 0 END), 0),
                        COALESCE(SUM(CASE WHEN e.kind = 'spend' THEN e.amount
                                          WHEN e.kind = 'refund' THEN -e.amount ELSE 0 END), 0)
                 FROM token_ledger e LEFT JOIN token_lots t ON t.id = e.lot_id
                 WHERE e.created_at >= $2 AND e.kind IN ('grant', 'spend', 'refund')
                 GROUP BY day ORDER BY day",
            )
            .bind(DAY_MS)
            .bind(since)
            .fetch_all(self.read_pool())
            .await?;
            Ok(rows
                .into_iter()
                .map(|(day, sold, spent)| TokenFlow { day, sold, spent })
                .collect())
        }

        async fn queue_latency_per_day(&self, since: Timestamp) -> StoreResult<Vec<QueueLatency>> {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT started_at / $1, started_at - created_at FROM jobs WHERE started_at >= $2",
            )
            .bind(DAY_MS)
            .bind(since)
            .fetch_all(self.read_pool())
            .await?;
            Ok(latency_per_day(rows))
        }

        async fn queue_now(&self) -> StoreResult<QueueNow> {
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT status, COUNT(*) FROM jobs WHERE status IN ('queued', 'running')
                 GROUP BY status",
            )
            .fetch_all(self.read_pool())
            .await?;
            let count = |status: &str| {
                rows.iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n)
            };
            Ok(QueueNow {
                queued: count("queued"),
                running: count("running"),
            })
        }

        async fn record_sweep_run(&self, run: &SweepRun, keep: u32) -> StoreResult<()> {
            let removed = serde_json::to_string(&run.removed)
                .map_err(|e| StoreError::Internal(Box::new(e)))?;
            let mut tx = self.system_write().await?;
            sqlx::query(
                "INSERT INTO sweeper_runs (started_at, finished_at, removed, error)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(run.started_at)
            .bind(run.finished_at)
            .bind(removed)
            .bind(run.error.as_deref())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM sweeper_runs
                 WHERE id NOT IN (SELECT id FROM sweeper_runs ORDER BY id DESC LIMIT $1)",
            )
            .bind(i64::from(keep))
            .execute(&mut *tx)
            .await?;
            Ok(tx.commit().await?)
        }

        async fn sweep_runs(&self, limit: u32) -> StoreResult<Vec<SweepRun>> {
            let rows: Vec<(i64, i64, String, Option<String>)> = sqlx::query_as(
                "SELECT started_at, finished_at, removed, error FROM sweeper_runs
                 ORDER BY id DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(self.read_pool())
            .await?;
            rows.into_iter()
                .map(|(started, finished, removed, error)| {
                    Ok(SweepRun {
                        started_at: Timestamp::from_millis(started),
                        finished_at: Timestamp::from_millis(finished),
                        removed: serde_json::from_str(&removed)
                            .map_err(|e| StoreError::Internal(Box::new(e)))?,
                        error,
                    })
                })
                .collect()
        }

        async fn find_users(
            &self,
            email_part: &str,
            offset: u32,
            limit: u32,
            now: Timestamp,
        ) -> StoreResult<Vec<UserSummary>> {
            let find = dialect("instr", "strpos");
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE {find}(lower(u.email), lower($2)) > 0
                 ORDER BY u.created_at DESC, u.id LIMIT $3 OFFSET $4"
            ));
            let rows = sqlx::query(sql)
                .bind(now)
                .bind(email_part)
                .bind(i64::from(limit))
                .bind(i64::from(offset))
                .fetch_all(self.read_pool())
                .await?;
            rows.iter().map(user_from_row).collect()
        }

        async fn user_summary(
            &self,
            user: UserId,
            now: Timestamp,
        ) -> StoreResult<Option<UserSummary>> {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $2"
            ));
            let row = sqlx::query(sql)
                .bind(now)
                .bind(user)
                .fetch_optional(self.read_pool())
                .await?;
            row.as_ref().map(user_from_row).transpose()
        }

        async fn job_counts_of(&self, user: UserId) -> StoreResult<Vec<(JobStatus, i64)>> {
            let rows = sqlx::query(
                "SELECT status, COUNT(*) AS n FROM jobs WHERE user_id = $1 GROUP BY status ORDER BY status",
            )
            .bind(user)
            .fetch_all(self.read_pool())
            .await?;
            rows.iter()
                .map(|row| Ok((status_of(row)?, get(row, "n")?)))
                .collect()
        }

        async fn running_jobs(&self, limit: u32) -> StoreResult<Vec<AdminJob>> {
            self.admin_jobs(JobStatus::Running, "j.started_at, j.seq", limit)
                .await
        }

        async fn failed_jobs(&self, limit: u32) -> StoreResult<Vec<AdminJob>> {
            self.admin_jobs(JobStatus::Failed, "j.updated_at DESC, j.seq DESC", limit)
                .await
        }

        async fn job_by_id(&self, id: JobId) -> StoreResult<Option<Job>> {
            let sql = sqlx::AssertSqlSafe(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"));
            let row = sqlx::query(sql)
                .bind(id)
                .fetch_optional(self.read_pool())
                .await?;
            row.as_ref().map(job_from_row).transpose()
        }
    }
}
