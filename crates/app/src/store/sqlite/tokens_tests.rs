use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::store::sqlite::test_support::{lot, test_db, test_user};

const DAY: i64 = 86_400_000;

#[tokio::test]
async fn spending_takes_the_lot_expiring_first() {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let now = Timestamp::now();
    let late = db
        .store
        .grant_tokens(alice.user_id(), lot(5, now, 100 * DAY))
        .await
        .expect("grant");
    let soon = db
        .store
        .grant_tokens(alice.user_id(), lot(2, now, 10 * DAY))
        .await
        .expect("grant");

    db.store
        .spend_tokens(alice, 3, JobId::new(), now)
        .await
        .expect("spend");

    let lots = db.store.lots(alice).await.expect("lots");
    let remaining = |id: LotId| lots.iter().find(|l| l.id == id).map(|l| l.remaining);
    assert_eq!(remaining(soon), Some(0));
    assert_eq!(remaining(late), Some(4));
    assert_eq!(db.store.balance(alice, now).await.expect("balance"), 4);
}

#[tokio::test]
async fn a_spend_larger_than_the_balance_changes_nothing() {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let now = Timestamp::now();
    db.store
        .grant_tokens(alice.user_id(), lot(2, now, DAY))
        .await
        .expect("grant");

    let spent = db.store.spend_tokens(alice, 3, JobId::new(), now).await;

    assert!(matches!(spent, Err(StoreError::InsufficientTokens)));
    assert_eq!(db.store.balance(alice, now).await.expect("balance"), 2);
    assert_eq!(db.store.ledger(alice, 10).await.expect("ledger").len(), 1);
}

#[tokio::test]
async fn refund_restores_the_lot_that_was_spent_and_only_once() {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let now = Timestamp::now();
    let soon = db
        .store
        .grant_tokens(alice.user_id(), lot(1, now, DAY))
        .await
        .expect("grant");
    let late = db
        .store
        .grant_tokens(alice.user_id(), lot(1, now, 2 * DAY))
        .await
        .expect("grant");
    let job = JobId::new();
    db.store
        .spend_tokens(alice, 2, job, now)
        .await
        .expect("spend");

    let first = db.store.refund_job_tokens(job, now).await.expect("refund");
    let second = db
        .store
        .refund_job_tokens(job, now)
        .await
        .expect("refund again");

    assert_eq!((first, second), (2, 0));
    let lots = db.store.lots(alice).await.expect("lots");
    assert!(lots.iter().all(|l| l.remaining == 1), "{lots:?}");
    assert!(lots.iter().any(|l| l.id == soon) && lots.iter().any(|l| l.id == late));
}

#[tokio::test]
async fn expired_lots_cannot_be_spent_and_are_written_off() {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let then = Timestamp::now();
    db.store
        .grant_tokens(alice.user_id(), lot(4, then, DAY))
        .await
        .expect("grant");
    let later = Timestamp::from_millis(then.millis() + 2 * DAY);

    let spent = db.store.spend_tokens(alice, 1, JobId::new(), later).await;
    let expired = db.store.expire_lots(later).await.expect("expire");

    assert!(matches!(spent, Err(StoreError::InsufficientTokens)));
    assert_eq!(expired, 4);
    let totals = db
        .store
        .token_totals(alice.user_id())
        .await
        .expect("totals");
    assert_eq!((totals.remaining, totals.expired), (0, 4));
    assert!(totals.invariant_holds(), "{totals:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_spends_never_overdraw() {
    let db = test_db().await;
    let store = Arc::new(db.store);
    let alice = test_user(&store, "alice").await;
    let now = Timestamp::now();
    store
        .grant_tokens(alice.user_id(), lot(30, now, DAY))
        .await
        .expect("grant");
    store
        .grant_tokens(alice.user_id(), lot(20, now, 2 * DAY))
        .await
        .expect("grant");

    let tasks: Vec<_> = (0..80)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.spend_tokens(alice, 1, JobId::new(), now).await })
        })
        .collect();
    let mut succeeded = 0;
    for task in tasks {
        match task.await.expect("task ran") {
            Ok(()) => succeeded += 1,
            Err(StoreError::InsufficientTokens) => {}
            Err(other) => panic!("unexpected error: {other}"),
        }
    }

    assert_eq!(succeeded, 50);
    assert_eq!(store.balance(alice, now).await.expect("balance"), 0);
    let totals = store.token_totals(alice.user_id()).await.expect("totals");
    assert!(totals.invariant_holds(), "{totals:?}");
}

#[derive(Clone, Debug)]
enum Op {
    Grant { quantity: u32, valid_days: i64 },
    Spend { amount: u32 },
    Refund { pick: usize },
    Advance { days: i64 },
    Expire,
    Revoke { pick: usize, amount: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u32..8, 1i64..20).prop_map(|(quantity, valid_days)| Op::Grant {
            quantity,
            valid_days
        }),
        (1u32..6).prop_map(|amount| Op::Spend { amount }),
        any::<usize>().prop_map(|pick| Op::Refund { pick }),
        (1i64..6).prop_map(|days| Op::Advance { days }),
        Just(Op::Expire),
        (any::<usize>(), 1u32..4).prop_map(|(pick, amount)| Op::Revoke { pick, amount }),
    ]
}

/// Applies `ops` and checks, after each, DESIGN §3's invariant, a non-negative balance, and
/// that a spend succeeds exactly when the live balance covers it.
async fn run_ops(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let mut now = Timestamp::from_millis(1_700_000_000_000);
    let mut spends = Vec::new();
    let mut lots = Vec::new();
    for op in ops {
        match op {
            Op::Grant {
                quantity,
                valid_days,
            } => {
                let id = db
                    .store
                    .grant_tokens(alice.user_id(), lot(quantity, now, valid_days * DAY))
                    .await;
                lots.push(id.map_err(|e| TestCaseError::fail(e.to_string()))?);
            }
            Op::Spend { amount } => {
                let before = db
                    .store
                    .balance(alice, now)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let job = JobId::new();
                let spent = db.store.spend_tokens(alice, amount, job, now).await;
                prop_assert_eq!(
                    spent.is_ok(),
                    before >= i64::from(amount),
                    "spend {} of {}",
                    amount,
                    before
                );
                if spent.is_ok() {
                    spends.push(job);
                }
            }
            Op::Refund { pick } if !spends.is_empty() => {
                let job = spends[pick % spends.len()];
                db.store
                    .refund_job_tokens(job, now)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            Op::Advance { days } => now = Timestamp::from_millis(now.millis() + days * DAY),
            Op::Expire => {
                db.store
                    .expire_lots(now)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            Op::Revoke { pick, amount } if !lots.is_empty() => {
                let lot = lots[pick % lots.len()];
                db.store
                    .revoke_tokens(alice.user_id(), lot, amount, now)
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            Op::Refund { .. } | Op::Revoke { .. } => {}
        }
        let totals = db
            .store
            .token_totals(alice.user_id())
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(totals.invariant_holds(), "{:?}", totals);
        let balance = db
            .store
            .balance(alice, now)
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(balance >= 0);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_ledger_invariant_holds_for_any_sequence(ops in prop::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(run_ops(ops))?;
    }
}
