//! Saved portraits (C8): with saving off a save is 409 `saving-disabled`; with it on a saved
//! result survives the 24-hour sweep and goes at its saved deadline; unsaving brings back the
//! 24-hour rule counted from creation. Uploads go on schedule, saved result or not.

use std::time::Duration;

use axum::Router;
use axum::http::{Method, StatusCode};

use super::{register, request, router, send};
use crate::domain::{ResultId, Timestamp, UploadId, UserScope};
use crate::jobs::JobRequest;
use crate::testing::{TestApp, photo_png, test_app, test_app_with, test_config};

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// A signed-up user with one finished portrait: token, scope, upload and result.
async fn portrait(test: &TestApp, router: &Router) -> (String, UserScope, UploadId, ResultId) {
    let token = register(router, "alice").await;
    let scope = test
        .services
        .accounts
        .authenticate(&token)
        .await
        .expect("auth");
    let upload = test
        .services
        .media
        .ingest_upload(scope, photo_png(16, 16))
        .await
        .expect("upload");
    let request = JobRequest {
        upload_id: Some(upload.id),
        style: "rough-sketch".into(),
        ..JobRequest::default()
    };
    let job = test
        .services
        .jobs
        .create(scope, request)
        .await
        .expect("job");
    test.services
        .worker("w".into())
        .run_once()
        .await
        .expect("run");
    let view = test.services.jobs.get(scope, job.id).await.expect("job");
    (token, scope, upload.id, view.job.result_id.expect("result"))
}

fn saving_for(ttl: Option<Duration>) -> crate::config::Config {
    let mut config = test_config();
    config.retention.allow_save = true;
    config.retention.saved_ttl = ttl;
    // These stories sweep far into the future: keep the unconfirmed test accounts alive.
    config.retention.unconfirmed_ttl = Duration::from_secs(10 * 365 * 86_400);
    config
}

async fn held(test: &TestApp, scope: UserScope, id: ResultId) -> bool {
    test.services
        .store
        .result(scope, id)
        .await
        .expect("read")
        .is_some()
}

#[tokio::test]
async fn with_saving_off_a_save_is_409_with_a_stable_code() {
    let test = test_app().await;
    let router = router(&test);
    let (token, _, _, result) = portrait(&test, &router).await;

    let refused = send(
        &router,
        request(
            Method::POST,
            &format!("/api/v1/results/{result}/save"),
            Some(&token),
            None,
        ),
    )
    .await;
    let page = send(&router, request(Method::GET, "/jobs/x", Some(&token), None)).await;

    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "saving-disabled");
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_saved_result_survives_the_24_hour_sweep_and_goes_at_its_saved_ttl() {
    let test = test_app_with(saving_for(Some(30 * DAY))).await;
    let router = router(&test);
    let (token, scope, upload, result) = portrait(&test, &router).await;

    let saved = send(
        &router,
        request(
            Method::POST,
            &format!("/api/v1/results/{result}/save"),
            Some(&token),
            None,
        ),
    )
    .await;
    let sweeper = test.services.sweeper();
    let next_day = sweeper
        .sweep_once(Timestamp::now().plus(25 * HOUR))
        .await
        .expect("sweep");

    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.json());
    assert!(saved.json()["saved_at"].is_string());
    assert_eq!(saved.json()["deletes_at"], saved.json()["saved_until"]);
    assert!(
        held(&test, scope, result).await,
        "saved: kept past 24 hours"
    );
    assert_eq!(
        (next_day.uploads, next_day.results),
        (1, 0),
        "the photo still goes"
    );
    assert!(
        test.services
            .store
            .upload(scope, upload)
            .await
            .expect("read")
            .is_none()
    );
    let before_ttl = sweeper
        .sweep_once(Timestamp::now().plus(29 * DAY))
        .await
        .expect("sweep");
    assert_eq!(before_ttl.results, 0);
    let after_ttl = sweeper
        .sweep_once(Timestamp::now().plus(30 * DAY + HOUR))
        .await
        .expect("sweep");
    assert_eq!(after_ttl.results, 1);
    assert!(!held(&test, scope, result).await);
}

#[tokio::test]
async fn unsaving_restores_the_24_hour_rule_from_creation() {
    let test = test_app_with(saving_for(None)).await;
    let router = router(&test);
    let (token, scope, _, result) = portrait(&test, &router).await;
    let path = format!("/api/v1/results/{result}/save");
    send(&router, request(Method::POST, &path, Some(&token), None)).await;
    let kept = test
        .services
        .sweeper()
        .sweep_once(Timestamp::now().plus(400 * DAY))
        .await
        .expect("sweep");
    assert_eq!(kept.results, 0, "saved with no ttl: kept until deleted");

    let unsaved = send(&router, request(Method::DELETE, &path, Some(&token), None)).await;
    let created = test
        .services
        .store
        .result(scope, result)
        .await
        .expect("read")
        .expect("held");
    let just_before = test
        .services
        .sweeper()
        .sweep_once(
            created
                .created_at
                .plus(24 * HOUR)
                .minus(Duration::from_secs(60)),
        )
        .await
        .expect("sweep");
    let past = test
        .services
        .sweeper()
        .sweep_once(created.created_at.plus(24 * HOUR))
        .await
        .expect("sweep");

    assert_eq!(unsaved.status, StatusCode::OK);
    assert!(unsaved.json()["saved_at"].is_null());
    assert_eq!(unsaved.json()["deletes_at"], unsaved.json()["expires_at"]);
    assert_eq!(just_before.results, 0);
    assert_eq!(past.results, 1);
    assert!(!held(&test, scope, result).await);
}

#[tokio::test]
async fn the_job_page_offers_saving_and_shows_the_saved_deadline() {
    let test = test_app_with(saving_for(Some(30 * DAY))).await;
    let router = router(&test);
    let (token, scope, _, result) = portrait(&test, &router).await;
    let job = test
        .services
        .store
        .result(scope, result)
        .await
        .expect("read")
        .expect("held")
        .job_id;
    let page = |router: Router, token: String| async move {
        let reply = send(
            &router,
            request(Method::GET, &format!("/jobs/{job}"), Some(&token), None),
        )
        .await;
        String::from_utf8_lossy(&reply.body).into_owned()
    };

    let before = page(router.clone(), token.clone()).await;
    test.services
        .media
        .save_result(scope, result)
        .await
        .expect("save");
    let after = page(router.clone(), token.clone()).await;

    assert!(
        before.contains(&format!("/results/{result}/save")),
        "{before}"
    );
    assert!(before.contains("30 days"), "{before}");
    assert!(
        after.contains(&format!("/results/{result}/unsave")),
        "{after}"
    );
    assert!(after.contains("Saved: kept until"), "{after}");
    let saved = test
        .services
        .store
        .result(scope, result)
        .await
        .expect("read")
        .expect("held");
    let deadline = saved.deletes_at.expect("a saved deadline").rfc3339();
    assert!(
        after.contains(&deadline),
        "the countdown counts to the saved deadline"
    );
}
