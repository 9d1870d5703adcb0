//! Billing (C6): token packs sold through Stripe Checkout, and monthly plans (`plans`).
//! Starts checkouts, verifies and applies webhooks, reconciles from the success page, refunds
//! for operators.
//!
//! Every path that learns a payment fact (webhook, success page, refund command) goes through
//! the store's one idempotent `apply_payment_fact`, so a fact learned twice, late or out of
//! order leaves the same state. This module holds no SQL and renders nothing.

pub mod events;
pub mod plans;
pub mod signature;
pub mod stripe;

#[cfg(test)]
pub(crate) mod fake_stripe;

use std::sync::Arc;

use crate::config::{PackConfig, StripeConfig};
use crate::domain::{PurchaseId, Timestamp, UserId, UserScope};
use crate::store::{
    NewPurchase, PaymentFact, PaymentOutcome, Purchase, PurchaseStatus, Store, StoreError,
    UsageKind,
};
pub use signature::SignatureError;
use stripe::{CheckoutRequest, StripeClient, StripeError};

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("payments are not configured on this server")]
    NotConfigured,
    #[error("unknown pack `{0}`")]
    UnknownPack(String),
    #[error("unknown plan `{0}`")]
    UnknownPlan(String),
    #[error("a plan of yours still renews; cancel it before choosing another")]
    AlreadySubscribed,
    #[error("this subscription is not active, so there is nothing to cancel")]
    NotCancelable,
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("the webhook body is not a Stripe event: {0}")]
    InvalidEvent(String),
    #[error("not found")]
    NotFound,
    #[error("this purchase cannot be refunded in its state")]
    NotRefundable,
    #[error(transparent)]
    Stripe(#[from] StripeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BillingError {
    pub fn code(&self) -> &'static str {
        match self {
            BillingError::NotConfigured => "payments-not-configured",
            BillingError::UnknownPack(_) => "unknown-pack",
            BillingError::UnknownPlan(_) => "unknown-plan",
            BillingError::AlreadySubscribed => "already-subscribed",
            BillingError::NotCancelable => "not-cancelable",
            BillingError::Signature(e) => e.code(),
            BillingError::InvalidEvent(_) => "invalid-event",
            BillingError::NotFound => "not-found",
            BillingError::NotRefundable => "not-refundable",
            BillingError::Stripe(_) => "payment-provider-error",
            BillingError::Store(e) => e.code(),
        }
    }
}

/// A checkout that was started: the pending purchase and where to send the buyer.
#[derive(Clone, Debug)]
pub struct Checkout {
    pub purchase: Purchase,
    pub url: String,
}

/// What `atelier user refund` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundReport {
    Refunded { refund_id: String, revoked: u32 },
    AlreadyRefunded,
}

