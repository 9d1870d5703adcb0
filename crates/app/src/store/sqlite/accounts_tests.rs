use std::time::Duration;

use super::*;
use crate::store::sqlite::test_support::{test_db, test_user};

const HOUR: Duration = Duration::from_secs(3600);

async fn session(
    store: &SqliteStore,
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

#[tokio::test]
async fn a_session_ends_after_the_idle_timeout() {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let start = Timestamp::now();
    let hash = session(&db.store, alice.user_id(), start, 30 * 24 * HOUR).await;

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

#[tokio::test]
async fn use_keeps_a_session_alive_but_not_past_its_absolute_deadline() {
    let db = test_db().await;
    let alice = test_user(&db.store, "alice").await;
    let start = Timestamp::now();
    let hash = session(&db.store, alice.user_id(), start, 5 * HOUR).await;

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
