//! Abuse reports through the real router: the owner reports, no one else can, an admin
//! reviews (every look audited), removes the item, bans the owner, dismisses.

use super::*;
use crate::domain::{ResultId, Role};
use crate::store::{AccountStatus, ReportStatus};

/// Ada (signed up by form) with one portrait; her cookie and the portrait's id.
pub(super) async fn ada_with_a_portrait(
    router: &Router,
    test: &crate::testing::TestApp,
) -> (String, String) {
    let cookie = signed_up_cookie(router, SIGN_UP).await;
    let photo = crate::testing::photo_png(64, 48);
    let submitted = send(router, studio_post(&cookie, &photo, "anime")).await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);
    test.services
        .worker("w".into())
        .run_once()
        .await
        .expect("worker");
    let library = send(router, get("/history", Some(&cookie))).await;
    let id = segment_after(&library.html, "/results/");
    let job_page = submitted.location.unwrap_or_default();
    let job = send(router, get(&job_page, Some(&cookie))).await;
    assert!(
        job.html.contains(&format!("/results/{id}/report")),
        "the job page offers the report form"
    );
    (cookie, id)
}

/// The path segment after the first `prefix` in `html`.
pub(super) fn segment_after(html: &str, prefix: &str) -> String {
    html.split(prefix)
        .nth(1)
        .and_then(|rest| rest.split(['/', '"']).next())
        .unwrap_or_default()
        .to_owned()
}

pub(super) fn with_cookie(mut request: Request<Body>, cookie: &str) -> Request<Body> {
    request
        .headers_mut()
        .insert(header::COOKIE, cookie.parse().expect("cookie header"));
    request
}

async fn admin_cookie(test: &crate::testing::TestApp) -> (crate::domain::UserId, String) {
    let (admin, token) = test.session("root").await;
    test.services
        .store
        .set_role_and_status(admin, Role::Admin, AccountStatus::Active)
        .await
        .expect("promote");
    (
        admin,
        format!("{}={token}", crate::http::session::COOKIE_PLAIN),
    )
}

async fn audited(test: &crate::testing::TestApp) -> Vec<String> {
    let actions = test.services.store.admin_actions(100).await.expect("audit");
    actions.into_iter().map(|a| a.action).collect()
}

#[tokio::test]
async fn the_owner_reports_a_portrait_and_an_admin_reviews_removes_it_and_bans_the_owner() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (ada, result) = ada_with_a_portrait(&router, &test).await;
    let (_, bob_token) = test.session("bob").await;
    let bob = format!("{}={bob_token}", crate::http::session::COOKIE_PLAIN);
    let report_uri = format!("/results/{result}/report");

    let library = send(&router, get("/history", Some(&ada))).await;
    let form = send(&router, get(&report_uri, Some(&ada))).await;
    let bob_sees = send(&router, get(&report_uri, Some(&bob))).await;
    let form_body = "reason=consent&details=My+sister+did+not+agree.";
    let bob_posts = send(
        &router,
        with_cookie(post_form(&report_uri, form_body, "same-origin"), &bob),
    )
    .await;
    let no_reason = send(
        &router,
        with_cookie(post_form(&report_uri, "details=x", "same-origin"), &ada),
    )
    .await;
    let filed = send(
        &router,
        with_cookie(post_form(&report_uri, form_body, "same-origin"), &ada),
    )
    .await;
    let thanks = send(&router, get("/reports/thanks", Some(&ada))).await;

    assert!(
        library.html.contains(&report_uri),
        "the library links the report form"
    );
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.html.contains("name=\"reason\" value=\"minor\""));
    assert!(form.html.contains("<textarea name=\"details\""));
    assert_eq!(bob_sees.status, StatusCode::NOT_FOUND);
    assert_eq!(bob_posts.status, StatusCode::NOT_FOUND);
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.html.contains("Choose a reason."));
    assert_eq!(filed.status, StatusCode::SEE_OTHER);
    assert_eq!(filed.location.as_deref(), Some("/reports/thanks"));
    assert!(thanks.html.contains("Thank you for your report"));

    // The admin's review: the queue, the report, the image, each look audited.
    let (_, root) = admin_cookie(&test).await;
    let queue = send(&router, get("/admin/reports", Some(&root))).await;
    let report = segment_after(&queue.html, "/admin/reports/");
    let page = send(
        &router,
        get(&format!("/admin/reports/{report}"), Some(&root)),
    )
    .await;
    let image = router
        .clone()
        .oneshot(get(&format!("/admin/reports/{report}/item"), Some(&root)))
        .await
        .expect("router answers");
    let image_type = image.headers().get(header::CONTENT_TYPE).cloned();
    let png = image.into_body().collect().await.expect("body").to_bytes();

    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.html.contains("ada@example.org") && queue.html.contains("Open"));
    assert!(page.html.contains("My sister did not agree."));
    assert!(page.html.contains("It shows someone who did not consent"));
    assert!(page.html.contains("/admin/users/"));
    assert!(page.html.contains("admin-nav"), "the console's navigation");
    assert_eq!(
        image_type.as_ref().map(|v| v.as_bytes()),
        Some(&b"image/png"[..])
    );
    assert!(image::load_from_memory(&png).is_ok(), "the decrypted image");
    let seen = audited(&test).await;
    for action in ["view-reports", "view-report", "view-report-item"] {
        assert!(
            seen.iter().any(|a| a == action),
            "{action} not audited: {seen:?}"
        );
    }

    // Removing the item deletes its blob and row: gone for the owner too.
    let scope = test.user_scope_of("ada@example.org").await;
    let record = test
        .services
        .store
        .result(scope, result.parse::<ResultId>().expect("id"))
        .await
        .expect("result")
        .expect("held");
    let decide = |decision: &str| {
        with_cookie(
            post_form(
                &format!("/admin/reports/{report}/decide"),
                &format!("decision={decision}"),
                "same-origin",
            ),
            &root,
        )
    };
    let removed = send(&router, decide("remove")).await;
    let owner_download = send(
        &router,
        get(&format!("/api/v1/results/{result}/download"), Some(&ada)),
    )
    .await;
    let wrapped = test
        .services
        .store
        .wrapped_key(scope.user_id())
        .await
        .expect("key");
    let blob = test
        .services
        .blobs
        .get(scope.user_id(), wrapped.as_deref(), &record.blob_key)
        .await;
    let after_removal = send(
        &router,
        get(&format!("/admin/reports/{report}"), Some(&root)),
    )
    .await;
    let banned = send(&router, decide("ban")).await;
    let ada_after_ban = send(&router, get("/history", Some(&ada))).await;
    let account = test
        .services
        .store
        .find_user_by_email(&crate::domain::Email::parse("ada@example.org").expect("email"))
        .await
        .expect("lookup")
        .expect("account");

    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(owner_download.status, StatusCode::NOT_FOUND);
    assert!(
        matches!(blob, Err(crate::blobs::BlobError::NotFound)),
        "{blob:?}"
    );
    assert!(after_removal.html.contains("no longer held"));
    assert_eq!(banned.status, StatusCode::SEE_OTHER);
    assert_eq!(
        ada_after_ban.location.as_deref(),
        Some("/signin"),
        "sessions closed"
    );
    assert_eq!(account.user.status, AccountStatus::Banned.as_str());
    let decided = audited(&test).await;
    assert!(decided.iter().any(|a| a == "report-remove-item"));
    assert!(decided.iter().any(|a| a == "report-ban"));
}

