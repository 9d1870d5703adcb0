//! The studio: upload a photo and pick a style, follow the job, see, download or delete the
//! result. Signed-out visitors are sent to the sign-in page.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::i18n::Tr;
use super::pages::{NavUser, StyleCard, nav_user, style_cards};
use super::render;
use crate::domain::{JobId, ResultId, Timestamp, UploadId, UserScope};
use crate::http::{AppState, Caller};
use crate::jobs::{JobError, JobRequest};
use crate::media::MediaError;
use crate::store::JobStatus;

#[derive(Template)]
#[template(path = "studio.html")]
struct StudioPage {
    tr: Tr,
    user: Option<NavUser>,
    styles: Vec<StyleCard>,
    error: Option<String>,
}

pub struct ResultView {
    pub id: ResultId,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub expires_at: String,
    pub expires_text: String,
    /// What is left, for readers without JavaScript; `app.js` keeps it current.
    pub countdown: String,
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    tr: Tr,
    user: Option<NavUser>,
    job_id: JobId,
    style_name: String,
    status_text: String,
    queue_position: Option<String>,
    progress: u32,
    finished: bool,
    can_cancel: bool,
    warnings: Vec<String>,
    result: Option<ResultView>,
}

async fn studio_page(
    state: &AppState,
    tr: Tr,
    scope: UserScope,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let page = StudioPage {
        user: nav_user(state, Some(Caller { scope })).await,
        styles: style_cards(state, &tr),
        error,
        tr,
    };
    render(status, &page)
}

pub async fn studio_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    studio_page(
        &state,
        Tr::from_headers(&headers),
        caller.scope,
        StatusCode::OK,
        None,
    )
    .await
}

/// Takes the photo and the style, uploads, queues the job and goes to its page.
pub async fn studio_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    mut multipart: Multipart,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let (mut file, mut style) = (None, String::new());
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("file") => file = field.bytes().await.ok().map(|b| b.to_vec()),
            Some("style") => style = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    let Some(file) = file else {
        let reason = tr.t("error-empty-file");
        return studio_page(
            &state,
            tr.clone(),
            caller.scope,
            StatusCode::BAD_REQUEST,
            Some(reason),
        )
        .await;
    };
    let upload = match state.services.media.ingest_upload(caller.scope, file).await {
        Ok(upload) => upload,
        Err(MediaError::ProcessingPaused) => {
            let message = tr.t("error-processing-paused");
            let status = StatusCode::FORBIDDEN;
            return studio_page(&state, tr.clone(), caller.scope, status, Some(message)).await;
        }
        Err(error) => {
            let status = if matches!(
                error,
                MediaError::Store(_) | MediaError::Blob(_) | MediaError::Internal(_)
            ) {
                tracing::error!(%error, "upload failed");
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let message = tr.t1("error-upload", "reason", error.to_string());
            return studio_page(&state, tr.clone(), caller.scope, status, Some(message)).await;
        }
    };
    let request = JobRequest {
        upload_id: Some(upload.id),
        style,
        ..JobRequest::default()
    };
    match state.services.jobs.create(caller.scope, request).await {
        Ok(job) => Redirect::to(&format!("/jobs/{}", job.id)).into_response(),
        Err(error) => {
            let (status, key) = match &error {
                JobError::InsufficientTokens => {
                    (StatusCode::PAYMENT_REQUIRED, "error-insufficient-tokens")
                }
                JobError::UnknownStyle(_) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "error-unknown-style")
                }
                JobError::ProcessingPaused => (StatusCode::FORBIDDEN, "error-processing-paused"),
                _ => (StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
            };
            let _ = state
                .services
                .media
                .delete_upload(caller.scope, upload.id)
                .await;
            studio_page(&state, tr.clone(), caller.scope, status, Some(tr.t(key))).await
        }
    }
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
    let style_name = tr.t(&format!("style-{}", job.style));
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
                expires_at: r.expires_at.rfc3339(),
                expires_text: tr.t1("job-expires", "time", tr.datetime(r.expires_at)),
                countdown: tr.countdown(Timestamp::now(), r.expires_at),
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
    let _ = state.services.jobs.cancel(caller.scope, id).await;
    Redirect::to(&format!("/jobs/{id}")).into_response()
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
