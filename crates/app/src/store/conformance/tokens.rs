//! Token stories (the ledger invariant, docs/architecture.md), on every back-end.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::{DAY, TestStore, lot, stories, test_user};
use crate::domain::{JobId, LotId, Timestamp};
use crate::store::StoreError;

stories!(
    spending_takes_the_lot_expiring_first,
    a_spend_larger_than_the_balance_changes_nothing,
    refund_restores_the_lot_that_was_spent_and_only_once,
    expired_lots_cannot_be_spent_and_are_written_off,
    concurrent_spends_never_overdraw,
    revoking_takes_back_only_unspent_tokens,
);

async fn spending_takes_the_lot_expiring_first(db: &TestStore) {
    let alice = test_user(db.store.as_ref(), "alice").await;
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

async fn a_spend_larger_than_the_balance_changes_nothing(db: &TestStore) {
    let alice = test_user(db.store.as_ref(), "alice").await;
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

async fn refund_restores_the_lot_that_was_spent_and_only_once(db: &TestStore) {
    let alice = test_user(db.store.as_ref(), "alice").await;
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

async fn expired_lots_cannot_be_spent_and_are_written_off(db: &TestStore) {
    let alice = test_user(db.store.as_ref(), "alice").await;
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

async fn concurrent_spends_never_overdraw(db: &TestStore) {
    let store = Arc::clone(&db.store);
    let alice = test_user(store.as_ref(), "alice").await;
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

/// Applies `ops` for a fresh user and checks, after each, the ledger invariant, a
/// non-negative balance, and that a spend succeeds exactly when the live balance covers it.
async fn run_ops(db: &TestStore, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let alice = test_user(db.store.as_ref(), "alice").await;
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

/// The property on one database of the given back-end; each case acts as a fresh user.
fn check_the_ledger_invariant(open: impl AsyncFnOnce() -> Option<TestStore>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let Some(db) = runtime.block_on(open()) else {
        return;
    };
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    let outcome = runner.run(&prop::collection::vec(op(), 1..40), |ops| {
        runtime.block_on(run_ops(&db, ops))
    });
    drop(db);
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

#[test]
fn the_ledger_invariant_holds_for_any_sequence_on_sqlite() {
    check_the_ledger_invariant(async || Some(super::sqlite().await));
}

#[test]
fn the_ledger_invariant_holds_for_any_sequence_on_postgres() {
    check_the_ledger_invariant(super::postgres);
}

async fn revoking_takes_back_only_unspent_tokens(db: &TestStore) {
    let alice = test_user(db.store.as_ref(), "alice").await;
    let now = Timestamp::now();
    let granted = db
        .store
        .grant_tokens(alice.user_id(), lot(5, now, DAY))
        .await
        .expect("grant");
    db.store
        .spend_tokens(alice, 3, JobId::new(), now)
        .await
        .expect("spend");

    let revoked = db
        .store
        .revoke_tokens(alice.user_id(), granted, 10, now)
        .await
        .expect("revoke");
    let unknown = db
        .store
        .revoke_tokens(alice.user_id(), LotId::new(), 1, now)
        .await;

    assert_eq!(revoked, 2);
    assert!(matches!(unknown, Err(StoreError::NotFound)));
    assert_eq!(db.store.balance(alice, now).await.expect("balance"), 0);
    let totals = db
        .store
        .token_totals(alice.user_id())
        .await
        .expect("totals");
    assert_eq!((totals.spent, totals.revoked), (3, 2));
    assert!(totals.invariant_holds(), "{totals:?}");
}
