//! The developer API's rows: API keys, idempotency claims, lists by cursor. Keys and
//! idempotency records are the caller's (on PostgreSQL: app role, RLS `owner_rows`); only the
//! lookup of a key at authentication, and its last-use stamp, run as the system, like sessions.

use async_trait::async_trait;
use uuid::Uuid;

use super::{AnyId, each_backend, from_row, get};
use crate::domain::{ApiKeyId, Role, Timestamp, UserScope};
use crate::store::{
    AccountStatus, ApiKey, ApiKeyStore, IdempotencyClaim, IdempotencyStore, Job, ListStore,
    NewApiKey, Page, PageRequest, Purchase, ResultRecord, StoreError, StoreResult, Upload,
};

each_backend! {
    /// Touch a key's `last_used_at` at most this often: every request would otherwise be a write.
    const LAST_USE_GRANULARITY_MS: i64 = 60_000;

    impl Db {
        /// One page of `table` (columns `columns`) of the caller, newest first by `sort`, then id.
        async fn page_of<T>(
            &self,
            scope: UserScope,
            page: &PageRequest,
            (table, columns, sort): (&str, &str, &str),
            read: fn(&DbRow) -> StoreResult<T>,
        ) -> StoreResult<Page<T>> {
            let after = if page.after.is_some() {
                format!("AND ({sort} < $3 OR ({sort} = $3 AND id < $4))")
            } else {
                String::new()
            };
            // Table and column names are constants of this module, never input.
            let sql = format!(
                "SELECT {columns}, {sort} AS page_key FROM {table} WHERE user_id = $1 {after}
                 ORDER BY {sort} DESC, id DESC LIMIT $2"
            );
            let mut tx = self.user_read(scope).await?;
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(scope.user_id())
                .bind(i64::from(page.limit) + 1);
            if let Some(cursor) = &page.after {
                let id =
                    Uuid::parse_str(&cursor.id).map_err(|e| StoreError::Internal(Box::new(e)))?;
                query = query.bind(cursor.key).bind(AnyId(id));
            }
            let rows = query.fetch_all(&mut *tx).await?;
            tx.commit().await?;
            let rows = rows
                .iter()
                .map(|row| {
                    let id: AnyId = get(row, "id")?;
                    Ok((
                        get::<i64, _>(row, "page_key")?,
                        id.0.hyphenated().to_string(),
                        read(row)?,
                    ))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(Page::from_rows(rows, page.limit))
        }
    }

    #[async_trait]
    impl ApiKeyStore for Db {
        async fn create_api_key(
            &self,
            scope: UserScope,
            key: &NewApiKey,
            max: u32,
        ) -> StoreResult<ApiKey> {
            let mut tx = self.user_write(scope).await?;
            // Serializes this user's key creations, so the cap holds under concurrency (SQLite's
            // write transaction holds the database lock already).
            let lock = "SELECT pg_advisory_xact_lock(hashtext('atelier-api-keys'), hashtext($1))";
            if let Some(lock) = dialect(None, Some(lock)) {
                sqlx::query(lock)
                    .bind(scope.user_id().to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE user_id = $1")
                .bind(scope.user_id())
                .fetch_one(&mut *tx)
                .await?;
            if live >= i64::from(max) {
                return Err(StoreError::WrongState);
            }
            sqlx::query(
                "INSERT INTO api_keys (id, user_id, name, token_hash, prefix, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(key.id)
            .bind(scope.user_id())
            .bind(&key.name)
            .bind(&key.token_hash)
            .bind(&key.prefix)
            .bind(key.created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(ApiKey {
                id: key.id,
                name: key.name.clone(),
                prefix: key.prefix.clone(),
                created_at: key.created_at,
                last_used_at: None,
            })
        }

        async fn api_keys_of(
            &self,
            scope: UserScope,
            page: &PageRequest,
        ) -> StoreResult<Page<ApiKey>> {
            let columns = "id, name, prefix, created_at, last_used_at";
            self.page_of(scope, page, ("api_keys", columns, "created_at"), |row| {
                from_row(row)
            })
            .await
        }

        async fn delete_api_key(&self, scope: UserScope, id: ApiKeyId) -> StoreResult<bool> {
            let mut tx = self.user_write(scope).await?;
            let done = sqlx::query("DELETE FROM api_keys WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(scope.user_id())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        }

        async fn api_key_scope(
            &self,
            token_hash: &str,
            now: Timestamp,
        ) -> StoreResult<Option<(UserScope, ApiKeyId)>> {
            let row = sqlx::query(
                "SELECT k.id, k.user_id, k.last_used_at, u.role, u.status
                 FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(self.read_pool())
            .await?;
            let Some(row) = row else { return Ok(None) };
            let usable = AccountStatus::parse(&get::<String, _>(&row, "status")?)
                .is_some_and(AccountStatus::can_sign_in);
            if !usable {
                return Ok(None);
            }
            let id: ApiKeyId = get(&row, "id")?;
            let last_used = get::<Option<i64>, _>(&row, "last_used_at")?;
            if last_used.is_none_or(|at| now.millis() - at > LAST_USE_GRANULARITY_MS) {
                sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(self.write_pool())
                    .await?;
            }
            let role = Role::parse(&get::<String, _>(&row, "role")?);
            Ok(Some((UserScope::trusted(get(&row, "user_id")?, role), id)))
        }
    }

    #[async_trait]
    impl IdempotencyStore for Db {
        async fn claim_idempotency_key(
            &self,
            scope: UserScope,
            key: &str,
            fingerprint: &str,
            now: Timestamp,
            expired_before: Timestamp,
            abandoned_before: Timestamp,
        ) -> StoreResult<IdempotencyClaim> {
            let user = scope.user_id();
            let mut tx = self.user_write(scope).await?;
            sqlx::query(
                "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2
                   AND (created_at < $3 OR (state = 'pending' AND created_at < $4))",
            )
            .bind(user)
            .bind(key)
            .bind(expired_before)
            .bind(abandoned_before)
            .execute(&mut *tx)
            .await?;
            // A concurrent claim of the same key waits here on the primary key until the first
            // commits, then finds its row.
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, key) DO NOTHING",
            )
            .bind(user)
            .bind(key)
            .bind(fingerprint)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let claim = if inserted == 1 {
                IdempotencyClaim::Claimed
            } else {
                let row: (String, String, Option<i32>, Option<String>) = sqlx::query_as(
                    "SELECT fingerprint, state, response_status, response_body
                     FROM idempotency_keys WHERE user_id = $1 AND key = $2",
                )
                .bind(user)
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
                let (fingerprint, state, status, body) = row;
                IdempotencyClaim::from_record((fingerprint, state, status.map(i64::from), body))?
            };
            tx.commit().await?;
            Ok(claim)
        }

        async fn finish_idempotency_key(
            &self,
            scope: UserScope,
            key: &str,
            status: u16,
            body: &str,
        ) -> StoreResult<()> {
            let mut tx = self.user_write(scope).await?;
            sqlx::query(
                "UPDATE idempotency_keys SET state = 'done', response_status = $1, response_body = $2
                 WHERE user_id = $3 AND key = $4",
            )
            .bind(i32::from(status))
            .bind(body)
            .bind(scope.user_id())
            .bind(key)
            .execute(&mut *tx)
            .await?;
            Ok(tx.commit().await?)
        }

        async fn release_idempotency_key(&self, scope: UserScope, key: &str) -> StoreResult<()> {
            let mut tx = self.user_write(scope).await?;
            sqlx::query(
                "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND state = 'pending'",
            )
            .bind(scope.user_id())
            .bind(key)
            .execute(&mut *tx)
            .await?;
            Ok(tx.commit().await?)
        }

        async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
            let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(before)
                .execute(self.write_pool())
                .await?;
            Ok(done.rows_affected())
        }
    }

    #[async_trait]
    impl ListStore for Db {
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
            self.page_of(scope, page, ("purchases", "*", "created_at"), |row| {
                from_row(row)
            })
            .await
        }
    }
}
