//! The billing service against the fake Stripe: the requests it sends, reconciliation from
//! the success page, operator refunds.

use axum::http::Method;

use super::fake_stripe::{FakeStripe, event, refunded_charge, signature_now};
use super::*;
use crate::testing::{TestApp, stripe_config, test_app, test_app_with};

async fn with_stripe() -> (FakeStripe, TestApp) {
    let fake = FakeStripe::start().await;
    let test = test_app_with(stripe_config(&fake.base)).await;
    (fake, test)
}

async fn checkout(test: &TestApp, scope: UserScope) -> Checkout {
    test.services
        .billing
        .start_checkout(
            scope,
            "15-tokens",
            "Atelier: 15 tokens",
            "https://atelier.test",
        )
        .await
        .expect("checkout")
}

/// The Checkout Session recorded for a started checkout.
async fn session_of(test: &TestApp, scope: UserScope, started: &Checkout) -> String {
    let stored = test
        .services
        .store
        .purchase(scope, started.purchase.id)
        .await;
    let stored = stored.expect("read").expect("purchase");
    stored.checkout_session_id.expect("session recorded")
}

#[tokio::test]
async fn checkout_sends_what_stripe_requires_and_records_a_pending_purchase() {
    let (fake, test) = with_stripe().await;
    let alice = test.user("alice").await;

    let started = checkout(&test, alice).await;

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.method, Method::POST);
    assert_eq!(sent.path, "/v1/checkout/sessions");
    assert_eq!(sent.header("authorization"), Some("Bearer sk_test_atelier"));
    assert_eq!(sent.header("stripe-version"), Some(stripe::STRIPE_VERSION));
    let purchase = started.purchase.id.to_string();
    let idempotency = format!("checkout-{purchase}");
    assert_eq!(sent.header("idempotency-key"), Some(idempotency.as_str()));
    let user = alice.user_id().to_string();
    for (field, value) in [
        ("mode", "payment"),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][price_data][currency]", "eur"),
        ("line_items[0][price_data][unit_amount]", "1200"),
        (
            "line_items[0][price_data][product_data][name]",
            "Atelier: 15 tokens",
        ),
        ("client_reference_id", user.as_str()),
        ("metadata[purchase_id]", purchase.as_str()),
        ("metadata[pack]", "15-tokens"),
        (
            "success_url",
            "https://atelier.test/buy/success?session_id={CHECKOUT_SESSION_ID}",
        ),
        ("cancel_url", "https://atelier.test/buy?canceled=1"),
    ] {
        assert_eq!(sent.field(field), Some(value), "{field}");
    }
    assert_eq!(started.url, "https://checkout.stripe.com/c/pay/cs_test_1");
    let stored = test
        .services
        .store
        .purchase(alice, started.purchase.id)
        .await;
    let stored = stored.expect("read").expect("purchase");
    assert_eq!(stored.status, PurchaseStatus::Pending);
    assert_eq!(stored.checkout_session_id.as_deref(), Some("cs_test_1"));
    assert_eq!((stored.tokens, stored.amount), (15, 1200));
}

