//! The privacy center through the router: erasure, export, restriction, rectification.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{create_job, register, request, router, send, upload, upload_request};
use crate::domain::{PurchaseId, Timestamp, UserScope};
use crate::store::NewPurchase;
use crate::testing::{TestApp, photo_png, test_app};

pub(super) async fn scope_of(test: &TestApp, token: &str) -> UserScope {
    test.services
        .accounts
        .authenticate(token)
        .await
        .expect("session")
}

pub(super) async fn buy_pending(test: &TestApp, scope: UserScope) -> PurchaseId {
    let new = NewPurchase {
        id: PurchaseId::new(),
        pack_id: "5-tokens".into(),
        tokens: 5,
        amount: 500,
        currency: "eur".into(),
        valid_days: 182,
        created_at: Timestamp::now(),
    };
    test.services
        .store
        .create_purchase(scope, &new)
        .await
        .expect("purchase")
        .id
}

/// Uploads a photo, runs one job to a result and leaves a second job queued.
pub(super) async fn fill_account(test: &TestApp, router: &axum::Router, token: &str) {
    let photo = upload(router, token).await;
    let first = create_job(router, token, &photo).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{:?}", first.json());
    let worked = test
        .services
        .worker("w1".into())
        .run_once()
        .await
        .expect("run");
    assert!(worked);
    let second = create_job(router, token, &photo).await;
    assert_eq!(second.status, StatusCode::ACCEPTED, "{:?}", second.json());
}

fn erase_body(password: &str) -> Option<Value> {
    Some(json!({ "password": password }))
}

#[tokio::test]
async fn erasure_leaves_no_row_or_blob_of_the_user_and_keeps_purchases_anonymous() {
    let test = test_app().await;
    test.services
        .policies
        .ensure_published(Timestamp::now())
        .await
        .expect("policies");
    let router = router(&test);
    let ada = register(&router, "ada").await;
    let bob = register(&router, "bob").await;
    fill_account(&test, &router, &ada).await;
    upload(&router, &bob).await;
    let ada_scope = scope_of(&test, &ada).await;
    let ada_id = ada_scope.user_id().to_string();
    let purchase = buy_pending(&test, ada_scope).await;
    // A choice that leaves analytics on, so erasure has usage events to remove.
    let choice = json!({"marketing_opt_in": true});
    send(
        &router,
        request(Method::PUT, "/api/v1/me/privacy", Some(&ada), Some(choice)),
    )
    .await;
    let moving = json!({"email": "ada.new@example.org", "password": "a sturdy passphrase"});
    let asked = send(
        &router,
        request(Method::POST, "/api/v1/me/email", Some(&ada), Some(moving)),
    )
    .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    assert!(!test.rows_mentioning("ada.new@example.org").await.is_empty());
    let reset = json!({"email": "ada@example.org"});
    send(
        &router,
        request(
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(reset),
        ),
    )
    .await;
    let blobs_before = test.services.blobs.list().await.expect("list");
    assert!(blobs_before.iter().any(|(key, _)| key.contains(&ada_id)));
    let mentioning = test.rows_mentioning(&ada_id).await;
    for table in ["usage_events", "policy_acceptances"] {
        assert!(
            mentioning.iter().any(|(t, _)| t == table),
            "{table}: {mentioning:?}"
        );
    }

    let erased = send(
        &router,
        request(
            Method::DELETE,
            "/api/v1/me",
            Some(&ada),
            erase_body("a sturdy passphrase"),
        ),
    )
    .await;

    assert_eq!(erased.status, StatusCode::NO_CONTENT, "{:?}", erased.json());
    assert_eq!(
        test.rows_mentioning(&ada_id).await,
        Vec::<(String, i64)>::new()
    );
    // Only the confirmation mail still names the address, until it is delivered.
    assert_eq!(
        test.rows_mentioning("ada@example.org").await,
        vec![("outbox".to_owned(), 1)]
    );
    let store = &test.services.store;
    let farewell = store
        .pending_mail(Timestamp::now(), 10)
        .await
        .expect("outbox");
    let farewell = farewell
        .iter()
        .find(|m| m.mail.recipient == "ada@example.org")
        .expect("confirmation queued");
    assert!(farewell.mail.subject.contains("deleted"));
    store
        .mark_mail_sent(farewell.id, Timestamp::now())
        .await
        .expect("sent");
    assert!(test.rows_mentioning("ada@example.org").await.is_empty());
    assert!(test.rows_mentioning("ada.new@example.org").await.is_empty());
    let blobs_after = test.services.blobs.list().await.expect("list");
    assert!(!blobs_after.iter().any(|(key, _)| key.contains(&ada_id)));
    assert!(
        blobs_after.iter().any(|(key, _)| !key.contains(&ada_id)),
        "bob's photo stays"
    );
    let kept = store
        .purchase_by_id(purchase)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!((kept.user_id, kept.amount), (None, 500));
    assert_eq!(
        store.wrapped_key(ada_scope.user_id()).await.expect("key"),
        None
    );
    let me = send(
        &router,
        request(Method::GET, "/api/v1/me", Some(&ada), None),
    )
    .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    let bob_me = send(
        &router,
        request(Method::GET, "/api/v1/me", Some(&bob), None),
    )
    .await;
    assert_eq!(bob_me.status, StatusCode::OK);
    register(&router, "ada").await;
}

