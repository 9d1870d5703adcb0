//! The admin console is invisible to everyone but admins: every admin route, page or API,
//! answers 404 to a visitor and to a signed-in user, as a path that never existed would.

use axum::http::{Method, StatusCode};

use super::{get, post_form, send};
use crate::domain::Role;
use crate::http::{AppState, app};
use crate::store::AccountStatus;
use crate::testing::test_app;

/// Every admin route. A new admin page or API route belongs here.
/// `{admin}` stands for the signed-in admin's own id, `{job}` and `{purchase}` for a user's
/// (an id that names nothing is the admin's 404 too, so it would not tell the two apart).
const ADMIN_ROUTES: &[(Method, &str)] = &[
    (Method::GET, "/admin"),
    (Method::GET, "/admin/users"),
    (Method::GET, "/admin/users/{admin}"),
    (Method::POST, "/admin/users/{admin}/grant"),
    (Method::POST, "/admin/users/{admin}/revoke"),
    (Method::POST, "/admin/users/{admin}/suspend"),
    (Method::POST, "/admin/users/{admin}/ban"),
    (Method::POST, "/admin/users/{admin}/restore"),
    (Method::GET, "/admin/jobs"),
    (Method::POST, "/admin/jobs/{job}/retry"),
    (Method::POST, "/admin/purchases/{purchase}/refund"),
    (Method::GET, "/admin/purchases"),
    (Method::GET, "/admin/audit"),
    (Method::GET, "/admin/tickets"),
    (Method::GET, "/admin/tickets/1"),
    (Method::POST, "/admin/tickets/1/reply"),
    (Method::POST, "/admin/tickets/1/close"),
    (Method::POST, "/admin/tickets/1/reopen"),
    (Method::GET, "/admin/reports"),
    // Not a report id: an admin reaches the handler (400), everyone else the 404.
    (Method::GET, "/admin/reports/not-a-report"),
    (Method::GET, "/admin/reports/not-a-report/item"),
    (Method::POST, "/admin/reports/not-a-report/decide"),
    (Method::GET, "/api/v1/admin/purchases"),
    (Method::GET, "/api/v1/admin/audit"),
];

async fn answer(
    router: &axum::Router,
    method: &Method,
    path: &str,
    cookie: Option<&str>,
) -> StatusCode {
    let mut request = if *method == Method::GET {
        get(path, cookie)
    } else {
        post_form(path, "", "same-origin")
    };
    if let (Some(cookie), true) = (cookie, *method != Method::GET) {
        let value = axum::http::HeaderValue::from_str(cookie).expect("cookie header");
        request
            .headers_mut()
            .insert(axum::http::header::COOKIE, value);
    }
    send(router, request).await.status
}

#[tokio::test]
async fn a_non_admin_gets_404_on_every_admin_route_and_an_admin_does_not() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (user_id, user_token) = test.session("ada").await;
    let (admin_id, admin_token) = test.session("root").await;
    test.services
        .store
        .set_role_and_status(admin_id, Role::Admin, AccountStatus::Active)
        .await
        .expect("promote");
    // Ticket 1, for the routes of one ticket.
    let ticket = crate::store::NewTicket {
        email: "guest@example.org".into(),
        locale: "en-US".into(),
        subject: "Hello".into(),
        message: "Help".into(),
        job_id: None,
        urgent: false,
        created_at: crate::domain::Timestamp::now(),
    };
    test.services
        .store
        .create_ticket(None, &ticket)
        .await
        .expect("ticket 1");
    // A job and a pending purchase of Ada's, for the routes of one job or purchase.
    let ada = crate::domain::UserScope::trusted(user_id, Role::User);
    let upload = test
        .services
        .media
        .ingest_upload(ada, crate::testing::photo_png(16, 16))
        .await
        .expect("upload");
    let job = test
        .services
        .jobs
        .create(
            ada,
            crate::jobs::JobRequest {
                upload_id: Some(upload.id),
                prompt: None,
                style: "light-color".into(),
                params: crate::jobs::JobParams::default(),
            },
        )
        .await
        .expect("job");
    let purchase = crate::store::NewPurchase {
        id: crate::domain::PurchaseId::new(),
        pack_id: "5-tokens".into(),
        tokens: 5,
        amount: 500,
        currency: "eur".into(),
        valid_days: 182,
        created_at: crate::domain::Timestamp::now(),
    };
    let purchase = test
        .services
        .store
        .create_purchase(ada, &purchase)
        .await
        .expect("purchase");
    let cookie = |token: &str| format!("{}={token}", crate::http::session::COOKIE_PLAIN);

    for (method, path) in ADMIN_ROUTES {
        let path = &path
            .replace("{admin}", &admin_id.to_string())
            .replace("{job}", &job.id.to_string())
            .replace("{purchase}", &purchase.id.to_string());
        let anonymous = answer(&router, method, path, None).await;
        let user = answer(&router, method, path, Some(&cookie(&user_token))).await;
        let admin = answer(&router, method, path, Some(&cookie(&admin_token))).await;

        assert_eq!(
            anonymous,
            StatusCode::NOT_FOUND,
            "{method} {path} anonymous"
        );
        assert_eq!(user, StatusCode::NOT_FOUND, "{method} {path} as a user");
        assert_ne!(admin, StatusCode::NOT_FOUND, "{method} {path} as an admin");
    }
}

#[tokio::test]
async fn a_path_that_does_not_exist_gets_the_localized_not_found_page() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let mut request = get("/no-such-page", None);
    request.headers_mut().insert(
        axum::http::header::ACCEPT_LANGUAGE,
        axum::http::HeaderValue::from_static("ja"),
    );

    let page = send(&router, request).await;
    let admin = send(&router, get("/admin", None)).await;

    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.html.contains("ページが見つかりません"),
        "{}",
        page.html
    );
    assert_eq!(admin.status, StatusCode::NOT_FOUND);
    assert!(admin.html.contains("Page not found"));
}
