//! Subscription and saved-result stories on every back-end: a paid invoice grants one lot
//! however often, concurrently and early it is reported; a canceled subscription grants
//! nothing; subscriptions are private to their owner; a saved result outlives its 24-hour
//! expiry until its saved deadline, and unsaving brings the expiry back.

use std::sync::Arc;
use std::time::Duration;

use super::{TestStore, stories, test_user};
use crate::domain::{JobId, ResultId, SubscriptionId, Timestamp, UserScope};
use crate::store::{
    BillingInterval, EventKey, InvoiceFacts, NewSubscription, NoGrant, PaymentFact, PaymentOutcome,
    ResultRecord, Store, Subscription, SubscriptionRef, SubscriptionState, SubscriptionStatus,
};

stories!(
    concurrent_reports_of_one_invoice_grant_one_lot_even_before_the_checkout_completes,
    a_deleted_subscription_grants_nothing_more,
    subscriptions_and_grants_are_private_to_their_owner,
    a_saved_result_outlives_its_expiry_until_its_saved_deadline,
);

const HOUR: Duration = Duration::from_secs(3600);
const STRIPE_SUB: &str = "sub_story";

async fn pending(store: &dyn Store, scope: UserScope) -> Subscription {
    let new = NewSubscription {
        id: SubscriptionId::new(),
        plan_id: "monthly-20".into(),
        tokens: 20,
        amount: 900,
        currency: "eur".into(),
        interval: BillingInterval::Month,
        created_at: Timestamp::now(),
    };
    store
        .create_subscription(scope, &new)
        .await
        .expect("subscription")
}

/// An invoice for period `n` (30-day periods from now), naming the subscription only by our
/// metadata and Stripe's id, as Stripe does.
fn paid_invoice(subscription: &Subscription, scope: UserScope, n: i64) -> InvoiceFacts {
    let start = Timestamp::now().plus(Duration::from_secs(
        30 * 86_400 * u64::try_from(n).unwrap_or(0),
    ));
    InvoiceFacts {
        invoice_id: format!("in_story_{n}"),
        reference: SubscriptionRef {
            stripe_subscription: Some(STRIPE_SUB.into()),
            ours: Some(subscription.id),
            user: Some(scope.user_id().to_string()),
            plan: Some("monthly-20".into()),
        },
        amount_paid: 900,
        currency: "eur".into(),
        period_start: start,
        period_end: start.plus(Duration::from_secs(30 * 86_400)),
    }
}

fn event(id: String) -> EventKey {
    EventKey {
        id,
        kind: "invoice.paid".into(),
    }
}

async fn concurrent_reports_of_one_invoice_grant_one_lot_even_before_the_checkout_completes(
    db: &TestStore,
) {
    let store = db.store.clone();
    let alice = test_user(store.as_ref(), "alice").await;
    let subscription = pending(store.as_ref(), alice).await;
    let fact = Arc::new(PaymentFact::InvoicePaid(paid_invoice(
        &subscription,
        alice,
        0,
    )));

    // Ten deliveries at once, before Stripe's id is known here: five of one event id, five of
    // distinct ids.
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

    let granted = outcomes
        .iter()
        .filter(|o| matches!(o, PaymentOutcome::Granted { .. }))
        .count();
    assert_eq!(granted, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            PaymentOutcome::Granted { .. }
                | PaymentOutcome::Duplicate
                | PaymentOutcome::AlreadyGranted
        )),
        "{outcomes:?}"
    );
    let lots = store.lots(alice).await.expect("lots");
    assert_eq!(lots.iter().map(|l| l.quantity).collect::<Vec<_>>(), [20]);
    let stored = store
        .subscription(alice, subscription.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(stored.status, SubscriptionStatus::Active);
    assert_eq!(stored.stripe_subscription_id.as_deref(), Some(STRIPE_SUB));
    let totals = store.token_totals(alice.user_id()).await.expect("totals");
    assert!(totals.invariant_holds(), "{totals:?}");
}

