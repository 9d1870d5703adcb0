//! `/me/api-keys`: create (the secret shown once), list with last use, revoke.

use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::error::ApiJson;
use super::paging::{page_request, page_response};
use super::{ApiError, AppState, Caller};
use crate::domain::ApiKeyId;
use crate::store::ApiKey;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "laptop script"}))]
pub struct NewApiKeyBody {
    /// 1 to 80 characters, to tell your keys apart.
    name: String,
}

/// A key just created: the only answer that ever holds its secret.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "0b9f1c9e-7a53-4f0e-9d51-8c1d1f6e2a10", "name": "laptop script",
    "prefix": "atl_3f9a1c", "created_at": "2026-05-01T12:00:00.000Z", "last_used_at": null,
    "secret": "atl_3f9a1c0d…(64 hex digits)"
}))]
pub struct CreatedApiKey {
    #[serde(flatten)]
    key: ApiKey,
    /// Send as `Authorization: Bearer <secret>`. Shown once: store it now.
    secret: String,
}

/// `POST /me/api-keys {"name"}`: 201 with the key and its secret, shown this once.
#[utoipa::path(post, path = "/me/api-keys", tag = "api-keys",
    request_body = NewApiKeyBody,
    responses(
        (status = 201, description = "The key, with its secret (shown once)", body = CreatedApiKey),
        (status = 409, description = "`too-many-api-keys`: 100 live keys already", body = super::openapi::ErrorBody),
        (status = 422, description = "`invalid-api-key-name`", body = super::openapi::ErrorBody),
    ))]
pub async fn create_api_key(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewApiKeyBody>,
) -> Result<Response, ApiError> {
    let (key, secret) = state
        .services
        .accounts
        .create_api_key(caller.scope, &body.name)
        .await?;
    let created = CreatedApiKey {
        key,
        secret: secret.expose().to_owned(),
    };
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(created),
    )
        .into_response())
}

/// `GET /me/api-keys`: the caller's keys, newest first, with their last use.
#[utoipa::path(get, path = "/me/api-keys", tag = "api-keys",
    params(super::paging::PageParams),
    responses(
        (status = 200, description = "The caller's keys, newest first (never their secrets)",
         body = Vec<ApiKey>, headers(("Link" = String, description = "`<…>; rel=\"next\"` when more follow"))),
    ))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    caller: Caller,
    uri: OriginalUri,
    query: Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let request = page_request(&query)?;
    let page = state
        .services
        .store
        .api_keys_of(caller.scope, &request)
        .await?;
    Ok(page_response(&uri, &request, page))
}

/// `DELETE /me/api-keys/{id}`: revokes the key at once.
#[utoipa::path(delete, path = "/me/api-keys/{id}", tag = "api-keys",
    params(("id" = String, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Revoked: the key authenticates nothing from now on"),
        (status = 404, description = "No such key of the caller", body = super::openapi::ErrorBody),
    ))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: ApiKeyId = id.parse().map_err(|_| ApiError::not_found())?;
    if state
        .services
        .accounts
        .revoke_api_key(caller.scope, id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}
