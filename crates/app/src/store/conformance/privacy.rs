//! Privacy stories on every back-end: choices and their history, restriction
//! holding the queue, erasure leaving only detached purchases, the farewell mail purged.

use sqlx::{Connection, PgConnection};

use super::rls::{USER_TABLES, rows_of, seed};
use super::{Backend, TestStore, stories, test_user};
use crate::domain::{ExportId, JobId, PurchaseId, Timestamp, UploadId, UserScope};
use crate::store::{
    AdminAction, ConsentKind, ConsentSource, ExportOutcome, ExportStatus, Mail, NewJob,
    NewPurchase, PrivacyChange, Store, StoreError, Upload,
};

stories!(
    only_real_changes_of_a_choice_are_recorded_in_order,
    a_paused_users_queued_jobs_wait_until_processing_resumes,
    erasure_removes_every_row_of_the_user_and_detaches_purchases,
    a_job_completed_after_erasure_writes_nothing,
    the_farewell_mail_is_deleted_once_sent,
    the_admin_audit_log_cannot_be_edited_and_forgets_an_erased_subject,
    mail_sent_or_given_up_on_long_ago_is_purged_and_pending_mail_stays,
    an_export_request_ends_once_is_seen_by_its_owner_only_and_expires,
    an_export_pending_too_long_is_failed_so_its_owner_can_ask_again,
);

fn set(kind: ConsentKind, value: bool) -> PrivacyChange {
    let mut change = PrivacyChange::default();
    match kind {
        ConsentKind::ProcessingPaused => change.processing_paused = Some(value),
        ConsentKind::AnalyticsOptOut => change.analytics_opt_out = Some(value),
        ConsentKind::MarketingOptIn => change.marketing_opt_in = Some(value),
    }
    change
}

async fn only_real_changes_of_a_choice_are_recorded_in_order(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let now = Timestamp::now();

    for (kind, value) in [
        (ConsentKind::AnalyticsOptOut, true),
        (ConsentKind::AnalyticsOptOut, true),
        (ConsentKind::MarketingOptIn, false),
        (ConsentKind::AnalyticsOptOut, false),
    ] {
        store
            .set_privacy(alice, &set(kind, value), ConsentSource::Web, now)
            .await
            .expect("set");
    }
    let history = store.consents_of(alice, 10).await.expect("history");
    let settings = store.privacy(alice).await.expect("settings");

    let seen: Vec<(ConsentKind, bool, &str)> = history
        .iter()
        .map(|c| (c.kind, c.value, c.source.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (ConsentKind::AnalyticsOptOut, true, "web"),
            (ConsentKind::AnalyticsOptOut, false, "web"),
        ]
    );
    assert_eq!(settings, Default::default());
}

async fn queued_job(store: &dyn Store, user: UserScope, now: Timestamp) -> JobId {
    store
        .grant_tokens(user.user_id(), super::lot(3, now, super::DAY))
        .await
        .expect("grant");
    let upload_id = UploadId::new();
    let upload = Upload {
        id: upload_id,
        user_id: user.user_id(),
        blob_key: format!("users/{}/uploads/{upload_id}", user.user_id()),
        width: 8,
        height: 8,
        faces: 0,
        created_at: now,
        expires_at: now.plus(std::time::Duration::from_secs(3600)),
    };
    store.insert_upload(user, &upload).await.expect("upload");
    let job = NewJob {
        id: JobId::new(),
        upload_id: Some(upload_id),
        style: "anime".into(),
        intensity: 1.0,
        seed: 1,
        cost: 1,
        prompt: None,
    };
    store.enqueue_job(user, job, now).await.expect("enqueue").id
}

async fn a_paused_users_queued_jobs_wait_until_processing_resumes(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let now = Timestamp::now();
    let job = queued_job(store, alice, now).await;
    let claim = super::jobs::claim("w", 1);

    store
        .set_privacy(
            alice,
            &set(ConsentKind::ProcessingPaused, true),
            ConsentSource::Api,
            now,
        )
        .await
        .expect("pause");
    let while_paused = store.claim_next_job(&claim, now).await.expect("claim");
    store
        .set_privacy(
            alice,
            &set(ConsentKind::ProcessingPaused, false),
            ConsentSource::Api,
            now,
        )
        .await
        .expect("resume");
    let after = store.claim_next_job(&claim, now).await.expect("claim");

    assert!(while_paused.is_none());
    assert_eq!(after.map(|j| j.id), Some(job));
}

fn farewell(to: &str) -> Mail {
    Mail {
        recipient: to.to_owned(),
        subject: "deleted".into(),
        body: "gone".into(),
        html: Some("<p>gone</p>".into()),
    }
}

