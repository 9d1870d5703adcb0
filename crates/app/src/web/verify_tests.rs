//! The verification page opened from the mail, and the account page's re-send button.

use super::*;

#[tokio::test]
async fn the_mailed_link_confirms_the_address_and_the_account_page_says_so() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let cookie = signed_up_cookie(&router, SIGN_UP).await;
    let before = send(&router, get("/account", Some(&cookie))).await;
    let mut resend = post_form("/account/verify-email", "", "same-origin");
    resend
        .headers_mut()
        .insert(header::COOKIE, cookie.parse().expect("cookie header"));
    let resent = send(&router, resend).await;
    let outbox = test
        .services
        .store
        .pending_mail(Timestamp::now(), 10)
        .await
        .expect("outbox");
    let newest = &outbox.last().expect("a mail").mail;
    let token: String = newest
        .body
        .split("token=")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take(32)
        .collect();

    let confirmed = send(&router, get(&format!("/verify-email?token={token}"), None)).await;
    let again = send(&router, get(&format!("/verify-email?token={token}"), None)).await;
    let after = send(&router, get("/account", Some(&cookie))).await;

    assert!(before.html.contains("not confirmed yet"), "{}", before.html);
    assert!(before.html.contains("action=\"/account/verify-email\""));
    assert!(resent.html.contains("We sent a new confirmation link"));
    assert_eq!(outbox.len(), 2, "one at sign-up, one asked for");
    assert!(
        newest
            .body
            .contains("http://127.0.0.1:8080/verify-email?token=")
    );
    assert_eq!(confirmed.status, StatusCode::OK);
    assert!(confirmed.html.contains("your e-mail address is confirmed"));
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again
            .html
            .contains("invalid, has expired or was already used")
    );
    assert!(after.html.contains("Your e-mail address is confirmed."));
    assert!(!after.html.contains("action=\"/account/verify-email\""));
}
