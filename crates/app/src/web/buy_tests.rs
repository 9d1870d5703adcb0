//! The buy, success and admin pages through the real router.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::billing::fake_stripe::FakeStripe;
use crate::domain::{JobId, LotId, Role, Timestamp, UserId, UserScope};
use crate::http::{AppState, app};
use crate::store::{AccountStatus, NewLot, StoreError};
use crate::testing::{TestApp, stripe_config, test_app, test_app_with};

struct Page {
    status: StatusCode,
    location: Option<String>,
    html: String,
}

async fn send(router: &Router, request: Request<Body>) -> Page {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Page {
        status,
        location,
        html: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn get(uri: &str, cookie: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request")
}

fn post(uri: &str, form: &str, cookie: &str, site: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", site)
        .body(Body::from(form.to_owned()))
        .expect("request")
}

/// A signed-in browser: the user id and its cookie.
async fn browser(test: &TestApp, name: &str) -> (UserId, String) {
    let (id, token) = test.session(name).await;
    (id, format!("atelier_session={token}"))
}

#[tokio::test]
async fn without_keys_the_buy_page_says_payments_are_not_configured() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (_, cookie) = browser(&test, "ada").await;

    let page = send(&router, get("/buy", &cookie)).await;
    let signed_out = send(&router, get("/buy", "")).await;

    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains("Payments are not configured"),
        "{}",
        page.html
    );
    assert!(!page.html.contains("action=\"/buy\""));
    assert!(page.html.contains("€5.00") && page.html.contains("€30.00"));
    assert!(page.html.contains("3 of 3 left, valid until"));
    assert_eq!(signed_out.location.as_deref(), Some("/signin"));
}

