//! Usage analytics on SQLite: recorded only while the user has not opted out.

use async_trait::async_trait;

use super::{SqliteStore, get, get_time, internal};
use crate::domain::{Timestamp, UserId, UserScope};
use crate::store::{StoreError, StoreResult, UsageEvent, UsageKind, UsageStore};

#[async_trait]
impl UsageStore for SqliteStore {
    async fn record_usage(
        &self,
        user: UserId,
        kind: UsageKind,
        style: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        // One statement: the opt-out is read under the same write lock as the insert.
        let inserted = sqlx::query(
            "INSERT INTO usage_events (user_id, kind, style, created_at)
             SELECT id, ?, ?, ? FROM users WHERE id = ? AND NOT analytics_opt_out",
        )
        .bind(kind.as_str())
        .bind(style)
        .bind(now.millis())
        .bind(user.to_string())
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn usage_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<UsageEvent>> {
        let rows = sqlx::query(
            "SELECT kind, style, created_at FROM usage_events WHERE user_id = ? ORDER BY id LIMIT ?",
        )
        .bind(scope.user_id().to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
        rows.iter()
            .map(|row| {
                let kind: String = get(row, "kind")?;
                Ok(UsageEvent {
                    kind: UsageKind::parse(&kind)
                        .ok_or_else(|| StoreError::Internal(format!("usage kind {kind}").into()))?,
                    style: get(row, "style")?,
                    at: get_time(row, "created_at")?,
                })
            })
            .collect()
    }

    async fn purge_usage(&self, before: Timestamp) -> StoreResult<u64> {
        let deleted = sqlx::query("DELETE FROM usage_events WHERE created_at < ?")
            .bind(before.millis())
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        Ok(deleted.rows_affected())
    }
}
