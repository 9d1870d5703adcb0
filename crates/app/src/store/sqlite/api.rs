//! The developer API's rows on SQLite: API keys, idempotency claims, lists by cursor.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;

use super::jobs::{JOB_COLUMNS, job_from_row};
use super::media::{result_from_row, upload_from_row};
use super::payments::read_purchase;
use super::{SqliteStore, get, get_id, get_time, internal};
use crate::domain::{ApiKeyId, Role, Timestamp, UserScope};
use crate::store::{
    ApiKey, ApiKeyStore, IdempotencyClaim, IdempotencyStore, Job, ListStore, NewApiKey, Page,
    PageRequest, Purchase, ResultRecord, StoreError, StoreResult, Upload,
};

/// Touch a key's `last_used_at` at most this often: every request would otherwise be a write.
const LAST_USE_GRANULARITY_MS: i64 = 60_000;

fn api_key_from_row(row: &SqliteRow) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: get_id(row, "id")?,
        name: get(row, "name")?,
        prefix: get(row, "prefix")?,
        created_at: get_time(row, "created_at")?,
        last_used_at: get::<Option<i64>>(row, "last_used_at")?.map(Timestamp::from_millis),
    })
}

impl SqliteStore {
    /// One page of `table` (columns `columns`) of the caller, newest first by `sort`, then id.
    async fn page_of<T>(
        &self,
        scope: UserScope,
        page: &PageRequest,
        (table, columns, sort): (&str, &str, &str),
        read: fn(&SqliteRow) -> StoreResult<T>,
    ) -> StoreResult<Page<T>> {
        let after = if page.after.is_some() {
            format!("AND ({sort} < ? OR ({sort} = ? AND id < ?))")
        } else {
            String::new()
        };
        // Table and column names are constants of this module, never input.
        let sql = format!(
            "SELECT {columns}, {sort} AS page_key FROM {table} WHERE user_id = ? {after}
             ORDER BY {sort} DESC, id DESC LIMIT ?"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(scope.user_id().to_string());
        if let Some(cursor) = &page.after {
            query = query.bind(cursor.key).bind(cursor.key).bind(&cursor.id);
        }
        let rows = query
            .bind(i64::from(page.limit) + 1)
            .fetch_all(&self.reader)
            .await
            .map_err(internal)?;
        let rows = rows
            .iter()
            .map(|row| {
                Ok((
                    get::<i64>(row, "page_key")?,
                    get::<String>(row, "id")?,
                    read(row)?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(rows, page.limit))
    }
}

#[async_trait]
impl ApiKeyStore for SqliteStore {
    async fn create_api_key(
        &self,
        scope: UserScope,
        key: &NewApiKey,
        max: u32,
    ) -> StoreResult<ApiKey> {
        let mut tx = self.write().await?;
        let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE user_id = ?")
            .bind(scope.user_id().to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
        if live >= i64::from(max) {
            return Err(StoreError::WrongState);
        }
        sqlx::query(
            "INSERT INTO api_keys (id, user_id, name, token_hash, prefix, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(key.id.to_string())
        .bind(scope.user_id().to_string())
        .bind(&key.name)
        .bind(&key.token_hash)
        .bind(&key.prefix)
        .bind(key.created_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(ApiKey {
            id: key.id,
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            created_at: key.created_at,
            last_used_at: None,
        })
    }

    async fn api_keys_of(&self, scope: UserScope, page: &PageRequest) -> StoreResult<Page<ApiKey>> {
        let columns = "id, name, prefix, created_at, last_used_at";
        self.page_of(
            scope,
            page,
            ("api_keys", columns, "created_at"),
            api_key_from_row,
        )
        .await
    }

    async fn delete_api_key(&self, scope: UserScope, id: ApiKeyId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM api_keys WHERE id = ? AND user_id = ?")
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected() == 1)
    }

    async fn api_key_scope(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(UserScope, ApiKeyId)>> {
        let row = sqlx::query(
            "SELECT k.id, k.user_id, k.last_used_at, u.role, u.status
             FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await
        .map_err(internal)?;
        let Some(row) = row else { return Ok(None) };
        if !matches!(
            get::<String>(&row, "status")?.as_str(),
            "active" | "restricted"
        ) {
            return Ok(None);
        }
        let id: ApiKeyId = get_id(&row, "id")?;
        let last_used = get::<Option<i64>>(&row, "last_used_at")?;
        if last_used.is_none_or(|at| now.millis() - at > LAST_USE_GRANULARITY_MS) {
            sqlx::query("UPDATE api_keys SET last_used_at = ? WHERE id = ?")
                .bind(now.millis())
                .bind(id.to_string())
                .execute(&self.writer)
                .await
                .map_err(internal)?;
        }
        let role = Role::parse(&get::<String>(&row, "role")?);
        Ok(Some((
            UserScope::trusted(get_id(&row, "user_id")?, role),
            id,
        )))
    }
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim_idempotency_key(
        &self,
        scope: UserScope,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        expired_before: Timestamp,
        abandoned_before: Timestamp,
    ) -> StoreResult<IdempotencyClaim> {
        let user = scope.user_id().to_string();
        // BEGIN IMMEDIATE: the check and the claim hold the write lock together.
        let mut tx = self.write().await?;
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE user_id = ? AND key = ?
               AND (created_at < ? OR (state = 'pending' AND created_at < ?))",
        )
        .bind(&user)
        .bind(key)
        .bind(expired_before.millis())
        .bind(abandoned_before.millis())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at)
             VALUES (?, ?, ?, ?) ON CONFLICT (user_id, key) DO NOTHING",
        )
        .bind(&user)
        .bind(key)
        .bind(fingerprint)
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(internal)?
        .rows_affected();
        let claim = if inserted == 1 {
            IdempotencyClaim::Claimed
        } else {
            let row: (String, String, Option<i64>, Option<String>) = sqlx::query_as(
                "SELECT fingerprint, state, response_status, response_body
                 FROM idempotency_keys WHERE user_id = ? AND key = ?",
            )
            .bind(&user)
            .bind(key)
            .fetch_one(&mut *tx)
            .await
            .map_err(internal)?;
            IdempotencyClaim::from_record(row)?
        };
        tx.commit().await.map_err(internal)?;
        Ok(claim)
    }

    async fn finish_idempotency_key(
        &self,
        scope: UserScope,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET state = 'done', response_status = ?, response_body = ?
             WHERE user_id = ? AND key = ?",
        )
        .bind(i64::from(status))
        .bind(body)
        .bind(scope.user_id().to_string())
        .bind(key)
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn release_idempotency_key(&self, scope: UserScope, key: &str) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND state = 'pending'",
        )
        .bind(scope.user_id().to_string())
        .bind(key)
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?")
            .bind(before.millis())
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl ListStore for SqliteStore {
    async fn uploads_page(
        &self,
        scope: UserScope,
        page: &PageRequest,
    ) -> StoreResult<Page<Upload>> {
        self.page_of(scope, page, ("uploads", "*", "created_at"), upload_from_row)
            .await
    }

    async fn results_page(
        &self,
        scope: UserScope,
        page: &PageRequest,
    ) -> StoreResult<Page<ResultRecord>> {
        self.page_of(scope, page, ("results", "*", "created_at"), result_from_row)
            .await
    }

    async fn jobs_page(&self, scope: UserScope, page: &PageRequest) -> StoreResult<Page<Job>> {
        self.page_of(scope, page, ("jobs", JOB_COLUMNS, "seq"), job_from_row)
            .await
    }

    async fn purchases_page(
        &self,
        scope: UserScope,
        page: &PageRequest,
    ) -> StoreResult<Page<Purchase>> {
        self.page_of(scope, page, ("purchases", "*", "created_at"), read_purchase)
            .await
    }
}