#[tokio::test]
async fn erasure_needs_the_current_password() {
    let test = test_app().await;
    let router = router(&test);
    let ada = register(&router, "ada").await;

    let wrong = send(
        &router,
        request(
            Method::DELETE,
            "/api/v1/me",
            Some(&ada),
            erase_body("not my password"),
        ),
    )
    .await;
    let missing = send(
        &router,
        request(Method::DELETE, "/api/v1/me", Some(&ada), Some(json!({}))),
    )
    .await;
    let anonymous = send(
        &router,
        request(
            Method::DELETE,
            "/api/v1/me",
            None,
            erase_body("a sturdy passphrase"),
        ),
    )
    .await;

    assert_eq!(
        (wrong.status, wrong.code().as_str()),
        (StatusCode::FORBIDDEN, "wrong-password")
    );
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let me = send(
        &router,
        request(Method::GET, "/api/v1/me", Some(&ada), None),
    )
    .await;
    assert_eq!(me.status, StatusCode::OK);
}

#[tokio::test]
async fn guessing_the_password_through_erasure_locks_like_sign_in() {
    let test = test_app().await;
    let router = router(&test);
    let ada = register(&router, "ada").await;
    let max = test.services.config.accounts.max_failed_logins;

    for _ in 0..max {
        let wrong = erase_body("a wrong guess");
        send(
            &router,
            request(Method::DELETE, "/api/v1/me", Some(&ada), wrong),
        )
        .await;
    }
    let right = erase_body("a sturdy passphrase");
    let locked = send(
        &router,
        request(Method::DELETE, "/api/v1/me", Some(&ada), right),
    )
    .await;

    assert_eq!(
        (locked.status, locked.code().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "too-many-attempts")
    );
    let me = send(
        &router,
        request(Method::GET, "/api/v1/me", Some(&ada), None),
    )
    .await;
    assert_eq!(me.status, StatusCode::OK);
}

