//! The SQLite store: one file, WAL mode, embedded migrations.
//!
//! Writes go through a pool of one connection and `BEGIN IMMEDIATE`, so writers in this
//! process queue on the pool instead of failing with `SQLITE_BUSY`, and writers in other
//! processes (`atelier worker`) wait on the busy timeout. Reads use a separate pool.
//!
//! Deleted content must leave the disk (erasure, retention): every connection runs with
//! `secure_delete`, which zeroes freed cells and pages, and [`Store::scrub`] checkpoints the
//! WAL (where the pages from before a delete live on) into the main file and truncates it.

mod accounts;
mod admin;
mod api;
mod audit;
mod exports;
mod jobs;
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

#[cfg(test)]
#[path = "scrub_tests.rs"]
mod scrub_tests;

use std::borrow::Cow;
use std::str::FromStr;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use tokio::sync::watch;
use uuid::Uuid;

use super::{Store, StoreError, StoreResult};
use crate::domain::Timestamp;

/// Migrations are compiled in, so the binary needs no files beside it.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "core",
        include_str!("../../../../../migrations/sqlite/0001_core.sql"),
    ),
    (
        2,
        "account tokens",
        include_str!("../../../../../migrations/sqlite/0002_account_tokens.sql"),
    ),
    (
        3,
        "purchases",
        include_str!("../../../../../migrations/sqlite/0003_purchases.sql"),
    ),
    (
        4,
        "outbox delivery",
        include_str!("../../../../../migrations/sqlite/0004_outbox_delivery.sql"),
    ),
    (
        5,
        "privacy",
        include_str!("../../../../../migrations/sqlite/0005_privacy.sql"),
    ),
    (
        6,
        "admin audit",
        include_str!("../../../../../migrations/sqlite/0006_admin_audit.sql"),
    ),
    (
        7,
        "export requests",
        include_str!("../../../../../migrations/sqlite/0007_export_requests.sql"),
    ),
    (
        8,
        "policies",
        include_str!("../../../../../migrations/sqlite/0008_policies.sql"),
    ),
    (
        9,
        "mail verification",
        include_str!("../../../../../migrations/sqlite/0009_mail_verification.sql"),
    ),
    (
        10,
        "retention",
        include_str!("../../../../../migrations/sqlite/0010_retention.sql"),
    ),
    (
        11,
        "api keys",
        include_str!("../../../../../migrations/sqlite/0011_api_keys.sql"),
    ),
    (
        12,
        "plans",
        include_str!("../../../../../migrations/sqlite/0012_plans.sql"),
    ),
    (
        13,
        "prompts",
        include_str!("../../../../../migrations/sqlite/0013_prompts.sql"),
    ),
    (
        14,
        "support",
        include_str!("../../../../../migrations/sqlite/0014_support.sql"),
    ),
    (
        15,
        "abuse reports",
        include_str!("../../../../../migrations/sqlite/0015_abuse_reports.sql"),
    ),
    (
        16,
        "admin console",
        include_str!("../../../../../migrations/sqlite/0016_admin_console.sql"),
    ),
    (
        17,
        "report items",
        include_str!("../../../../../migrations/sqlite/0017_report_items.sql"),
    ),
    (
        18,
        "throttle",
        include_str!("../../../../../migrations/sqlite/0018_throttle.sql"),
    ),
];

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
        let options = SqliteConnectOptions::from_str(url)
            .map_err(internal)?
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
            .await
            .map_err(internal)?;
        migrator().run(&writer).await.map_err(internal)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(internal)?;
        let (wake, _) = watch::channel(());
        Ok(SqliteStore {
            reader,
            writer,
            wake,
        })
    }

    /// A write transaction that holds SQLite's write lock from its first statement, so a
    /// read-then-write inside it (spending tokens, claiming a job) cannot interleave.
    async fn write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(internal)
    }
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
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn scrub(&self) -> StoreResult<()> {
        // On the one writer connection: no write of this process slips in between the
        // checkpoint and the truncation.
        let mut conn = self.writer.acquire().await.map_err(internal)?;
        let started = Instant::now();
        loop {
            // TRUNCATE copies every frame into the main file (whose freed cells and pages
            // `secure_delete` zeroed), waits on the busy timeout for readers still on an older
            // snapshot, then cuts the WAL to 0 bytes. `busy` 0: done (the log is -1 when the
            // database is not in WAL mode, as in memory).
            let (busy, log, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&mut *conn)
                .await
                .map_err(internal)?;
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

pub(crate) use super::sql_error::internal;

/// Reads a UUID column stored as text into a typed id.
fn get_id<T: From<Uuid>>(row: &SqliteRow, column: &str) -> StoreResult<T> {
    let text: String = row.try_get(column).map_err(internal)?;
    Uuid::parse_str(&text)
        .map(T::from)
        .map_err(|e| StoreError::Internal(Box::new(e)))
}

fn get_opt_id<T: From<Uuid>>(row: &SqliteRow, column: &str) -> StoreResult<Option<T>> {
    let text: Option<String> = row.try_get(column).map_err(internal)?;
    text.map(|t| {
        Uuid::parse_str(&t)
            .map(T::from)
            .map_err(|e| StoreError::Internal(Box::new(e)))
    })
    .transpose()
}

fn get_time(row: &SqliteRow, column: &str) -> StoreResult<Timestamp> {
    row.try_get::<i64, _>(column)
        .map(Timestamp::from_millis)
        .map_err(internal)
}

fn get_u32(row: &SqliteRow, column: &str) -> StoreResult<u32> {
    let value: i64 = row.try_get(column).map_err(internal)?;
    u32::try_from(value).map_err(|e| StoreError::Internal(Box::new(e)))
}

fn get<'r, T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>>(
    row: &'r SqliteRow,
    column: &str,
) -> StoreResult<T> {
    row.try_get(column).map_err(internal)
}
