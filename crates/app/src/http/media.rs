//! `/uploads` and `/results`: photos in, portraits out. Ids that do not parse or belong to
//! someone else are all plain 404s: a guessed id learns nothing.
//!
//! Uploads take an `Idempotency-Key`; lists page by cursor; result metadata and downloads
//! carry an `ETag` (304 on `If-None-Match`), and downloads serve `Range` requests.

use axum::Json;
use axum::extract::{Multipart, OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::openapi::ErrorBody;
use super::paging::{PageParams, page_request, page_response};
use super::{ApiError, AppState, Caller, idempotency};
use crate::domain::{ResultId, UploadId};
use crate::store::{ResultRecord, Upload};

fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T, ApiError> {
    text.parse().map_err(|_| ApiError::not_found())
}

/// The multipart body of `POST /uploads`, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The photo: JPEG, PNG or WebP (sniffed from its bytes), up to `uploads.max_bytes`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// `POST /uploads`: multipart with one field `file`.
#[utoipa::path(post, path = "/uploads", tag = "uploads",
    params(("Idempotency-Key" = Option<String>, Header,
            description = "Repeat-safe: a repeat within 24 h gets the first reply")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored, re-encoded and stripped of metadata", body = Upload),
        (status = 400, description = "`missing-file`, `invalid-multipart`, `invalid-idempotency-key`", body = ErrorBody),
        (status = 403, description = "`processing-paused` (or the policy gate)", body = ErrorBody),
        (status = 409, description = "`idempotency-in-progress`", body = ErrorBody),
        (status = 413, description = "`too-large`, `too-many-pixels`", body = ErrorBody),
        (status = 415, description = "`unsupported-format`", body = ErrorBody),
        (status = 422, description = "`decode-failed` and similar, `idempotency-key-reused`", body = ErrorBody),
    ))]
pub async fn create_upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut multipart = multipart.map_err(|e| multipart_error(e.status(), e.body_text()))?;
    let key = idempotency::key_of(&headers)?;
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
    let fingerprint = idempotency::fingerprint("POST /api/v1/uploads", &bytes);
    let media = &state.services.media;
    let work = async {
        let upload = media.ingest_upload(caller.scope, bytes).await?;
        Ok((
            StatusCode::CREATED,
            serde_json::to_value(upload).map_err(ApiError::internal)?,
        ))
    };
    idempotency::once(&state, caller.scope, key, fingerprint, work).await
}

fn multipart_error(status: StatusCode, detail: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::client(status, "too-large", "the file is too large")
    } else {
        ApiError::client(StatusCode::BAD_REQUEST, "invalid-multipart", detail)
    }
}

#[utoipa::path(get, path = "/uploads/{id}", tag = "uploads",
    params(("id" = String, Path, description = "The upload's id")),
    responses((status = 200, description = "The upload", body = Upload),
              (status = 404, description = "`not-found`", body = ErrorBody)))]
pub async fn get_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Upload>, ApiError> {
    let id: UploadId = parse_id(&id)?;
    Ok(Json(state.services.media.upload(caller.scope, id).await?))
}

/// `DELETE /uploads/{id}`: the blob goes at once, then the row.
#[utoipa::path(delete, path = "/uploads/{id}", tag = "uploads",
    params(("id" = String, Path, description = "The upload's id")),
    responses((status = 204, description = "Deleted, blob and row"),
              (status = 404, description = "`not-found`", body = ErrorBody)))]
