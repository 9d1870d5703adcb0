//! Retention beyond images, on every back-end: expired lots lose their details but
//! not their amounts, the ledger allows no other change, usage analytics follow the user's
//! choice and their age, and operators revoke unspent tokens all or nothing.

use super::jobs::enqueue;
use super::privacy::raw_succeeds;
use super::{DAY, TestStore, lot, stories, test_user};
use crate::domain::{JobId, Timestamp};
use crate::store::{ConsentSource, LedgerKind, PrivacyChange, StoreError, UsageKind};

stories!(
    an_expired_lots_details_are_purged_once_and_its_amounts_stay,
    a_lot_a_queued_job_spent_from_keeps_its_details_until_the_job_ends,
    the_ledger_allows_no_update_but_clearing_job_ids_and_notes,
    usage_is_recorded_only_while_the_user_has_not_opted_out,
    usage_older_than_the_cutoff_is_purged,
    revoking_unspent_tokens_is_all_or_nothing_soonest_expiry_first,
);

fn later(now: Timestamp, days: i64) -> Timestamp {
    Timestamp::from_millis(now.millis() + days * DAY)
}

async fn an_expired_lots_details_are_purged_once_and_its_amounts_stay(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let now = Timestamp::now();
    let mut bought = lot(5, now, DAY);
    bought.source = "purchase:0000".into();
    let short = store
        .grant_tokens(alice.user_id(), bought)
        .await
        .expect("grant");
    let long = store
        .grant_tokens(alice.user_id(), lot(5, now, 100 * DAY))
        .await
        .expect("grant");
    let (spent, refunded) = (JobId::new(), JobId::new());
    store
        .spend_tokens(alice, 2, spent, now)
        .await
        .expect("spend");
    store
        .spend_tokens(alice, 4, refunded, now)
        .await
        .expect("spend from both lots");
    store
        .refund_job_tokens(refunded, now)
        .await
        .expect("refund");
    let expiry = later(now, 2);
    store.expire_lots(expiry).await.expect("expire");
    let before = store.token_totals(alice.user_id()).await.expect("totals");

    let too_soon = store
        .purge_expired_lot_details(Timestamp::from_millis(now.millis() + DAY - 1), expiry, 500)
        .await
        .expect("purge before the deadline");
    let purged = store
        .purge_expired_lot_details(expiry, expiry, 500)
        .await
        .expect("purge");
    let again = store
        .purge_expired_lot_details(expiry, expiry, 500)
        .await
        .expect("purge again");

    assert_eq!((too_soon, purged, again), (0, 1, 0));
    let after = store.token_totals(alice.user_id()).await.expect("totals");
    assert_eq!(after, before, "amounts are untouched");
    assert!(after.invariant_holds(), "{after:?}");
    let lots = store.lots(alice).await.expect("lots");
    let source = |id| lots.iter().find(|l| l.id == id).map(|l| l.source.clone());
    assert_eq!(source(short).as_deref(), Some("expired"));
    assert_eq!(source(long).as_deref(), Some("test"));
    let ledger = store.ledger(alice, 100).await.expect("ledger");
    assert_eq!(ledger.len(), 8, "no entry is removed: {ledger:?}");
    for entry in &ledger {
        if entry.lot_id == short {
            assert_eq!(entry.job_id, None, "{entry:?}");
        } else if matches!(entry.kind, LedgerKind::Spend | LedgerKind::Refund) {
            assert_eq!(
                entry.job_id,
                Some(refunded),
                "the live lot keeps its details"
            );
        }
    }
    assert!(
        ledger
            .iter()
            .any(|e| e.lot_id == short && e.kind == LedgerKind::Expire && e.amount == 3)
    );
}

async fn a_lot_a_queued_job_spent_from_keeps_its_details_until_the_job_ends(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let now = Timestamp::now();
    let short = store
        .grant_tokens(alice.user_id(), lot(1, now, DAY))
        .await
        .expect("grant");
    let job = enqueue(store, alice, now).await;
    let expiry = later(now, 2);
    store.expire_lots(expiry).await.expect("expire");

    let while_queued = store
        .purge_expired_lot_details(expiry, expiry, 500)
        .await
        .expect("purge");
    store
        .fail_job(job.id, None, "gave up", expiry)
        .await
        .expect("fail");
    let refunded = store.ledger(alice, 10).await.expect("ledger");
    store.expire_lots(expiry).await.expect("expire the refund");
    let once_failed = store
        .purge_expired_lot_details(expiry, expiry, 500)
        .await
        .expect("purge");

    assert_eq!((while_queued, once_failed), (0, 1));
    assert!(
        refunded
            .iter()
            .any(|e| e.kind == LedgerKind::Refund && e.job_id == Some(job.id)),
        "the refund found the spend by its job id: {refunded:?}"
    );
    let lots = store.lots(alice).await.expect("lots");
    assert_eq!(lots[0].id, short);
    assert_eq!((lots[0].source.as_str(), lots[0].remaining), ("expired", 0));
    let totals = store.token_totals(alice.user_id()).await.expect("totals");
    assert!(totals.invariant_holds(), "{totals:?}");
}

