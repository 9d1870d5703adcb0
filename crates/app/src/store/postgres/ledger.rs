//! The ledger's write helpers on PostgreSQL, over an open transaction, so sign-up, the job
//! queue and the token calls debit, credit and refund inside their own transactions (C5).
//!
//! Concurrency: every statement that changes lots first locks them `FOR UPDATE` in one global
//! order (expiry, creation, id), so concurrent spends, refunds and expiries queue instead of
//! overdrawing, and never deadlock.

use sqlx::PgConnection;
use uuid::Uuid;

use super::{int, internal};
use crate::domain::{JobId, Timestamp, UserId};
use crate::store::{LedgerKind, NewLot, StoreError, StoreResult};

/// Inserts a lot and its `grant` entry.
pub(super) async fn grant_in(
    conn: &mut PgConnection,
    user: UserId,
    lot: &NewLot,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO token_lots (id, user_id, quantity, remaining, source, created_at, expires_at)
         VALUES ($1, $2, $3, $3, $4, $5, $6)",
    )
    .bind(lot.id.as_uuid())
    .bind(user.as_uuid())
    .bind(int(lot.quantity)?)
    .bind(&lot.source)
    .bind(lot.created_at.millis())
    .bind(lot.expires_at.millis())
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    let amount = i64::from(lot.quantity);
    append(
        conn,
        user,
        lot.id.as_uuid(),
        LedgerKind::Grant,
        amount,
        None,
        lot.created_at,
    )
    .await
}

pub(super) async fn append(
    conn: &mut PgConnection,
    user: UserId,
    lot: Uuid,
    kind: LedgerKind,
    amount: i64,
    job: Option<JobId>,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO token_ledger (user_id, lot_id, kind, amount, job_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user.as_uuid())
    .bind(lot)
    .bind(kind.as_str())
    .bind(i32::try_from(amount).map_err(|e| StoreError::Internal(Box::new(e)))?)
    .bind(job.map(|j| j.as_uuid()))
    .bind(now.millis())
    .execute(conn)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Takes `amount` from the user's live lots, soonest expiry first, or fails leaving them as
/// they were. The caller's transaction holds the lots' row locks until it ends.
pub(super) async fn spend_in(
    conn: &mut PgConnection,
    user: UserId,
    amount: u32,
    job: JobId,
    now: Timestamp,
) -> StoreResult<()> {
    take_in(conn, user, amount, LedgerKind::Spend, Some(job), now).await
}

/// Takes `amount` from the user's live lots, soonest expiry first, with `kind` entries, or
/// fails with `InsufficientTokens` leaving them as they were.
pub(super) async fn take_in(
    conn: &mut PgConnection,
    user: UserId,
    amount: u32,
    kind: LedgerKind,
    job: Option<JobId>,
    now: Timestamp,
) -> StoreResult<()> {
    let lots: Vec<(Uuid, i32)> = sqlx::query_as(
        "SELECT id, remaining FROM token_lots
         WHERE user_id = $1 AND remaining > 0 AND expires_at > $2
         ORDER BY expires_at, created_at, id FOR UPDATE",
    )
    .bind(user.as_uuid())
    .bind(now.millis())
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    let mut left = i64::from(amount);
    if lots.iter().map(|(_, r)| i64::from(*r)).sum::<i64>() < left {
        return Err(StoreError::InsufficientTokens);
    }
    for (lot, remaining) in lots {
        if left == 0 {
            break;
        }
        let take = left.min(i64::from(remaining));
        sqlx::query("UPDATE token_lots SET remaining = remaining - $1 WHERE id = $2")
            .bind(i32::try_from(take).map_err(|e| StoreError::Internal(Box::new(e)))?)
            .bind(lot)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        append(conn, user, lot, kind, take, job, now).await?;
        left -= take;
    }
    Ok(())
}

/// Puts back what `job` spent, lot by lot; returns how many tokens came back (0 when the job
/// spent nothing or was already refunded). A per-job advisory lock makes "once" hold when a
/// cancel and a failure race.
pub(super) async fn refund_in(
    conn: &mut PgConnection,
    job: JobId,
    now: Timestamp,
) -> StoreResult<u32> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))")
        .bind(job.to_string())
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
    let already: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM token_ledger WHERE job_id = $1 AND kind = 'refund'",
    )
    .bind(job.as_uuid())
    .fetch_one(&mut *conn)
    .await
    .map_err(internal)?;
    if already > 0 {
        return Ok(0);
    }
    let spent: Vec<(Uuid, Uuid, i64)> = sqlx::query_as(
        "SELECT l.user_id, l.lot_id, SUM(l.amount)::bigint
         FROM token_ledger l JOIN token_lots t ON t.id = l.lot_id
         WHERE l.job_id = $1 AND l.kind = 'spend'
         GROUP BY l.user_id, l.lot_id, t.expires_at, t.created_at
         ORDER BY t.expires_at, t.created_at, l.lot_id",
    )
    .bind(job.as_uuid())
    .fetch_all(&mut *conn)
    .await
    .map_err(internal)?;
    let lots: Vec<Uuid> = spent.iter().map(|(_, lot, _)| *lot).collect();
    sqlx::query(
        "SELECT id FROM token_lots WHERE id = ANY($1) ORDER BY expires_at, created_at, id FOR UPDATE",
    )
    .bind(&lots)
    .execute(&mut *conn)
    .await
    .map_err(internal)?;
    let mut total = 0;
    for (user, lot, amount) in spent {
        sqlx::query("UPDATE token_lots SET remaining = remaining + $1 WHERE id = $2")
            .bind(i32::try_from(amount).map_err(|e| StoreError::Internal(Box::new(e)))?)
            .bind(lot)
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        let user = UserId::from(user);
        append(conn, user, lot, LedgerKind::Refund, amount, Some(job), now).await?;
        total += amount;
    }
    u32::try_from(total).map_err(|e| StoreError::Internal(Box::new(e)))
}
