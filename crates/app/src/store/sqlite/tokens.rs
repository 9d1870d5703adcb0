//! Token lots and the ledger on SQLite. Spending and refunding are helpers over an open
//! transaction so the job queue can debit and refund inside its own transactions (C5).

use async_trait::async_trait;
use sqlx::{Sqlite, SqliteConnection, Transaction};

use super::{SqliteStore, get, get_id, get_opt_id, get_time, internal};
use crate::domain::{JobId, LotId, Timestamp, UserId, UserScope};
use crate::store::{
    LedgerEntry, LedgerKind, Lot, NewLot, StoreError, StoreResult, TokenStore, TokenTotals,
};

/// Inserts a lot and its `grant` entry.
pub(super) async fn grant_in(
    tx: &mut Transaction<'static, Sqlite>,
    user: UserId,
    lot: &NewLot,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO token_lots (id, user_id, quantity, remaining, source, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(lot.id.to_string())
    .bind(user.to_string())
    .bind(i64::from(lot.quantity))
    .bind(i64::from(lot.quantity))
    .bind(&lot.source)
    .bind(lot.created_at.millis())
    .bind(lot.expires_at.millis())
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    append(
        tx,
        user,
        &lot.id.to_string(),
        LedgerKind::Grant,
        i64::from(lot.quantity),
        None,
        lot.created_at,
    )
    .await
}

pub(super) async fn append(
    conn: &mut SqliteConnection,
    user: UserId,
    lot: &str,
    kind: LedgerKind,
    amount: i64,
    job: Option<JobId>,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO token_ledger (user_id, lot_id, kind, amount, job_id, created_at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(user.to_string())
        .bind(lot)
        .bind(kind.as_str())
        .bind(amount)
        .bind(job.map(|j| j.to_string()))
        .bind(now.millis())
        .execute(conn)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Takes `amount` from the user's live lots, soonest expiry first, or fails leaving them as
/// they were. Must run inside a write transaction.
pub(super) async fn spend_in(
    conn: &mut SqliteConnection,
    user: UserId,
    amount: u32,
    job: JobId,
    now: Timestamp,
) -> StoreResult<()> {
    take_in(conn, user, amount, LedgerKind::Spend, Some(job), now).await
}

/// Takes `amount` from the user's live lots, soonest expiry first, with `kind` entries, or
/// fails with `InsufficientTokens` leaving them as they were.
async fn take_in(
    conn: &mut SqliteConnection,
    user: UserId,
    amount: u32,
    kind: LedgerKind,
    job: Option<JobId>,
    now: Timestamp,
) -> StoreResult<()> {
    let lots: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, remaining FROM token_lots WHERE user_id = ? AND remaining > 0 AND expires_at > ?
         ORDER BY expires_at, created_at, id",
    )
    .bind(user.to_string())
    .bind(now.millis())
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    let mut left = i64::from(amount);
    if lots.iter().map(|(_, remaining)| remaining).sum::<i64>() < left {
        return Err(StoreError::InsufficientTokens);
    }
    for (lot, remaining) in lots {
        if left == 0 {
            break;
        }
        let take = left.min(remaining);
        let updated = sqlx::query(
            "UPDATE token_lots SET remaining = remaining - ? WHERE id = ? AND remaining >= ?",
        )
        .bind(take)
        .bind(&lot)
        .bind(take)
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Internal(
                "token lot changed under a write transaction".into(),
            ));
        }
        append(conn, user, &lot, kind, take, job, now).await?;
        left -= take;
    }
    Ok(())
}

