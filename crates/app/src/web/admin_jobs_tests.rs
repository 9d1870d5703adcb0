//! The admin console's job retries and purchase refunds through the real router, each with
//! exactly its audit entry.

use super::admin_console::{Console, console, console_on, summary};
use crate::billing::fake_stripe::FakeStripe;
use crate::domain::{JobId, Timestamp, UserScope};
use crate::jobs::JobRequest;
use crate::store::{JobStatus, PurchaseStatus};
use crate::testing::{photo_png, stripe_config, test_app_with};

/// Ada's job on a fresh photo, failed (and so refunded) with `reason`.
async fn failed_job(c: &Console, ada: UserScope, reason: &str) -> JobId {
    let services = &c.test.services;
    let upload = services
        .media
        .ingest_upload(ada, photo_png(32, 32))
        .await
        .expect("upload");
    let request = JobRequest {
        upload_id: Some(upload.id),
        style: "rough-sketch".into(),
        ..JobRequest::default()
    };
    let job = services.jobs.create(ada, request).await.expect("job");
    services
        .store
        .fail_job(job.id, None, reason, Timestamp::now())
        .await
        .expect("fail");
    job.id
}

#[tokio::test]
async fn retrying_a_failed_job_queues_a_fresh_attempt_that_the_owner_pays_for() {
    let c = console().await;
    let ada = c.test.user("ada").await;
    let failed = failed_job(&c, ada, "the model ran out of memory").await;
    let store = &c.test.services.store;

    let listed = c.get("/admin/jobs").await;
    let (retried, retry_log) = c
        .audited(c.post(&format!("/admin/jobs/{failed}/retry"), ""))
        .await;
    let jobs = store.jobs_of(ada, 10).await.expect("jobs");
    let (again, _) = c
        .audited(c.post(&format!("/admin/jobs/{}/retry", jobs[0].id), ""))
        .await;

    assert!(
        listed.html.contains("the model ran out of memory"),
        "{}",
        listed.html
    );
    assert!(
        listed
            .html
            .contains(&format!("action=\"/admin/jobs/{failed}/retry\""))
    );
    assert_eq!(retried.location.as_deref(), Some("/admin/jobs?done=retry"));
    let cost = jobs[0].cost;
    assert_eq!(
        summary(&retry_log),
        [c.entry(
            "retry-job",
            ada.user_id(),
            &format!("job {failed}, costs the owner {cost} tokens")
        )]
    );
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].status, JobStatus::Queued);
    assert_ne!(jobs[0].id, failed);
    assert_eq!(
        jobs[1].status,
        JobStatus::Failed,
        "the failure stays in the history"
    );
    assert_eq!(c.balance(ada.user_id()).await, 3 - i64::from(cost));
    assert_eq!(
        again.location.as_deref(),
        Some("/admin/jobs?error=not-failed")
    );
}

#[tokio::test]
async fn a_retry_is_refused_when_the_owner_has_no_tokens_left() {
    let c = console().await;
    let ada = c.test.user("ada").await;
    let failed = failed_job(&c, ada, "boom").await;
    let store = &c.test.services.store;
    store
        .revoke_unspent(ada.user_id(), 3, Timestamp::now())
        .await
        .expect("revoke");

    let (refused, log) = c
        .audited(c.post(&format!("/admin/jobs/{failed}/retry"), ""))
        .await;

    assert_eq!(
        refused.location.as_deref(),
        Some("/admin/jobs?error=retry-refused")
    );
    assert!(log.is_empty());
    assert_eq!(store.jobs_of(ada, 10).await.expect("jobs").len(), 1);
}

#[tokio::test]
async fn refunding_a_paid_purchase_refunds_once_and_lists_it_with_the_refunds() {
    let fake = FakeStripe::start().await;
    let c = console_on(test_app_with(stripe_config(&fake.base)).await).await;
    let ada = c.test.user("ada").await;
    let billing = &c.test.services.billing;
    let started = billing
        .start_checkout(ada, "5-tokens", "Atelier: 5 tokens", "https://atelier.test")
        .await
        .expect("checkout");
    let session = started
        .url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    fake.pay(&session);
    billing.reconcile(ada, &session).await.expect("reconcile");
    let id = started.purchase.id;
    let before = c.get("/admin/purchases").await;

    let (refunded, log) = c
        .audited(c.post(&format!("/admin/purchases/{id}/refund"), ""))
        .await;
    let (twice, twice_log) = c
        .audited(c.post(&format!("/admin/purchases/{id}/refund"), ""))
        .await;
    let after = c.get("/admin/purchases?done=refund").await;

    assert!(
        before
            .html
            .contains(&format!("action=\"/admin/purchases/{id}/refund\""))
    );
    assert_eq!(
        refunded.location.as_deref(),
        Some("/admin/purchases?done=refund")
    );
    assert_eq!(
        summary(&log),
        [c.entry("refund", ada.user_id(), &format!("purchase {id}"))]
    );
    let stored = c.test.services.store.purchase(ada, id).await.expect("read");
    assert_eq!(stored.map(|p| p.status), Some(PurchaseStatus::Refunded));
    let refunds = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/refunds")
        .count();
    assert_eq!(refunds, 1);
    assert_eq!(c.balance(ada.user_id()).await, 3);
    assert_eq!(
        twice.location.as_deref(),
        Some("/admin/purchases?error=not-refundable")
    );
    assert!(twice_log.is_empty());
    assert!(
        !after
            .html
            .contains(&format!("action=\"/admin/purchases/{id}/refund\""))
    );
    assert_eq!(
        after.html.matches(&format!("<code>{id}</code>")).count(),
        2,
        "listed with all purchases and with the refunded ones"
    );
    assert!(
        after.html.contains("The purchase was refunded"),
        "{}",
        after.html
    );
}
