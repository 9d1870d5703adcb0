//! Jobs (C7): creating, reading and canceling generation jobs for a user. The queue itself
//! (lease, fair order, refunds) lives in the store; the runners live in [`worker`].

pub mod worker;

use std::str::FromStr;
use std::sync::Arc;

use atelier_engine::Style;
use serde::Deserialize;

use crate::domain::{JobId, Timestamp, UploadId, UserScope};
use crate::store::{Job, JobView, NewJob, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("unknown style `{0}`")]
    UnknownStyle(String),
    #[error("give an upload_id; text prompts need a generation back-end that is not configured")]
    PromptsUnsupported,
    #[error("intensity must be a number between 0 and 1")]
    InvalidParams,
    #[error("upload not found")]
    UploadNotFound,
    #[error("not enough tokens for this style")]
    InsufficientTokens,
    #[error("not found")]
    NotFound,
    #[error("the job has already started or finished")]
    NotCancelable,
    #[error("processing of your data is paused; resume it on the privacy page to start jobs")]
    ProcessingPaused,
    #[error(transparent)]
    Store(StoreError),
}

impl JobError {
    pub fn code(&self) -> &'static str {
        match self {
            JobError::UnknownStyle(_) => "unknown-style",
            JobError::PromptsUnsupported => "prompts-unsupported",
            JobError::InvalidParams => "invalid-params",
            JobError::UploadNotFound => "upload-not-found",
            JobError::InsufficientTokens => "insufficient-tokens",
            JobError::NotFound => "not-found",
            JobError::NotCancelable => "not-cancelable",
            JobError::ProcessingPaused => "processing-paused",
            JobError::Store(e) => e.code(),
        }
    }
}

impl From<StoreError> for JobError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::InsufficientTokens => JobError::InsufficientTokens,
            StoreError::NotFound => JobError::NotFound,
            StoreError::WrongState => JobError::NotCancelable,
            other => JobError::Store(other),
        }
    }
}

/// `POST /jobs` as the API receives it.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"upload_id": "5d0c2a4e-2b7f-4b8e-9a51-0f4f3c7d9e21",
    "style": "light-color", "params": {"intensity": 0.5, "seed": 7}}))]
pub struct JobRequest {
    /// The photo to stylize (from `POST /uploads`).
    pub upload_id: Option<UploadId>,
    /// A text prompt: only for styles whose `input` is `prompt` or `either` (none built in).
    pub prompt: Option<String>,
    /// A style id from `GET /styles`.
    #[schema(pattern = "^(rough-sketch|detailed-sketch|light-color|artistic|anime|clay-3d)$")]
    pub style: String,
    #[serde(default)]
    pub params: JobParams,
}

#[derive(Clone, Copy, Debug, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct JobParams {
    /// How strongly the style is applied, 0 to 1 (default 0.5).
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub intensity: f32,
    /// Same photo, style, intensity and seed: same portrait.
    #[schema(maximum = 9007199254740991_u64)]
    pub seed: u64,
}

impl Default for JobParams {
    fn default() -> Self {
        JobParams {
            intensity: 0.5,
            seed: 0,
        }
    }
}

#[derive(Clone)]
pub struct Jobs {
    store: Arc<dyn Store>,
    cost: u32,
}

impl Jobs {
    pub fn new(store: Arc<dyn Store>, cost: u32) -> Jobs {
        Jobs { store, cost }
    }

    /// What a generation in `style` costs. One price for every built-in style for now.
    pub fn cost_of(&self, _style: Style) -> u32 {
        self.cost
    }

    /// Checks the request, then debits and enqueues in one transaction.
    pub async fn create(&self, scope: UserScope, request: JobRequest) -> Result<Job, JobError> {
        let style = Style::from_str(&request.style)
            .map_err(|_| JobError::UnknownStyle(request.style.clone()))?;
        let Some(upload_id) = request.upload_id else {
            return Err(JobError::PromptsUnsupported);
        };
        if !(0.0..=1.0).contains(&request.params.intensity) {
            return Err(JobError::InvalidParams);
        }
        if self.store.privacy(scope).await?.processing_paused {
            return Err(JobError::ProcessingPaused);
        }
        if self.store.upload(scope, upload_id).await?.is_none() {
            return Err(JobError::UploadNotFound);
        }
        let job = NewJob {
            id: JobId::new(),
            upload_id: Some(upload_id),
            style: style.id().to_owned(),
            intensity: request.params.intensity,
            seed: request.params.seed,
            cost: self.cost_of(style),
        };
        Ok(self.store.enqueue_job(scope, job, Timestamp::now()).await?)
    }

    pub async fn get(&self, scope: UserScope, id: JobId) -> Result<JobView, JobError> {
        self.store.job(scope, id).await?.ok_or(JobError::NotFound)
    }

    /// Cancels a job that has not started, refunding it.
    pub async fn cancel(&self, scope: UserScope, id: JobId) -> Result<Job, JobError> {
        Ok(self.store.cancel_job(scope, id, Timestamp::now()).await?)
    }
}

#[cfg(test)]
#[path = "jobs_tests.rs"]
mod tests;
