//! Job queue stories (C7), on every back-end: fair claims, the per-user cap, cancel,
//! idempotent completion, queue positions. Leases, retries and wake-ups are in `leases.rs`.

use std::time::Duration;

use super::{DAY, TestStore, lot, stories, test_user};
use crate::domain::{JobId, ResultId, Timestamp, UserScope};
use crate::store::{Claim, Job, JobStatus, NewJob, ResultRecord, Store, StoreError};

stories!(
    claims_take_turns_across_users,
    a_user_runs_no_more_than_the_cap_at_once,
    completing_twice_keeps_one_result_and_a_stranger_cannot_complete,
    cancel_refunds_a_queued_job_only,
    queue_position_counts_everyone_in_claim_order,
);

pub(super) const LEASE: Duration = Duration::from_secs(60);

pub(super) fn claim(worker: &str, cap: u32) -> Claim {
    Claim {
        worker: worker.into(),
        lease: LEASE,
        per_user_concurrency: cap,
        max_attempts: 2,
    }
}

/// A user with `tokens` to spend.
pub(super) async fn funded_user(store: &dyn Store, name: &str, tokens: u32) -> UserScope {
    let user = test_user(store, name).await;
    store
        .grant_tokens(user.user_id(), lot(tokens, Timestamp::now(), DAY))
        .await
        .expect("grant");
    user
}

pub(super) async fn enqueue(store: &dyn Store, user: UserScope, now: Timestamp) -> Job {
    let job = NewJob {
        id: JobId::new(),
        upload_id: None,
        style: "rough-sketch".into(),
        intensity: 0.5,
        seed: u64::MAX - 7,
        cost: 1,
        prompt: None,
    };
    store.enqueue_job(user, job, now).await.expect("enqueue")
}

pub(super) async fn claim_id(store: &dyn Store, claim: &Claim, now: Timestamp) -> Option<JobId> {
    let job = store.claim_next_job(claim, now).await.expect("claim");
    job.map(|j| j.id)
}

pub(super) fn result_for(job: &Job, now: Timestamp) -> ResultRecord {
    ResultRecord {
        id: ResultId::new(),
        job_id: job.id,
        user_id: job.user_id,
        blob_key: format!("results/{}", job.id),
        width: 64,
        height: 48,
        created_at: now,
        expires_at: now.plus(Duration::from_secs(3600)),
        saved_at: None,
        saved_until: None,
        deletes_at: None,
    }
}

async fn claims_take_turns_across_users(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        funded_user(store, "alice", 5).await,
        funded_user(store, "bob", 5).await,
    );
    let now = Timestamp::now();
    let a1 = enqueue(store, alice, now).await;
    let a2 = enqueue(store, alice, now).await;
    enqueue(store, alice, now).await;
    let b1 = enqueue(store, bob, now).await;
    let one_each = claim("w", 1);

    let first = store.claim_next_job(&one_each, now).await.expect("claim");
    let second = claim_id(store, &one_each, now).await;
    let while_both_run = claim_id(store, &one_each, now).await;
    let first = first.expect("a job");
    store
        .complete_job(first.id, "w", &result_for(&first, now), now)
        .await
        .expect("complete");
    let after_alice_finished = claim_id(store, &one_each, now).await;

    assert_eq!(first.id, a1.id);
    assert_eq!(
        second,
        Some(b1.id),
        "bob's job runs beside alice's, not after all of them"
    );
    assert_eq!(while_both_run, None);
    assert_eq!(after_alice_finished, Some(a2.id));
    assert_eq!(a1.seed, u64::MAX - 7, "the seed survives the round trip");
}

