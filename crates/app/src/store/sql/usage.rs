//! Usage analytics: recorded (by the system role) only while the user has not opted out;
//! read by the owner (through the app role on PostgreSQL).

use async_trait::async_trait;

use super::{each_backend, from_row};
use crate::domain::{Timestamp, UserId, UserScope};
use crate::store::{StoreResult, UsageEvent, UsageKind, UsageStore};

each_backend! {
    #[async_trait]
    impl UsageStore for Db {
        async fn record_usage(
            &self,
            user: UserId,
            kind: UsageKind,
            style: Option<&str>,
            now: Timestamp,
        ) -> StoreResult<bool> {
            // One statement. SQLite reads the opt-out under the same write lock as the insert;
            // on PostgreSQL FOR SHARE waits for an opt-out in flight (it locks the users row
            // FOR NO KEY UPDATE and deletes the events), then rereads the flag: no event
            // outlives an objection.
            let inserted = sqlx::query(dialect(
                "INSERT INTO usage_events (user_id, kind, style, created_at)
                 SELECT id, $1, $2, $3 FROM users WHERE id = $4 AND NOT analytics_opt_out",
                "INSERT INTO usage_events (user_id, kind, style, created_at)
                 SELECT id, $1, $2, $3 FROM users WHERE id = $4 AND NOT analytics_opt_out
                 FOR SHARE",
            ))
            .bind(kind.as_str())
            .bind(style)
            .bind(now)
            .bind(user)
            .execute(self.write_pool())
            .await?;
            Ok(inserted.rows_affected() == 1)
        }

        async fn usage_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<UsageEvent>> {
            let mut tx = self.user_read(scope).await?;
            let rows = sqlx::query(
                "SELECT kind, style, created_at FROM usage_events WHERE user_id = $1
                 ORDER BY id LIMIT $2",
            )
            .bind(scope.user_id())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect()
        }

        async fn purge_usage(&self, before: Timestamp) -> StoreResult<u64> {
            let deleted = sqlx::query("DELETE FROM usage_events WHERE created_at < $1")
                .bind(before)
                .execute(self.write_pool())
                .await?;
            Ok(deleted.rows_affected())
        }
    }
}
