//! Page tests through the real router: rendering, forms, cookies, CSRF.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::domain::Timestamp;
use crate::http::{AppState, app};
use crate::testing::test_app;

struct Page {
    status: StatusCode,
    cookie: Option<String>,
    location: Option<String>,
    /// `Retry-After`, in seconds.
    retry_after: Option<u64>,
    html: String,
}

async fn send(router: &Router, request: Request<Body>) -> Page {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router answers");
    let header_text = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (status, cookie, location) = (
        response.status(),
        header_text(header::SET_COOKIE),
        header_text(header::LOCATION),
    );
    let retry_after = header_text(header::RETRY_AFTER).and_then(|v| v.parse().ok());
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Page {
        status,
        cookie,
        location,
        retry_after,
        html: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn get(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().uri(uri);
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::empty()).expect("request")
}

fn post_form(uri: &str, form: &str, site: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", site)
        .body(Body::from(form.to_owned()))
        .expect("request")
}

/// `name=value` of a `Set-Cookie` header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

#[path = "library_tests.rs"]
mod library;

#[path = "privacy_tests.rs"]
mod privacy;

#[path = "admin_tests.rs"]
mod admin;
#[path = "admin_console_tests.rs"]
mod admin_console;
#[path = "admin_jobs_tests.rs"]
mod admin_jobs;
#[path = "admin_tickets_tests.rs"]
mod admin_tickets;
#[path = "error_pages_tests.rs"]
mod error_pages;
#[path = "id_walk_tests.rs"]
mod id_walk;
#[path = "lang_tests.rs"]
mod lang;
#[path = "limits_tests.rs"]
mod limits;
#[path = "reports_tests.rs"]
mod reports;
#[path = "reports_data_tests.rs"]
mod reports_data;
#[path = "support_tests.rs"]
mod support;
#[path = "upload_check_tests.rs"]
mod upload_check;
#[path = "verify_tests.rs"]
mod verify;

const SIGN_UP: &str = "email=ada%40example.org&password=a+sturdy+passphrase&age_over_14=true";

#[tokio::test]
async fn the_home_page_shows_the_six_styles_and_an_invitation() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));

    let page = send(&router, get("/", None)).await;

    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("<html lang=\"en-US\">"));
    for name in [
        "Rough sketch",
        "Detailed sketch",
        "Light watercolor",
        "Artistic",
        "Anime",
        "Clay 3D",
    ] {
        assert!(page.html.contains(name), "missing {name}");
    }
    assert!(page.html.contains("3 free tokens"));
}

#[tokio::test]
async fn signing_up_by_form_signs_in_and_shows_the_balance() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));

    let signed_up = send(&router, post_form("/signup", SIGN_UP, "same-origin")).await;
    let cookie = cookie_pair(signed_up.cookie.as_deref().unwrap_or_default());
    let home = send(&router, get("/", Some(&cookie))).await;
    let signed_out = send(&router, post_form("/signout", "", "same-origin")).await;

    assert_eq!(signed_up.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_up.location.as_deref(), Some("/"));
    assert!(cookie.starts_with("atelier_session="));
    assert!(
        home.html.contains("3 tokens") && home.html.contains("ada@example.org"),
        "{}",
        home.html
    );
    assert!(signed_out.cookie.is_some_and(|c| c.contains("Max-Age=0")));
}

#[tokio::test]
async fn a_rejected_sign_up_explains_why_and_keeps_the_address() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));

    let common = send(
        &router,
        post_form(
            "/signup",
            "email=ada%40example.org&password=password1&age_over_14=true",
            "same-origin",
        ),
    )
    .await;
    let child = send(
        &router,
        post_form(
            "/signup",
            "email=kid%40example.org&password=a+sturdy+passphrase",
            "same-origin",
        ),
    )
    .await;

    assert_eq!(common.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        common.html.contains("too common") && common.html.contains("value=\"ada@example.org\""),
        "{}",
        common.html
    );
    assert_eq!(child.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(child.html.contains("parent or guardian"));
}

#[tokio::test]
async fn signing_in_with_a_wrong_password_is_refused_politely() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    send(&router, post_form("/signup", SIGN_UP, "same-origin")).await;

    let wrong = send(
        &router,
        post_form(
            "/signin",
            "email=ada%40example.org&password=not+it",
            "same-origin",
        ),
    )
    .await;
    let right = send(
        &router,
        post_form(
            "/signin",
            "email=ada%40example.org&password=a+sturdy+passphrase",
            "same-origin",
        ),
    )
    .await;

    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("Wrong e-mail address or password"));
    assert_eq!(right.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_posted_from_another_site_are_refused() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));

    let forged = send(&router, post_form("/signup", SIGN_UP, "cross-site")).await;

    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        test.services
            .store
            .find_user_by_email(&crate::domain::Email::parse("ada@example.org").expect("email"))
            .await
            .expect("lookup")
            .is_none()
    );
}

