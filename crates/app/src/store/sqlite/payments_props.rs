//! Property tests of the payment store: any order and repetition of Stripe's reports ends in one
//! state, and the ledger invariant (docs/architecture.md) holds with purchases mixed into
//! everything else.

use proptest::prelude::*;

use super::*;
use crate::domain::SubscriptionId;
use crate::store::{
    BillingInterval, InvoiceFacts, NewSubscription, StoreError, Subscription, SubscriptionRef,
    SubscriptionState, SubscriptionStore,
};

/// One purchase's final state, without the instants.
async fn final_state(
    store: &SqliteStore,
    scope: UserScope,
    id: PurchaseId,
) -> (String, i64, i64, u32, i64) {
    let purchase = store
        .purchase(scope, id)
        .await
        .expect("read")
        .expect("purchase");
    let lots = store.lots(scope).await.expect("lots");
    let (quantity, remaining) = lots.first().map_or((0, 0), |l| (l.quantity, l.remaining));
    let totals = store.token_totals(scope.user_id()).await.expect("totals");
    assert!(totals.invariant_holds(), "{totals:?}");
    assert!(lots.len() <= 1);
    (
        purchase.status.as_str().to_owned(),
        quantity,
        remaining,
        purchase.revoked_tokens,
        purchase.refunded_amount,
    )
}

#[derive(Clone, Copy, Debug)]
enum Report {
    Completed,
    AsyncSucceeded,
    Reconciled,
    Expired,
    Failed,
    Refunded,
}

fn report() -> impl Strategy<Value = Report> {
    prop_oneof![
        Just(Report::Completed),
        Just(Report::AsyncSucceeded),
        Just(Report::Reconciled),
        Just(Report::Expired),
        Just(Report::Failed),
        Just(Report::Refunded),
    ]
}

/// What any order of `reports` must end in.
fn expected(reports: &[Report]) -> (String, i64, i64, u32, i64) {
    let has = |wanted: fn(&Report) -> bool| reports.iter().any(wanted);
    let paid = has(|r| {
        matches!(
            r,
            Report::Completed | Report::AsyncSucceeded | Report::Reconciled
        )
    });
    let refunded = has(|r| matches!(r, Report::Refunded));
    match (paid, refunded) {
        (true, true) => ("refunded".into(), 5, 0, 5, 500),
        (true, false) => ("paid".into(), 5, 5, 0, 0),
        (false, _) if has(|r| matches!(r, Report::Failed)) => ("failed".into(), 0, 0, 0, 0),
        (false, _) if has(|r| matches!(r, Report::Expired)) => ("expired".into(), 0, 0, 0, 0),
        (false, _) => ("pending".into(), 0, 0, 0, 0),
    }
}

async fn run_reports(reports: Vec<Report>) -> Result<(), TestCaseError> {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let purchase = pending(&db.store, alice).await;
    for report in &reports {
        // Each kind of report has one event id, so repeats are redeliveries.
        let (id, fact) = match report {
            Report::Completed => (
                Some("evt_completed"),
                PaymentFact::SessionPaid(paid(&purchase, alice)),
            ),
            Report::AsyncSucceeded => (
                Some("evt_async"),
                PaymentFact::SessionPaid(paid(&purchase, alice)),
            ),
            Report::Reconciled => (None, PaymentFact::SessionPaid(paid(&purchase, alice))),
            Report::Expired => (
                Some("evt_expired"),
                closed(&purchase, PurchaseStatus::Expired),
            ),
            Report::Failed => (
                Some("evt_failed"),
                closed(&purchase, PurchaseStatus::Failed),
            ),
            Report::Refunded => (Some("evt_refunded"), refund(500)),
        };
        apply(&db.store, id, fact).await;
        let totals = db
            .store
            .token_totals(alice.user_id())
            .await
            .expect("totals");
        prop_assert!(totals.invariant_holds(), "{:?}", totals);
    }
    let state = final_state(&db.store, alice, purchase.id).await;
    prop_assert_eq!(state, expected(&reports));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Stripe may deliver late, twice, or out of order; success-page checks come in between.
    #[test]
    fn any_order_and_repetition_of_reports_ends_in_the_same_state(
        reports in prop::collection::vec(report(), 0..10)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(run_reports(reports))?;
    }
}

