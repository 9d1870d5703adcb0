//! The Stripe webhook through the real router: signatures, redelivery, concurrency, order,
//! mismatches and the CSRF exemption.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::payments::{
    Shop, balance, deliver, delivery, invariant_holds, paid_checkout, purchase, shop,
};
use super::send;
use crate::billing::fake_stripe::{WEBHOOK_SECRET, event, refunded_charge, signature_now};
use crate::billing::signature::sign;
use crate::domain::Timestamp;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_deliveries_of_one_event_credit_once() {
    let shop = shop().await;
    let (token, _, session) = paid_checkout(&shop, "ada", "15-tokens").await;
    let body = event("evt_burst", "checkout.session.completed", &session);

    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (router, body) = (shop.router.clone(), body.clone());
            tokio::spawn(async move { deliver(&router, &body).await })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("delivery task"));
    }

    assert!(replies.iter().all(|r| r.status == StatusCode::OK));
    let credited = replies
        .iter()
        .filter(|r| r.json()["outcome"] == "credited")
        .count();
    assert_eq!(credited, 1);
    assert_eq!(balance(&shop.router, &token).await, 3 + 15);
    assert!(invariant_holds(&shop, &token).await);
}

#[tokio::test]
async fn refused_signatures_get_400_with_a_code_and_change_nothing() {
    let shop = shop().await;
    let (token, _, session) = paid_checkout(&shop, "ada", "5-tokens").await;
    let body = event("evt_1", "checkout.session.completed", &session);
    let now = Timestamp::now().millis() / 1000;
    let forged = sign(b"{\"other\":true}", WEBHOOK_SECRET, now);
    let wrong_secret = sign(&body, "whsec_not_ours", now);
    let old = sign(&body, WEBHOOK_SECRET, now - 301);
    // A few seconds past the tolerance: the server reads its clock later than this test did
    // (a second boundary under load turned +301 into an accepted +300 once).
    let ahead = sign(&body, WEBHOOK_SECRET, now + 305);
    let cases = [
        (Some(forged.as_str()), "bad-signature"),
        (Some(wrong_secret.as_str()), "bad-signature"),
        (Some(old.as_str()), "stale-signature"),
        (Some(ahead.as_str()), "stale-signature"),
        (None, "missing-signature"),
        (Some("t=,v1"), "malformed-signature"),
        (Some("v1=deadbeef"), "malformed-signature"),
    ];

    for (signature, code) in cases {
        let reply = send(&shop.router, delivery(&body, signature)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{signature:?}");
        assert_eq!(reply.code(), code, "{signature:?}");
    }

    assert_eq!(balance(&shop.router, &token).await, 3);
    assert_eq!(purchase(&shop.router, &token).await["status"], "pending");
    // Nothing was recorded either: the genuine delivery of that event still credits.
    let genuine = deliver(&shop.router, &body).await;
    assert_eq!(genuine.json()["outcome"], "credited");
}

#[tokio::test]
async fn a_signed_body_that_is_not_an_event_is_refused() {
    let shop = shop().await;

    let reply = deliver(&shop.router, b"{\"hello\":\"world\"}").await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "invalid-event");
}

#[tokio::test]
async fn a_session_that_does_not_match_its_purchase_credits_nothing() {
    let shop = shop().await;
    let (token, _, session) = paid_checkout(&shop, "ada", "5-tokens").await;
    let (other, _, _) = paid_checkout(&shop, "eve", "5-tokens").await;
    let eve = shop
        .test
        .services
        .accounts
        .authenticate(&other)
        .await
        .expect("auth");
    let tamper = |field: &str, value: Value| {
        let mut changed = session.clone();
        changed[field] = value;
        changed
    };
    let cases = [
        (tamper("amount_total", json!(50)), "amount-mismatch"),
        (tamper("currency", json!("usd")), "currency-mismatch"),
        (
            tamper("client_reference_id", json!(eve.user_id().to_string())),
            "client-reference-mismatch",
        ),
    ];

    for (index, (object, outcome)) in cases.into_iter().enumerate() {
        let body = event(
            &format!("evt_{index}"),
            "checkout.session.completed",
            &object,
        );
        let reply = deliver(&shop.router, &body).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json()["outcome"], outcome);
    }

    assert_eq!(balance(&shop.router, &token).await, 3);
    assert_eq!(balance(&shop.router, &other).await, 3);
    assert_eq!(purchase(&shop.router, &token).await["status"], "pending");
}

