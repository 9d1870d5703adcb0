//! Jobs (C7): creating, reading and canceling generation jobs for a user. The queue itself
//! (lease, fair order, refunds) lives in the store; the runners live in [`worker`].

pub mod worker;

use std::sync::Arc;

use serde::Deserialize;

use crate::backends::{Catalog, CatalogStyle};
use crate::domain::{JobId, Timestamp, UploadId, UserScope};
use crate::prompts::{PromptError, PromptFilter};
use crate::store::{Job, JobView, NewJob, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("unknown style `{0}`")]
    UnknownStyle(String),
    #[error("this style is unavailable right now; try another or try again later")]
    StyleUnavailable,
    #[error("this style needs a photo: give an upload_id")]
    PhotoRequired,
    #[error("this style makes images from text only: leave out upload_id")]
    PhotoNotAccepted,
    #[error("this style needs a prompt")]
    PromptRequired,
    #[error("this style takes no prompt")]
    PromptNotAccepted,
    #[error("{0}")]
    Prompt(PromptError),
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
            JobError::StyleUnavailable => "style-unavailable",
            JobError::PhotoRequired => "photo-required",
            JobError::PhotoNotAccepted => "photo-not-accepted",
            JobError::PromptRequired => "prompt-required",
            JobError::PromptNotAccepted => "prompt-not-accepted",
            JobError::Prompt(e) => e.code(),
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
    catalog: Arc<Catalog>,
    filter: Arc<PromptFilter>,
}

impl Jobs {
    pub fn new(store: Arc<dyn Store>, catalog: Arc<Catalog>, filter: Arc<PromptFilter>) -> Jobs {
        Jobs {
            store,
            catalog,
            filter,
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn prompt_filter(&self) -> &PromptFilter {
        &self.filter
    }

    /// Checks the request (style, inputs, the prompt filter), then debits and enqueues in one
    /// transaction. A refused prompt is refused before anything is spent or queued.
    pub async fn create(&self, scope: UserScope, request: JobRequest) -> Result<Job, JobError> {
        let (style, prompt) = self.check(scope, &request)?;
        match (request.upload_id, style.input.takes_photo()) {
            (Some(_), false) => return Err(JobError::PhotoNotAccepted),
            (None, true) if !style.input.takes_prompt() => return Err(JobError::PhotoRequired),
            (None, _) if prompt.is_none() => return Err(JobError::PromptRequired),
            _ => {}
        }
        if self.store.privacy(scope).await?.processing_paused {
            return Err(JobError::ProcessingPaused);
        }
        if let Some(upload_id) = request.upload_id
            && self.store.upload(scope, upload_id).await?.is_none()
        {
            return Err(JobError::UploadNotFound);
        }
        let job = NewJob {
            id: JobId::new(),
            upload_id: request.upload_id,
            style: style.id.clone(),
            intensity: request.params.intensity,
            seed: request.params.seed,
            cost: style.cost,
            prompt,
        };
        Ok(self.store.enqueue_job(scope, job, Timestamp::now()).await?)
    }

    /// What can be checked without the store: the style (known, available), the parameters
    /// and the prompt (filter, length, whether the style takes one). The studio runs this
    /// before keeping a photo.
    pub fn check(
        &self,
        scope: UserScope,
        request: &JobRequest,
    ) -> Result<(Arc<CatalogStyle>, Option<String>), JobError> {
        let style = self
            .catalog
            .get(&request.style)
            .ok_or_else(|| JobError::UnknownStyle(request.style.clone()))?;
        if !style.available() {
            return Err(JobError::StyleUnavailable);
        }
        if !(0.0..=1.0).contains(&request.params.intensity) {
            return Err(JobError::InvalidParams);
        }
        let prompt = self.checked_prompt(scope, style, request.prompt.as_deref())?;
        Ok((style.clone(), prompt))
    }

    /// The prompt to store, `None` when none was given; refusals are logged without the text
    /// (see `prompts`).
    fn checked_prompt(
        &self,
        scope: UserScope,
        style: &CatalogStyle,
        prompt: Option<&str>,
    ) -> Result<Option<String>, JobError> {
        let Some(prompt) = prompt.filter(|p| !p.trim().is_empty()) else {
            return match style.input {
                crate::config::InputKind::Prompt => Err(JobError::PromptRequired),
                _ => Ok(None),
            };
        };
        if !style.input.takes_prompt() {
            return Err(JobError::PromptNotAccepted);
        }
        match self.filter.check(prompt) {
            Ok(prompt) => Ok(Some(prompt.to_owned())),
            Err(error) => {
                if error == PromptError::Refused {
                    metrics::counter!("atelier_prompts_refused_total").increment(1);
                    tracing::warn!(
                        user = %scope.user_id(),
                        style = %style.id,
                        chars = prompt.chars().count(),
                        "prompt refused by the filter"
                    );
                }
                Err(JobError::Prompt(error))
            }
        }
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
