//! `/admin/jobs`: the queue's depth, the running jobs (owner, style, started, worker), the
//! latest failed jobs with their reasons, and a Retry for each failed one.
//!
//! A retry is a fresh job of the owner (see [`crate::operator::retry_failed_job`]): the
//! failed one was refunded, so the new one spends the style's cost again and is refused
//! when the owner has too few tokens; an admin who wants it free grants the tokens first.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::admin::not_found_page;
use super::admin_console::{Outcome, audit, back};
use super::pages::{NavUser, nav_user};
use super::render;
use crate::domain::{JobId, Role, Timestamp, UserScope};
use crate::http::{AdminCaller, AppState};
use crate::i18n::Tr;
use crate::operator::{self, OperatorError};
use crate::store::{AdminJob, JobStatus, QueueNow};

const LISTED: u32 = 100;

struct JobRow {
    id: String,
    owner_id: String,
    owner: String,
    style: String,
    started: String,
    worker: String,
    failed_at: String,
    reason: String,
}

fn job_row(tr: &Tr, job: &AdminJob) -> JobRow {
    JobRow {
        id: job.id.to_string(),
        owner_id: job.user_id.to_string(),
        owner: job.email.clone(),
        style: job.style.clone(),
        started: job.started_at.map(|t| tr.datetime(t)).unwrap_or_default(),
        worker: job.worker.clone().unwrap_or_default(),
        failed_at: tr.datetime(job.updated_at),
        reason: job.error.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage {
    tr: Tr,
    user: Option<NavUser>,
    queue: QueueNow,
    running: Vec<JobRow>,
    failed: Vec<JobRow>,
    notice: Option<String>,
    error: Option<String>,
}

pub async fn jobs(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Query(outcome): Query<Outcome>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let admin = caller.scope.user_id();
    if let Err(response) = audit(&state, admin, "view-jobs", None, "page".into()).await {
        return response;
    }
    let store = &state.services.store;
    let read = tokio::try_join!(
        store.queue_now(),
        store.running_jobs(LISTED),
        store.failed_jobs(LISTED),
    );
    let Ok((queue, running, failed)) = read else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let (notice, error) = outcome.message(&tr);
    let page = JobsPage {
        user: nav_user(&state, Some(caller)).await,
        queue,
        running: running.iter().map(|j| job_row(&tr, j)).collect(),
        failed: failed.iter().map(|j| job_row(&tr, j)).collect(),
        notice,
        error,
        tr,
    };
    render(StatusCode::OK, &page)
}

pub async fn retry(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<String>,
) -> Response {
    // An id that names no job is the 404 page, not a redirect that reads like a success.
    let Ok(id) = id.parse::<JobId>() else {
        return not_found_page(&headers);
    };
    let store = &state.services.store;
    let job = match store.job_by_id(id).await {
        Ok(Some(job)) => job,
        Ok(None) => return not_found_page(&headers),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if job.status != JobStatus::Failed {
        return back("/admin/jobs", "error", "not-failed");
    }
    let owner = UserScope::trusted(job.user_id, Role::User);
    match store.balance(owner, Timestamp::now()).await {
        Ok(balance) if balance < i64::from(job.cost) => {
            return back("/admin/jobs", "error", "retry-refused");
        }
        Ok(_) => {}
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
    let detail = format!("job {id}, costs the owner {} tokens", job.cost);
    let admin = caller.scope.user_id();
    if let Err(response) = audit(&state, admin, "retry-job", Some(job.user_id), detail).await {
        return response;
    }
    match operator::retry_failed_job(&state.services, id).await {
        Ok(_) => back("/admin/jobs", "done", "retry"),
        Err(OperatorError::Store(e)) => {
            tracing::error!(error = %e, "retrying a job failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        // The photo is gone, the style is off, the owner paused processing or spent their
        // tokens meanwhile: nothing was queued or spent.
        Err(e) => {
            tracing::info!(error = %e, job = %id, "retry refused");
            back("/admin/jobs", "error", "retry-refused")
        }
    }
}
