//! What the sweeper reads and deletes. System calls: no user scope (the system role on
//! PostgreSQL).

use async_trait::async_trait;
use uuid::Uuid;

use super::{each_backend, get};
use crate::domain::{ResultId, Timestamp, UploadId};
use crate::store::{BlobRow, RetentionStore, StoreResult};

/// Ids the sweeper hands back are the ones it was given; one that is not a UUID names no row.
fn parse_id(id: &str) -> Option<Uuid> {
    Uuid::parse_str(id).ok()
}

each_backend! {
    fn upload_row(row: &DbRow) -> StoreResult<BlobRow> {
        Ok(BlobRow {
            id: get::<UploadId, _>(row, "id")?.to_string(),
            user_id: get(row, "user_id")?,
            blob_key: get(row, "blob_key")?,
        })
    }

    fn result_row(row: &DbRow) -> StoreResult<BlobRow> {
        Ok(BlobRow {
            id: get::<ResultId, _>(row, "id")?.to_string(),
            user_id: get(row, "user_id")?,
            blob_key: get(row, "blob_key")?,
        })
    }

    #[async_trait]
    impl RetentionStore for Db {
        async fn expired_uploads(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<BlobRow>> {
            let rows = sqlx::query(
                "SELECT id, user_id, blob_key FROM uploads WHERE expires_at <= $1
                 ORDER BY expires_at LIMIT $2",
            )
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(self.read_pool())
            .await?;
            rows.iter().map(upload_row).collect()
        }

        async fn expired_results(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<BlobRow>> {
            let rows = sqlx::query(
                // Unsaved results by their 24-hour rule; saved ones by their own deadline
                // (none: kept).
                "SELECT id, user_id, blob_key FROM results
                 WHERE (saved_at IS NULL AND expires_at <= $1) OR saved_until <= $1
                 ORDER BY expires_at LIMIT $2",
            )
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(self.read_pool())
            .await?;
            rows.iter().map(result_row).collect()
        }

        async fn forget_upload(&self, id: &str) -> StoreResult<()> {
            let Some(id) = parse_id(id) else {
                return Ok(());
            };
            sqlx::query("DELETE FROM uploads WHERE id = $1")
                .bind(UploadId::from(id))
                .execute(self.write_pool())
                .await?;
            Ok(())
        }

        async fn forget_result(&self, id: &str) -> StoreResult<()> {
            let Some(id) = parse_id(id) else {
                return Ok(());
            };
            sqlx::query("DELETE FROM results WHERE id = $1")
                .bind(ResultId::from(id))
                .execute(self.write_pool())
                .await?;
            Ok(())
        }

        async fn blob_key_in_use(&self, blob_key: &str) -> StoreResult<bool> {
            Ok(sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM uploads WHERE blob_key = $1)
                     OR EXISTS (SELECT 1 FROM results WHERE blob_key = $1)
                     OR EXISTS (SELECT 1 FROM export_requests WHERE blob_key = $1)",
            )
            .bind(blob_key)
            .fetch_one(self.read_pool())
            .await?)
        }

        async fn forget_stale_prompts(&self, before: Timestamp) -> StoreResult<u64> {
            let done = sqlx::query(
                "UPDATE jobs SET prompt = NULL
                 WHERE prompt IS NOT NULL AND created_at < $1
                   AND status IN ('failed', 'canceled')",
            )
            .bind(before)
            .execute(self.write_pool())
            .await?;
            Ok(done.rows_affected())
        }
    }
}
