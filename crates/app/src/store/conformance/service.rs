//! The whole service over each back-end: sign-up, upload, a job run by a worker (which reads
//! the upload as its owner and writes the result as the system), download, and the sweep.
//! On PostgreSQL this proves the two roles' grants and policies suffice for real work.

use std::time::Duration;

use super::{TestStore, stories};
use crate::domain::Timestamp;
use crate::jobs::JobRequest;
use crate::store::JobStatus;
use crate::testing::{photo_png, test_app_on};

stories!(a_photo_goes_through_upload_job_download_and_sweep);

async fn a_photo_goes_through_upload_job_download_and_sweep(db: &TestStore) {
    let app = test_app_on(db.store.clone());
    let alice = app.user("alice").await;
    let services = &app.services;
    let upload = services
        .media
        .ingest_upload(alice, photo_png(40, 30))
        .await
        .expect("upload");
    let request = JobRequest {
        upload_id: Some(upload.id),
        style: "rough-sketch".into(),
        ..JobRequest::default()
    };
    let job = services.jobs.create(alice, request).await.expect("create");

    let worked = services.worker("w1".into()).run_once().await.expect("run");
    let view = services.jobs.get(alice, job.id).await.expect("job");
    let result_id = view.job.result_id.expect("a result");
    let (result, bytes) = services
        .media
        .result_bytes(alice, result_id)
        .await
        .expect("download");
    let later = Timestamp::now().plus(Duration::from_secs(3 * 24 * 3600));
    let swept = services.sweeper().sweep_once(later).await.expect("sweep");

    assert!(worked);
    assert_eq!(view.job.status, JobStatus::Succeeded);
    assert_eq!((result.width, result.height), (40, 30));
    assert!(bytes.starts_with(b"\x89PNG"));
    assert_eq!((swept.uploads, swept.results), (1, 1));
    assert!(services.media.result(alice, result_id).await.is_err());
    let balance = services.store.balance(alice, Timestamp::now()).await;
    assert_eq!(
        balance.expect("balance"),
        2,
        "three welcome tokens, one spent"
    );
}