async fn erasure_removes_every_row_of_the_user_and_detaches_purchases(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        test_user(store, "alice").await,
        test_user(store, "bob").await,
    );
    seed(db, alice).await;
    seed(db, bob).await;
    let now = Timestamp::now();
    let queued = queued_job(store, alice, now).await;
    let purchase = NewPurchase {
        id: PurchaseId::new(),
        pack_id: "5-tokens".into(),
        tokens: 5,
        amount: 500,
        currency: "eur".into(),
        valid_days: 182,
        created_at: now,
    };
    store
        .create_purchase(alice, &purchase)
        .await
        .expect("purchase");
    let email = store.user(alice).await.expect("user").email;

    let canceled = store.begin_erasure(alice, now).await.expect("begin");
    let job = store.job(alice, queued).await.expect("read").expect("job");
    store
        .erase_user(alice, Some(&farewell(&email)), now)
        .await
        .expect("erase");

    assert_eq!(canceled, 1);
    assert_eq!(job.job.status, crate::store::JobStatus::Canceled);
    assert!(matches!(store.user(alice).await, Err(StoreError::NotFound)));
    assert_eq!(store.wrapped_key(alice.user_id()).await.expect("key"), None);
    let kept = store
        .purchase_by_id(purchase.id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!((kept.user_id, kept.amount), (None, 500));
    assert!(
        store.lots(bob).await.expect("bob's lots").len() == 1,
        "bob keeps his rows"
    );
    if let Backend::Postgres(pg) = &db.backend {
        let mut admin = PgConnection::connect(&pg.url).await.expect("admin");
        for (table, column) in USER_TABLES {
            assert_eq!(
                rows_of(&mut admin, table, column, alice).await,
                0,
                "{table}"
            );
            assert!(
                rows_of(&mut admin, table, column, bob).await > 0,
                "{table} of bob"
            );
        }
    }
}

async fn a_job_completed_after_erasure_writes_nothing(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let now = Timestamp::now();
    queued_job(store, alice, now).await;
    let running = store
        .claim_next_job(&super::jobs::claim("w", 1), now)
        .await
        .expect("claim")
        .expect("a job");
    let email = store.user(alice).await.expect("user").email;

    store.begin_erasure(alice, now).await.expect("begin");
    store
        .erase_user(alice, Some(&farewell(&email)), now)
        .await
        .expect("erase");
    let late = super::jobs::result_for(&running, now);
    let completed = store.complete_job(running.id, "w", &late, now).await;

    assert!(
        matches!(completed, Err(StoreError::NotFound)),
        "{completed:?}"
    );
    assert_eq!(store.queue_depth().await.expect("depth"), 0);
}

async fn the_farewell_mail_is_deleted_once_sent(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let email = store.user(alice).await.expect("user").email;
    let now = Timestamp::now();
    store
        .enqueue_mail(&farewell(&email), now)
        .await
        .expect("an earlier mail");

    store.begin_erasure(alice, now).await.expect("begin");
    store
        .erase_user(alice, Some(&farewell(&email)), now)
        .await
        .expect("erase");
    let pending = store.pending_mail(now, 10).await.expect("outbox");
    let queued: Vec<i64> = pending
        .iter()
        .filter(|m| m.mail.recipient == email)
        .map(|m| m.id)
        .collect();
    store.mark_mail_sent(queued[0], now).await.expect("sent");
    let after = store.pending_mail(now, 10).await.expect("outbox");

    assert_eq!(
        queued.len(),
        1,
        "the earlier mail to the address is dropped"
    );
    assert!(after.iter().all(|m| m.mail.recipient != email));
}

/// Runs `sql` as the database's owner (SQLite file / PostgreSQL admin): `true` if it worked.
pub(super) async fn raw_succeeds(db: &TestStore, sql: &str) -> bool {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match &db.backend {
        Backend::Sqlite(dir) => {
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
            sqlx::query(sql).execute(&mut conn).await.is_ok()
        }
        Backend::Postgres(pg) => {
            let mut conn = PgConnection::connect(&pg.url).await.expect("admin");
            sqlx::query(sql).execute(&mut conn).await.is_ok()
        }
    }
}

async fn the_admin_audit_log_cannot_be_edited_and_forgets_an_erased_subject(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let email = store.user(alice).await.expect("user").email;
    let now = Timestamp::now();
    let entry = AdminAction {
        at: now,
        actor: "cli".into(),
        action: "grant".into(),
        subject: Some(alice.user_id()),
        detail: "4 tokens".into(),
    };
    store.record_admin_action(&entry).await.expect("record");

    let edited = raw_succeeds(db, "UPDATE admin_audit SET detail = 'nothing'").await;
    let deleted = raw_succeeds(db, "DELETE FROM admin_audit").await;
    store.begin_erasure(alice, now).await.expect("begin");
    store
        .erase_user(alice, Some(&farewell(&email)), now)
        .await
        .expect("erase");
    let log = store.admin_actions(10).await.expect("log");

    assert!(!edited && !deleted, "the log is append-only");
    assert_eq!(
        log,
        vec![AdminAction {
            subject: None,
            ..entry
        }]
    );
}

