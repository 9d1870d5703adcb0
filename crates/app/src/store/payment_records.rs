//! The payment records (C6): purchases of token packs and the facts Stripe reports about them,
//! independent of any back-end and of Stripe's wire format.

use super::sql::Count;
use serde::Serialize;

use crate::domain::{LotId, PurchaseId, Timestamp, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PurchaseStatus {
    /// A Checkout Session was (or is being) created; nothing paid yet.
    Pending,
    /// Paid and credited.
    Paid,
    /// The delayed payment failed.
    Failed,
    /// The Checkout Session expired unpaid.
    Expired,
    /// Paid, then refunded in full; the unspent tokens were revoked.
    Refunded,
}

impl PurchaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PurchaseStatus::Pending => "pending",
            PurchaseStatus::Paid => "paid",
            PurchaseStatus::Failed => "failed",
            PurchaseStatus::Expired => "expired",
            PurchaseStatus::Refunded => "refunded",
        }
    }

    pub fn parse(text: &str) -> Option<PurchaseStatus> {
        [
            PurchaseStatus::Pending,
            PurchaseStatus::Paid,
            PurchaseStatus::Failed,
            PurchaseStatus::Expired,
            PurchaseStatus::Refunded,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A purchase about to be recorded as pending: the pack as it is configured now.
#[derive(Clone, Debug)]
pub struct NewPurchase {
    pub id: PurchaseId,
    pub pack_id: String,
    pub tokens: u32,
    /// Minor units (cents).
    pub amount: i64,
    /// ISO 4217, lowercase as Stripe writes it.
    pub currency: String,
    pub valid_days: u32,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Purchase {
    pub id: PurchaseId,
    #[serde(skip)]
    pub user_id: Option<UserId>,
    #[sqlx(rename = "pack_id")]
    pub pack: String,
    #[sqlx(try_from = "Count")]
    pub tokens: u32,
    pub amount: i64,
    pub currency: String,
    #[sqlx(try_from = "Count")]
    pub valid_days: u32,
    pub status: PurchaseStatus,
    #[serde(skip)]
    pub checkout_session_id: Option<String>,
    #[serde(skip)]
    pub payment_intent_id: Option<String>,
    pub lot_id: Option<LotId>,
    pub refunded_amount: i64,
    #[sqlx(try_from = "Count")]
    pub revoked_tokens: u32,
    pub created_at: Timestamp,
    pub paid_at: Option<Timestamp>,
    pub refunded_at: Option<Timestamp>,
}

/// What a Checkout Session says about a payment, as far as fulfilment needs it.
#[derive(Clone, Debug)]
pub struct SessionFacts {
    pub purchase: PurchaseId,
    pub session_id: String,
    pub client_reference_id: Option<String>,
    pub pack: Option<String>,
    pub amount_total: Option<i64>,
    pub currency: Option<String>,
    pub payment_intent: Option<String>,
}

/// Why a paid session was not credited: it does not match the purchase it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mismatch {
    Session,
    ClientReference,
    Pack,
    Amount,
    Currency,
    AccountGone,
    /// A report names another Stripe subscription than the one recorded.
    Subscription,
    /// A report names another plan than the one subscribed to.
    Plan,
}

impl Mismatch {
    pub fn code(self) -> &'static str {
        match self {
            Mismatch::Session => "session-mismatch",
            Mismatch::ClientReference => "client-reference-mismatch",
            Mismatch::Pack => "pack-mismatch",
            Mismatch::Amount => "amount-mismatch",
            Mismatch::Currency => "currency-mismatch",
            Mismatch::AccountGone => "account-gone",
            Mismatch::Subscription => "subscription-mismatch",
            Mismatch::Plan => "plan-mismatch",
        }
    }
}

/// What a cumulative refund means for a credited purchase; the same arithmetic for every
/// back-end, which then applies it to the lot and the purchase row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefundShare {
    /// The lot the purchase credited.
    pub lot: LotId,
    /// The refunded amount to record: never less than before, never more than the price.
    pub refunded: i64,
    /// Tokens still to take back so the refunded share of the price takes back the same share
    /// of the tokens (rounded up); zero or less when nothing more is owed.
    pub tokens_owed: i64,
    pub status: PurchaseStatus,
    pub refunded_at: Option<Timestamp>,
}

impl PurchaseStatus {
    /// How far a checkout got. Higher wins, so `failed`/`expired` reported in any order end
    /// the same; `paid` and `refunded` are never undone by them.
    pub fn close_rank(self) -> u8 {
        match self {
            PurchaseStatus::Pending => 0,
            PurchaseStatus::Expired => 1,
            PurchaseStatus::Failed => 2,
            PurchaseStatus::Paid | PurchaseStatus::Refunded => 3,
        }
    }
}

