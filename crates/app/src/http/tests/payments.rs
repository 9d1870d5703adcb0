//! Packs and purchases through the real router, against the fake Stripe and events signed
//! here; the shared helpers of `webhook.rs`.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

use super::{Reply, register, request, router, send};
use crate::billing::fake_stripe::{FakeStripe, event, signature_now};
use crate::testing::{TestApp, stripe_config, test_app, test_app_with};

pub(super) struct Shop {
    pub fake: FakeStripe,
    pub test: TestApp,
    pub router: Router,
}

pub(super) async fn shop() -> Shop {
    let fake = FakeStripe::start().await;
    let test = test_app_with(stripe_config(&fake.base)).await;
    let router = router(&test);
    Shop { fake, test, router }
}

/// A buyer who started a checkout of `pack` and paid: their token, the purchase id and the
/// paid session as Stripe would send it.
pub(super) async fn paid_checkout(shop: &Shop, name: &str, pack: &str) -> (String, String, Value) {
    let token = register(&shop.router, name).await;
    let body = json!({ "pack": pack });
    let reply = send(
        &shop.router,
        request(Method::POST, "/api/v1/purchases", Some(&token), Some(body)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    assert_eq!(reply.json()["status"], "pending");
    let url = reply.json()["checkout_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let session_id = url.rsplit('/').next().unwrap_or_default().to_owned();
    let session = shop.fake.pay(&session_id);
    let id = reply.json()["id"].as_str().unwrap_or_default().to_owned();
    (token, id, session)
}

pub(super) fn delivery(body: &[u8], signature: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/stripe/webhook")
        .header("content-type", "application/json");
    if let Some(signature) = signature {
        builder = builder.header("stripe-signature", signature);
    }
    builder.body(Body::from(body.to_vec())).expect("request")
}

pub(super) async fn deliver(router: &Router, body: &[u8]) -> Reply {
    send(router, delivery(body, Some(&signature_now(body)))).await
}

pub(super) async fn balance(router: &Router, token: &str) -> i64 {
    let reply = send(
        router,
        request(Method::GET, "/api/v1/me", Some(token), None),
    )
    .await;
    reply.json()["balance"].as_i64().unwrap_or(-1)
}

pub(super) async fn purchase(router: &Router, token: &str) -> Value {
    let reply = send(
        router,
        request(Method::GET, "/api/v1/purchases", Some(token), None),
    )
    .await;
    reply.json()[0].clone()
}

pub(super) async fn invariant_holds(shop: &Shop, token: &str) -> bool {
    let scope = shop
        .test
        .services
        .accounts
        .authenticate(token)
        .await
        .expect("auth");
    let totals = shop.test.services.store.token_totals(scope.user_id()).await;
    totals.expect("totals").invariant_holds()
}

#[tokio::test]
async fn a_paid_checkout_credits_its_pack_once_however_often_stripe_delivers() {
    let shop = shop().await;
    let (token, id, session) = paid_checkout(&shop, "ada", "5-tokens").await;
    let body = event("evt_1", "checkout.session.completed", &session);

    let first = deliver(&shop.router, &body).await;
    let second = deliver(&shop.router, &body).await;
    let late_async = deliver(
        &shop.router,
        &event(
            "evt_2",
            "checkout.session.async_payment_succeeded",
            &session,
        ),
    )
    .await;

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.json()["outcome"], "credited");
    assert_eq!(second.json()["outcome"], "duplicate");
    assert_eq!(late_async.json()["outcome"], "already-credited");
    assert_eq!(balance(&shop.router, &token).await, 3 + 5);
    let bought = purchase(&shop.router, &token).await;
    assert_eq!(bought["id"], id.as_str());
    assert_eq!(bought["status"], "paid");
    assert_eq!(bought["amount"], 500);
    assert!(invariant_holds(&shop, &token).await);
}

#[tokio::test]
async fn packs_are_public_and_buying_without_keys_says_not_configured() {
    let test = test_app().await;
    let router = router(&test);
    let token = register(&router, "ada").await;

    let packs = send(&router, request(Method::GET, "/api/v1/packs", None, None)).await;
    let body = json!({"pack": "5-tokens"});
    let buy = send(
        &router,
        request(Method::POST, "/api/v1/purchases", Some(&token), Some(body)),
    )
    .await;
    let webhook = deliver(&router, &event("evt_1", "customer.created", &json!({}))).await;

    let tokens: Vec<i64> = packs.json().as_array().map_or_else(Vec::new, |a| {
        a.iter().filter_map(|p| p["tokens"].as_i64()).collect()
    });
    assert_eq!(tokens, [5, 15, 45]);
    assert_eq!(packs.json()[0]["valid_days"], 182);
    assert_eq!(buy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(buy.code(), "payments-not-configured");
    assert_eq!(webhook.status, StatusCode::SERVICE_UNAVAILABLE);
    let mine = send(
        &router,
        request(Method::GET, "/api/v1/purchases", Some(&token), None),
    )
    .await;
    assert_eq!(mine.json(), json!([]));
}

#[tokio::test]
async fn unknown_packs_and_strangers_are_refused() {
    let shop = shop().await;
    let token = register(&shop.router, "ada").await;
    let body = json!({"pack": "1000-tokens"});

    let unknown = send(
        &shop.router,
        request(
            Method::POST,
            "/api/v1/purchases",
            Some(&token),
            Some(body.clone()),
        ),
    )
    .await;
    let anonymous = send(
        &shop.router,
        request(Method::POST, "/api/v1/purchases", None, Some(body)),
    )
    .await;
    let admin_list = send(
        &shop.router,
        request(Method::GET, "/api/v1/admin/purchases", Some(&token), None),
    )
    .await;

    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.code(), "unknown-pack");
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(admin_list.status, StatusCode::NOT_FOUND);
    assert_eq!(admin_list.code(), "not-found");
}

#[tokio::test]
async fn an_admin_listing_every_purchase_is_audited_before_the_list_is_served() {
    let test = test_app().await;
    let router = router(&test);
    let root = register(&router, "root").await;
    let scope = super::privacy::scope_of(&test, &root).await;
    let store = &test.services.store;
    let refused = send(
        &router,
        request(Method::GET, "/api/v1/admin/purchases", Some(&root), None),
    )
    .await;
    store
        .set_role_and_status(
            scope.user_id(),
            crate::domain::Role::Admin,
            crate::store::AccountStatus::Active,
        )
        .await
        .expect("make admin");
    let (_, token) = test
        .services
        .accounts
        .sign_in("root@example.org", "a sturdy passphrase")
        .await
        .expect("sign in again");

    let listed = send(
        &router,
        request(
            Method::GET,
            "/api/v1/admin/purchases",
            Some(token.as_str()),
            None,
        ),
    )
    .await;

    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(listed.status, StatusCode::OK);
    let log = store.admin_actions(10).await.expect("log");
    let views: Vec<(&str, &str)> = log
        .iter()
        .map(|a| (a.action.as_str(), a.actor.as_str()))
        .collect();
    let admin = scope.user_id().to_string();
    assert_eq!(
        views,
        vec![("view-purchases", admin.as_str())],
        "one entry, for the admin's view only"
    );
    assert_eq!(log[0].subject, None);
}