/// Currencies Stripe counts in whole units (no minor unit).
const ZERO_DECIMAL: [&str; 16] = [
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// Currencies Stripe counts in thousandths.
const THREE_DECIMAL: [&str; 5] = ["bhd", "jod", "kwd", "omr", "tnd"];

/// How many decimals a minor unit of `currency` (ISO 4217, any case) has, as Stripe counts.
pub fn minor_digits(currency: &str) -> u32 {
    let code = currency.to_ascii_lowercase();
    if ZERO_DECIMAL.contains(&code.as_str()) {
        0
    } else if THREE_DECIMAL.contains(&code.as_str()) {
        3
    } else {
        2
    }
}

/// `amount` minor units of `currency` as people read it: `12.00 EUR`, `500 JPY`. Pages use
/// `Tr::money`, which writes it the reader's way.
pub fn format_amount(amount: i64, currency: &str) -> String {
    let code = currency.to_ascii_uppercase();
    let digits = minor_digits(currency);
    if digits == 0 {
        return format!("{amount} {code}");
    }
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let unit = 10_u64.pow(digits);
    format!(
        "{sign}{}.{:0width$} {code}",
        abs / unit,
        abs % unit,
        width = digits as usize
    )
}

#[derive(Clone)]
pub struct Billing {
    store: Arc<dyn Store>,
    config: Arc<StripeConfig>,
    client: Option<Arc<StripeClient>>,
}

impl Billing {
    /// Payments are on when `stripe.secret_key` is set.
    pub fn new(store: Arc<dyn Store>, config: StripeConfig) -> Billing {
        let client = config.secret_key.clone().and_then(|key| {
            StripeClient::new(&config.api_base, key, config.timeout)
                .inspect_err(|e| tracing::error!(error = %e, "Stripe client unavailable"))
                .ok()
                .map(Arc::new)
        });
        Billing {
            store,
            config: Arc::new(config),
            client,
        }
    }

    pub fn enabled(&self) -> bool {
        self.client.is_some()
    }

    pub fn packs(&self) -> &[PackConfig] {
        &self.config.packs
    }

    /// The public root Checkout returns to, when configured.
    pub fn public_url(&self) -> Option<&str> {
        self.config.public_url.as_deref()
    }

    fn client(&self) -> Result<&StripeClient, BillingError> {
        self.client.as_deref().ok_or(BillingError::NotConfigured)
    }

    /// Records a pending purchase of `pack_id` and opens a Checkout Session for it. `site` is
    /// the public root of this server; `product_name` is shown by Stripe to the buyer.
    pub async fn start_checkout(
        &self,
        scope: UserScope,
        pack_id: &str,
        product_name: &str,
        site: &str,
    ) -> Result<Checkout, BillingError> {
        let client = self.client()?;
        let pack = self
            .packs()
            .iter()
            .find(|p| p.id == pack_id)
            .ok_or_else(|| BillingError::UnknownPack(pack_id.to_owned()))?;
        let now = Timestamp::now();
        let new = NewPurchase {
            id: PurchaseId::new(),
            pack_id: pack.id.clone(),
            tokens: pack.tokens,
            amount: pack.amount,
            currency: pack.currency.clone(),
            valid_days: pack.valid_days,
            created_at: now,
        };
        let purchase = self.store.create_purchase(scope, &new).await?;
        let site = site.trim_end_matches('/');
        let success_url = format!("{site}/buy/success?session_id={{CHECKOUT_SESSION_ID}}");
        let cancel_url = format!("{site}/buy?canceled=1");
        let (purchase_id, user_id) = (purchase.id.to_string(), scope.user_id().to_string());
        let request = CheckoutRequest {
            purchase_id: &purchase_id,
            user_id: &user_id,
            pack_id: &pack.id,
            product_name,
            amount: pack.amount,
            currency: &pack.currency,
            success_url: &success_url,
            cancel_url: &cancel_url,
        };
        let session = client.create_checkout_session(&request).await?;
        let url = session
            .url
            .clone()
            .ok_or_else(|| StripeError::Decode("Checkout Session without a url".into()))?;
        self.store
            .attach_checkout_session(purchase.id, &session.id, now)
            .await?;
        Ok(Checkout { purchase, url })
    }

    /// Verifies and applies one webhook delivery; `now` is our clock.
    pub async fn handle_webhook(
        &self,
        signature_header: Option<&str>,
        body: &[u8],
        now: Timestamp,
    ) -> Result<PaymentOutcome, BillingError> {
        let secret = self
            .config
            .webhook_secret
            .as_ref()
            .ok_or(BillingError::NotConfigured)?;
        signature::verify(
            signature_header,
            body,
            secret.expose(),
            now.millis().div_euclid(1000),
        )?;
        let (event, fact) =
            events::parse(body).map_err(|e| BillingError::InvalidEvent(e.to_string()))?;
        let outcome = self
            .store
            .apply_payment_fact(Some(&event), &fact, now)
            .await?;
        self.note_paid(&fact, &outcome).await;
        if matches!(outcome, PaymentOutcome::Rejected(_)) {
            tracing::warn!(event = %event.id, kind = %event.kind, outcome = outcome.as_str(), "Stripe event does not match its purchase; nothing credited");
        } else {
            tracing::info!(event = %event.id, kind = %event.kind, outcome = outcome.as_str(), "Stripe event");
        }
        Ok(outcome)
    }

    /// A usage event for the buyer when `outcome` credited their pack (best effort).
    async fn note_paid(&self, fact: &PaymentFact, outcome: &PaymentOutcome) {
        let (PaymentFact::SessionPaid(session), PaymentOutcome::Credited { .. }) = (fact, outcome)
        else {
            return;
        };
        match self.store.purchase_by_id(session.purchase).await {
            Ok(Some(Purchase {
                user_id: Some(user),
                ..
            })) => {
                crate::analytics::record(self.store.as_ref(), user, UsageKind::PurchasePaid, None)
                    .await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "usage event not recorded"),
        }
    }

    /// The success page's check: asks Stripe about the session and applies what it says, so a
    /// lost webhook never leaves a paid buyer without tokens. Only the buyer may ask.
    pub async fn reconcile(
        &self,
        scope: UserScope,
        session_id: &str,
    ) -> Result<Purchase, BillingError> {
        let client = self.client()?;
        let well_formed = session_id.starts_with("cs_")
            && session_id.len() <= 255
            && session_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !well_formed {
            return Err(BillingError::NotFound);
        }
        // A session Stripe does not know is the visitor's mistake (an edited or stale link),
        // not Stripe failing: the same "payment not found" as a session of someone else.
        let session = match client.retrieve_session(session_id).await {
            Err(StripeError::Api { status: 404, .. }) => return Err(BillingError::NotFound),
            other => other?,
        };
        let id = events::purchase_of(&session).ok_or(BillingError::NotFound)?;
        if self.store.purchase(scope, id).await?.is_none() {
            return Err(BillingError::NotFound);
        }
        let fact = events::session_fact(&session);
        let outcome = self
            .store
            .apply_payment_fact(None, &fact, Timestamp::now())
            .await?;
        tracing::info!(purchase = %id, outcome = outcome.as_str(), "checkout reconciled");
        self.note_paid(&fact, &outcome).await;
        self.store
            .purchase(scope, id)
            .await?
            .ok_or(BillingError::NotFound)
    }

    /// Operator: refunds a paid purchase of `user` in full through Stripe and revokes its
    /// unspent tokens, as the `charge.refunded` webhook would (which then changes nothing).
    pub async fn refund(&self, user: UserId, id: PurchaseId) -> Result<RefundReport, BillingError> {
        let client = self.client()?;
        let purchase = self
            .store
            .purchase_by_id(id)
            .await?
            .filter(|p| p.user_id == Some(user))
            .ok_or(BillingError::NotFound)?;
        match purchase.status {
            PurchaseStatus::Refunded => return Ok(RefundReport::AlreadyRefunded),
            PurchaseStatus::Paid => {}
            _ => return Err(BillingError::NotRefundable),
        }
        let intent = purchase
            .payment_intent_id
            .clone()
            .ok_or(BillingError::NotRefundable)?;
        let refund = client.create_refund(&intent, &id.to_string()).await?;
        let fact = PaymentFact::Refunded {
            payment_intent: intent,
            amount_refunded: purchase.amount,
            currency: purchase.currency.clone(),
        };
        let outcome = self
            .store
            .apply_payment_fact(None, &fact, Timestamp::now())
            .await?;
        let revoked = match outcome {
            PaymentOutcome::Refund { revoked } => revoked,
            _ => 0,
        };
        tracing::info!(purchase = %id, refund = %refund.id, revoked, "purchase refunded");
        Ok(RefundReport::Refunded {
            refund_id: refund.id,
            revoked,
        })
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod plans_tests;