async fn the_ledger_allows_no_update_but_clearing_job_ids_and_notes(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let now = Timestamp::now();
    store
        .grant_tokens(alice.user_id(), lot(3, now, DAY))
        .await
        .expect("grant");
    store
        .spend_tokens(alice, 1, JobId::new(), now)
        .await
        .expect("spend");

    let refused = [
        "UPDATE token_ledger SET amount = amount + 1",
        "UPDATE token_ledger SET kind = 'grant'",
        "UPDATE token_ledger SET created_at = 0",
        "UPDATE token_ledger SET note = 'rewritten'",
        "UPDATE token_ledger SET job_id = NULL, note = NULL, amount = 1",
        "UPDATE token_ledger SET job_id = lot_id",
    ];
    let mut edits = Vec::new();
    for sql in refused {
        edits.push((sql, raw_succeeds(db, sql).await));
    }
    let cleared = raw_succeeds(db, "UPDATE token_ledger SET job_id = NULL, note = NULL").await;

    assert!(edits.iter().all(|(_, ok)| !ok), "{edits:?}");
    assert!(cleared, "clearing job ids and notes is allowed");
    let ledger = store.ledger(alice, 10).await.expect("ledger");
    assert_eq!(ledger.len(), 2);
    assert!(ledger.iter().all(|e| e.job_id.is_none()));
    let totals = store.token_totals(alice.user_id()).await.expect("totals");
    assert_eq!((totals.granted, totals.spent), (3, 1));
}

async fn usage_is_recorded_only_while_the_user_has_not_opted_out(db: &TestStore) {
    let store = db.store.as_ref();
    let (alice, bob) = (
        test_user(store, "alice").await,
        test_user(store, "bob").await,
    );
    let now = Timestamp::now();
    let opt_out = |value| PrivacyChange {
        analytics_opt_out: Some(value),
        ..PrivacyChange::default()
    };

    let first = store
        .record_usage(alice.user_id(), UsageKind::Upload, None, now)
        .await
        .expect("record");
    store
        .record_usage(alice.user_id(), UsageKind::JobSucceeded, Some("anime"), now)
        .await
        .expect("record");
    store
        .record_usage(bob.user_id(), UsageKind::SignedUp, None, now)
        .await
        .expect("record");
    let collected = store.usage_of(alice, 10).await.expect("usage");
    store
        .set_privacy(alice, &opt_out(true), ConsentSource::Api, now)
        .await
        .expect("opt out");
    let after_objection = store.usage_of(alice, 10).await.expect("usage");
    let while_out = store
        .record_usage(alice.user_id(), UsageKind::Upload, None, now)
        .await
        .expect("record");
    store
        .set_privacy(alice, &opt_out(false), ConsentSource::Api, now)
        .await
        .expect("opt in");
    let back_in = store
        .record_usage(alice.user_id(), UsageKind::JobFailed, Some("anime"), now)
        .await
        .expect("record");

    assert!(first && !while_out && back_in);
    let kinds: Vec<_> = collected
        .iter()
        .map(|e| (e.kind, e.style.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (UsageKind::Upload, None),
            (UsageKind::JobSucceeded, Some("anime".to_owned()))
        ]
    );
    assert!(
        after_objection.is_empty(),
        "opting out drops what was collected"
    );
    let now_held = store.usage_of(alice, 10).await.expect("usage");
    assert_eq!(now_held.len(), 1);
    assert_eq!(now_held[0].kind, UsageKind::JobFailed);
    assert_eq!(store.usage_of(bob, 10).await.expect("usage").len(), 1);
}

async fn usage_older_than_the_cutoff_is_purged(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let now = Timestamp::now();
    let old = Timestamp::from_millis(now.millis() - 731 * DAY);
    store
        .record_usage(alice.user_id(), UsageKind::SignedUp, None, old)
        .await
        .expect("record");
    store
        .record_usage(alice.user_id(), UsageKind::Upload, None, now)
        .await
        .expect("record");

    let purged = store
        .purge_usage(Timestamp::from_millis(now.millis() - 730 * DAY))
        .await
        .expect("purge");

    assert_eq!(purged, 1);
    let left = store.usage_of(alice, 10).await.expect("usage");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].kind, UsageKind::Upload);
}

async fn revoking_unspent_tokens_is_all_or_nothing_soonest_expiry_first(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let now = Timestamp::now();
    let late = store
        .grant_tokens(alice.user_id(), lot(4, now, 100 * DAY))
        .await
        .expect("grant");
    let soon = store
        .grant_tokens(alice.user_id(), lot(2, now, DAY))
        .await
        .expect("grant");

    let too_many = store.revoke_unspent(alice.user_id(), 7, now).await;
    let unchanged = store.balance(alice, now).await.expect("balance");
    store
        .revoke_unspent(alice.user_id(), 3, now)
        .await
        .expect("revoke");

    assert!(matches!(too_many, Err(StoreError::InsufficientTokens)));
    assert_eq!(unchanged, 6);
    let lots = store.lots(alice).await.expect("lots");
    let remaining = |id| lots.iter().find(|l| l.id == id).map(|l| l.remaining);
    assert_eq!((remaining(soon), remaining(late)), (Some(0), Some(3)));
    let totals = store.token_totals(alice.user_id()).await.expect("totals");
    assert_eq!(totals.revoked, 3);
    assert!(totals.invariant_holds(), "{totals:?}");
}
