//! Token lots and the ledger: the `TokenStore` calls (C5). Writes go through the ledger
//! helpers (`sql/ledger.rs`, and each back-end's `ledger.rs` for taking and refunding); on
//! PostgreSQL every statement that changes lots first locks them `FOR UPDATE` in one global
//! order (expiry, creation, id), while SQLite's write transaction holds the database lock.
//! Reads of a user's own tokens run as the app role on PostgreSQL.

use async_trait::async_trait;

use super::{Count, each_backend, from_row};
use crate::domain::{JobId, LotId, Timestamp, UserId, UserScope};
use crate::store::{
    LedgerEntry, LedgerKind, Lot, NewLot, StoreError, StoreResult, TokenStore, TokenTotals,
};

each_backend! {
    #[async_trait]
    impl TokenStore for Db {
        async fn grant_tokens(&self, user: UserId, lot: NewLot) -> StoreResult<LotId> {
            let mut tx = self.system_write().await?;
            let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = $1")
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
            grant_in(&mut tx, user, &lot).await?;
            tx.commit().await?;
            Ok(lot.id)
        }

        async fn spend_tokens(
            &self,
            scope: UserScope,
            amount: u32,
            job: JobId,
            now: Timestamp,
        ) -> StoreResult<()> {
            let mut tx = self.user_write(scope).await?;
            spend_in(&mut tx, scope.user_id(), amount, job, now).await?;
            Ok(tx.commit().await?)
        }

        async fn refund_job_tokens(&self, job: JobId, now: Timestamp) -> StoreResult<u32> {
            let mut tx = self.system_write().await?;
            let refunded = refund_in(&mut tx, job, now).await?;
            tx.commit().await?;
            Ok(refunded)
        }

        async fn expire_lots(&self, now: Timestamp) -> StoreResult<u64> {
            let mut tx = self.system_write().await?;
            let lots: Vec<(LotId, UserId, Count)> = sqlx::query_as(dialect(
                "SELECT id, user_id, remaining FROM token_lots
                 WHERE expires_at <= $1 AND remaining > 0",
                "SELECT id, user_id, remaining FROM token_lots
                 WHERE expires_at <= $1 AND remaining > 0
                 ORDER BY expires_at, created_at, id FOR UPDATE",
            ))
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
            let mut total = 0;
            for (lot, user, remaining) in lots {
                sqlx::query("UPDATE token_lots SET remaining = 0 WHERE id = $1")
                    .bind(lot)
                    .execute(&mut *tx)
                    .await?;
                let remaining = i64::from(remaining);
                append(&mut tx, user, lot, LedgerKind::Expire, remaining, None, now).await?;
                total += remaining;
            }
            tx.commit().await?;
            u64::try_from(total).map_err(|e| StoreError::Internal(Box::new(e)))
        }

        async fn revoke_tokens(
            &self,
            user: UserId,
            lot: LotId,
            amount: u32,
            now: Timestamp,
        ) -> StoreResult<u32> {
            let mut tx = self.system_write().await?;
            let remaining: Count = sqlx::query_scalar(dialect(
                "SELECT remaining FROM token_lots WHERE id = $1 AND user_id = $2",
                "SELECT remaining FROM token_lots WHERE id = $1 AND user_id = $2 FOR UPDATE",
            ))
            .bind(lot)
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let take = i64::from(remaining).min(i64::from(amount));
            if take > 0 {
                sqlx::query("UPDATE token_lots SET remaining = remaining - $1 WHERE id = $2")
                    .bind(take)
                    .bind(lot)
                    .execute(&mut *tx)
                    .await?;
                append(&mut tx, user, lot, LedgerKind::Revoke, take, None, now).await?;
            }
            tx.commit().await?;
            u32::try_from(take).map_err(|e| StoreError::Internal(Box::new(e)))
        }

        async fn balance(&self, scope: UserScope, now: Timestamp) -> StoreResult<i64> {
            let mut tx = self.user_read(scope).await?;
            let balance = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM token_lots
                 WHERE user_id = $1 AND expires_at > $2",
            )
            .bind(scope.user_id())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(balance)
        }

        async fn lots(&self, scope: UserScope) -> StoreResult<Vec<Lot>> {
            let mut tx = self.user_read(scope).await?;
            let rows = sqlx::query(
                "SELECT id, quantity, remaining, source, created_at, expires_at
                 FROM token_lots WHERE user_id = $1 ORDER BY expires_at, created_at, id",
            )
            .bind(scope.user_id())
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect()
        }

        async fn ledger(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<LedgerEntry>> {
            let mut tx = self.user_read(scope).await?;
            let rows = sqlx::query(
                "SELECT kind, amount, lot_id, job_id, created_at FROM token_ledger
                 WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(scope.user_id())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect()
        }

        async fn revoke_unspent(
            &self,
            user: UserId,
            amount: u32,
            now: Timestamp,
        ) -> StoreResult<()> {
            let mut tx = self.system_write().await?;
            take_in(&mut tx, user, amount, LedgerKind::Revoke, None, now).await?;
            Ok(tx.commit().await?)
        }

        async fn purge_expired_lot_details(
            &self,
            expired_by: Timestamp,
            now: Timestamp,
            limit: u32,
        ) -> StoreResult<u64> {
            let mut tx = self.system_write().await?;
            // On PostgreSQL locked in the global lot order, so a refund racing the purge
            // waits; SKIP LOCKED leaves a lot busy elsewhere to the next sweep.
            let lots: Vec<LotId> = sqlx::query_scalar(dialect(
                "SELECT id FROM token_lots l
                 WHERE details_purged_at IS NULL AND expires_at <= $1 AND remaining = 0
                   AND NOT EXISTS (SELECT 1 FROM token_ledger e JOIN jobs j ON j.id = e.job_id
                                   WHERE e.lot_id = l.id AND j.status IN ('queued', 'running'))
                 ORDER BY expires_at, created_at, id LIMIT $2",
                "SELECT id FROM token_lots l
                 WHERE details_purged_at IS NULL AND expires_at <= $1 AND remaining = 0
                   AND NOT EXISTS (SELECT 1 FROM token_ledger e JOIN jobs j ON j.id = e.job_id
                                   WHERE e.lot_id = l.id AND j.status IN ('queued', 'running'))
                 ORDER BY expires_at, created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
            ))
            .bind(expired_by)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            for lot in &lots {
                sqlx::query(
                    "UPDATE token_lots SET source = 'expired', details_purged_at = $1
                     WHERE id = $2",
                )
                .bind(now)
                .bind(lot)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE token_ledger SET job_id = NULL, note = NULL
                     WHERE lot_id = $1 AND (job_id IS NOT NULL OR note IS NOT NULL)",
                )
                .bind(lot)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(lots.len() as u64)
        }

        async fn token_totals(&self, user: UserId) -> StoreResult<TokenTotals> {
            // One snapshot for both sums, so a concurrent spend cannot fall between them.
            let mut tx = self.snapshot_read().await?;
            let (lots_quantity, remaining): (i64, i64) = sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT),
                        CAST(COALESCE(SUM(remaining), 0) AS BIGINT)
                 FROM token_lots WHERE user_id = $1",
            )
            .bind(user)
            .fetch_one(&mut *tx)
            .await?;
            let sums: Vec<(String, i64)> = sqlx::query_as(
                "SELECT kind, CAST(SUM(amount) AS BIGINT) FROM token_ledger WHERE user_id = $1
                 GROUP BY kind",
            )
            .bind(user)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let mut totals = TokenTotals {
                lots_quantity,
                remaining,
                ..TokenTotals::default()
            };
            for (kind, sum) in sums {
                match LedgerKind::parse(&kind) {
                    Some(LedgerKind::Grant) => totals.granted = sum,
                    Some(LedgerKind::Spend) => totals.spent = sum,
                    Some(LedgerKind::Refund) => totals.refunded = sum,
                    Some(LedgerKind::Expire) => totals.expired = sum,
                    Some(LedgerKind::Revoke) => totals.revoked = sum,
                    None => {
                        return Err(StoreError::Internal(format!("ledger kind {kind}").into()));
                    }
                }
            }
            Ok(totals)
        }
    }
}
