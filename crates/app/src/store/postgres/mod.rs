//! The PostgreSQL store: for many stateless nodes over one database (DESIGN C12).
//!
//! # Two roles, two walls
//! The URL's user owns the schema. Opening the store runs the embedded migrations as that
//! user, then [`access`] creates (idempotently) two login roles and their grants and
//! policies, and every query afterwards runs as one of them:
//!
//! - the **app role** (`database.app_role`, default `{db}_app`) serves every call that takes
//!   a [`UserScope`]. It owns no table, has no `BYPASSRLS`, and each of its calls is one
//!   transaction that first runs `SELECT set_config('app.user_id', $1, true)`; the
//!   `owner_rows` policies (in the migrations) then show and let it touch only that user's
//!   rows, so a query that forgot its `WHERE user_id = …` still cannot reach another user.
//!   With no user set it sees nothing.
//! - the **system role** (`database.system_role`, default `{db}_system`) serves the calls
//!   that have no user yet or act for all of them: sign-up and sign-in lookups, sessions,
//!   account tokens, workers claiming jobs, the sweeper, the outbox, the access log. It has
//!   a `system_rows` policy (`USING (true)`) on each table and grants only for the statements
//!   those calls make (see `access::GRANTS`): it cannot delete a ledger row, read nothing it
//!   does not need to write, and owns no table either.
//!
//! A separate role rather than `SECURITY DEFINER` functions keeps every query plain SQL in
//! this module (one implementation per back-end, as the SQLite twin) and keeps the wall at
//! the connection: a web request's scoped calls cannot switch to the system path by SQL.
//!
//! # Jobs
//! Claims lock the next job in fair order with `FOR UPDATE SKIP LOCKED` (see `jobs.rs`);
//! enqueues and finished jobs `NOTIFY atelier_jobs`, which [`wake`] turns into a wake-up for
//! idle workers; polling remains the fallback.

mod access;
mod accounts;
mod admin;
mod api;
mod audit;
mod claim;
mod exports;
mod jobs;
mod ledger;
mod media;
mod payments;
mod plans;
mod policies;
mod privacy;
mod reports;
mod retention;
mod settle;
mod support;
mod throttle;
mod tokens;
mod usage;
mod wake;

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, Row, Transaction};
use tokio::sync::watch;
use uuid::Uuid;

#[cfg(test)]
pub(crate) use access::GRANTS;
pub use access::{Login, Roles};

use super::sql_error::internal;
use super::{Store, StoreError, StoreResult};
use crate::config::DatabaseConfig;
use crate::domain::{Timestamp, UserScope};

/// Migrations are compiled in; numbers and meanings match `migrations/sqlite`.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "core",
        include_str!("../../../../../migrations/postgres/0001_core.sql"),
    ),
    (
        2,
        "account tokens",
        include_str!("../../../../../migrations/postgres/0002_account_tokens.sql"),
    ),
    (
        3,
        "purchases",
        include_str!("../../../../../migrations/postgres/0003_purchases.sql"),
    ),
    (
        4,
        "outbox delivery",
        include_str!("../../../../../migrations/postgres/0004_outbox_delivery.sql"),
    ),
    (
        5,
        "privacy",
        include_str!("../../../../../migrations/postgres/0005_privacy.sql"),
    ),
    (
        6,
        "admin audit",
        include_str!("../../../../../migrations/postgres/0006_admin_audit.sql"),
    ),
    (
        7,
        "export requests",
        include_str!("../../../../../migrations/postgres/0007_export_requests.sql"),
    ),
    (
        8,
        "policies",
        include_str!("../../../../../migrations/postgres/0008_policies.sql"),
    ),
    (
        9,
        "mail verification",
        include_str!("../../../../../migrations/postgres/0009_mail_verification.sql"),
    ),
    (
        10,
        "retention",
        include_str!("../../../../../migrations/postgres/0010_retention.sql"),
    ),
    (
        11,
        "api keys",
        include_str!("../../../../../migrations/postgres/0011_api_keys.sql"),
    ),
    (
        12,
        "plans",
        include_str!("../../../../../migrations/postgres/0012_plans.sql"),
    ),
    (
        13,
        "prompts",
        include_str!("../../../../../migrations/postgres/0013_prompts.sql"),
    ),
    (
        14,
        "support",
        include_str!("../../../../../migrations/postgres/0014_support.sql"),
    ),
    (
        15,
        "abuse reports",
        include_str!("../../../../../migrations/postgres/0015_abuse_reports.sql"),
    ),
    (
        16,
        "admin console",
        include_str!("../../../../../migrations/postgres/0016_admin_console.sql"),
    ),
    (
        17,
        "report items",
        include_str!("../../../../../migrations/postgres/0017_report_items.sql"),
    ),
    (
        18,
        "throttle",
        include_str!("../../../../../migrations/postgres/0018_throttle.sql"),
    ),
];

