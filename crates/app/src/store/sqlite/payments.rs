//! Purchases and Stripe events on SQLite (C6). Reads and the once-only event bookkeeping
//! live here; what each fact does to a purchase and its lot is in `settle.rs`.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{SqliteStore, get, get_id, get_opt_id, get_u32, internal, settle};
use crate::domain::{PurchaseId, Timestamp, UserScope};
use crate::store::{
    EventKey, NewPurchase, PaymentFact, PaymentOutcome, PaymentStore, Purchase, PurchaseRow,
    PurchaseStatus, StoreError, StoreResult,
};

pub(super) fn read_purchase(row: &SqliteRow) -> StoreResult<Purchase> {
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

/// The purchase whose `column` (`id` or `payment_intent_id`) is `value`, inside a transaction.
pub(super) async fn purchase_where(
    conn: &mut SqliteConnection,
    column: &'static str,
    value: &str,
) -> StoreResult<Option<Purchase>> {
    let sql = match column {
        "id" => "SELECT * FROM purchases WHERE id = ?",
        "payment_intent_id" => "SELECT * FROM purchases WHERE payment_intent_id = ?",
        _ => return Err(StoreError::Internal("unknown purchase key".into())),
    };
    sqlx::query(sql)
        .bind(value)
        .fetch_optional(conn)
        .await
        .map_err(internal)?
        .as_ref()
        .map(read_purchase)
        .transpose()
}

#[async_trait]
impl PaymentStore for SqliteStore {
    async fn create_purchase(
        &self,
        scope: UserScope,
        purchase: &NewPurchase,
    ) -> StoreResult<Purchase> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO purchases (id, user_id, pack_id, tokens, amount, currency, valid_days,
             status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
        )
        .bind(purchase.id.to_string())
        .bind(scope.user_id().to_string())
        .bind(&purchase.pack_id)
        .bind(i64::from(purchase.tokens))
        .bind(purchase.amount)
        .bind(&purchase.currency)
        .bind(i64::from(purchase.valid_days))
        .bind(purchase.created_at.millis())
        .bind(purchase.created_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let stored = purchase_where(&mut tx, "id", &purchase.id.to_string())
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(internal)?;
        Ok(stored)
    }

    async fn attach_checkout_session(
        &self,
        id: PurchaseId,
        session_id: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let current = purchase_where(&mut tx, "id", &id.to_string())
            .await?
            .ok_or(StoreError::NotFound)?;
        match current.checkout_session_id.as_deref() {
            Some(known) if known == session_id => return Ok(()),
            Some(_) => return Err(StoreError::WrongState),
            None => {}
        }
        sqlx::query("UPDATE purchases SET checkout_session_id = ?, updated_at = ? WHERE id = ?")
            .bind(session_id)
            .bind(now.millis())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)
    }

    async fn purchase(&self, scope: UserScope, id: PurchaseId) -> StoreResult<Option<Purchase>> {
        sqlx::query("SELECT * FROM purchases WHERE id = ? AND user_id = ?")
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(internal)?
            .as_ref()
            .map(read_purchase)
            .transpose()
    }

    async fn purchases_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Purchase>> {
        let rows = sqlx::query(
            "SELECT * FROM purchases WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
        )
        .bind(scope.user_id().to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
        rows.iter().map(read_purchase).collect()
    }

    async fn purchase_by_id(&self, id: PurchaseId) -> StoreResult<Option<Purchase>> {
        let mut conn = self.reader.acquire().await.map_err(internal)?;
        purchase_where(&mut conn, "id", &id.to_string()).await
    }

    async fn all_purchases(&self, limit: u32) -> StoreResult<Vec<PurchaseRow>> {
        let rows = sqlx::query(
            "SELECT p.*, u.email AS buyer_email FROM purchases p
             LEFT JOIN users u ON u.id = p.user_id
             ORDER BY p.created_at DESC, p.id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
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
        let mut tx = self.write().await?;
        if let Some(event) = event {
            // First statement of the transaction: on PostgreSQL a concurrent duplicate waits
            // here on the unique key and then finds the row.
            let inserted = sqlx::query(
                "INSERT INTO stripe_events (id, type, outcome, received_at) VALUES (?, ?, 'pending', ?)
                 ON CONFLICT (id) DO NOTHING",
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
            sqlx::query("UPDATE stripe_events SET outcome = ?, purchase_id = ? WHERE id = ?")
                .bind(outcome.as_str())
                .bind(purchase.map(|p| p.to_string()))
                .bind(&event.id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(outcome)
    }
}

#[cfg(test)]
#[path = "payments_tests.rs"]
mod tests;
