//! A job's page: its place in the queue and progress, then the portrait with its deletion
//! countdown, download, save and delete; cancelling a queued job. Only its owner sees it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::pages::{NavUser, nav_user};
use super::render;
use crate::domain::{JobId, ResultId, Timestamp, UploadId, UserScope};
use crate::http::{AppState, Caller};
use crate::i18n::Tr;
use crate::jobs::JobError;
use crate::media::MediaError;
use crate::store::{JobStatus, ResultRecord};

pub struct ResultView {
    pub id: ResultId,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    /// The deadline for the countdown; `None` for a result saved until deleted.
    pub expires_at: Option<String>,
    pub expires_text: String,
    pub saved: bool,
    /// Saving is allowed on this server (the button shows).
    pub can_save: bool,
    /// What saving would do, next to the button.
    pub save_hint: String,
    /// What is left, for readers without JavaScript; `app.js` keeps it current.
    pub countdown: String,
}

/// When a result goes, in words: its 24-hour deadline, or what saving keeps.
pub(super) fn deadline_text(tr: &Tr, result: &ResultRecord) -> String {
    match (result.saved(), result.deletes_at) {
        (true, Some(until)) => tr.t1("job-saved-until", "time", tr.datetime(until)),
        (true, None) => tr.t("job-saved-forever"),
        (false, _) => tr.t1("job-expires", "time", tr.datetime(result.expires_at)),
    }
}

fn save_hint(tr: &Tr, rule: crate::media::SaveRule) -> String {
    match rule.ttl {
        Some(ttl) => tr.t1("job-save-hint", "days", ttl.as_secs().div_ceil(86_400)),
        None => tr.t("job-save-hint-forever"),
    }
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    tr: Tr,
    user: Option<NavUser>,
    job_id: JobId,
    style_name: String,
    prompt: Option<String>,
    status_text: String,
    queue_position: Option<String>,
    progress: u32,
    finished: bool,
    can_cancel: bool,
    warnings: Vec<String>,
    result: Option<ResultView>,
}

/// What to tell the user about their photo: no face, several faces, small.
async fn upload_warnings(
    state: &AppState,
    scope: UserScope,
    upload: Option<UploadId>,
    tr: &Tr,
) -> Vec<String> {
    let Some(upload) = upload else {
        return Vec::new();
    };
    let Ok(upload) = state.services.media.upload(scope, upload).await else {
        return Vec::new();
    };
    let mut warnings = Vec::new();
    match upload.faces {
        0 => warnings.push(tr.t("job-warn-no-face")),
        1 => {}
        _ => warnings.push(tr.t("job-warn-many-faces")),
    }
    if upload.width.min(upload.height) < 512 {
        warnings.push(tr.t("job-warn-small"));
    }
    warnings
}

pub async fn job_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let Ok(id) = id.parse::<JobId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(view) = state.services.jobs.get(caller.scope, id).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let job = view.job;
    let style_name = super::library::style_label(&state, &tr, &job.style);
    let warnings = upload_warnings(&state, caller.scope, job.upload_id, &tr).await;
    let result = match job.result_id {
        Some(result_id) => state
            .services
            .media
            .result(caller.scope, result_id)
            .await
            .ok()
            .map(|r| ResultView {
                id: r.id,
                width: r.width,
                height: r.height,
                alt: tr.t1("job-alt", "style", style_name.clone()),
                expires_at: r.deletes_at.map(|at| at.rfc3339()),
                expires_text: deadline_text(&tr, &r),
                saved: r.saved(),
                can_save: state.services.media.save_rule().allowed,
                save_hint: save_hint(&tr, state.services.media.save_rule()),
                countdown: r
                    .deletes_at
                    .map_or_else(String::new, |at| tr.countdown(Timestamp::now(), at)),
            }),
        None => None,
    };
    let page = JobPage {
        user: nav_user(&state, Some(caller)).await,
        job_id: job.id,
        status_text: tr.t(&super::library::status_key(&job, result.is_some())),
        queue_position: view.queue_position.map(|p| tr.t1("job-queue-position", "position", p)),
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0..=100
        progress: (job.progress.clamp(0.0, 1.0) * 100.0).round() as u32,
        finished: !matches!(job.status, JobStatus::Queued | JobStatus::Running),
        can_cancel: job.status == JobStatus::Queued,
        warnings,
        result,
        prompt: job.prompt.clone(),
        style_name,
        tr,
    };
    render(StatusCode::OK, &page)
}

pub async fn cancel_job(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let Ok(id) = id.parse::<JobId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.services.jobs.cancel(caller.scope, id).await {
        // Another's job or none at all: the same 404 as its page, never a redirect that
        // reads like the cancel went through.
        Err(JobError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(JobError::Store(e)) => {
            tracing::error!(error = %e, "cancelling a job failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        // Cancelled, or already started or finished: its page shows which.
        Ok(_) | Err(_) => Redirect::to(&format!("/jobs/{id}")).into_response(),
    }
}

pub async fn delete_result(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let Ok(id) = id.parse::<ResultId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.services.media.delete_result(caller.scope, id).await {
        Ok(()) => Redirect::to("/history").into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Saves a result from its page (409 with the reason when saving is off), then back to it.
pub async fn save_result(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Response {
    keep_or_release(state, headers, caller, id, true).await
}

/// Unsaves a result from its page: the 24-hour rule again, counted from its creation.
pub async fn unsave_result(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Response {
    keep_or_release(state, headers, caller, id, false).await
}

async fn keep_or_release(
    state: AppState,
    headers: HeaderMap,
    caller: Option<Caller>,
    id: String,
    save: bool,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let Ok(id) = id.parse::<ResultId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let media = &state.services.media;
    let done = if save {
        media.save_result(caller.scope, id).await
    } else {
        media.unsave_result(caller.scope, id).await
    };
    match done {
        Ok(result) => Redirect::to(&format!("/jobs/{}", result.job_id)).into_response(),
        Err(MediaError::SavingDisabled) => {
            let tr = Tr::from_headers(&headers);
            super::error_pages::refusal(StatusCode::CONFLICT, tr.t("job-saving-disabled"))
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
