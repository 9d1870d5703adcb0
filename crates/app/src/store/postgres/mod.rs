//! The PostgreSQL store: for many stateless nodes over one database.
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
//! A separate role rather than `SECURITY DEFINER` functions keeps every query plain SQL,
//! written once for both back-ends in `store::sql`, and keeps the wall at the connection: a
//! web request's scoped calls cannot switch to the system path by SQL. The shared bodies ask
//! for `user_read`/`user_write` (a scoped app-role transaction) or the system role.
//!
//! What stays here is what PostgreSQL does differently: roles, grants and policies
//! ([`access`]), the claim ([`claim`]), the ledger's lock order ([`ledger`]) and LISTEN/NOTIFY.
//!
//! # Jobs
//! Claims lock the next job in fair order with `FOR UPDATE SKIP LOCKED` (see `claim.rs`);
//! enqueues and finished jobs `NOTIFY atelier_jobs`, which [`wake`] turns into a wake-up for
//! idle workers; polling remains the fallback.

mod access;
mod claim;
mod ledger;
mod wake;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use tokio::sync::watch;

#[cfg(test)]
pub(crate) use access::GRANTS;
pub use access::{Login, Roles};

use super::{Store, StoreResult};
use crate::config::DatabaseConfig;
use crate::domain::UserScope;

pub(crate) use crate::store::sql::migrations::POSTGRES as MIGRATIONS;

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
        let owner_options = PgConnectOptions::from_str(url)?;
        let roles = Roles::resolve(url, &owner_options, database)?;
        let owner = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(owner_options.clone())
            .await?;
        let prepared = async {
            crate::store::sql::migrations::migrator(MIGRATIONS)
                .run(&owner)
                .await?;
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

    /// A read-only transaction as the system role whose statements see one snapshot.
    pub(in crate::store) async fn snapshot_read(&self) -> StoreResult<Tx> {
        Ok(self
            .system
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?)
    }

    /// For reads of public rows (policy versions): the app role, which sees them through
    /// `public_rows`.
    pub(in crate::store) fn public_pool(&self) -> &sqlx::Pool<backend::Kind> {
        &self.app
    }

    /// For one-statement system reads: the system role's pool.
    pub(in crate::store) fn read_pool(&self) -> &sqlx::Pool<backend::Kind> {
        &self.system
    }

    /// For one-statement system writes: the system role's pool.
    pub(in crate::store) fn write_pool(&self) -> &sqlx::Pool<backend::Kind> {
        &self.system
    }

    /// Nothing to do after a commit: the `NOTIFY` sent inside the transaction reaches every
    /// node's listener, this one's included.
    pub(in crate::store) fn wake_workers(&self) {}

    pub(in crate::store) fn wakeups(&self) -> watch::Receiver<()> {
        self.wake.subscribe()
    }

    /// A user's read: a transaction as the app role, scoped to them.
    pub(in crate::store) async fn user_read(&self, scope: UserScope) -> StoreResult<Tx> {
        self.scoped(scope).await
    }

    /// A user's write: a transaction as the app role, scoped to them.
    pub(in crate::store) async fn user_write(&self, scope: UserScope) -> StoreResult<Tx> {
        self.scoped(scope).await
    }

    /// A transaction as the system role.
    pub(in crate::store) async fn system_read(&self) -> StoreResult<Tx> {
        self.system_tx().await
    }

    /// A transaction as the system role.
    pub(in crate::store) async fn system_write(&self) -> StoreResult<Tx> {
        self.system_tx().await
    }

    /// A transaction as the app role, scoped to one user: the policies see `app.user_id`.
    async fn scoped(&self, scope: UserScope) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.app.begin().await?;
        sqlx::query("SELECT set_config('app.user_id', $1, true)")
            .bind(scope.user_id().to_string())
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// A transaction as the system role.
    async fn system_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        Ok(self.system.begin().await?)
    }
}

use backend::Tx;

pub(in crate::store) mod backend {
    //! Names the shared bodies see: this back-end's store, row and connection types, and the
    //! functions of other modules they call (shared ones, stamped for this back-end, or this
    //! back-end's own where the semantics differ).

    pub(in crate::store) use super::PgStore as Db;
    pub(in crate::store) use super::claim::claim_in;
    pub(in crate::store) use super::ledger::{refund_in, take_in};
    pub(in crate::store) use super::wake::notify as notify_workers;
    pub(in crate::store) use crate::store::sql::jobs::on_postgres::{
        JOB_COLUMNS, fail_in, job_from_row,
    };
    pub(in crate::store) use crate::store::sql::ledger::on_postgres::{append, grant_in, spend_in};
    pub(in crate::store) use crate::store::sql::media::on_postgres::{
        result_from_row, upload_from_row,
    };
    pub(in crate::store) use crate::store::sql::payments::on_postgres::{Key, lock_purchase};
    pub(in crate::store) use crate::store::sql::plans::on_postgres::apply_subscription_fact;
    pub(in crate::store) use crate::store::sql::settle::on_postgres::settle_fact;
    pub(in crate::store) type Kind = sqlx::Postgres;
    pub(in crate::store) type Tx = sqlx::Transaction<'static, Kind>;
    pub(in crate::store) type DbRow = sqlx::postgres::PgRow;
    pub(in crate::store) type DbConn = sqlx::PgConnection;

    /// Picks the PostgreSQL spelling of something the back-ends say differently.
    pub(in crate::store) fn dialect<T>(_sqlite: T, postgres: T) -> T {
        postgres
    }
}

async fn pool(options: PgConnectOptions) -> StoreResult<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?)
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.system).await?;
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