#[tokio::test]
async fn an_admin_dismisses_a_report_and_the_queue_shows_open_ones_first() {
    let test = test_app().await;
    let router = app(AppState::new(test.services.clone()));
    let (ada, result) = ada_with_a_portrait(&router, &test).await;
    let library = send(&router, get("/history", Some(&ada))).await;
    let photo = segment_after(&library.html, "/uploads/");
    let photo_form = send(
        &router,
        get(&format!("/uploads/{photo}/report"), Some(&ada)),
    )
    .await;
    let reports = [
        (
            format!("/results/{result}/report"),
            "reason=other&details=first",
        ),
        (
            format!("/uploads/{photo}/report"),
            "reason=hateful&details=second",
        ),
    ];
    for (uri, body) in &reports {
        let filed = send(
            &router,
            with_cookie(post_form(uri, body, "same-origin"), &ada),
        )
        .await;
        assert_eq!(filed.status, StatusCode::SEE_OTHER, "{uri}");
    }
    assert!(library.html.contains(&format!("/uploads/{photo}/report")));
    assert_eq!(photo_form.status, StatusCode::OK);
    let (_, root) = admin_cookie(&test).await;
    let queue = send(&router, get("/admin/reports", Some(&root))).await;
    let newest = segment_after(&queue.html, "/admin/reports/");

    let dismissed = send(
        &router,
        with_cookie(
            post_form(
                &format!("/admin/reports/{newest}/decide"),
                "decision=dismiss",
                "same-origin",
            ),
            &root,
        ),
    )
    .await;
    let unknown = send(
        &router,
        with_cookie(
            post_form(
                &format!("/admin/reports/{newest}/decide"),
                "decision=delete-everything",
                "same-origin",
            ),
            &root,
        ),
    )
    .await;
    let queue = send(&router, get("/admin/reports", Some(&root))).await;
    let rows = test.services.store.all_reports(10).await.expect("reports");

    assert_eq!(dismissed.status, StatusCode::SEE_OTHER);
    assert_eq!(unknown.status, StatusCode::CONFLICT);
    assert_eq!(
        rows.iter().map(|r| r.report.status).collect::<Vec<_>>(),
        [ReportStatus::Open, ReportStatus::Dismissed]
    );
    assert_eq!(
        segment_after(&queue.html, "/admin/reports/"),
        rows[0].report.id.to_string()
    );
    assert!(audited(&test).await.iter().any(|a| a == "report-dismiss"));
}
