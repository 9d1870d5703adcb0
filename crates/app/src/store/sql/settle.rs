//! What each payment fact does to a purchase and its token lot, inside the caller's write
//! transaction. Every step is idempotent and the end state does not depend on the order the
//! facts arrive in: `paid` wins over `failed`/`expired`, a purchase credits at most one lot
//! (`lot_id` is set once), and refunds are cumulative amounts merged by maximum. On
//! PostgreSQL each step locks the purchase row first, so facts about one purchase from
//! concurrent deliveries settle one after the other.

use super::{Count, each_backend};
use crate::domain::{LotId, PurchaseId, Timestamp};
use crate::store::{
    LedgerKind, NewLot, PaymentFact, PaymentOutcome, Purchase, PurchaseStatus, SessionFacts,
    StoreError, StoreResult,
};

each_backend! {
    const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

    /// Applies one fact; returns the outcome and the purchase it concerned, if known.
    pub(in crate::store) async fn settle_fact(
        tx: &mut DbConn,
        fact: &PaymentFact,
        now: Timestamp,
    ) -> StoreResult<(PaymentOutcome, Option<PurchaseId>)> {
        match fact {
            PaymentFact::SessionPaid(facts) => {
                let outcome = credit(tx, facts, now).await?;
                Ok((outcome, Some(facts.purchase)))
            }
            PaymentFact::SessionClosed {
                purchase,
                session_id,
                status,
            } => {
                let outcome = close(tx, *purchase, session_id, *status, now).await?;
                Ok((outcome, Some(*purchase)))
            }
            PaymentFact::Refunded {
                payment_intent,
                amount_refunded,
                currency,
            } => record_refund(tx, payment_intent, *amount_refunded, currency, now).await,
            PaymentFact::SubscriptionStarted(_)
            | PaymentFact::InvoicePaid(_)
            | PaymentFact::InvoiceFailed(_)
            | PaymentFact::SubscriptionChanged(_) => {
                Ok((apply_subscription_fact(tx, fact, now).await?, None))
            }
            PaymentFact::Nothing => Ok((PaymentOutcome::Ignored, None)),
        }
    }

    async fn credit(
        tx: &mut DbConn,
        facts: &SessionFacts,
        now: Timestamp,
    ) -> StoreResult<PaymentOutcome> {
        let Some(purchase) = lock_purchase(tx, Key::Id(facts.purchase)).await? else {
            return Ok(PaymentOutcome::UnknownPurchase);
        };
        if purchase.lot_id.is_some() {
            return Ok(PaymentOutcome::AlreadyCredited);
        }
        if let Err(mismatch) = purchase.check(facts) {
            return Ok(PaymentOutcome::Rejected(mismatch));
        }
        let user = purchase
            .user_id
            .ok_or_else(|| StoreError::Internal("checked purchase without a buyer".into()))?;
        let lot = NewLot {
            id: LotId::new(),
            quantity: purchase.tokens,
            source: format!("purchase:{}", purchase.id),
            created_at: now,
            expires_at: now.plus(DAY * purchase.valid_days),
        };
        grant_in(tx, user, &lot).await?;
        let updated = sqlx::query(
            "UPDATE purchases SET status = 'paid', lot_id = $1,
                 checkout_session_id = COALESCE(checkout_session_id, $2),
                 payment_intent_id = COALESCE(payment_intent_id, $3),
                 paid_at = $4, updated_at = $4
             WHERE id = $5 AND lot_id IS NULL",
        )
        .bind(lot.id)
        .bind(&facts.session_id)
        .bind(facts.payment_intent.as_deref())
        .bind(now)
        .bind(purchase.id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Internal(
                "purchase changed under a write transaction".into(),
            ));
        }
        // A refund reported before this payment was recorded is settled now.
        if let Some(intent) = &facts.payment_intent {
            let early: Option<(i64, String)> = sqlx::query_as(
                "SELECT amount_refunded, currency FROM payment_refunds WHERE payment_intent_id = $1",
            )
            .bind(intent)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((amount, currency)) = early {
                let paid = lock_purchase(tx, Key::Id(purchase.id))
                    .await?
                    .ok_or(StoreError::NotFound)?;
                settle_refund(tx, &paid, amount, &currency, now).await?;
            }
        }
        Ok(PaymentOutcome::Credited { lot: lot.id })
    }

    async fn close(
        conn: &mut DbConn,
        id: PurchaseId,
        session_id: &str,
        status: PurchaseStatus,
        now: Timestamp,
    ) -> StoreResult<PaymentOutcome> {
        let Some(purchase) = lock_purchase(conn, Key::Id(id)).await? else {
            return Ok(PaymentOutcome::UnknownPurchase);
        };
        if purchase
            .checkout_session_id
            .as_deref()
            .is_some_and(|known| known != session_id)
        {
            return Ok(PaymentOutcome::Rejected(crate::store::Mismatch::Session));
        }
        if status.close_rank() <= purchase.status.close_rank() || purchase.lot_id.is_some() {
            return Ok(PaymentOutcome::Ignored);
        }
        sqlx::query(
            "UPDATE purchases SET status = $1, updated_at = $2 WHERE id = $3 AND lot_id IS NULL",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
        Ok(PaymentOutcome::StatusChanged(status))
    }

    async fn record_refund(
        conn: &mut DbConn,
        payment_intent: &str,
        amount_refunded: i64,
        currency: &str,
        now: Timestamp,
    ) -> StoreResult<(PaymentOutcome, Option<PurchaseId>)> {
        sqlx::query(
            "INSERT INTO payment_refunds (payment_intent_id, amount_refunded, currency, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (payment_intent_id) DO UPDATE SET
                 amount_refunded = CASE WHEN excluded.amount_refunded > payment_refunds.amount_refunded
                     THEN excluded.amount_refunded ELSE payment_refunds.amount_refunded END,
                 updated_at = excluded.updated_at",
        )
        .bind(payment_intent)
        .bind(amount_refunded.max(0))
        .bind(currency)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        let Some(purchase) = lock_purchase(conn, Key::PaymentIntent(payment_intent)).await? else {
            return Ok((PaymentOutcome::Refund { revoked: 0 }, None));
        };
        let (total, currency): (i64, String) = sqlx::query_as(
            "SELECT amount_refunded, currency FROM payment_refunds WHERE payment_intent_id = $1",
        )
        .bind(payment_intent)
        .fetch_one(&mut *conn)
        .await?;
        let revoked = settle_refund(conn, &purchase, total, &currency, now).await?;
        Ok((PaymentOutcome::Refund { revoked }, Some(purchase.id)))
    }

    /// Brings a credited purchase in line with `refunded_total`: revokes the share of its tokens
    /// that the refunded share of the price bought (rounded up), as far as they are unspent.
    /// Returns the tokens revoked now.
    async fn settle_refund(
        conn: &mut DbConn,
        purchase: &Purchase,
        refunded_total: i64,
        currency: &str,
        now: Timestamp,
    ) -> StoreResult<u32> {
        // Only a credited purchase has tokens to revoke; without its account (erased) the refund
        // is still recorded on the purchase, which accounting keeps.
        let Some(share) = purchase.refund_share(refunded_total, currency, now) else {
            return Ok(0);
        };
        let (lot, wanted) = (share.lot, share.tokens_owed);
        let mut take = 0;
        if let (true, Some(user)) = (wanted > 0, purchase.user_id) {
            let remaining: Option<Count> = sqlx::query_scalar(dialect(
                "SELECT remaining FROM token_lots WHERE id = $1",
                "SELECT remaining FROM token_lots WHERE id = $1 FOR UPDATE",
            ))
            .bind(lot)
            .fetch_optional(&mut *conn)
            .await?;
            let remaining = remaining.map_or(0, i64::from);
            take = wanted.min(remaining);
            if take > 0 {
                sqlx::query("UPDATE token_lots SET remaining = remaining - $1 WHERE id = $2")
                    .bind(take)
                    .bind(lot)
                    .execute(&mut *conn)
                    .await?;
                append(conn, user, lot, LedgerKind::Revoke, take, None, now).await?;
            }
        }
        sqlx::query(
            "UPDATE purchases SET refunded_amount = $1, revoked_tokens = revoked_tokens + $2,
                 status = $3, refunded_at = $4, updated_at = $5
             WHERE id = $6",
        )
        .bind(share.refunded)
        .bind(take)
        .bind(share.status.as_str())
        .bind(share.refunded_at)
        .bind(now)
        .bind(purchase.id)
        .execute(conn)
        .await?;
        u32::try_from(take).map_err(|e| StoreError::Internal(Box::new(e)))
    }
}
