//! Tenant isolation, clean errors for bad ids and routes, and operations endpoints.

use super::*;
use crate::testing::test_app;

#[tokio::test]
async fn another_user_gets_404_for_everything_of_the_first() {
    let test = test_app().await;
    let router = router(&test);
    let alice = register(&router, "alice").await;
    let bob = register(&router, "bob").await;
    let upload_id = upload(&router, &alice).await;
    let finished = create_job(&router, &alice, &upload_id).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    test.services
        .worker("w".into())
        .run_once()
        .await
        .expect("worker");
    let queued = create_job(&router, &alice, &upload_id).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let done = send(
        &router,
        request(
            Method::GET,
            &format!("/api/v1/jobs/{finished}"),
            Some(&alice),
            None,
        ),
    )
    .await;
    let result_id = done.json()["result_id"]
        .as_str()
        .expect("result id")
        .to_owned();
    let attempts = [
        (Method::GET, format!("/api/v1/uploads/{upload_id}")),
        (Method::DELETE, format!("/api/v1/uploads/{upload_id}")),
        (Method::GET, format!("/api/v1/jobs/{queued}")),
        (Method::POST, format!("/api/v1/jobs/{queued}/cancel")),
        (Method::GET, format!("/api/v1/results/{result_id}")),
        (Method::GET, format!("/api/v1/results/{result_id}/download")),
        (Method::DELETE, format!("/api/v1/results/{result_id}")),
    ];

    for (method, uri) in &attempts {
        let reply = send(&router, request(method.clone(), uri, Some(&bob), None)).await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::NOT_FOUND, "not-found".into()),
            "{method} {uri}"
        );
    }
    let with_alices_upload = create_job(&router, &bob, &upload_id).await;
    assert_eq!(with_alices_upload.status, StatusCode::NOT_FOUND);
    for (method, uri) in attempts.iter().filter(|(m, _)| *m == Method::GET) {
        let reply = send(&router, request(method.clone(), uri, Some(&alice), None)).await;
        assert_eq!(reply.status, StatusCode::OK, "alice still has {uri}");
    }
}

#[tokio::test]
async fn unknown_ids_routes_and_missing_auth_are_clean_errors() {
    let test = test_app().await;
    let router = router(&test);
    let token = register(&router, "ada").await;

    let garbage_id = send(
        &router,
        request(Method::GET, "/api/v1/jobs/not-a-uuid", Some(&token), None),
    )
    .await;
    let no_route = send(
        &router,
        request(Method::GET, "/api/v1/nothing-here", Some(&token), None),
    )
    .await;
    let anonymous = send(&router, request(Method::GET, "/api/v1/tokens", None, None)).await;
    let bad_style = send(
        &router,
        request(
            Method::POST,
            "/api/v1/jobs",
            Some(&token),
            Some(json!({"upload_id": null, "style": "cubism"})),
        ),
    )
    .await;

    assert_eq!(
        (garbage_id.status, garbage_id.code()),
        (StatusCode::NOT_FOUND, "not-found".into())
    );
    assert_eq!(
        (no_route.status, no_route.code()),
        (StatusCode::NOT_FOUND, "not-found".into())
    );
    assert_eq!(
        (anonymous.status, anonymous.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated".into())
    );
    assert_eq!(
        (bad_style.status, bad_style.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown-style".into())
    );
}

#[tokio::test]
async fn health_readiness_metrics_and_request_ids() {
    let test = test_app().await;
    let router = router(&test);

    let health = send(&router, request(Method::GET, "/healthz", None, None)).await;
    let ready = send(&router, request(Method::GET, "/readyz", None, None)).await;
    let metrics = send(&router, request(Method::GET, "/metrics", None, None)).await;

    assert_eq!(health.status, StatusCode::OK);
    assert!(health.headers.contains_key("x-request-id"));
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(metrics.status, StatusCode::OK);
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(text.contains("atelier_http_requests_total"), "{text}");
}