/// Puts back what `job` spent, lot by lot; returns how many tokens came back (0 when the job
/// spent nothing or was already refunded). Must run inside a write transaction.
pub(super) async fn refund_in(
    conn: &mut SqliteConnection,
    job: JobId,
    now: Timestamp,
) -> StoreResult<u32> {
    let job_text = job.to_string();
    let already: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM token_ledger WHERE job_id = ? AND kind = 'refund'",
    )
    .bind(&job_text)
    .fetch_one(&mut *conn)
    .await
    .map_err(internal)?;
    if already > 0 {
        return Ok(0);
    }
    let spent: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT user_id, lot_id, SUM(amount) FROM token_ledger WHERE job_id = ? AND kind = 'spend'
         GROUP BY user_id, lot_id",
    )
    .bind(&job_text)
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    let mut total = 0;
    for (user, lot, amount) in spent {
        sqlx::query("UPDATE token_lots SET remaining = remaining + ? WHERE id = ?")
            .bind(amount)
            .bind(&lot)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        let user: UserId = user
            .parse()
            .map_err(|e| StoreError::Internal(Box::new(e)))?;
        append(conn, user, &lot, LedgerKind::Refund, amount, Some(job), now).await?;
        total += amount;
    }
    u32::try_from(total).map_err(|e| StoreError::Internal(Box::new(e)))
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn grant_tokens(&self, user: UserId, lot: NewLot) -> StoreResult<LotId> {
        let mut tx = self.write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = ?")
            .bind(user.to_string())
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
        let mut tx = self.write().await?;
        spend_in(&mut tx, scope.user_id(), amount, job, now).await?;
        tx.commit().await.map_err(internal)
    }

    async fn refund_job_tokens(&self, job: JobId, now: Timestamp) -> StoreResult<u32> {
        let mut tx = self.write().await?;
        let refunded = refund_in(&mut tx, job, now).await?;
        tx.commit().await.map_err(internal)?;
        Ok(refunded)
    }

    async fn expire_lots(&self, now: Timestamp) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let lots: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT id, user_id, remaining FROM token_lots WHERE expires_at <= ? AND remaining > 0",
        )
        .bind(now.millis())
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        let mut total = 0;
        for (lot, user, remaining) in lots {
            sqlx::query("UPDATE token_lots SET remaining = 0 WHERE id = ?")
                .bind(&lot)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            let user: UserId = user
                .parse()
                .map_err(|e| StoreError::Internal(Box::new(e)))?;
            append(
                &mut tx,
                user,
                &lot,
                LedgerKind::Expire,
                remaining,
                None,
                now,
            )
            .await?;
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
        let mut tx = self.write().await?;
        let remaining: i64 =
            sqlx::query_scalar("SELECT remaining FROM token_lots WHERE id = ? AND user_id = ?")
                .bind(lot.to_string())
                .bind(user.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(internal)?
                .ok_or(StoreError::NotFound)?;
        let take = remaining.min(i64::from(amount));
        if take > 0 {
            sqlx::query("UPDATE token_lots SET remaining = remaining - ? WHERE id = ?")
                .bind(take)
                .bind(lot.to_string())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            append(
                &mut tx,
                user,
                &lot.to_string(),
                LedgerKind::Revoke,
                take,
                None,
                now,
            )
            .await?;
        }
        tx.commit().await.map_err(internal)?;
        u32::try_from(take).map_err(|e| StoreError::Internal(Box::new(e)))
    }

    async fn balance(&self, scope: UserScope, now: Timestamp) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COALESCE(SUM(remaining), 0) FROM token_lots WHERE user_id = ? AND expires_at > ?")
            .bind(scope.user_id().to_string())
            .bind(now.millis())
            .fetch_one(&self.reader)
            .await
            .map_err(internal)
    }

    async fn lots(&self, scope: UserScope) -> StoreResult<Vec<Lot>> {
        let rows = sqlx::query(
            "SELECT * FROM token_lots WHERE user_id = ? ORDER BY expires_at, created_at, id",
        )
        .bind(scope.user_id().to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
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
        let rows =
            sqlx::query("SELECT * FROM token_ledger WHERE user_id = ? ORDER BY id DESC LIMIT ?")
                .bind(scope.user_id().to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.reader)
                .await
                .map_err(internal)?;
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
        let mut tx = self.write().await?;
        take_in(&mut tx, user, amount, LedgerKind::Revoke, None, now).await?;
        tx.commit().await.map_err(internal)
    }

    async fn purge_expired_lot_details(
        &self,
        expired_by: Timestamp,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let lots: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM token_lots l
             WHERE details_purged_at IS NULL AND expires_at <= ? AND remaining = 0
               AND NOT EXISTS (SELECT 1 FROM token_ledger e JOIN jobs j ON j.id = e.job_id
                               WHERE e.lot_id = l.id AND j.status IN ('queued', 'running'))
             ORDER BY expires_at LIMIT ?",
        )
        .bind(expired_by.millis())
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        for lot in &lots {
            sqlx::query(
                "UPDATE token_lots SET source = 'expired', details_purged_at = ? WHERE id = ?",
            )
            .bind(now.millis())
            .bind(lot)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            sqlx::query(
                "UPDATE token_ledger SET job_id = NULL, note = NULL
                 WHERE lot_id = ? AND (job_id IS NOT NULL OR note IS NOT NULL)",
            )
            .bind(lot)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(lots.len() as u64)
    }

    async fn token_totals(&self, user: UserId) -> StoreResult<TokenTotals> {
        let (lots_quantity, remaining): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(quantity), 0), COALESCE(SUM(remaining), 0) FROM token_lots WHERE user_id = ?",
        )
        .bind(user.to_string())
        .fetch_one(&self.reader)
        .await
        .map_err(internal)?;
        let sums: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, SUM(amount) FROM token_ledger WHERE user_id = ? GROUP BY kind",
        )
        .bind(user.to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
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
