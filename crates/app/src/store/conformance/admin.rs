//! Admin console stories, on every back-end: the dashboard's per-day aggregates, the
//! sweeper's run log, finding accounts, and jobs across accounts.

use super::jobs::{claim, result_for};
use super::{DAY, TestStore, stories};
use crate::domain::{Email, JobId, LotId, Role, Timestamp, UserId, UserScope};
use crate::store::{
    AccountStatus, DayCount, Job, JobStatus, NewJob, NewLot, NewUser, QueueLatency, QueueNow,
    Store, StyleOutcome, SweepRun, TokenFlow,
};

stories!(
    the_dashboard_counts_sign_ups_jobs_tokens_and_waits_per_utc_day,
    the_sweeper_log_keeps_only_the_latest_runs,
    accounts_are_found_by_part_of_their_address_with_their_balance,
);

/// 10:00 UTC on day 20,000 since the epoch: every event of a story falls on one day.
const BASE: i64 = 20_000 * DAY + 10 * 3_600_000;

fn at(offset_ms: i64) -> Timestamp {
    Timestamp::from_millis(BASE + offset_ms)
}

async fn person(store: &dyn Store, email: &str, created_at: Timestamp) -> UserScope {
    let id = UserId::new();
    let user = NewUser {
        id,
        email: Email::parse(email).expect("valid e-mail"),
        password_hash: "not-a-hash".into(),
        guardian_consent: false,
        wrapped_key: vec![0; 60],
        locale: None,
        created_at,
    };
    store.create_user(user, None).await.expect("create user");
    UserScope::trusted(id, Role::User)
}

async fn give(
    store: &dyn Store,
    user: UserScope,
    tokens: u32,
    source: &str,
    expires_at: Timestamp,
) {
    let lot = NewLot {
        id: LotId::new(),
        quantity: tokens,
        source: source.into(),
        created_at: at(0),
        expires_at,
    };
    store
        .grant_tokens(user.user_id(), lot)
        .await
        .expect("grant");
}

async fn enqueue(store: &dyn Store, user: UserScope, style: &str, now: Timestamp) -> Job {
    let job = NewJob {
        id: JobId::new(),
        upload_id: None,
        style: style.into(),
        intensity: 0.5,
        seed: 7,
        cost: 1,
        prompt: None,
    };
    store.enqueue_job(user, job, now).await.expect("enqueue")
}

/// Claims the one claimable job as `worker`, checking it is `job`.
async fn take(store: &dyn Store, job: &Job, worker: &str, now: Timestamp) {
    let claimed = store
        .claim_next_job(&claim(worker, 4), now)
        .await
        .expect("claim");
    assert_eq!(claimed.map(|j| j.id), Some(job.id));
}

async fn the_dashboard_counts_sign_ups_jobs_tokens_and_waits_per_utc_day(db: &TestStore) {
    let store = db.store.as_ref();
    let ada = person(store, "ada@example.org", at(0)).await;
    let bob = person(store, "bob@example.org", at(60_000)).await;
    person(store, "cy@example.org", at(DAY)).await;
    let later = at(30 * DAY);
    give(store, ada, 5, "purchase:p1", later).await;
    give(store, bob, 5, "operator", later).await;

    // Ada: one job fails after waiting 2 s, one succeeds after waiting 4 s.
    let failed = enqueue(store, ada, "rough-sketch", at(0)).await;
    take(store, &failed, "w1", at(2_000)).await;
    store
        .fail_job(failed.id, Some("w1"), "boom", at(3_000))
        .await
        .expect("fail");
    let done = enqueue(store, ada, "rough-sketch", at(1_000)).await;
    take(store, &done, "w1", at(5_000)).await;
    store
        .complete_job(done.id, "w1", &result_for(&done, at(6_000)), at(6_000))
        .await
        .expect("complete");
    // Bob: one runs after waiting 9 s, one is canceled, one waits.
    let running = enqueue(store, bob, "rough-sketch", at(0)).await;
    take(store, &running, "w2", at(9_000)).await;
    let canceled = enqueue(store, bob, "anime", at(100)).await;
    store
        .cancel_job(bob, canceled.id, at(200))
        .await
        .expect("cancel");
    let waiting = enqueue(store, bob, "rough-sketch", at(300)).await;

    let since = at(-DAY);
    let signups = store.signups_per_day(since).await.expect("signups");
    let signups_later = store.signups_per_day(at(DAY)).await.expect("signups");
    let styles = store.jobs_by_style(since).await.expect("styles");
    let flow = store.token_flow_per_day(since).await.expect("flow");
    let latency = store.queue_latency_per_day(since).await.expect("latency");
    let queue = store.queue_now().await.expect("queue");
    let running_jobs = store.running_jobs(10).await.expect("running");
    let failed_jobs = store.failed_jobs(10).await.expect("failed");
    let bobs = store.job_counts_of(bob.user_id()).await.expect("counts");

    let day = 20_000;
    assert_eq!(
        signups,
        vec![
            DayCount { day, count: 2 },
            DayCount {
                day: day + 1,
                count: 1
            }
        ]
    );
    assert_eq!(
        signups_later,
        vec![DayCount {
            day: day + 1,
            count: 1
        }]
    );
    let outcome = |style: &str, status, count| StyleOutcome {
        style: style.into(),
        status,
        count,
    };
    let mut styles = styles;
    styles.sort_by_key(|s| (s.style.clone(), s.status.as_str()));
    assert_eq!(
        styles,
        vec![
            outcome("anime", JobStatus::Canceled, 1),
            outcome("rough-sketch", JobStatus::Failed, 1),
            outcome("rough-sketch", JobStatus::Queued, 1),
            outcome("rough-sketch", JobStatus::Running, 1),
            outcome("rough-sketch", JobStatus::Succeeded, 1),
        ]
    );
    // Five spent, two given back (the failure and the cancel); only Ada's lot was bought.
    assert_eq!(
        flow,
        vec![TokenFlow {
            day,
            sold: 5,
            spent: 3
        }]
    );
    assert_eq!(
        latency,
        vec![QueueLatency {
            day,
            jobs: 3,
            p50_ms: 4_000,
            p95_ms: 9_000
        }]
    );
    assert_eq!(
        queue,
        QueueNow {
            queued: 1,
            running: 1
        }
    );
    assert_eq!(running_jobs.len(), 1);
    assert_eq!(running_jobs[0].id, running.id);
    assert_eq!(running_jobs[0].email, "bob@example.org");
    assert_eq!(running_jobs[0].worker.as_deref(), Some("w2"));
    assert_eq!(running_jobs[0].started_at, Some(at(9_000)));
    assert_eq!(failed_jobs.len(), 1);
    assert_eq!(failed_jobs[0].id, failed.id);
    assert_eq!(failed_jobs[0].error.as_deref(), Some("boom"));
    assert_eq!(failed_jobs[0].user_id, ada.user_id());
    let mut bobs = bobs;
    bobs.sort_by_key(|(status, _)| status.as_str());
    assert_eq!(
        bobs,
        vec![
            (JobStatus::Canceled, 1),
            (JobStatus::Queued, 1),
            (JobStatus::Running, 1)
        ]
    );
    let found = store.job_by_id(failed.id).await.expect("job");
    assert_eq!(
        found.map(|j| (j.status, j.user_id)),
        Some((JobStatus::Failed, ada.user_id()))
    );
    assert!(store.job_by_id(JobId::new()).await.expect("job").is_none());
    assert!(store.job_by_id(waiting.id).await.expect("job").is_some());
}

