//! Purchases and Stripe events on PostgreSQL (C6), the twin of `sqlite/payments.rs`. A
//! buyer's own purchases are read and created as the app role under Row Level Security;
//! webhooks, reconciliation and operator refunds run as the system role. What each fact does
//! is in `settle.rs`.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::{PgStore, get, get_id, get_opt_id, get_u32, int, internal, settle};
use crate::domain::{PurchaseId, Timestamp, UserScope};
use crate::store::{
    EventKey, NewPurchase, PaymentFact, PaymentOutcome, PaymentStore, Purchase, PurchaseRow,
    PurchaseStatus, StoreError, StoreResult,
};

pub(super) fn read_purchase(row: &PgRow) -> StoreResult<Purchase> {
    let status: String = get(row, "status")?;
    let optional_time = |column: &str| -> StoreResult<Option<Timestamp>> {
        let value: Option<i64> = row.try_get(column).map_err(internal)?;
        Ok(value.map(Timestamp::from_millis))
    };
    Ok(Purchase {
        id: get_id(row, "id")?,
        user_id: get_opt_id(row, "user_id")?,
        pack: get(row, "pack_id")?,
        tokens: get_u32(row, "tokens")?,
        amount: get(row, "amount")?,
        currency: get(row, "currency")?,
        valid_days: get_u32(row, "valid_days")?,
        status: PurchaseStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("purchase status {status}").into()))?,
        checkout_session_id: get(row, "checkout_session_id")?,
        payment_intent_id: get(row, "payment_intent_id")?,
        lot_id: get_opt_id(row, "lot_id")?,
        refunded_amount: get(row, "refunded_amount")?,
        revoked_tokens: get_u32(row, "revoked_tokens")?,
        created_at: Timestamp::from_millis(get(row, "created_at")?),
        paid_at: optional_time("paid_at")?,
        refunded_at: optional_time("refunded_at")?,
    })
}

/// Which purchase to lock.
pub(super) enum Key<'a> {
    Id(PurchaseId),
    PaymentIntent(&'a str),
}

/// The purchase named by `key`, locked for the rest of the caller's transaction so two
/// facts about one purchase settle one after the other.
pub(super) async fn lock_purchase(
    conn: &mut PgConnection,
    key: Key<'_>,
) -> StoreResult<Option<Purchase>> {
    let row = match key {
        Key::Id(id) => {
            sqlx::query("SELECT * FROM purchases WHERE id = $1 FOR UPDATE")
                .bind(id.as_uuid())
                .fetch_optional(conn)
                .await
        }
        Key::PaymentIntent(intent) => {
            sqlx::query("SELECT * FROM purchases WHERE payment_intent_id = $1 FOR UPDATE")
                .bind(intent)
                .fetch_optional(conn)
                .await
        }
    }
    .map_err(internal)?;
    row.as_ref().map(read_purchase).transpose()
}

#[async_trait]
impl PaymentStore for PgStore {
    async fn create_purchase(
        &self,
        scope: UserScope,
        purchase: &NewPurchase,
    ) -> StoreResult<Purchase> {
        let mut tx = self.scoped(scope).await?;
        let row = sqlx::query(
            "INSERT INTO purchases (id, user_id, pack_id, tokens, amount, currency, valid_days,
             status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8) RETURNING *",
        )
        .bind(purchase.id.as_uuid())
        .bind(scope.user_id().as_uuid())
        .bind(&purchase.pack_id)
        .bind(int(purchase.tokens)?)
        .bind(purchase.amount)
        .bind(&purchase.currency)
        .bind(int(purchase.valid_days)?)
        .bind(purchase.created_at.millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        let stored = read_purchase(&row)?;
        tx.commit().await.map_err(internal)?;
        Ok(stored)
    }

    async fn attach_checkout_session(
        &self,
        id: PurchaseId,
        session_id: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.system_tx().await?;
        let current = lock_purchase(&mut tx, Key::Id(id))
            .await?
            .ok_or(StoreError::NotFound)?;
        match current.checkout_session_id.as_deref() {
            Some(known) if known == session_id => return Ok(()),
            Some(_) => return Err(StoreError::WrongState),
            None => {}
        }
        sqlx::query("UPDATE purchases SET checkout_session_id = $1, updated_at = $2 WHERE id = $3")
            .bind(session_id)
            .bind(now.millis())
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)
    }

    async fn purchase(&self, scope: UserScope, id: PurchaseId) -> StoreResult<Option<Purchase>> {
        let mut tx = self.scoped(scope).await?;
        let row = sqlx::query("SELECT * FROM purchases WHERE id = $1 AND user_id = $2")
            .bind(id.as_uuid())
            .bind(scope.user_id().as_uuid())
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        row.as_ref().map(read_purchase).transpose()
    }

    async fn purchases_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Purchase>> {
        let mut tx = self.scoped(scope).await?;
        let rows = sqlx::query(
            "SELECT * FROM purchases WHERE user_id = $1
             ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(scope.user_id().as_uuid())
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        rows.iter().map(read_purchase).collect()
    }

    async fn purchase_by_id(&self, id: PurchaseId) -> StoreResult<Option<Purchase>> {
        sqlx::query("SELECT * FROM purchases WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&self.system)
            .await
            .map_err(internal)?
            .as_ref()
            .map(read_purchase)
            .transpose()
    }

    async fn all_purchases(&self, limit: u32) -> StoreResult<Vec<PurchaseRow>> {
        let rows = sqlx::query(
            "SELECT p.*, u.email AS buyer_email FROM purchases p
             LEFT JOIN users u ON u.id = p.user_id
             ORDER BY p.created_at DESC, p.id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.system)
        .await
        .map_err(internal)?;
        rows.iter()
            .map(|row| {
                Ok(PurchaseRow {
                    purchase: read_purchase(row)?,
                    email: get(row, "buyer_email")?,
                })
            })
            .collect()
    }

    async fn apply_payment_fact(
        &self,
        event: Option<&EventKey>,
        fact: &PaymentFact,
        now: Timestamp,
    ) -> StoreResult<PaymentOutcome> {
        let mut tx = self.system_tx().await?;
        if let Some(event) = event {
            // A concurrent duplicate waits here on the unique key, then inserts nothing.
            let inserted = sqlx::query(
                "INSERT INTO stripe_events (id, type, outcome, received_at)
                 VALUES ($1, $2, 'pending', $3) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&event.id)
            .bind(&event.kind)
            .bind(now.millis())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            if inserted.rows_affected() == 0 {
                return Ok(PaymentOutcome::Duplicate);
            }
        }
        let (outcome, purchase) = settle::apply(&mut tx, fact, now).await?;
        if let Some(event) = event {
            sqlx::query("UPDATE stripe_events SET outcome = $1, purchase_id = $2 WHERE id = $3")
                .bind(outcome.as_str())
                .bind(purchase.map(|p| p.as_uuid()))
                .bind(&event.id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(outcome)
    }
}
