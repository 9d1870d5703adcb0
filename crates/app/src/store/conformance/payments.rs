//! Payment stories on every back-end: a paid Checkout Session credits one lot however often
//! and however concurrently it is reported; a refund that arrives first is settled when the
//! payment lands; purchases are private to their buyer.

use std::sync::Arc;

use super::{TestStore, stories, test_user};
use crate::domain::{PurchaseId, Timestamp, UserScope};
use crate::store::{
    EventKey, NewPurchase, PaymentFact, PaymentOutcome, Purchase, PurchaseStatus, SessionFacts,
    Store,
};

stories!(
    concurrent_reports_of_one_payment_credit_one_lot,
    a_refund_reported_before_the_payment_is_settled_when_it_lands,
    purchases_are_private_to_their_buyer,
);

const INTENT: &str = "pi_story";
const SESSION: &str = "cs_story";

async fn pending(store: &dyn Store, scope: UserScope) -> Purchase {
    let new = NewPurchase {
        id: PurchaseId::new(),
        pack_id: "15-tokens".into(),
        tokens: 15,
        amount: 1200,
        currency: "eur".into(),
        valid_days: 182,
        created_at: Timestamp::now(),
    };
    let purchase = store.create_purchase(scope, &new).await.expect("purchase");
    store
        .attach_checkout_session(purchase.id, SESSION, Timestamp::now())
        .await
        .expect("attach");
    purchase
}

fn paid(purchase: &Purchase, scope: UserScope) -> PaymentFact {
    PaymentFact::SessionPaid(SessionFacts {
        purchase: purchase.id,
        session_id: SESSION.into(),
        client_reference_id: Some(scope.user_id().to_string()),
        pack: Some("15-tokens".into()),
        amount_total: Some(1200),
        currency: Some("eur".into()),
        payment_intent: Some(INTENT.into()),
    })
}

fn event(id: String) -> EventKey {
    EventKey {
        id,
        kind: "checkout.session.completed".into(),
    }
}

async fn concurrent_reports_of_one_payment_credit_one_lot(db: &TestStore) {
    let store = db.store.clone();
    let alice = test_user(store.as_ref(), "alice").await;
    let purchase = pending(store.as_ref(), alice).await;
    let fact = Arc::new(paid(&purchase, alice));

    // Ten deliveries at once: five of one event id, five of distinct ids.
    let mut tasks = Vec::new();
    for n in 0..10 {
        let (store, fact) = (store.clone(), fact.clone());
        let id = if n < 5 {
            "evt_same".to_owned()
        } else {
            format!("evt_{n}")
        };
        tasks.push(tokio::spawn(async move {
            store
                .apply_payment_fact(Some(&event(id)), &fact, Timestamp::now())
                .await
                .expect("apply")
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("task"));
    }

    let credited = outcomes
        .iter()
        .filter(|o| matches!(o, PaymentOutcome::Credited { .. }))
        .count();
    assert_eq!(credited, 1, "{outcomes:?}");
    let lots = store.lots(alice).await.expect("lots");
    assert_eq!(lots.iter().map(|l| l.quantity).collect::<Vec<_>>(), [15]);
    let stored = store.purchase(alice, purchase.id).await.expect("read");
    assert_eq!(stored.map(|p| p.status), Some(PurchaseStatus::Paid));
    let totals = store.token_totals(alice.user_id()).await.expect("totals");
    assert!(totals.invariant_holds(), "{totals:?}");
}

async fn a_refund_reported_before_the_payment_is_settled_when_it_lands(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let purchase = pending(store, alice).await;
    let now = Timestamp::now();
    let half = PaymentFact::Refunded {
        payment_intent: INTENT.into(),
        amount_refunded: 600,
        currency: "eur".into(),
    };

    let early = store
        .apply_payment_fact(None, &half, now)
        .await
        .expect("refund first");
    let credited = store
        .apply_payment_fact(None, &paid(&purchase, alice), now)
        .await
        .expect("payment");

    assert_eq!(early, PaymentOutcome::Refund { revoked: 0 });
    assert!(matches!(credited, PaymentOutcome::Credited { .. }));
    let lots = store.lots(alice).await.expect("lots");
    // Half the price refunded takes back half the tokens, rounded up.
    assert_eq!(lots.iter().map(|l| l.remaining).collect::<Vec<_>>(), [7]);
    let stored = store
        .purchase(alice, purchase.id)
        .await
        .expect("read")
        .expect("purchase");
    assert_eq!((stored.refunded_amount, stored.revoked_tokens), (600, 8));
    let totals = store.token_totals(alice.user_id()).await.expect("totals");
    assert!(totals.invariant_holds(), "{totals:?}");
}

async fn purchases_are_private_to_their_buyer(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let bob = test_user(store, "bob").await;
    let purchase = pending(store, alice).await;

    assert!(
        store
            .purchase(bob, purchase.id)
            .await
            .expect("read")
            .is_none()
    );
    assert!(store.purchases_of(bob, 10).await.expect("list").is_empty());
    assert_eq!(store.purchases_of(alice, 10).await.expect("list").len(), 1);
    let all = store.all_purchases(10).await.expect("admin list");
    assert_eq!(all.len(), 1);
    let email = all[0].email.as_deref().unwrap_or_default();
    assert!(
        email.starts_with("alice") && email.ends_with("@example.org"),
        "{email}"
    );
}
