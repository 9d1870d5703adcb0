//! Rate-limit and sign-in throttle counters on PostgreSQL, as the system role: the counters every node shares.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::{PgStore, internal};
use crate::store::{StoreResult, THROTTLE_HIT_SQL, ThrottleCount, ThrottleStore};

fn count_from_row(row: &PgRow) -> StoreResult<ThrottleCount> {
    let hits: i64 = row.try_get("hits").map_err(internal)?;
    Ok(ThrottleCount {
        hits: u32::try_from(hits).unwrap_or(u32::MAX),
        first_at: row.try_get("first_at").map_err(internal)?,
        last_at: row.try_get("last_at").map_err(internal)?,
    })
}

#[async_trait]
impl ThrottleStore for PgStore {
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
            .fetch_one(&self.system)
            .await
            .map_err(internal)?;
        count_from_row(&row)
    }

    async fn throttle_peek(&self, name: &[u8]) -> StoreResult<Option<ThrottleCount>> {
        sqlx::query("SELECT hits, first_at, last_at FROM throttle_counters WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.system)
            .await
            .map_err(internal)?
            .as_ref()
            .map(count_from_row)
            .transpose()
    }

    async fn throttle_clear(&self, name: &[u8]) -> StoreResult<()> {
        sqlx::query("DELETE FROM throttle_counters WHERE name = $1")
            .bind(name)
            .execute(&self.system)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn throttle_prune(&self, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM throttle_counters WHERE expires_at < $1")
            .bind(now)
            .execute(&self.system)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected())
    }
}
