//! Abuse reports as data: the API twin of the report form, reports in the data export, and
//! what erasure leaves of them.

use super::reports::{ada_with_a_portrait, with_cookie};
use super::*;
use crate::domain::{Role, UserScope};

#[tokio::test]
async fn the_api_files_a_report_about_the_callers_own_item_only() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (_, result) = ada_with_a_portrait(&router, &test).await;
    let ada_token = test.token_of_new_session("ada@example.org").await;
    let (_, bob_token) = test.session("bob").await;
    let post = |token: &str, body: serde_json::Value| {
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/reports")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let body = |reason: &str| serde_json::json!({"kind": "result", "id": result, "reason": reason, "details": "no"});

    let filed = send(&router, post(&ada_token, body("deception"))).await;
    let by_bob = send(&router, post(&bob_token, body("deception"))).await;
    let bad_reason = send(&router, post(&ada_token, body("spam"))).await;
    let json: serde_json::Value = serde_json::from_str(&filed.html).expect("json");

    assert_eq!(filed.status, StatusCode::CREATED);
    assert_eq!(json["reason"], "deception");
    assert_eq!(json["status"], "open");
    assert_eq!(json["item_id"], serde_json::json!(result));
    assert_eq!(by_bob.status, StatusCode::NOT_FOUND);
    assert_eq!(bad_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_reason.html.contains("invalid-reason"));
}

#[tokio::test]
async fn reports_are_exported_and_erasure_keeps_them_for_the_admins_without_the_reporter() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (ada, result) = ada_with_a_portrait(&router, &test).await;
    let uri = format!("/results/{result}/report");
    let form = "reason=violent&details=a+private+remark";
    send(
        &router,
        with_cookie(post_form(&uri, form, "same-origin"), &ada),
    )
    .await;
    let scope = test.user_scope_of("ada@example.org").await;

    let archive = test.services.privacy.export(scope).await.expect("export");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).expect("zip");
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("reports.json").expect("reports.json"),
        &mut text,
    )
    .expect("read");
    let exported: serde_json::Value = serde_json::from_str(&text).expect("json");
    let store = &test.services.store;
    store
        .begin_erasure(scope, Timestamp::now())
        .await
        .expect("begin");
    store
        .erase_user(scope, None, Timestamp::now())
        .await
        .expect("erase");
    let kept = store.all_reports(10).await.expect("reports");
    let traces = test.rows_mentioning("a private remark").await;

    assert_eq!(exported[0]["reason"], "violent");
    assert_eq!(exported[0]["details"], "a private remark");
    assert_eq!(kept.len(), 1);
    assert!(kept[0].owner.is_none() && kept[0].report.user_id.is_none());
    assert!(
        traces.is_empty(),
        "the reporter's words are gone: {traces:?}"
    );
}

impl crate::testing::TestApp {
    /// The scope of the account at `email`, as authentication would give it.
    pub(super) async fn user_scope_of(&self, email: &str) -> UserScope {
        let email = crate::domain::Email::parse(email).expect("email");
        let account = self
            .services
            .store
            .find_user_by_email(&email)
            .await
            .expect("lookup")
            .expect("account");
        UserScope::trusted(account.user.id, Role::User)
    }

    /// A fresh session token for the account at `email` (password of `SIGN_UP`).
    pub(super) async fn token_of_new_session(&self, email: &str) -> String {
        let (_, token) = self
            .services
            .accounts
            .sign_in(email, "a sturdy passphrase")
            .await
            .expect("sign in");
        token.as_str().to_owned()
    }
}
