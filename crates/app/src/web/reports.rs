//! Reporting one's own portrait or photo as abusive: a small form (reason, optional details)
//! from the job page and the library, then a thank-you page. Admins review it
//! (`web/admin_reports.rs`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::admin::not_found_page;
use super::pages::{NavUser, nav_user};
use super::render;
use crate::domain::{ResultId, UploadId};
use crate::http::{AppState, Caller};
use crate::i18n::Tr;
use crate::media::MediaError;
use crate::reports::{MAX_DETAILS, ReportError, ReportForm, file_report};
use crate::store::{ReportReason, ReportedKind};

pub struct ReasonChoice {
    pub code: &'static str,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    tr: Tr,
    user: Option<NavUser>,
    action: String,
    thumbnail: String,
    reasons: Vec<ReasonChoice>,
    details: String,
    max_details: usize,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "report_thanks.html")]
struct ThanksPage {
    tr: Tr,
    user: Option<NavUser>,
}

#[derive(Deserialize)]
pub struct ReportFields {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    details: String,
}

/// The reasons in the reader's language, the chosen one checked.
pub(super) fn reason_choices(tr: &Tr, chosen: &str) -> Vec<ReasonChoice> {
    ReportReason::ALL
        .into_iter()
        .map(|reason| ReasonChoice {
            code: reason.as_str(),
            label: tr.t(&format!("report-reason-{}", reason.as_str())),
            checked: reason.as_str() == chosen,
        })
        .collect()
}

/// Whether the caller holds the item: `Ok(false)` for an id that is another's, unknown, or
/// not an id at all (all the same 404 to the reader); `Err` only when the lookup failed.
async fn held(
    state: &AppState,
    caller: &Caller,
    kind: ReportedKind,
    id: &str,
) -> Result<bool, MediaError> {
    let media = &state.services.media;
    let found = match kind {
        ReportedKind::Result => match id.parse::<ResultId>() {
            Ok(id) => media.result(caller.scope, id).await.map(|_| ()),
            Err(_) => Err(MediaError::NotFound),
        },
        ReportedKind::Upload => match id.parse::<UploadId>() {
            Ok(id) => media.upload(caller.scope, id).await.map(|_| ()),
            Err(_) => Err(MediaError::NotFound),
        },
    };
    match found {
        Ok(()) => Ok(true),
        Err(MediaError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

async fn form_page(
    state: &AppState,
    tr: Tr,
    caller: Caller,
    kind: ReportedKind,
    id: &str,
    fields: Option<(&ReportFields, String)>,
) -> Response {
    let (reason, details, error) = match fields {
        Some((fields, error)) => (fields.reason.as_str(), fields.details.clone(), Some(error)),
        None => ("", String::new(), None),
    };
    // `/results/{id}/…` or `/uploads/{id}/…`, as the rest of the site names them.
    let base = format!("/{}s/{id}", kind.as_str());
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ReportPage {
        user: nav_user(state, Some(caller)).await,
        action: format!("{base}/report"),
        thumbnail: format!("{base}/thumbnail"),
        reasons: reason_choices(&tr, reason),
        details,
        max_details: MAX_DETAILS,
        error,
        tr,
    };
    render(status, &page)
}

async fn show(
    state: AppState,
    headers: HeaderMap,
    caller: Option<Caller>,
    kind: ReportedKind,
    id: String,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    match held(&state, &caller, kind, &id).await {
        Ok(true) => {
            let tr = Tr::from_headers(&headers);
            form_page(&state, tr, caller, kind, &id, None).await
        }
        Ok(false) => not_found_page(&headers),
        Err(e) => {
            tracing::error!(error = %e, "looking up a reported item failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn submit(
    state: AppState,
    headers: HeaderMap,
    caller: Option<Caller>,
    kind: ReportedKind,
    id: String,
    fields: ReportFields,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let filed = match ReportForm::parse(kind.as_str(), &id, &fields.reason, &fields.details) {
        Ok(form) => file_report(state.services.store.as_ref(), caller.scope, form).await,
        Err(e) => Err(e),
    };
    let error_key = match filed {
        Ok(_) => return Redirect::to("/reports/thanks").into_response(),
        Err(ReportError::NotFound) => return not_found_page(&headers),
        Err(ReportError::Store(e)) => {
            tracing::error!(error = %e, "filing a report failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Err(ReportError::InvalidReason | ReportError::InvalidKind) => "report-error-reason",
        Err(ReportError::DetailsTooLong) => "report-error-details",
    };
    let error = tr.t(error_key);
    form_page(&state, tr, caller, kind, &id, Some((&fields, error))).await
}

pub async fn result_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Response {
    show(state, headers, caller, ReportedKind::Result, id).await
}

pub async fn upload_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Response {
    show(state, headers, caller, ReportedKind::Upload, id).await
}

pub async fn report_result(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Path(id): Path<String>,
    Form(fields): Form<ReportFields>,
) -> Response {
    submit(state, headers, caller, ReportedKind::Result, id, fields).await
}

pub async fn report_upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Path(id): Path<String>,
    Form(fields): Form<ReportFields>,
) -> Response {
    submit(state, headers, caller, ReportedKind::Upload, id, fields).await
}

pub async fn thanks(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let page = ThanksPage {
        tr: Tr::from_headers(&headers),
        user: nav_user(&state, Some(caller)).await,
    };
    render(StatusCode::OK, &page)
}
