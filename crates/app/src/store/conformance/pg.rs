//! Fresh PostgreSQL databases for tests: one per test, with a random name, created through
//! the server named by `ATELIER_TEST_POSTGRES_URL` and dropped (with its two roles) when the
//! test ends, pass or fail.

use std::str::FromStr;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::config::DatabaseConfig;
use crate::store::postgres::PgStore;

pub(crate) const URL_VAR: &str = "ATELIER_TEST_POSTGRES_URL";

/// A database of this test's own on the test server.
pub(crate) struct PgTestDb {
    admin_url: String,
    pub name: String,
    /// The URL of this database, as its owner (the server's admin user).
    pub url: String,
}

impl PgTestDb {
    /// Creates a fresh database, or `None` when `ATELIER_TEST_POSTGRES_URL` is unset (the
    /// story is skipped). Under CI (`CI=true`) an unset URL fails the test instead: CI runs
    /// a server, and a story that skipped must not count as passed.
    pub(crate) async fn create() -> Option<PgTestDb> {
        let Some(admin_url) = std::env::var(URL_VAR).ok().filter(|u| !u.is_empty()) else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but {URL_VAR} is unset: the PostgreSQL stories would be skipped; \
                 point it at a server, e.g. postgres://postgres@127.0.0.1:5432/postgres"
            );
            return None;
        };
        let name = format!(
            "atelier_test_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..16]
        );
        let mut url = url::Url::parse(&admin_url).expect("ATELIER_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("connect to ATELIER_TEST_POSTGRES_URL");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let _ = admin.close().await;
        Some(PgTestDb {
            admin_url,
            name,
            url: url.into(),
        })
    }

    /// Opens the store on it: migrations, roles and policies as `atelier migrate` does.
    pub(crate) async fn open(&self) -> PgStore {
        PgStore::open(&self.url, &DatabaseConfig::default())
            .await
            .expect("open test store")
    }

    pub(crate) fn app_role(&self) -> String {
        format!("{}_app", self.name)
    }

    pub(crate) fn system_role(&self) -> String {
        format!("{}_system", self.name)
    }

    /// A raw connection to this database as `role` (the test server trusts local users).
    pub(crate) async fn connect_as(&self, role: &str) -> PgConnection {
        let options = PgConnectOptions::from_str(&self.url)
            .expect("test URL")
            .username(role);
        PgConnection::connect_with(&options)
            .await
            .expect("connect as role")
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let roles = [self.app_role(), self.system_role()];
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await?;
                let mut statements =
                    vec![format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")];
                statements.extend(roles.iter().map(|r| format!("DROP ROLE IF EXISTS \"{r}\"")));
                for statement in statements {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                        .execute(&mut admin)
                        .await?;
                }
                admin.close().await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}
