//! The subscription records: plans subscribed to through Stripe, the invoices that
//! granted their tokens, and the facts Stripe reports about them. Independent of any back-end
//! and of Stripe's wire format; the rules that decide a grant live here so both back-ends
//! apply the same ones.

use super::sql::Count;
use serde::Serialize;

use super::{Mismatch, NewLot};
use crate::domain::{LotId, SubscriptionId, Timestamp, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BillingInterval {
    Month,
    Year,
}

impl BillingInterval {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingInterval::Month => "month",
            BillingInterval::Year => "year",
        }
    }

    pub fn parse(text: &str) -> Option<BillingInterval> {
        match text {
            "month" => Some(BillingInterval::Month),
            "year" => Some(BillingInterval::Year),
            _ => None,
        }
    }

    /// `at` moved one interval later on the calendar (UTC): the 31st of a month becomes the
    /// last day of a shorter one, 29 February the 28th of a common year.
    pub fn after(self, at: Timestamp) -> Timestamp {
        let nanos = i128::from(at.millis()) * 1_000_000;
        let Ok(start) = time::OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
            return at;
        };
        let (year, month) = match self {
            BillingInterval::Month if start.month() == time::Month::December => {
                (start.year() + 1, time::Month::January)
            }
            BillingInterval::Month => (start.year(), start.month().next()),
            BillingInterval::Year => (start.year() + 1, start.month()),
        };
        let day = start.day().min(month.length(year));
        let moved =
            time::Date::from_calendar_date(year, month, day).map(|date| start.replace_date(date));
        match moved {
            Ok(moved) => {
                let millis = moved.unix_timestamp_nanos() / 1_000_000;
                Timestamp::from_millis(i64::try_from(millis).unwrap_or(i64::MAX))
            }
            Err(_) => at,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Checkout started; Stripe has not reported the subscription yet.
    Pending,
    /// Paid (or being paid) every period.
    Active,
    /// The latest invoice failed; Stripe retries it. Nothing is granted until one is paid.
    PastDue,
    /// Ended: nothing more is granted, whatever arrives later.
    Canceled,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Pending => "pending",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Canceled => "canceled",
        }
    }

    pub fn parse(text: &str) -> Option<SubscriptionStatus> {
        [
            SubscriptionStatus::Pending,
            SubscriptionStatus::Active,
            SubscriptionStatus::PastDue,
            SubscriptionStatus::Canceled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A subscription about to be recorded as pending: the plan as it is configured now.
#[derive(Clone, Debug)]
pub struct NewSubscription {
    pub id: SubscriptionId,
    pub plan_id: String,
    pub tokens: u32,
    pub amount: i64,
    pub currency: String,
    pub interval: BillingInterval,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Subscription {
    pub id: SubscriptionId,
    #[serde(skip)]
    pub user_id: Option<UserId>,
    #[sqlx(rename = "plan_id")]
    pub plan: String,
    /// Tokens granted per paid period.
    #[sqlx(try_from = "Count")]
    pub tokens: u32,
    pub amount: i64,
    pub currency: String,
    #[sqlx(rename = "billing_interval")]
    pub interval: BillingInterval,
    pub status: SubscriptionStatus,
    #[serde(skip)]
    pub checkout_session_id: Option<String>,
    /// Stripe's `sub_…` id, once Stripe reported it.
    pub stripe_subscription_id: Option<String>,
    #[serde(skip)]
    pub stripe_customer_id: Option<String>,
    /// Canceled by its owner: it ends when the current period does, and nothing is granted
    /// for a period that starts after that.
    pub cancel_at_period_end: bool,
    pub current_period_start: Option<Timestamp>,
    /// The renewal date while active.
    pub current_period_end: Option<Timestamp>,
    pub created_at: Timestamp,
    pub canceled_at: Option<Timestamp>,
}

/// One paid invoice's tokens.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct SubscriptionGrant {
    pub invoice_id: String,
    pub subscription_id: SubscriptionId,
    pub lot_id: LotId,
    #[sqlx(try_from = "Count")]
    pub tokens: u32,
    pub amount: i64,
    pub currency: String,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    pub expires_at: Timestamp,
    pub granted_at: Timestamp,
}

/// Where Stripe's reports point: its subscription id, and the metadata we put on it
/// (`subscription_data[metadata]`), so a report that arrives before Stripe's id is known to us
/// still finds the row.
#[derive(Clone, Debug, Default)]
pub struct SubscriptionRef {
    pub stripe_subscription: Option<String>,
    /// Our id (`metadata[subscription_id]`).
    pub ours: Option<SubscriptionId>,
    /// `metadata[user_id]` (or the session's `client_reference_id`).
    pub user: Option<String>,
    /// `metadata[plan]`.
    pub plan: Option<String>,
}

/// A subscription Checkout Session that completed.
#[derive(Clone, Debug)]
pub struct SubscriptionStartFacts {
    pub reference: SubscriptionRef,
    pub session_id: String,
    pub customer: Option<String>,
}

/// A paid invoice of a subscription.
#[derive(Clone, Debug)]
pub struct InvoiceFacts {
    pub invoice_id: String,
    pub reference: SubscriptionRef,
    pub amount_paid: i64,
    pub currency: String,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
}

/// The state of a subscription as Stripe reports it (`customer.subscription.*`, or the answer
/// to our own update/cancel call).
#[derive(Clone, Debug)]
pub struct SubscriptionState {
    pub reference: SubscriptionRef,
    pub customer: Option<String>,
    /// Stripe's status (`active`, `past_due`, `canceled`, …).
    pub stripe_status: String,
    pub cancel_at_period_end: bool,
    pub period_start: Option<Timestamp>,
    pub period_end: Option<Timestamp>,
}

impl SubscriptionState {
    /// What the reported state means here; `None` leaves the status as it is.
    pub fn status(&self) -> Option<SubscriptionStatus> {
        match self.stripe_status.as_str() {
            "active" | "trialing" => Some(SubscriptionStatus::Active),
            "past_due" | "unpaid" => Some(SubscriptionStatus::PastDue),
            "canceled" | "incomplete_expired" => Some(SubscriptionStatus::Canceled),
            _ => None,
        }
    }
}

/// Why a paid invoice granted nothing although it matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoGrant {
    /// The subscription ended (deleted at Stripe, or by erasure).
    Canceled,
    /// Canceled at period end, and this invoice is for a period after that end.
    AfterCancellation,
}

impl Subscription {
    /// Whether a report about `reference` may change this row: the same Stripe subscription
    /// (once one is recorded), the same owner and plan when the report names them.
    pub fn check(&self, reference: &SubscriptionRef) -> Result<(), Mismatch> {
        let user = self.user_id.ok_or(Mismatch::AccountGone)?;
        if let (Some(known), Some(told)) = (
            self.stripe_subscription_id.as_deref(),
            reference.stripe_subscription.as_deref(),
        ) && known != told
        {
            return Err(Mismatch::Subscription);
        }
        if reference
            .user
            .as_deref()
            .is_some_and(|told| told != user.to_string())
        {
            return Err(Mismatch::ClientReference);
        }
        if reference
            .plan
            .as_deref()
            .is_some_and(|told| told != self.plan)
        {
            return Err(Mismatch::Plan);
        }
        Ok(())
    }

    /// The lot a paid invoice grants: the plan's tokens, spendable until the end of the
    /// period after the one paid for. An error says why it grants nothing.
    pub fn grant_for(
        &self,
        invoice: &InvoiceFacts,
        now: Timestamp,
    ) -> Result<Result<NewLot, NoGrant>, Mismatch> {
        self.check(&invoice.reference)?;
        if invoice.currency != self.currency {
            return Err(Mismatch::Currency);
        }
        if invoice.amount_paid != self.amount {
            return Err(Mismatch::Amount);
        }
        if self.status == SubscriptionStatus::Canceled {
            return Ok(Err(NoGrant::Canceled));
        }
        if self.cancel_at_period_end
            && self
                .current_period_end
                .is_some_and(|end| invoice.period_start >= end)
        {
            return Ok(Err(NoGrant::AfterCancellation));
        }
        Ok(Ok(NewLot {
            id: LotId::new(),
            quantity: self.tokens,
            source: format!("subscription:{}", self.id),
            created_at: now,
            expires_at: self.interval.after(invoice.period_end),
        }))
    }
}

/// How each report changes a subscription row: the same rules for every back-end, which
/// then writes the changed row. A canceled subscription never comes back.
impl Subscription {
    fn adopt(&mut self, reference: &SubscriptionRef, customer: Option<&String>) {
        if self.stripe_subscription_id.is_none() {
            self.stripe_subscription_id
                .clone_from(&reference.stripe_subscription);
        }
        if self.stripe_customer_id.is_none() {
            self.stripe_customer_id = customer.cloned();
        }
    }

    /// Periods only move forward, so a late report of an older period changes nothing.
    fn move_period(&mut self, start: Option<Timestamp>, end: Option<Timestamp>) {
        if let Some(end) = end
            && self.current_period_end.is_none_or(|known| end >= known)
        {
            self.current_period_end = Some(end);
            self.current_period_start = start.or(self.current_period_start);
        }
    }

    fn revive(&mut self, status: SubscriptionStatus) {
        if self.status != SubscriptionStatus::Canceled {
            self.status = status;
        }
    }

    /// The Checkout completed: Stripe's ids, and active unless a later report said otherwise.
    pub fn on_started(&self, facts: &SubscriptionStartFacts) -> Subscription {
        let mut next = self.clone();
        next.adopt(&facts.reference, facts.customer.as_ref());
        if next.checkout_session_id.is_none() {
            next.checkout_session_id = Some(facts.session_id.clone());
        }
        if next.status == SubscriptionStatus::Pending {
            next.status = SubscriptionStatus::Active;
        }
        next
    }

    /// An invoice was paid: active again, and its period is the current one if newer.
    pub fn on_invoice_paid(&self, invoice: &InvoiceFacts) -> Subscription {
        let mut next = self.clone();
        next.adopt(&invoice.reference, None);
        next.revive(SubscriptionStatus::Active);
        next.move_period(Some(invoice.period_start), Some(invoice.period_end));
        next
    }

    pub fn on_invoice_failed(&self, reference: &SubscriptionRef) -> Subscription {
        let mut next = self.clone();
        next.adopt(reference, None);
        next.revive(SubscriptionStatus::PastDue);
        next
    }

    /// Stripe's state of the subscription, reported at `now`.
    pub fn on_state(&self, state: &SubscriptionState, now: Timestamp) -> Subscription {
        let mut next = self.clone();
        if self.status == SubscriptionStatus::Canceled {
            return next;
        }
        next.adopt(&state.reference, state.customer.as_ref());
        next.cancel_at_period_end = state.cancel_at_period_end;
        next.move_period(state.period_start, state.period_end);
        if let Some(status) = state.status() {
            next.status = status;
            if status == SubscriptionStatus::Canceled {
                next.canceled_at = Some(now);
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        let parsed =
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .expect("RFC 3339");
        Timestamp::from_millis(
            i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).expect("fits"),
        )
    }

    #[test]
    fn one_interval_later_follows_the_calendar() {
        let cases = [
            (
                BillingInterval::Month,
                "2026-01-15T10:00:00Z",
                "2026-02-15T10:00:00Z",
            ),
            (
                BillingInterval::Month,
                "2026-01-31T00:00:00Z",
                "2026-02-28T00:00:00Z",
            ),
            (
                BillingInterval::Month,
                "2026-12-05T08:30:00Z",
                "2027-01-05T08:30:00Z",
            ),
            (
                BillingInterval::Year,
                "2028-02-29T12:00:00Z",
                "2029-02-28T12:00:00Z",
            ),
        ];
        for (interval, from, to) in cases {
            assert_eq!(interval.after(at(from)), at(to), "{from} + {interval:?}");
        }
    }
}
