//! Prompt stories, on every back-end: a job keeps its prompt while its result
//! lives; deleting the result (by its owner or the sweeper) clears it, and the sweeper
//! clears the prompts of jobs that ended without a result once they are as old as a result
//! would be at expiry.

use super::jobs::{funded_user, result_for};
use super::{TestStore, stories};
use crate::domain::{JobId, Timestamp, UserScope};
use crate::store::{Claim, Job, NewJob, Store};

stories!(
    a_prompt_is_kept_with_its_job_and_shown_only_to_its_owner,
    deleting_a_result_deletes_its_prompt,
    the_sweeper_forgets_the_prompt_with_the_result,
    prompts_of_jobs_without_results_are_cleared_at_the_result_deadline,
);

const PROMPT: &str = "a lighthouse at dusk, 灯台, 등대";

async fn enqueue_with_prompt(store: &dyn Store, user: UserScope, now: Timestamp) -> Job {
    let job = NewJob {
        id: JobId::new(),
        upload_id: None,
        style: "dream".into(),
        intensity: 0.5,
        seed: 7,
        cost: 1,
        prompt: Some(PROMPT.into()),
    };
    store.enqueue_job(user, job, now).await.expect("enqueue")
}

fn claim() -> Claim {
    Claim {
        worker: "w".into(),
        lease: std::time::Duration::from_secs(60),
        per_user_concurrency: 4,
        max_attempts: 3,
    }
}

/// Enqueues, claims and completes a prompt job; returns it as its owner sees it.
async fn finished(store: &dyn Store, user: UserScope, now: Timestamp) -> Job {
    let job = enqueue_with_prompt(store, user, now).await;
    let claimed = store
        .claim_next_job(&claim(), now)
        .await
        .expect("claim")
        .expect("a job");
    store
        .complete_job(claimed.id, "w", &result_for(&claimed, now), now)
        .await
        .expect("complete");
    store
        .job(user, job.id)
        .await
        .expect("read")
        .expect("the job")
        .job
}

async fn a_prompt_is_kept_with_its_job_and_shown_only_to_its_owner(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        funded_user(store, "alice", 2).await,
        funded_user(store, "bob", 2).await,
    );
    let now = Timestamp::now();

    let job = enqueue_with_prompt(store, alice, now).await;
    let listed = store.jobs_of(alice, 10).await.expect("list");
    let seen_by_bob = store.job(bob, job.id).await.expect("read");

    assert_eq!(job.prompt.as_deref(), Some(PROMPT));
    assert_eq!(listed[0].prompt.as_deref(), Some(PROMPT));
    assert!(seen_by_bob.is_none());
}

async fn deleting_a_result_deletes_its_prompt(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = funded_user(store, "alice", 2).await;
    let now = Timestamp::now();
    let job = finished(store, alice, now).await;
    assert_eq!(job.prompt.as_deref(), Some(PROMPT));
    let result = job.result_id.expect("a result");

    let deleted = store.delete_result(alice, result).await.expect("delete");
    let after = store.job(alice, job.id).await.expect("read").expect("job");

    assert!(deleted);
    assert_eq!(after.job.prompt, None);
}

async fn the_sweeper_forgets_the_prompt_with_the_result(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = funded_user(store, "alice", 2).await;
    let now = Timestamp::now();
    let job = finished(store, alice, now).await;
    let result = job.result_id.expect("a result");

    store
        .forget_result(&result.to_string())
        .await
        .expect("forget");
    let after = store.job(alice, job.id).await.expect("read").expect("job");

    assert_eq!(after.job.prompt, None);
}

async fn prompts_of_jobs_without_results_are_cleared_at_the_result_deadline(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = funded_user(store, "alice", 3).await;
    let now = Timestamp::now();
    let failed = enqueue_with_prompt(store, alice, now).await;
    store
        .fail_job(failed.id, None, "the back-end failed", now)
        .await
        .expect("fail");
    let succeeded = finished(store, alice, now).await;

    let too_early = store.forget_stale_prompts(now).await.expect("sweep");
    let cleared = store
        .forget_stale_prompts(now.plus(std::time::Duration::from_secs(1)))
        .await
        .expect("sweep");
    let failed_after = store
        .job(alice, failed.id)
        .await
        .expect("read")
        .expect("job");
    let succeeded_after = store
        .job(alice, succeeded.id)
        .await
        .expect("read")
        .expect("job");

    assert_eq!(too_early, 0);
    assert_eq!(cleared, 1);
    assert_eq!(failed_after.job.prompt, None);
    // Its result still lives: so does its prompt.
    assert_eq!(succeeded_after.job.prompt.as_deref(), Some(PROMPT));
}
