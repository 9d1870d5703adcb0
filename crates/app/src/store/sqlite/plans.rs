//! Subscriptions and their grants on SQLite (issue 10): the owner's reads and the pending
//! row, and what each Stripe report about a subscription does, inside the write transaction
//! of `apply_payment_fact` (which records the event id once). The rules themselves are in
//! `store::plan_records`; here they are read and written.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqliteConnection, Transaction};

use super::tokens::grant_in;
use super::{SqliteStore, get, get_id, get_opt_id, get_time, get_u32, internal};
use crate::domain::{SubscriptionId, Timestamp, UserScope};
use crate::store::{
    BillingInterval, InvoiceFacts, NewSubscription, PaymentFact, PaymentOutcome, StoreError,
    StoreResult, Subscription, SubscriptionGrant, SubscriptionRef, SubscriptionStatus,
    SubscriptionStore,
};

fn optional_time(row: &SqliteRow, column: &str) -> StoreResult<Option<Timestamp>> {
    let value: Option<i64> = row.try_get(column).map_err(internal)?;
    Ok(value.map(Timestamp::from_millis))
}

fn read_subscription(row: &SqliteRow) -> StoreResult<Subscription> {
    let status: String = get(row, "status")?;
    let interval: String = get(row, "billing_interval")?;
    Ok(Subscription {
        id: get_id(row, "id")?,
        user_id: get_opt_id(row, "user_id")?,
        plan: get(row, "plan_id")?,
        tokens: get_u32(row, "tokens")?,
        amount: get(row, "amount")?,
        currency: get(row, "currency")?,
        interval: BillingInterval::parse(&interval)
            .ok_or_else(|| StoreError::Internal(format!("interval {interval}").into()))?,
        status: SubscriptionStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("subscription status {status}").into()))?,
        checkout_session_id: get(row, "checkout_session_id")?,
        stripe_subscription_id: get(row, "stripe_subscription_id")?,
        stripe_customer_id: get(row, "stripe_customer_id")?,
        cancel_at_period_end: get(row, "cancel_at_period_end")?,
        current_period_start: optional_time(row, "current_period_start")?,
        current_period_end: optional_time(row, "current_period_end")?,
        created_at: get_time(row, "created_at")?,
        canceled_at: optional_time(row, "canceled_at")?,
    })
}

fn read_grant(row: &SqliteRow) -> StoreResult<SubscriptionGrant> {
    Ok(SubscriptionGrant {
        invoice_id: get(row, "invoice_id")?,
        subscription_id: get_id(row, "subscription_id")?,
        lot_id: get_id(row, "lot_id")?,
        tokens: get_u32(row, "tokens")?,
        amount: get(row, "amount")?,
        currency: get(row, "currency")?,
        period_start: get_time(row, "period_start")?,
        period_end: get_time(row, "period_end")?,
        expires_at: get_time(row, "expires_at")?,
        granted_at: get_time(row, "granted_at")?,
    })
}

