//! The sweeper against a real store and blobs: what goes, when, and in which order.

use super::*;
use crate::jobs::JobRequest;
use crate::testing::{photo_png, test_app};

#[tokio::test]
async fn expired_uploads_and_results_lose_blob_and_row() {
    let app = test_app().await;
    let alice = app.user("alice").await;
    let upload = app
        .services
        .media
        .ingest_upload(alice, photo_png(16, 16))
        .await
        .expect("upload");
    let request = JobRequest {
        upload_id: Some(upload.id),
        style: "rough-sketch".into(),
        ..JobRequest::default()
    };
    let job = app.services.jobs.create(alice, request).await.expect("job");
    app.services
        .worker("w".into())
        .run_once()
        .await
        .expect("run");
    let result_id = app
        .services
        .jobs
        .get(alice, job.id)
        .await
        .expect("job")
        .job
        .result_id
        .expect("result");
    let before = app
        .services
        .sweeper()
        .sweep_once(Timestamp::now())
        .await
        .expect("early sweep");

    let after_deadline = Timestamp::now().plus(Duration::from_secs(25 * 3600));
    let report = app
        .services
        .sweeper()
        .sweep_once(after_deadline)
        .await
        .expect("sweep");

    assert_eq!((before.uploads, before.results), (0, 0));
    assert_eq!((report.uploads, report.results), (1, 1));
    assert!(
        app.services
            .store
            .upload(alice, upload.id)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        app.services
            .store
            .result(alice, result_id)
            .await
            .expect("read")
            .is_none()
    );
    assert!(app.services.blobs.list().await.expect("list").is_empty());
}

#[tokio::test]
async fn orphan_blobs_are_removed_after_a_grace_period() {
    let app = test_app().await;
    let alice = app.user("alice").await;
    let kept = app
        .services
        .media
        .ingest_upload(alice, photo_png(16, 16))
        .await
        .expect("upload");
    let wrapped = app
        .services
        .store
        .wrapped_key(alice.user_id())
        .await
        .expect("key");
    let orphan = format!("users/{}/uploads/orphan", alice.user_id());
    app.services
        .blobs
        .put(alice.user_id(), wrapped.as_deref(), &orphan, b"left behind")
        .await
        .expect("put");

    let fresh = app
        .services
        .sweeper()
        .sweep_once(Timestamp::now())
        .await
        .expect("sweep");
    let later = app
        .services
        .sweeper()
        .sweep_once(Timestamp::now().plus(Duration::from_secs(3600)))
        .await
        .expect("sweep");

    assert_eq!(fresh.orphans, 0);
    assert_eq!(later.orphans, 1);
    let keys: Vec<String> = app
        .services
        .blobs
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, vec![kept.blob_key]);
}

#[tokio::test]
async fn an_expired_export_loses_its_zip_then_its_row() {
    let test = test_app().await;
    let scope = test.user("ada").await;
    let store = &test.services.store;
    let long_ago = Timestamp::from_millis(Timestamp::now().millis() - 3_600_000);
    let id = crate::domain::ExportId::new();
    store
        .create_export(
            scope,
            id,
            long_ago,
            long_ago.plus(std::time::Duration::from_secs(60)),
        )
        .await
        .expect("request");
    test.services.privacy.build_export(scope, id).await;
    let key = crate::privacy::export_key(scope.user_id(), id);
    assert!(
        test.services
            .blobs
            .list()
            .await
            .expect("list")
            .iter()
            .any(|(k, _)| *k == key)
    );

    let report = test
        .services
        .sweeper()
        .sweep_once(Timestamp::now())
        .await
        .expect("sweep");

    assert_eq!(report.exports, 1);
    assert!(
        store
            .export_request(scope, id)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        !test
            .services
            .blobs
            .list()
            .await
            .expect("list")
            .iter()
            .any(|(k, _)| *k == key)
    );
}

#[tokio::test]
async fn expired_lots_lose_their_details_and_old_analytics_go() {
    // Ada never confirms her address: keep her account past the sweeps of this story.
    let mut config = crate::testing::test_config();
    config.retention.unconfirmed_ttl = Duration::from_secs(10 * 365 * 86_400);
    let test = crate::testing::test_app_with(config).await;
    let ada = test.user("ada").await;
    let store = &test.services.store;
    let signed_up = store.usage_of(ada, 10).await.expect("usage");
    let lot_expiry = store.lots(ada).await.expect("lots")[0].expires_at;
    let day = Duration::from_secs(86_400);

    let before_expiry = test
        .services
        .sweeper()
        .sweep_once(lot_expiry.minus(day))
        .await
        .expect("sweep");
    let after_expiry = test
        .services
        .sweeper()
        .sweep_once(lot_expiry.plus(day))
        .await
        .expect("sweep");
    let two_years_on = test
        .services
        .sweeper()
        .sweep_once(Timestamp::now().plus(731 * day))
        .await
        .expect("sweep");

    assert_eq!(signed_up.len(), 1);
    assert_eq!(
        (before_expiry.lot_details, before_expiry.analytics_rows),
        (0, 0)
    );
    assert_eq!(
        (after_expiry.tokens_expired, after_expiry.lot_details),
        (3, 1)
    );
    assert_eq!(after_expiry.analytics_rows, 0);
    assert_eq!(
        (two_years_on.lot_details, two_years_on.analytics_rows),
        (0, 1)
    );
    assert_eq!(store.lots(ada).await.expect("lots")[0].source, "expired");
    assert!(store.usage_of(ada, 10).await.expect("usage").is_empty());
    let totals = store.token_totals(ada.user_id()).await.expect("totals");
    assert!(totals.invariant_holds(), "{totals:?}");
}
