//! The privacy page: choices, display name, download, and deleting the account by form.

use super::*;

async fn privacy_page(router: &Router, cookie: &str) -> Page {
    send(router, get("/privacy", Some(cookie))).await
}

fn post_signed_in(uri: &str, form: &str, cookie: &str) -> Request<Body> {
    let mut request = post_form(uri, form, "same-origin");
    let value = header::HeaderValue::from_str(cookie).expect("cookie header");
    request.headers_mut().insert(header::COOKIE, value);
    request
}

#[tokio::test]
async fn the_privacy_page_shows_the_deadline_choices_export_and_delete() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let page = privacy_page(&router, &cookie).await;
    let signed_out = send(&router, get("/privacy", None)).await;

    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "within 30 days",
        "name=\"processing_paused\"",
        "name=\"analytics_opt_out\"",
        "name=\"marketing_opt_in\"",
        "href=\"/privacy/export\"",
        "action=\"/privacy/delete\"",
        "name=\"display_name\"",
        "href=\"/account\"",
    ] {
        assert!(page.html.contains(text), "missing {text}");
    }
    assert!(!page.html.contains(" checked"), "every choice starts off");
    assert_eq!(signed_out.location.as_deref(), Some("/signin"));
}

#[tokio::test]
async fn choices_and_name_saved_by_form_show_on_the_page_and_pause_the_studio() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let saved = send(
        &router,
        post_signed_in("/privacy/preferences", "processing_paused=true", &cookie),
    )
    .await;
    let named = send(
        &router,
        post_signed_in("/privacy/name", "display_name=Ada+Lovelace", &cookie),
    )
    .await;
    let photo = crate::testing::photo_png(64, 48);
    let studio = send(&router, studio_post(&cookie, &photo, "anime")).await;

    assert_eq!(saved.status, StatusCode::OK);
    assert!(saved.html.contains("Your choices are saved."));
    assert!(
        saved
            .html
            .contains("name=\"processing_paused\" value=\"true\" checked")
    );
    assert!(
        named.html.contains("value=\"Ada Lovelace\""),
        "{}",
        named.html
    );
    assert_eq!(studio.status, StatusCode::FORBIDDEN);
    assert!(studio.html.contains("Processing of your data is paused"));
}

#[tokio::test]
async fn download_my_data_gives_a_zip() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let response = router
        .clone()
        .oneshot(get("/privacy/export", Some(&cookie)))
        .await
        .expect("answer");

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/zip");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(body.to_vec())).expect("a ZIP");
    assert!(
        archive
            .file_names()
            .any(|name| name.is_ok_and(|n| n == "account.json"))
    );
}

#[tokio::test]
async fn deleting_the_account_by_form_signs_out_and_frees_the_address() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let wrong = send(
        &router,
        post_signed_in("/privacy/delete", "password=not+it", &cookie),
    )
    .await;
    let deleted = send(
        &router,
        post_signed_in("/privacy/delete", "password=a+sturdy+passphrase", &cookie),
    )
    .await;
    let after = send(&router, get("/privacy", Some(&cookie))).await;
    let again = send(&router, post_form("/signup", SIGN_UP, "same-origin")).await;

    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.html.contains("The password is wrong."));
    assert_eq!(deleted.status, StatusCode::OK);
    assert!(deleted.html.contains("Your account is deleted"));
    assert!(deleted.cookie.is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(after.location.as_deref(), Some("/signin"));
    assert_eq!(
        again.status,
        StatusCode::SEE_OTHER,
        "the address can sign up again"
    );
}

#[tokio::test]
async fn a_background_export_asked_on_the_page_shows_its_download_link_when_ready() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;

    let asked = send(&router, post_signed_in("/privacy/exports", "", &cookie)).await;
    let mut shown = privacy_page(&router, &cookie).await;
    for _ in 0..1000 {
        if shown.html.contains("/download") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        shown = privacy_page(&router, &cookie).await;
    }
    let href = shown
        .html
        .split("href=\"/privacy/exports/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|rest| format!("/privacy/exports/{rest}"))
        .expect("a download link");
    let response = router
        .clone()
        .oneshot(get(&href, Some(&cookie)))
        .await
        .expect("answer");
    let stranger = signed_up_cookie(
        &router,
        "email=eve%40example.org&password=a+sturdy+passphrase&age_over_14=true",
    )
    .await;
    let refused = send(&router, get(&href, Some(&stranger))).await;

    assert_eq!(asked.status, StatusCode::OK);
    assert!(asked.html.contains("We are preparing your data"));
    assert!(shown.html.contains("ready, kept until"), "{}", shown.html);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/zip");
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_audit_page_is_for_admins_and_names_no_erased_account() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;
    let store = &test.services.store;
    let entry = crate::store::AdminAction {
        at: Timestamp::now(),
        actor: "cli".into(),
        action: "erase-user".into(),
        subject: None,
        detail: "account erased at the owner's request".into(),
    };
    store.record_admin_action(&entry).await.expect("record");

    let refused = send(&router, get("/admin/audit", Some(&cookie))).await;
    let ada = crate::domain::Email::parse("ada@example.org").expect("email");
    let found = store
        .find_user_by_email(&ada)
        .await
        .expect("read")
        .expect("ada");
    store
        .set_role_and_status(
            found.user.id,
            crate::domain::Role::Admin,
            crate::store::AccountStatus::Active,
        )
        .await
        .expect("make admin");
    let shown = send(&router, get("/admin/audit", Some(&cookie))).await;

    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.html.contains("erase-user") && shown.html.contains("deleted account"));
    assert!(
        shown.html.contains("view-audit"),
        "the page shows its own view"
    );
    let log = store.admin_actions(10).await.expect("log");
    assert_eq!(
        (log[0].action.as_str(), log[0].actor.clone()),
        ("view-audit", found.user.id.to_string())
    );
    assert_eq!(log.len(), 2, "the refused request logged nothing");
}
