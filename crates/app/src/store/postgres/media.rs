//! Upload and result rows on PostgreSQL. Every call runs as the app role in a transaction
//! scoped to the caller, and every query still filters on the caller's user id: the policy is
//! the second wall, not the first.

use async_trait::async_trait;
use sqlx::postgres::PgRow;

use super::{PgStore, get, get_id, get_time, get_u32, int, internal};
use crate::domain::{ResultId, Timestamp, UploadId, UserScope};
use crate::store::{MediaStore, ResultRecord, StoreResult, Upload};

pub(super) fn upload_from_row(row: &PgRow) -> StoreResult<Upload> {
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

pub(super) fn result_from_row(row: &PgRow) -> StoreResult<ResultRecord> {
    let expires_at = get_time(row, "expires_at")?;
    let saved_at = get::<Option<i64>>(row, "saved_at")?.map(Timestamp::from_millis);
    let saved_until = get::<Option<i64>>(row, "saved_until")?.map(Timestamp::from_millis);
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
impl MediaStore for PgStore {
    async fn insert_upload(&self, scope: UserScope, upload: &Upload) -> StoreResult<()> {
        let mut tx = self.scoped(scope).await?;
        sqlx::query(
            "INSERT INTO uploads (id, user_id, blob_key, width, height, faces, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(upload.id.as_uuid())
        .bind(scope.user_id().as_uuid())
        .bind(&upload.blob_key)
        .bind(int(upload.width)?)
        .bind(int(upload.height)?)
        .bind(int(upload.faces)?)
        .bind(upload.created_at.millis())
        .bind(upload.expires_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)
    }

    async fn upload(&self, scope: UserScope, id: UploadId) -> StoreResult<Option<Upload>> {
        let mut tx = self.scoped(scope).await?;
        let row = sqlx::query("SELECT * FROM uploads WHERE id = $1 AND user_id = $2")
            .bind(id.as_uuid())
            .bind(scope.user_id().as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        row.as_ref().map(upload_from_row).transpose()
    }

    async fn delete_upload(&self, scope: UserScope, id: UploadId) -> StoreResult<bool> {
        let mut tx = self.scoped(scope).await?;
        let done = sqlx::query("DELETE FROM uploads WHERE id = $1 AND user_id = $2")
            .bind(id.as_uuid())
            .bind(scope.user_id().as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(done.rows_affected() == 1)
    }

    async fn result(&self, scope: UserScope, id: ResultId) -> StoreResult<Option<ResultRecord>> {
        let mut tx = self.scoped(scope).await?;
        let row = sqlx::query("SELECT * FROM results WHERE id = $1 AND user_id = $2")
            .bind(id.as_uuid())
            .bind(scope.user_id().as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        row.as_ref().map(result_from_row).transpose()
    }

    async fn delete_result(&self, scope: UserScope, id: ResultId) -> StoreResult<bool> {
        let mut tx = self.scoped(scope).await?;
        let done = sqlx::query("DELETE FROM results WHERE id = $1 AND user_id = $2")
            .bind(id.as_uuid())
            .bind(scope.user_id().as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(done.rows_affected() == 1)
    }

    async fn uploads_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Upload>> {
        let mut tx = self.scoped(scope).await?;
        let rows = sqlx::query(
            "SELECT * FROM uploads WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2",
        )
        .bind(scope.user_id().as_uuid())
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        rows.iter().map(upload_from_row).collect()
    }

    async fn results_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<ResultRecord>> {
        let mut tx = self.scoped(scope).await?;
        let rows = sqlx::query(
            "SELECT * FROM results WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2",
        )
        .bind(scope.user_id().as_uuid())
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        rows.iter().map(result_from_row).collect()
    }

    async fn save_result(
        &self,
        scope: UserScope,
        id: ResultId,
        at: Timestamp,
        until: Option<Timestamp>,
    ) -> StoreResult<Option<ResultRecord>> {
        let mut tx = self.scoped(scope).await?;
        sqlx::query(
            "UPDATE results SET saved_at = $1, saved_until = $2
             WHERE id = $3 AND user_id = $4 AND saved_at IS NULL",
        )
        .bind(at.millis())
        .bind(until.map(Timestamp::millis))
        .bind(id.as_uuid())
        .bind(scope.user_id().as_uuid())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let row = sqlx::query("SELECT * FROM results WHERE id = $1 AND user_id = $2")
            .bind(id.as_uuid())
            .bind(scope.user_id().as_uuid())
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
        let mut tx = self.scoped(scope).await?;
        sqlx::query(
            "UPDATE results SET saved_at = NULL, saved_until = NULL
             WHERE id = $1 AND user_id = $2",
        )
        .bind(id.as_uuid())
        .bind(scope.user_id().as_uuid())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let row = sqlx::query("SELECT * FROM results WHERE id = $1 AND user_id = $2")
            .bind(id.as_uuid())
            .bind(scope.user_id().as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        row.as_ref().map(result_from_row).transpose()
    }
}
