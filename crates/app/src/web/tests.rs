//! Page tests through the real router: rendering, forms, cookies, CSRF.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::http::{AppState, app};
use crate::testing::test_app;

struct Page {
    status: StatusCode,
    cookie: Option<String>,
    location: Option<String>,
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
async fn the_stylesheet_is_served() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));

    let css = send(&router, get("/static/app.css", None)).await;

    assert_eq!(css.status, StatusCode::OK);
    assert!(css.html.contains(".gallery"));
}
