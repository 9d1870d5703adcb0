//! JSON API error messages in the reader's language: every code the API can answer has a
//! Japanese and a Korean message with its placeables filled, English stays as written at
//! the error, and the code and body shape never change.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::routing::get;

use super::error_walk::every_error_message;
use super::*;
use crate::http::error_language::localize_errors;
use crate::i18n::Tr;

#[test]
fn every_error_code_has_a_japanese_and_a_korean_message_with_its_placeables_filled() {
    let english = Tr::for_tag("en").expect("English");
    let mut problems = Vec::new();
    for message in every_error_message() {
        let reference = message.localized(&english);
        for tag in ["ja", "ko"] {
            let tr = Tr::for_tag(tag).expect("language");
            match message.localized(&tr) {
                None => problems.push(format!("{tag}: no api-error-{}", message.code)),
                Some(text) if Some(&text) == reference.as_ref() => {
                    problems.push(format!("{tag}: api-error-{} is English", message.code));
                }
                Some(text) if text.contains('{') => {
                    problems.push(format!(
                        "{tag}: api-error-{} unfilled: {text}",
                        message.code
                    ));
                }
                Some(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_literal_code_in_the_source_is_walked_by_the_test_above() {
    let walked: BTreeSet<&str> = every_error_message().iter().map(|m| m.code).collect();
    let mut literal = BTreeSet::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).expect("source file");
                literal.extend(literal_codes(&source));
            }
        }
    }
    let missing: Vec<_> = literal
        .iter()
        .filter(|c| !walked.contains(c.as_str()))
        .collect();
    assert!(
        literal.len() >= 10,
        "the scan found too little: {literal:?}"
    );
    assert!(missing.is_empty(), "add to HANDLER_CODES: {missing:?}");
}

/// The string literal given as the code (second argument) of each `ApiError::client(`.
fn literal_codes(source: &str) -> Vec<String> {
    source
        .split("ApiError::client(")
        .skip(1)
        .filter_map(|call| {
            let (_, rest) = call.split_once(',')?;
            let rest = rest.trim_start().strip_prefix('"')?;
            let (code, _) = rest.split_once('"')?;
            code.chars()
                .all(|c| c.is_ascii_lowercase() || c == '-')
                .then(|| code.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_bad_login_answers_in_korean_and_english_stays_as_it_was() {
    let test = crate::testing::test_app().await;
    let router = router(&test);
    register(&router, "ada").await;
    let login = |language: &'static str| {
        let body = json!({"email": "ada@example.org", "password": "not the passphrase"});
        let mut request = request(Method::POST, "/api/v1/auth/login", None, Some(body));
        request
            .headers_mut()
            .insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static(language));
        request
    };

    let korean = send(&router, login("ko-KR,ko;q=0.9")).await;
    let english = send(&router, login("en-US")).await;
    let unnamed = send(&router, login("")).await;

    assert_eq!(korean.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        korean.json(),
        json!({"error": {"code": "invalid-credentials", "message": "이메일 주소 또는 비밀번호가 올바르지 않습니다"}})
    );
    for reply in [english, unnamed] {
        assert_eq!(
            reply.json(),
            json!({"error": {"code": "invalid-credentials", "message": "wrong e-mail address or password"}})
        );
    }
}

#[tokio::test]
async fn a_translated_refusal_keeps_its_status_headers_and_retry_seconds() {
    let router = Router::new()
        .route(
            "/busy",
            get(|| async { crate::http::limit::too_many_requests(Duration::from_secs(7)) }),
        )
        .layer(axum::middleware::from_fn(localize_errors));
    let mut busy = Request::builder()
        .uri("/busy")
        .body(Body::empty())
        .expect("request");
    busy.headers_mut()
        .insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("ja"));

    let reply = send(&router, busy).await;

    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        reply.headers.get(header::RETRY_AFTER),
        Some(&HeaderValue::from(7))
    );
    assert_eq!(reply.code(), "rate-limited");
    assert_eq!(
        reply.json()["error"]["message"],
        "リクエストが多すぎます。7 秒後にもう一度お試しください"
    );
}
