//! The user's library (`/history`): portraits still held, photos still held, and every job,
//! each with what can be done to it (open, download, delete) and when it goes.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::pages::{NavUser, nav_user};
use super::render;
use crate::domain::{JobId, ResultId, Timestamp, UploadId};
use crate::http::{AppState, Caller};
use crate::i18n::Tr;
use crate::media::{MediaError, MediaRef};
use crate::store::{Job, JobStatus};

/// Longest edge of list thumbnails, in pixels (twice the CSS size, for dense screens).
const THUMBNAIL_EDGE: u32 = 480;

pub struct PortraitCard {
    pub id: ResultId,
    pub job_id: Option<JobId>,
    pub style: String,
    /// The prompt it was made from, shown beside it.
    pub prompt: Option<String>,
    pub alt: String,
    /// The deadline for the countdown; `None` for a result saved until deleted.
    pub expires_at: Option<String>,
    pub expires_text: String,
    /// What is left, for readers without JavaScript; `app.js` keeps it current.
    pub countdown: String,
}

pub struct PhotoCard {
    pub id: UploadId,
    pub size: String,
    pub faces: String,
    pub expires_at: String,
    pub expires_text: String,
    /// What is left, for readers without JavaScript; `app.js` keeps it current.
    pub countdown: String,
}

pub struct JobRow {
    pub id: JobId,
    pub created: String,
    pub style: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "history.html")]
struct LibraryPage {
    tr: Tr,
    user: Option<NavUser>,
    portraits: Vec<PortraitCard>,
    photos: Vec<PhotoCard>,
    jobs: Vec<JobRow>,
    /// The thumbnails' size for `width`/`height`, so the grid does not shift as they load
    /// (CSS shows them square, cropped).
    thumb_edge: u32,
}

/// A style's name in the page's language: Fluent for the built-in styles, the catalog's
/// labels for configured ones, the id for a style no longer offered.
pub(super) fn style_label(state: &AppState, tr: &Tr, id: &str) -> String {
    match state.services.jobs.catalog().get(id) {
        Some(style) if style.builtin.is_none() => style.label(&tr.lang()),
        Some(_) => tr.t(&format!("style-{id}")),
        None => id.to_owned(),
    }
}

/// The Fluent key for a job's status as its owner should read it: a succeeded job whose
/// portrait is gone (deleted, or swept after its time) says so instead of "Ready".
pub(super) fn status_key(job: &Job, result_held: bool) -> String {
    if job.status == JobStatus::Succeeded && !result_held {
        "job-status-removed".into()
    } else {
        format!("job-status-{}", job.status.as_str())
    }
}

pub async fn library(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let store = &state.services.store;
    let (Ok(jobs), Ok(results), Ok(uploads)) = (
        store.jobs_of(caller.scope, 200).await,
        store.results_of(caller.scope, 200).await,
        store.uploads_of(caller.scope, 200).await,
    ) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let now = Timestamp::now();
    let held: HashSet<ResultId> = results.iter().map(|r| r.id).collect();
    let style_of: HashMap<JobId, String> = jobs
        .iter()
        .map(|job| (job.id, style_label(&state, &tr, &job.style)))
        .collect();
    let prompt_of: HashMap<JobId, String> = jobs
        .iter()
        .filter_map(|job| Some((job.id, job.prompt.clone()?)))
        .collect();
    let portraits = results
        .iter()
        .map(|result| {
            let style = style_of.get(&result.job_id).cloned().unwrap_or_default();
            PortraitCard {
                id: result.id,
                job_id: style_of
                    .contains_key(&result.job_id)
                    .then_some(result.job_id),
                alt: tr.t1("job-alt", "style", style.clone()),
                prompt: prompt_of.get(&result.job_id).cloned(),
                style,
                expires_at: result.deletes_at.map(|at| at.rfc3339()),
                expires_text: super::job_page::deadline_text(&tr, result),
                countdown: result
                    .deletes_at
                    .map_or_else(String::new, |at| tr.countdown(now, at)),
            }
        })
        .collect();
    let photos = uploads
        .iter()
        .map(|upload| PhotoCard {
            id: upload.id,
            size: format!("{} × {}", upload.width, upload.height),
            faces: tr.t1("library-faces", "count", upload.faces),
            expires_at: upload.expires_at.rfc3339(),
            expires_text: tr.t1("job-expires", "time", tr.datetime(upload.expires_at)),
            countdown: tr.countdown(now, upload.expires_at),
        })
        .collect();
    let jobs = jobs
        .iter()
        .map(|job| JobRow {
            id: job.id,
            created: tr.datetime(job.created_at),
            style: style_of.get(&job.id).cloned().unwrap_or_default(),
            status: tr.t(&status_key(
                job,
                job.result_id.is_some_and(|id| held.contains(&id)),
            )),
        })
        .collect();
    let page = LibraryPage {
        user: nav_user(&state, Some(caller)).await,
        portraits,
        photos,
        jobs,
        thumb_edge: THUMBNAIL_EDGE,
        tr,
    };
    render(StatusCode::OK, &page)
}

/// `GET /results/{id}/thumbnail` and `/uploads/{id}/thumbnail`: a small JPEG for lists.
pub async fn result_thumbnail(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Response {
    match id.parse::<ResultId>() {
        Ok(id) => thumbnail(&state, caller, MediaRef::Result(id)).await,
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn upload_thumbnail(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Response {
    match id.parse::<UploadId>() {
        Ok(id) => thumbnail(&state, caller, MediaRef::Upload(id)).await,
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn thumbnail(state: &AppState, caller: Option<Caller>, what: MediaRef) -> Response {
    let Some(caller) = caller else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match state
        .services
        .media
        .thumbnail(caller.scope, what, THUMBNAIL_EDGE)
        .await
    {
        Ok(jpeg) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                // The user's own image: the browser may keep it briefly, nothing else may.
                (header::CACHE_CONTROL, "private, max-age=600"),
            ],
            jpeg,
        )
            .into_response(),
        Err(MediaError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        // The decode budget is full: the browser may ask again shortly.
        Err(MediaError::Busy { retry_after }) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(
                header::RETRY_AFTER,
                crate::http::limit::whole_seconds(retry_after).to_string(),
            )],
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "thumbnail failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `POST /uploads/{id}/delete`: removes the photo (blob, then row) at once.
pub async fn delete_upload(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let Ok(id) = id.parse::<UploadId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.services.media.delete_upload(caller.scope, id).await {
        Ok(()) => Redirect::to("/history").into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
