//! The ledger's shared write helpers, over the caller's open transaction: a grant (a lot and
//! its entry) and one appended entry. Taking and refunding, whose locking differs per
//! back-end, are in `sqlite/ledger.rs` and `postgres/ledger.rs` and append through here.

use super::each_backend;
use crate::domain::{JobId, LotId, Timestamp, UserId};
use crate::store::{LedgerKind, NewLot, StoreResult};

each_backend! {
    /// Inserts a lot and its `grant` entry.
    pub(in crate::store) async fn grant_in(
        conn: &mut DbConn,
        user: UserId,
        lot: &NewLot,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO token_lots
                (id, user_id, quantity, remaining, source, created_at, expires_at)
             VALUES ($1, $2, $3, $3, $4, $5, $6)",
        )
        .bind(lot.id)
        .bind(user)
        .bind(i64::from(lot.quantity))
        .bind(&lot.source)
        .bind(lot.created_at)
        .bind(lot.expires_at)
        .execute(&mut *conn)
        .await?;
        let amount = i64::from(lot.quantity);
        append(
            conn,
            user,
            lot.id,
            LedgerKind::Grant,
            amount,
            None,
            lot.created_at,
        )
        .await
    }

    /// Spends `amount` for `job` from the user's live lots, soonest expiry first, or fails
    /// leaving them as they were (the back-end's `take_in`).
    pub(in crate::store) async fn spend_in(
        conn: &mut DbConn,
        user: UserId,
        amount: u32,
        job: JobId,
        now: Timestamp,
    ) -> StoreResult<()> {
        take_in(conn, user, amount, LedgerKind::Spend, Some(job), now).await
    }

    /// Appends one entry to the ledger (append-only: nothing edits an amount afterwards).
    pub(in crate::store) async fn append(
        conn: &mut DbConn,
        user: UserId,
        lot: LotId,
        kind: LedgerKind,
        amount: i64,
        job: Option<JobId>,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO token_ledger (user_id, lot_id, kind, amount, job_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user)
        .bind(lot)
        .bind(kind.as_str())
        .bind(amount)
        .bind(job)
        .bind(now)
        .execute(conn)
        .await?;
        Ok(())
    }
}
