//! Stories of the payment store on SQLite: Stripe's reports in any order and repetition.

use super::SqliteStore;
use crate::domain::{JobId, PurchaseId, Timestamp, UserScope};
use crate::store::{
    EventKey, Mismatch, NewPurchase, PaymentFact, PaymentOutcome, PaymentStore, Purchase,
    PurchaseStatus, SessionFacts, TokenStore,
};

/// A fresh SQLite store in a temporary folder.
pub(super) struct TestDb {
    pub store: SqliteStore,
    _dir: tempfile::TempDir,
}

pub(super) async fn test_db() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = SqliteStore::open(&url).await.expect("open test database");
    TestDb { store, _dir: dir }
}

pub(super) async fn test_user(store: &SqliteStore, name: &str) -> UserScope {
    crate::store::conformance::test_user(store, name).await
}

const INTENT: &str = "pi_test_1";
const SESSION: &str = "cs_test_1";

pub(super) async fn pending(store: &SqliteStore, scope: UserScope) -> Purchase {
    pending_with(store, scope, SESSION).await
}

pub(super) async fn pending_with(store: &SqliteStore, scope: UserScope, session: &str) -> Purchase {
    let new = NewPurchase {
        id: PurchaseId::new(),
        pack_id: "5-tokens".into(),
        tokens: 5,
        amount: 500,
        currency: "eur".into(),
        valid_days: 182,
        created_at: Timestamp::now(),
    };
    let purchase = store.create_purchase(scope, &new).await.expect("purchase");
    store
        .attach_checkout_session(purchase.id, session, Timestamp::now())
        .await
        .expect("attach");
    let stored = store.purchase_by_id(purchase.id).await.expect("read");
    stored.expect("purchase")
}

pub(super) fn paid(purchase: &Purchase, scope: UserScope) -> SessionFacts {
    SessionFacts {
        purchase: purchase.id,
        session_id: SESSION.into(),
        client_reference_id: Some(scope.user_id().to_string()),
        pack: Some("5-tokens".into()),
        amount_total: Some(500),
        currency: Some("eur".into()),
        payment_intent: Some(INTENT.into()),
    }
}

pub(super) fn closed(purchase: &Purchase, status: PurchaseStatus) -> PaymentFact {
    PaymentFact::SessionClosed {
        purchase: purchase.id,
        session_id: SESSION.into(),
        status,
    }
}

pub(super) fn refund(amount: i64) -> PaymentFact {
    PaymentFact::Refunded {
        payment_intent: INTENT.into(),
        amount_refunded: amount,
        currency: "eur".into(),
    }
}

fn event(id: &str) -> EventKey {
    EventKey {
        id: id.into(),
        kind: "test".into(),
    }
}

pub(super) async fn apply(
    store: &SqliteStore,
    id: Option<&str>,
    fact: PaymentFact,
) -> PaymentOutcome {
    let key = id.map(event);
    store
        .apply_payment_fact(key.as_ref(), &fact, Timestamp::now())
        .await
        .expect("apply")
}

#[tokio::test]
async fn a_paid_session_credits_one_lot_however_often_it_is_reported() {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let purchase = pending(&db.store, alice).await;
    let fact = PaymentFact::SessionPaid(paid(&purchase, alice));

    let first = apply(&db.store, Some("evt_1"), fact.clone()).await;
    let again = apply(&db.store, Some("evt_1"), fact.clone()).await;
    let other_event = apply(&db.store, Some("evt_2"), fact.clone()).await;
    let reconciled = apply(&db.store, None, fact).await;

    assert!(matches!(first, PaymentOutcome::Credited { .. }));
    assert_eq!(again, PaymentOutcome::Duplicate);
    assert_eq!(other_event, PaymentOutcome::AlreadyCredited);
    assert_eq!(reconciled, PaymentOutcome::AlreadyCredited);
    let lots = db.store.lots(alice).await.expect("lots");
    assert_eq!(lots.len(), 1);
    assert_eq!(lots[0].quantity, 5);
    assert_eq!(lots[0].source, format!("purchase:{}", purchase.id));
    let stored = db.store.purchase(alice, purchase.id).await.expect("read");
    let stored = stored.expect("purchase");
    assert_eq!(stored.status, PurchaseStatus::Paid);
    assert_eq!(stored.lot_id, Some(lots[0].id));
    assert_eq!(stored.payment_intent_id.as_deref(), Some(INTENT));
    let totals = db
        .store
        .token_totals(alice.user_id())
        .await
        .expect("totals");
    assert!(totals.invariant_holds(), "{totals:?}");
}