pub struct PgStore {
    /// Connections as the app role: user-scoped calls, under Row Level Security.
    app: PgPool,
    /// Connections as the system role.
    system: PgPool,
    wake: watch::Sender<()>,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PgStore {
    /// Migrates the database at `url` as its owner, applies roles, grants and policies, and
    /// opens the app and system pools.
    pub async fn open(url: &str, database: &DatabaseConfig) -> StoreResult<PgStore> {
        let owner_options = PgConnectOptions::from_str(url).map_err(internal)?;
        let roles = Roles::resolve(url, &owner_options, database)?;
        let owner = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(owner_options.clone())
            .await
            .map_err(internal)?;
        let prepared = async {
            migrator().run(&owner).await.map_err(internal)?;
            access::apply(&owner, &roles).await
        }
        .await;
        owner.close().await;
        prepared?;

        let app = pool(roles.app.options(&owner_options)).await?;
        let system = pool(roles.system.options(&owner_options)).await?;
        let (wake, _) = watch::channel(());
        let listener = wake::spawn_listener(roles.system.options(&owner_options), wake.clone());
        Ok(PgStore {
            app,
            system,
            wake,
            listener,
        })
    }

    /// A transaction as the app role, scoped to one user: the policies see `app.user_id`.
    async fn scoped(&self, scope: UserScope) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.app.begin().await.map_err(internal)?;
        sqlx::query("SELECT set_config('app.user_id', $1, true)")
            .bind(scope.user_id().to_string())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        Ok(tx)
    }

    /// A transaction as the system role.
    async fn system_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.system.begin().await.map_err(internal)
    }
}

async fn pool(options: PgConnectOptions) -> StoreResult<PgPool> {
    PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(internal)
}

fn migrator() -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                sqlx::SqlStr::from_static(sql),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.system)
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// Nothing this process can do: deleted tuples stay in the heap until VACUUM reuses their
    /// space, and the server's WAL, its archive and backups are the operator's; what they
    /// must do for an erasure to be complete is in docs/erasure.md.
    async fn scrub(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn close(&self) {
        self.listener.abort();
        self.app.close().await;
        self.system.close().await;
    }

    fn shared_by_nodes(&self) -> bool {
        true
    }
}

fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
    row: &'r PgRow,
    column: &str,
) -> StoreResult<T> {
    row.try_get(column).map_err(internal)
}

fn get_id<T: From<Uuid>>(row: &PgRow, column: &str) -> StoreResult<T> {
    get::<Uuid>(row, column).map(T::from)
}

fn get_opt_id<T: From<Uuid>>(row: &PgRow, column: &str) -> StoreResult<Option<T>> {
    get::<Option<Uuid>>(row, column).map(|id| id.map(T::from))
}

fn get_time(row: &PgRow, column: &str) -> StoreResult<Timestamp> {
    get::<i64>(row, column).map(Timestamp::from_millis)
}

/// Reads an `integer` column that holds a count or size.
fn get_u32(row: &PgRow, column: &str) -> StoreResult<u32> {
    let value: i32 = get(row, column)?;
    u32::try_from(value).map_err(|e| StoreError::Internal(Box::new(e)))
}

/// A count or size for an `integer` column.
fn int(value: u32) -> StoreResult<i32> {
    i32::try_from(value).map_err(|e| StoreError::Internal(Box::new(e)))
}
