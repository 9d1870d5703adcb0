//! Token lots and the ledger on PostgreSQL: the `TokenStore` calls. Writes go through the
//! helpers in `ledger.rs`; reads of a user's own tokens run as the app role.

use async_trait::async_trait;
use uuid::Uuid;

use super::ledger::{append, grant_in, refund_in, spend_in, take_in};
use super::{PgStore, get, get_id, get_opt_id, get_time, internal};
use crate::domain::{JobId, LotId, Timestamp, UserId, UserScope};
use crate::store::{
    LedgerEntry, LedgerKind, Lot, NewLot, StoreError, StoreResult, TokenStore, TokenTotals,
};

#[async_trait]
impl TokenStore for PgStore {
    async fn grant_tokens(&self, user: UserId, lot: NewLot) -> StoreResult<LotId> {
        let mut tx = self.system_tx().await?;
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = $1")
            .bind(user.as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        grant_in(&mut tx, user, &lot).await?;
        tx.commit().await.map_err(internal)?;
        Ok(lot.id)
    }

    async fn spend_tokens(
        &self,
        scope: UserScope,
        amount: u32,
        job: JobId,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.scoped(scope).await?;
        spend_in(&mut tx, scope.user_id(), amount, job, now).await?;
        tx.commit().await.map_err(internal)
    }

    async fn refund_job_tokens(&self, job: JobId, now: Timestamp) -> StoreResult<u32> {
        let mut tx = self.system_tx().await?;
        let refunded = refund_in(&mut tx, job, now).await?;
        tx.commit().await.map_err(internal)?;
        Ok(refunded)
    }

    async fn expire_lots(&self, now: Timestamp) -> StoreResult<u64> {
        let mut tx = self.system_tx().await?;
        let lots: Vec<(Uuid, Uuid, i32)> = sqlx::query_as(
            "SELECT id, user_id, remaining FROM token_lots WHERE expires_at <= $1 AND remaining > 0
             ORDER BY expires_at, created_at, id FOR UPDATE",
        )
        .bind(now.millis())
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        let mut total = 0;
        for (lot, user, remaining) in lots {
            sqlx::query("UPDATE token_lots SET remaining = 0 WHERE id = $1")
                .bind(lot)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            let remaining = i64::from(remaining);
            let user = UserId::from(user);
            append(&mut tx, user, lot, LedgerKind::Expire, remaining, None, now).await?;
            total += remaining;
        }
        tx.commit().await.map_err(internal)?;
        u64::try_from(total).map_err(|e| StoreError::Internal(Box::new(e)))
    }

    async fn revoke_tokens(
        &self,
        user: UserId,
        lot: LotId,
        amount: u32,
        now: Timestamp,
    ) -> StoreResult<u32> {
        let mut tx = self.system_tx().await?;
        let remaining: i32 = sqlx::query_scalar(
            "SELECT remaining FROM token_lots WHERE id = $1 AND user_id = $2 FOR UPDATE",
        )
        .bind(lot.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?
        .ok_or(StoreError::NotFound)?;
        let take = i64::from(remaining).min(i64::from(amount));
        if take > 0 {
            sqlx::query("UPDATE token_lots SET remaining = remaining - $1 WHERE id = $2")
                .bind(i32::try_from(take).map_err(|e| StoreError::Internal(Box::new(e)))?)
                .bind(lot.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            let lot = lot.as_uuid();
            append(&mut tx, user, lot, LedgerKind::Revoke, take, None, now).await?;
        }
        tx.commit().await.map_err(internal)?;
        u32::try_from(take).map_err(|e| StoreError::Internal(Box::new(e)))
    }

    async fn balance(&self, scope: UserScope, now: Timestamp) -> StoreResult<i64> {
        let mut tx = self.scoped(scope).await?;
        let balance = sqlx::query_scalar(
            "SELECT COALESCE(SUM(remaining), 0)::bigint FROM token_lots
             WHERE user_id = $1 AND expires_at > $2",
        )
        .bind(scope.user_id().as_uuid())
        .bind(now.millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(balance)
    }

    async fn lots(&self, scope: UserScope) -> StoreResult<Vec<Lot>> {
        let mut tx = self.scoped(scope).await?;
        let rows = sqlx::query(
            "SELECT id, quantity::bigint, remaining::bigint, source, created_at, expires_at
             FROM token_lots WHERE user_id = $1 ORDER BY expires_at, created_at, id",
        )
        .bind(scope.user_id().as_uuid())
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        rows.iter()
            .map(|row| {
                Ok(Lot {
                    id: get_id(row, "id")?,
                    quantity: get(row, "quantity")?,
                    remaining: get(row, "remaining")?,
                    source: get(row, "source")?,
                    created_at: get_time(row, "created_at")?,
                    expires_at: get_time(row, "expires_at")?,
                })
            })
            .collect()
    }

    async fn ledger(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<LedgerEntry>> {
        let mut tx = self.scoped(scope).await?;
        let rows = sqlx::query(
            "SELECT kind, amount::bigint, lot_id, job_id, created_at FROM token_ledger
             WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
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
                Ok(LedgerEntry {
                    kind: LedgerKind::parse(&kind).ok_or_else(|| {
                        StoreError::Internal(format!("ledger kind {kind}").into())
                    })?,
                    amount: get(row, "amount")?,
                    lot_id: get_id(row, "lot_id")?,
                    job_id: get_opt_id(row, "job_id")?,
                    created_at: get_time(row, "created_at")?,
                })
            })
            .collect()
    }

    async fn revoke_unspent(&self, user: UserId, amount: u32, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        take_in(&mut tx, user, amount, LedgerKind::Revoke, None, now).await?;
        tx.commit().await.map_err(internal)
    }

    async fn purge_expired_lot_details(
        &self,
        expired_by: Timestamp,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<u64> {
        let mut tx = self.system_tx().await?;
        // Locked in the global lot order (ledger.rs), so a refund racing the purge waits;
        // SKIP LOCKED leaves a lot busy elsewhere to the next sweep.
        let lots: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM token_lots l
             WHERE details_purged_at IS NULL AND expires_at <= $1 AND remaining = 0
               AND NOT EXISTS (SELECT 1 FROM token_ledger e JOIN jobs j ON j.id = e.job_id
                               WHERE e.lot_id = l.id AND j.status IN ('queued', 'running'))
             ORDER BY expires_at, created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(expired_by.millis())
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        if lots.is_empty() {
            return Ok(0);
        }
        sqlx::query(
            "UPDATE token_lots SET source = 'expired', details_purged_at = $1 WHERE id = ANY($2)",
        )
        .bind(now.millis())
        .bind(&lots[..])
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        sqlx::query(
            "UPDATE token_ledger SET job_id = NULL, note = NULL
             WHERE lot_id = ANY($1) AND (job_id IS NOT NULL OR note IS NOT NULL)",
        )
        .bind(&lots[..])
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(lots.len() as u64)
    }

    async fn token_totals(&self, user: UserId) -> StoreResult<TokenTotals> {
        // One snapshot for both sums, so a concurrent spend cannot fall between them.
        let mut tx = self
            .system
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(internal)?;
        let (lots_quantity, remaining): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(quantity), 0)::bigint, COALESCE(SUM(remaining), 0)::bigint
             FROM token_lots WHERE user_id = $1",
        )
        .bind(user.as_uuid())
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        let sums: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, SUM(amount)::bigint FROM token_ledger WHERE user_id = $1 GROUP BY kind",
        )
        .bind(user.as_uuid())
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
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
                None => return Err(StoreError::Internal(format!("ledger kind {kind}").into())),
            }
        }
        Ok(totals)
    }
}
