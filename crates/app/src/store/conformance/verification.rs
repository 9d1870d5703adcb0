//! E-mail verification and the sweep of unconfirmed accounts, through the services, on each
//! back-end: the sweeper erases an old unverified account entirely (rows, blobs, wrapped
//! key; no farewell mail) and leaves a verified old one and a young unverified one alone.

use super::{DAY, TestStore, stories};
use crate::domain::{Email, LotId, Role, Timestamp, UserId, UserScope};
use crate::store::{NewLot, NewUser, StoreError};
use crate::testing::{TestApp, photo_png, test_app_on};

stories!(
    an_unconfirmed_account_is_erased_after_the_ttl_and_others_stay,
    the_verification_link_marks_the_address_verified_once,
);

/// An account created `age_days` ago, with welcome tokens and a real data key.
async fn account_aged(app: &TestApp, name: &str, age_days: i64) -> (UserScope, String) {
    let services = &app.services;
    let id = UserId::new();
    let email = format!("{name}.{}@example.org", id.as_uuid().simple());
    let created_at = Timestamp::from_millis(Timestamp::now().millis() - age_days * DAY);
    let user = NewUser {
        id,
        email: Email::parse(&email).expect("e-mail"),
        password_hash: "not-a-hash".into(),
        guardian_consent: false,
        wrapped_key: services.blobs.new_wrapped_key(id).expect("key"),
        locale: Some("en-US".into()),
        created_at,
    };
    let welcome = NewLot {
        id: LotId::new(),
        quantity: 3,
        source: "welcome".into(),
        created_at,
        expires_at: Timestamp::now().plus(std::time::Duration::from_secs(3600)),
    };
    services
        .store
        .create_user(user, Some(welcome))
        .await
        .expect("create user");
    (UserScope::trusted(id, Role::User), email)
}

async fn an_unconfirmed_account_is_erased_after_the_ttl_and_others_stay(db: &TestStore) {
    let app = test_app_on(db.store.clone());
    let services = &app.services;
    let store = &services.store;
    let (stale, stale_email) = account_aged(&app, "stale", 31).await;
    let (confirmed, _) = account_aged(&app, "confirmed", 31).await;
    store
        .mark_email_verified(confirmed.user_id(), Timestamp::now())
        .await
        .expect("verify");
    let young = app.user("young").await;
    let upload = services
        .media
        .ingest_upload(stale, photo_png(16, 16))
        .await
        .expect("upload");

    let report = services
        .sweeper()
        .sweep_once(Timestamp::now())
        .await
        .expect("sweep");
    let again = services
        .sweeper()
        .sweep_once(Timestamp::now())
        .await
        .expect("sweep again");

    assert_eq!(report.unconfirmed_accounts, 1);
    assert_eq!(again.unconfirmed_accounts, 0);
    assert!(matches!(store.user(stale).await, Err(StoreError::NotFound)));
    assert!(
        store
            .find_user_by_email(&Email::parse(&stale_email).expect("e-mail"))
            .await
            .expect("lookup")
            .is_none()
    );
    assert_eq!(store.wrapped_key(stale.user_id()).await.expect("key"), None);
    assert!(
        store
            .upload(stale, upload.id)
            .await
            .expect("read")
            .is_none()
    );
    let prefix = format!("users/{}/", stale.user_id());
    let blobs = services.blobs.list().await.expect("list");
    assert!(blobs.iter().all(|(key, _)| !key.starts_with(&prefix)));
    let outbox = store
        .pending_mail(Timestamp::now(), 100)
        .await
        .expect("outbox");
    assert!(
        outbox.iter().all(|p| p.mail.recipient != stale_email),
        "no farewell to an address never confirmed"
    );
    assert!(
        store.user(confirmed).await.is_ok(),
        "verified accounts stay"
    );
    assert!(store.user(young).await.is_ok(), "young accounts stay");
}

async fn the_verification_link_marks_the_address_verified_once(db: &TestStore) {
    let app = test_app_on(db.store.clone());
    let services = &app.services;
    let scope = app.user("ada").await;
    let user = services.store.user(scope).await.expect("user");
    let outbox = services
        .store
        .pending_mail(Timestamp::now(), 10)
        .await
        .expect("outbox");
    let mail = outbox
        .iter()
        .find(|p| p.mail.recipient == user.email)
        .expect("verification mail");
    let start = mail.mail.body.find("token=").expect("link") + "token=".len();
    let token = &mail.mail.body[start..start + 32];

    services.accounts.verify_email(token).await.expect("verify");
    let again = services.accounts.verify_email(token).await;
    let record = services.store.account_record(scope).await.expect("record");

    assert_eq!(user.email_verified_at, None);
    assert!(again.is_err());
    assert!(record.email_verified_at.is_some());
    assert_eq!(record.locale, None, "signed up without a language");
}