#[tokio::test]
async fn the_gallery_shows_a_rendered_sample_of_every_style() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));

    let home = send(&router, get("/", None)).await;

    for style in atelier_engine::Style::ALL {
        let src = format!("/static/samples/{}.jpg", style.id());
        assert!(
            home.html.contains(&src),
            "the home page shows no sample of {style}"
        );
        let sample = router
            .clone()
            .oneshot(get(&src, None))
            .await
            .expect("router answers");
        assert_eq!(sample.status(), StatusCode::OK, "{src}");
        assert_eq!(sample.headers()[header::CONTENT_TYPE], "image/jpeg");
    }
    let missing = send(&router, get("/static/samples/nope.jpg", None)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_stylesheet_is_served() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));

    let css = send(&router, get("/static/app.css", None)).await;

    assert_eq!(css.status, StatusCode::OK);
    assert!(css.html.contains(".gallery"));
}

fn studio_post(cookie: &str, photo: &[u8], style: &str) -> Request<Body> {
    let boundary = "studio-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"style\"\r\n\r\n{style}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::builder()
        .method(Method::POST)
        .uri("/studio")
        .header(header::COOKIE, cookie)
        .header("sec-fetch-site", "same-origin")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request")
}

async fn signed_up_cookie(router: &Router, form: &str) -> String {
    let page = send(router, post_form("/signup", form, "same-origin")).await;
    cookie_pair(page.cookie.as_deref().unwrap_or_default())
}

#[tokio::test]
async fn the_studio_flow_from_photo_to_deleted_result() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let studio = send(&router, get("/studio", Some(&cookie))).await;
    let submitted = send(
        &router,
        studio_post(&cookie, &crate::testing::photo_png(40, 30), "anime"),
    )
    .await;
    let job_uri = submitted.location.clone().unwrap_or_default();
    let waiting = send(&router, get(&job_uri, Some(&cookie))).await;
    test.services
        .worker("w".into())
        .run_once()
        .await
        .expect("worker");
    let ready = send(&router, get(&job_uri, Some(&cookie))).await;
    let result_id = ready
        .html
        .split("/api/v1/results/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let download = send(
        &router,
        get(
            &format!("/api/v1/results/{result_id}/download"),
            Some(&cookie),
        ),
    )
    .await;
    let deleted = send(&router, {
        let mut request = post_form(&format!("/results/{result_id}/delete"), "", "same-origin");
        request
            .headers_mut()
            .insert(header::COOKIE, cookie.parse().expect("cookie header"));
        request
    })
    .await;
    let history = send(&router, get("/history", Some(&cookie))).await;
    let tokens = send(&router, get("/tokens", Some(&cookie))).await;

    assert!(
        studio.html.contains("You have 3 tokens.") && studio.html.contains("value=\"clay-3d\"")
    );
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    assert!(job_uri.starts_with("/jobs/"));
    assert!(
        waiting.html.contains("Waiting in line") && waiting.html.contains("http-equiv=\"refresh\"")
    );
    assert!(waiting.html.contains("smaller than 512 pixels"));
    assert!(
        ready.html.contains("Ready") && !ready.html.contains("http-equiv=\"refresh\""),
        "{}",
        ready.html
    );
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(
        (deleted.status, deleted.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/history"))
    );
    assert!(history.html.contains("Anime") && history.html.contains(&job_uri));
    assert!(
        history.html.contains("the portrait has been deleted") && !history.html.contains("Ready"),
        "a deleted portrait is not shown as ready"
    );
    let after = send(&router, get(&job_uri, Some(&cookie))).await;
    assert!(after.html.contains("the portrait has been deleted"));
    assert!(
        tokens.html.contains("Spent") && tokens.html.contains("2 of 3 left"),
        "{}",
        tokens.html
    );
}

