//! Background data exports: the owner's rows (app role and RLS on PostgreSQL); the sweeper
//! lists and deletes expired ones as the system.

use async_trait::async_trait;

use super::{each_backend, from_row, get};
use crate::domain::{ExportId, Timestamp, UserScope};
use crate::store::{
    ExportBlob, ExportOutcome, ExportRequest, ExportStore, StoreError, StoreResult,
};

each_backend! {
    const COLUMNS: &str = "id, status, blob_key, bytes, error, created_at, ready_at, expires_at";

    #[async_trait]
    impl ExportStore for Db {
        async fn create_export(
            &self,
            scope: UserScope,
            id: ExportId,
            now: Timestamp,
            expires_at: Timestamp,
        ) -> StoreResult<ExportRequest> {
            let mut tx = self.user_write(scope).await?;
            let sql = format!(
                "INSERT INTO export_requests (id, user_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(scope.user_id())
                .bind(now)
                .bind(expires_at)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            from_row(&row)
        }

        async fn finish_export(
            &self,
            scope: UserScope,
            id: ExportId,
            outcome: &ExportOutcome,
            now: Timestamp,
        ) -> StoreResult<ExportRequest> {
            let (status, blob_key, bytes, error) = match outcome {
                ExportOutcome::Ready { blob_key, bytes } => {
                    ("ready", Some(blob_key), Some(*bytes), None)
                }
                ExportOutcome::Failed { error } => ("failed", None, None, Some(error)),
            };
            let mut tx = self.user_write(scope).await?;
            let sql = format!(
                "UPDATE export_requests SET status = $1, blob_key = $2, bytes = $3, error = $4,
                     ready_at = $5
                 WHERE id = $6 AND user_id = $7 AND status = 'pending' RETURNING {COLUMNS}"
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(status)
                .bind(blob_key)
                .bind(bytes)
                .bind(error)
                .bind(now)
                .bind(id)
                .bind(scope.user_id())
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            match row {
                Some(row) => from_row(&row),
                None => match self.export_request(scope, id).await? {
                    Some(_) => Err(StoreError::WrongState),
                    None => Err(StoreError::NotFound),
                },
            }
        }

        async fn export_request(
            &self,
            scope: UserScope,
            id: ExportId,
        ) -> StoreResult<Option<ExportRequest>> {
            let mut tx = self.user_read(scope).await?;
            let sql =
                format!("SELECT {COLUMNS} FROM export_requests WHERE id = $1 AND user_id = $2");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(scope.user_id())
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            row.as_ref().map(from_row).transpose()
        }

        async fn export_requests_of(
            &self,
            scope: UserScope,
            limit: u32,
        ) -> StoreResult<Vec<ExportRequest>> {
            let mut tx = self.user_read(scope).await?;
            let sql = format!(
                "SELECT {COLUMNS} FROM export_requests WHERE user_id = $1
                 ORDER BY created_at DESC, id LIMIT $2"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(scope.user_id())
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect()
        }

        async fn expired_exports(
            &self,
            now: Timestamp,
            limit: u32,
        ) -> StoreResult<Vec<ExportBlob>> {
            let rows = sqlx::query(
                "SELECT id, blob_key FROM export_requests WHERE expires_at <= $1
                 ORDER BY expires_at LIMIT $2",
            )
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(self.read_pool())
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(ExportBlob {
                        id: get(row, "id")?,
                        blob_key: get(row, "blob_key")?,
                    })
                })
                .collect()
        }

        async fn forget_export(&self, id: ExportId) -> StoreResult<()> {
            sqlx::query("DELETE FROM export_requests WHERE id = $1")
                .bind(id)
                .execute(self.write_pool())
                .await?;
            Ok(())
        }

        async fn fail_stale_exports(&self, before: Timestamp, now: Timestamp) -> StoreResult<u64> {
            let done = sqlx::query(
                "UPDATE export_requests SET status = 'failed',
                     error = 'the export was interrupted; please ask again', ready_at = $1
                 WHERE status = 'pending' AND created_at < $2",
            )
            .bind(now)
            .bind(before)
            .execute(self.write_pool())
            .await?;
            Ok(done.rows_affected())
        }
    }
}
