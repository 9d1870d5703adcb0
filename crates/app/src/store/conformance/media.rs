//! Upload, result, retention and audit stories (C8), on every back-end.

use std::time::Duration;

use super::{TestStore, stories, test_user};
use crate::domain::{JobId, ResultId, Timestamp, UploadId, UserScope};
use crate::store::{AccessEntry, Mail, ResultRecord, Store, Upload};

stories!(
    a_user_sees_and_deletes_only_their_own_uploads,
    the_sweeper_finds_expired_rows_and_forgets_them,
    results_are_scoped_and_keyed_once_per_job,
    mail_waits_in_the_outbox_until_sent,
    the_access_log_is_private_and_purged_by_age,
);

const HOUR: Duration = Duration::from_secs(3600);

async fn upload(store: &dyn Store, user: UserScope, now: Timestamp, ttl: Duration) -> Upload {
    let id = UploadId::new();
    let upload = Upload {
        id,
        user_id: user.user_id(),
        blob_key: format!("uploads/{id}"),
        width: 640,
        height: 480,
        faces: 1,
        created_at: now,
        expires_at: now.plus(ttl),
    };
    store
        .insert_upload(user, &upload)
        .await
        .expect("insert upload");
    upload
}

async fn a_user_sees_and_deletes_only_their_own_uploads(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        test_user(store, "alice").await,
        test_user(store, "bob").await,
    );
    let now = Timestamp::now();
    let mine = upload(store, alice, now, HOUR).await;

    let seen_by_bob = store.upload(bob, mine.id).await.expect("read");
    let deleted_by_bob = store.delete_upload(bob, mine.id).await.expect("delete");
    let seen_by_alice = store.upload(alice, mine.id).await.expect("read");
    let listed = store.uploads_of(alice, 10).await.expect("list");
    let deleted = store.delete_upload(alice, mine.id).await.expect("delete");

    assert!(seen_by_bob.is_none());
    assert!(!deleted_by_bob);
    let seen = seen_by_alice.expect("alice sees hers");
    assert_eq!((seen.width, seen.height, seen.faces), (640, 480, 1));
    assert_eq!(listed.iter().map(|u| u.id).collect::<Vec<_>>(), [mine.id]);
    assert!(deleted);
    assert!(store.uploads_of(bob, 10).await.expect("list").is_empty());
}

async fn the_sweeper_finds_expired_rows_and_forgets_them(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let now = Timestamp::now();
    let old = upload(store, alice, now, HOUR).await;
    let fresh = upload(store, alice, now, 48 * HOUR).await;
    let later = now.plus(2 * HOUR);

    let expired = store.expired_uploads(later, 10).await.expect("expired");
    let in_use_before = store.blob_key_in_use(&old.blob_key).await.expect("in use");
    store.forget_upload(&expired[0].id).await.expect("forget");

    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].id, old.id.to_string());
    assert_eq!(
        (expired[0].user_id, expired[0].blob_key.as_str()),
        (alice.user_id(), old.blob_key.as_str())
    );
    assert!(in_use_before);
    assert!(!store.blob_key_in_use(&old.blob_key).await.expect("in use"));
    assert!(
        store
            .blob_key_in_use(&fresh.blob_key)
            .await
            .expect("in use")
    );
    assert!(
        store
            .expired_uploads(later, 10)
            .await
            .expect("expired")
            .is_empty()
    );
}

