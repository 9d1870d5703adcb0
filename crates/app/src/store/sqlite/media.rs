//! Upload and result rows on SQLite. Every query filters on the caller's user id.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, get, get_id, get_time, get_u32, internal};
use crate::domain::{ResultId, Timestamp, UploadId, UserScope};
use crate::store::{MediaStore, ResultRecord, StoreResult, Upload};

pub(super) fn upload_from_row(row: &SqliteRow) -> StoreResult<Upload> {
    Ok(Upload {
        id: get_id(row, "id")?,
        user_id: get_id(row, "user_id")?,
        blob_key: get(row, "blob_key")?,
        width: get_u32(row, "width")?,
        height: get_u32(row, "height")?,
        faces: get_u32(row, "faces")?,
        created_at: get_time(row, "created_at")?,
        expires_at: get_time(row, "expires_at")?,
    })
}

pub(super) fn result_from_row(row: &SqliteRow) -> StoreResult<ResultRecord> {
    let optional_time = |column: &str| -> StoreResult<Option<Timestamp>> {
        let value: Option<i64> = row.try_get(column).map_err(internal)?;
        Ok(value.map(Timestamp::from_millis))
    };
    let expires_at = get_time(row, "expires_at")?;
    let (saved_at, saved_until) = (optional_time("saved_at")?, optional_time("saved_until")?);
    Ok(ResultRecord {
        id: get_id(row, "id")?,
        job_id: get_id(row, "job_id")?,
        user_id: get_id(row, "user_id")?,
        blob_key: get(row, "blob_key")?,
        width: get_u32(row, "width")?,
        height: get_u32(row, "height")?,
        created_at: get_time(row, "created_at")?,
        expires_at,
        saved_at,
        saved_until,
        deletes_at: ResultRecord::deadline(expires_at, saved_at, saved_until),
    })
}

#[async_trait]
impl MediaStore for SqliteStore {
    async fn insert_upload(&self, scope: UserScope, upload: &Upload) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO uploads (id, user_id, blob_key, width, height, faces, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(upload.id.to_string())
        .bind(scope.user_id().to_string())
        .bind(&upload.blob_key)
        .bind(i64::from(upload.width))
        .bind(i64::from(upload.height))
        .bind(i64::from(upload.faces))
        .bind(upload.created_at.millis())
        .bind(upload.expires_at.millis())
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn upload(&self, scope: UserScope, id: UploadId) -> StoreResult<Option<Upload>> {
        sqlx::query("SELECT * FROM uploads WHERE id = ? AND user_id = ?")
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(internal)?
            .as_ref()
            .map(upload_from_row)
            .transpose()
    }

    async fn delete_upload(&self, scope: UserScope, id: UploadId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM uploads WHERE id = ? AND user_id = ?")
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected() == 1)
    }

    async fn result(&self, scope: UserScope, id: ResultId) -> StoreResult<Option<ResultRecord>> {
        sqlx::query("SELECT * FROM results WHERE id = ? AND user_id = ?")
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(internal)?
            .as_ref()
            .map(result_from_row)
            .transpose()
    }

    async fn delete_result(&self, scope: UserScope, id: ResultId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM results WHERE id = ? AND user_id = ?")
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected() == 1)
    }

    async fn uploads_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Upload>> {
        let rows =
            sqlx::query("SELECT * FROM uploads WHERE user_id = ? ORDER BY created_at DESC LIMIT ?")
                .bind(scope.user_id().to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.reader)
                .await
                .map_err(internal)?;
        rows.iter().map(upload_from_row).collect()
    }

    async fn results_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<ResultRecord>> {
        let rows =
            sqlx::query("SELECT * FROM results WHERE user_id = ? ORDER BY created_at DESC LIMIT ?")
                .bind(scope.user_id().to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.reader)
                .await
                .map_err(internal)?;
        rows.iter().map(result_from_row).collect()
    }

    async fn save_result(
        &self,
        scope: UserScope,
        id: ResultId,
        at: Timestamp,
        until: Option<Timestamp>,
    ) -> StoreResult<Option<ResultRecord>> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE results SET saved_at = ?, saved_until = ?
             WHERE id = ? AND user_id = ? AND saved_at IS NULL",
        )
        .bind(at.millis())
        .bind(until.map(Timestamp::millis))
        .bind(id.to_string())
        .bind(scope.user_id().to_string())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let row = sqlx::query("SELECT * FROM results WHERE id = ? AND user_id = ?")
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        row.as_ref().map(result_from_row).transpose()
    }

    async fn unsave_result(
        &self,
        scope: UserScope,
        id: ResultId,
    ) -> StoreResult<Option<ResultRecord>> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE results SET saved_at = NULL, saved_until = NULL WHERE id = ? AND user_id = ?",
        )
        .bind(id.to_string())
        .bind(scope.user_id().to_string())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let row = sqlx::query("SELECT * FROM results WHERE id = ? AND user_id = ?")
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        row.as_ref().map(result_from_row).transpose()
    }
}
