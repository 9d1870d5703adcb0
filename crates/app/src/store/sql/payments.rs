//! Purchases and Stripe events (C6). A buyer's own purchases are read and created by them
//! (on PostgreSQL as the app role under Row Level Security); webhooks, reconciliation and
//! operator refunds run as the system, recording each event id once. What each fact does to a
//! purchase and its lot is in `settle.rs`.

use async_trait::async_trait;

use super::{each_backend, from_row, get};
use crate::domain::{PurchaseId, Timestamp, UserScope};
use crate::store::{
    EventKey, NewPurchase, PaymentFact, PaymentOutcome, PaymentStore, Purchase, PurchaseRow,
    StoreError, StoreResult,
};

each_backend! {

    /// Which purchase to lock.
    pub(in crate::store) enum Key<'a> {
        Id(PurchaseId),
        PaymentIntent(&'a str),
    }

    /// The purchase named by `key`, locked (on PostgreSQL; SQLite's write transaction holds
    /// the database lock) for the rest of the caller's transaction so two facts about one
    /// purchase settle one after the other.
    pub(in crate::store) async fn lock_purchase(
        conn: &mut DbConn,
        key: Key<'_>,
    ) -> StoreResult<Option<Purchase>> {
        let row = match key {
            Key::Id(id) => {
                sqlx::query(dialect(
                    "SELECT * FROM purchases WHERE id = $1",
                    "SELECT * FROM purchases WHERE id = $1 FOR UPDATE",
                ))
                .bind(id)
                .fetch_optional(conn)
                .await
            }
            Key::PaymentIntent(intent) => {
                sqlx::query(dialect(
                    "SELECT * FROM purchases WHERE payment_intent_id = $1",
                    "SELECT * FROM purchases WHERE payment_intent_id = $1 FOR UPDATE",
                ))
                .bind(intent)
                .fetch_optional(conn)
                .await
            }
        }?;
        row.as_ref().map(from_row).transpose()
    }

    #[async_trait]
    impl PaymentStore for Db {
        async fn create_purchase(
            &self,
            scope: UserScope,
            purchase: &NewPurchase,
        ) -> StoreResult<Purchase> {
            let mut tx = self.user_write(scope).await?;
            let row = sqlx::query(
                "INSERT INTO purchases (id, user_id, pack_id, tokens, amount, currency, valid_days,
                 status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8) RETURNING *",
            )
            .bind(purchase.id)
            .bind(scope.user_id())
            .bind(&purchase.pack_id)
            .bind(i64::from(purchase.tokens))
            .bind(purchase.amount)
            .bind(&purchase.currency)
            .bind(i64::from(purchase.valid_days))
            .bind(purchase.created_at)
            .fetch_one(&mut *tx)
            .await?;
            let stored = from_row(&row)?;
            tx.commit().await?;
            Ok(stored)
        }

        async fn attach_checkout_session(
            &self,
            id: PurchaseId,
            session_id: &str,
            now: Timestamp,
        ) -> StoreResult<()> {
            let mut tx = self.system_write().await?;
            let current = lock_purchase(&mut tx, Key::Id(id))
                .await?
                .ok_or(StoreError::NotFound)?;
            match current.checkout_session_id.as_deref() {
                Some(known) if known == session_id => return Ok(()),
                Some(_) => return Err(StoreError::WrongState),
                None => {}
            }
            sqlx::query(
                "UPDATE purchases SET checkout_session_id = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(session_id)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            Ok(tx.commit().await?)
        }

        async fn purchase(
            &self,
            scope: UserScope,
            id: PurchaseId,
        ) -> StoreResult<Option<Purchase>> {
            let mut tx = self.user_read(scope).await?;
            let row = sqlx::query("SELECT * FROM purchases WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(scope.user_id())
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            row.as_ref().map(from_row).transpose()
        }

        async fn purchases_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Purchase>> {
            let mut tx = self.user_read(scope).await?;
            let rows = sqlx::query(
                "SELECT * FROM purchases WHERE user_id = $1
                 ORDER BY created_at DESC, id DESC LIMIT $2",
            )
            .bind(scope.user_id())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect()
        }

        async fn purchase_by_id(&self, id: PurchaseId) -> StoreResult<Option<Purchase>> {
            sqlx::query("SELECT * FROM purchases WHERE id = $1")
                .bind(id)
                .fetch_optional(self.read_pool())
                .await?
                .as_ref()
                .map(from_row)
                .transpose()
        }

        async fn all_purchases(&self, limit: u32) -> StoreResult<Vec<PurchaseRow>> {
            let rows = sqlx::query(
                "SELECT p.*, u.email AS buyer_email FROM purchases p
                 LEFT JOIN users u ON u.id = p.user_id
                 ORDER BY p.created_at DESC, p.id DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(self.read_pool())
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(PurchaseRow {
                        purchase: from_row(row)?,
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
            let mut tx = self.system_write().await?;
            if let Some(event) = event {
                // A concurrent duplicate waits here on the unique key, then inserts nothing.
                let inserted = sqlx::query(
                    "INSERT INTO stripe_events (id, type, outcome, received_at)
                     VALUES ($1, $2, 'pending', $3) ON CONFLICT (id) DO NOTHING",
                )
                .bind(&event.id)
                .bind(&event.kind)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() == 0 {
                    return Ok(PaymentOutcome::Duplicate);
                }
            }
            let (outcome, purchase) = settle_fact(&mut tx, fact, now).await?;
            if let Some(event) = event {
                sqlx::query(
                    "UPDATE stripe_events SET outcome = $1, purchase_id = $2 WHERE id = $3",
                )
                .bind(outcome.as_str())
                .bind(purchase)
                .bind(&event.id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(outcome)
        }
    }
}
