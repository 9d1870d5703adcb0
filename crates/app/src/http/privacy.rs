//! The privacy center's API: `GET|PUT /me/privacy`, `GET /me/export`, `PATCH /me` (display
//! name), `DELETE /me` (erasure, password in the body) and the admin audit log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::auth::session_cookie_header;
use super::error::ApiJson;
use super::openapi::ErrorBody;
use super::{AdminCaller, ApiError, AppState, Caller};
use crate::privacy::REQUEST_DEADLINE_DAYS;
use crate::store::{AccountRecord, ConsentSource, ExportRequest, PrivacyChange, PrivacySettings};

#[derive(Serialize, utoipa::ToSchema)]
pub struct PrivacyView {
    #[serde(flatten)]
    settings: PrivacySettings,
    /// The most days a request about one's data may take (most are served at once).
    request_deadline_days: u32,
}

fn view(settings: PrivacySettings) -> Json<PrivacyView> {
    Json(PrivacyView {
        settings,
        request_deadline_days: REQUEST_DEADLINE_DAYS,
    })
}

/// `GET /me/privacy`: the caller's choices.
#[utoipa::path(get, path = "/me/privacy", tag = "privacy",
    responses((status = 200, description = "The caller's choices", body = PrivacyView)))]
pub async fn get_privacy(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<PrivacyView>, ApiError> {
    Ok(view(state.services.privacy.settings(caller.scope).await?))
}

/// `PUT /me/privacy`: changes the choices named in the body, records each change.
#[utoipa::path(put, path = "/me/privacy", tag = "privacy", request_body = PrivacyChange,
    responses((status = 200, description = "The choices now in force", body = PrivacyView)))]
pub async fn put_privacy(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(change): ApiJson<PrivacyChange>,
) -> Result<Json<PrivacyView>, ApiError> {
    let settings = state
        .services
        .privacy
        .change(caller.scope, &change, ConsentSource::Api)
        .await?;
    Ok(view(settings))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    /// `null` or `""` clears the name.
    display_name: Option<String>,
}

/// `PATCH /me`: rectification of the display name; answers with the account's fields.
#[utoipa::path(patch, path = "/me", tag = "account", request_body = ProfileChange,
    responses((status = 200, description = "The account's fields", body = AccountRecord),
              (status = 422, description = "`invalid-display-name`", body = ErrorBody)))]
pub async fn patch_me(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(change): ApiJson<ProfileChange>,
) -> Result<Json<AccountRecord>, ApiError> {
    let privacy = &state.services.privacy;
    privacy
        .rename(caller.scope, change.display_name.as_deref().unwrap_or(""))
        .await?;
    Ok(Json(
        state.services.store.account_record(caller.scope).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Erasure {
    password: String,
}

/// `DELETE /me`: erases the account at once; 204 and the session cookie cleared.
#[utoipa::path(delete, path = "/me", tag = "account", request_body = Erasure,
    responses((status = 204, description = "Erased: every row and blob of the account is gone"),
              (status = 403, description = "`wrong-password`", body = ErrorBody),
              (status = 429, description = "`too-many-attempts`", body = ErrorBody)))]
pub async fn delete_me(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Erasure>,
) -> Result<Response, ApiError> {
    state
        .services
        .privacy
        .erase(caller.scope, &body.password)
        .await?;
    let cookie = session_cookie_header(&state, None)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// `GET /me/export`: the caller's data as a ZIP (README.txt inside explains each file).
#[utoipa::path(get, path = "/me/export", tag = "privacy",
    responses((status = 200, description = "The caller's data as a ZIP (README.txt inside)", content_type = "application/zip", body = Vec<u8>)))]
pub async fn export(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let zip = state.services.privacy.export(caller.scope).await?;
    Ok(zip_response(zip))
}

pub(crate) fn zip_response(zip: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/zip"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"atelier-data.zip\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        zip,
    )
        .into_response()
}

/// `GET /admin/audit`: the admin audit log, newest first (admins only).
#[utoipa::path(get, path = "/admin/audit", tag = "admin",
    responses((status = 200, description = "The latest 500 entries, newest first", body = Vec<crate::store::AdminAction>),
              (status = 404, description = "`not-found`: not an admin (admin routes are hidden)", body = ErrorBody)))]
pub async fn admin_audit(
    State(state): State<AppState>,
    AdminCaller(caller): AdminCaller,
) -> Result<Json<Vec<crate::store::AdminAction>>, ApiError> {
    let store = &state.services.store;
    let view = crate::store::AdminAction::view(caller.scope.user_id(), "view-audit", "api");
    store.record_admin_action(&view).await?;
    Ok(Json(store.admin_actions(500).await?))
}

/// `POST /me/exports`: starts building the caller's export in the background; 202 with the
/// request (`{"id","status":"pending","expires_at",…}`); poll `GET /me/exports/{id}`.
#[utoipa::path(post, path = "/me/exports", tag = "privacy",
    responses((status = 202, description = "Being built; poll `GET /me/exports/{id}`", body = ExportRequest),
              (status = 409, description = "`export-pending`: one is being built", body = ErrorBody)))]
pub async fn request_export(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<(StatusCode, Json<ExportRequest>), ApiError> {
    let request = state.services.privacy.request_export(caller.scope).await?;
    Ok((StatusCode::ACCEPTED, Json(request)))
}

/// `GET /me/exports`: the caller's export requests, newest first.
#[utoipa::path(get, path = "/me/exports", tag = "privacy",
    responses((status = 200, description = "Export requests, newest first", body = Vec<ExportRequest>)))]
pub async fn list_exports(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ExportRequest>>, ApiError> {
    Ok(Json(
        state.services.privacy.export_requests(caller.scope).await?,
    ))
}

/// `GET /me/exports/{id}`: one request's status.
#[utoipa::path(get, path = "/me/exports/{id}", tag = "privacy",
    params(("id" = String, Path, description = "The export's id")),
    responses((status = 200, description = "The request's status", body = ExportRequest),
              (status = 404, description = "`not-found`", body = ErrorBody)))]
pub async fn get_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ExportRequest>, ApiError> {
    let id = id.parse().map_err(|_| ApiError::not_found())?;
    state
        .services
        .privacy
        .export_request(caller.scope, id)
        .await?
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

/// `GET /me/exports/{id}/download`: the ZIP once ready, for its owner, until it expires.
#[utoipa::path(get, path = "/me/exports/{id}/download", tag = "privacy",
    params(("id" = String, Path, description = "The export's id")),
    responses((status = 200, description = "The ZIP", content_type = "application/zip", body = Vec<u8>),
              (status = 404, description = "`not-found`: unknown, not ready or expired", body = ErrorBody)))]
pub async fn download_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id.parse().map_err(|_| ApiError::not_found())?;
    state
        .services
        .privacy
        .prepared_export(caller.scope, id)
        .await?
        .map(zip_response)
        .ok_or_else(ApiError::not_found)
}
