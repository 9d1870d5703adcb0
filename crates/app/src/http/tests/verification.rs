//! E-mail verification through the API: the flag on `/me`, the token route, re-sending.

use axum::http::{Method, StatusCode, header};
use serde_json::json;

use super::{request, router, send};
use crate::domain::Timestamp;
use crate::testing::test_app;

/// The token in the newest mail to `recipient`.
async fn newest_token(test: &crate::testing::TestApp, recipient: &str) -> String {
    let outbox = test
        .services
        .store
        .pending_mail(Timestamp::now(), 100)
        .await
        .expect("outbox");
    let body = &outbox
        .iter()
        .rev()
        .find(|p| p.mail.recipient == recipient)
        .expect("a mail")
        .mail
        .body;
    let start = body.find("token=").expect("link") + "token=".len();
    body[start..start + 32].to_owned()
}

#[tokio::test]
async fn the_mailed_token_verifies_the_address_once_and_me_says_so() {
    let test = test_app().await;
    let router = router(&test);
    let body = json!({"email": "ada@example.org", "password": "a sturdy passphrase",
        "age_over_14": true});
    let mut sign_up = request(Method::POST, "/api/v1/auth/register", None, Some(body));
    sign_up.headers_mut().insert(
        header::ACCEPT_LANGUAGE,
        "en-GB,en;q=0.8".parse().expect("header"),
    );
    let session = send(&router, sign_up).await.json()["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let before = send(
        &router,
        request(Method::GET, "/api/v1/me", Some(&session), None),
    )
    .await;
    let token = newest_token(&test, "ada@example.org").await;
    let verify = |token: &str| {
        request(
            Method::POST,
            "/api/v1/auth/verify-email",
            None,
            Some(json!({ "token": token })),
        )
    };

    let wrong = send(&router, verify("0123456789abcdef0123456789abcdef")).await;
    let first = send(&router, verify(&token)).await;
    let second = send(&router, verify(&token)).await;
    let after = send(
        &router,
        request(Method::GET, "/api/v1/me", Some(&session), None),
    )
    .await;
    let resend = send(
        &router,
        request(
            Method::POST,
            "/api/v1/me/verify-email",
            Some(&session),
            None,
        ),
    )
    .await;
    let stored = test
        .services
        .accounts
        .authenticate(&session)
        .await
        .expect("scope");
    let locale = test.services.store.user(stored).await.expect("user").locale;

    assert_eq!(before.json()["email_verified"], json!(false));
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.code(), "invalid-token");
    assert_eq!(first.status, StatusCode::NO_CONTENT);
    assert_eq!(second.status, StatusCode::BAD_REQUEST);
    assert_eq!(after.json()["email_verified"], json!(true));
    assert_eq!(resend.status, StatusCode::CONFLICT);
    assert_eq!(resend.code(), "already-verified");
    assert_eq!(locale.as_deref(), Some("en-US"), "from Accept-Language");
}

#[tokio::test]
async fn an_unverified_account_can_ask_for_a_new_link_and_keeps_working() {
    let test = test_app().await;
    let router = router(&test);
    let session = super::register(&router, "ada").await;
    let first = newest_token(&test, "ada@example.org").await;

    let resend = send(
        &router,
        request(
            Method::POST,
            "/api/v1/me/verify-email",
            Some(&session),
            None,
        ),
    )
    .await;
    let second = newest_token(&test, "ada@example.org").await;
    let signed_out = send(
        &router,
        request(Method::POST, "/api/v1/me/verify-email", None, None),
    )
    .await;
    let sign_in = send(
        &router,
        request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "ada@example.org", "password": "a sturdy passphrase"})),
        ),
    )
    .await;

    assert_eq!(resend.status, StatusCode::ACCEPTED);
    assert_ne!(first, second);
    assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        sign_in.status,
        StatusCode::OK,
        "unverified accounts sign in"
    );
}
