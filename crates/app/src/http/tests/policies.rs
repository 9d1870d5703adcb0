//! The privacy policy and terms through the router: public documents, acceptance at sign-up,
//! and the gate that holds a user (API and pages) until they accept a new version in force,
//! while their data rights stay open.

use axum::http::{Method, StatusCode, header};
use serde_json::json;

use super::{register, request, router, send};
use crate::domain::Timestamp;
use crate::store::PolicyKind;
use crate::testing::{test_app, test_app_with, test_config};

#[tokio::test]
async fn the_documents_are_public_rendered_and_versioned() {
    let app = test_app().await;
    app.services
        .policies
        .ensure_published(Timestamp::now())
        .await
        .expect("defaults");
    let router = router(&app);

    let overview = send(
        &router,
        request(Method::GET, "/api/v1/policies", None, None),
    )
    .await;
    assert_eq!(overview.status, StatusCode::OK);
    let body = overview.json();
    assert_eq!(body["current"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["upcoming"].as_array().map(Vec::len), Some(0));
    assert_eq!(body["notice_days"], 30);

    let privacy = send(
        &router,
        request(Method::GET, "/api/v1/policies/privacy", None, None),
    )
    .await;
    assert_eq!(privacy.status, StatusCode::OK);
    let doc = privacy.json();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["kind"], "privacy");
    let html = doc["body_html"].as_str().expect("html");
    assert!(html.contains("<h2>Your rights</h2>"), "{html}");
    assert!(html.contains("<table>"));
    assert!(html.contains("24 hours"));
    assert!(!doc["body_markdown"].as_str().expect("md").contains("{{"));

    for (uri, status) in [
        ("/policies/privacy", StatusCode::OK),
        ("/policies/terms", StatusCode::OK),
        ("/policies/terms/1", StatusCode::OK),
        ("/policies/terms/7", StatusCode::NOT_FOUND),
        ("/policies/cookies", StatusCode::NOT_FOUND),
        ("/api/v1/policies/terms?version=7", StatusCode::NOT_FOUND),
    ] {
        let reply = send(&router, request(Method::GET, uri, None, None)).await;
        assert_eq!(reply.status, status, "{uri}");
    }
    let page = send(&router, request(Method::GET, "/policies/terms", None, None)).await;
    let text = String::from_utf8_lossy(&page.body);
    assert!(text.contains("Terms of use"));
    assert!(text.contains("What you may upload and make"));
}

#[tokio::test]
async fn signing_up_accepts_the_versions_in_force() {
    let app = test_app().await;
    app.services
        .policies
        .ensure_published(Timestamp::now())
        .await
        .expect("defaults");
    let router = router(&app);
    let token = register(&router, "ada").await;
    let mine = send(
        &router,
        request(Method::GET, "/api/v1/me/policies", Some(&token), None),
    )
    .await;
    assert_eq!(mine.status, StatusCode::OK);
    let body = mine.json();
    assert_eq!(body["pending"], json!([]));
    let accepted = body["accepted"].as_array().expect("accepted");
    assert_eq!(accepted.len(), 2);
    assert!(accepted.iter().all(|a| a["source"] == "sign-up"));
}

/// An app with no notice period, so a new version can be in force at once; `ada` signed up
/// under version 1, then version 2 of the terms took effect.
async fn held_user() -> (crate::testing::TestApp, axum::Router, String, String) {
    let mut config = test_config();
    config.policies.notice_days = 0;
    let app = test_app_with(config).await;
    let policies = &app.services.policies;
    policies
        .ensure_published(Timestamp::now())
        .await
        .expect("defaults");
    let router = router(&app);
    let token = register(&router, "ada").await;
    let mut draft = policies.builtin(PolicyKind::Terms);
    draft.summary = "Clearer rules for uploads.".into();
    let now = Timestamp::now();
    let v2 = policies
        .publish(PolicyKind::Terms, draft, now, now)
        .await
        .expect("v2");
    assert_eq!(v2.notified, 1);
    (app, router, token, v2.id.to_string())
}

