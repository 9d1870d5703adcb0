//! Workers: claim a job, run its style's back-end (through the back-end's guard), put the
//! output through the safe ingest and store the result. At least once: a job whose worker
//! dies is claimed again when its lease runs out, and the result row is keyed by job id so a
//! second run never writes a second result.

use std::sync::Arc;
use std::time::Duration;

use atelier_engine::Limits;
use tokio::sync::watch;

use crate::backends::{BackendError, Catalog, Generation};
use crate::blobs::{BlobError, Blobs, result_key};
use crate::config::JobsConfig;
use crate::domain::{ResultId, Role, Timestamp, UserScope};
use crate::media::DecodeBudget;
use crate::store::{Claim, Job, ResultRecord, Store, StoreError, UsageKind};

/// How a run ended, deciding between retry and failure.
enum RunError {
    /// Worth another attempt: storage or database hiccups.
    Transient(String),
    /// Will fail again: the input is gone or the engine refused it.
    Permanent(String),
    /// Another worker owns the job now; leave it alone.
    LeaseLost,
}

impl From<StoreError> for RunError {
    fn from(error: StoreError) -> Self {
        RunError::Transient(error.to_string())
    }
}

impl From<BlobError> for RunError {
    fn from(error: BlobError) -> Self {
        match error {
            BlobError::NotFound | BlobError::KeyShredded | BlobError::Tampered => {
                RunError::Permanent(error.to_string())
            }
            other => RunError::Transient(other.to_string()),
        }
    }
}

impl From<BackendError> for RunError {
    /// The guard already retried what was worth retrying: a back-end failure ends the job
    /// (and refunds it) rather than queueing it again behind the same fault.
    fn from(error: BackendError) -> Self {
        RunError::Permanent(error.to_string())
    }
}

/// What a worker needs beyond the store and blobs: the catalog, the caps remote output is
/// decoded under, and the process's decode budget its stylizing and decoding wait for.
#[derive(Clone)]
pub struct Generators {
    pub catalog: Arc<Catalog>,
    pub limits: Limits,
    pub budget: Arc<DecodeBudget>,
}

impl Generators {
    /// What a job costs in the decode budget: stylizing its photo (weighed by the photo's
    /// header), or without one, decoding the largest output the caps let in.
    fn job_cost(&self, photo: Option<&[u8]>) -> u64 {
        let largest = DecodeBudget::largest_cost(self.limits.max_pixels, self.limits.max_bytes);
        photo.map_or(largest, |photo| {
            atelier_engine::probe(photo, &self.limits.for_own_files()).map_or(largest, |header| {
                DecodeBudget::stylize_cost(&header, photo.len())
            })
        })
    }
}

#[derive(Clone)]
pub struct Worker {
    store: Arc<dyn Store>,
    blobs: Blobs,
    generators: Generators,
    config: JobsConfig,
    result_ttl: Duration,
    name: String,
}

