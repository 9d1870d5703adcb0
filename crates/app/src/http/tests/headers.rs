//! Security headers on pages, API answers and errors; HSTS only over HTTPS.

use axum::http::{Method, StatusCode, header};

use super::{request, router, send};
use crate::testing::{test_app, test_app_with, test_config};

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_no_hsts_over_plain_http() {
    let test = test_app().await;
    let router = router(&test);
    for (uri, status) in [
        ("/", StatusCode::OK),
        ("/signin", StatusCode::OK),
        ("/healthz", StatusCode::OK),
        ("/api/v1/me", StatusCode::UNAUTHORIZED),
        ("/api/v1/nowhere", StatusCode::NOT_FOUND),
    ] {
        let reply = send(&router, request(Method::GET, uri, None, None)).await;
        assert_eq!(reply.status, status, "{uri}");
        let csp = reply.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii");
        assert!(csp.contains("script-src 'self'"), "{uri}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{uri}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert_eq!(reply.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(reply.headers[header::REFERRER_POLICY], "same-origin");
        assert!(
            reply
                .headers
                .get(header::STRICT_TRANSPORT_SECURITY)
                .is_none(),
            "{uri}: no HSTS without TLS"
        );
    }
}

#[tokio::test]
async fn hsts_is_sent_when_the_site_is_served_over_https() {
    let mut config = test_config();
    config.server.tls = true;
    let test = test_app_with(config).await;
    let reply = send(&router(&test), request(Method::GET, "/", None, None)).await;
    let hsts = reply.headers[header::STRICT_TRANSPORT_SECURITY]
        .to_str()
        .expect("ascii");
    assert!(hsts.starts_with("max-age=31536000"), "{hsts}");
}
