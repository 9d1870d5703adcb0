//! What the sweeper reads and deletes on SQLite. System calls: no user scope.

use async_trait::async_trait;

use super::{SqliteStore, get, get_id, internal};
use crate::domain::Timestamp;
use crate::store::{BlobRow, RetentionStore, StoreResult};

#[async_trait]
impl RetentionStore for SqliteStore {
    async fn expired_uploads(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<BlobRow>> {
        let rows = sqlx::query("SELECT id, user_id, blob_key FROM uploads WHERE expires_at <= ? ORDER BY expires_at LIMIT ?")
            .bind(now.millis())
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await
            .map_err(internal)?;
        rows.iter()
            .map(|row| {
                Ok(BlobRow {
                    id: get(row, "id")?,
                    user_id: get_id(row, "user_id")?,
                    blob_key: get(row, "blob_key")?,
                })
            })
            .collect()
    }

    async fn expired_results(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<BlobRow>> {
        // Unsaved results by their 24-hour rule; saved ones by their own deadline (none: kept).
        let rows = sqlx::query(
            "SELECT id, user_id, blob_key FROM results
             WHERE (saved_at IS NULL AND expires_at <= ?) OR saved_until <= ?
             ORDER BY expires_at LIMIT ?",
        )
        .bind(now.millis())
        .bind(now.millis())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
        rows.iter()
            .map(|row| {
                Ok(BlobRow {
                    id: get(row, "id")?,
                    user_id: get_id(row, "user_id")?,
                    blob_key: get(row, "blob_key")?,
                })
            })
            .collect()
    }

    async fn forget_upload(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM uploads WHERE id = ?")
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn forget_result(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM results WHERE id = ?")
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn blob_key_in_use(&self, blob_key: &str) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM uploads WHERE blob_key = ? UNION ALL SELECT 1 FROM results WHERE blob_key = ?
             UNION ALL SELECT 1 FROM export_requests WHERE blob_key = ? LIMIT 1",
        )
        .bind(blob_key)
        .bind(blob_key)
        .bind(blob_key)
        .fetch_optional(&self.reader)
        .await
        .map_err(internal)?;
        Ok(found.is_some())
    }

    async fn forget_stale_prompts(&self, before: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE jobs SET prompt = NULL
             WHERE prompt IS NOT NULL AND created_at < ? AND status IN ('failed', 'canceled')",
        )
        .bind(before.millis())
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(done.rows_affected())
    }
}