async fn the_sweeper_log_keeps_only_the_latest_runs(db: &TestStore) {
    let store = db.store.as_ref();
    let run = |minute: i64, removed: Vec<(String, u64)>, error: Option<&str>| SweepRun {
        started_at: at(minute * 60_000),
        finished_at: at(minute * 60_000 + 1_500),
        removed,
        error: error.map(str::to_owned),
    };
    let first = run(0, vec![("upload".into(), 3)], None);
    let second = run(1, Vec::new(), Some("storage unreachable"));
    let third = run(2, vec![("result".into(), 2), ("mail".into(), 40)], None);

    for r in [&first, &second, &third] {
        store.record_sweep_run(r, 2).await.expect("record");
    }
    let kept = store.sweep_runs(10).await.expect("runs");
    let newest = store.sweep_runs(1).await.expect("runs");

    assert_eq!(kept, vec![third.clone(), second]);
    assert_eq!(newest, vec![third]);
}

async fn accounts_are_found_by_part_of_their_address_with_their_balance(db: &TestStore) {
    let store = db.store.as_ref();
    let now = Timestamp::now();
    let ada = person(store, "ada.lovelace@example.org", at(0)).await;
    person(store, "grace@example.org", at(1_000)).await;
    person(store, "lovejoy@example.net", at(2_000)).await;
    give(
        store,
        ada,
        3,
        "operator",
        now.plus(std::time::Duration::from_secs(3600)),
    )
    .await;
    give(
        store,
        ada,
        2,
        "operator",
        Timestamp::from_millis(now.millis() - 1),
    )
    .await;

    let love = store.find_users("LOVE", 0, 10, now).await.expect("find");
    let all_first = store.find_users("", 0, 2, now).await.expect("find");
    let all_rest = store.find_users("", 2, 2, now).await.expect("find");
    let none = store.find_users("zzz", 0, 10, now).await.expect("find");
    let summary = store
        .user_summary(ada.user_id(), now)
        .await
        .expect("summary");
    let unknown = store
        .user_summary(UserId::new(), now)
        .await
        .expect("summary");

    let emails = |found: &[crate::store::UserSummary]| {
        found.iter().map(|u| u.email.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        emails(&love),
        ["lovejoy@example.net", "ada.lovelace@example.org"]
    );
    assert_eq!(
        emails(&all_first),
        ["lovejoy@example.net", "grace@example.org"]
    );
    assert_eq!(emails(&all_rest), ["ada.lovelace@example.org"]);
    assert!(none.is_empty());
    let summary = summary.expect("ada's summary");
    assert_eq!(summary.balance, 3, "expired lots do not count");
    assert_eq!(love[1], summary);
    assert_eq!(
        (summary.role, summary.status),
        (Role::User, AccountStatus::Active)
    );
    assert_eq!(summary.created_at, at(0));
    assert!(unknown.is_none());
}
