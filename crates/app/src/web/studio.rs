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
use crate::prompts::PromptError;
use crate::store::{JobStatus, ResultRecord};

#[derive(Template)]
#[template(path = "studio.html")]
struct StudioPage {
    tr: Tr,
    user: Option<NavUser>,
    styles: Vec<StyleCard>,
    error: Option<String>,
    /// Some style takes a prompt: show the prompt box.
    prompts: bool,
    max_prompt: usize,
    /// The prompt sent, kept in the box after a refusal.
    prompt: String,
    /// The upload cap, for `app.js` to refuse a larger file at once.
    max_bytes: usize,
    /// The refusal of a file over the cap, in the reader's language.
    too_large: String,
}

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

async fn studio_page(
    state: &AppState,
    tr: Tr,
    scope: UserScope,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    studio_page_with(state, tr, scope, status, error, String::new()).await
}

async fn studio_page_with(
    state: &AppState,
    tr: Tr,
    scope: UserScope,
    status: StatusCode,
    error: Option<String>,
    prompt: String,
) -> Response {
    let styles = style_cards(state, &tr);
    let max_bytes = state.services.media.max_bytes();
    let too_large = tr.t1(
        "check-too-large",
        "max",
        super::upload_check::megabytes(max_bytes),
    );
    let page = StudioPage {
        max_bytes,
        too_large,
        user: nav_user(
            state,
            Some(Caller {
                scope,
                api_key: None,
            }),
        )
        .await,
        prompts: styles.iter().any(|s| s.input != "photo"),
        max_prompt: state.services.jobs.prompt_filter().max_chars(),
        prompt,
        styles,
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

/// Takes the photo and/or the prompt and the style, uploads, queues the job and goes to its
/// page. The prompt is checked (by `Jobs::create`) before the photo is kept or a token spent.
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
    let (mut file, mut style, mut prompt) = (None, String::new(), String::new());
    // A body past the size limit fails part-way: say the photo is too large, not that the
    // style (read after the file, or never) is missing.
    let mut unread = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("file") => match field.bytes().await {
                    Ok(bytes) => file = Some(bytes.to_vec()).filter(|b| !b.is_empty()),
                    Err(e) => {
                        unread = Some(e.status());
                        break;
                    }
                },
                Some("style") => style = field.text().await.unwrap_or_default(),
                Some("prompt") => prompt = field.text().await.unwrap_or_default(),
                _ => {}
            },
            Ok(None) => break,
            Err(e) => {
                unread = Some(e.status());
                break;
            }
        }
    }
    if let Some(status) = unread {
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            tr.t1(
                "error-upload",
                "reason",
                super::upload_check::too_large_text(&tr, state.services.media.max_bytes()),
            )
        } else {
            tr.t("error-form-unreadable")
        };
        return studio_page_with(
            &state,
            tr.clone(),
            caller.scope,
            status,
            Some(message),
            prompt,
        )
        .await;
    }
    let prompt_given = !prompt.trim().is_empty();
    // Check style and prompt first: a refused prompt keeps no photo and spends nothing.
    let precheck = JobRequest {
        style: style.clone(),
        prompt: prompt_given.then(|| prompt.clone()),
        ..JobRequest::default()
    };
    if let Err(error) = state.services.jobs.check(caller.scope, &precheck) {
        let (status, message) = job_error_text(&tr, &error);
        return studio_page_with(
            &state,
            tr.clone(),
            caller.scope,
            status,
            Some(message),
            prompt,
        )
        .await;
    }
    let upload = match file {
        None if prompt_given => None,
        None => {
            let reason = tr.t("error-empty-file");
            return studio_page_with(
                &state,
                tr.clone(),
                caller.scope,
                StatusCode::BAD_REQUEST,
                Some(reason),
                prompt,
            )
            .await;
        }
        Some(file) => match state.services.media.ingest_upload(caller.scope, file).await {
            Ok(upload) => Some(upload),
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
                let reason = super::upload_check::photo_refusal(&tr, &state.services.media, &error);
                let message = tr.t1("error-upload", "reason", reason);
                return studio_page(&state, tr.clone(), caller.scope, status, Some(message)).await;
            }
        },
    };
    let request = JobRequest {
        upload_id: upload.as_ref().map(|u| u.id),
        style,
        prompt: prompt_given.then(|| prompt.clone()),
        ..JobRequest::default()
    };
    match state.services.jobs.create(caller.scope, request).await {
        Ok(job) => Redirect::to(&format!("/jobs/{}", job.id)).into_response(),
        Err(error) => {
            let (status, message) = job_error_text(&tr, &error);
            if let Some(upload) = upload {
                let _ = state
                    .services
                    .media
                    .delete_upload(caller.scope, upload.id)
                    .await;
            }
            studio_page_with(
                &state,
                tr.clone(),
                caller.scope,
                status,
                Some(message),
                prompt,
            )
            .await
        }
    }
}

/// The status and localized message of a refused job.
fn job_error_text(tr: &Tr, error: &JobError) -> (StatusCode, String) {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    match error {
        JobError::InsufficientTokens => (
            StatusCode::PAYMENT_REQUIRED,
            tr.t("error-insufficient-tokens"),
        ),
        JobError::UnknownStyle(_) => (unprocessable, tr.t("error-unknown-style")),
        JobError::StyleUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            tr.t("error-style-unavailable"),
        ),
        JobError::ProcessingPaused => (StatusCode::FORBIDDEN, tr.t("error-processing-paused")),
        JobError::PhotoRequired => (unprocessable, tr.t("error-photo-required")),
        JobError::PhotoNotAccepted => (unprocessable, tr.t("error-photo-not-accepted")),
        JobError::PromptRequired => (unprocessable, tr.t("error-prompt-required")),
        JobError::PromptNotAccepted => (unprocessable, tr.t("error-prompt-not-accepted")),
        JobError::Prompt(PromptError::Refused) => (unprocessable, tr.t("prompt-refused")),
        JobError::Prompt(PromptError::Empty) => (unprocessable, tr.t("prompt-empty")),
        JobError::Prompt(PromptError::TooLong { max }) => {
            (unprocessable, tr.t1("prompt-too-long", "max", *max))
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, tr.t("error-internal")),
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