impl Purchase {
    /// The effect of `refunded_total` (cumulative, in `currency`) reported at `now`; `None`
    /// when there is nothing to settle: no lot credited yet, or another currency.
    pub fn refund_share(
        &self,
        refunded_total: i64,
        currency: &str,
        now: Timestamp,
    ) -> Option<RefundShare> {
        let lot = self.lot_id?;
        if currency != self.currency || self.amount <= 0 {
            return None;
        }
        let refunded = refunded_total.max(self.refunded_amount).min(self.amount);
        let target = (i64::from(self.tokens) * refunded + self.amount - 1) / self.amount;
        Some(RefundShare {
            lot,
            refunded,
            tokens_owed: target - i64::from(self.revoked_tokens),
            status: if refunded >= self.amount {
                PurchaseStatus::Refunded
            } else {
                self.status
            },
            refunded_at: if refunded > self.refunded_amount {
                Some(now)
            } else {
                self.refunded_at
            },
        })
    }

    /// Whether a paid session may credit this purchase: same session (once one is recorded),
    /// same buyer, same pack, same amount and currency.
    pub fn check(&self, facts: &SessionFacts) -> Result<(), Mismatch> {
        let user = self.user_id.ok_or(Mismatch::AccountGone)?;
        if self
            .checkout_session_id
            .as_deref()
            .is_some_and(|known| known != facts.session_id)
        {
            return Err(Mismatch::Session);
        }
        if facts.client_reference_id.as_deref() != Some(user.to_string().as_str()) {
            return Err(Mismatch::ClientReference);
        }
        if facts.pack.as_deref() != Some(self.pack.as_str()) {
            return Err(Mismatch::Pack);
        }
        if facts.amount_total != Some(self.amount) {
            return Err(Mismatch::Amount);
        }
        if facts.currency.as_deref() != Some(self.currency.as_str()) {
            return Err(Mismatch::Currency);
        }
        Ok(())
    }
}

/// One fact reported by Stripe (or learned from it), applied idempotently.
#[derive(Clone, Debug)]
pub enum PaymentFact {
    /// A Checkout Session whose `payment_status` is `paid`.
    SessionPaid(SessionFacts),
    /// A session that will never be paid: `Failed` or `Expired`.
    SessionClosed {
        purchase: PurchaseId,
        session_id: String,
        status: PurchaseStatus,
    },
    /// The cumulative amount refunded on a PaymentIntent.
    Refunded {
        payment_intent: String,
        amount_refunded: i64,
        currency: String,
    },
    /// A subscription Checkout completed: Stripe's subscription and customer for our row.
    SubscriptionStarted(crate::store::SubscriptionStartFacts),
    /// A subscription's invoice was paid: grant its period's tokens, once per invoice.
    InvoicePaid(crate::store::InvoiceFacts),
    /// A subscription's invoice failed: past due, nothing granted.
    InvoiceFailed(crate::store::SubscriptionRef),
    /// Stripe's view of a subscription (updated, deleted, or the answer to our own call).
    SubscriptionChanged(crate::store::SubscriptionState),
    /// Nothing to do (an event type we do not act on, or a session not yet paid).
    Nothing,
}

/// A Stripe event's identity, recorded once with its effect.
#[derive(Clone, Debug)]
pub struct EventKey {
    pub id: String,
    pub kind: String,
}

/// What applying a fact did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// The event id was seen before: nothing changed.
    Duplicate,
    Credited {
        lot: LotId,
    },
    AlreadyCredited,
    Rejected(Mismatch),
    StatusChanged(PurchaseStatus),
    /// The refund is recorded; `revoked` tokens were taken back now.
    Refund {
        revoked: u32,
    },
    UnknownPurchase,
    /// A paid invoice granted its period's lot.
    Granted {
        lot: LotId,
    },
    /// This invoice granted its lot before.
    AlreadyGranted,
    /// A paid invoice that grants nothing (the subscription ended or was canceled).
    NotGranted(crate::store::NoGrant),
    /// A subscription's status, Stripe id or period was recorded.
    SubscriptionUpdated(crate::store::SubscriptionStatus),
    UnknownSubscription,
    Ignored,
}

impl PaymentOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentOutcome::Duplicate => "duplicate",
            PaymentOutcome::Credited { .. } => "credited",
            PaymentOutcome::AlreadyCredited => "already-credited",
            PaymentOutcome::Rejected(mismatch) => mismatch.code(),
            PaymentOutcome::StatusChanged(_) => "status-changed",
            PaymentOutcome::Refund { .. } => "refund-recorded",
            PaymentOutcome::UnknownPurchase => "unknown-purchase",
            PaymentOutcome::Granted { .. } => "granted",
            PaymentOutcome::AlreadyGranted => "already-granted",
            PaymentOutcome::NotGranted(crate::store::NoGrant::Canceled) => "subscription-canceled",
            PaymentOutcome::NotGranted(crate::store::NoGrant::AfterCancellation) => {
                "after-cancellation"
            }
            PaymentOutcome::SubscriptionUpdated(_) => "subscription-updated",
            PaymentOutcome::UnknownSubscription => "unknown-subscription",
            PaymentOutcome::Ignored => "ignored",
        }
    }
}

/// A purchase with its buyer's e-mail, for the admin view.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PurchaseRow {
    #[serde(flatten)]
    pub purchase: Purchase,
    pub email: Option<String>,
}