async fn subscription_by_id(
    conn: &mut SqliteConnection,
    id: SubscriptionId,
) -> StoreResult<Option<Subscription>> {
    sqlx::query("SELECT * FROM subscriptions WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await
        .map_err(internal)?
        .as_ref()
        .map(read_subscription)
        .transpose()
}

/// The row a report names: by Stripe's subscription id, else by our id from the metadata
/// (a report that arrives before the one that told us Stripe's id).
async fn find(
    conn: &mut SqliteConnection,
    reference: &SubscriptionRef,
) -> StoreResult<Option<Subscription>> {
    if let Some(stripe) = &reference.stripe_subscription {
        let row = sqlx::query("SELECT * FROM subscriptions WHERE stripe_subscription_id = ?")
            .bind(stripe)
            .fetch_optional(&mut *conn)
            .await
            .map_err(internal)?;
        if let Some(row) = row {
            return read_subscription(&row).map(Some);
        }
    }
    match reference.ours {
        Some(id) => subscription_by_id(conn, id).await,
        None => Ok(None),
    }
}

/// Writes the fields a report may change.
async fn write(
    conn: &mut SqliteConnection,
    next: &Subscription,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE subscriptions SET status = ?, checkout_session_id = ?, stripe_subscription_id = ?,
             stripe_customer_id = ?, cancel_at_period_end = ?, current_period_start = ?,
             current_period_end = ?, canceled_at = ?, updated_at = ?
         WHERE id = ?",
    )
    .bind(next.status.as_str())
    .bind(next.checkout_session_id.as_deref())
    .bind(next.stripe_subscription_id.as_deref())
    .bind(next.stripe_customer_id.as_deref())
    .bind(next.cancel_at_period_end)
    .bind(next.current_period_start.map(Timestamp::millis))
    .bind(next.current_period_end.map(Timestamp::millis))
    .bind(next.canceled_at.map(Timestamp::millis))
    .bind(now.millis())
    .bind(next.id.to_string())
    .execute(conn)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Applies one subscription fact; other facts are not this module's.
pub(super) async fn apply(
    tx: &mut Transaction<'static, Sqlite>,
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
        PaymentFact::InvoicePaid(invoice) => return invoice_paid(tx, &current, invoice, now).await,
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
    tx: &mut Transaction<'static, Sqlite>,
    current: &Subscription,
    invoice: &InvoiceFacts,
    now: Timestamp,
) -> StoreResult<PaymentOutcome> {
    let lot = match current.grant_for(invoice, now) {
        Err(mismatch) => return Ok(PaymentOutcome::Rejected(mismatch)),
        Ok(lot) => lot,
    };
    let granted_before: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM subscription_grants WHERE invoice_id = ?")
            .bind(&invoice.invoice_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(internal)?;
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
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&invoice.invoice_id)
    .bind(current.id.to_string())
    .bind(user.to_string())
    .bind(lot.id.to_string())
    .bind(i64::from(lot.quantity))
    .bind(invoice.amount_paid)
    .bind(&invoice.currency)
    .bind(invoice.period_start.millis())
    .bind(invoice.period_end.millis())
    .bind(lot.expires_at.millis())
    .bind(now.millis())
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(PaymentOutcome::Granted { lot: lot.id })
}

#[async_trait]
impl SubscriptionStore for SqliteStore {
    async fn create_subscription(
        &self,
        scope: UserScope,
        new: &NewSubscription,
    ) -> StoreResult<Subscription> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO subscriptions (id, user_id, plan_id, tokens, amount, currency,
                 billing_interval, status, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
        )
        .bind(new.id.to_string())
        .bind(scope.user_id().to_string())
        .bind(&new.plan_id)
        .bind(i64::from(new.tokens))
        .bind(new.amount)
        .bind(&new.currency)
        .bind(new.interval.as_str())
        .bind(new.created_at.millis())
        .bind(new.created_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let stored = subscription_by_id(&mut tx, new.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(internal)?;
        Ok(stored)
    }

    async fn attach_subscription_checkout(
        &self,
        id: SubscriptionId,
        session_id: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let current = subscription_by_id(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        match current.checkout_session_id.as_deref() {
            Some(known) if known == session_id => return Ok(()),
            Some(_) => return Err(StoreError::WrongState),
            None => {}
        }
        sqlx::query(
            "UPDATE subscriptions SET checkout_session_id = ?, updated_at = ? WHERE id = ?",
        )
        .bind(session_id)
        .bind(now.millis())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)
    }

    async fn subscription(
        &self,
        scope: UserScope,
        id: SubscriptionId,
    ) -> StoreResult<Option<Subscription>> {
        sqlx::query("SELECT * FROM subscriptions WHERE id = ? AND user_id = ?")
            .bind(id.to_string())
            .bind(scope.user_id().to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(internal)?
            .as_ref()
            .map(read_subscription)
            .transpose()
    }

    async fn subscriptions_of(
        &self,
        scope: UserScope,
        limit: u32,
    ) -> StoreResult<Vec<Subscription>> {
        let rows = sqlx::query(
            "SELECT * FROM subscriptions WHERE user_id = ?
             ORDER BY created_at DESC, id DESC LIMIT ?",
        )
        .bind(scope.user_id().to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
        rows.iter().map(read_subscription).collect()
    }

    async fn subscription_grants_of(
        &self,
        scope: UserScope,
        limit: u32,
    ) -> StoreResult<Vec<SubscriptionGrant>> {
        let rows = sqlx::query(
            "SELECT * FROM subscription_grants WHERE user_id = ?
             ORDER BY period_start DESC, granted_at DESC LIMIT ?",
        )
        .bind(scope.user_id().to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
        rows.iter().map(read_grant).collect()
    }
}