async fn a_deleted_subscription_grants_nothing_more(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let subscription = pending(store, alice).await;
    let now = Timestamp::now();
    store
        .apply_payment_fact(
            None,
            &PaymentFact::InvoicePaid(paid_invoice(&subscription, alice, 0)),
            now,
        )
        .await
        .expect("first period");
    let deleted = SubscriptionState {
        reference: SubscriptionRef {
            stripe_subscription: Some(STRIPE_SUB.into()),
            ..SubscriptionRef::default()
        },
        customer: Some("cus_story".into()),
        stripe_status: "canceled".into(),
        cancel_at_period_end: false,
        period_start: None,
        period_end: None,
    };

    let ended = store
        .apply_payment_fact(None, &PaymentFact::SubscriptionChanged(deleted), now)
        .await
        .expect("deleted");
    let later = store
        .apply_payment_fact(
            None,
            &PaymentFact::InvoicePaid(paid_invoice(&subscription, alice, 1)),
            now,
        )
        .await
        .expect("renewal");

    assert_eq!(
        ended,
        PaymentOutcome::SubscriptionUpdated(SubscriptionStatus::Canceled)
    );
    assert_eq!(later, PaymentOutcome::NotGranted(NoGrant::Canceled));
    assert_eq!(store.lots(alice).await.expect("lots").len(), 1);
    let stored = store
        .subscription(alice, subscription.id)
        .await
        .expect("read")
        .expect("row");
    assert!(stored.canceled_at.is_some());
}

async fn subscriptions_and_grants_are_private_to_their_owner(db: &TestStore) {
    let store = db.store.as_ref();
    let alice = test_user(store, "alice").await;
    let bob = test_user(store, "bob").await;
    let subscription = pending(store, alice).await;
    store
        .apply_payment_fact(
            None,
            &PaymentFact::InvoicePaid(paid_invoice(&subscription, alice, 0)),
            Timestamp::now(),
        )
        .await
        .expect("grant");

    assert!(
        store
            .subscription(bob, subscription.id)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .subscriptions_of(bob, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .subscription_grants_of(bob, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        store.subscriptions_of(alice, 10).await.expect("list").len(),
        1
    );
    let grants = store.subscription_grants_of(alice, 10).await.expect("list");
    assert_eq!(grants.len(), 1);
    assert_eq!(
        (grants[0].invoice_id.as_str(), grants[0].tokens),
        ("in_story_0", 20)
    );
}

async fn a_saved_result_outlives_its_expiry_until_its_saved_deadline(db: &TestStore) {
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
        blob_key: "results/saved".into(),
        width: 32,
        height: 32,
        created_at: now,
        expires_at: now.plus(24 * HOUR),
        saved_at: None,
        saved_until: None,
        deletes_at: None,
    };
    let id = store
        .complete_job(job.id, "w", &record, now)
        .await
        .expect("complete");
    let expired_at = |at: Timestamp| async move {
        store
            .expired_results(at, 10)
            .await
            .expect("expired")
            .iter()
            .any(|row| row.id == id.to_string())
    };

    let by_bob = store.save_result(bob, id, now, None).await.expect("save");
    let saved = store
        .save_result(alice, id, now, Some(now.plus(30 * 24 * HOUR)))
        .await
        .expect("save")
        .expect("held");
    let again = store
        .save_result(alice, id, now.plus(HOUR), Some(now.plus(90 * 24 * HOUR)))
        .await
        .expect("save")
        .expect("held");

    assert!(by_bob.is_none());
    assert_eq!(saved.saved_until, Some(now.plus(30 * 24 * HOUR)));
    assert_eq!(saved.deletes_at, saved.saved_until);
    assert_eq!(
        again.saved_until, saved.saved_until,
        "saving twice changes nothing"
    );
    assert!(!expired_at(now.plus(25 * HOUR)).await);
    assert!(expired_at(now.plus(30 * 24 * HOUR)).await);
    let unsaved = store
        .unsave_result(alice, id)
        .await
        .expect("unsave")
        .expect("held");
    assert_eq!(unsaved.deletes_at, Some(now.plus(24 * HOUR)));
    assert!(expired_at(now.plus(24 * HOUR)).await);
    assert!(!expired_at(now.plus(23 * HOUR)).await);
    assert!(
        store
            .unsave_result(bob, id)
            .await
            .expect("unsave")
            .is_none()
    );
}
