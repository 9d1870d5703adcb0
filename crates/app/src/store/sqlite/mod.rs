//! The SQLite store: one file, WAL mode, embedded migrations.
//!
//! Writes go through a pool of one connection and `BEGIN IMMEDIATE`, so writers in this
//! process queue on the pool instead of failing with `SQLITE_BUSY`, and writers in other
//! processes (`atelier worker`) wait on the busy timeout. Reads use a separate pool.
//!
//! Deleted content must leave the disk (erasure, retention): every connection runs with
//! `secure_delete`, which zeroes freed cells and pages, and [`Store::scrub`] checkpoints the
//! WAL (where the pages from before a delete live on) into the main file and truncates it.
//!
//! The queries are in `store::sql`, written once for both back-ends; what stays here is how
//! SQLite opens, locks and scrubs, the claim ([`claim`]) and the ledger's taking and refunding
//! under the write lock ([`ledger`]).

mod claim;
mod ledger;

#[cfg(test)]
#[path = "payments_tests.rs"]
mod payments_tests;
#[cfg(test)]
#[path = "scrub_tests.rs"]
mod scrub_tests;

use std::str::FromStr;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use tokio::sync::watch;

use super::{Store, StoreError, StoreResult};
use crate::domain::UserScope;

pub(crate) use crate::store::sql::migrations::SQLITE as MIGRATIONS;

/// How long [`Store::scrub`] retries a checkpoint that readers on older snapshots hold up
/// (each try also waits the busy timeout).
const SCRUB_PATIENCE: Duration = Duration::from_secs(10);

pub struct SqliteStore {
    reader: SqlitePool,
    writer: SqlitePool,
    /// Wakes this process's idle workers; other processes (`atelier worker`) poll.
    wake: watch::Sender<()>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and brings its schema up to date.
    pub async fn open(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Deleted rows (an erased user's wrapped data key above all) are overwritten with
            // zeros instead of lingering in free pages of the file.
            .pragma("secure_delete", "on")
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        crate::store::sql::migrations::migrator(MIGRATIONS)
            .run(&writer)
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        let (wake, _) = watch::channel(());
        Ok(SqliteStore {
            reader,
            writer,
            wake,
        })
    }

    /// A read transaction on the reader pool: in WAL mode its statements see one snapshot.
    pub(in crate::store) async fn snapshot_read(&self) -> StoreResult<Tx> {
        Ok(self.reader.begin().await?)
    }

    /// For reads of public rows (policy versions).
    pub(in crate::store) fn public_pool(&self) -> &sqlx::Pool<backend::Kind> {
        &self.reader
    }

    /// For one-statement system reads: the reader pool.
    pub(in crate::store) fn read_pool(&self) -> &sqlx::Pool<backend::Kind> {
        &self.reader
    }

    /// For one-statement system writes: the one writer connection.
    pub(in crate::store) fn write_pool(&self) -> &sqlx::Pool<backend::Kind> {
        &self.writer
    }

    /// Wakes this process's idle workers (after a commit that made a job claimable).
    pub(in crate::store) fn wake_workers(&self) {
        self.wake.send_replace(());
    }

    pub(in crate::store) fn wakeups(&self) -> watch::Receiver<()> {
        self.wake.subscribe()
    }

    /// A transaction on the reader pool: a user's read (the scope is checked by each query's
    /// `WHERE user_id`).
    pub(in crate::store) async fn user_read(&self, _scope: UserScope) -> StoreResult<Tx> {
        self.system_read().await
    }

    /// The write transaction, for a user's write.
    pub(in crate::store) async fn user_write(&self, _scope: UserScope) -> StoreResult<Tx> {
        self.write().await
    }

    /// A transaction on the reader pool.
    pub(in crate::store) async fn system_read(&self) -> StoreResult<Tx> {
        Ok(self.reader.begin().await?)
    }

    /// The write transaction.
    pub(in crate::store) async fn system_write(&self) -> StoreResult<Tx> {
        self.write().await
    }

    /// A write transaction that holds SQLite's write lock from its first statement, so a
    /// read-then-write inside it (spending tokens, claiming a job) cannot interleave.
    async fn write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn scrub(&self) -> StoreResult<()> {
        // On the one writer connection: no write of this process slips in between the
        // checkpoint and the truncation.
        let mut conn = self.writer.acquire().await?;
        let started = Instant::now();
        loop {
            // TRUNCATE copies every frame into the main file (whose freed cells and pages
            // `secure_delete` zeroed), waits on the busy timeout for readers still on an older
            // snapshot, then cuts the WAL to 0 bytes. `busy` 0: done (the log is -1 when the
            // database is not in WAL mode, as in memory).
            let (busy, log, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&mut *conn)
                .await?;
            if busy == 0 {
                return Ok(());
            }
            if started.elapsed() >= SCRUB_PATIENCE {
                return Err(StoreError::Internal(
                    format!(
                        "the WAL ({log} frames) could not be checkpointed: readers held it \
                         for {}s",
                        started.elapsed().as_secs()
                    )
                    .into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

use backend::Tx;

pub(in crate::store) mod backend {
    //! Names the shared bodies see: this back-end's store, row and connection types, and the
    //! functions of other modules they call (shared ones, stamped for this back-end, or this
    //! back-end's own where the semantics differ).

    pub(in crate::store) use super::SqliteStore as Db;
    pub(in crate::store) use super::claim::claim_in;
    pub(in crate::store) use super::ledger::{refund_in, take_in};
    pub(in crate::store) use crate::store::sql::jobs::on_sqlite::{
        JOB_COLUMNS, fail_in, job_from_row,
    };
    pub(in crate::store) use crate::store::sql::ledger::on_sqlite::{append, grant_in, spend_in};
    pub(in crate::store) use crate::store::sql::media::on_sqlite::{
        result_from_row, upload_from_row,
    };
    pub(in crate::store) use crate::store::sql::payments::on_sqlite::{Key, lock_purchase};
    pub(in crate::store) use crate::store::sql::plans::on_sqlite::apply_subscription_fact;
    pub(in crate::store) use crate::store::sql::settle::on_sqlite::settle_fact;
    pub(in crate::store) type Kind = sqlx::Sqlite;
    pub(in crate::store) type Tx = sqlx::Transaction<'static, Kind>;
    pub(in crate::store) type DbRow = sqlx::sqlite::SqliteRow;
    pub(in crate::store) type DbConn = sqlx::SqliteConnection;

    /// Nothing to send inside the transaction: [`Db::wake_workers`] wakes this process's
    /// workers once it commits (other processes poll).
    pub(in crate::store) async fn notify_workers(
        _conn: &mut DbConn,
    ) -> crate::store::StoreResult<()> {
        Ok(())
    }

    /// Picks the SQLite spelling of something the back-ends say differently.
    pub(in crate::store) fn dialect<T>(sqlite: T, _postgres: T) -> T {
        sqlite
    }
}
