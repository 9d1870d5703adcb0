//! The ledger's taking and refunding on SQLite, over an open write transaction, so the job
//! queue and the token calls debit and refund inside their own transactions (C5). The write
//! transaction holds the database lock, so no lot changes between a read and its update.

use sqlx::SqliteConnection;

use super::backend::append;
use crate::domain::{JobId, LotId, Timestamp, UserId};
use crate::store::{LedgerKind, StoreError, StoreResult};

/// Takes `amount` from the user's live lots, soonest expiry first, with `kind` entries, or
/// fails with `InsufficientTokens` leaving them as they were.
pub(in crate::store) async fn take_in(
    conn: &mut SqliteConnection,
    user: UserId,
    amount: u32,
    kind: LedgerKind,
    job: Option<JobId>,
    now: Timestamp,
) -> StoreResult<()> {
    let lots: Vec<(LotId, i64)> = sqlx::query_as(
        "SELECT id, remaining FROM token_lots WHERE user_id = $1 AND remaining > 0
           AND expires_at > $2
         ORDER BY expires_at, created_at, id",
    )
    .bind(user)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
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
            "UPDATE token_lots SET remaining = remaining - $1 WHERE id = $2 AND remaining >= $1",
        )
        .bind(take)
        .bind(lot)
        .execute(&mut *conn)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Internal(
                "token lot changed under a write transaction".into(),
            ));
        }
        append(conn, user, lot, kind, take, job, now).await?;
        left -= take;
    }
    Ok(())
}

/// Puts back what `job` spent, lot by lot; returns how many tokens came back (0 when the job
/// spent nothing or was already refunded). Must run inside a write transaction.
pub(in crate::store) async fn refund_in(
    conn: &mut SqliteConnection,
    job: JobId,
    now: Timestamp,
) -> StoreResult<u32> {
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
        "SELECT user_id, lot_id, SUM(amount) FROM token_ledger
         WHERE job_id = $1 AND kind = 'spend'
         GROUP BY user_id, lot_id",
    )
    .bind(job)
    .fetch_all(&mut *conn)
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
