//! One suite of store stories for every back-end (STYLE: atuin `tests-database`). Each story
//! is an `async fn(&TestStore)`; `stories!` runs it on SQLite always and on PostgreSQL when
//! `ATELIER_TEST_POSTGRES_URL` names a server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`),
//! each test on a fresh database of its own that is dropped afterwards.

mod accounts;
mod admin;
mod jobs;
mod leases;
mod media;
mod migrations;
mod payments;
mod pg;
mod plans;
mod policies;
mod privacy;
mod prompts;
mod reports;
mod retention;
mod rls;
mod service;
mod support;
mod throttle;
mod tokens;
mod verification;

use std::sync::Arc;

use crate::domain::{Email, LotId, Role, Timestamp, UserId, UserScope};
use crate::store::sqlite::SqliteStore;
use crate::store::{NewLot, NewUser, Store};

pub(crate) use pg::PgTestDb;

pub(crate) const DAY: i64 = 86_400_000;

/// A store on a fresh database, and what keeps that database alive until the test ends.
pub(crate) struct TestStore {
    // Declared first so it drops (closing its pools) before the database goes.
    pub store: Arc<dyn Store>,
    pub backend: Backend,
}

pub(crate) enum Backend {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(PgTestDb),
}

/// A fresh SQLite file in a temporary folder.
pub(crate) async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = SqliteStore::open(&url).await.expect("open test database");
    TestStore {
        store: Arc::new(store),
        backend: Backend::Sqlite(dir),
    }
}

/// A fresh PostgreSQL database, or `None` (the story is skipped) when no server is set.
pub(crate) async fn postgres() -> Option<TestStore> {
    let db = PgTestDb::create().await?;
    let store = db.open().await;
    Some(TestStore {
        store: Arc::new(store),
        backend: Backend::Postgres(db),
    })
}

/// A user with no tokens, and the scope authentication would give them.
pub(crate) async fn test_user(store: &dyn Store, name: &str) -> UserScope {
    let id = UserId::new();
    let user = NewUser {
        id,
        email: Email::parse(&format!("{name}.{}@example.org", id.as_uuid().simple()))
            .expect("valid e-mail"),
        password_hash: "not-a-hash".into(),
        guardian_consent: false,
        wrapped_key: vec![0; 60],
        locale: None,
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

/// Runs each named story (an `async fn(&TestStore)` in the calling module) as two tests:
/// `sqlite::<story>` and `postgres::<story>`; the latter returns early without a server.
macro_rules! stories {
    ($($story:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    let db = crate::store::conformance::sqlite().await;
                    super::$story(&db).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    let Some(db) = crate::store::conformance::postgres().await else {
                        return;
                    };
                    super::$story(&db).await;
                }
            )*
        }
    };
}

pub(crate) use stories;