pub async fn delete_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: UploadId = parse_id(&id)?;
    state.services.media.delete_upload(caller.scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /results/{id}`: the result's metadata, with an `ETag` (304 on `If-None-Match`).
#[utoipa::path(get, path = "/results/{id}", tag = "results",
    params(("id" = String, Path, description = "The result's id"),
           ("If-None-Match" = Option<String>, Header, description = "An `ETag` seen before")),
    responses((status = 200, description = "The result", body = ResultRecord,
               headers(("ETag" = String, description = "Changes when the metadata does"))),
              (status = 304, description = "Not modified since the `ETag` sent"),
              (status = 404, description = "`not-found`", body = ErrorBody)))]
pub async fn get_result(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: ResultId = parse_id(&id)?;
    let result = state.services.media.result(caller.scope, id).await?;
    let body = serde_json::to_vec(&result).map_err(ApiError::internal)?;
    let tag = format!("\"{}\"", &idempotency::fingerprint("result", &body)[..32]);
    if super::ranges::none_match(&headers, &tag) {
        return Ok(super::ranges::not_modified(&tag));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::ETAG, tag),
            (header::CACHE_CONTROL, "private, no-cache".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// `POST /results/{id}/save`: keep the result past its 24-hour rule (409 `saving-disabled`
/// when the server does not allow it).
#[utoipa::path(post, path = "/results/{id}/save", tag = "results",
    params(("id" = String, Path, description = "The result's id")),
    responses((status = 200, description = "The result, with its new deadline", body = ResultRecord),
              (status = 404, description = "`not-found`", body = ErrorBody),
              (status = 409, description = "`saving-disabled`", body = ErrorBody)))]
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
#[utoipa::path(delete, path = "/results/{id}/save", tag = "results",
    params(("id" = String, Path, description = "The result's id")),
    responses((status = 200, description = "The result, with its deadline counted from creation", body = ResultRecord),
              (status = 404, description = "`not-found`", body = ErrorBody)))]
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

/// `GET /results/{id}/download`: the decrypted PNG, never cached by shared caches. A result's
/// bytes never change, so its `ETag` is its id; `Range` gets 206 (or 416).
#[utoipa::path(get, path = "/results/{id}/download", tag = "results",
    params(("id" = String, Path, description = "The result's id"),
           ("If-None-Match" = Option<String>, Header, description = "An `ETag` seen before"),
           ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-1023`"),
           ("If-Range" = Option<String>, Header, description = "Serve the range only if the `ETag` still matches")),
    responses((status = 200, description = "The portrait (PNG)", content_type = "image/png", body = Vec<u8>,
               headers(("ETag" = String), ("Accept-Ranges" = String))),
              (status = 206, description = "The range asked for", content_type = "image/png", body = Vec<u8>,
               headers(("Content-Range" = String, description = "`bytes start-end/size`"))),
              (status = 304, description = "Not modified since the `ETag` sent"),
              (status = 404, description = "`not-found`", body = ErrorBody),
              (status = 416, description = "`range-not-satisfiable` (`Content-Range: bytes */size`)", body = ErrorBody)))]
pub async fn download_result(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: ResultId = parse_id(&id)?;
    let tag = format!("\"{id}\"");
    if super::ranges::none_match(&headers, &tag) {
        // Still the caller's? A 304 must not confirm someone else's id.
        state.services.media.result(caller.scope, id).await?;
        return Ok(super::ranges::not_modified(&tag));
    }
    let (result, bytes) = state.services.media.result_bytes(caller.scope, id).await?;
    let disposition = format!("attachment; filename=\"atelier-{}.png\"", result.id);
    let mut response = super::ranges::serve(&headers, &tag, bytes);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[utoipa::path(delete, path = "/results/{id}", tag = "results",
    params(("id" = String, Path, description = "The result's id")),
    responses((status = 204, description = "Deleted, blob and row"),
              (status = 404, description = "`not-found`", body = ErrorBody)))]
pub async fn delete_result(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: ResultId = parse_id(&id)?;
    state.services.media.delete_result(caller.scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /uploads`: the caller's uploads still held, newest first.
#[utoipa::path(get, path = "/uploads", tag = "uploads", params(PageParams),
    responses((status = 200, description = "Uploads, newest first", body = Vec<Upload>,
               headers(("Link" = String, description = "`<…>; rel=\"next\"` when more follow")))))]
pub async fn list_uploads(
    State(state): State<AppState>,
    caller: Caller,
    uri: OriginalUri,
    query: Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let request = page_request(&query)?;
    let page = state
        .services
        .store
        .uploads_page(caller.scope, &request)
        .await?;
    Ok(page_response(&uri, &request, page))
}

/// `GET /results`: the caller's results still held, newest first.
#[utoipa::path(get, path = "/results", tag = "results", params(PageParams),
    responses((status = 200, description = "Results, newest first", body = Vec<ResultRecord>,
               headers(("Link" = String, description = "`<…>; rel=\"next\"` when more follow")))))]
pub async fn list_results(
    State(state): State<AppState>,
    caller: Caller,
    uri: OriginalUri,
    query: Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let request = page_request(&query)?;
    let page = state
        .services
        .store
        .results_page(caller.scope, &request)
        .await?;
    Ok(page_response(&uri, &request, page))
}
