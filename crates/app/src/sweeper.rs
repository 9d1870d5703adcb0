//! The sweeper (C8): deletes expired uploads and results (blob first, then row), removes
//! orphan blobs, expires token lots and later purges their details, purges old access-log
//! rows, sent mail, usage analytics and 24-hour-old `Idempotency-Key` records, and erases
//! accounts whose address was never confirmed, and visitors' closed support tickets, every
//! `sweep_interval`. Each pass ends by scrubbing the database files ([`Store::scrub`]), so
//! what it deleted (and what users deleted since the last pass) does not live on in the WAL.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::blobs::{BlobError, Blobs};
use crate::config::RetentionConfig;
use crate::domain::Timestamp;
use crate::privacy::{Privacy, PrivacyError};
use crate::store::{Store, StoreError, SweepRun};

/// A blob younger than this is never an orphan: its row may be about to be inserted.
const ORPHAN_GRACE: Duration = Duration::from_secs(600);
/// How long an API reply is kept and replayed for its idempotency key; the sweeper deletes
/// older records.
pub const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);
const BATCH: u32 = 500;

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Privacy(#[from] PrivacyError),
}

/// What one sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub uploads: u64,
    pub results: u64,
    pub orphans: u64,
    pub tokens_expired: u64,
    /// Expired lots whose source and ledger job ids/notes were purged.
    pub lot_details: u64,
    pub access_rows: u64,
    pub mail_rows: u64,
    pub exports: u64,
    /// Exports still pending after [`STALE_EXPORT`]: their build was cut short.
    pub exports_failed: u64,
    pub analytics_rows: u64,
    /// Accounts erased because their address was still unverified after
    /// `retention.unconfirmed_ttl`.
    pub unconfirmed_accounts: u64,
    /// `Idempotency-Key` records older than 24 hours.
    pub idempotency_rows: u64,
    /// Prompts of jobs that ended without a result, cleared at the result deadline.
    pub prompts: u64,
    /// Visitors' support tickets closed longer ago than `retention.visitor_ticket_ttl`.
    pub visitor_tickets: u64,
}

impl SweepReport {
    /// What was removed, per kind, as metrics and the dashboard name them.
    pub fn counts(&self) -> [(&'static str, u64); 14] {
        [
            ("upload", self.uploads),
            ("result", self.results),
            ("orphan", self.orphans),
            ("tokens-expired", self.tokens_expired),
            ("lot-details", self.lot_details),
            ("access-log", self.access_rows),
            ("mail", self.mail_rows),
            ("export", self.exports),
            ("export-failed", self.exports_failed),
            ("analytics", self.analytics_rows),
            ("unconfirmed-account", self.unconfirmed_accounts),
            ("idempotency", self.idempotency_rows),
            ("prompt", self.prompts),
            ("visitor-ticket", self.visitor_tickets),
        ]
    }
}

/// How many sweeper runs the dashboard keeps.
pub const KEEP_RUNS: u32 = 100;

/// A background export takes seconds; one pending this long was cut short by a restart.
pub const STALE_EXPORT: std::time::Duration = std::time::Duration::from_secs(3600);

#[derive(Clone)]
pub struct Sweeper {
    store: Arc<dyn Store>,
    blobs: Blobs,
    privacy: Privacy,
    config: RetentionConfig,
}

impl Sweeper {
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Blobs,
        privacy: Privacy,
        config: RetentionConfig,
    ) -> Sweeper {
        Sweeper {
            store,
            blobs,
            privacy,
            config,
        }
    }

