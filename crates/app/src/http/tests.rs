//! HTTP tests through the real router (`oneshot`, no socket).

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{AppState, app};
use crate::testing::{TestApp, photo_png, test_app, test_app_with, test_config};

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

fn request(method: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(value) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(value.to_string())
        }
        None => Body::empty(),
    };
    builder.body(body).expect("request")
}

fn upload_request(token: &str, field: &str, bytes: &[u8]) -> Request<Body> {
    let boundary = "atelier-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::builder()
        .method(Method::POST)
        .uri("/api/v1/uploads")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request")
}

fn router(test: &TestApp) -> Router {
    app(AppState::new(test.services.clone()))
}

async fn register(router: &Router, name: &str) -> String {
    let body = json!({"email": format!("{name}@example.org"), "password": "a sturdy passphrase", "age_over_14": true, "guardian_consent": false});
    let reply = send(
        router,
        request(Method::POST, "/api/v1/auth/register", None, Some(body)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()["token"].as_str().expect("token").to_owned()
}

async fn upload(router: &Router, token: &str) -> String {
    let reply = send(router, upload_request(token, "file", &photo_png(40, 30))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json());
    reply.json()["id"].as_str().expect("upload id").to_owned()
}

async fn create_job(router: &Router, token: &str, upload_id: &str) -> Reply {
    let body = json!({"upload_id": upload_id, "style": "light-color"});
    send(
        router,
        request(Method::POST, "/api/v1/jobs", Some(token), Some(body)),
    )
    .await
}

#[tokio::test]
async fn register_sign_in_and_sign_out() {
    let test = test_app().await;
    let router = router(&test);

    let token = register(&router, "ada").await;
    let me = send(
        &router,
        request(Method::GET, "/api/v1/me", Some(&token), None),
    )
    .await;
    let login_body = json!({"email": "ada@example.org", "password": "a sturdy passphrase"});
    let login = send(
        &router,
        request(Method::POST, "/api/v1/auth/login", None, Some(login_body)),
    )
    .await;
    let logout = send(
        &router,
        request(Method::POST, "/api/v1/auth/logout", Some(&token), None),
    )
    .await;
    let after = send(
        &router,
        request(Method::GET, "/api/v1/me", Some(&token), None),
    )
    .await;

    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        (me.json()["email"].clone(), me.json()["balance"].clone()),
        (json!("ada@example.org"), json!(3))
    );
    assert_eq!(login.status, StatusCode::OK);
    let cookie = login
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        cookie.starts_with("atelier_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
    );
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert_eq!(
        (after.status, after.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated".into())
    );
}

#[tokio::test]
async fn the_session_cookie_authenticates_but_not_from_another_site() {
    let test = test_app().await;
    let router = router(&test);
    let token = register(&router, "ada").await;
    let with_cookie = |method: Method, uri: &str, site: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(
                header::COOKIE,
                format!("theme=dark; atelier_session={token}"),
            )
            .header("sec-fetch-site", site)
            .body(Body::empty())
            .expect("request")
    };

    let me = send(
        &router,
        with_cookie(Method::GET, "/api/v1/me", "same-origin"),
    )
    .await;
    let forged = send(
        &router,
        with_cookie(Method::POST, "/api/v1/auth/logout", "cross-site"),
    )
    .await;
    let own = send(
        &router,
        with_cookie(Method::POST, "/api/v1/auth/logout", "same-origin"),
    )
    .await;

    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        (forged.status, forged.code()),
        (StatusCode::FORBIDDEN, "cross-site-request".into())
    );
    assert_eq!(own.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn bad_sign_up_input_gets_a_4xx_with_a_code() {
    let test = test_app().await;
    let router = router(&test);
    let form = |email: &str, password: &str, over_14: bool| json!({"email": email, "password": password, "age_over_14": over_14, "guardian_consent": false});
    let cases = [
        (
            Some(form("ada@example.org", "password1", true)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password-too-common",
        ),
        (
            Some(form("ada@example.org", "short", true)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "password-too-short",
        ),
        (
            Some(form("not-an-address", "a sturdy passphrase", true)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-email",
        ),
        (
            Some(form("kid@example.org", "a sturdy passphrase", false)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "guardian-consent-required",
        ),
        (
            Some(json!({"email": 5})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
    ];

    for (body, status, code) in cases {
        let reply = send(
            &router,
            request(Method::POST, "/api/v1/auth/register", None, body),
        )
        .await;
        assert_eq!((reply.status, reply.code()), (status, code.to_owned()));
    }
    let broken = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/register")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .expect("request");
    let no_type = request(Method::POST, "/api/v1/auth/register", None, None);
    let broken = send(&router, broken).await;
    let no_type = send(&router, no_type).await;
    assert_eq!(
        (broken.status, broken.code()),
        (StatusCode::BAD_REQUEST, "invalid-json".into())
    );
    assert_eq!(
        (no_type.status, no_type.code()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "expected-json".into())
    );
}

#[tokio::test]
async fn a_second_account_with_the_same_address_is_a_conflict() {
    let test = test_app().await;
    let router = router(&test);
    register(&router, "ada").await;

    let body =
        json!({"email": "ada@example.org", "password": "another passphrase", "age_over_14": true});
    let again = send(
        &router,
        request(Method::POST, "/api/v1/auth/register", None, Some(body)),
    )
    .await;

    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "email-taken".into())
    );
}

#[tokio::test]
async fn styles_list_the_six_built_in_styles_with_their_cost() {
    let test = test_app().await;
    let router = router(&test);

    let reply = send(&router, request(Method::GET, "/api/v1/styles", None, None)).await;

    let styles = reply.json();
    let ids: Vec<&str> = styles
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "rough-sketch",
            "detailed-sketch",
            "light-color",
            "artistic",
            "anime",
            "clay-3d"
        ]
    );
    assert_eq!(styles[0]["cost"], json!(1));
    assert_eq!(styles[0]["input"], json!("photo"));
}

#[tokio::test]
async fn bad_uploads_get_a_4xx_with_a_code() {
    let mut config = test_config();
    config.uploads.max_bytes = 4096;
    let test = test_app_with(config).await;
    let router = router(&test);
    let token = register(&router, "ada").await;
    let cases: [(&str, Vec<u8>, StatusCode, &str); 5] = [
        (
            "file",
            b"definitely not an image".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-format",
        ),
        (
            "file",
            b"GIF89a\x01\x00\x01\x00".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-format",
        ),
        (
            "file",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty-file",
        ),
        (
            "file",
            vec![0x89; 10_000],
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
        ),
        (
            "photo",
            photo_png(8, 8),
            StatusCode::BAD_REQUEST,
            "missing-file",
        ),
    ];

    for (field, bytes, status, code) in cases {
        let reply = send(&router, upload_request(&token, field, &bytes)).await;
        assert_eq!(
            (reply.status, reply.code()),
            (status, code.to_owned()),
            "{field} with {} bytes",
            bytes.len()
        );
    }
    let truncated = &photo_png(32, 32)[..60];
    let reply = send(&router, upload_request(&token, "file", truncated)).await;
    assert!(reply.status.is_client_error(), "{:?}", reply.status);
}

#[tokio::test]
async fn a_job_with_zero_balance_gets_402_and_enqueues_nothing() {
    let test = test_app().await;
    let router = router(&test);
    let token = register(&router, "ada").await;
    let upload_id = upload(&router, &token).await;
    for _ in 0..3 {
        assert_eq!(
            create_job(&router, &token, &upload_id).await.status,
            StatusCode::ACCEPTED
        );
    }

    let refused = create_job(&router, &token, &upload_id).await;

    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::PAYMENT_REQUIRED, "insufficient-tokens".into())
    );
    assert_eq!(test.services.store.queue_depth().await.expect("depth"), 3);
    let tokens = send(
        &router,
        request(Method::GET, "/api/v1/tokens", Some(&token), None),
    )
    .await;
    assert_eq!(tokens.json()["balance"], json!(0));
}

#[tokio::test]
async fn upload_job_poll_download_and_delete() {
    let test = test_app().await;
    let router = router(&test);
    let token = register(&router, "ada").await;
    let upload_id = upload(&router, &token).await;

    let created = create_job(&router, &token, &upload_id).await;
    let job_id = created.json()["id"].as_str().expect("job id").to_owned();
    let queued = send(
        &router,
        request(
            Method::GET,
            &format!("/api/v1/jobs/{job_id}"),
            Some(&token),
            None,
        ),
    )
    .await;
    assert!(
        test.services
            .worker("w".into())
            .run_once()
            .await
            .expect("worker")
    );
    let done = send(
        &router,
        request(
            Method::GET,
            &format!("/api/v1/jobs/{job_id}"),
            Some(&token),
            None,
        ),
    )
    .await;
    let result_id = done.json()["result_id"]
        .as_str()
        .expect("result id")
        .to_owned();
    let download_uri = format!("/api/v1/results/{result_id}/download");
    let download = send(
        &router,
        request(Method::GET, &download_uri, Some(&token), None),
    )
    .await;
    let deleted = send(
        &router,
        request(
            Method::DELETE,
            &format!("/api/v1/results/{result_id}"),
            Some(&token),
            None,
        ),
    )
    .await;
    let gone = send(
        &router,
        request(Method::GET, &download_uri, Some(&token), None),
    )
    .await;

    assert_eq!(created.status, StatusCode::ACCEPTED);
    assert_eq!(queued.json()["status"], json!("queued"));
    assert_eq!(queued.json()["queue_position"], json!(1));
    assert_eq!(done.json()["status"], json!("succeeded"));
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(
        download
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert!(download.body.starts_with(b"\x89PNG"));
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

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

#[tokio::test]
async fn password_reset_answers_alike_for_any_address_and_refuses_bad_tokens() {
    let test = test_app().await;
    let router = router(&test);
    register(&router, "ada").await;

    let known = json!({"email": "ada@example.org"});
    let unknown = json!({"email": "nobody@example.org"});
    let known = send(
        &router,
        request(
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(known),
        ),
    )
    .await;
    let unknown = send(
        &router,
        request(
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(unknown),
        ),
    )
    .await;
    let confirm =
        json!({"token": "0123456789abcdef0123456789abcdef", "password": "a brand new passphrase"});
    let bad = send(
        &router,
        request(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(confirm),
        ),
    )
    .await;

    assert_eq!(
        (known.status, unknown.status),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "invalid-token".into())
    );
}

#[tokio::test]
async fn one_address_gets_429_after_too_many_sign_in_attempts() {
    let mut config = test_config();
    config.server.auth_requests_per_minute = 2;
    let test = test_app_with(config).await;
    let router = router(&test);
    let attempt = |ip: [u8; 4]| {
        let body = json!({"email": "ada@example.org", "password": "whatever it is"});
        let mut request = request(Method::POST, "/api/v1/auth/login", None, Some(body));
        let peer = std::net::SocketAddr::from((ip, 40_000));
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        request
    };

    let first = send(&router, attempt([10, 0, 0, 1])).await;
    let second = send(&router, attempt([10, 0, 0, 1])).await;
    let third = send(&router, attempt([10, 0, 0, 1])).await;
    let elsewhere = send(&router, attempt([10, 0, 0, 2])).await;

    assert_eq!(
        (first.status, second.status),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        (third.status, third.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate-limited".into())
    );
    assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn history_lists_only_the_callers_items_and_requests_are_access_logged() {
    let test = test_app().await;
    let router = router(&test);
    let alice = register(&router, "alice").await;
    let bob = register(&router, "bob").await;
    let upload_id = upload(&router, &alice).await;
    create_job(&router, &alice, &upload_id).await;
    test.services
        .worker("w".into())
        .run_once()
        .await
        .expect("worker");

    let lists = |token: String| {
        let router = router.clone();
        async move {
            let mut counts = Vec::new();
            for uri in ["/api/v1/uploads", "/api/v1/jobs", "/api/v1/results"] {
                let reply = send(&router, request(Method::GET, uri, Some(&token), None)).await;
                counts.push(reply.json().as_array().map_or(usize::MAX, Vec::len));
            }
            counts
        }
    };
    let alices = lists(alice.clone()).await;
    let bobs = lists(bob.clone()).await;

    assert_eq!(alices, [1, 1, 1]);
    assert_eq!(bobs, [0, 0, 0]);
    let scope = test
        .services
        .accounts
        .authenticate(&alice)
        .await
        .expect("scope");
    let log = test
        .services
        .store
        .access_log_of(scope, 50)
        .await
        .expect("access log");
    assert!(
        log.iter()
            .any(|e| e.route == "/api/v1/uploads" && e.method == "POST" && e.status == 201),
        "{log:?}"
    );
}
