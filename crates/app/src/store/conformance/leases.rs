//! Job queue stories about time and contention (C7), on every back-end: leases that run out,
//! give-up with refund, retries with backoff, many claimers at once, wake-ups.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::jobs::{LEASE, claim, claim_id, enqueue, funded_user};
use super::{TestStore, stories};
use crate::domain::{JobId, Timestamp};
use crate::store::JobStatus;

stories!(
    an_expired_lease_is_claimed_again_and_the_last_attempt_is_refunded,
    a_retried_job_waits_for_its_backoff_and_a_failure_refunds_it,
    concurrent_claims_never_share_a_job_nor_break_the_cap,
    an_enqueue_wakes_idle_workers,
);

async fn an_expired_lease_is_claimed_again_and_the_last_attempt_is_refunded(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = funded_user(store, "alice", 1).await;
    let now = Timestamp::now();
    let job = enqueue(store, alice, now).await;
    let later = |leases: u32| now.plus(LEASE * leases + Duration::from_secs(u64::from(leases)));

    let first = store
        .claim_next_job(&claim("w1", 1), now)
        .await
        .expect("claim");
    let second = store
        .claim_next_job(&claim("w2", 1), later(1))
        .await
        .expect("claim");
    let third = store
        .claim_next_job(&claim("w3", 1), later(2))
        .await
        .expect("claim");

    assert_eq!(first.map(|j| (j.id, j.attempts)), Some((job.id, 1)));
    assert_eq!(second.map(|j| (j.id, j.attempts)), Some((job.id, 2)));
    assert!(third.is_none(), "{third:?}");
    let view = store.job(alice, job.id).await.expect("read").expect("job");
    assert_eq!(view.job.status, JobStatus::Failed);
    assert_eq!(store.balance(alice, later(2)).await.expect("balance"), 1);
    let heartbeat = store.heartbeat_job(job.id, "w2", 0.5, later(3)).await;
    assert!(
        !heartbeat.expect("heartbeat"),
        "a failed job keeps no lease"
    );
}

async fn a_retried_job_waits_for_its_backoff_and_a_failure_refunds_it(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = funded_user(store, "alice", 1).await;
    let now = Timestamp::now();
    let job = enqueue(store, alice, now).await;
    store
        .claim_next_job(&claim("w", 1), now)
        .await
        .expect("claim");
    let backoff = now.plus(Duration::from_secs(30));

    store
        .retry_job(job.id, "w", "storage hiccup", backoff)
        .await
        .expect("retry");
    let early = claim_id(store, &claim("w", 1), now).await;
    let on_time = claim_id(store, &claim("w", 1), backoff).await;
    store
        .fail_job(job.id, Some("w"), "broken input", backoff)
        .await
        .expect("fail");

    assert_eq!((early, on_time), (None, Some(job.id)));
    let view = store.job(alice, job.id).await.expect("read").expect("job");
    assert_eq!(view.job.status, JobStatus::Failed);
    assert_eq!(view.job.error.as_deref(), Some("broken input"));
    assert_eq!(store.balance(alice, backoff).await.expect("balance"), 1);
}

async fn concurrent_claims_never_share_a_job_nor_break_the_cap(db: &TestStore) {
    let mut users = Vec::new();
    let now = Timestamp::now();
    for n in 0..5 {
        let user = funded_user(db.store.as_ref(), &format!("user{n}"), 4).await;
        for _ in 0..4 {
            enqueue(db.store.as_ref(), user, now).await;
        }
        users.push(user);
    }

    let claimers: Vec<_> = (0..8)
        .map(|n| {
            let store = Arc::clone(&db.store);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(job) = store
                    .claim_next_job(&claim(&format!("w{n}"), 1), now)
                    .await
                    .expect("claim")
                {
                    mine.push(job);
                }
                mine
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for claimer in claimers {
        claimed.extend(claimer.await.expect("claimer ran"));
    }

    let ids: HashSet<JobId> = claimed.iter().map(|j| j.id).collect();
    assert_eq!(ids.len(), claimed.len(), "a job was claimed twice");
    let owners: HashSet<_> = claimed.iter().map(|j| j.user_id).collect();
    assert_eq!(
        (claimed.len(), owners.len()),
        (5, 5),
        "one running job per user"
    );
}

async fn an_enqueue_wakes_idle_workers(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = funded_user(store, "alice", 10).await;
    let mut wake = store.job_wakeups().expect("both back-ends signal work");

    // The listener may still be connecting: a notification sent before it listens is lost
    // (the poll covers that in production), so try a few enqueues.
    let mut woke = false;
    for _ in 0..10 {
        wake.borrow_and_update();
        enqueue(store, alice, Timestamp::now()).await;
        if tokio::time::timeout(Duration::from_millis(500), wake.changed())
            .await
            .is_ok()
        {
            woke = true;
            break;
        }
    }

    assert!(woke, "no wake-up after an enqueue");
}

/// Two nodes on one PostgreSQL database: the second opens it (reapplying roles and policies
/// while the first is connected) and its idle workers wake on the first node's enqueue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enqueue_on_one_postgres_node_wakes_the_workers_of_another() {
    let Some(db) = super::postgres().await else {
        return;
    };
    let super::Backend::Postgres(pg) = &db.backend else {
        panic!("a PostgreSQL store");
    };
    let other_node = pg.open().await;
    let alice = funded_user(db.store.as_ref(), "alice", 10).await;
    let mut wake = crate::store::JobStore::job_wakeups(&other_node).expect("a signal");

    let mut woke = false;
    for _ in 0..10 {
        wake.borrow_and_update();
        enqueue(db.store.as_ref(), alice, Timestamp::now()).await;
        if tokio::time::timeout(Duration::from_millis(500), wake.changed())
            .await
            .is_ok()
        {
            woke = true;
            break;
        }
    }
    let claimed = claim_id(&other_node, &claim("other-node", 1), Timestamp::now()).await;

    assert!(woke, "no wake-up reached the other node");
    assert!(claimed.is_some(), "the other node claims the job");
}
