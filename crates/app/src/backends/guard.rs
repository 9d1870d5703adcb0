//! The guard around every back-end call: a concurrency limit (a semaphore), a time limit per
//! attempt, retries with doubling backoff for faults worth retrying, a circuit breaker that
//! stops calling a back-end after `breaker_threshold` failed attempts in a row (one trial call
//! after `breaker_cooldown`), and metrics per back-end.

use std::future::Future;
use std::sync::Mutex;
use std::time::Instant;

use tokio::sync::Semaphore;

use super::{BackendError, Generated};
use crate::config::BackendLimits;

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    trial_running: bool,
}

pub struct Guard {
    name: String,
    limits: BackendLimits,
    permits: Semaphore,
    breaker: Mutex<Breaker>,
}

impl Guard {
    pub fn new(name: impl Into<String>, limits: BackendLimits) -> Guard {
        Guard {
            name: name.into(),
            permits: Semaphore::new(limits.max_concurrency.max(1)),
            limits,
            breaker: Mutex::new(Breaker::default()),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        // A panic while holding this lock leaves counters only: keep using them.
        self.breaker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// False while the breaker is open and its cooldown has not passed: styles on this
    /// back-end are hidden from the catalog until then.
    pub fn healthy(&self) -> bool {
        match self.breaker().open_until {
            Some(until) => Instant::now() >= until,
            None => true,
        }
    }

    /// Lets a call through unless the breaker is open; after the cooldown, one trial.
    fn admit(&self) -> Result<bool, BackendError> {
        let mut breaker = self.breaker();
        match breaker.open_until {
            None => Ok(false),
            Some(until) if Instant::now() < until => Err(BackendError::CircuitOpen),
            Some(_) if breaker.trial_running => Err(BackendError::CircuitOpen),
            Some(_) => {
                breaker.trial_running = true;
                Ok(true)
            }
        }
    }

    fn record(&self, healthy: bool, trial: bool) {
        let mut breaker = self.breaker();
        if trial {
            breaker.trial_running = false;
        }
        if healthy {
            breaker.failures = 0;
            breaker.open_until = None;
            return;
        }
        breaker.failures = breaker.failures.saturating_add(1);
        if trial || breaker.failures >= self.limits.breaker_threshold.max(1) {
            if breaker.open_until.is_none() || trial {
                tracing::warn!(backend = %self.name, failures = breaker.failures, "circuit breaker open");
            }
            breaker.open_until = Some(Instant::now() + self.limits.breaker_cooldown);
        }
    }

    /// Runs `attempt` under the limits: waits for a slot, then tries up to `retries + 1`
    /// times while the fault is worth retrying and the breaker lets calls through.
    pub async fn call<F, Fut>(&self, mut attempt: F) -> Result<Generated, BackendError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Generated, BackendError>>,
    {
        let _slot = self
            .permits
            .acquire()
            .await
            .map_err(|_| BackendError::Failed("the back-end is shutting down".into()))?;
        let mut backoff = self.limits.retry_backoff;
        let mut tried = 0;
        loop {
            let trial = self.admit()?;
            tried += 1;
            let started = Instant::now();
            let result = match tokio::time::timeout(self.limits.timeout, attempt()).await {
                Ok(result) => result,
                Err(_) => Err(BackendError::Timeout),
            };
            let outcome = match &result {
                Ok(_) => "ok",
                Err(e) => e.code(),
            };
            metrics::counter!("atelier_backend_calls_total", "backend" => self.name.clone(), "outcome" => outcome).increment(1);
            metrics::histogram!("atelier_backend_call_seconds", "backend" => self.name.clone())
                .record(started.elapsed().as_secs_f64());
            match result {
                Ok(output) => {
                    self.record(true, trial);
                    return Ok(output);
                }
                Err(error) => {
                    self.record(!error.counts_against_backend(), trial);
                    if !error.retriable() || tried > self.limits.retries {
                        return Err(error);
                    }
                    tracing::info!(backend = %self.name, attempt = tried, %error, "retrying the back-end");
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2);
                }
            }
        }
    }
}