/// A purchase's state as the buyer sees it, without instants and ids.
async fn seen(shop: &Shop, token: &str) -> (i64, Value, Value, Value) {
    let bought = purchase(&shop.router, token).await;
    (
        balance(&shop.router, token).await,
        bought["status"].clone(),
        bought["revoked_tokens"].clone(),
        bought["refunded_amount"].clone(),
    )
}

#[tokio::test]
async fn completed_and_refunded_in_either_order_end_alike() {
    let shop = shop().await;
    let (first, _, paid_first) = paid_checkout(&shop, "ada", "5-tokens").await;
    let (second, _, paid_second) = paid_checkout(&shop, "bob", "5-tokens").await;
    let intent = |s: &Value| s["payment_intent"].as_str().unwrap_or_default().to_owned();
    let completed = |n: &str, s: &Value| event(n, "checkout.session.completed", s);
    let refunded = |n: &str, s: &Value| {
        event(
            n,
            "charge.refunded",
            &refunded_charge(&intent(s), 500, "eur"),
        )
    };

    for body in [
        completed("evt_a1", &paid_first),
        refunded("evt_a2", &paid_first),
        refunded("evt_a2", &paid_first),
    ] {
        assert_eq!(deliver(&shop.router, &body).await.status, StatusCode::OK);
    }
    for body in [
        refunded("evt_b2", &paid_second),
        completed("evt_b1", &paid_second),
        completed("evt_b1", &paid_second),
    ] {
        assert_eq!(deliver(&shop.router, &body).await.status, StatusCode::OK);
    }

    let expected = (3, json!("refunded"), json!(5), json!(500));
    assert_eq!(seen(&shop, &first).await, expected);
    assert_eq!(seen(&shop, &second).await, expected);
    assert!(invariant_holds(&shop, &first).await);
    assert!(invariant_holds(&shop, &second).await);
}

#[tokio::test]
async fn expiry_after_payment_changes_nothing_and_unknown_events_are_ignored() {
    let shop = shop().await;
    let (token, _, session) = paid_checkout(&shop, "ada", "5-tokens").await;
    let mut expired = session.clone();
    expired["status"] = json!("expired");
    expired["payment_status"] = json!("unpaid");

    deliver(
        &shop.router,
        &event("evt_1", "checkout.session.completed", &session),
    )
    .await;
    let late = deliver(
        &shop.router,
        &event("evt_2", "checkout.session.expired", &expired),
    )
    .await;
    let unknown = deliver(
        &shop.router,
        &event("evt_3", "customer.created", &json!({"id": "cus_1"})),
    )
    .await;

    assert_eq!(late.json()["outcome"], "ignored");
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(unknown.json()["outcome"], "ignored");
    assert_eq!(
        seen(&shop, &token).await,
        (8, json!("paid"), json!(0), json!(0))
    );
}

#[tokio::test]
async fn the_webhook_skips_the_cross_site_check_but_not_the_signature() {
    let shop = shop().await;
    let (token, _, session) = paid_checkout(&shop, "ada", "5-tokens").await;
    let body = event("evt_1", "checkout.session.completed", &session);
    let mut cross_site = delivery(&body, Some(&signature_now(&body)));
    let headers = cross_site.headers_mut();
    headers.insert("sec-fetch-site", "cross-site".parse().expect("header"));
    headers.insert("origin", "https://evil.example".parse().expect("header"));

    let reply = send(&shop.router, cross_site).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(balance(&shop.router, &token).await, 8);
}
