//! Stripe events to payment facts: which event types Atelier acts on (pack checkouts,
//! refunds, and the subscription events of `plans`), and what it reads from them. Unknown types become [`PaymentFact::Nothing`] (answered 200 and ignored).

use serde::Deserialize;

use super::plans::{self, Invoice, StripeSubscription};
use super::stripe::{Charge, Session};
use crate::domain::PurchaseId;
use crate::store::{EventKey, PaymentFact, PurchaseStatus, SessionFacts};

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// The event's identity and the fact it reports; an error when the body is not an event or
/// an acted-on event lacks the fields it must have.
pub fn parse(body: &[u8]) -> Result<(EventKey, PaymentFact), serde_json::Error> {
    let event: Event = serde_json::from_slice(body)?;
    let fact = match event.kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            let session: Session = serde_json::from_value(event.data.object)?;
            if session.mode.as_deref() == Some("subscription") {
                plans::started_fact(&session)
            } else {
                session_fact(&session)
            }
        }
        "invoice.paid" => {
            let invoice: Invoice = serde_json::from_value(event.data.object)?;
            plans::invoice_paid_fact(&invoice)
        }
        "invoice.payment_failed" => {
            let invoice: Invoice = serde_json::from_value(event.data.object)?;
            plans::invoice_failed_fact(&invoice)
        }
        "customer.subscription.updated" | "customer.subscription.deleted" => {
            let subscription: StripeSubscription = serde_json::from_value(event.data.object)?;
            let deleted = event.kind == "customer.subscription.deleted";
            PaymentFact::SubscriptionChanged(subscription.state(deleted))
        }
        "checkout.session.async_payment_failed" => {
            let session: Session = serde_json::from_value(event.data.object)?;
            closed(&session, PurchaseStatus::Failed)
        }
        "checkout.session.expired" => {
            let session: Session = serde_json::from_value(event.data.object)?;
            closed(&session, PurchaseStatus::Expired)
        }
        "charge.refunded" => {
            let charge: Charge = serde_json::from_value(event.data.object)?;
            match charge.payment_intent_id() {
                Some(payment_intent) => PaymentFact::Refunded {
                    payment_intent,
                    amount_refunded: charge.amount_refunded,
                    currency: charge.currency,
                },
                None => PaymentFact::Nothing,
            }
        }
        _ => PaymentFact::Nothing,
    };
    Ok((
        EventKey {
            id: event.id,
            kind: event.kind,
        },
        fact,
    ))
}

/// The purchase a session was made for (our `metadata[purchase_id]`).
pub fn purchase_of(session: &Session) -> Option<PurchaseId> {
    session.metadata.get("purchase_id")?.parse().ok()
}

/// What a session says: paid (credit it), or nothing yet (a delayed payment still pending).
pub fn session_fact(session: &Session) -> PaymentFact {
    let Some(purchase) = purchase_of(session) else {
        return PaymentFact::Nothing;
    };
    if session.payment_status != "paid" {
        return if session.status.as_deref() == Some("expired") {
            closed(session, PurchaseStatus::Expired)
        } else {
            PaymentFact::Nothing
        };
    }
    PaymentFact::SessionPaid(SessionFacts {
        purchase,
        session_id: session.id.clone(),
        client_reference_id: session.client_reference_id.clone(),
        pack: session.metadata.get("pack").cloned(),
        amount_total: session.amount_total,
        currency: session.currency.clone(),
        payment_intent: session.payment_intent_id(),
    })
}

fn closed(session: &Session, status: PurchaseStatus) -> PaymentFact {
    match purchase_of(session) {
        Some(purchase) => PaymentFact::SessionClosed {
            purchase,
            session_id: session.id.clone(),
            status,
        },
        None => PaymentFact::Nothing,
    }
}
