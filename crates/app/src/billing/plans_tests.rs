//! Monthly plans against the fake Stripe with signed events: the exact Checkout form, one
//! grant per paid invoice whatever the order and repetition, nothing for a failed payment,
//! cancellation stopping the next grant, and erasure ending the plan at Stripe first.

use axum::http::Method;
use serde_json::Value;

use super::fake_stripe::{FakeStripe, event, invoice, signature_now};
use super::*;
use crate::config::{PlanConfig, PlanInterval};
use crate::store::{NoGrant, SubscriptionStatus};
use crate::testing::{TestApp, stripe_config, test_app_with};

async fn with_plan() -> (FakeStripe, TestApp) {
    let fake = FakeStripe::start().await;
    let mut config = stripe_config(&fake.base);
    config.stripe.plans = vec![PlanConfig {
        id: "monthly-20".into(),
        name: "Monthly 20".into(),
        tokens: 20,
        amount: 900,
        currency: "eur".into(),
        interval: PlanInterval::Month,
    }];
    let test = test_app_with(config).await;
    (fake, test)
}

async fn deliver(test: &TestApp, id: &str, kind: &str, object: &Value) -> PaymentOutcome {
    let body = event(id, kind, object);
    test.services
        .billing
        .handle_webhook(Some(&signature_now(&body)), &body, Timestamp::now())
        .await
        .expect("webhook accepted")
}

/// Subscribes `scope` and lets the fake complete the Checkout: (our id, session, Stripe's
/// subscription).
async fn subscribed(fake: &FakeStripe, test: &TestApp, scope: UserScope) -> (Value, Value) {
    let started = test
        .services
        .billing
        .start_subscription(
            scope,
            "monthly-20",
            "Atelier plan: Monthly 20",
            "https://atelier.test",
        )
        .await
        .expect("subscription checkout");
    let session = started
        .subscription
        .checkout_session_id
        .clone()
        .or_else(|| started.url.rsplit('/').next().map(str::to_owned))
        .expect("session id");
    fake.complete_subscription(&session)
}

async fn subscription_lots(test: &TestApp, scope: UserScope) -> Vec<crate::store::Lot> {
    let lots = test.services.store.lots(scope).await.expect("lots");
    lots.into_iter()
        .filter(|l| l.source.starts_with("subscription:"))
        .collect()
}

#[tokio::test]
async fn subscribing_sends_a_subscription_checkout_with_our_metadata() {
    let (fake, test) = with_plan().await;
    let alice = test.user("alice").await;

    let started = test
        .services
        .billing
        .start_subscription(
            alice,
            "monthly-20",
            "Atelier plan: Monthly 20",
            "https://atelier.test",
        )
        .await
        .expect("subscription checkout");

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(
        (sent.method.clone(), sent.path.as_str()),
        (Method::POST, "/v1/checkout/sessions")
    );
    let ours = started.subscription.id.to_string();
    let key = format!("subscription-checkout-{ours}");
    assert_eq!(sent.header("idempotency-key"), Some(key.as_str()));
    assert_eq!(sent.header("stripe-version"), Some(stripe::STRIPE_VERSION));
    let user = alice.user_id().to_string();
    for (field, value) in [
        ("mode", "subscription"),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][price_data][currency]", "eur"),
        ("line_items[0][price_data][unit_amount]", "900"),
        ("line_items[0][price_data][recurring][interval]", "month"),
        (
            "line_items[0][price_data][product_data][name]",
            "Atelier plan: Monthly 20",
        ),
        ("client_reference_id", user.as_str()),
        ("metadata[subscription_id]", ours.as_str()),
        ("metadata[user_id]", user.as_str()),
        ("metadata[plan]", "monthly-20"),
        (
            "subscription_data[metadata][subscription_id]",
            ours.as_str(),
        ),
        ("subscription_data[metadata][user_id]", user.as_str()),
        ("subscription_data[metadata][plan]", "monthly-20"),
        (
            "success_url",
            "https://atelier.test/buy/subscribed?session_id={CHECKOUT_SESSION_ID}",
        ),
        ("cancel_url", "https://atelier.test/buy?canceled=1"),
    ] {
        assert_eq!(sent.field(field), Some(value), "{field}");
    }
    assert!(
        sent.field("payment_intent_data[metadata][purchase_id]")
            .is_none()
    );
    assert_eq!(started.subscription.status, SubscriptionStatus::Pending);
    assert_eq!(started.url, "https://checkout.stripe.com/c/pay/cs_test_1");
}

