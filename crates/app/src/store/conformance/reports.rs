//! Abuse report stories on every back-end: only the owner of an item can report
//! it, admins see the queue open-first with the owners' accounts, a decision is recorded, and
//! erasure detaches a report instead of deleting it.

use super::rls::seed;
use super::{TestStore, stories, test_user};
use crate::domain::{ReportId, Timestamp, UserScope};
use crate::store::{
    AccountStatus, NewReport, ReportReason, ReportStatus, ReportedKind, Store, StoreError,
};

stories!(
    only_the_owner_of_an_item_can_report_it,
    admins_see_open_reports_first_with_the_owners_account_and_decide,
    erasure_detaches_a_report_and_clears_its_details_and_item,
);

fn report(kind: ReportedKind, item: uuid::Uuid, reason: ReportReason, at: i64) -> NewReport {
    NewReport {
        id: ReportId::new(),
        kind,
        item_id: item,
        reason,
        details: "she did not agree".into(),
        created_at: Timestamp::from_millis(at),
    }
}

/// The user's seeded portrait (`seed` gives every user one upload and one result).
async fn portrait(store: &dyn Store, user: UserScope) -> uuid::Uuid {
    store.results_of(user, 1).await.expect("results")[0]
        .id
        .as_uuid()
}

async fn only_the_owner_of_an_item_can_report_it(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        test_user(store, "alice").await,
        test_user(store, "bob").await,
    );
    seed(db, alice).await;
    let item = portrait(store, alice).await;
    let now = Timestamp::now().millis();

    let by_bob = store
        .create_report(
            bob,
            &report(ReportedKind::Result, item, ReportReason::Sexual, now),
        )
        .await;
    let wrong_kind = store
        .create_report(
            alice,
            &report(ReportedKind::Upload, item, ReportReason::Sexual, now),
        )
        .await;
    let filed = store
        .create_report(
            alice,
            &report(ReportedKind::Result, item, ReportReason::Sexual, now),
        )
        .await
        .expect("alice reports her portrait");
    let alices = store.reports_of(alice, 10).await.expect("alice's reports");
    let bobs = store.reports_of(bob, 10).await.expect("bob's reports");

    assert!(matches!(by_bob, Err(StoreError::NotFound)));
    assert!(matches!(wrong_kind, Err(StoreError::NotFound)));
    assert_eq!(
        (filed.status, filed.reason, filed.kind, filed.item_id),
        (
            ReportStatus::Open,
            ReportReason::Sexual,
            ReportedKind::Result,
            Some(item)
        )
    );
    assert_eq!(filed.user_id, Some(alice.user_id()));
    // The seeded report (about the upload) and this one, newest first.
    assert_eq!(alices.len(), 2);
    assert!(alices.contains(&filed));
    assert!(bobs.is_empty());
}

async fn admins_see_open_reports_first_with_the_owners_account_and_decide(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    seed(db, alice).await;
    let item = portrait(store, alice).await;
    let older = store
        .create_report(
            alice,
            &report(ReportedKind::Result, item, ReportReason::Minor, 1_000),
        )
        .await
        .expect("older");
    let newer = store
        .create_report(
            alice,
            &report(ReportedKind::Result, item, ReportReason::Other, 2_000),
        )
        .await
        .expect("newer");
    let now = Timestamp::now();

    let dismissed = store
        .resolve_report(newer.id, ReportStatus::Dismissed, now)
        .await
        .expect("dismiss");
    store
        .set_role_and_status(
            alice.user_id(),
            crate::domain::Role::User,
            AccountStatus::Suspended,
        )
        .await
        .expect("suspend");
    let queue = store.all_reports(10).await.expect("queue");
    let one = store
        .report_by_id(older.id)
        .await
        .expect("report")
        .expect("found");
    let unknown = store
        .resolve_report(ReportId::new(), ReportStatus::Removed, now)
        .await;

    assert_eq!(dismissed.status, ReportStatus::Dismissed);
    assert_eq!(dismissed.resolved_at, Some(now));
    let order: Vec<ReportStatus> = queue.iter().map(|row| row.report.status).collect();
    assert_eq!(
        order,
        [
            ReportStatus::Open,
            ReportStatus::Open,
            ReportStatus::Dismissed
        ],
        "open first (the seeded one is newest)"
    );
    assert_eq!(queue[1].report.id, older.id);
    let owner = one.owner.expect("the owner's account");
    assert_eq!(owner.id, alice.user_id());
    assert!(owner.email.starts_with("alice."));
    assert_eq!(owner.status, AccountStatus::Suspended);
    assert_eq!(one.report.details, "she did not agree");
    assert!(matches!(unknown, Err(StoreError::NotFound)));
}

async fn erasure_detaches_a_report_and_clears_its_details_and_item(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        test_user(store, "alice").await,
        test_user(store, "bob").await,
    );
    seed(db, alice).await;
    seed(db, bob).await;
    let item = portrait(store, alice).await;
    let filed = store
        .create_report(
            alice,
            &report(ReportedKind::Result, item, ReportReason::Consent, 5),
        )
        .await
        .expect("report");
    let now = Timestamp::now();

    store.begin_erasure(alice, now).await.expect("begin");
    store.erase_user(alice, None, now).await.expect("erase");
    let kept = store
        .report_by_id(filed.id)
        .await
        .expect("report")
        .expect("kept for the admins");
    let bobs = store.reports_of(bob, 10).await.expect("bob's");

    assert!(kept.owner.is_none());
    assert_eq!(kept.report.user_id, None);
    assert_eq!(kept.report.details, "");
    assert_eq!(
        kept.report.item_id, None,
        "the erased user's portrait id is gone"
    );
    assert_eq!(
        (kept.report.reason, kept.report.status),
        (ReportReason::Consent, ReportStatus::Open)
    );
    assert_eq!(bobs.len(), 1);
    assert_eq!(
        bobs[0].details, "seed",
        "another user's report is untouched"
    );
    assert!(
        bobs[0].item_id.is_some(),
        "another user's report keeps its item"
    );
}
