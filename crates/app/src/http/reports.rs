//! `POST /reports`: the caller reports one of their own portraits or photos as abusive.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::ApiJson;
use super::{ApiError, AppState, Caller};
use crate::reports::{ReportError, ReportForm, file_report};
use crate::store::Report;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "result", "id": "0b9f1c9e-7a53-4f0e-9d51-8c1d1f6e2a10", "reason": "consent",
    "details": "This is my sister; she did not agree."
}))]
pub struct NewReportBody {
    /// `result` (a portrait) or `upload` (a photo).
    kind: String,
    /// The portrait's or photo's id.
    id: String,
    /// `consent`, `minor`, `sexual`, `violent`, `hateful`, `deception` or `other`.
    reason: String,
    /// At most 2,000 characters.
    #[serde(default)]
    details: String,
}

impl From<ReportError> for ApiError {
    fn from(error: ReportError) -> Self {
        match error {
            ReportError::NotFound => ApiError::not_found(),
            ReportError::Store(e) => e.into(),
            invalid => ApiError::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                invalid.code(),
                invalid.to_string(),
            ),
        }
    }
}

/// `POST /reports {"kind","id","reason","details"}`: 201 with the report, which admins review.
/// Only the owner can see an item, so only the owner can report it: another user's item (or
/// one already deleted) is 404.
#[utoipa::path(post, path = "/reports", tag = "reports",
    request_body = NewReportBody,
    responses(
        (status = 201, description = "The report, open until an admin decides", body = Report),
        (status = 404, description = "`not-found`: no such portrait or photo of yours", body = super::openapi::ErrorBody),
        (status = 422, description = "`invalid-kind`, `invalid-reason` or `details-too-long`", body = super::openapi::ErrorBody),
    ))]
pub async fn create_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewReportBody>,
) -> Result<Response, ApiError> {
    let form = ReportForm::parse(&body.kind, &body.id, &body.reason, &body.details)?;
    let report = file_report(state.services.store.as_ref(), caller.scope, form).await?;
    Ok((StatusCode::CREATED, Json(report)).into_response())
}