#[tokio::test]
async fn choosing_a_pack_sends_the_browser_to_checkout_and_lists_the_purchase() {
    let fake = FakeStripe::start().await;
    let test = test_app_with(stripe_config(&fake.base)).await;
    let router = app(AppState::new(test.services.clone()));
    let (_, cookie) = browser(&test, "ada").await;

    let chosen = send(
        &router,
        post("/buy", "pack=45-tokens", &cookie, "same-origin"),
    )
    .await;
    let cross_site = send(
        &router,
        post("/buy", "pack=5-tokens", &cookie, "cross-site"),
    )
    .await;
    let page = send(&router, get("/buy", &cookie)).await;

    assert_eq!(chosen.status, StatusCode::SEE_OTHER);
    assert_eq!(
        chosen.location.as_deref(),
        Some("https://checkout.stripe.com/c/pay/cs_test_1")
    );
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    assert_eq!(fake.requests().len(), 1);
    assert!(page.html.contains("Buy for €12.00"));
    assert!(
        page.html
            .contains("<td>45 tokens</td><td>€30.00</td><td class=\"status\">Pending</td>"),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn the_success_page_credits_a_paid_checkout_whose_webhook_never_came() {
    let fake = FakeStripe::start().await;
    let test = test_app_with(stripe_config(&fake.base)).await;
    let router = app(AppState::new(test.services.clone()));
    let (_, cookie) = browser(&test, "ada").await;
    send(
        &router,
        post("/buy", "pack=15-tokens", &cookie, "same-origin"),
    )
    .await;
    let (_, stranger) = browser(&test, "eve").await;

    let early = send(&router, get("/buy/success?session_id=cs_test_1", &cookie)).await;
    fake.pay("cs_test_1");
    let paid = send(&router, get("/buy/success?session_id=cs_test_1", &cookie)).await;
    let reload = send(&router, get("/buy/success?session_id=cs_test_1", &cookie)).await;
    let by_stranger = send(&router, get("/buy/success?session_id=cs_test_1", &stranger)).await;

    assert!(early.html.contains("being processed"), "{}", early.html);
    assert!(early.html.contains("http-equiv=\"refresh\""));
    assert!(paid.html.contains("15 tokens were added"), "{}", paid.html);
    assert!(
        reload.html.contains("18 tokens"),
        "balance in the bar: {}",
        reload.html
    );
    assert_eq!(by_stranger.status, StatusCode::NOT_FOUND);
    assert!(by_stranger.html.contains("3 tokens"));
}

#[tokio::test]
async fn a_lot_past_its_expiry_shows_as_expired_and_cannot_be_spent() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (user, cookie) = browser(&test, "ada").await;
    let now = Timestamp::now();
    let lapsed = NewLot {
        id: LotId::new(),
        quantity: 10,
        source: "purchase:old".into(),
        created_at: Timestamp::from_millis(now.millis() - 200 * 86_400_000),
        expires_at: Timestamp::from_millis(now.millis() - 1000),
    };
    test.services
        .store
        .grant_tokens(user, lapsed)
        .await
        .expect("grant");
    let scope = UserScope::trusted(user, Role::User);

    let page = send(&router, get("/buy", &cookie)).await;
    let spend = test
        .services
        .store
        .spend_tokens(scope, 4, JobId::new(), now)
        .await;

    assert!(
        page.html.contains("class=\"expired\">Expired on"),
        "{}",
        page.html
    );
    assert!(page.html.contains("(10 of 10 unused)"));
    assert!(matches!(spend, Err(StoreError::InsufficientTokens)));
    assert_eq!(
        test.services
            .store
            .balance(scope, now)
            .await
            .expect("balance"),
        3
    );
}

#[tokio::test]
async fn only_admins_see_every_purchase() {
    let fake = FakeStripe::start().await;
    let test = test_app_with(stripe_config(&fake.base)).await;
    let router = app(AppState::new(test.services.clone()));
    let (_, buyer) = browser(&test, "ada").await;
    send(
        &router,
        post("/buy", "pack=5-tokens", &buyer, "same-origin"),
    )
    .await;
    let (admin, admin_cookie) = browser(&test, "root").await;

    let refused = send(&router, get("/admin/purchases", &admin_cookie)).await;
    test.services
        .store
        .set_role_and_status(admin, Role::Admin, AccountStatus::Active)
        .await
        .expect("promote");
    let listed = send(&router, get("/admin/purchases", &admin_cookie)).await;

    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(listed.status, StatusCode::OK);
    assert!(listed.html.contains("ada@example.org"), "{}", listed.html);
    assert!(listed.html.contains("€5.00") && listed.html.contains("Pending"));
    let log = test.services.store.admin_actions(10).await.expect("log");
    let views: Vec<(String, String)> = log.into_iter().map(|a| (a.action, a.actor)).collect();
    assert_eq!(
        views,
        vec![("view-purchases".to_owned(), admin.to_string())],
        "the admin's view is audited, the refused one is not"
    );
}

#[tokio::test]
async fn a_checkout_session_stripe_does_not_know_is_a_404_not_a_gateway_error() {
    let fake = FakeStripe::start().await;
    let test = test_app_with(stripe_config(&fake.base)).await;
    let router = app(AppState::new(test.services.clone()));
    let (_, cookie) = browser(&test, "ada").await;
    let in_japanese = Request::builder()
        .uri("/buy/success?session_id=cs_test_doesnotexist")
        .header(header::COOKIE, &cookie)
        .header(header::ACCEPT_LANGUAGE, "ja")
        .body(Body::empty())
        .expect("request");

    let unknown = send(
        &router,
        get("/buy/success?session_id=cs_test_doesnotexist", &cookie),
    )
    .await;
    let japanese = send(&router, in_japanese).await;

    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown.html.contains("We could not find this payment."),
        "{}",
        unknown.html
    );
    assert!(!unknown.html.contains("could not be reached"));
    assert_eq!(japanese.status, StatusCode::NOT_FOUND);
    assert!(
        japanese.html.contains("この支払いが見つかりませんでした。"),
        "{}",
        japanese.html
    );
    let asked: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    // Each of the two visits asks Stripe once: the 404 is not retried.
    assert_eq!(
        asked,
        [
            "/v1/checkout/sessions/cs_test_doesnotexist",
            "/v1/checkout/sessions/cs_test_doesnotexist"
        ]
    );
}

#[tokio::test]
async fn stripe_refusing_us_or_unreachable_is_still_a_gateway_error() {
    let fake = FakeStripe::start().await;
    // A key the (fake) Stripe refuses: its 401 is our fault, never the visitor's.
    let mut wrong_key = stripe_config(&fake.base);
    wrong_key.stripe.secret_key = Some(crate::config::Secret::new("sk_wrong_key"));
    let refused = test_app_with(wrong_key).await;
    let refused_router = app(AppState::new(refused.services.clone()));
    let (_, refused_cookie) = browser(&refused, "ada").await;
    // A Stripe that cannot be reached: nothing listens on port 1, so connections are refused.
    let gone = test_app_with(stripe_config("http://127.0.0.1:1")).await;
    let gone_router = app(AppState::new(gone.services.clone()));
    let (_, gone_cookie) = browser(&gone, "ada").await;

    let with_wrong_key = send(
        &refused_router,
        get("/buy/success?session_id=cs_test_1", &refused_cookie),
    )
    .await;
    let unreachable = send(
        &gone_router,
        get("/buy/success?session_id=cs_test_1", &gone_cookie),
    )
    .await;

    for (name, page) in [("wrong key", with_wrong_key), ("unreachable", unreachable)] {
        assert_eq!(page.status, StatusCode::BAD_GATEWAY, "{name}");
        assert!(
            page.html
                .contains("The payment provider could not be reached."),
            "{name}: {}",
            page.html
        );
    }
    assert_eq!(
        fake.requests().len(),
        1,
        "the wrong key was sent and refused"
    );
}
