//! Pages in the reader's language: chosen from `Accept-Language`, overridden by the
//! switcher's cookie, which `/lang/{code}` sets before sending the browser back home.

use super::*;

fn get_with(uri: &str, headers: &[(header::HeaderName, &str)]) -> Request<Body> {
    let mut builder = Request::builder().uri(uri);
    for (name, value) in headers {
        builder = builder.header(name.clone(), *value);
    }
    builder.body(Body::empty()).expect("request")
}

fn router_for(test: &crate::testing::TestApp) -> Router {
    app(AppState::new(test.services.clone()))
}

#[tokio::test]
async fn accept_language_ja_gives_japanese_pages() {
    let test = test_app().await;
    let router = router_for(&test);
    let ja = [(header::ACCEPT_LANGUAGE, "ja,en-US;q=0.7")];

    let home = send(&router, get_with("/", &ja)).await;
    let signin = send(&router, get_with("/signin", &ja)).await;

    assert!(home.html.contains("<html lang=\"ja-JP\">"), "{}", home.html);
    assert!(home.html.contains("ラフスケッチ") && home.html.contains("無料トークン 3 個"));
    assert!(!home.html.contains("Rough sketch"));
    assert!(signin.html.contains("<h1>ログイン</h1>") || signin.html.contains("ログイン"));
    assert!(signin.html.contains("パスワードをお忘れですか？"));
    assert!(!signin.html.contains("Forgot your password?"));
}

#[tokio::test]
async fn accept_language_ko_kr_gives_korean_pages() {
    let test = test_app().await;
    let router = router_for(&test);
    let ko = [(header::ACCEPT_LANGUAGE, "ko-KR,ko;q=0.9,en;q=0.8")];

    let home = send(&router, get_with("/", &ko)).await;
    let signin = send(&router, get_with("/signin", &ko)).await;

    assert!(home.html.contains("<html lang=\"ko-KR\">"), "{}", home.html);
    assert!(home.html.contains("러프 스케치") && home.html.contains("무료 토큰 3개"));
    assert!(signin.html.contains("비밀번호를 잊으셨나요?"));
    assert!(!signin.html.contains("Sign in"));
}

#[tokio::test]
async fn a_form_error_comes_back_in_the_readers_language() {
    let test = test_app().await;
    let router = router_for(&test);
    let mut request = post_form(
        "/signin",
        "email=nobody%40example.org&password=x",
        "same-origin",
    );
    request
        .headers_mut()
        .insert(header::ACCEPT_LANGUAGE, "ja".parse().expect("header"));

    let page = send(&router, request).await;

    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(
        page.html
            .contains("メールアドレスまたはパスワードが正しくありません。")
    );
}

#[tokio::test]
async fn the_language_cookie_beats_accept_language() {
    let test = test_app().await;
    let router = router_for(&test);

    let page = send(
        &router,
        get_with(
            "/signin",
            &[
                (header::ACCEPT_LANGUAGE, "ja"),
                (header::COOKIE, "atelier_lang=ko-KR"),
            ],
        ),
    )
    .await;

    assert!(page.html.contains("<html lang=\"ko-KR\">"));
    assert!(page.html.contains("비밀번호를 잊으셨나요?"));
}

#[tokio::test]
async fn the_footer_offers_every_language_named_in_itself() {
    let test = test_app().await;
    let router = router_for(&test);

    let page = send(&router, get_with("/", &[(header::ACCEPT_LANGUAGE, "ko")])).await;

    assert!(page.html.contains("<a href=\"/lang/en-US\" lang=\"en-US\""));
    assert!(page.html.contains("<a href=\"/lang/ja-JP\" lang=\"ja-JP\""));
    assert!(page.html.contains("aria-current=\"true\">한국어</strong>"));
    assert!(page.html.contains("aria-label=\"언어\""));
}