#[tokio::test]
async fn a_photo_cut_short_is_refused_by_the_studio_and_costs_nothing() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;
    let picture = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, 90, (y * 5) as u8])
    });
    let mut jpeg = Vec::new();
    picture
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .expect("jpeg");
    // Cut inside the scan data: the end-of-image marker and the last rows never arrived.
    jpeg.truncate(jpeg.len() * 3 / 4);

    let submitted = send(&router, studio_post(&cookie, &jpeg, "anime")).await;
    let history = send(&router, get("/history", Some(&cookie))).await;
    let studio = send(&router, get("/studio", Some(&cookie))).await;

    assert_eq!(submitted.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        submitted
            .html
            .contains("This file is damaged or incomplete"),
        "{}",
        submitted.html
    );
    assert!(!history.html.contains("/jobs/"), "no job was made");
    assert!(
        studio.html.contains("You have 3 tokens."),
        "{}",
        studio.html
    );
}

#[tokio::test]
async fn signed_out_visitors_go_to_sign_in_and_strangers_get_404() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let alice = signed_up_cookie(&router, SIGN_UP).await;
    let bob = signed_up_cookie(
        &router,
        "email=bob%40example.org&password=a+sturdy+passphrase&age_over_14=true",
    )
    .await;
    let submitted = send(
        &router,
        studio_post(&alice, &crate::testing::photo_png(16, 16), "artistic"),
    )
    .await;
    let job_uri = submitted.location.unwrap_or_default();

    let anonymous = send(&router, get("/studio", None)).await;
    let stranger = send(&router, get(&job_uri, Some(&bob))).await;
    let bad_photo = send(&router, studio_post(&alice, b"not a photo", "anime")).await;

    assert_eq!(
        (anonymous.status, anonymous.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/signin"))
    );
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    assert_eq!(bad_photo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_photo.html.contains("could not be used"));
}

#[tokio::test]
async fn forgotten_password_is_reset_through_the_mailed_link_once() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    signed_up_cookie(&router, SIGN_UP).await;

    let sent = send(
        &router,
        post_form("/forgot", "email=ada%40example.org", "same-origin"),
    )
    .await;
    let mail = test
        .services
        .store
        .pending_mail(Timestamp::now(), 10)
        .await
        .expect("outbox");
    let body = &mail.last().expect("a reset mail").mail.body;
    let token: String = body
        .split("token=")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take(32)
        .collect();
    let form = send(
        &router,
        get(&format!("/reset-password?token={token}"), None),
    )
    .await;
    let reset_body = format!("token={token}&password=a+brand+new+passphrase");
    let reset = send(
        &router,
        post_form("/reset-password", &reset_body, "same-origin"),
    )
    .await;
    let again = send(
        &router,
        post_form("/reset-password", &reset_body, "same-origin"),
    )
    .await;
    let signin = send(
        &router,
        post_form(
            "/signin",
            "email=ada%40example.org&password=a+brand+new+passphrase",
            "same-origin",
        ),
    )
    .await;

    assert!(sent.html.contains("a link is on its way"));
    assert!(form.html.contains(&format!("value=\"{token}\"")));
    assert!(
        reset.html.contains("Your password is changed"),
        "{}",
        reset.html
    );
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.html.contains("already used"));
    assert_eq!(signin.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_account_page_changes_the_address_only_after_confirmation() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;
    let change = |form: &str| {
        let mut request = post_form("/account/email", form, "same-origin");
        request
            .headers_mut()
            .insert(header::COOKIE, cookie.parse().expect("cookie header"));
        request
    };

    let wrong = send(&router, change("email=ada%40new.example&password=guess")).await;
    let sent = send(
        &router,
        change("email=ada%40new.example&password=a+sturdy+passphrase"),
    )
    .await;
    let before = send(&router, get("/account", Some(&cookie))).await;
    let mail = test
        .services
        .store
        .pending_mail(Timestamp::now(), 10)
        .await
        .expect("outbox");
    let body = &mail
        .iter()
        .find(|p| p.mail.recipient == "ada@new.example")
        .expect("confirmation mail")
        .mail
        .body;
    let token: String = body
        .split("token=")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take(32)
        .collect();
    let confirmed = send(
        &router,
        post_form("/confirm-email", &format!("token={token}"), "same-origin"),
    )
    .await;
    let after = send(&router, get("/account", Some(&cookie))).await;

    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(sent.html.contains("We sent a confirmation link"));
    assert!(before.html.contains("Signed in as ada@example.org"));
    assert!(confirmed.html.contains("Your e-mail address is changed"));
    assert!(
        after.html.contains("Signed in as ada@new.example"),
        "{}",
        after.html
    );
}

/// An address that sign-up once accepted though it is not one, form-encoded.
const ODD_ADDRESS: &str = "x%40example.com.%27%28%29%29%29%29%28%22%2C";

