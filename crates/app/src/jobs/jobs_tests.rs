use std::time::Duration;

use super::*;
use crate::domain::LotId;
use crate::store::{Claim, JobStatus, NewLot};
use crate::testing::{photo_png, test_app};

fn request(upload_id: UploadId) -> JobRequest {
    JobRequest {
        upload_id: Some(upload_id),
        style: "anime".into(),
        ..JobRequest::default()
    }
}

fn claim(worker: &str, per_user: u32) -> Claim {
    Claim {
        worker: worker.into(),
        lease: Duration::from_secs(60),
        per_user_concurrency: per_user,
        max_attempts: 3,
    }
}

async fn give(app: &crate::testing::TestApp, scope: UserScope, quantity: u32) {
    let now = Timestamp::now();
    let lot = NewLot {
        id: LotId::new(),
        quantity,
        source: "test".into(),
        created_at: now,
        expires_at: now.plus(Duration::from_secs(3600)),
    };
    app.services
        .store
        .grant_tokens(scope.user_id(), lot)
        .await
        .expect("grant");
}

#[tokio::test]
async fn a_job_debits_its_cost_and_a_worker_completes_it() {
    let app = test_app().await;
    let alice = app.user("alice").await;
    let upload = app
        .services
        .media
        .ingest_upload(alice, photo_png(48, 32))
        .await
        .expect("upload");

    let job = app
        .services
        .jobs
        .create(alice, request(upload.id))
        .await
        .expect("create");
    let balance_after_enqueue = app
        .services
        .store
        .balance(alice, Timestamp::now())
        .await
        .expect("balance");
    let worked = app
        .services
        .worker("w1".into())
        .run_once()
        .await
        .expect("run");

    assert!(worked);
    assert_eq!(balance_after_enqueue, 2);
    let view = app.services.jobs.get(alice, job.id).await.expect("job");
    assert_eq!(view.job.status, JobStatus::Succeeded);
    let result_id = view.job.result_id.expect("result id");
    let (result, bytes) = app
        .services
        .media
        .result_bytes(alice, result_id)
        .await
        .expect("result");
    assert_eq!((result.width, result.height), (48, 32));
    assert!(bytes.starts_with(b"\x89PNG"));
}

#[tokio::test]
async fn a_job_without_enough_tokens_is_refused_and_nothing_is_queued() {
    let app = test_app().await;
    let alice = app.user("alice").await;
    let upload = app
        .services
        .media
        .ingest_upload(alice, photo_png(16, 16))
        .await
        .expect("upload");
    for _ in 0..3 {
        app.services
            .jobs
            .create(alice, request(upload.id))
            .await
            .expect("spend welcome tokens");
    }

    let refused = app.services.jobs.create(alice, request(upload.id)).await;

    assert!(matches!(refused, Err(JobError::InsufficientTokens)));
    assert_eq!(app.services.store.queue_depth().await.expect("depth"), 3);
}

#[tokio::test]
async fn canceling_a_queued_job_refunds_it_but_a_finished_job_cannot_be_canceled() {
    let app = test_app().await;
    let alice = app.user("alice").await;
    let upload = app
        .services
        .media
        .ingest_upload(alice, photo_png(16, 16))
        .await
        .expect("upload");
    let queued = app
        .services
        .jobs
        .create(alice, request(upload.id))
        .await
        .expect("create");
    let finished = app
        .services
        .jobs
        .create(alice, request(upload.id))
        .await
        .expect("create");

    let canceled = app
        .services
        .jobs
        .cancel(alice, queued.id)
        .await
        .expect("cancel");
    app.services
        .worker("w1".into())
        .run_once()
        .await
        .expect("run");
    let too_late = app.services.jobs.cancel(alice, finished.id).await;

    assert_eq!(canceled.status, JobStatus::Canceled);
    assert!(matches!(too_late, Err(JobError::NotCancelable)));
    assert_eq!(
        app.services
            .store
            .balance(alice, Timestamp::now())
            .await
            .expect("balance"),
        2
    );
}

#[tokio::test]
async fn another_user_cannot_see_or_cancel_a_job() {
    let app = test_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let upload = app
        .services
        .media
        .ingest_upload(alice, photo_png(16, 16))
        .await
        .expect("upload");
    let job = app
        .services
        .jobs
        .create(alice, request(upload.id))
        .await
        .expect("create");

    let seen = app.services.jobs.get(bob, job.id).await;
    let canceled = app.services.jobs.cancel(bob, job.id).await;
    let with_alices_upload = app.services.jobs.create(bob, request(upload.id)).await;

    assert!(matches!(seen, Err(JobError::NotFound)));
    assert!(matches!(canceled, Err(JobError::NotFound)));
    assert!(matches!(with_alices_upload, Err(JobError::UploadNotFound)));
}

#[tokio::test]
async fn a_job_whose_upload_is_gone_fails_and_is_refunded() {
    let app = test_app().await;
    let alice = app.user("alice").await;
    let upload = app
        .services
        .media
        .ingest_upload(alice, photo_png(16, 16))
        .await
        .expect("upload");
    let job = app
        .services
        .jobs
        .create(alice, request(upload.id))
        .await
        .expect("create");
    app.services
        .media
        .delete_upload(alice, upload.id)
        .await
        .expect("delete upload");

    app.services
        .worker("w1".into())
        .run_once()
        .await
        .expect("run");

    let view = app.services.jobs.get(alice, job.id).await.expect("job");
    assert_eq!(view.job.status, JobStatus::Failed);
    assert_eq!(
        app.services
            .store
            .balance(alice, Timestamp::now())
            .await
            .expect("balance"),
        3
    );
    assert!(
        app.services
            .store
            .token_totals(alice.user_id())
            .await
            .expect("totals")
            .invariant_holds()
    );
}