#[tokio::test]
async fn switching_language_remembers_it_for_a_year_and_goes_back() {
    let test = test_app().await;
    let router = router_for(&test);

    let switched = send(&router, get("/lang/ja-JP?next=/signin%3Fx%3D1", None)).await;
    let set_cookie = switched.cookie.clone().unwrap_or_default();
    let page = send(&router, get("/", Some(&cookie_pair(&set_cookie)))).await;

    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.location.as_deref(), Some("/signin?x=1"));
    assert!(
        set_cookie.starts_with("atelier_lang=ja-JP;"),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("Max-Age=31536000") && set_cookie.contains("SameSite=Lax"));
    assert!(set_cookie.contains("Path=/"));
    assert!(page.html.contains("<html lang=\"ja-JP\">"));
}

#[tokio::test]
async fn the_switcher_accepts_a_bare_language_and_returns_to_the_referring_page() {
    let test = test_app().await;
    let router = router_for(&test);

    let switched = send(
        &router,
        get_with(
            "/lang/ko",
            &[
                (header::HOST, "atelier.test:8080"),
                (header::REFERER, "http://atelier.test:8080/history?page=2"),
            ],
        ),
    )
    .await;

    assert_eq!(switched.location.as_deref(), Some("/history?page=2"));
    assert!(
        switched
            .cookie
            .as_deref()
            .is_some_and(|c| c.starts_with("atelier_lang=ko-KR;"))
    );
}

#[tokio::test]
async fn the_switcher_never_sends_the_browser_off_site() {
    let test = test_app().await;
    let router = router_for(&test);
    let attempts = [
        "/lang/en?next=https://evil.example/",
        "/lang/en?next=//evil.example/",
        "/lang/en?next=/%5Cevil.example/",
        "/lang/en?next=%2F%2Fevil.example",
        "/lang/en?next=/ok%0D%0ASet-Cookie:%20x=1",
        "/lang/en?next=javascript:alert(1)",
    ];

    for uri in attempts {
        let page = send(&router, get(uri, None)).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(page.location.as_deref(), Some("/"), "{uri}");
    }
    let foreign_referer = send(
        &router,
        get_with(
            "/lang/en",
            &[
                (header::HOST, "atelier.test"),
                (header::REFERER, "https://evil.example/atelier.test"),
            ],
        ),
    )
    .await;
    assert_eq!(foreign_referer.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn an_unknown_language_is_not_remembered() {
    let test = test_app().await;
    let router = router_for(&test);

    let page = send(&router, get("/lang/de-DE?next=/", None)).await;

    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.cookie.is_none());
}

#[tokio::test]
async fn the_countdown_is_written_by_the_server_with_its_pattern_for_the_script() {
    let test = test_app().await;
    let router = router_for(&test);
    let cookie = signed_up_cookie(&router, SIGN_UP).await;
    let photo = crate::testing::photo_png(40, 30);
    let made = send(&router, studio_post(&cookie, &photo, "anime")).await;
    let job = made.location.unwrap_or_default();
    test.services
        .worker("w".into())
        .run_once()
        .await
        .expect("worker");

    let page = send(
        &router,
        get_with(
            &job,
            &[(header::COOKIE, &cookie), (header::ACCEPT_LANGUAGE, "ja")],
        ),
    )
    .await;

    assert!(
        page.html.contains("data-pattern=\"%H時間%M分\""),
        "{}",
        page.html
    );
    assert!(page.html.contains("data-over=\"まもなく削除されます\""));
    let countdown = page
        .html
        .split("data-over=\"まもなく削除されます\">")
        .nth(1)
        .and_then(|rest| rest.split("</span>").next())
        .unwrap_or_default();
    assert!(
        countdown.contains("時間") && countdown.ends_with('分'),
        "{countdown}"
    );
    assert!(
        page.html.contains(" UTC に自動で削除されます。"),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn a_cross_site_form_is_refused_in_the_readers_language() {
    let test = test_app().await;
    let router = router_for(&test);
    let mut forged = post_form("/signup", SIGN_UP, "cross-site");
    forged
        .headers_mut()
        .insert(header::ACCEPT_LANGUAGE, "ko-KR".parse().expect("header"));

    let page = send(&router, forged).await;

    // A client that names no type gets the page, in Korean, with the sentence that says why.
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.html.contains("<html lang=\"ko-KR\">"), "{}", page.html);
    assert!(
        page.html
            .contains("이 양식은 Atelier 사이트에서만 보낼 수 있습니다."),
        "{}",
        page.html
    );
}
