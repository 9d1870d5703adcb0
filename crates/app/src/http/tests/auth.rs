//! Sign-up, sign-in, sessions, CSRF, password reset and rate limits.

use super::*;
use crate::testing::{test_app, test_app_with, test_config};

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
        // Accepted, and an account made, before addresses were parsed strictly.
        (
            Some(form(
                "x@example.com.'())))(\",",
                "a sturdy passphrase",
                true,
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-email",
        ),
        (
            Some(form("ada@exa_mple.org", "a sturdy passphrase", true)),
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
async fn behind_a_trusted_proxy_limits_and_logs_use_the_forwarded_client() {
    let mut config = test_config();
    config.server.auth_requests_per_minute = 2;
    config.server.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
    let test = test_app_with(config).await;
    let router = router(&test);
    let via_proxy = |peer: [u8; 4], forwarded: &str| {
        let body = json!({"email": "ada@example.org", "password": "whatever it is"});
        let mut request = request(Method::POST, "/api/v1/auth/login", None, Some(body));
        request
            .headers_mut()
            .insert("x-forwarded-for", forwarded.parse().expect("header"));
        let peer = std::net::SocketAddr::from((peer, 40_000));
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        request
    };

    // Two clients behind the same proxy each get their own budget.
    let mut statuses = Vec::new();
    for client in ["203.0.113.1", "203.0.113.1", "203.0.113.1", "203.0.113.2"] {
        statuses.push(
            send(&router, via_proxy([127, 0, 0, 1], client))
                .await
                .status,
        );
    }
    // A client talking directly cannot dodge its limit by forging the header.
    let mut forged = Vec::new();
    for fake in ["1.1.1.1", "2.2.2.2", "3.3.3.3"] {
        forged.push(
            send(&router, via_proxy([198, 51, 100, 9], fake))
                .await
                .status,
        );
    }
    // The access log records the forwarded client too.
    let body =
        json!({"email": "bo@example.org", "password": "a sturdy passphrase", "age_over_14": true});
    let mut sign_up = request(Method::POST, "/api/v1/auth/register", None, Some(body));
    sign_up
        .headers_mut()
        .insert("x-forwarded-for", "203.0.113.7".parse().expect("header"));
    sign_up
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40_000,
        ))));
    let signed_up = send(&router, sign_up).await;
    let id: crate::domain::UserId = signed_up.json()["user"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("user id");
    let token = signed_up.json()["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut me = request(Method::GET, "/api/v1/me", Some(&token), None);
    me.headers_mut()
        .insert("x-forwarded-for", "203.0.113.7".parse().expect("header"));
    me.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40_000,
        ))));
    send(&router, me).await;
    let scope = crate::domain::UserScope::trusted(id, crate::domain::Role::User);
    let log = test
        .services
        .store
        .access_log_of(scope, 20)
        .await
        .expect("access log");

    let limited = StatusCode::TOO_MANY_REQUESTS;
    let refused = StatusCode::UNAUTHORIZED;
    assert_eq!(statuses, [refused, refused, limited, refused]);
    assert_eq!(forged, [refused, refused, limited]);
    assert_eq!(signed_up.status, StatusCode::CREATED);
    assert_eq!(
        log.iter().map(|e| e.ip.as_deref()).collect::<Vec<_>>(),
        [Some("203.0.113.7")]
    );
}

#[tokio::test]
async fn addresses_are_parsed_strictly_with_international_domains_and_localized_refusals() {
    let test = test_app().await;
    let router = router(&test);
    let sign_up = |email: &str| json!({"email": email, "password": "a sturdy passphrase", "age_over_14": true, "guardian_consent": false});

    let idn = send(
        &router,
        request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(sign_up("Ada+atelier@Bücher.DE")),
        ),
    )
    .await;
    let token = idn.json()["token"].as_str().unwrap_or_default().to_owned();
    let me = send(
        &router,
        request(Method::GET, "/api/v1/me", Some(&token), None),
    )
    .await;
    let in_punycode = send(
        &router,
        request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(
                json!({"email": "ADA+ATELIER@XN--BCHER-KVA.DE", "password": "a sturdy passphrase"}),
            ),
        ),
    )
    .await;
    let odd_in_japanese = {
        let mut refused = request(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(sign_up("x@example.com.'())))(\",")),
        );
        refused
            .headers_mut()
            .insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("ja"));
        send(&router, refused).await
    };
    let odd_change = send(
        &router,
        request(
            Method::POST,
            "/api/v1/me/email",
            Some(&token),
            Some(json!({"email": "ada@example.org;rm", "password": "a sturdy passphrase"})),
        ),
    )
    .await;

    assert_eq!(idn.status, StatusCode::CREATED, "{:?}", idn.json());
    assert_eq!(me.json()["email"], json!("ada+atelier@bücher.de"));
    assert_eq!(
        in_punycode.status,
        StatusCode::OK,
        "the same mailbox signs in"
    );
    assert_eq!(
        (odd_in_japanese.status, odd_in_japanese.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid-email".to_owned())
    );
    assert_eq!(
        odd_in_japanese.json()["error"]["message"],
        json!("メールアドレスが正しくありません")
    );
    assert_eq!(
        (odd_change.status, odd_change.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid-email".to_owned())
    );
}