impl Worker {
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Blobs,
        generators: Generators,
        config: JobsConfig,
        result_ttl: Duration,
        name: String,
    ) -> Worker {
        Worker {
            store,
            blobs,
            generators,
            config,
            result_ttl,
            name,
        }
    }

    fn claim(&self) -> Claim {
        Claim {
            worker: self.name.clone(),
            lease: self.config.lease,
            per_user_concurrency: self.config.per_user_concurrency,
            max_attempts: self.config.max_attempts,
        }
    }

    /// Claims and runs jobs until `shutdown` turns true. When idle it waits `poll_interval`,
    /// or less when the store signals new work (`job_wakeups`).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut wakeups = self.store.job_wakeups();
        while !*shutdown.borrow() {
            // Mark what was seen before looking, so a job enqueued after this look wakes us.
            if let Some(wake) = wakeups.as_mut() {
                wake.borrow_and_update();
            }
            let worked = match self.run_once().await {
                Ok(worked) => worked,
                Err(e) => {
                    tracing::warn!(worker = %self.name, error = %e, "claiming a job failed");
                    false
                }
            };
            if !worked {
                tokio::select! {
                    _ = tokio::time::sleep(self.config.poll_interval) => {}
                    _ = shutdown.changed() => {}
                    woke = wake_up(wakeups.as_mut()) => {
                        if woke.is_err() {
                            // The store dropped its signal: poll only from now on.
                            wakeups = None;
                        }
                    }
                }
            }
        }
    }

    /// Claims one job and runs it to an end; `false` when the queue had nothing runnable.
    pub async fn run_once(&self) -> Result<bool, StoreError> {
        let Some(job) = self
            .store
            .claim_next_job(&self.claim(), Timestamp::now())
            .await?
        else {
            return Ok(false);
        };
        let outcome = self.run_job(&job).await;
        let now = Timestamp::now();
        let label = match outcome {
            Ok(()) => {
                self.record(&job, UsageKind::JobSucceeded).await;
                "succeeded"
            }
            Err(RunError::LeaseLost) => "lease-lost",
            Err(RunError::Transient(error)) if job.attempts < self.config.max_attempts => {
                let exponent = job.attempts.saturating_sub(1).min(10);
                let backoff = self.config.retry_backoff.saturating_mul(1 << exponent);
                tracing::warn!(job = %job.id, attempt = job.attempts, %error, "job failed; will retry");
                self.store
                    .retry_job(job.id, &self.name, &error, now.plus(backoff))
                    .await?;
                "retried"
            }
            Err(RunError::Transient(error) | RunError::Permanent(error)) => {
                tracing::warn!(job = %job.id, %error, "job failed; refunding");
                self.store
                    .fail_job(job.id, Some(&self.name), &error, now)
                    .await?;
                self.record(&job, UsageKind::JobFailed).await;
                "failed"
            }
        };
        metrics::counter!("atelier_jobs_finished_total", "outcome" => label).increment(1);
        Ok(true)
    }

    async fn record(&self, job: &Job, kind: UsageKind) {
        crate::analytics::record(self.store.as_ref(), job.user_id, kind, Some(&job.style)).await;
    }

    async fn run_job(&self, job: &Job) -> Result<(), RunError> {
        let scope = UserScope::trusted(job.user_id, Role::User);
        let style = self
            .generators
            .catalog
            .get(&job.style)
            .cloned()
            .ok_or_else(|| {
                RunError::Permanent(format!("style `{}` is no longer offered", job.style))
            })?;
        let wrapped = self.store.wrapped_key(job.user_id).await?;
        let photo = match job.upload_id {
            Some(upload_id) => {
                let upload = self.store.upload(scope, upload_id).await?.ok_or_else(|| {
                    RunError::Permanent("the upload was deleted or expired".into())
                })?;
                Some(
                    self.blobs
                        .get(job.user_id, wrapped.as_deref(), &upload.blob_key)
                        .await?,
                )
            }
            None => None,
        };
        self.beat(job, 0.1).await?;

        let (progress, progress_seen) = watch::channel(0.1f32);
        let stored = self.generators.limits.for_own_files();
        let request = Generation {
            photo: photo.as_deref(),
            prompt: job.prompt.as_deref(),
            intensity: job.intensity,
            seed: job.seed,
            limits: &stored,
            progress: &progress,
        };
        let heartbeat = self.keep_lease(job, progress_seen);
        // Waits its turn in the decode budget while the heartbeat keeps the lease; held
        // until the output is decoded and re-encoded.
        let cost = self.generators.job_cost(request.photo);
        let room = self.generators.budget.acquire_waiting(cost).await;
        let output = style.guard.call(|| style.backend.generate(&request)).await;
        heartbeat.abort();
        let output = output?;
        let (limits, style_id) = (self.generators.limits.clone(), style.id.clone());
        let (width, height, bytes) = tokio::task::spawn_blocking(move || {
            crate::backends::finish(output, &style_id, &limits)
        })
        .await
        .map_err(|e| RunError::Transient(e.to_string()))??;
        drop(room);
        self.beat(job, 0.9).await?;

        let now = Timestamp::now();
        let record = ResultRecord {
            id: ResultId::new(),
            job_id: job.id,
            user_id: job.user_id,
            // Keyed by job: a rerun overwrites its own blob instead of leaving an orphan.
            blob_key: result_key(job.user_id, job.id),
            width,
            height,
            created_at: now,
            expires_at: now.plus(self.result_ttl),
            saved_at: None,
            saved_until: None,
            deletes_at: None,
        };
        self.blobs
            .put(job.user_id, wrapped.as_deref(), &record.blob_key, &bytes)
            .await?;
        match self
            .store
            .complete_job(job.id, &self.name, &record, now)
            .await
        {
            Ok(_) => Ok(()),
            Err(StoreError::WrongState) => Err(RunError::LeaseLost),
            // The job is gone: its owner erased their account while it ran. The blob just
            // written is theirs alone (keyed by this job), so it goes too.
            Err(StoreError::NotFound) => {
                self.blobs.delete(&record.blob_key).await?;
                Err(RunError::Permanent("the account was erased".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn beat(&self, job: &Job, progress: f32) -> Result<(), RunError> {
        let lease_until = Timestamp::now().plus(self.config.lease);
        if self
            .store
            .heartbeat_job(job.id, &self.name, progress, lease_until)
            .await?
        {
            Ok(())
        } else {
            Err(RunError::LeaseLost)
        }
    }

    /// Renews the lease every third of its length while the back-end runs, and sooner (at
    /// most once a second) when it reports progress, so the job page shows it.
    fn keep_lease(
        &self,
        job: &Job,
        mut progress: watch::Receiver<f32>,
    ) -> tokio::task::JoinHandle<()> {
        let (store, name, id, lease) = (
            Arc::clone(&self.store),
            self.name.clone(),
            job.id,
            self.config.lease,
        );
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(lease / 3);
            ticks.tick().await;
            let mut reported = 0.1f32;
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    changed = progress.changed() => {
                        if changed.is_err() {
                            break;
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
                // A back-end that reports nothing (the engine) shows half done, as before.
                let value = *progress.borrow_and_update();
                let now_at = if value > 0.1 { value } else { 0.5 }.max(reported);
                reported = now_at;
                let until = Timestamp::now().plus(lease);
                if !matches!(
                    store.heartbeat_job(id, &name, now_at, until).await,
                    Ok(true)
                ) {
                    break;
                }
            }
        })
    }
}

/// Resolves when the store signals work; never, without a signal.
async fn wake_up(wake: Option<&mut watch::Receiver<()>>) -> Result<(), watch::error::RecvError> {
    match wake {
        Some(wake) => wake.changed().await,
        None => std::future::pending().await,
    }
}