async fn mail_sent_or_given_up_on_long_ago_is_purged_and_pending_mail_stays(db: &TestStore) {
    let store = db.store.as_ref();
    let long_ago = Timestamp::from_millis(Timestamp::now().millis() - 40 * super::DAY);
    let now = Timestamp::now();
    for to in [
        "sent@example.org",
        "failed@example.org",
        "fresh@example.org",
        "pending@example.org",
    ] {
        store
            .enqueue_mail(&farewell(to), long_ago)
            .await
            .expect("enqueue");
    }
    let queued = store.pending_mail(now, 10).await.expect("outbox");
    let id_of = |to: &str| {
        queued
            .iter()
            .find(|m| m.mail.recipient == to)
            .map(|m| m.id)
            .expect("queued")
    };
    store
        .mark_mail_sent(id_of("sent@example.org"), long_ago)
        .await
        .expect("sent");
    store
        .mark_mail_failed(id_of("failed@example.org"), "refused", None, long_ago)
        .await
        .expect("failed");
    store
        .mark_mail_sent(id_of("fresh@example.org"), now)
        .await
        .expect("sent");

    let cutoff = Timestamp::from_millis(now.millis() - 30 * super::DAY);
    let purged = store.purge_mail(cutoff).await.expect("purge");
    let again = store.purge_mail(cutoff).await.expect("purge");
    let left = store.pending_mail(now, 10).await.expect("outbox");

    assert_eq!((purged, again), (2, 0));
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].mail.recipient, "pending@example.org");
}

async fn an_export_request_ends_once_is_seen_by_its_owner_only_and_expires(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        test_user(store, "alice").await,
        test_user(store, "bob").await,
    );
    let now = Timestamp::now();
    let later = Timestamp::from_millis(now.millis() + super::DAY);
    let (ready, failed) = (ExportId::new(), ExportId::new());
    let asked = store
        .create_export(alice, ready, now, later)
        .await
        .expect("ask");
    let while_pending = store.create_export(alice, failed, now, later).await;
    let bobs_own = store.create_export(bob, ExportId::new(), now, later).await;
    let outcome = ExportOutcome::Ready {
        blob_key: "users/x/exports/y.zip".into(),
        bytes: 42,
    };

    let done = store
        .finish_export(alice, ready, &outcome, now)
        .await
        .expect("finish");
    store
        .create_export(alice, failed, now, later)
        .await
        .expect("ask again once ready");
    let twice = store.finish_export(alice, ready, &outcome, now).await;
    let by_bob = store.finish_export(bob, failed, &outcome, now).await;
    let gave_up = ExportOutcome::Failed { error: "no".into() };
    store
        .finish_export(alice, failed, &gave_up, now)
        .await
        .expect("fail");
    let listed = store.export_requests_of(alice, 10).await.expect("list");
    let bob_sees = store.export_request(bob, ready).await.expect("read");
    let expired_now = store.expired_exports(now, 10).await.expect("expired");
    let expired_later = store.expired_exports(later, 10).await.expect("expired");
    for row in &expired_later {
        store.forget_export(row.id).await.expect("forget");
    }

    assert_eq!(asked.status, ExportStatus::Pending);
    assert!(
        matches!(while_pending, Err(StoreError::Conflict)),
        "{while_pending:?}"
    );
    assert!(bobs_own.is_ok(), "the limit is per user");
    assert_eq!(
        (done.status, done.bytes, done.blob_key.as_deref()),
        (ExportStatus::Ready, Some(42), Some("users/x/exports/y.zip"))
    );
    assert!(matches!(twice, Err(StoreError::WrongState)), "{twice:?}");
    assert!(matches!(by_bob, Err(StoreError::NotFound)), "{by_bob:?}");
    assert_eq!(listed.len(), 2);
    assert!(bob_sees.is_none());
    assert!(expired_now.is_empty());
    assert_eq!(expired_later.len(), 3, "alice's two and bob's one");
    assert!(
        store
            .export_requests_of(alice, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        !store
            .blob_key_in_use("users/x/exports/y.zip")
            .await
            .expect("in use")
    );
}

async fn an_export_pending_too_long_is_failed_so_its_owner_can_ask_again(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let now = Timestamp::now();
    let hour_ago = Timestamp::from_millis(now.millis() - 3_600_000);
    let later = Timestamp::from_millis(now.millis() + super::DAY);
    let (stale, fresh) = (ExportId::new(), ExportId::new());
    store
        .create_export(alice, stale, hour_ago, later)
        .await
        .expect("ask");

    let cutoff = Timestamp::from_millis(now.millis() - 60_000);
    let failed = store
        .fail_stale_exports(cutoff, now)
        .await
        .expect("fail stale");
    let again = store.create_export(alice, fresh, now, later).await;
    let untouched = store
        .fail_stale_exports(cutoff, now)
        .await
        .expect("fail stale");

    assert_eq!((failed, untouched), (1, 0));
    let old = store
        .export_request(alice, stale)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(old.status, ExportStatus::Failed);
    assert!(old.error.is_some_and(|e| e.contains("ask again")));
    assert_eq!(again.expect("asked again").status, ExportStatus::Pending);
}
