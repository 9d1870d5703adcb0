//! Test fixtures shared by the unit tests: a service graph on a fresh SQLite file and
//! in-memory blobs, cheap argon2, users to act as, and small photos.

use std::sync::Arc;

use crate::accounts::SignUp;
use crate::blobs::Blobs;
use crate::config::{AccountsConfig, Config};
use crate::domain::UserScope;
use crate::services::Services;
use crate::store::Store;
use crate::store::sqlite::SqliteStore;

pub(crate) struct TestApp {
    pub services: Services,
    _dir: Option<tempfile::TempDir>,
}

/// A config for tests: cheap password hashing, instant retries, one job at a time per user.
pub(crate) fn test_config() -> Config {
    let mut config = Config {
        accounts: AccountsConfig {
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            ..AccountsConfig::default()
        },
        ..Config::default()
    };
    config.jobs.retry_backoff = std::time::Duration::ZERO;
    config.jobs.per_user_concurrency = 1;
    config
}

pub(crate) async fn test_app_with(config: Config) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("app.db").display());
    let sqlite = Arc::new(SqliteStore::open(&url).await.expect("store"));
    let blobs = Blobs::in_memory().expect("blobs");
    let services = Services::assemble(config, sqlite, blobs).expect("services");
    TestApp {
        services,
        _dir: Some(dir),
    }
}

/// The test service graph over a store the caller keeps alive (any back-end).
pub(crate) fn test_app_on(store: Arc<dyn Store>) -> TestApp {
    test_app_on_with(store, test_config())
}

/// [`test_app_on`] with the caller's config.
pub(crate) fn test_app_on_with(store: Arc<dyn Store>, config: Config) -> TestApp {
    let blobs = Blobs::in_memory().expect("blobs");
    TestApp {
        services: Services::assemble(config, store, blobs).expect("services"),
        _dir: None,
    }
}

pub(crate) async fn test_app() -> TestApp {
    test_app_with(test_config()).await
}

impl TestApp {
    /// For each table with rows mentioning `needle` in any column (read as text), the table
    /// and how many: a scan of the whole database for traces of someone.
    pub async fn rows_mentioning(&self, needle: &str) -> Vec<(String, i64)> {
        let dir = self
            ._dir
            .as_ref()
            .expect("a test app on its own SQLite file");
        let url = format!("sqlite://{}", dir.path().join("app.db").display());
        let pool = sqlx::SqlitePool::connect(&url)
            .await
            .expect("open the test database");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&pool)
        .await
        .expect("tables");
        let mut found = Vec::new();
        for table in tables {
            let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
                .bind(&table)
                .fetch_all(&pool)
                .await
                .expect("columns");
            let test = columns
                .iter()
                .map(|c| format!("instr(CAST(\"{c}\" AS TEXT), ?1) > 0"))
                .collect::<Vec<_>>()
                .join(" OR ");
            let sql = format!("SELECT COUNT(*) FROM \"{table}\" WHERE {test}");
            let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(needle)
                .fetch_one(&pool)
                .await
                .expect("scan");
            if count > 0 {
                found.push((table, count));
            }
        }
        pool.close().await;
        found
    }

    /// Signs up `name@example.org` and returns the scope its session gives.
    pub async fn user(&self, name: &str) -> UserScope {
        let (_, token) = self.session(name).await;
        self.services
            .accounts
            .authenticate(&token)
            .await
            .expect("authenticate")
    }

    /// Signs up and signs in `name@example.org`; returns the user id and session token.
    pub async fn session(&self, name: &str) -> (crate::domain::UserId, String) {
        let email = format!("{name}@example.org");
        let form = SignUp {
            email: email.clone(),
            password: "a sturdy passphrase".into(),
            age_over_14: true,
            guardian_consent: false,
        };
        let user = self.services.accounts.sign_up(form).await.expect("sign up");
        let (_, token) = self
            .services
            .accounts
            .sign_in(&email, "a sturdy passphrase")
            .await
            .expect("sign in");
        (user.id, token.as_str().to_owned())
    }
}

/// A small PNG photo: a smooth gradient, enough for the engine to work on.
pub(crate) fn photo_png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            128,
        ])
    });
    crate::media::encode_png(&image).expect("encode test photo")
}

/// A test config with Stripe keys, calling the fake Stripe at `api_base`.
pub(crate) fn stripe_config(api_base: &str) -> Config {
    use crate::billing::fake_stripe::{SECRET_KEY, WEBHOOK_SECRET};
    use crate::config::Secret;
    let mut config = test_config();
    config.stripe.secret_key = Some(Secret::new(SECRET_KEY));
    config.stripe.webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
    config.stripe.api_base = api_base.to_owned();
    config.stripe.public_url = Some("https://atelier.test".into());
    config
}
