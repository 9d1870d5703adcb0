//! The privacy center page (`/privacy`): choices, display name, export and erasure, each a
//! plain form calling the same service as the API.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::pages::{NavUser, nav_user};
use super::render;
use crate::accounts::AccountError;
use crate::http::auth::session_cookie_header;
use crate::http::{AppState, Caller};
use crate::i18n::Tr;
use crate::privacy::{PrivacyError, REQUEST_DEADLINE_DAYS};
use crate::store::{ConsentSource, ExportRequest, ExportStatus, PrivacyChange, PrivacySettings};

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    tr: Tr,
    user: Option<NavUser>,
    deleted: bool,
    deadline_days: u32,
    settings: PrivacySettings,
    display_name: String,
    exports: Vec<ExportLine>,
    /// What saving a portrait means on this server.
    saving: String,
    notice: Option<String>,
    error: Option<String>,
}

/// The privacy page's sentence about saved portraits, from the server's rule.
fn saving_text(tr: &Tr, rule: crate::media::SaveRule) -> String {
    match (rule.allowed, rule.ttl) {
        (false, _) => tr.t("privacy-saving-off"),
        (true, Some(ttl)) => tr.t1("privacy-saving-ttl", "days", ttl.as_secs().div_ceil(86_400)),
        (true, None) => tr.t("privacy-saving-forever"),
    }
}

/// One export request as the page lists it.
struct ExportLine {
    line: String,
    href: Option<String>,
}

fn export_lines(tr: &Tr, requests: &[ExportRequest]) -> Vec<ExportLine> {
    requests
        .iter()
        .map(|request| ExportLine {
            line: tr.tn(
                "privacy-export-line",
                vec![
                    ("created", tr.datetime(request.created_at).into()),
                    ("status", request.status.as_str().into()),
                    ("expires", tr.datetime(request.expires_at).into()),
                ],
            ),
            href: (request.status == ExportStatus::Ready)
                .then(|| format!("/privacy/exports/{}/download", request.id)),
        })
        .collect()
}

/// Renders the page for `caller` with an optional notice or error.
async fn page(
    state: &AppState,
    tr: Tr,
    caller: Caller,
    status: StatusCode,
    notice: Option<String>,
    error: Option<&PrivacyError>,
) -> Response {
    let store = &state.services.store;
    let (Ok(settings), Ok(account), Ok(exports)) = (
        store.privacy(caller.scope).await,
        store.account_record(caller.scope).await,
        store.export_requests_of(caller.scope, 20).await,
    ) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let error = error.map(|e| message(&tr, e));
    let page = PrivacyPage {
        user: nav_user(state, Some(caller)).await,
        deleted: false,
        deadline_days: REQUEST_DEADLINE_DAYS,
        settings,
        display_name: account.display_name.unwrap_or_default(),
        exports: export_lines(&tr, &exports),
        saving: saving_text(&tr, state.services.media.save_rule()),
        notice,
        error,
        tr,
    };
    render(status, &page)
}

fn message(tr: &Tr, error: &PrivacyError) -> String {
    match error {
        PrivacyError::WrongPassword
        | PrivacyError::InvalidDisplayName
        | PrivacyError::ExportPending => tr.t(&format!("error-{}", error.code())),
        PrivacyError::Account(e) => super::pages::error_message(tr, e),
        other => {
            tracing::error!(error = %other, "privacy request failed");
            tr.t("error-internal")
        }
    }
}

fn status_of(error: &PrivacyError) -> StatusCode {
    match error {
        PrivacyError::WrongPassword => StatusCode::FORBIDDEN,
        PrivacyError::InvalidDisplayName => StatusCode::UNPROCESSABLE_ENTITY,
        PrivacyError::Account(AccountError::Locked) => StatusCode::TOO_MANY_REQUESTS,
        PrivacyError::ExportPending => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub async fn privacy(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    page(
        &state,
        Tr::from_headers(&headers),
        caller,
        StatusCode::OK,
        None,
        None,
    )
    .await
}

/// Unchecked boxes are absent from the form: absent means `false`.
#[derive(serde::Deserialize)]
pub struct ChoicesForm {
    #[serde(default)]
    processing_paused: bool,
    #[serde(default)]
    analytics_opt_out: bool,
    #[serde(default)]
    marketing_opt_in: bool,
}

pub async fn save_choices(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Form(form): Form<ChoicesForm>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let change = PrivacyChange {
        processing_paused: Some(form.processing_paused),
        analytics_opt_out: Some(form.analytics_opt_out),
        marketing_opt_in: Some(form.marketing_opt_in),
    };
    let privacy = &state.services.privacy;
    match privacy
        .change(caller.scope, &change, ConsentSource::Web)
        .await
    {
        Ok(_) => {
            let notice = Some(tr.t("privacy-choices-saved"));
            page(&state, tr, caller, StatusCode::OK, notice, None).await
        }
        Err(e) => page(&state, tr, caller, status_of(&e), None, Some(&e)).await,
    }
}

#[derive(serde::Deserialize)]
pub struct NameForm {
    #[serde(default)]
    display_name: String,
}

pub async fn save_name(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Form(form): Form<NameForm>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    match state
        .services
        .privacy
        .rename(caller.scope, &form.display_name)
        .await
    {
        Ok(()) => {
            let notice = Some(tr.t("privacy-name-saved"));
            page(&state, tr, caller, StatusCode::OK, notice, None).await
        }
        Err(e) => page(&state, tr, caller, status_of(&e), None, Some(&e)).await,
    }
}

pub async fn export(State(state): State<AppState>, caller: Option<Caller>) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    match state.services.privacy.export(caller.scope).await {
        Ok(zip) => crate::http::privacy::zip_response(zip),
        Err(e) => crate::http::ApiError::from(e).into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct DeleteForm {
    password: String,
}

/// Erases the account, clears the session cookie and says so.
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Form(form): Form<DeleteForm>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    if let Err(e) = state
        .services
        .privacy
        .erase(caller.scope, &form.password)
        .await
    {
        return page(&state, tr, caller, status_of(&e), None, Some(&e)).await;
    }
    let cookie = match session_cookie_header(&state, None) {
        Ok(cookie) => cookie,
        Err(e) => return e.into_response(),
    };
    let done = PrivacyPage {
        tr,
        user: None,
        deleted: true,
        deadline_days: REQUEST_DEADLINE_DAYS,
        settings: PrivacySettings::default(),
        display_name: String::new(),
        exports: Vec::new(),
        saving: String::new(),
        notice: None,
        error: None,
    };
    let mut response = render(StatusCode::OK, &done);
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// Starts a background export and shows the page with its status.
pub async fn request_export(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    match state.services.privacy.request_export(caller.scope).await {
        Ok(_) => {
            let notice = Some(tr.t("privacy-export-requested"));
            page(&state, tr, caller, StatusCode::OK, notice, None).await
        }
        Err(e) => page(&state, tr, caller, status_of(&e), None, Some(&e)).await,
    }
}

/// The prepared ZIP, for its owner only, until it expires.
pub async fn download_prepared(
    State(state): State<AppState>,
    caller: Option<Caller>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let Ok(id) = id.parse() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state
        .services
        .privacy
        .prepared_export(caller.scope, id)
        .await
    {
        Ok(Some(zip)) => crate::http::privacy::zip_response(zip),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => crate::http::ApiError::from(e).into_response(),
    }
}
