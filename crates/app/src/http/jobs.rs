//! `/styles` and `/jobs`: what can be made, and making it.

use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::error::ApiJson;
use super::openapi::ErrorBody;
use super::paging::{PageParams, page_request, page_response};
use super::{ApiError, AppState, Caller, idempotency};
use crate::backends::catalog::builtin_name;
use crate::domain::JobId;
use crate::i18n::Tr;
use crate::jobs::{JobError, JobRequest};
use crate::prompts::PromptError;
use crate::store::{Job, JobView};

/// A style on offer.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"id": "light-color", "name": "Light watercolor",
    "description": "Soft watercolor washes over a light sketch", "cost": 1, "input": "photo"}))]
pub struct StyleView {
    id: String,
    name: String,
    description: String,
    /// Tokens one job of this style costs.
    cost: u32,
    /// What the style works from: `photo`, `prompt` or `either`.
    #[schema(pattern = "^(photo|prompt|either)$")]
    input: &'static str,
}

/// `GET /styles`: the styles that can be used now (built-in, and configured ones whose
/// back-end is healthy) with their token cost and what they take. Public. Names and
/// descriptions follow `Accept-Language` for configured styles that have them.
#[utoipa::path(get, path = "/styles", tag = "jobs", security(()),
    responses((status = 200, description = "The styles on offer", body = Vec<StyleView>)))]
pub async fn styles(State(state): State<AppState>, headers: HeaderMap) -> Json<Vec<StyleView>> {
    let lang = requested_language(&headers);
    Json(
        state
            .services
            .jobs
            .catalog()
            .available()
            .map(|style| StyleView {
                id: style.id.clone(),
                name: style
                    .builtin
                    .map_or_else(|| style.label(&lang), |s| builtin_name(s).to_owned()),
                description: style.description(&lang),
                cost: style.cost,
                input: style.input.as_str(),
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
#[utoipa::path(post, path = "/jobs", tag = "jobs",
    params(("Idempotency-Key" = Option<String>, Header,
            description = "Repeat-safe: a repeat within 24 h gets the first reply and spends nothing")),
    request_body = crate::jobs::JobRequest,
    responses(
        (status = 202, description = "Queued; its cost is spent", body = JobView),
        (status = 400, description = "`invalid-idempotency-key`", body = ErrorBody),
        (status = 402, description = "`insufficient-tokens`: nothing queued", body = ErrorBody),
        (status = 403, description = "`processing-paused` (or the policy gate)", body = ErrorBody),
        (status = 404, description = "`upload-not-found`", body = ErrorBody),
        (status = 409, description = "`idempotency-in-progress`", body = ErrorBody),
        (status = 422, description = "`unknown-style`, `prompts-unsupported`, `invalid-params`, `prompt-refused`, `prompt-too-long`, `prompt-empty`, `idempotency-key-reused`", body = ErrorBody),
    ))]
pub async fn create_job(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let key = idempotency::key_of(&headers)?;
    let fingerprint =
        idempotency::fingerprint("POST /api/v1/jobs", &idempotency::canonical_json(&body));
    let request: JobRequest = serde_json::from_value(body).map_err(|e| {
        ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            e.to_string(),
        )
    })?;
    let jobs = &state.services.jobs;
    let work = async {
        let job = match jobs.create(caller.scope, request).await {
            Ok(job) => job,
            Err(JobError::Prompt(error)) => {
                let tr = Tr::from_headers(&headers);
                let message = match &error {
                    PromptError::TooLong { max } => tr.t1("prompt-too-long", "max", *max),
                    PromptError::Empty => tr.t("prompt-empty"),
                    PromptError::Refused => tr.t("prompt-refused"),
                };
                let refusal =
                    ApiError::client(StatusCode::UNPROCESSABLE_ENTITY, error.code(), message);
                return Err(match error {
                    PromptError::TooLong { max } => refusal.with_arg("max", max),
                    _ => refusal,
                });
            }
            Err(error) => return Err(error.into()),
        };
        let view = jobs.get(caller.scope, job.id).await?;
        Ok((
            StatusCode::ACCEPTED,
            serde_json::to_value(view).map_err(ApiError::internal)?,
        ))
    };
    idempotency::once(&state, caller.scope, key, fingerprint, work).await
}

#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "The job, with its place in the queue", body = JobView),
              (status = 404, description = "`not-found`", body = ErrorBody)))]
pub async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    let id: JobId = id.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(state.services.jobs.get(caller.scope, id).await?))
}

/// `POST /jobs/{id}/cancel`: refunds a job that has not started; 409 once it has.
#[utoipa::path(post, path = "/jobs/{id}/cancel", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "Canceled and refunded", body = Job),
              (status = 404, description = "`not-found`", body = ErrorBody),
              (status = 409, description = "`not-cancelable`: already running or done", body = ErrorBody)))]
pub async fn cancel_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    let id: JobId = id.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(state.services.jobs.cancel(caller.scope, id).await?))
}

/// `GET /jobs`: the caller's jobs, newest first.
#[utoipa::path(get, path = "/jobs", tag = "jobs", params(PageParams),
    responses((status = 200, description = "Jobs, newest first", body = Vec<Job>,
               headers(("Link" = String, description = "`<…>; rel=\"next\"` when more follow")))))]
pub async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
    uri: OriginalUri,
    query: Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let request = page_request(&query)?;
    let page = state
        .services
        .store
        .jobs_page(caller.scope, &request)
        .await?;
    Ok(page_response(&uri, &request, page))
}
