//! Usage analytics on PostgreSQL: recorded by the system role only while the user has not
//! opted out; read by the owner through the app role.

use async_trait::async_trait;

use super::{PgStore, get, get_time, internal};
use crate::domain::{Timestamp, UserId, UserScope};
use crate::store::{StoreError, StoreResult, UsageEvent, UsageKind, UsageStore};

#[async_trait]
impl UsageStore for PgStore {
    async fn record_usage(
        &self,
        user: UserId,
        kind: UsageKind,
        style: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        // FOR SHARE waits for an opt-out in flight (it locks the users row FOR NO KEY UPDATE
        // and deletes the events), then rereads the flag: no event outlives an objection.
        let inserted = sqlx::query(
            "INSERT INTO usage_events (user_id, kind, style, created_at)
             SELECT id, $1, $2, $3 FROM users WHERE id = $4 AND NOT analytics_opt_out
             FOR SHARE",
        )
        .bind(kind.as_str())
        .bind(style)
        .bind(now.millis())
        .bind(user.as_uuid())
        .execute(&self.system)
        .await
        .map_err(internal)?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn usage_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<UsageEvent>> {
        let mut tx = self.scoped(scope).await?;
        let rows = sqlx::query(
            "SELECT kind, style, created_at FROM usage_events WHERE user_id = $1
             ORDER BY id LIMIT $2",
        )
        .bind(scope.user_id().as_uuid())
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
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
        let deleted = sqlx::query("DELETE FROM usage_events WHERE created_at < $1")
            .bind(before.millis())
            .execute(&self.system)
            .await
            .map_err(internal)?;
        Ok(deleted.rows_affected())
    }
}
