//! The developer API: API keys, per-key rate limits, idempotency, cursors, ETags
//! and ranges, and the OpenAPI document.

use super::*;
use crate::testing::{test_app, test_app_with, test_config};

async fn create_key(router: &Router, token: &str, name: &str) -> Value {
    let reply = send(
        router,
        request(
            Method::POST,
            "/api/v1/me/api-keys",
            Some(token),
            Some(json!({"name": name})),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()
}

fn secret(key: &Value) -> String {
    key["secret"].as_str().expect("secret").to_owned()
}

async fn get(router: &Router, uri: &str, token: &str) -> Reply {
    send(router, request(Method::GET, uri, Some(token), None)).await
}

#[tokio::test]
async fn a_key_is_shown_once_listed_with_its_last_use_and_refused_at_once_when_revoked() {
    let test = test_app().await;
    let router = router(&test);
    let session = register(&router, "ada").await;

    let created = create_key(&router, &session, "laptop script").await;
    let key = secret(&created);
    let me = get(&router, "/api/v1/me", &key).await;
    let listed = get(&router, "/api/v1/me/api-keys", &session).await;
    let id = created["id"].as_str().expect("id");
    let revoked = send(
        &router,
        request(
            Method::DELETE,
            &format!("/api/v1/me/api-keys/{id}"),
            Some(&session),
            None,
        ),
    )
    .await;
    let after = get(&router, "/api/v1/me", &key).await;
    let again = send(
        &router,
        request(
            Method::DELETE,
            &format!("/api/v1/me/api-keys/{id}"),
            Some(&session),
            None,
        ),
    )
    .await;

    assert!(key.starts_with("atl_") && key.len() == 68, "{key}");
    assert_eq!(created["prefix"], key[..10]);
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["email"], "ada@example.org");
    let keys = listed.json();
    assert_eq!(keys.as_array().map(Vec::len), Some(1));
    assert_eq!(keys[0]["name"], "laptop script");
    assert!(keys[0]["last_used_at"].is_string(), "{keys}");
    assert!(keys[0].get("secret").is_none() && keys[0].get("token_hash").is_none());
    assert!(!String::from_utf8_lossy(&listed.body).contains(&key[4..]));
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_key_of_one_user_cannot_touch_anything_of_another() {
    let test = test_app().await;
    let router = router(&test);
    let alice = register(&router, "alice").await;
    let bob = register(&router, "bob").await;
    let alice_key = secret(&create_key(&router, &alice, "a").await);
    let bobs_key = create_key(&router, &bob, "b").await;
    let bobs_upload = upload(&router, &bob).await;
    let bobs_job = create_job(&router, &bob, &bobs_upload).await.json()["id"]
        .as_str()
        .expect("job")
        .to_owned();

    let attempts = [
        (Method::GET, format!("/api/v1/uploads/{bobs_upload}")),
        (Method::DELETE, format!("/api/v1/uploads/{bobs_upload}")),
        (Method::GET, format!("/api/v1/jobs/{bobs_job}")),
        (Method::POST, format!("/api/v1/jobs/{bobs_job}/cancel")),
        (
            Method::DELETE,
            format!(
                "/api/v1/me/api-keys/{}",
                bobs_key["id"].as_str().expect("id")
            ),
        ),
    ];
    for (method, uri) in attempts {
        let reply = send(
            &router,
            request(method.clone(), &uri, Some(&alice_key), None),
        )
        .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {uri}");
    }
    let job_with_bobs_upload = json!({"upload_id": bobs_upload, "style": "anime"});
    let refused = send(
        &router,
        request(
            Method::POST,
            "/api/v1/jobs",
            Some(&alice_key),
            Some(job_with_bobs_upload),
        ),
    )
    .await;
    let alice_sees = get(&router, "/api/v1/uploads", &alice_key).await;
    let bob_still = get(&router, "/api/v1/me", &secret(&bobs_key)).await;

    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(alice_sees.json(), json!([]));
    assert_eq!(bob_still.status, StatusCode::OK, "bob's key survived");
    let bobs_uploads = get(&router, "/api/v1/uploads", &bob).await.json();
    assert_eq!(bobs_uploads.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn each_key_has_its_own_rate_limit_with_retry_after() {
    let mut config = test_config();
    config.server.api_key_requests_per_minute = 2;
    let test = test_app_with(config).await;
    let router = router(&test);
    let session = register(&router, "ada").await;
    let first = secret(&create_key(&router, &session, "one").await);
    let second = secret(&create_key(&router, &session, "two").await);

    let allowed = [
        get(&router, "/api/v1/me", &first).await.status,
        get(&router, "/api/v1/me", &first).await.status,
    ];
    let limited = get(&router, "/api/v1/me", &first).await;
    let other_key = get(&router, "/api/v1/me", &second).await;
    let session_call = get(&router, "/api/v1/me", &session).await;

    assert_eq!(allowed, [StatusCode::OK, StatusCode::OK]);
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate-limited");
    let retry: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(other_key.status, StatusCode::OK);
    assert_eq!(session_call.status, StatusCode::OK);
}

#[tokio::test]
async fn key_names_are_checked() {
    let test = test_app().await;
    let router = router(&test);
    let session = register(&router, "ada").await;

    let blank = send(
        &router,
        request(
            Method::POST,
            "/api/v1/me/api-keys",
            Some(&session),
            Some(json!({"name": "  "})),
        ),
    )
    .await;
    let unknown_field = send(
        &router,
        request(
            Method::POST,
            "/api/v1/me/api-keys",
            Some(&session),
            Some(json!({"name": "x", "scope": "all"})),
        ),
    )
    .await;

    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.code(), "invalid-api-key-name");
    assert_eq!(unknown_field.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The server's own log is checked end to end in `tests/api_guide.rs` (at `RUST_LOG=trace`).
#[tokio::test]
async fn a_keys_secret_is_stored_nowhere() {
    let test = test_app().await;
    let router = router(&test);
    let session = register(&router, "ada").await;

    let key = secret(&create_key(&router, &session, "ci").await);
    get(&router, "/api/v1/me", &key).await;
    upload(&router, &key).await;
    // A wrong key of the same shape: two characters changed to something they were not.
    let replacement = if &key[10..12] == "00" { "11" } else { "00" };
    let mut bad = key.clone();
    bad.replace_range(10..12, replacement);
    let refused = get(&router, "/api/v1/me", &bad).await;

    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    for secret in [&key, &bad] {
        assert!(
            test.rows_mentioning(&secret[4..]).await.is_empty(),
            "a key's secret is stored"
        );
    }
}

#[tokio::test]
async fn ten_concurrent_jobs_with_one_idempotency_key_make_one_job_and_spend_once() {
    let test = test_app().await;
    let router = router(&test);
    let session = register(&router, "ada").await;
    let key = secret(&create_key(&router, &session, "ci").await);
    let upload_id = upload(&router, &key).await;
    let body = json!({"upload_id": upload_id, "style": "anime"});
    let job_request = |body: Value| {
        let mut request = request(Method::POST, "/api/v1/jobs", Some(&key), Some(body));
        request.headers_mut().insert(
            "idempotency-key",
            HeaderValue::from_static("0d6b7f0e-job-1"),
        );
        request
    };

    let replies =
        futures::future::join_all((0..10).map(|_| send(&router, job_request(body.clone())))).await;
    let reordered = json!({"style": "anime", "upload_id": upload_id});
    let later = send(&router, job_request(reordered)).await;
    let different = send(
        &router,
        job_request(json!({"upload_id": upload_id, "style": "clay-3d"})),
    )
    .await;

    let ids: std::collections::BTreeSet<String> = replies
        .iter()
        .chain([&later])
        .map(|r| {
            assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json());
            r.json()["id"].as_str().expect("job id").to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one job for every repeat: {ids:?}");
    assert_eq!(later.headers["idempotent-replayed"], "true");
    assert_eq!(different.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(different.code(), "idempotency-key-reused");
    let jobs = get(&router, "/api/v1/jobs", &key).await.json();
    assert_eq!(jobs.as_array().map(Vec::len), Some(1));
    let tokens = get(&router, "/api/v1/tokens", &key).await.json();
    let spends = tokens["ledger"]
        .as_array()
        .expect("ledger")
        .iter()
        .filter(|e| e["kind"] == "spend")
        .count();
    assert_eq!(spends, 1, "{tokens}");
    assert_eq!(tokens["balance"], 2);
}

#[tokio::test]
async fn a_repeated_upload_with_its_key_returns_the_first_upload() {
    let test = test_app().await;
    let router = router(&test);
    let session = register(&router, "ada").await;
    let with_key = |photo: &[u8]| {
        let mut request = upload_request(&session, "file", photo);
        request
            .headers_mut()
            .insert("idempotency-key", HeaderValue::from_static("photo-1"));
        request
    };

    let first = send(&router, with_key(&photo_png(40, 30))).await;
    let second = send(&router, with_key(&photo_png(40, 30))).await;
    let other_photo = send(&router, with_key(&photo_png(30, 40))).await;
    let bad_key = {
        let mut request = upload_request(&session, "file", &photo_png(40, 30));
        request
            .headers_mut()
            .insert("idempotency-key", HeaderValue::from_static(""));
        send(&router, request).await
    };

    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(
        (second.status, second.json()),
        (StatusCode::CREATED, first.json())
    );
    assert_eq!(other_photo.code(), "idempotency-key-reused");
    assert_eq!(bad_key.code(), "invalid-idempotency-key");
    let uploads = get(&router, "/api/v1/uploads", &session).await.json();
    assert_eq!(uploads.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn lists_page_by_cursor_through_link_headers() {
    let test = test_app().await;
    let router = router(&test);
    let session = register(&router, "ada").await;
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(upload(&router, &session).await);
    }

    let first = get(&router, "/api/v1/uploads?limit=2", &session).await;
    let link = first.headers[header::LINK]
        .to_str()
        .expect("link")
        .to_owned();
    let next = link
        .strip_prefix('<')
        .and_then(|l| l.split_once('>'))
        .map(|(uri, _)| uri.to_owned())
        .expect("a next link");
    let second = get(&router, &next, &session).await;
    let bad_cursor = get(&router, "/api/v1/uploads?cursor=nonsense", &session).await;
    let bad_limit = get(&router, "/api/v1/jobs?limit=0", &session).await;

    assert!(link.ends_with("rel=\"next\""), "{link}");
    let ids = |reply: &Reply| -> Vec<String> {
        reply
            .json()
            .as_array()
            .expect("array")
            .iter()
            .map(|u| u["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let mut seen = ids(&first);
    seen.extend(ids(&second));
    made.reverse();
    assert_eq!(seen, made, "newest first, each once");
    assert!(second.headers.get(header::LINK).is_none());
    assert_eq!(bad_cursor.code(), "invalid-cursor");
    assert_eq!(bad_limit.code(), "invalid-limit");
}

#[tokio::test]
async fn results_have_etags_and_downloads_serve_ranges() {
    let test = test_app().await;
    let router = router(&test);
    let token = register(&router, "ada").await;
    let upload_id = upload(&router, &token).await;
    let job = create_job(&router, &token, &upload_id).await.json();
    test.services
        .worker("w".into())
        .run_once()
        .await
        .expect("worker");
    let job = get(
        &router,
        &format!("/api/v1/jobs/{}", job["id"].as_str().expect("id")),
        &token,
    )
    .await
    .json();
    let result = job["result_id"].as_str().expect("result").to_owned();
    let with = |uri: &str, name: &'static str, value: &str| {
        let mut request = request(Method::GET, uri, Some(&token), None);
        request
            .headers_mut()
            .insert(name, HeaderValue::from_str(value).expect("header"));
        request
    };
    let meta_uri = format!("/api/v1/results/{result}");
    let file_uri = format!("/api/v1/results/{result}/download");

    let meta = get(&router, &meta_uri, &token).await;
    let meta_tag = meta.headers[header::ETAG]
        .to_str()
        .expect("etag")
        .to_owned();
    let meta_again = send(&router, with(&meta_uri, "if-none-match", &meta_tag)).await;
    let whole = get(&router, &file_uri, &token).await;
    let file_tag = whole.headers[header::ETAG]
        .to_str()
        .expect("etag")
        .to_owned();
    let unchanged = send(&router, with(&file_uri, "if-none-match", &file_tag)).await;
    let head = send(&router, with(&file_uri, "range", "bytes=0-7")).await;
    let tail = send(&router, with(&file_uri, "range", "bytes=-4")).await;
    let past = send(&router, with(&file_uri, "range", "bytes=999999999-")).await;

    let len = whole.body.len();
    assert_eq!(meta.status, StatusCode::OK);
    assert_eq!(meta_again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(whole.headers[header::ACCEPT_RANGES], "bytes");
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert!(unchanged.body.is_empty());
    assert_eq!(head.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&head.body[..], &whole.body[..8]);
    assert_eq!(
        head.headers[header::CONTENT_RANGE],
        format!("bytes 0-7/{len}").as_str()
    );
    assert_eq!(&tail.body[..], &whole.body[len - 4..]);
    assert_eq!(past.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        past.headers[header::CONTENT_RANGE],
        format!("bytes */{len}").as_str()
    );
}

#[tokio::test]
async fn the_openapi_document_covers_every_route_with_errors_and_bearer_auth() {
    let test = test_app().await;
    let router = router(&test);

    let reply = send(
        &router,
        request(Method::GET, "/api/v1/openapi.json", None, None),
    )
    .await;
    let doc = reply.json();

    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let paths = doc["paths"].as_object().expect("paths");
    for route in [
        "/auth/register",
        "/auth/login",
        "/auth/logout",
        "/auth/verify-email",
        "/me/verify-email",
        "/policies",
        "/policies/{kind}",
        "/me/policies",
        "/me/policies/accept",
        "/plans",
        "/subscriptions",
        "/subscriptions/{id}/cancel",
        "/results/{id}/save",
        "/me",
        "/me/api-keys",
        "/me/api-keys/{id}",
        "/tokens",
        "/styles",
        "/uploads",
        "/uploads/{id}",
        "/jobs",
        "/jobs/{id}",
        "/jobs/{id}/cancel",
        "/results",
        "/results/{id}",
        "/results/{id}/download",
        "/packs",
        "/purchases",
        "/me/export",
        "/me/exports",
        "/me/privacy",
        "/policies",
        "/me/policies/accept",
        "/reports",
    ] {
        assert!(paths.contains_key(route), "{route} is not documented");
    }
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("item") {
            let public = operation["security"]
                .as_array()
                .is_some_and(|s| s.iter().all(|r| r == &json!({})));
            if !public {
                assert!(
                    operation["responses"]["401"].is_object(),
                    "{method} {path} lacks 401"
                );
            }
            let route_exists = send(
                &router,
                request(
                    method.to_uppercase().parse().expect("method"),
                    &format!("/api/v1{path}"),
                    None,
                    None,
                ),
            )
            .await;
            assert_ne!(
                route_exists.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            // Admin routes answer 404 to anyone but an admin (web::admin_tests proves them).
            if !path.contains('{') && !path.starts_with("/admin") {
                assert_ne!(
                    route_exists.status,
                    StatusCode::NOT_FOUND,
                    "{method} {path} is not routed"
                );
            }
        }
    }
}