#[tokio::test]
async fn a_session_that_does_not_match_its_purchase_credits_nothing() {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let mallory = test_user(&db.store, "mallory").await;
    let purchase = pending(&db.store, alice).await;
    let good = paid(&purchase, alice);
    let cases = [
        (
            SessionFacts {
                amount_total: Some(50),
                ..good.clone()
            },
            Mismatch::Amount,
        ),
        (
            SessionFacts {
                currency: Some("usd".into()),
                ..good.clone()
            },
            Mismatch::Currency,
        ),
        (
            SessionFacts {
                pack: Some("45-tokens".into()),
                ..good.clone()
            },
            Mismatch::Pack,
        ),
        (
            SessionFacts {
                client_reference_id: Some(mallory.user_id().to_string()),
                ..good.clone()
            },
            Mismatch::ClientReference,
        ),
        (
            SessionFacts {
                session_id: "cs_test_other".into(),
                ..good.clone()
            },
            Mismatch::Session,
        ),
    ];

    for (index, (facts, mismatch)) in cases.into_iter().enumerate() {
        let id = format!("evt_bad_{index}");
        let outcome = apply(&db.store, Some(&id), PaymentFact::SessionPaid(facts)).await;
        assert_eq!(outcome, PaymentOutcome::Rejected(mismatch));
    }

    assert!(db.store.lots(alice).await.expect("lots").is_empty());
    assert!(db.store.lots(mallory).await.expect("lots").is_empty());
    let stored = db.store.purchase_by_id(purchase.id).await.expect("read");
    assert_eq!(stored.map(|p| p.status), Some(PurchaseStatus::Pending));
}

#[tokio::test]
async fn a_refund_revokes_only_what_is_left_of_the_lot() {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let purchase = pending(&db.store, alice).await;
    apply(
        &db.store,
        Some("evt_1"),
        PaymentFact::SessionPaid(paid(&purchase, alice)),
    )
    .await;
    db.store
        .spend_tokens(alice, 2, JobId::new(), Timestamp::now())
        .await
        .expect("spend");

    let outcome = apply(&db.store, Some("evt_2"), refund(500)).await;

    assert_eq!(outcome, PaymentOutcome::Refund { revoked: 3 });
    let stored = db.store.purchase(alice, purchase.id).await.expect("read");
    let stored = stored.expect("purchase");
    assert_eq!(stored.status, PurchaseStatus::Refunded);
    assert_eq!(stored.refunded_amount, 500);
    assert_eq!(stored.revoked_tokens, 3);
    assert_eq!(
        db.store.balance(alice, Timestamp::now()).await.expect("b"),
        0
    );
    let totals = db
        .store
        .token_totals(alice.user_id())
        .await
        .expect("totals");
    assert!(totals.invariant_holds(), "{totals:?}");
    assert_eq!(totals.revoked, 3);
}

#[tokio::test]
async fn a_partial_refund_revokes_the_share_it_paid_for() {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let purchase = pending(&db.store, alice).await;
    apply(
        &db.store,
        None,
        PaymentFact::SessionPaid(paid(&purchase, alice)),
    )
    .await;

    let outcome = apply(&db.store, Some("evt_r1"), refund(200)).await;
    let replayed_lower = apply(&db.store, Some("evt_r0"), refund(100)).await;

    assert_eq!(outcome, PaymentOutcome::Refund { revoked: 2 });
    assert_eq!(replayed_lower, PaymentOutcome::Refund { revoked: 0 });
    let stored = db.store.purchase_by_id(purchase.id).await.expect("read");
    let stored = stored.expect("purchase");
    assert_eq!(stored.status, PurchaseStatus::Paid);
    assert_eq!(stored.refunded_amount, 200);
    assert_eq!(
        db.store.balance(alice, Timestamp::now()).await.expect("b"),
        3
    );
}

#[path = "payments_props.rs"]
mod props;
