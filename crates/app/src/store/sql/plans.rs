//! Subscriptions and their grants. The owner reads and starts subscriptions (on
//! PostgreSQL as the app role under Row Level Security); Stripe's reports run as the system
//! inside `apply_payment_fact`'s transaction, each locking the subscription row first on
//! PostgreSQL (SQLite's write transaction holds the database lock) so two reports about one
//! subscription settle one after the other. The rules themselves are in
//! `store::plan_records`; here they are read and written.

use async_trait::async_trait;

use super::{each_backend, from_row};
use crate::domain::{SubscriptionId, Timestamp, UserScope};
use crate::store::{
    InvoiceFacts, NewSubscription, PaymentFact, PaymentOutcome, StoreError, StoreResult,
    Subscription, SubscriptionGrant, SubscriptionRef, SubscriptionStore,
};

each_backend! {

    async fn subscription_by_id(
        conn: &mut DbConn,
        id: SubscriptionId,
    ) -> StoreResult<Option<Subscription>> {
        let sql = dialect(
            "SELECT * FROM subscriptions WHERE id = $1",
            "SELECT * FROM subscriptions WHERE id = $1 FOR UPDATE",
        );
        sqlx::query(sql)
            .bind(id)
            .fetch_optional(conn)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// The row a report names: by Stripe's subscription id, else by our id from the metadata
    /// (a report that arrives before the one that told us Stripe's id).
    async fn find(
        conn: &mut DbConn,
        reference: &SubscriptionRef,
    ) -> StoreResult<Option<Subscription>> {
        if let Some(stripe) = &reference.stripe_subscription {
            let sql = dialect(
                "SELECT * FROM subscriptions WHERE stripe_subscription_id = $1",
                "SELECT * FROM subscriptions WHERE stripe_subscription_id = $1 FOR UPDATE",
            );
            let row = sqlx::query(sql)
                .bind(stripe)
                .fetch_optional(&mut *conn)
                .await?;
            if let Some(row) = row {
                return from_row(&row).map(Some);
            }
        }
        match reference.ours {
            Some(id) => subscription_by_id(conn, id).await,
            None => Ok(None),
        }
    }

    /// Writes the fields a report may change.
    async fn write(conn: &mut DbConn, next: &Subscription, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "UPDATE subscriptions SET status = $1, checkout_session_id = $2,
                 stripe_subscription_id = $3, stripe_customer_id = $4, cancel_at_period_end = $5,
                 current_period_start = $6, current_period_end = $7, canceled_at = $8, updated_at = $9
             WHERE id = $10",
        )
        .bind(next.status.as_str())
        .bind(next.checkout_session_id.as_deref())
        .bind(next.stripe_subscription_id.as_deref())
        .bind(next.stripe_customer_id.as_deref())
        .bind(next.cancel_at_period_end)
        .bind(next.current_period_start)
        .bind(next.current_period_end)
        .bind(next.canceled_at)
        .bind(now)
        .bind(next.id)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Applies one subscription fact; other facts are not this module's.
    pub(in crate::store) async fn apply_subscription_fact(
        tx: &mut DbConn,
        fact: &PaymentFact,
        now: Timestamp,
    ) -> StoreResult<PaymentOutcome> {
        let reference = match fact {
            PaymentFact::SubscriptionStarted(facts) => &facts.reference,
            PaymentFact::InvoicePaid(invoice) => &invoice.reference,
            PaymentFact::InvoiceFailed(reference) => reference,
            PaymentFact::SubscriptionChanged(state) => &state.reference,
            _ => return Ok(PaymentOutcome::Ignored),
        };
        let Some(current) = find(tx, reference).await? else {
            return Ok(PaymentOutcome::UnknownSubscription);
        };
        if let Err(mismatch) = current.check(reference) {
            return Ok(PaymentOutcome::Rejected(mismatch));
        }
        let next = match fact {
            PaymentFact::SubscriptionStarted(facts) => current.on_started(facts),
            PaymentFact::InvoicePaid(invoice) => {
                return invoice_paid(tx, &current, invoice, now).await;
            }
            PaymentFact::InvoiceFailed(reference) => current.on_invoice_failed(reference),
            PaymentFact::SubscriptionChanged(state) => current.on_state(state, now),
            _ => return Ok(PaymentOutcome::Ignored),
        };
        write(tx, &next, now).await?;
        Ok(PaymentOutcome::SubscriptionUpdated(next.status))
    }

    /// Grants the invoice's lot once (the invoice id is the key of `subscription_grants`), unless
    /// the subscription ended; records the period either way.
    async fn invoice_paid(
        tx: &mut DbConn,
        current: &Subscription,
        invoice: &InvoiceFacts,
        now: Timestamp,
    ) -> StoreResult<PaymentOutcome> {
        let lot = match current.grant_for(invoice, now) {
            Err(mismatch) => return Ok(PaymentOutcome::Rejected(mismatch)),
            Ok(lot) => lot,
        };
        let granted_before: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM subscription_grants WHERE invoice_id = $1",
        )
        .bind(&invoice.invoice_id)
        .fetch_optional(&mut *tx)
        .await?;
        let next = current.on_invoice_paid(invoice);
        write(tx, &next, now).await?;
        if granted_before.is_some() {
            return Ok(PaymentOutcome::AlreadyGranted);
        }
        let lot = match lot {
            Ok(lot) => lot,
            Err(reason) => return Ok(PaymentOutcome::NotGranted(reason)),
        };
        let user = current
            .user_id
            .ok_or_else(|| StoreError::Internal("checked subscription without an owner".into()))?;
        grant_in(tx, user, &lot).await?;
        sqlx::query(
            "INSERT INTO subscription_grants (invoice_id, subscription_id, user_id, lot_id, tokens,
                 amount, currency, period_start, period_end, expires_at, granted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&invoice.invoice_id)
        .bind(current.id)
        .bind(user)
        .bind(lot.id)
        .bind(i64::from(lot.quantity))
        .bind(invoice.amount_paid)
        .bind(&invoice.currency)
        .bind(invoice.period_start)
        .bind(invoice.period_end)
        .bind(lot.expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Ok(PaymentOutcome::Granted { lot: lot.id })
    }

    #[async_trait]
    impl SubscriptionStore for Db {
        async fn create_subscription(
            &self,
            scope: UserScope,
            new: &NewSubscription,
        ) -> StoreResult<Subscription> {
            let mut tx = self.user_write(scope).await?;
            let row = sqlx::query(
                "INSERT INTO subscriptions (id, user_id, plan_id, tokens, amount, currency,
                     billing_interval, status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8) RETURNING *",
            )
            .bind(new.id)
            .bind(scope.user_id())
            .bind(&new.plan_id)
            .bind(i64::from(new.tokens))
            .bind(new.amount)
            .bind(&new.currency)
            .bind(new.interval.as_str())
            .bind(new.created_at)
            .fetch_one(&mut *tx)
            .await?;
            let stored = from_row(&row)?;
            tx.commit().await?;
            Ok(stored)
        }

        async fn attach_subscription_checkout(
            &self,
            id: SubscriptionId,
            session_id: &str,
            now: Timestamp,
        ) -> StoreResult<()> {
            let mut tx = self.system_write().await?;
            let current = subscription_by_id(&mut tx, id)
                .await?
                .ok_or(StoreError::NotFound)?;
            match current.checkout_session_id.as_deref() {
                Some(known) if known == session_id => return Ok(()),
                Some(_) => return Err(StoreError::WrongState),
                None => {}
            }
            sqlx::query(
                "UPDATE subscriptions SET checkout_session_id = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(session_id)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            Ok(tx.commit().await?)
        }

        async fn subscription(
            &self,
            scope: UserScope,
            id: SubscriptionId,
        ) -> StoreResult<Option<Subscription>> {
            let mut tx = self.user_read(scope).await?;
            let row = sqlx::query("SELECT * FROM subscriptions WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(scope.user_id())
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            row.as_ref().map(from_row).transpose()
        }

        async fn subscriptions_of(
            &self,
            scope: UserScope,
            limit: u32,
        ) -> StoreResult<Vec<Subscription>> {
            let mut tx = self.user_read(scope).await?;
            let rows = sqlx::query(
                "SELECT * FROM subscriptions WHERE user_id = $1
                 ORDER BY created_at DESC, id DESC LIMIT $2",
            )
            .bind(scope.user_id())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect()
        }

        async fn subscription_grants_of(
            &self,
            scope: UserScope,
            limit: u32,
        ) -> StoreResult<Vec<SubscriptionGrant>> {
            let mut tx = self.user_read(scope).await?;
            let rows = sqlx::query(
                "SELECT * FROM subscription_grants WHERE user_id = $1
                 ORDER BY period_start DESC, granted_at DESC LIMIT $2",
            )
            .bind(scope.user_id())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect()
        }
    }
}
