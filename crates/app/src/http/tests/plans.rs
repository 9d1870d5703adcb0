//! Plans and subscriptions through the real router, against the fake Stripe and events
//! signed here: what is on sale, subscribing, the list with this period's tokens, canceling.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::payments::deliver;
use super::{register, request, router, send};
use crate::billing::fake_stripe::{FakeStripe, event, invoice};
use crate::config::{PlanConfig, PlanInterval};
use crate::testing::{stripe_config, test_app, test_app_with};

fn monthly() -> PlanConfig {
    PlanConfig {
        id: "monthly-20".into(),
        name: "Monthly 20".into(),
        tokens: 20,
        amount: 900,
        currency: "eur".into(),
        interval: PlanInterval::Month,
    }
}

#[tokio::test]
async fn plans_are_public_and_subscribing_without_keys_says_not_configured() {
    let mut config = crate::testing::test_config();
    config.stripe.plans = vec![monthly()];
    let test = test_app_with(config).await;
    let router = router(&test);
    let token = register(&router, "alice").await;

    let plans = send(&router, request(Method::GET, "/api/v1/plans", None, None)).await;
    let refused = send(
        &router,
        request(
            Method::POST,
            "/api/v1/subscriptions",
            Some(&token),
            Some(json!({"plan": "monthly-20"})),
        ),
    )
    .await;

    assert_eq!(plans.status, StatusCode::OK);
    assert_eq!(
        plans.json(),
        json!([{"id": "monthly-20", "name": "Monthly 20", "tokens": 20, "amount": 900,
                "currency": "eur", "interval": "month"}])
    );
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.code(), "payments-not-configured");
    let none = test_app().await;
    let empty = send(
        &super::router(&none),
        request(Method::GET, "/api/v1/plans", None, None),
    )
    .await;
    assert_eq!(empty.json(), json!([]));
}

#[tokio::test]
async fn a_subscriber_sees_the_plan_its_renewal_and_this_periods_tokens_and_cancels() {
    let fake = FakeStripe::start().await;
    let mut config = stripe_config(&fake.base);
    config.stripe.plans = vec![monthly()];
    let test = test_app_with(config).await;
    let router = router(&test);
    let token = register(&router, "alice").await;
    let stranger = register(&router, "bob").await;

    let created = send(
        &router,
        request(
            Method::POST,
            "/api/v1/subscriptions",
            Some(&token),
            Some(json!({"plan": "monthly-20"})),
        ),
    )
    .await;
    let unknown = send(
        &router,
        request(
            Method::POST,
            "/api/v1/subscriptions",
            Some(&token),
            Some(json!({"plan": "weekly"})),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    assert_eq!(created.json()["status"], "pending");
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.code(), "unknown-plan");
    let url = created.json()["checkout_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let session_id = url.rsplit('/').next().unwrap_or_default().to_owned();
    let (session, subscription) = fake.complete_subscription(&session_id);
    let paid = deliver(
        &router,
        &event(
            "evt_1",
            "invoice.paid",
            &invoice("in_1", &subscription, 0, 900, "eur"),
        ),
    )
    .await;
    let done = deliver(
        &router,
        &event("evt_2", "checkout.session.completed", &session),
    )
    .await;
    assert_eq!(paid.json()["outcome"], "granted");
    assert_eq!(done.json()["outcome"], "subscription-updated");

    let listed = send(
        &router,
        request(Method::GET, "/api/v1/subscriptions", Some(&token), None),
    )
    .await;
    let theirs = send(
        &router,
        request(Method::GET, "/api/v1/subscriptions", Some(&stranger), None),
    )
    .await;
    let id = created.json()["id"].as_str().unwrap_or_default().to_owned();
    let by_stranger = send(
        &router,
        request(
            Method::POST,
            &format!("/api/v1/subscriptions/{id}/cancel"),
            Some(&stranger),
            None,
        ),
    )
    .await;
    let canceled = send(
        &router,
        request(
            Method::POST,
            &format!("/api/v1/subscriptions/{id}/cancel"),
            Some(&token),
            None,
        ),
    )
    .await;

    let mine = &listed.json()[0];
    assert_eq!(mine["plan"], "monthly-20");
    assert_eq!(mine["status"], "active");
    assert_eq!(mine["tokens_this_period"], 20);
    assert!(mine["current_period_end"].is_string(), "{mine}");
    assert_eq!(mine["grants"][0]["invoice_id"], "in_1");
    assert_eq!(theirs.json(), json!([]));
    assert_eq!(by_stranger.status, StatusCode::NOT_FOUND);
    assert_eq!(canceled.status, StatusCode::OK, "{:?}", canceled.json());
    assert_eq!(canceled.json()["cancel_at_period_end"], true);
    let balance = send(
        &router,
        request(Method::GET, "/api/v1/me", Some(&token), None),
    )
    .await;
    assert_eq!(balance.json()["balance"], 23, "welcome 3 + plan 20");
}

#[tokio::test]
async fn the_buy_page_shows_the_plan_renewal_granted_tokens_and_a_cancel_button() {
    let fake = FakeStripe::start().await;
    let mut config = stripe_config(&fake.base);
    config.stripe.plans = vec![monthly()];
    let test = test_app_with(config).await;
    let router = router(&test);
    let token = register(&router, "alice").await;
    let created = send(
        &router,
        request(
            Method::POST,
            "/api/v1/subscriptions",
            Some(&token),
            Some(json!({"plan": "monthly-20"})),
        ),
    )
    .await;
    let url = created.json()["checkout_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (session, subscription) =
        fake.complete_subscription(url.rsplit('/').next().unwrap_or_default());
    deliver(
        &router,
        &event("evt_2", "checkout.session.completed", &session),
    )
    .await;
    deliver(
        &router,
        &event(
            "evt_1",
            "invoice.paid",
            &invoice("in_1", &subscription, 0, 900, "eur"),
        ),
    )
    .await;

    let page = send(&router, request(Method::GET, "/buy", Some(&token), None)).await;

    let html = String::from_utf8_lossy(&page.body);
    assert_eq!(page.status, StatusCode::OK);
    assert!(html.contains("Monthly 20"), "{html}");
    assert!(html.contains("Renews on"), "{html}");
    assert!(html.contains("20 tokens granted this period"), "{html}");
    let id = created.json()["id"].as_str().unwrap_or_default().to_owned();
    assert!(html.contains(&format!("/buy/plans/{id}/cancel")), "{html}");
}