#[tokio::test]
async fn without_keys_checkout_says_payments_are_not_configured() {
    let test = test_app().await;
    let alice = test.user("alice").await;

    let refused = test
        .services
        .billing
        .start_checkout(alice, "5-tokens", "x", "https://atelier.test")
        .await;

    assert!(matches!(refused, Err(BillingError::NotConfigured)));
    assert!(!test.services.billing.enabled());
    assert!(
        test.services
            .store
            .purchases_of(alice, 10)
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn an_unknown_pack_is_refused_before_calling_stripe() {
    let (fake, test) = with_stripe().await;
    let alice = test.user("alice").await;

    let refused = test
        .services
        .billing
        .start_checkout(alice, "1000-tokens", "x", "https://atelier.test")
        .await;

    assert!(matches!(refused, Err(BillingError::UnknownPack(_))));
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn the_success_page_credits_a_paid_session_whose_webhook_never_came_once() {
    let (fake, test) = with_stripe().await;
    let alice = test.user("alice").await;
    let started = checkout(&test, alice).await;
    let session = session_of(&test, alice, &started).await;
    let billing = &test.services.billing;

    let before_payment = billing.reconcile(alice, &session).await.expect("reconcile");
    fake.pay(&session);
    let first = billing.reconcile(alice, &session).await.expect("reconcile");
    let second = billing.reconcile(alice, &session).await.expect("reconcile");

    assert_eq!(before_payment.status, PurchaseStatus::Pending);
    assert_eq!(first.status, PurchaseStatus::Paid);
    assert_eq!(second.lot_id, first.lot_id);
    let lots = test.services.store.lots(alice).await.expect("lots");
    let bought: Vec<_> = lots
        .iter()
        .filter(|l| l.source.starts_with("purchase:"))
        .collect();
    assert_eq!(bought.len(), 1);
    assert_eq!(bought[0].quantity, 15);
    assert_eq!(started.purchase.id, first.id);
    let gets = fake
        .requests()
        .iter()
        .filter(|r| r.method == Method::GET)
        .count();
    assert_eq!(gets, 3);
}

#[tokio::test]
async fn nobody_else_can_reconcile_a_session() {
    let (fake, test) = with_stripe().await;
    let alice = test.user("alice").await;
    let bob = test.user("bob").await;
    let started = checkout(&test, alice).await;
    let session = session_of(&test, alice, &started).await;
    fake.pay(&session);

    let by_bob = test.services.billing.reconcile(bob, &session).await;
    let forged = test
        .services
        .billing
        .reconcile(alice, "cs_../../v1/refunds")
        .await;

    assert!(matches!(by_bob, Err(BillingError::NotFound)));
    assert!(matches!(forged, Err(BillingError::NotFound)));
    assert!(test.services.store.lots(bob).await.expect("lots").len() <= 3);
    let alice_lots = test.services.store.lots(alice).await.expect("lots");
    assert!(
        alice_lots
            .iter()
            .all(|l| !l.source.starts_with("purchase:"))
    );
}

#[tokio::test]
async fn an_operator_refund_revokes_once_and_the_later_webhook_changes_nothing() {
    let (fake, test) = with_stripe().await;
    let alice = test.user("alice").await;
    let started = checkout(&test, alice).await;
    let session = session_of(&test, alice, &started).await;
    let intent = fake.pay(&session)["payment_intent"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let billing = &test.services.billing;
    billing.reconcile(alice, &session).await.expect("reconcile");
    let id = started.purchase.id;

    let first = billing.refund(alice.user_id(), id).await.expect("refund");
    let again = billing
        .refund(alice.user_id(), id)
        .await
        .expect("refund again");
    let body = event(
        "evt_refund",
        "charge.refunded",
        &refunded_charge(&intent, 1200, "eur"),
    );
    let webhook = billing
        .handle_webhook(Some(&signature_now(&body)), &body, Timestamp::now())
        .await
        .expect("webhook");

    assert!(matches!(first, RefundReport::Refunded { revoked: 15, .. }));
    assert_eq!(again, RefundReport::AlreadyRefunded);
    assert_eq!(webhook, PaymentOutcome::Refund { revoked: 0 });
    let refunds: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/refunds")
        .collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].field("payment_intent"), Some(intent.as_str()));
    let key = format!("refund-{id}");
    assert_eq!(refunds[0].header("idempotency-key"), Some(key.as_str()));
    let stored = test
        .services
        .store
        .purchase(alice, id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(stored.status, PurchaseStatus::Refunded);
    assert_eq!(stored.revoked_tokens, 15);
    let totals = test
        .services
        .store
        .token_totals(alice.user_id())
        .await
        .expect("totals");
    assert!(totals.invariant_holds(), "{totals:?}");
}

#[tokio::test]
async fn only_paid_purchases_of_that_account_can_be_refunded() {
    let (_fake, test) = with_stripe().await;
    let alice = test.user("alice").await;
    let bob = test.user("bob").await;
    let started = checkout(&test, alice).await;
    let billing = &test.services.billing;

    let unpaid = billing.refund(alice.user_id(), started.purchase.id).await;
    let not_hers = billing.refund(bob.user_id(), started.purchase.id).await;

    assert!(matches!(unpaid, Err(BillingError::NotRefundable)));
    assert!(matches!(not_hers, Err(BillingError::NotFound)));
}

#[test]
fn amounts_read_in_major_units_except_zero_decimal_currencies() {
    assert_eq!(format_amount(1200, "eur"), "12.00 EUR");
    assert_eq!(format_amount(5, "usd"), "0.05 USD");
    assert_eq!(format_amount(500, "jpy"), "500 JPY");
}
