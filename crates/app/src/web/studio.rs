//! The studio: upload a photo (or write a prompt) and pick a style; the job page is
//! `job_page.rs`. Signed-out visitors are sent to the sign-in page.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::pages::{NavUser, StyleCard, nav_user, style_cards};
use super::render;
use crate::domain::UserScope;
use crate::http::{AppState, Caller};
use crate::i18n::Tr;
use crate::jobs::{JobError, JobRequest};
use crate::media::MediaError;
use crate::prompts::PromptError;

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
            Err(MediaError::Busy { retry_after }) => {
                let message = tr.t("error-busy");
                let status = StatusCode::SERVICE_UNAVAILABLE;
                let mut page =
                    studio_page(&state, tr.clone(), caller.scope, status, Some(message)).await;
                let seconds = crate::http::limit::whole_seconds(retry_after);
                page.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, seconds.into());
                return page;
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
