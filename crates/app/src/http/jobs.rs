//! `/styles` and `/jobs`: what can be made, and making it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::error::ApiJson;
use super::{ApiError, AppState, Caller};
use crate::domain::JobId;
use crate::jobs::JobRequest;
use crate::store::{Job, JobView};

fn style_name(style: atelier_engine::Style) -> &'static str {
    use atelier_engine::Style;
    match style {
        Style::RoughSketch => "Rough sketch",
        Style::DetailedSketch => "Detailed sketch",
        Style::LightColor => "Light watercolor",
        Style::Artistic => "Artistic",
        Style::Anime => "Anime",
        Style::Clay3d => "Clay 3D",
    }
}

/// `GET /styles`: every enabled style with its token cost. Public.
pub async fn styles(State(state): State<AppState>) -> Json<Vec<Value>> {
    let jobs = &state.services.jobs;
    Json(
        atelier_engine::Style::ALL
            .into_iter()
            .map(|style| {
                json!({
                    "id": style.id(),
                    "name": style_name(style),
                    "description": style.description(),
                    "cost": jobs.cost_of(style),
                    "input": "photo",
                })
            })
            .collect(),
    )
}

/// `POST /jobs`: 202 with the queued job, or 402 with nothing queued.
pub async fn create_job(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<JobRequest>,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    let jobs = &state.services.jobs;
    let job = jobs.create(caller.scope, request).await?;
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
