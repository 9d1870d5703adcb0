//! Background data exports on SQLite: one row per request, owned by its user.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, get, get_id, internal};
use crate::domain::{ExportId, Timestamp, UserScope};
use crate::store::{
    ExportBlob, ExportOutcome, ExportRequest, ExportStatus, ExportStore, StoreError, StoreResult,
};

const COLUMNS: &str = "id, status, blob_key, bytes, error, created_at, ready_at, expires_at";

fn request_from_row(row: &SqliteRow) -> StoreResult<ExportRequest> {
    let status: String = get(row, "status")?;
    Ok(ExportRequest {
        id: get_id(row, "id")?,
        status: ExportStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("export status {status}").into()))?,
        blob_key: get(row, "blob_key")?,
        bytes: get(row, "bytes")?,
        error: get(row, "error")?,
        created_at: Timestamp::from_millis(get(row, "created_at")?),
        ready_at: get::<Option<i64>>(row, "ready_at")?.map(Timestamp::from_millis),
        expires_at: Timestamp::from_millis(get(row, "expires_at")?),
    })
}

#[async_trait]
impl ExportStore for SqliteStore {
    async fn create_export(
        &self,
        scope: UserScope,
        id: ExportId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<ExportRequest> {
        let sql = format!(
            "INSERT INTO export_requests (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)
             RETURNING {COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .bind(now.millis())
            .bind(expires_at.millis())
            .fetch_one(&self.writer)
            .await
            .map_err(internal)?;
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
        let sql = format!(
            "UPDATE export_requests SET status = ?, blob_key = ?, bytes = ?, error = ?, ready_at = ?
             WHERE id = ? AND user_id = ? AND status = 'pending' RETURNING {COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(status)
            .bind(blob_key)
            .bind(bytes)
            .bind(error)
            .bind(now.millis())
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .fetch_optional(&self.writer)
            .await
            .map_err(internal)?;
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
        let sql = format!("SELECT {COLUMNS} FROM export_requests WHERE id = ? AND user_id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(internal)?;
        row.as_ref().map(request_from_row).transpose()
    }

    async fn export_requests_of(
        &self,
        scope: UserScope,
        limit: u32,
    ) -> StoreResult<Vec<ExportRequest>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM export_requests WHERE user_id = ?
             ORDER BY created_at DESC, id LIMIT ?"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scope.user_id().to_string())
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await
            .map_err(internal)?;
        rows.iter().map(request_from_row).collect()
    }

    async fn expired_exports(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<ExportBlob>> {
        let rows = sqlx::query(
            "SELECT id, blob_key FROM export_requests WHERE expires_at <= ? ORDER BY expires_at LIMIT ?",
        )
        .bind(now.millis())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
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
        sqlx::query("DELETE FROM export_requests WHERE id = ?")
            .bind(id.to_string())
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn fail_stale_exports(&self, before: Timestamp, now: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE export_requests SET status = 'failed',
                 error = 'the export was interrupted; please ask again', ready_at = ?
             WHERE status = 'pending' AND created_at < ?",
        )
        .bind(now.millis())
        .bind(before.millis())
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(done.rows_affected())
    }
}
