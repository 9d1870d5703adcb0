//! Upload and result rows. Every query filters on the caller's user id; on PostgreSQL each
//! call also runs as the app role scoped to the caller, so the policy is a second wall.

use async_trait::async_trait;

use super::{each_backend, get, get_u32};
use crate::domain::{ResultId, Timestamp, UploadId, UserScope};
use crate::store::{MediaStore, ResultRecord, StoreResult, Upload};

each_backend! {
    pub(in crate::store) fn upload_from_row(row: &DbRow) -> StoreResult<Upload> {
        Ok(sqlx::FromRow::from_row(row)?)
    }

    pub(in crate::store) fn result_from_row(row: &DbRow) -> StoreResult<ResultRecord> {
        let expires_at: Timestamp = get(row, "expires_at")?;
        let (saved_at, saved_until) = (get(row, "saved_at")?, get(row, "saved_until")?);
        Ok(ResultRecord {
            id: get(row, "id")?,
            job_id: get(row, "job_id")?,
            user_id: get(row, "user_id")?,
            blob_key: get(row, "blob_key")?,
            width: get_u32(row, "width")?,
            height: get_u32(row, "height")?,
            created_at: get(row, "created_at")?,
            expires_at,
            saved_at,
            saved_until,
            deletes_at: ResultRecord::deadline(expires_at, saved_at, saved_until),
        })
    }

    async fn result_in(
        tx: &mut Tx,
        scope: UserScope,
        id: ResultId,
    ) -> StoreResult<Option<ResultRecord>> {
        let row = sqlx::query("SELECT * FROM results WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(scope.user_id())
            .fetch_optional(&mut **tx)
            .await?;
        row.as_ref().map(result_from_row).transpose()
    }

    #[async_trait]
    impl MediaStore for Db {
        async fn insert_upload(&self, scope: UserScope, upload: &Upload) -> StoreResult<()> {
            let mut tx = self.user_write(scope).await?;
            sqlx::query(
                "INSERT INTO uploads
                    (id, user_id, blob_key, width, height, faces, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(upload.id)
            .bind(scope.user_id())
            .bind(&upload.blob_key)
            .bind(i64::from(upload.width))
            .bind(i64::from(upload.height))
            .bind(i64::from(upload.faces))
            .bind(upload.created_at)
            .bind(upload.expires_at)
            .execute(&mut *tx)
            .await?;
            Ok(tx.commit().await?)
        }

        async fn upload(&self, scope: UserScope, id: UploadId) -> StoreResult<Option<Upload>> {
            let mut tx = self.user_read(scope).await?;
            let upload = sqlx::query_as("SELECT * FROM uploads WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(scope.user_id())
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(upload)
        }

        async fn delete_upload(&self, scope: UserScope, id: UploadId) -> StoreResult<bool> {
            let mut tx = self.user_write(scope).await?;
            let done = sqlx::query("DELETE FROM uploads WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(scope.user_id())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        }

        async fn result(
            &self,
            scope: UserScope,
            id: ResultId,
        ) -> StoreResult<Option<ResultRecord>> {
            let mut tx = self.user_read(scope).await?;
            let result = result_in(&mut tx, scope, id).await?;
            tx.commit().await?;
            Ok(result)
        }

        async fn delete_result(&self, scope: UserScope, id: ResultId) -> StoreResult<bool> {
            let mut tx = self.user_write(scope).await?;
            let done = sqlx::query("DELETE FROM results WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(scope.user_id())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        }

        async fn uploads_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Upload>> {
            let mut tx = self.user_read(scope).await?;
            let uploads = sqlx::query_as(
                "SELECT * FROM uploads WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2",
            )
            .bind(scope.user_id())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(uploads)
        }

        async fn results_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<ResultRecord>> {
            let mut tx = self.user_read(scope).await?;
            let rows = sqlx::query(
                "SELECT * FROM results WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2",
            )
            .bind(scope.user_id())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows.iter().map(result_from_row).collect()
        }

        async fn save_result(
            &self,
            scope: UserScope,
            id: ResultId,
            at: Timestamp,
            until: Option<Timestamp>,
        ) -> StoreResult<Option<ResultRecord>> {
            let mut tx = self.user_write(scope).await?;
            sqlx::query(
                "UPDATE results SET saved_at = $1, saved_until = $2
                 WHERE id = $3 AND user_id = $4 AND saved_at IS NULL",
            )
            .bind(at)
            .bind(until)
            .bind(id)
            .bind(scope.user_id())
            .execute(&mut *tx)
            .await?;
            let result = result_in(&mut tx, scope, id).await?;
            tx.commit().await?;
            Ok(result)
        }

        async fn unsave_result(
            &self,
            scope: UserScope,
            id: ResultId,
        ) -> StoreResult<Option<ResultRecord>> {
            let mut tx = self.user_write(scope).await?;
            sqlx::query(
                "UPDATE results SET saved_at = NULL, saved_until = NULL
                 WHERE id = $1 AND user_id = $2",
            )
            .bind(id)
            .bind(scope.user_id())
            .execute(&mut *tx)
            .await?;
            let result = result_in(&mut tx, scope, id).await?;
            tx.commit().await?;
            Ok(result)
        }
    }
}