#[tokio::test]
async fn a_job_running_during_erasure_writes_no_result() {
    let test = test_app().await;
    let router = router(&test);
    let ada = register(&router, "ada").await;
    let photo = upload(&router, &ada).await;
    let job = create_job(&router, &ada, &photo).await.json();
    let store = &test.services.store;
    let claim = crate::store::Claim {
        worker: "w1".into(),
        lease: std::time::Duration::from_secs(60),
        per_user_concurrency: 1,
        max_attempts: 3,
    };
    let running = store
        .claim_next_job(&claim, Timestamp::now())
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(
        running.id.to_string(),
        job["id"].as_str().unwrap_or_default()
    );
    let scope = scope_of(&test, &ada).await;

    test.services
        .privacy
        .erase(scope, "a sturdy passphrase")
        .await
        .expect("erase");
    let record = crate::store::ResultRecord {
        id: crate::domain::ResultId::new(),
        job_id: running.id,
        user_id: scope.user_id(),
        blob_key: crate::blobs::result_key(scope.user_id(), running.id),
        width: 1,
        height: 1,
        created_at: Timestamp::now(),
        expires_at: Timestamp::now(),
        saved_at: None,
        saved_until: None,
        deletes_at: None,
    };
    let completed = store
        .complete_job(running.id, "w1", &record, Timestamp::now())
        .await;

    assert!(
        matches!(completed, Err(crate::store::StoreError::NotFound)),
        "{completed:?}"
    );
    assert!(
        test.rows_mentioning(&scope.user_id().to_string())
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn paused_processing_refuses_uploads_and_jobs_and_holds_the_queue() {
    let test = test_app().await;
    let router = router(&test);
    let ada = register(&router, "ada").await;
    let photo = upload(&router, &ada).await;
    let queued = create_job(&router, &ada, &photo).await;
    assert_eq!(queued.status, StatusCode::ACCEPTED);

    let pause = json!({"processing_paused": true});
    let paused = send(
        &router,
        request(Method::PUT, "/api/v1/me/privacy", Some(&ada), Some(pause)),
    )
    .await;
    let refused_upload = send(&router, upload_request(&ada, "file", &photo_png(40, 30))).await;
    let refused_job = create_job(&router, &ada, &photo).await;
    let ran_while_paused = test
        .services
        .worker("w1".into())
        .run_once()
        .await
        .expect("run");
    let resume = json!({"processing_paused": false});
    send(
        &router,
        request(Method::PUT, "/api/v1/me/privacy", Some(&ada), Some(resume)),
    )
    .await;
    let ran_after = test
        .services
        .worker("w1".into())
        .run_once()
        .await
        .expect("run");
    let settings = send(
        &router,
        request(Method::GET, "/api/v1/me/privacy", Some(&ada), None),
    )
    .await;

    assert_eq!(paused.status, StatusCode::OK);
    assert_eq!(paused.json()["processing_paused"], json!(true));
    assert_eq!(paused.json()["request_deadline_days"], json!(30));
    assert_eq!(
        (refused_upload.status, refused_upload.code().as_str()),
        (StatusCode::FORBIDDEN, "processing-paused")
    );
    assert_eq!(
        (refused_job.status, refused_job.code().as_str()),
        (StatusCode::FORBIDDEN, "processing-paused")
    );
    assert!(!ran_while_paused, "a paused account's queued job must wait");
    assert!(ran_after);
    assert_eq!(settings.json()["processing_paused"], json!(false));
    let scope = scope_of(&test, &ada).await;
    let history = test
        .services
        .store
        .consents_of(scope, 10)
        .await
        .expect("consents");
    let values: Vec<bool> = history.iter().map(|c| c.value).collect();
    assert_eq!(values, vec![true, false]);
}

#[tokio::test]
async fn a_choice_set_to_what_it_already_is_records_nothing_and_unknown_fields_are_refused() {
    let test = test_app().await;
    let router = router(&test);
    let ada = register(&router, "ada").await;

    let same = json!({"marketing_opt_in": false});
    let unchanged = send(
        &router,
        request(Method::PUT, "/api/v1/me/privacy", Some(&ada), Some(same)),
    )
    .await;
    let odd = json!({"sell_my_data": true});
    let refused = send(
        &router,
        request(Method::PUT, "/api/v1/me/privacy", Some(&ada), Some(odd)),
    )
    .await;

    assert_eq!(unchanged.status, StatusCode::OK);
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let scope = scope_of(&test, &ada).await;
    assert!(
        test.services
            .store
            .consents_of(scope, 10)
            .await
            .expect("read")
            .is_empty()
    );
}

#[tokio::test]
async fn only_admins_read_the_admin_audit_log() {
    let test = test_app().await;
    let router = router(&test);
    let ada = register(&router, "ada").await;
    let scope = scope_of(&test, &ada).await;
    let store = &test.services.store;

    let refused = send(
        &router,
        request(Method::GET, "/api/v1/admin/audit", Some(&ada), None),
    )
    .await;
    store
        .set_role_and_status(
            scope.user_id(),
            crate::domain::Role::Admin,
            crate::store::AccountStatus::Active,
        )
        .await
        .expect("make admin");
    let (_, token) = test
        .services
        .accounts
        .sign_in("ada@example.org", "a sturdy passphrase")
        .await
        .expect("sign in again");
    let entry = crate::store::AdminAction {
        at: Timestamp::now(),
        actor: "cli".into(),
        action: "grant".into(),
        subject: Some(scope.user_id()),
        detail: "4 tokens".into(),
    };
    store.record_admin_action(&entry).await.expect("record");
    let read = send(
        &router,
        request(
            Method::GET,
            "/api/v1/admin/audit",
            Some(token.as_str()),
            None,
        ),
    )
    .await;

    assert_eq!(
        (refused.status, refused.code().as_str()),
        (StatusCode::NOT_FOUND, "not-found")
    );
    assert_eq!(read.status, StatusCode::OK);
    // The read itself is audited first (newest first), then the operator's grant.
    assert_eq!(read.json()[0]["action"], json!("view-audit"));
    assert_eq!(read.json()[0]["actor"], json!(scope.user_id().to_string()));
    assert_eq!(read.json()[1]["action"], json!("grant"));
}