#[tokio::test]
async fn a_new_version_in_force_holds_the_api_until_accepted_but_not_the_data_rights() {
    let (_app, router, token, v2) = held_user().await;

    let held = send(
        &router,
        request(Method::GET, "/api/v1/tokens", Some(&token), None),
    )
    .await;
    assert_eq!(held.status, StatusCode::FORBIDDEN);
    assert_eq!(held.code(), "policy-acceptance-required");
    for uri in ["/api/v1/me", "/api/v1/me/privacy", "/api/v1/me/export"] {
        let open = send(&router, request(Method::GET, uri, Some(&token), None)).await;
        assert_eq!(open.status, StatusCode::OK, "{uri} stays open");
    }

    let mine = send(
        &router,
        request(Method::GET, "/api/v1/me/policies", Some(&token), None),
    )
    .await;
    let pending = mine.json()["pending"].clone();
    assert_eq!(pending.as_array().map(Vec::len), Some(1));
    assert_eq!(pending[0]["id"], v2.as_str());
    assert_eq!(pending[0]["summary"], "Clearer rules for uploads.");

    let unknown = send(
        &router,
        request(
            Method::POST,
            "/api/v1/me/policies/accept",
            Some(&token),
            Some(json!({"policy_ids": [crate::domain::PolicyId::new()]})),
        ),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let empty = send(
        &router,
        request(
            Method::POST,
            "/api/v1/me/policies/accept",
            Some(&token),
            Some(json!({"policy_ids": []})),
        ),
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);

    let accepted = send(
        &router,
        request(
            Method::POST,
            "/api/v1/me/policies/accept",
            Some(&token),
            Some(json!({"policy_ids": [v2]})),
        ),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::OK);
    assert_eq!(accepted.json()["pending"], json!([]));
    let api_source = accepted.json()["accepted"]
        .as_array()
        .expect("accepted")
        .iter()
        .any(|a| a["source"] == "api" && a["version"] == 2);
    assert!(api_source);
    let free = send(
        &router,
        request(Method::GET, "/api/v1/tokens", Some(&token), None),
    )
    .await;
    assert_eq!(free.status, StatusCode::OK);
}

#[tokio::test]
async fn pages_send_a_held_user_to_accept_and_back() {
    let (_app, router, token, v2) = held_user().await;
    let cookie = format!("atelier_session={token}");
    let get = |uri: &str| {
        axum::http::Request::builder()
            .uri(uri)
            .header(header::COOKIE, &cookie)
            .body(axum::body::Body::empty())
            .expect("request")
    };

    let studio = send(&router, get("/studio")).await;
    assert_eq!(studio.status, StatusCode::SEE_OTHER);
    assert_eq!(
        studio.headers[header::LOCATION],
        "/policies/accept?next=%2Fstudio"
    );
    let privacy = send(&router, get("/privacy")).await;
    assert_eq!(
        privacy.status,
        StatusCode::OK,
        "the privacy page stays open"
    );

    let page = send(&router, get("/policies/accept?next=%2Fstudio")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = String::from_utf8_lossy(&page.body);
    assert!(text.contains("Clearer rules for uploads."));
    assert!(text.contains(&v2));
    assert!(
        text.contains("href=\"/privacy\""),
        "a way out: the data rights"
    );

    let form = format!("policy={v2}&next=%2Fstudio");
    let post = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/policies/accept")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(axum::body::Body::from(form))
        .expect("request");
    let accepted = send(&router, post).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    assert_eq!(accepted.headers[header::LOCATION], "/studio");
    let studio = send(&router, get("/studio")).await;
    assert_eq!(studio.status, StatusCode::OK);
    let nothing_left = send(&router, get("/policies/accept?next=%2Fhistory")).await;
    assert_eq!(nothing_left.headers[header::LOCATION], "/history");
}

#[tokio::test]
async fn policy_pages_write_the_effective_day_in_the_readers_language() {
    let app = test_app().await;
    // 2026-01-15T12:00:00Z
    let published = Timestamp::from_millis(1_768_478_400_000);
    app.services
        .policies
        .ensure_published(published)
        .await
        .expect("defaults");
    let router = router(&app);

    for (language, day) in [
        ("en", "15 Jan 2026"),
        ("ja", "2026年1月15日"),
        ("ko", "2026년 1월 15일"),
    ] {
        let page = axum::http::Request::builder()
            .uri("/policies/privacy")
            .header(header::ACCEPT_LANGUAGE, language)
            .body(axum::body::Body::empty())
            .expect("request");
        let reply = send(&router, page).await;
        let html = String::from_utf8_lossy(&reply.body);

        assert_eq!(reply.status, StatusCode::OK);
        assert!(
            html.contains(&format!("<time datetime=\"2026-01-15\">{day}</time>")),
            "{language}: {html}"
        );
        assert!(!html.contains("12:00 UTC"), "a day, not a time: {language}");
    }
}