#[tokio::test]
async fn a_renewal_grants_once_even_twice_delivered_and_before_checkout_completes() {
    let (fake, test) = with_plan().await;
    let alice = test.user("alice").await;
    let (session, subscription) = subscribed(&fake, &test, alice).await;
    let first = invoice("in_1", &subscription, 0, 900, "eur");
    let renewal = invoice("in_2", &subscription, 1, 900, "eur");

    let early = deliver(&test, "evt_paid_1", "invoice.paid", &first).await;
    let again = deliver(&test, "evt_paid_1", "invoice.paid", &first).await;
    let other_event = deliver(&test, "evt_paid_1b", "invoice.paid", &first).await;
    let completed = deliver(&test, "evt_done", "checkout.session.completed", &session).await;
    let renewed = deliver(&test, "evt_paid_2", "invoice.paid", &renewal).await;
    let renewed_again = deliver(&test, "evt_paid_2b", "invoice.paid", &renewal).await;

    assert!(matches!(early, PaymentOutcome::Granted { .. }), "{early:?}");
    assert_eq!(again, PaymentOutcome::Duplicate);
    assert_eq!(other_event, PaymentOutcome::AlreadyGranted);
    assert_eq!(
        completed,
        PaymentOutcome::SubscriptionUpdated(SubscriptionStatus::Active)
    );
    assert!(matches!(renewed, PaymentOutcome::Granted { .. }));
    assert_eq!(renewed_again, PaymentOutcome::AlreadyGranted);
    let lots = subscription_lots(&test, alice).await;
    assert_eq!(lots.len(), 2);
    assert!(lots.iter().all(|l| l.quantity == 20));
    // Each period's tokens last until the end of the next period.
    let period_end = |n: i64| {
        first["lines"]["data"][0]["period"]["start"]
            .as_i64()
            .unwrap_or_default()
            + n * 30 * 86_400
    };
    let mut expiries: Vec<i64> = lots.iter().map(|l| l.expires_at.millis() / 1000).collect();
    expiries.sort_unstable();
    let month_after = |end: i64| {
        crate::store::BillingInterval::Month
            .after(Timestamp::from_millis(end * 1000))
            .millis()
            / 1000
    };
    assert_eq!(
        expiries,
        vec![month_after(period_end(1)), month_after(period_end(2))]
    );
    let mine = test
        .services
        .store
        .subscriptions_of(alice, 10)
        .await
        .expect("list");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].status, SubscriptionStatus::Active);
    assert_eq!(
        mine[0].stripe_subscription_id.as_deref(),
        subscription["id"].as_str()
    );
    assert_eq!(
        mine[0].current_period_end.map(|t| t.millis() / 1000),
        Some(period_end(2))
    );
    let totals = test
        .services
        .store
        .token_totals(alice.user_id())
        .await
        .expect("totals");
    assert!(totals.invariant_holds(), "{totals:?}");
}

#[tokio::test]
async fn a_failed_payment_grants_nothing_and_a_later_payment_grants_once() {
    let (fake, test) = with_plan().await;
    let alice = test.user("alice").await;
    let (session, subscription) = subscribed(&fake, &test, alice).await;
    deliver(&test, "evt_done", "checkout.session.completed", &session).await;
    let mut unpaid = invoice("in_1", &subscription, 0, 900, "eur");
    unpaid["status"] = "open".into();
    unpaid["amount_paid"] = 0.into();

    let failed = deliver(&test, "evt_failed", "invoice.payment_failed", &unpaid).await;
    let after_failure = test
        .services
        .store
        .subscriptions_of(alice, 1)
        .await
        .expect("list");
    let paid = deliver(
        &test,
        "evt_paid",
        "invoice.paid",
        &invoice("in_1", &subscription, 0, 900, "eur"),
    )
    .await;

    assert_eq!(
        failed,
        PaymentOutcome::SubscriptionUpdated(SubscriptionStatus::PastDue)
    );
    assert_eq!(after_failure[0].status, SubscriptionStatus::PastDue);
    assert!(matches!(paid, PaymentOutcome::Granted { .. }));
    assert_eq!(subscription_lots(&test, alice).await.len(), 1);
    let now = test
        .services
        .store
        .subscriptions_of(alice, 1)
        .await
        .expect("list");
    assert_eq!(now[0].status, SubscriptionStatus::Active);
}

#[tokio::test]
async fn an_invoice_that_does_not_match_the_plan_or_owner_grants_nothing() {
    let (fake, test) = with_plan().await;
    let alice = test.user("alice").await;
    let bob = test.user("bob").await;
    let (_, subscription) = subscribed(&fake, &test, alice).await;
    let cheap = invoice("in_cheap", &subscription, 0, 1, "eur");
    let mut for_bob = invoice("in_bob", &subscription, 0, 900, "eur");
    for_bob["parent"]["subscription_details"]["metadata"]["user_id"] =
        bob.user_id().to_string().into();

    let cheap = deliver(&test, "evt_cheap", "invoice.paid", &cheap).await;
    let for_bob = deliver(&test, "evt_bob", "invoice.paid", &for_bob).await;

    assert_eq!(cheap.as_str(), "amount-mismatch");
    assert_eq!(for_bob.as_str(), "client-reference-mismatch");
    assert!(subscription_lots(&test, alice).await.is_empty());
    assert!(subscription_lots(&test, bob).await.is_empty());
}

