//! The ledger's taking and refunding on PostgreSQL, over an open transaction, so the job
//! queue and the token calls debit and refund inside their own transactions (C5).
//!
//! Concurrency: every statement that changes lots first locks them `FOR UPDATE` in one global
//! order (expiry, creation, id), so concurrent spends, refunds and expiries queue instead of
//! overdrawing, and never deadlock.

use sqlx::PgConnection;

use super::backend::append;
use crate::domain::{JobId, LotId, Timestamp, UserId};
use crate::store::{LedgerKind, StoreError, StoreResult};

/// Takes `amount` from the user's live lots, soonest expiry first, with `kind` entries, or
/// fails with `InsufficientTokens` leaving them as they were.
pub(in crate::store) async fn take_in(
    conn: &mut PgConnection,
    user: UserId,
    amount: u32,
    kind: LedgerKind,
    job: Option<JobId>,
    now: Timestamp,
) -> StoreResult<()> {
    let lots: Vec<(LotId, i32)> = sqlx::query_as(
        "SELECT id, remaining FROM token_lots
         WHERE user_id = $1 AND remaining > 0 AND expires_at > $2
         ORDER BY expires_at, created_at, id FOR UPDATE",
    )
    .bind(user)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
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
            .bind(take)
            .bind(lot)
            .execute(&mut *conn)
            .await?;
        append(conn, user, lot, kind, take, job, now).await?;
        left -= take;
    }
    Ok(())
}

/// Puts back what `job` spent, lot by lot; returns how many tokens came back (0 when the job
/// spent nothing or was already refunded). A per-job advisory lock makes "once" hold when a
/// cancel and a failure race.
pub(in crate::store) async fn refund_in(
    conn: &mut PgConnection,
    job: JobId,
    now: Timestamp,
) -> StoreResult<u32> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))")
        .bind(job.to_string())
        .execute(&mut *conn)
        .await?;
    let already: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM token_ledger WHERE job_id = $1 AND kind = 'refund'",
    )
    .bind(job)
    .fetch_one(&mut *conn)
    .await?;
    if already > 0 {
        return Ok(0);
    }
    let spent: Vec<(UserId, LotId, i64)> = sqlx::query_as(
        "SELECT l.user_id, l.lot_id, SUM(l.amount)::bigint
         FROM token_ledger l JOIN token_lots t ON t.id = l.lot_id
         WHERE l.job_id = $1 AND l.kind = 'spend'
         GROUP BY l.user_id, l.lot_id, t.expires_at, t.created_at
         ORDER BY t.expires_at, t.created_at, l.lot_id",
    )
    .bind(job)
    .fetch_all(&mut *conn)
    .await?;
    let lots: Vec<uuid::Uuid> = spent.iter().map(|(_, lot, _)| lot.as_uuid()).collect();
    sqlx::query(
        "SELECT id FROM token_lots WHERE id = ANY($1) ORDER BY expires_at, created_at, id FOR UPDATE",
    )
    .bind(&lots)
    .execute(&mut *conn)
    .await?;
    let mut total = 0;
    for (user, lot, amount) in spent {
        sqlx::query("UPDATE token_lots SET remaining = remaining + $1 WHERE id = $2")
            .bind(amount)
            .bind(lot)
            .execute(&mut *conn)
            .await?;
        append(conn, user, lot, LedgerKind::Refund, amount, Some(job), now).await?;
        total += amount;
    }
    u32::try_from(total).map_err(|e| StoreError::Internal(Box::new(e)))
}