    /// Sweeps every `sweep_interval` until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(self.config.sweep_interval);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
            match self.sweep_and_record().await {
                Ok(report) if report != SweepReport::default() => tracing::info!(?report, "sweep"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sweep failed; retrying next interval"),
            }
        }
    }

    pub async fn sweep_once(&self, now: Timestamp) -> Result<SweepReport, SweepError> {
        let mut report = SweepReport::default();
        loop {
            let expired = self.store.expired_uploads(now, BATCH).await?;
            for row in &expired {
                self.blobs.delete(&row.blob_key).await?;
                self.store.forget_upload(&row.id).await?;
                report.uploads += 1;
            }
            if expired.len() < BATCH as usize {
                break;
            }
        }
        loop {
            let expired = self.store.expired_results(now, BATCH).await?;
            for row in &expired {
                self.blobs.delete(&row.blob_key).await?;
                self.store.forget_result(&row.id).await?;
                report.results += 1;
            }
            if expired.len() < BATCH as usize {
                break;
            }
        }
        loop {
            let expired = self.store.expired_exports(now, BATCH).await?;
            for row in &expired {
                if let Some(key) = &row.blob_key {
                    self.blobs.delete(key).await?;
                }
                self.store.forget_export(row.id).await?;
                report.exports += 1;
            }
            if expired.len() < BATCH as usize {
                break;
            }
        }
        report.exports_failed = self
            .store
            .fail_stale_exports(now.minus(STALE_EXPORT), now)
            .await?;
        report.unconfirmed_accounts = self.erase_unconfirmed_accounts(now).await?;
        report.orphans = self.remove_orphans(now).await?;
        report.tokens_expired = self.store.expire_lots(now).await?;
        let expired_by = now.minus(self.config.expired_lot_ttl);
        loop {
            let purged = self
                .store
                .purge_expired_lot_details(expired_by, now, BATCH)
                .await?;
            report.lot_details += purged;
            if purged < u64::from(BATCH) {
                break;
            }
        }
        report.access_rows = self
            .store
            .purge_access_log(now.minus(self.config.access_log_ttl))
            .await?;
        report.mail_rows = self
            .store
            .purge_mail(now.minus(self.config.mail_ttl))
            .await?;
        report.analytics_rows = self
            .store
            .purge_usage(now.minus(self.config.analytics_ttl))
            .await?;
        report.idempotency_rows = self
            .store
            .purge_idempotency_keys(now.minus(IDEMPOTENCY_TTL))
            .await?;
        report.prompts = self
            .store
            .forget_stale_prompts(now.minus(self.config.result_ttl))
            .await?;
        report.visitor_tickets = self
            .store
            .purge_closed_visitor_tickets(now.minus(self.config.visitor_ticket_ttl))
            .await?;
        // Expired tokens and failed exports are not deletions: no metric of their own here.
        for (kind, count) in report.counts() {
            if matches!(kind, "tokens-expired" | "export-failed") {
                continue;
            }
            metrics::counter!("atelier_sweeper_deleted_total", "kind" => kind).increment(count);
        }
        // After every pass, not only those that deleted something here: a user's own deletes
        // (a photo, a session at sign-out) go the same way. A checkpoint with nothing new to
        // copy costs next to nothing.
        self.store.scrub().await?;
        Ok(report)
    }

    /// One sweep, recorded for the admin dashboard (started, finished, what it removed or
    /// why it stopped); only the latest [`KEEP_RUNS`] runs are kept. A run that cannot be
    /// recorded is logged and the sweep's own outcome returned.
    pub async fn sweep_and_record(&self) -> Result<SweepReport, SweepError> {
        let started_at = Timestamp::now();
        let outcome = self.sweep_once(started_at).await;
        let (removed, error) = match &outcome {
            Ok(report) => (
                report
                    .counts()
                    .into_iter()
                    .filter(|(_, count)| *count > 0)
                    .map(|(kind, count)| (kind.to_owned(), count))
                    .collect(),
                None,
            ),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let run = SweepRun {
            started_at,
            finished_at: Timestamp::now(),
            removed,
            error,
        };
        if let Err(e) = self.store.record_sweep_run(&run, KEEP_RUNS).await {
            tracing::warn!(error = %e, "could not record the sweep");
        }
        outcome
    }

    /// Erases, by the same path as a user's own request (blobs, rows, wrapped key; purchases
    /// detached) but without the farewell mail, every account still unverified
    /// `unconfirmed_ttl` after sign-up.
    async fn erase_unconfirmed_accounts(&self, now: Timestamp) -> Result<u64, SweepError> {
        let created_before = now.minus(self.config.unconfirmed_ttl);
        let mut erased = 0;
        loop {
            let due = self.store.unverified_users(created_before, BATCH).await?;
            let mut progress = false;
            for user in &due {
                if self.privacy.erase_unconfirmed(*user).await?.is_some() {
                    erased += 1;
                    progress = true;
                }
            }
            if due.len() < BATCH as usize || !progress {
                break;
            }
        }
        Ok(erased)
    }

    async fn remove_orphans(&self, now: Timestamp) -> Result<u64, SweepError> {
        let cutoff = now.minus(ORPHAN_GRACE);
        let mut removed = 0;
        for (key, written) in self.blobs.list().await? {
            if written < cutoff && !self.store.blob_key_in_use(&key).await? {
                self.blobs.delete(&key).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
#[path = "sweeper_tests.rs"]
mod tests;
