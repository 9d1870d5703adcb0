//! Helpers for store tests: a fresh database in a temporary folder and users to act as.

use super::SqliteStore;
use crate::domain::{Email, LotId, Role, Timestamp, UserId, UserScope};
use crate::store::{AccountStore, NewLot, NewUser};

pub(crate) struct TestDb {
    pub store: SqliteStore,
    _dir: tempfile::TempDir,
}

pub(crate) async fn test_db() -> TestDb {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = SqliteStore::open(&url).await.expect("open test database");
    TestDb { store, _dir: dir }
}

/// A user with no tokens, and the scope authentication would give them.
pub(crate) async fn test_user(store: &SqliteStore, name: &str) -> UserScope {
    let id = UserId::new();
    let user = NewUser {
        id,
        email: Email::parse(&format!("{name}@example.org")).expect("valid e-mail"),
        password_hash: "not-a-hash".into(),
        guardian_consent: false,
        wrapped_key: vec![0; 60],
        created_at: Timestamp::now(),
    };
    store.create_user(user, None).await.expect("create user");
    UserScope::trusted(id, Role::User)
}

pub(crate) fn lot(quantity: u32, created_at: Timestamp, valid_ms: i64) -> NewLot {
    NewLot {
        id: LotId::new(),
        quantity,
        source: "test".into(),
        created_at,
        expires_at: Timestamp::from_millis(created_at.millis() + valid_ms),
    }
}