#[tokio::test]
async fn claims_take_turns_across_users_and_respect_the_per_user_cap() {
    let app = test_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let a_upload = app
        .services
        .media
        .ingest_upload(alice, photo_png(16, 16))
        .await
        .expect("upload");
    let b_upload = app
        .services
        .media
        .ingest_upload(bob, photo_png(16, 16))
        .await
        .expect("upload");
    let a1 = app
        .services
        .jobs
        .create(alice, request(a_upload.id))
        .await
        .expect("a1");
    let _a2 = app
        .services
        .jobs
        .create(alice, request(a_upload.id))
        .await
        .expect("a2");
    let b1 = app
        .services
        .jobs
        .create(bob, request(b_upload.id))
        .await
        .expect("b1");
    let store = &app.services.store;

    let position_of_b1 = app
        .services
        .jobs
        .get(bob, b1.id)
        .await
        .expect("b1")
        .queue_position;
    let first = store
        .claim_next_job(&claim("w", 1), Timestamp::now())
        .await
        .expect("claim")
        .map(|j| j.id);
    let second = store
        .claim_next_job(&claim("w", 1), Timestamp::now())
        .await
        .expect("claim")
        .map(|j| j.id);
    let third = store
        .claim_next_job(&claim("w", 1), Timestamp::now())
        .await
        .expect("claim")
        .map(|j| j.id);

    assert_eq!(position_of_b1, Some(2));
    assert_eq!(first, Some(a1.id));
    assert_eq!(second, Some(b1.id));
    assert_eq!(third, None, "a2 waits: alice already has a job running");
}

#[tokio::test]
async fn an_expired_lease_runs_again_and_the_last_attempt_fails_with_a_refund() {
    let app = test_app().await;
    let alice = app.user("alice").await;
    give(&app, alice, 5).await;
    let upload = app
        .services
        .media
        .ingest_upload(alice, photo_png(16, 16))
        .await
        .expect("upload");
    let job = app
        .services
        .jobs
        .create(alice, request(upload.id))
        .await
        .expect("create");
    let store = &app.services.store;
    let mut now = Timestamp::now();

    for attempt in 1..=3 {
        let claimed = store
            .claim_next_job(&claim("crashy", 2), now)
            .await
            .expect("claim");
        assert_eq!(claimed.map(|j| (j.id, j.attempts)), Some((job.id, attempt)));
        now = now.plus(Duration::from_secs(120));
    }
    let after_last = store
        .claim_next_job(&claim("crashy", 2), now)
        .await
        .expect("claim");

    assert!(after_last.is_none());
    let view = app.services.jobs.get(alice, job.id).await.expect("job");
    assert_eq!(view.job.status, JobStatus::Failed);
    assert_eq!(
        store
            .balance(alice, Timestamp::now())
            .await
            .expect("balance"),
        8
    );
}

#[tokio::test]
async fn a_job_completed_twice_keeps_one_result() {
    let app = test_app().await;
    let alice = app.user("alice").await;
    let upload = app
        .services
        .media
        .ingest_upload(alice, photo_png(16, 16))
        .await
        .expect("upload");
    let job = app
        .services
        .jobs
        .create(alice, request(upload.id))
        .await
        .expect("create");
    let store = &app.services.store;
    store
        .claim_next_job(&claim("w", 1), Timestamp::now())
        .await
        .expect("claim");
    let now = Timestamp::now();
    let record = |id| crate::store::ResultRecord {
        id,
        job_id: job.id,
        user_id: alice.user_id(),
        blob_key: format!("users/{}/results/{}", alice.user_id(), job.id),
        width: 1,
        height: 1,
        created_at: now,
        expires_at: now,
        saved_at: None,
        saved_until: None,
        deletes_at: None,
    };

    let first = store
        .complete_job(job.id, "w", &record(crate::domain::ResultId::new()), now)
        .await
        .expect("first");
    let second = store
        .complete_job(job.id, "w", &record(crate::domain::ResultId::new()), now)
        .await
        .expect("second");

    assert_eq!(first, second);
    assert!(app.services.media.result(alice, first).await.is_ok());
}

#[tokio::test]
async fn jobs_of_a_restricted_account_wait_until_it_is_active_again() {
    use crate::domain::Role;
    use crate::store::AccountStatus;
    let app = test_app().await;
    let alice = app.user("alice").await;
    let upload = app
        .services
        .media
        .ingest_upload(alice, photo_png(16, 16))
        .await
        .expect("upload");
    let job = app
        .services
        .jobs
        .create(alice, request(upload.id))
        .await
        .expect("create");
    let store = &app.services.store;

    store
        .set_role_and_status(alice.user_id(), Role::User, AccountStatus::Restricted)
        .await
        .expect("restrict");
    let while_restricted = store
        .claim_next_job(&claim("w", 1), Timestamp::now())
        .await
        .expect("claim");
    store
        .set_role_and_status(alice.user_id(), Role::User, AccountStatus::Active)
        .await
        .expect("activate");
    let when_active = store
        .claim_next_job(&claim("w", 1), Timestamp::now())
        .await
        .expect("claim");

    assert!(while_restricted.is_none());
    assert_eq!(when_active.map(|j| j.id), Some(job.id));
}
