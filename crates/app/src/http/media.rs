//! `/uploads` and `/results`: photos in, portraits out. Ids that do not parse or belong to
//! someone else are all plain 404s: a guessed id learns nothing.

use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState, Caller};
use crate::domain::{ResultId, UploadId};
use crate::store::{ResultRecord, Upload};

fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T, ApiError> {
    text.parse().map_err(|_| ApiError::not_found())
}

/// `POST /uploads`: multipart with one field `file`.
pub async fn create_upload(
    State(state): State<AppState>,
    caller: Caller,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<Upload>), ApiError> {
    let mut file = None;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| multipart_error(e.status(), e.body_text()))?;
        let Some(field) = field else { break };
        if field.name() == Some("file") {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| multipart_error(e.status(), e.body_text()))?;
            file = Some(bytes.to_vec());
            break;
        }
    }
    let bytes = file.ok_or_else(|| {
        ApiError::client(
            StatusCode::BAD_REQUEST,
            "missing-file",
            "send the photo in a multipart field named `file`",
        )
    })?;
    let upload = state
        .services
        .media
        .ingest_upload(caller.scope, bytes)
        .await?;
    Ok((StatusCode::CREATED, Json(upload)))
}

fn multipart_error(status: StatusCode, detail: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::client(status, "too-large", "the file is too large")
    } else {
        ApiError::client(StatusCode::BAD_REQUEST, "invalid-multipart", detail)
    }
}

pub async fn get_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Upload>, ApiError> {
    let id: UploadId = parse_id(&id)?;
    Ok(Json(state.services.media.upload(caller.scope, id).await?))
}

/// `DELETE /uploads/{id}`: the blob goes at once, then the row.
pub async fn delete_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: UploadId = parse_id(&id)?;
    state.services.media.delete_upload(caller.scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn get_result(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ResultRecord>, ApiError> {
    let id: ResultId = parse_id(&id)?;
    Ok(Json(state.services.media.result(caller.scope, id).await?))
}

/// `POST /results/{id}/save`: keep the result past its 24-hour rule (409 `saving-disabled`
/// when the server does not allow it).
pub async fn save_result(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ResultRecord>, ApiError> {
    let id: ResultId = parse_id(&id)?;
    Ok(Json(
        state.services.media.save_result(caller.scope, id).await?,
    ))
}

/// `DELETE /results/{id}/save`: back to the 24-hour rule, counted from creation.
pub async fn unsave_result(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ResultRecord>, ApiError> {
    let id: ResultId = parse_id(&id)?;
    Ok(Json(
        state.services.media.unsave_result(caller.scope, id).await?,
    ))
}

/// `GET /results/{id}/download`: the decrypted PNG, never cached by shared caches.
pub async fn download_result(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: ResultId = parse_id(&id)?;
    let (result, bytes) = state.services.media.result_bytes(caller.scope, id).await?;
    let disposition = format!("attachment; filename=\"atelier-{}.png\"", result.id);
    Ok((
        [
            (header::CONTENT_TYPE, "image/png".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        Body::from(bytes),
    )
        .into_response())
}

pub async fn delete_result(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: ResultId = parse_id(&id)?;
    state.services.media.delete_result(caller.scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many items a history list returns.
const HISTORY_LIMIT: u32 = 200;

/// `GET /uploads`: the caller's uploads still held, newest first.
pub async fn list_uploads(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Upload>>, ApiError> {
    Ok(Json(
        state
            .services
            .store
            .uploads_of(caller.scope, HISTORY_LIMIT)
            .await?,
    ))
}

/// `GET /results`: the caller's results still held, newest first.
pub async fn list_results(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ResultRecord>>, ApiError> {
    Ok(Json(
        state
            .services
            .store
            .results_of(caller.scope, HISTORY_LIMIT)
            .await?,
    ))
}