#[derive(Clone, Debug)]
enum Step {
    Buy,
    Pay { pick: usize, event: u8 },
    Refund { pick: usize, amount: i64, event: u8 },
    Spend { amount: u32 },
    RefundJob { pick: usize },
    Advance { days: i64 },
    Expire,
    Subscribe,
    Invoice { pick: usize, period: u8, event: u8 },
    EndPlan { pick: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Buy),
        (any::<usize>(), 0..3u8).prop_map(|(pick, event)| Step::Pay { pick, event }),
        (any::<usize>(), 1..=500i64, 0..3u8).prop_map(|(pick, amount, event)| Step::Refund {
            pick,
            amount,
            event
        }),
        (1..8u32).prop_map(|amount| Step::Spend { amount }),
        any::<usize>().prop_map(|pick| Step::RefundJob { pick }),
        (1..200i64).prop_map(|days| Step::Advance { days }),
        Just(Step::Expire),
        Just(Step::Subscribe),
        (any::<usize>(), 0..4u8, 0..3u8).prop_map(|(pick, period, event)| Step::Invoice {
            pick,
            period,
            event
        }),
        any::<usize>().prop_map(|pick| Step::EndPlan { pick }),
    ]
}

/// A plan's invoice for `period` (30-day periods from `start`), as `invoice.paid` reports it.
fn plan_invoice(
    subscription: &Subscription,
    scope: UserScope,
    period: u8,
    start: Timestamp,
) -> PaymentFact {
    let begins = Timestamp::from_millis(start.millis() + i64::from(period) * 30 * 86_400_000);
    PaymentFact::InvoicePaid(InvoiceFacts {
        invoice_id: format!("in_{}_{period}", subscription.id),
        reference: SubscriptionRef {
            stripe_subscription: Some(format!("sub_{}", subscription.id.as_uuid().simple())),
            ours: Some(subscription.id),
            user: Some(scope.user_id().to_string()),
            plan: Some("monthly".into()),
        },
        amount_paid: 900,
        currency: "eur".into(),
        period_start: begins,
        period_end: Timestamp::from_millis(begins.millis() + 30 * 86_400_000),
    })
}

