//! Rate-limit and sign-in throttle counters, as the system role on PostgreSQL (the counters
//! every node shares); a single SQLite node counts in memory instead, see `http::limit`.

use async_trait::async_trait;

use super::{each_backend, get};
use crate::store::{StoreResult, THROTTLE_HIT_SQL, ThrottleCount, ThrottleStore};

each_backend! {
    fn count_from_row(row: &DbRow) -> StoreResult<ThrottleCount> {
        let hits: i64 = get(row, "hits")?;
        Ok(ThrottleCount {
            hits: u32::try_from(hits).unwrap_or(u32::MAX),
            first_at: get(row, "first_at")?,
            last_at: get(row, "last_at")?,
        })
    }

    #[async_trait]
    impl ThrottleStore for Db {
        async fn throttle_hit(
            &self,
            name: &[u8],
            now: i64,
            keep_since: i64,
            expires_at: i64,
        ) -> StoreResult<ThrottleCount> {
            let row = sqlx::query(THROTTLE_HIT_SQL)
                .bind(name)
                .bind(now)
                .bind(keep_since)
                .bind(expires_at)
                .fetch_one(self.write_pool())
                .await?;
            count_from_row(&row)
        }

        async fn throttle_peek(&self, name: &[u8]) -> StoreResult<Option<ThrottleCount>> {
            sqlx::query("SELECT hits, first_at, last_at FROM throttle_counters WHERE name = $1")
                .bind(name)
                .fetch_optional(self.read_pool())
                .await?
                .as_ref()
                .map(count_from_row)
                .transpose()
        }

        async fn throttle_swap(
            &self,
            name: &[u8],
            expected: Option<ThrottleCount>,
            new: ThrottleCount,
            expires_at: i64,
        ) -> StoreResult<bool> {
            let done = match expected {
                None => sqlx::query(
                    "INSERT INTO throttle_counters (name, hits, first_at, last_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .bind(i64::from(new.hits))
                .bind(new.first_at)
                .bind(new.last_at)
                .bind(expires_at)
                .execute(self.write_pool())
                .await?,
                Some(old) => sqlx::query(
                    "UPDATE throttle_counters SET hits = $2, first_at = $3, last_at = $4,
                            expires_at = $5
                     WHERE name = $1 AND hits = $6 AND first_at = $7 AND last_at = $8",
                )
                .bind(name)
                .bind(i64::from(new.hits))
                .bind(new.first_at)
                .bind(new.last_at)
                .bind(expires_at)
                .bind(i64::from(old.hits))
                .bind(old.first_at)
                .bind(old.last_at)
                .execute(self.write_pool())
                .await?,
            };
            Ok(done.rows_affected() == 1)
        }

        async fn throttle_clear(&self, name: &[u8]) -> StoreResult<()> {
            sqlx::query("DELETE FROM throttle_counters WHERE name = $1")
                .bind(name)
                .execute(self.write_pool())
                .await?;
            Ok(())
        }

        async fn throttle_prune(&self, now: i64) -> StoreResult<u64> {
            let done = sqlx::query("DELETE FROM throttle_counters WHERE expires_at < $1")
                .bind(now)
                .execute(self.write_pool())
                .await?;
            Ok(done.rows_affected())
        }
    }
}
