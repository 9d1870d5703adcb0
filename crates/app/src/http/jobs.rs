//! `/styles` and `/jobs`: what can be made, and making it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::error::ApiJson;
use super::{ApiError, AppState, Caller};
use crate::backends::catalog::builtin_name;
use crate::domain::JobId;
use crate::jobs::{JobError, JobRequest};
use crate::prompts::PromptError;
use crate::store::{Job, JobView};
use crate::web::i18n::Tr;

/// `GET /styles`: the styles that can be used now (built-in, and configured ones whose
/// back-end is healthy) with their token cost and what they take. Public. Names and
/// descriptions follow `Accept-Language` for configured styles that have them.
pub async fn styles(State(state): State<AppState>, headers: HeaderMap) -> Json<Vec<Value>> {
    let lang = requested_language(&headers);
    Json(
        state
            .services
            .jobs
            .catalog()
            .available()
            .map(|style| {
                json!({
                    "id": style.id,
                    "name": style.builtin.map_or_else(|| style.label(&lang), |s| builtin_name(s).to_owned()),
                    "description": style.description(&lang),
                    "cost": style.cost,
                    "input": style.input.as_str(),
                })
            })
            .collect(),
    )
}

/// The first language of `Accept-Language` (`ja` of `ja,en;q=0.8`), else `en-US`. Styles'
/// labels are looked up in it directly: an operator may label a style in a language the
/// pages are not translated into yet.
fn requested_language(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|tag| tag.split(';').next().unwrap_or("").trim())
        .filter(|tag| !tag.is_empty() && *tag != "*")
        .map_or_else(|| "en-US".to_owned(), str::to_owned)
}

/// `POST /jobs`: 202 with the queued job, or 402 with nothing queued. A prompt the filter
/// refuses is a 422 `prompt-refused` in the caller's language, and costs nothing.
pub async fn create_job(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    ApiJson(request): ApiJson<JobRequest>,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    let jobs = &state.services.jobs;
    let job = match jobs.create(caller.scope, request).await {
        Ok(job) => job,
        Err(JobError::Prompt(error)) => {
            let tr = Tr::from_headers(&headers);
            let message = match &error {
                PromptError::TooLong { max } => tr.t1("prompt-too-long", "max", *max),
                PromptError::Empty => tr.t("prompt-empty"),
                PromptError::Refused => tr.t("prompt-refused"),
            };
            return Err(ApiError::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                error.code(),
                message,
            ));
        }
        Err(error) => return Err(error.into()),
    };
    let view = jobs.get(caller.scope, job.id).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

pub async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    let id: JobId = id.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(state.services.jobs.get(caller.scope, id).await?))
}

/// `POST /jobs/{id}/cancel`: refunds a job that has not started; 409 once it has.
pub async fn cancel_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    let id: JobId = id.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(state.services.jobs.cancel(caller.scope, id).await?))
}

/// `GET /jobs`: the caller's jobs, newest first.
pub async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Job>>, ApiError> {
    Ok(Json(state.services.store.jobs_of(caller.scope, 200).await?))
}