async fn results_are_scoped_and_keyed_once_per_job(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        test_user(store, "alice").await,
        test_user(store, "bob").await,
    );
    let now = Timestamp::now();
    store
        .grant_tokens(alice.user_id(), super::lot(1, now, super::DAY))
        .await
        .expect("grant");
    let new_job = crate::store::NewJob {
        id: JobId::new(),
        upload_id: None,
        style: "anime".into(),
        intensity: 1.0,
        seed: 1,
        cost: 1,
        prompt: None,
    };
    let job = store
        .enqueue_job(alice, new_job, now)
        .await
        .expect("enqueue");
    let claim = crate::store::Claim {
        worker: "w".into(),
        lease: HOUR,
        per_user_concurrency: 1,
        max_attempts: 3,
    };
    store.claim_next_job(&claim, now).await.expect("claim");
    let record = ResultRecord {
        id: ResultId::new(),
        job_id: job.id,
        user_id: alice.user_id(),
        blob_key: "results/one".into(),
        width: 32,
        height: 32,
        created_at: now,
        expires_at: now.plus(HOUR),
        saved_at: None,
        saved_until: None,
        deletes_at: None,
    };
    let id = store
        .complete_job(job.id, "w", &record, now)
        .await
        .expect("complete");

    assert!(store.result(bob, id).await.expect("read").is_none());
    assert!(!store.delete_result(bob, id).await.expect("delete"));
    assert_eq!(
        store
            .result(alice, id)
            .await
            .expect("read")
            .map(|r| r.job_id),
        Some(job.id)
    );
    let expired = store
        .expired_results(now.plus(2 * HOUR), 10)
        .await
        .expect("expired");
    assert_eq!(
        expired.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        [id.to_string()]
    );
    store.forget_result(&id.to_string()).await.expect("forget");
    assert!(store.results_of(alice, 10).await.expect("list").is_empty());
}

async fn mail_waits_in_the_outbox_until_sent(db: &TestStore) {
    let store = db.store.as_ref();
    let now = Timestamp::now();
    let mail = |n: u32| Mail {
        recipient: format!("user{n}@example.org"),
        subject: format!("subject {n}"),
        body: "body".into(),
        // One without and one with an HTML part: both come back as written.
        html: (n == 2).then(|| format!("<p>body {n}</p>")),
    };
    store.enqueue_mail(&mail(1), now).await.expect("enqueue");
    store.enqueue_mail(&mail(2), now).await.expect("enqueue");

    let pending = store.pending_mail(now, 10).await.expect("pending");
    store
        .mark_mail_sent(pending[0].id, now)
        .await
        .expect("sent");
    let left = store.pending_mail(now, 10).await.expect("pending");
    let retry_at = now.plus(HOUR);
    store
        .mark_mail_failed(left[0].id, "451 try later", Some(retry_at), now)
        .await
        .expect("failed once");
    let waiting = store.pending_mail(now, 10).await.expect("pending");
    let due = store.pending_mail(retry_at, 10).await.expect("pending");
    store
        .mark_mail_failed(due[0].id, "550 no such user", None, retry_at)
        .await
        .expect("given up");
    let never = store
        .pending_mail(retry_at.plus(HOUR * 48), 10)
        .await
        .expect("pending");

    assert_eq!(
        pending.iter().map(|p| p.mail.clone()).collect::<Vec<_>>(),
        [mail(1), mail(2)]
    );
    assert_eq!(
        left.into_iter().map(|p| p.mail).collect::<Vec<_>>(),
        [mail(2)]
    );
    assert!(waiting.is_empty(), "not before its retry time");
    assert_eq!((due.len(), due[0].attempts), (1, 1));
    assert!(never.is_empty(), "given up for good");
}

async fn the_access_log_is_private_and_purged_by_age(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        test_user(store, "alice").await,
        test_user(store, "bob").await,
    );
    let now = Timestamp::now();
    let entry = |at: Timestamp, user: UserScope, route: &str| AccessEntry {
        at,
        ip: Some("192.0.2.1".into()),
        user_agent: None,
        method: "GET".into(),
        route: route.into(),
        status: 200,
        user_id: Some(user.user_id()),
    };
    let old = Timestamp::from_millis(now.millis() - 1_000_000);
    store
        .record_access(&entry(old, alice, "/old"))
        .await
        .expect("record");
    store
        .record_access(&entry(now, alice, "/new"))
        .await
        .expect("record");
    store
        .record_access(&entry(now, bob, "/bobs"))
        .await
        .expect("record");

    let before = store.access_log_of(alice, 10).await.expect("log");
    let purged = store.purge_access_log(now).await.expect("purge");
    let after = store.access_log_of(alice, 10).await.expect("log");

    let routes = |log: &[AccessEntry]| log.iter().map(|e| e.route.clone()).collect::<Vec<_>>();
    assert_eq!(routes(&before), ["/new", "/old"]);
    assert_eq!(purged, 1);
    assert_eq!(routes(&after), ["/new"]);
    assert_eq!(after[0].status, 200);
}