/// the ledger invariant (docs/architecture.md) with purchases, refunds and plan invoices mixed into
/// spending, job refunds and expiry; events repeat (small event-id space) and arrive in any
/// order; each invoice grants at most once, and a plan ended grants nothing more.
async fn run_steps(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let mut now = Timestamp::now();
    let start = now;
    let (mut purchases, mut jobs) = (Vec::new(), Vec::new());
    let mut plans: Vec<Subscription> = Vec::new();
    let mut paid_invoices = std::collections::BTreeSet::new();
    let fail = |e: StoreError| TestCaseError::fail(e.to_string());
    for (index, step) in steps.into_iter().enumerate() {
        match step {
            Step::Buy => {
                let purchase = pending_with(&db.store, alice, &format!("cs_{index}")).await;
                let intent = format!("pi_{index}");
                purchases.push((purchase, intent));
            }
            Step::Pay { pick, event } if !purchases.is_empty() => {
                let (purchase, intent) = &purchases[pick % purchases.len()];
                let facts = SessionFacts {
                    payment_intent: Some(intent.clone()),
                    session_id: purchase.checkout_session_id.clone().unwrap_or_default(),
                    ..paid(purchase, alice)
                };
                let key = EventKey {
                    id: format!("evt_pay_{}_{event}", purchase.id),
                    kind: "t".into(),
                };
                db.store
                    .apply_payment_fact(Some(&key), &PaymentFact::SessionPaid(facts), now)
                    .await
                    .map_err(fail)?;
            }
            Step::Refund {
                pick,
                amount,
                event,
            } if !purchases.is_empty() => {
                let (purchase, intent) = &purchases[pick % purchases.len()];
                let fact = PaymentFact::Refunded {
                    payment_intent: intent.clone(),
                    amount_refunded: amount,
                    currency: "eur".into(),
                };
                let key = EventKey {
                    id: format!("evt_ref_{}_{event}", purchase.id),
                    kind: "t".into(),
                };
                db.store
                    .apply_payment_fact(Some(&key), &fact, now)
                    .await
                    .map_err(fail)?;
            }
            Step::Spend { amount } => {
                let job = JobId::new();
                if db.store.spend_tokens(alice, amount, job, now).await.is_ok() {
                    jobs.push(job);
                }
            }
            Step::RefundJob { pick } if !jobs.is_empty() => {
                db.store
                    .refund_job_tokens(jobs[pick % jobs.len()], now)
                    .await
                    .map_err(fail)?;
            }
            Step::Advance { days } => {
                now = Timestamp::from_millis(now.millis() + days * 86_400_000)
            }
            Step::Expire => {
                db.store.expire_lots(now).await.map_err(fail)?;
            }
            Step::Subscribe => {
                let new = NewSubscription {
                    id: SubscriptionId::new(),
                    plan_id: "monthly".into(),
                    tokens: 7,
                    amount: 900,
                    currency: "eur".into(),
                    interval: BillingInterval::Month,
                    created_at: now,
                };
                plans.push(
                    db.store
                        .create_subscription(alice, &new)
                        .await
                        .map_err(fail)?,
                );
            }
            Step::Invoice {
                pick,
                period,
                event,
            } if !plans.is_empty() => {
                let plan = &plans[pick % plans.len()];
                let key = EventKey {
                    id: format!("evt_inv_{}_{period}_{event}", plan.id),
                    kind: "invoice.paid".into(),
                };
                let fact = plan_invoice(plan, alice, period, start);
                let outcome = db
                    .store
                    .apply_payment_fact(Some(&key), &fact, now)
                    .await
                    .map_err(fail)?;
                if matches!(outcome, PaymentOutcome::Granted { .. }) {
                    prop_assert!(
                        paid_invoices.insert((plan.id, period)),
                        "invoice {} granted twice",
                        period
                    );
                }
            }
            Step::EndPlan { pick } if !plans.is_empty() => {
                let plan = &plans[pick % plans.len()];
                let state = SubscriptionState {
                    reference: SubscriptionRef {
                        ours: Some(plan.id),
                        ..SubscriptionRef::default()
                    },
                    customer: None,
                    stripe_status: "canceled".into(),
                    cancel_at_period_end: false,
                    period_start: None,
                    period_end: None,
                };
                db.store
                    .apply_payment_fact(None, &PaymentFact::SubscriptionChanged(state), now)
                    .await
                    .map_err(fail)?;
            }
            Step::Pay { .. }
            | Step::Refund { .. }
            | Step::RefundJob { .. }
            | Step::Invoice { .. }
            | Step::EndPlan { .. } => {}
        }
        let totals = db.store.token_totals(alice.user_id()).await.map_err(fail)?;
        prop_assert!(totals.invariant_holds(), "{:?}", totals);
        prop_assert!(db.store.balance(alice, now).await.map_err(fail)? >= 0);
        for (purchase, _) in &purchases {
            let stored = db.store.purchase_by_id(purchase.id).await.map_err(fail)?;
            let stored = stored.ok_or_else(|| TestCaseError::fail("purchase vanished"))?;
            prop_assert!(stored.revoked_tokens <= stored.tokens);
            prop_assert_eq!(
                stored.lot_id.is_some(),
                matches!(
                    stored.status,
                    PurchaseStatus::Paid | PurchaseStatus::Refunded
                )
            );
        }
    }
    let lots = db.store.lots(alice).await.map_err(fail)?;
    let bought = lots
        .iter()
        .filter(|l| l.source.starts_with("purchase:"))
        .count();
    let paid = purchases.len();
    prop_assert!(bought <= paid, "{} lots for {} purchases", bought, paid);
    let granted = lots
        .iter()
        .filter(|l| l.source.starts_with("subscription:"))
        .count();
    let grants = db
        .store
        .subscription_grants_of(alice, 1000)
        .await
        .map_err(fail)?;
    prop_assert_eq!(grants.len(), paid_invoices.len());
    prop_assert_eq!(granted, grants.len(), "one lot per granted invoice");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn the_ledger_invariant_holds_with_purchases_refunds_and_plans(steps in prop::collection::vec(step(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(run_steps(steps))?;
    }
}
