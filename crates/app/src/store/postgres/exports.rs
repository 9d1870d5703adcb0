//! Background data exports on PostgreSQL: the owner's rows (app role, RLS); the sweeper
//! lists and deletes expired ones as the system role.

use async_trait::async_trait;
use sqlx::postgres::PgRow;

use super::{PgStore, get, get_id, get_time, internal};
use crate::domain::{ExportId, Timestamp, UserScope};
use crate::store::{
    ExportBlob, ExportOutcome, ExportRequest, ExportStatus, ExportStore, StoreError, StoreResult,
};

const COLUMNS: &str = "id, status, blob_key, bytes, error, created_at, ready_at, expires_at";

fn request_from_row(row: &PgRow) -> StoreResult<ExportRequest> {
    let status: String = get(row, "status")?;
    Ok(ExportRequest {
        id: get_id(row, "id")?,
        status: ExportStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("export status {status}").into()))?,
        blob_key: get(row, "blob_key")?,
        bytes: get(row, "bytes")?,
        error: get(row, "error")?,
        created_at: get_time(row, "created_at")?,
        ready_at: get::<Option<i64>>(row, "ready_at")?.map(Timestamp::from_millis),
        expires_at: get_time(row, "expires_at")?,
    })
}

#[async_trait]
impl ExportStore for PgStore {
    async fn create_export(
        &self,
        scope: UserScope,
        id: ExportId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<ExportRequest> {
        let mut tx = self.scoped(scope).await?;
        let sql = format!(
            "INSERT INTO export_requests (id, user_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .bind(scope.user_id().as_uuid())
            .bind(now.millis())
            .bind(expires_at.millis())
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        request_from_row(&row)
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
        let mut tx = self.scoped(scope).await?;
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
            .bind(now.millis())
            .bind(id.as_uuid())
            .bind(scope.user_id().as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        match row {
            Some(row) => request_from_row(&row),
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
        let mut tx = self.scoped(scope).await?;
        let sql = format!("SELECT {COLUMNS} FROM export_requests WHERE id = $1 AND user_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .bind(scope.user_id().as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        row.as_ref().map(request_from_row).transpose()
    }

    async fn export_requests_of(
        &self,
        scope: UserScope,
        limit: u32,
    ) -> StoreResult<Vec<ExportRequest>> {
        let mut tx = self.scoped(scope).await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM export_requests WHERE user_id = $1
             ORDER BY created_at DESC, id LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scope.user_id().as_uuid())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        rows.iter().map(request_from_row).collect()
    }

    async fn expired_exports(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<ExportBlob>> {
        let rows = sqlx::query(
            "SELECT id, blob_key FROM export_requests WHERE expires_at <= $1
             ORDER BY expires_at LIMIT $2",
        )
        .bind(now.millis())
        .bind(i64::from(limit))
        .fetch_all(&self.system)
        .await
        .map_err(internal)?;
        rows.iter()
            .map(|row| {
                Ok(ExportBlob {
                    id: get_id(row, "id")?,
                    blob_key: get(row, "blob_key")?,
                })
            })
            .collect()
    }

    async fn forget_export(&self, id: ExportId) -> StoreResult<()> {
        sqlx::query("DELETE FROM export_requests WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&self.system)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn fail_stale_exports(&self, before: Timestamp, now: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE export_requests SET status = 'failed',
                 error = 'the export was interrupted; please ask again', ready_at = $1
             WHERE status = 'pending' AND created_at < $2",
        )
        .bind(now.millis())
        .bind(before.millis())
        .execute(&self.system)
        .await
        .map_err(internal)?;
        Ok(done.rows_affected())
    }
}
