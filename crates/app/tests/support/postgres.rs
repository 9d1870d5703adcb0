//! A fresh PostgreSQL database for one integration test, on the server named by
//! `ATELIER_TEST_POSTGRES_URL`; dropped, with the two roles Atelier creates for it, when the
//! test ends. `None` without that variable: the test then covers SQLite only.

use sqlx::Connection;
use sqlx::postgres::PgConnection;

pub struct FreshDatabase {
    admin_url: String,
    name: String,
    /// The database's URL as its owner: what `database.url` is set to.
    pub url: String,
}

impl FreshDatabase {
    /// Under CI (`CI=true`) an unset URL fails the test instead of skipping it: CI runs a
    /// server, and a skipped story must not count as passed.
    pub async fn create() -> Option<FreshDatabase> {
        let Some(admin_url) = std::env::var("ATELIER_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but ATELIER_TEST_POSTGRES_URL is unset: the PostgreSQL tests would be \
                 skipped; point it at a server, e.g. postgres://postgres@127.0.0.1:5432/postgres"
            );
            return None;
        };
        let id = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("atelier_it_{}", &id[..16]);
        let mut url = url::Url::parse(&admin_url).expect("ATELIER_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        let mut admin = PgConnection::connect(&admin_url).await.expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .expect("create database");
        Some(FreshDatabase {
            admin_url,
            name,
            url: url.into(),
        })
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await?;
                for statement in [
                    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                    format!("DROP ROLE IF EXISTS \"{name}_app\""),
                    format!("DROP ROLE IF EXISTS \"{name}_system\""),
                ] {
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