#[tokio::test]
async fn canceling_stops_the_next_grant_and_deletion_ends_every_grant() {
    let (fake, test) = with_plan().await;
    let alice = test.user("alice").await;
    let (session, subscription) = subscribed(&fake, &test, alice).await;
    deliver(&test, "evt_done", "checkout.session.completed", &session).await;
    deliver(
        &test,
        "evt_paid_1",
        "invoice.paid",
        &invoice("in_1", &subscription, 0, 900, "eur"),
    )
    .await;
    let ours = test
        .services
        .store
        .subscriptions_of(alice, 1)
        .await
        .expect("list")[0]
        .id;

    let canceled = test
        .services
        .billing
        .cancel_subscription(alice, ours)
        .await
        .expect("cancel");
    let next = deliver(
        &test,
        "evt_paid_2",
        "invoice.paid",
        &invoice("in_2", &subscription, 1, 900, "eur"),
    )
    .await;
    let deleted = deliver(
        &test,
        "evt_deleted",
        "customer.subscription.deleted",
        &fake.subscription(subscription["id"].as_str().unwrap_or_default()),
    )
    .await;
    let after = deliver(
        &test,
        "evt_paid_3",
        "invoice.paid",
        &invoice("in_3", &subscription, 2, 900, "eur"),
    )
    .await;
    let again = test.services.billing.cancel_subscription(alice, ours).await;

    let sent = fake.requests();
    let cancel = sent
        .iter()
        .find(|r| r.path.starts_with("/v1/subscriptions/"))
        .expect("cancel sent to Stripe");
    let sub_path = format!(
        "/v1/subscriptions/{}",
        subscription["id"].as_str().unwrap_or_default()
    );
    assert_eq!(
        (cancel.method.clone(), cancel.path.as_str()),
        (Method::POST, sub_path.as_str())
    );
    assert_eq!(cancel.field("cancel_at_period_end"), Some("true"));
    assert!(cancel.header("idempotency-key").is_some());
    assert!(canceled.cancel_at_period_end);
    assert_eq!(canceled.status, SubscriptionStatus::Active);
    assert_eq!(next, PaymentOutcome::NotGranted(NoGrant::AfterCancellation));
    assert_eq!(
        deleted,
        PaymentOutcome::SubscriptionUpdated(SubscriptionStatus::Canceled)
    );
    assert_eq!(after, PaymentOutcome::NotGranted(NoGrant::Canceled));
    assert!(matches!(again, Err(BillingError::NotCancelable)));
    assert_eq!(subscription_lots(&test, alice).await.len(), 1);
}

#[tokio::test]
async fn a_second_plan_is_refused_while_one_renews_and_packs_still_sell() {
    let (fake, test) = with_plan().await;
    let alice = test.user("alice").await;
    let (session, _) = subscribed(&fake, &test, alice).await;
    deliver(&test, "evt_done", "checkout.session.completed", &session).await;

    let second = test
        .services
        .billing
        .start_subscription(alice, "monthly-20", "x", "https://atelier.test")
        .await;
    let pack = test
        .services
        .billing
        .start_checkout(alice, "5-tokens", "x", "https://atelier.test")
        .await;

    assert!(matches!(second, Err(BillingError::AlreadySubscribed)));
    assert!(pack.is_ok());
}

#[tokio::test]
async fn erasure_cancels_the_plan_at_stripe_first_and_keeps_it_detached() {
    let (fake, test) = with_plan().await;
    let alice = test.user("alice").await;
    let (session, subscription) = subscribed(&fake, &test, alice).await;
    deliver(&test, "evt_done", "checkout.session.completed", &session).await;
    deliver(
        &test,
        "evt_paid_1",
        "invoice.paid",
        &invoice("in_1", &subscription, 0, 900, "eur"),
    )
    .await;

    let counts = test
        .services
        .privacy
        .erase_now(alice)
        .await
        .expect("erased");

    let sub_id = subscription["id"].as_str().unwrap_or_default();
    let sub_path = format!("/v1/subscriptions/{sub_id}");
    let deleted = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::DELETE && r.path == sub_path)
        .count();
    assert_eq!(deleted, 1);
    assert_eq!(fake.subscription(sub_id)["status"], "canceled");
    assert_eq!(counts.subscriptions_detached, 1);
    assert!(
        test.rows_mentioning(&alice.user_id().to_string())
            .await
            .is_empty()
    );
    // A late renewal for the erased account grants nothing to anyone.
    let late = deliver(
        &test,
        "evt_paid_2",
        "invoice.paid",
        &invoice("in_2", &subscription, 1, 900, "eur"),
    )
    .await;
    assert_eq!(late.as_str(), "account-gone");
}

#[tokio::test]
async fn erasure_stops_before_deleting_anything_when_stripe_cannot_cancel() {
    let (fake, test) = with_plan().await;
    let alice = test.user("alice").await;
    let (session, _) = subscribed(&fake, &test, alice).await;
    deliver(&test, "evt_done", "checkout.session.completed", &session).await;
    drop(fake);

    let refused = test.services.privacy.erase_now(alice).await;

    assert!(matches!(
        refused,
        Err(crate::privacy::PrivacyError::Billing(BillingError::Stripe(
            _
        )))
    ));
    assert!(
        test.services.store.user(alice).await.is_ok(),
        "the account stays"
    );
}
