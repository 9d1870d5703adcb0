//! Monthly plans: subscribing through Stripe Checkout in `mode=subscription`,
//! what Atelier reads from Stripe's subscription and invoice objects, canceling at period
//! end (the owner) or at once (erasure).
//!
//! Every report goes through the store's `apply_payment_fact`, like pack purchases, so an
//! invoice grants its tokens exactly once however often and in whatever order it is reported.
//! Wire shapes follow the pinned API version (`2025-08-27.basil`): an invoice names its
//! subscription under `parent.subscription_details`, a subscription its period on its items.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::stripe::{Session, StripeError, id_of};
use super::{Billing, BillingError};
use crate::config::{PlanConfig, PlanInterval};
use crate::domain::{SubscriptionId, Timestamp, UserScope};
use crate::store::{
    BillingInterval, InvoiceFacts, NewSubscription, PaymentFact, Subscription, SubscriptionRef,
    SubscriptionStartFacts, SubscriptionState, SubscriptionStatus,
};

#[derive(Clone, Debug, Deserialize)]
pub struct List<T> {
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
}

/// A Subscription, as far as Atelier reads it.
#[derive(Clone, Debug, Deserialize)]
pub struct StripeSubscription {
    pub id: String,
    #[serde(default)]
    pub customer: Option<serde_json::Value>,
    pub status: String,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub items: Option<List<SubscriptionItem>>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SubscriptionItem {
    #[serde(default)]
    pub current_period_start: Option<i64>,
    #[serde(default)]
    pub current_period_end: Option<i64>,
}

/// An Invoice, as `invoice.paid` / `invoice.payment_failed` carry it.
#[derive(Clone, Debug, Deserialize)]
pub struct Invoice {
    pub id: String,
    #[serde(default)]
    pub amount_paid: i64,
    pub currency: String,
    #[serde(default)]
    pub parent: Option<InvoiceParent>,
    #[serde(default)]
    pub lines: Option<List<InvoiceLine>>,
    #[serde(default)]
    pub period_start: Option<i64>,
    #[serde(default)]
    pub period_end: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct InvoiceParent {
    #[serde(default)]
    pub subscription_details: Option<SubscriptionDetails>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SubscriptionDetails {
    #[serde(default)]
    pub subscription: Option<serde_json::Value>,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct InvoiceLine {
    #[serde(default)]
    pub period: Option<Period>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Period {
    pub start: i64,
    pub end: i64,
}

fn seconds(at: i64) -> Timestamp {
    Timestamp::from_millis(at.saturating_mul(1000))
}

/// Our metadata on Stripe's objects: `subscription_id`, `user_id`, `plan`.
fn reference(
    stripe: Option<String>,
    metadata: Option<&BTreeMap<String, String>>,
) -> SubscriptionRef {
    let field = |name: &str| metadata.and_then(|m| m.get(name)).cloned();
    SubscriptionRef {
        stripe_subscription: stripe,
        ours: field("subscription_id").and_then(|id| id.parse().ok()),
        user: field("user_id"),
        plan: field("plan"),
    }
}

impl Invoice {
    fn reference(&self) -> Option<SubscriptionRef> {
        let details = self.parent.as_ref()?.subscription_details.as_ref()?;
        let stripe = details.subscription.as_ref().and_then(id_of);
        let found = reference(stripe, details.metadata.as_ref());
        (found.stripe_subscription.is_some() || found.ours.is_some()).then_some(found)
    }

    /// The service period paid for: the subscription line's, else the invoice's own.
    fn period(&self) -> Option<(Timestamp, Timestamp)> {
        let line = self
            .lines
            .as_ref()
            .and_then(|lines| lines.data.iter().find_map(|line| line.period));
        match (line, self.period_start, self.period_end) {
            (Some(period), _, _) => Some((seconds(period.start), seconds(period.end))),
            (None, Some(start), Some(end)) => Some((seconds(start), seconds(end))),
            _ => None,
        }
    }
}

impl StripeSubscription {
    /// Stripe's state of this subscription; `deleted` for `customer.subscription.deleted`.
    pub fn state(&self, deleted: bool) -> SubscriptionState {
        let item = self.items.as_ref().and_then(|items| items.data.first());
        SubscriptionState {
            reference: reference(Some(self.id.clone()), Some(&self.metadata)),
            customer: self.customer.as_ref().and_then(id_of),
            stripe_status: if deleted {
                "canceled".to_owned()
            } else {
                self.status.clone()
            },
            cancel_at_period_end: self.cancel_at_period_end,
            period_start: item.and_then(|i| i.current_period_start).map(seconds),
            period_end: item.and_then(|i| i.current_period_end).map(seconds),
        }
    }
}

/// `invoice.paid`: the tokens of the period it paid for.
pub fn invoice_paid_fact(invoice: &Invoice) -> PaymentFact {
    match (invoice.reference(), invoice.period()) {
        (Some(reference), Some((period_start, period_end))) => {
            PaymentFact::InvoicePaid(InvoiceFacts {
                invoice_id: invoice.id.clone(),
                reference,
                amount_paid: invoice.amount_paid,
                currency: invoice.currency.clone(),
                period_start,
                period_end,
            })
        }
        _ => PaymentFact::Nothing,
    }
}

/// `invoice.payment_failed`: past due.
pub fn invoice_failed_fact(invoice: &Invoice) -> PaymentFact {
    invoice
        .reference()
        .map_or(PaymentFact::Nothing, PaymentFact::InvoiceFailed)
}

/// A completed subscription Checkout Session: Stripe's subscription and customer.
pub fn started_fact(session: &Session) -> PaymentFact {
    let stripe = session.subscription.as_ref().and_then(id_of);
    let mut found = reference(stripe, Some(&session.metadata));
    if found.user.is_none() {
        found.user.clone_from(&session.client_reference_id);
    }
    if found.ours.is_none() || session.status.as_deref() != Some("complete") {
        return PaymentFact::Nothing;
    }
    PaymentFact::SubscriptionStarted(SubscriptionStartFacts {
        reference: found,
        session_id: session.id.clone(),
        customer: session.customer.as_ref().and_then(id_of),
    })
}

/// What a Checkout Session for one subscription carries.
pub struct SubscriptionCheckoutRequest<'a> {
    pub subscription_id: &'a str,
    pub user_id: &'a str,
    pub plan_id: &'a str,
    pub product_name: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub interval: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
}

impl SubscriptionCheckoutRequest<'_> {
    /// The form fields of `POST /v1/checkout/sessions` in subscription mode. The metadata is
    /// on the session and on the subscription (`subscription_data[metadata]`), whose invoices
    /// carry a copy, so every report names our row and its owner.
    pub fn form(&self) -> Vec<(&'static str, String)> {
        vec![
            ("mode", "subscription".into()),
            ("line_items[0][quantity]", "1".into()),
            ("line_items[0][price_data][currency]", self.currency.into()),
            (
                "line_items[0][price_data][unit_amount]",
                self.amount.to_string(),
            ),
            (
                "line_items[0][price_data][recurring][interval]",
                self.interval.into(),
            ),
            (
                "line_items[0][price_data][product_data][name]",
                self.product_name.into(),
            ),
            ("client_reference_id", self.user_id.into()),
            ("metadata[subscription_id]", self.subscription_id.into()),
            ("metadata[user_id]", self.user_id.into()),
            ("metadata[plan]", self.plan_id.into()),
            (
                "subscription_data[metadata][subscription_id]",
                self.subscription_id.into(),
            ),
            ("subscription_data[metadata][user_id]", self.user_id.into()),
            ("subscription_data[metadata][plan]", self.plan_id.into()),
            ("success_url", self.success_url.into()),
            ("cancel_url", self.cancel_url.into()),
        ]
    }
}

/// A subscription checkout that was started: the pending row and where to send the buyer.
#[derive(Clone, Debug)]
pub struct SubscriptionCheckout {
    pub subscription: Subscription,
    pub url: String,
}

fn interval_of(plan: &PlanConfig) -> BillingInterval {
    match plan.interval {
        PlanInterval::Month => BillingInterval::Month,
        PlanInterval::Year => BillingInterval::Year,
    }
}

/// A Stripe subscription id as Stripe writes them; anything else never reaches a URL path.
fn well_formed_subscription(id: &str) -> bool {
    id.starts_with("sub_")
        && id.len() <= 255
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether a subscription still bills (or may): Stripe knows it and it has not ended.
pub fn is_live(subscription: &Subscription) -> bool {
    subscription.stripe_subscription_id.is_some()
        && subscription.status != SubscriptionStatus::Canceled
}

impl Billing {
    pub fn plans(&self) -> &[PlanConfig] {
        &self.config.plans
    }

    /// Records a pending subscription to `plan_id` and opens a Checkout Session for it.
    /// Refused while the caller has a plan that renews (cancel it first).
    pub async fn start_subscription(
        &self,
        scope: UserScope,
        plan_id: &str,
        product_name: &str,
        site: &str,
    ) -> Result<SubscriptionCheckout, BillingError> {
        let client = self.client()?;
        let plan = self
            .plans()
            .iter()
            .find(|p| p.id == plan_id)
            .ok_or_else(|| BillingError::UnknownPlan(plan_id.to_owned()))?;
        let renewing = self
            .store
            .subscriptions_of(scope, 50)
            .await?
            .iter()
            .any(|s| is_live(s) && !s.cancel_at_period_end);
        if renewing {
            return Err(BillingError::AlreadySubscribed);
        }
        let now = Timestamp::now();
        let new = NewSubscription {
            id: SubscriptionId::new(),
            plan_id: plan.id.clone(),
            tokens: plan.tokens,
            amount: plan.amount,
            currency: plan.currency.clone(),
            interval: interval_of(plan),
            created_at: now,
        };
        let subscription = self.store.create_subscription(scope, &new).await?;
        let site = site.trim_end_matches('/');
        let success_url = format!("{site}/buy/subscribed?session_id={{CHECKOUT_SESSION_ID}}");
        let cancel_url = format!("{site}/buy?canceled=1");
        let (id, user) = (subscription.id.to_string(), scope.user_id().to_string());
        let request = SubscriptionCheckoutRequest {
            subscription_id: &id,
            user_id: &user,
            plan_id: &plan.id,
            product_name,
            amount: plan.amount,
            currency: &plan.currency,
            interval: new.interval.as_str(),
            success_url: &success_url,
            cancel_url: &cancel_url,
        };
        let session = client.create_subscription_checkout(&request).await?;
        let url = session
            .url
            .clone()
            .ok_or_else(|| StripeError::Decode("Checkout Session without a url".into()))?;
        self.store
            .attach_subscription_checkout(subscription.id, &session.id, now)
            .await?;
        Ok(SubscriptionCheckout { subscription, url })
    }

    /// The subscription success page's check: asks Stripe about the session and records the
    /// subscription it created, so a lost `checkout.session.completed` is made up for.
    /// Tokens come with the paid invoice (`invoice.paid`), never from here.
    pub async fn reconcile_subscription(
        &self,
        scope: UserScope,
        session_id: &str,
    ) -> Result<Subscription, BillingError> {
        let client = self.client()?;
        let well_formed = session_id.starts_with("cs_")
            && session_id.len() <= 255
            && session_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !well_formed {
            return Err(BillingError::NotFound);
        }
        let session = client.retrieve_session(session_id).await?;
        let id: SubscriptionId = session
            .metadata
            .get("subscription_id")
            .and_then(|id| id.parse().ok())
            .ok_or(BillingError::NotFound)?;
        if self.store.subscription(scope, id).await?.is_none() {
            return Err(BillingError::NotFound);
        }
        let fact = started_fact(&session);
        let outcome = self
            .store
            .apply_payment_fact(None, &fact, Timestamp::now())
            .await?;
        tracing::info!(subscription = %id, outcome = outcome.as_str(), "subscription reconciled");
        self.store
            .subscription(scope, id)
            .await?
            .ok_or(BillingError::NotFound)
    }

    /// The owner cancels: Stripe stops renewing at the end of the current period, and no
    /// invoice for a later period grants anything here.
    pub async fn cancel_subscription(
        &self,
        scope: UserScope,
        id: SubscriptionId,
    ) -> Result<Subscription, BillingError> {
        let client = self.client()?;
        let subscription = self
            .store
            .subscription(scope, id)
            .await?
            .ok_or(BillingError::NotFound)?;
        let stripe_id = match subscription.stripe_subscription_id.as_deref() {
            Some(stripe_id) if is_live(&subscription) => stripe_id,
            _ => return Err(BillingError::NotCancelable),
        };
        if !well_formed_subscription(stripe_id) {
            return Err(BillingError::NotCancelable);
        }
        if subscription.cancel_at_period_end {
            return Ok(subscription);
        }
        let answer = client.cancel_at_period_end(stripe_id).await?;
        let fact = PaymentFact::SubscriptionChanged(answer.state(false));
        let outcome = self
            .store
            .apply_payment_fact(None, &fact, Timestamp::now())
            .await?;
        tracing::info!(subscription = %id, outcome = outcome.as_str(), "subscription canceled at period end");
        self.store
            .subscription(scope, id)
            .await?
            .ok_or(BillingError::NotFound)
    }

    /// Erasure: ends every subscription of the caller that still bills, at once, so nothing
    /// is charged after the account is gone. Stripe's "no such subscription" counts as ended.
    /// Returns how many were canceled; an error leaves the account in place.
    pub async fn cancel_all_now(&self, scope: UserScope) -> Result<u32, BillingError> {
        let live: Vec<Subscription> = self
            .store
            .subscriptions_of(scope, 1000)
            .await?
            .into_iter()
            .filter(is_live)
            .collect();
        if live.is_empty() {
            return Ok(0);
        }
        let client = self.client()?;
        let mut canceled = 0;
        for subscription in live {
            let Some(stripe_id) = subscription
                .stripe_subscription_id
                .as_deref()
                .filter(|id| well_formed_subscription(id))
            else {
                continue;
            };
            let state = match client.cancel_now(stripe_id).await {
                Ok(answer) => answer.state(true),
                Err(StripeError::Api { status: 404, .. }) => SubscriptionState {
                    reference: SubscriptionRef {
                        stripe_subscription: Some(stripe_id.to_owned()),
                        ..SubscriptionRef::default()
                    },
                    customer: None,
                    stripe_status: "canceled".into(),
                    cancel_at_period_end: subscription.cancel_at_period_end,
                    period_start: None,
                    period_end: None,
                },
                Err(e) => return Err(e.into()),
            };
            self.store
                .apply_payment_fact(
                    None,
                    &PaymentFact::SubscriptionChanged(state),
                    Timestamp::now(),
                )
                .await?;
            canceled += 1;
        }
        Ok(canceled)
    }
}
