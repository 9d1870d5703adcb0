//! `POST /studio/check`: the live photo check answers in the reader's language, keeps
//! nothing and spends nothing.

use super::*;
use crate::domain::UserScope;

/// NASA's portrait of astronaut Eileen Collins (public domain), 512×512, one face: the
/// engine's own face-detection fixture.
const ASTRONAUT: &[u8] = include_bytes!("../../../engine/tests/data/astronaut.png");

fn check_post(cookie: Option<&str>, photo: &[u8], language: &str) -> Request<Body> {
    let boundary = "check-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/studio/check")
        .header("sec-fetch-site", "same-origin")
        .header(header::ACCEPT_LANGUAGE, language)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(body)).expect("request")
}

struct Verdict {
    status: StatusCode,
    json: serde_json::Value,
}

impl Verdict {
    fn levels_and_texts(&self) -> Vec<(String, String)> {
        self.json["checks"]
            .as_array()
            .map(|checks| {
                checks
                    .iter()
                    .map(|c| {
                        (
                            c["level"].as_str().unwrap_or_default().to_owned(),
                            c["text"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn ok(&self) -> Option<bool> {
        self.json["ok"].as_bool()
    }
}

async fn check(router: &Router, cookie: &str, photo: &[u8], language: &str) -> Verdict {
    let page = send(router, check_post(Some(cookie), photo, language)).await;
    let json = serde_json::from_str(&page.html).unwrap_or_else(|e| panic!("{e}: {}", page.html));
    Verdict {
        status: page.status,
        json,
    }
}

/// Uploads and blobs held, and the balance: what a check must leave as it found it.
async fn footprint(test: &crate::testing::TestApp, scope: UserScope) -> (usize, usize, i64) {
    let store = &test.services.store;
    let uploads = store.uploads_of(scope, 100).await.expect("uploads").len();
    let blobs = test.services.blobs.list().await.expect("blobs").len();
    let balance = store
        .balance(scope, Timestamp::now())
        .await
        .expect("balance");
    (uploads, blobs, balance)
}

async fn scope_of(test: &crate::testing::TestApp, cookie: &str) -> UserScope {
    let token = cookie.split_once('=').map(|(_, t)| t).unwrap_or_default();
    test.services
        .accounts
        .authenticate(token)
        .await
        .expect("the cookie's session")
}

#[tokio::test]
async fn a_portrait_with_one_face_looks_good_and_nothing_is_kept_or_spent() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;
    let scope = scope_of(&test, &cookie).await;
    let before = footprint(&test, scope).await;

    let verdict = check(&router, &cookie, ASTRONAUT, "en").await;

    assert_eq!(verdict.status, StatusCode::OK);
    assert_eq!(verdict.ok(), Some(true));
    assert_eq!(
        (
            &verdict.json["width"],
            &verdict.json["height"],
            &verdict.json["faces"]
        ),
        (
            &serde_json::json!(512),
            &serde_json::json!(512),
            &serde_json::json!(1)
        )
    );
    assert_eq!(
        verdict.levels_and_texts(),
        [("ok".to_owned(), "Looks good: one face, 512×512".to_owned())]
    );
    assert_eq!(
        footprint(&test, scope).await,
        before,
        "uploads, blobs, balance"
    );
    assert_eq!(before.0, 0);
}

#[tokio::test]
async fn a_small_photo_without_a_face_is_warned_about_but_allowed() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let gradient = check(&router, &cookie, &crate::testing::photo_png(640, 600), "en").await;
    let tiny = check(&router, &cookie, &crate::testing::photo_png(40, 30), "en").await;

    assert_eq!(
        (gradient.status, gradient.ok()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(
        gradient.levels_and_texts(),
        [(
            "warn".to_owned(),
            "No face found — portraits work best with one visible face".to_owned()
        )]
    );
    assert_eq!(tiny.ok(), Some(true));
    let texts = tiny.levels_and_texts();
    assert!(
        texts.iter().all(|(level, _)| level == "warn")
            && texts
                .iter()
                .any(|(_, text)| text.starts_with("Small (40×30)")),
        "{texts:?}"
    );
}

#[tokio::test]
async fn garbage_is_an_error_that_blocks_the_form() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let verdict = check(&router, &cookie, b"not a photo at all", "en").await;

    assert_eq!(verdict.ok(), Some(false));
    assert_eq!(verdict.json["faces"], serde_json::Value::Null);
    assert_eq!(
        verdict.levels_and_texts(),
        [(
            "error".to_owned(),
            "Not a supported image: choose a JPEG, PNG or WebP photo".to_owned()
        )]
    );
}

#[tokio::test]
async fn a_file_over_the_upload_cap_is_refused_as_too_large() {
    let mut config = crate::testing::test_config();
    config.uploads.max_bytes = 100_000;
    let test = crate::testing::test_app_with(config).await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let just_over = check(&router, &cookie, &vec![0_u8; 100_001], "en").await;
    let far_over = check(&router, &cookie, &vec![0_u8; 1_000_000], "en").await;

    for verdict in [just_over, far_over] {
        assert_eq!(verdict.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(verdict.ok(), Some(false));
        assert_eq!(
            verdict.levels_and_texts(),
            [("error".to_owned(), "Too large (max 0.1 MB)".to_owned())]
        );
    }
}

#[tokio::test]
async fn a_signed_out_visitor_cannot_use_the_check() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));

    let page = send(&router, check_post(None, ASTRONAUT, "en")).await;

    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(!page.html.contains("checks"), "{}", page.html);
}

#[tokio::test]
async fn the_check_answers_in_japanese_and_korean() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let japanese = check(&router, &cookie, ASTRONAUT, "ja").await;
    let korean = check(
        &router,
        &cookie,
        &crate::testing::photo_png(640, 600),
        "ko-KR",
    )
    .await;

    assert_eq!(
        japanese.levels_and_texts(),
        [(
            "ok".to_owned(),
            "問題ありません：顔が 1 つ、512×512".to_owned()
        )]
    );
    assert_eq!(
        korean.levels_and_texts(),
        [(
            "warn".to_owned(),
            "얼굴을 찾지 못했습니다. 얼굴이 하나 잘 보이는 사진이 가장 좋습니다".to_owned()
        )]
    );
}

#[tokio::test]
async fn the_studio_form_carries_the_cap_and_a_live_region_for_the_check() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let studio = send(&router, get("/studio", Some(&cookie))).await;

    for needle in [
        "data-photo-check=\"/studio/check\"",
        "data-max-bytes=\"20000000\"",
        "data-too-large=\"Too large (max 20 MB)\"",
        "id=\"photo-checks\"",
        "aria-live=\"polite\"",
    ] {
        assert!(studio.html.contains(needle), "the studio lacks {needle}");
    }
}
