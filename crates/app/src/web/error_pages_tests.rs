//! Error answers a person sees: the site's page in their language with a way back, where a
//! handler or axum itself refused with a bare status or a line of English. Scripts, images and
//! the API keep their own answers.

use super::*;
use crate::testing::test_config;

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn browsing(mut request: Request<Body>, language: &str) -> Request<Body> {
    let headers = request.headers_mut();
    headers.insert(header::ACCEPT, BROWSER_ACCEPT.parse().expect("accept"));
    headers.insert(header::ACCEPT_LANGUAGE, language.parse().expect("language"));
    request
}

async fn content_type(router: &Router, request: Request<Body>) -> (StatusCode, Option<String>) {
    let response = router.clone().oneshot(request).await.expect("answer");
    let kind = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status(), kind)
}

#[tokio::test]
async fn a_job_that_is_gone_shows_the_404_page_in_japanese_with_the_members_navigation() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let missing = "/jobs/00000000-0000-7000-8000-000000000000";
    let page = send(&router, browsing(get(missing, Some(&cookie)), "ja")).await;
    let malformed = send(
        &router,
        browsing(get("/jobs/not-a-job", Some(&cookie)), "ja"),
    )
    .await;

    for page in [&page, &malformed] {
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.html.contains("<html lang=\"ja-JP\">"), "{}", page.html);
        assert!(
            page.html.contains("ページが見つかりません"),
            "{}",
            page.html
        );
        assert!(page.html.contains("一定時間後に削除"), "{}", page.html);
        assert!(
            page.html.contains("action=\"/signout\""),
            "signed in: {}",
            page.html
        );
        assert!(page.html.contains("href=\"/support\""));
    }
}

#[tokio::test]
async fn a_script_or_an_image_keeps_its_bare_answer() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let mut script = get("/jobs/not-a-job", Some(&cookie));
    script
        .headers_mut()
        .insert(header::ACCEPT, "application/json".parse().expect("accept"));
    let script = content_type(&router, script).await;
    let mut image = get("/results/not-a-result/thumbnail", Some(&cookie));
    image.headers_mut().insert(
        header::ACCEPT,
        "image/avif,image/webp,image/*,*/*;q=0.8"
            .parse()
            .expect("accept"),
    );
    let image = content_type(&router, image).await;

    assert_eq!(script, (StatusCode::NOT_FOUND, None));
    assert_eq!(image, (StatusCode::NOT_FOUND, None));
}

#[tokio::test]
async fn a_client_that_names_no_type_gets_the_page() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    // curl sends `Accept: */*`; some clients send none.
    let mut curl = get("/results/abc/report", Some(&cookie));
    curl.headers_mut()
        .insert(header::ACCEPT, "*/*".parse().expect("accept"));
    let curl = send(&router, curl).await;
    let bare = send(&router, get("/no/such/page", Some(&cookie))).await;

    for page in [&curl, &bare] {
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.html.contains("<html"), "{}", page.html);
        assert!(page.html.contains("href=\"/support\""), "{}", page.html);
    }
}

#[tokio::test]
async fn unknown_languages_and_policies_get_the_404_page() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));

    for uri in ["/lang/xx", "/policies/nonsense", "/policies/terms/999"] {
        let page = send(&router, browsing(get(uri, None), "ko-KR")).await;

        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            page.html.contains("페이지를 찾을 수 없습니다"),
            "{uri}: {}",
            page.html
        );
    }
}

#[tokio::test]
async fn a_photo_over_the_size_limit_is_refused_on_the_studio_page_naming_the_limit() {
    let mut config = test_config();
    config.uploads.max_bytes = 100_000;
    let test = crate::testing::test_app_with(config).await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    // Past the form's cap (the limit plus 64 KiB): the body stops part-way.
    let cut = send(
        &router,
        browsing(studio_post(&cookie, &[0; 400_000], "anime"), "en-US"),
    )
    .await;
    // Within the cap, over the limit: the upload refuses it, in Japanese.
    let over = send(
        &router,
        browsing(studio_post(&cookie, &[0; 120_000], "anime"), "ja"),
    )
    .await;

    assert_eq!(cut.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        cut.html
            .contains("This file could not be used: Too large (max 0.1 MB)"),
        "{}",
        cut.html
    );
    assert!(!cut.html.contains("Please choose a style."), "{}", cut.html);
    assert!(cut.html.contains("name=\"style\""), "the studio form again");
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(over.html.contains("<html lang=\"ja-JP\">"));
    assert!(
        over.html
            .contains("このファイルは使用できません: ファイルが大きすぎます（最大 0.1 MB）"),
        "{}",
        over.html
    );
    let token = cookie.split_once('=').map(|(_, t)| t).unwrap_or_default();
    let scope = test
        .services
        .accounts
        .authenticate(token)
        .await
        .expect("ada");
    let balance = test.services.store.balance(scope, Timestamp::now()).await;
    assert_eq!(balance.expect("balance"), 3, "nothing spent");
}

#[tokio::test]
async fn a_form_over_the_body_limit_gets_the_too_large_page() {
    let mut config = test_config();
    config.server.max_body_bytes = 2_000;
    let test = crate::testing::test_app_with(config).await;
    let router = app(AppState::new(test.services.clone()));
    let message = "a".repeat(10_000);

    let page = send(
        &router,
        browsing(
            post_form(
                "/support/contact",
                &format!("email=ada%40example.org&subject=Hi&message={message}"),
                "same-origin",
            ),
            "ko-KR",
        ),
    )
    .await;

    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        page.html.contains("보낸 데이터가 너무 큽니다"),
        "{}",
        page.html
    );
    assert!(page.html.contains("20MB"), "the photo limit: {}", page.html);
}

#[tokio::test]
async fn a_cross_site_form_gets_a_page_that_says_why() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));

    let forged = browsing(post_form("/signin", "email=a", "cross-site"), "en-US");
    let page = send(&router, forged).await;
    let mut script = post_form("/signin", "email=a", "cross-site");
    script
        .headers_mut()
        .insert(header::ACCEPT, "application/json".parse().expect("accept"));
    let script = content_type(&router, script).await;

    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.html.contains("<h1>Not allowed</h1>"), "{}", page.html);
    assert!(
        page.html
            .contains("This form must be sent from the Atelier site itself."),
        "{}",
        page.html
    );
    assert_eq!(
        script,
        (
            StatusCode::FORBIDDEN,
            Some("text/plain; charset=utf-8".to_owned())
        )
    );
}