#[tokio::test]
async fn sign_up_and_address_change_refuse_a_malformed_address_in_the_readers_language() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let sign_up = |lang: &str| {
        let form = format!("email={ODD_ADDRESS}&password=a+sturdy+passphrase&age_over_14=true");
        let mut request = post_form("/signup", &form, "same-origin");
        request
            .headers_mut()
            .insert(header::ACCEPT_LANGUAGE, lang.parse().expect("language"));
        request
    };
    let mut pages = Vec::new();
    for lang in ["en", "ja", "ko"] {
        pages.push(send(&router, sign_up(lang)).await);
    }
    let cookie = signed_up_cookie(&router, SIGN_UP).await;
    let change = send(&router, {
        let form = format!("email={ODD_ADDRESS}&password=a+sturdy+passphrase");
        let mut request = post_form("/account/email", &form, "same-origin");
        request
            .headers_mut()
            .insert(header::COOKIE, cookie.parse().expect("cookie header"));
        request
    })
    .await;

    let messages = [
        "Please enter a valid e-mail address.",
        "有効なメールアドレスを入力してください。",
        "올바른 이메일 주소를 입력해 주십시오.",
    ];
    for (page, message) in pages.iter().zip(messages) {
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.html.contains(message), "{message}: {}", page.html);
        assert!(page.cookie.is_none(), "no session for a refused sign-up");
    }
    assert!(
        !pages[0].html.contains("'())))(\""),
        "the address is shown escaped"
    );
    assert_eq!(change.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        change.html.contains("Please enter a valid e-mail address."),
        "{}",
        change.html
    );
    assert!(
        test.rows_mentioning("x@example.com.").await.is_empty(),
        "nothing stored"
    );
}

#[tokio::test]
async fn the_sign_in_form_shares_the_per_address_limit() {
    let mut config = crate::testing::test_config();
    config.server.auth_requests_per_minute = 1;
    let test = crate::testing::test_app_with(config).await;
    let router = app(AppState::new(test.services.clone()));
    let attempt = || {
        let mut request = post_form(
            "/signin",
            "email=ada%40example.org&password=whatever",
            "same-origin",
        );
        let peer = std::net::SocketAddr::from(([10, 0, 0, 9], 5000));
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        request
    };

    let first = send(&router, attempt()).await;
    let second = send(&router, attempt()).await;

    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_account_page_creates_shows_once_and_revokes_api_keys() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;
    let post = |uri: &str, form: &str| {
        let mut request = post_form(uri, form, "same-origin");
        request
            .headers_mut()
            .insert(header::COOKIE, cookie.parse().expect("cookie header"));
        request
    };

    let created = send(&router, post("/account/api-keys", "name=build+server")).await;
    let secret = created
        .html
        .split("<code id=\"new-api-key\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret on the page")
        .to_owned();
    let works = test.services.accounts.authenticate_api_key(&secret).await;
    let listed = send(&router, get("/account", Some(&cookie))).await;
    let id = listed
        .html
        .split("/account/api-keys/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a revoke form")
        .to_owned();
    let revoked = send(&router, post(&format!("/account/api-keys/{id}/revoke"), "")).await;
    let after = test.services.accounts.authenticate_api_key(&secret).await;
    let blank = send(&router, post("/account/api-keys", "name=+")).await;

    assert_eq!(created.status, StatusCode::CREATED);
    assert!(secret.starts_with("atl_"), "{secret}");
    assert!(works.is_ok());
    assert!(listed.html.contains("build server"));
    assert!(
        !listed.html.contains(&secret),
        "the secret is shown only once"
    );
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(after.is_err());
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_studio_states_the_content_rules_and_tips_in_the_readers_language() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let english = send(&router, get("/studio", Some(&cookie))).await;
    let mut japanese = get("/studio", Some(&cookie));
    japanese.headers_mut().insert(
        header::ACCEPT_LANGUAGE,
        header::HeaderValue::from_static("ja"),
    );
    let japanese = send(&router, japanese).await;

    assert_eq!(english.status, StatusCode::OK);
    for text in [
        "Content rules.",
        "without the consent of their parent or guardian",
        "No sexual, violent or hateful content.",
        "meant to deceive",
        "Download your portrait within 24 hours",
        "href=\"/policies/terms\"",
    ] {
        assert!(english.html.contains(text), "the studio lacks {text:?}");
    }
    assert!(japanese.html.contains("コンテンツのルール"));
    assert!(japanese.html.contains("保護者の同意"));
}