async fn a_user_runs_no_more_than_the_cap_at_once(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        funded_user(store, "alice", 5).await,
        funded_user(store, "bob", 5).await,
    );
    let now = Timestamp::now();
    let a1 = enqueue(store, alice, now).await;
    enqueue(store, alice, now).await;

    let first = claim_id(store, &claim("w", 1), now).await;
    let blocked = claim_id(store, &claim("w", 1), now).await;
    let b1 = enqueue(store, bob, now).await;
    let other_user = claim_id(store, &claim("w", 1), now).await;

    assert_eq!(
        (first, blocked, other_user),
        (Some(a1.id), None, Some(b1.id))
    );
}

async fn completing_twice_keeps_one_result_and_a_stranger_cannot_complete(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = funded_user(store, "alice", 1).await;
    let now = Timestamp::now();
    let job = enqueue(store, alice, now).await;
    store
        .claim_next_job(&claim("w", 1), now)
        .await
        .expect("claim");

    let stranger = store
        .complete_job(job.id, "other", &result_for(&job, now), now)
        .await;
    let first = store
        .complete_job(job.id, "w", &result_for(&job, now), now)
        .await;
    let second = store
        .complete_job(job.id, "w", &result_for(&job, now), now)
        .await;

    assert!(
        matches!(stranger, Err(StoreError::WrongState)),
        "{stranger:?}"
    );
    let first = first.expect("complete");
    assert_eq!(second.expect("complete again"), first);
    let view = store.job(alice, job.id).await.expect("read").expect("job");
    assert_eq!(
        (view.job.status, view.job.result_id),
        (JobStatus::Succeeded, Some(first))
    );
    let results = store.results_of(alice, 10).await.expect("results");
    assert_eq!(results.iter().map(|r| r.id).collect::<Vec<_>>(), [first]);
}

async fn cancel_refunds_a_queued_job_only(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        funded_user(store, "alice", 2).await,
        funded_user(store, "bob", 1).await,
    );
    let now = Timestamp::now();
    let running = enqueue(store, alice, now).await;
    store
        .claim_next_job(&claim("w", 1), now)
        .await
        .expect("claim");
    let queued = enqueue(store, alice, now).await;

    let by_bob = store.cancel_job(bob, queued.id, now).await;
    let canceled = store
        .cancel_job(alice, queued.id, now)
        .await
        .expect("cancel");
    let again = store.cancel_job(alice, queued.id, now).await;
    let too_late = store.cancel_job(alice, running.id, now).await;

    assert!(matches!(by_bob, Err(StoreError::NotFound)), "{by_bob:?}");
    assert_eq!(canceled.status, JobStatus::Canceled);
    assert!(matches!(again, Err(StoreError::WrongState)), "{again:?}");
    assert!(
        matches!(too_late, Err(StoreError::WrongState)),
        "{too_late:?}"
    );
    assert_eq!(store.balance(alice, now).await.expect("balance"), 1);
    let totals = store.token_totals(alice.user_id()).await.expect("totals");
    assert_eq!((totals.spent, totals.refunded), (2, 1));
}

async fn queue_position_counts_everyone_in_claim_order(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        funded_user(store, "alice", 5).await,
        funded_user(store, "bob", 5).await,
    );
    let now = Timestamp::now();
    let a1 = enqueue(store, alice, now).await;
    let a2 = enqueue(store, alice, now).await;
    let b1 = enqueue(store, bob, now).await;

    let position = |user, job: &Job| {
        let id = job.id;
        async move {
            let view = store.job(user, id).await.expect("read").expect("job");
            view.queue_position
        }
    };

    assert_eq!(position(alice, &a1).await, Some(1));
    assert_eq!(position(bob, &b1).await, Some(2));
    assert_eq!(position(alice, &a2).await, Some(3));
    assert!(
        store.job(bob, a1.id).await.expect("read").is_none(),
        "not bob's job"
    );
    assert_eq!(store.queue_depth().await.expect("depth"), 3);
    let history = store.jobs_of(alice, 10).await.expect("history");
    assert_eq!(
        history.iter().map(|j| j.id).collect::<Vec<_>>(),
        [a2.id, a1.id]
    );
}
