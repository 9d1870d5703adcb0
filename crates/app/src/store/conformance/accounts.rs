//! Account and session stories (C4), on every back-end.

use std::time::Duration;

use super::{DAY, TestStore, lot, stories, test_user};
use crate::domain::{Email, Role, Timestamp, UserId};
use crate::store::{
    AccountStatus, NewAccountToken, NewSession, NewUser, Store, StoreError, TokenPurpose,
};

stories!(
    a_session_ends_after_the_idle_timeout,
    use_keeps_a_session_alive_but_not_past_its_absolute_deadline,
    a_taken_email_is_a_conflict_and_the_welcome_lot_comes_with_the_account,
    an_account_token_is_single_use_and_expires,
    suspending_an_account_ends_its_sessions,
    a_password_change_ends_every_session_and_clears_the_lockout,
);

const HOUR: Duration = Duration::from_secs(3600);

async fn session(
    store: &dyn Store,
    user: UserId,
    created_at: Timestamp,
    absolute: Duration,
) -> String {
    let hash = format!("hash-{}", UserId::new());
    let session = NewSession {
        token_hash: hash.clone(),
        user_id: user,
        created_at,
        expires_at: created_at.plus(absolute),
    };
    store.create_session(session).await.expect("create session");
    hash
}

async fn a_session_ends_after_the_idle_timeout(db: &TestStore) {
    let alice = test_user(db.store.as_ref(), "alice").await;
    let start = Timestamp::now();
    let hash = session(db.store.as_ref(), alice.user_id(), start, 30 * 24 * HOUR).await;

    let active = db
        .store
        .session_scope(&hash, start.plus(HOUR), 2 * HOUR)
        .await
        .expect("read");
    let idle = db
        .store
        .session_scope(&hash, start.plus(4 * HOUR), 2 * HOUR)
        .await
        .expect("read");
    let after = db
        .store
        .session_scope(&hash, start.plus(HOUR), 2 * HOUR)
        .await
        .expect("read");

    assert_eq!(active.map(|s| s.user_id()), Some(alice.user_id()));
    assert_eq!(idle, None);
    assert_eq!(after, None, "an ended session stays ended");
}

async fn use_keeps_a_session_alive_but_not_past_its_absolute_deadline(db: &TestStore) {
    let alice = test_user(db.store.as_ref(), "alice").await;
    let start = Timestamp::now();
    let hash = session(db.store.as_ref(), alice.user_id(), start, 5 * HOUR).await;

    let mut alive = Vec::new();
    for hour in 1..=6 {
        alive.push(
            db.store
                .session_scope(&hash, start.plus(hour * HOUR), 2 * HOUR)
                .await
                .expect("read")
                .is_some(),
        );
    }

    assert_eq!(alive, [true, true, true, true, false, false]);
}

async fn a_taken_email_is_a_conflict_and_the_welcome_lot_comes_with_the_account(db: &TestStore) {
    let now = Timestamp::now();
    let new_user = |id| NewUser {
        id,
        email: Email::parse("carol@example.org").expect("valid e-mail"),
        password_hash: "hash".into(),
        guardian_consent: true,
        wrapped_key: vec![7; 60],
        locale: None,
        created_at: now,
    };
    let carol = UserId::new();

    let created = db
        .store
        .create_user(new_user(carol), Some(lot(3, now, DAY)))
        .await
        .expect("create");
    let again = db.store.create_user(new_user(UserId::new()), None).await;

    assert_eq!(created.id, carol);
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    let found = db
        .store
        .find_user_by_email(&Email::parse("carol@example.org").expect("valid"))
        .await
        .expect("find")
        .expect("carol exists");
    assert_eq!(
        (found.user.id, found.password_hash.as_str()),
        (carol, "hash")
    );
    assert_eq!(
        db.store.wrapped_key(carol).await.expect("key"),
        Some(vec![7; 60])
    );
    let totals = db.store.token_totals(carol).await.expect("totals");
    assert_eq!((totals.granted, totals.remaining), (3, 3));
}

async fn an_account_token_is_single_use_and_expires(db: &TestStore) {
    let alice = test_user(db.store.as_ref(), "alice").await;
    let now = Timestamp::now();
    let token = |hash: &str, purpose| NewAccountToken {
        token_hash: hash.into(),
        user_id: alice.user_id(),
        purpose,
        new_email: None,
        created_at: now,
        expires_at: now.plus(HOUR),
    };
    for (hash, purpose) in [
        ("reset", TokenPurpose::PasswordReset),
        ("late", TokenPurpose::PasswordReset),
        ("change", TokenPurpose::EmailChange),
    ] {
        db.store
            .create_account_token(&token(hash, purpose))
            .await
            .expect("create token");
    }
    let consume = |hash: &'static str, purpose, at| {
        let store = db.store.clone();
        async move {
            store
                .consume_account_token(hash, purpose, at)
                .await
                .expect("consume")
        }
    };

    let first = consume("reset", TokenPurpose::PasswordReset, now).await;
    let second = consume("reset", TokenPurpose::PasswordReset, now).await;
    let expired = consume("late", TokenPurpose::PasswordReset, now.plus(2 * HOUR)).await;
    let wrong_purpose = consume("change", TokenPurpose::PasswordReset, now).await;

    assert_eq!(first, Some((alice.user_id(), None)));
    assert_eq!((second, expired, wrong_purpose), (None, None, None));
}

async fn suspending_an_account_ends_its_sessions(db: &TestStore) {
    let alice = test_user(db.store.as_ref(), "alice").await;
    let start = Timestamp::now();
    let hash = session(db.store.as_ref(), alice.user_id(), start, 30 * 24 * HOUR).await;

    db.store
        .set_role_and_status(alice.user_id(), Role::Admin, AccountStatus::Suspended)
        .await
        .expect("suspend");

    let scope = db
        .store
        .session_scope(&hash, start, HOUR)
        .await
        .expect("read");
    assert_eq!(scope, None);
    let user = db.store.user(alice).await.expect("user");
    assert_eq!(
        (user.role, user.status.as_str()),
        (Role::Admin, "suspended")
    );
}

async fn a_password_change_ends_every_session_and_clears_the_lockout(db: &TestStore) {
    let alice = test_user(db.store.as_ref(), "alice").await;
    let start = Timestamp::now();
    let hash = session(db.store.as_ref(), alice.user_id(), start, 30 * 24 * HOUR).await;
    let email = db.store.user(alice).await.expect("user").email;
    let email = Email::parse(&email).expect("stored e-mail");
    for _ in 0..3 {
        db.store
            .record_failed_login(alice.user_id(), 3, start.plus(HOUR))
            .await
            .expect("record failure");
    }
    let locked = db.store.find_user_by_email(&email).await.expect("find");

    db.store
        .set_password_hash(alice.user_id(), "new-hash")
        .await
        .expect("set password");

    let after = db.store.find_user_by_email(&email).await.expect("find");
    assert_eq!(locked.and_then(|c| c.locked_until), Some(start.plus(HOUR)));
    let after = after.expect("still there");
    assert_eq!(
        (after.password_hash.as_str(), after.locked_until),
        ("new-hash", None)
    );
    assert_eq!(
        db.store
            .session_scope(&hash, start, HOUR)
            .await
            .expect("read"),
        None
    );
}
