//! The privacy policy and terms over the API: `GET /policies`, `GET /policies/{kind}`
//! (public), `GET /me/policies` and `POST /me/policies/accept`. Also the gate: which routes a
//! signed-in caller may still use while a version in force awaits their acceptance.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::error::ApiJson;
use super::openapi::ErrorBody;
use super::{ApiError, AppState, Caller};
use crate::domain::{PolicyId, Timestamp};
use crate::policies::{PolicyError, render_markdown};
use crate::store::{AcceptanceSource, PolicyAcceptance, PolicyKind, PolicyVersion};

/// The code of the refusal a caller gets while a version in force awaits their acceptance.
pub const ACCEPTANCE_REQUIRED: &str = "policy-acceptance-required";

/// Whether `path` (the whole path, `/api/v1/...` or a page) stays open to a caller who has
/// not accepted the versions in force: reading and accepting them, signing out, and every
/// data right (access, export, rectification, erasure, restriction).
pub fn open_without_acceptance(path: &str) -> bool {
    let api = path.strip_prefix("/api/v1");
    match api {
        Some(route) => {
            route == "/me"
                || route == "/auth/logout"
                || [
                    "/me/privacy",
                    "/me/export",
                    "/me/policies",
                    "/me/email",
                    "/policies",
                ]
                .iter()
                .any(|open| route == *open || route.starts_with(&format!("{open}/")))
                || route.starts_with("/me/exports")
        }
        None => {
            path == "/signout"
                || path == "/account"
                || path.starts_with("/account/")
                || path == "/privacy"
                || path.starts_with("/privacy/")
                || path.starts_with("/policies")
                || path.starts_with("/static/")
        }
    }
}

impl From<PolicyError> for ApiError {
    fn from(error: PolicyError) -> Self {
        let status = match &error {
            PolicyError::NotFound => return ApiError::not_found(),
            PolicyError::Store(_) => return ApiError::internal(error),
            PolicyError::NoticeTooShort { .. } | PolicyError::BeforeLatest => StatusCode::CONFLICT,
            PolicyError::Empty | PolicyError::TooLong => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let refusal = ApiError::client(status, error.code(), error.to_string());
        match &error {
            PolicyError::NoticeTooShort { days, earliest } => refusal
                .with_arg("days", days)
                .with_arg("earliest", earliest),
            _ => refusal,
        }
    }
}

/// A version without its text.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PolicySummary {
    id: PolicyId,
    kind: PolicyKind,
    version: u32,
    title: String,
    summary: String,
    published_at: Timestamp,
    effective_at: Timestamp,
    /// The page showing this version.
    url: String,
}

impl From<&PolicyVersion> for PolicySummary {
    fn from(v: &PolicyVersion) -> Self {
        PolicySummary {
            id: v.id,
            kind: v.kind,
            version: v.version,
            title: v.title.clone(),
            summary: v.summary.clone(),
            published_at: v.published_at,
            effective_at: v.effective_at,
            url: format!("/policies/{}/{}", v.kind.as_str(), v.version),
        }
    }
}

fn summaries(versions: &[PolicyVersion]) -> Vec<PolicySummary> {
    versions.iter().map(PolicySummary::from).collect()
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Overview {
    current: Vec<PolicySummary>,
    /// Published, taking effect later.
    upcoming: Vec<PolicySummary>,
    /// How long before taking effect every new version is announced by e-mail.
    notice_days: u32,
}

/// `GET /policies`: the versions in force and those announced.
#[utoipa::path(get, path = "/policies", tag = "policies", security(()),
    responses((status = 200, description = "Versions in force and announced", body = Overview)))]
pub async fn overview(State(state): State<AppState>) -> Result<Json<Overview>, ApiError> {
    let policies = &state.services.policies;
    let overview = policies.overview(Timestamp::now()).await?;
    Ok(Json(Overview {
        current: summaries(&overview.current),
        upcoming: summaries(&overview.upcoming),
        notice_days: policies.notice_days(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version number (default: the version in force).
    version: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PolicyDocument {
    #[serde(flatten)]
    summary: PolicySummary,
    body_markdown: String,
    body_html: String,
}

/// `GET /policies/{kind}[?version=N]`: a whole document, the version in force by default.
#[utoipa::path(get, path = "/policies/{kind}", tag = "policies", security(()),
    params(("kind" = String, Path, description = "`privacy` or `terms`"), VersionQuery),
    responses((status = 200, description = "The whole document", body = PolicyDocument),
              (status = 400, description = "`invalid-query`", body = ErrorBody),
              (status = 404, description = "`not-found`", body = ErrorBody)))]
pub async fn document(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    query: Result<Query<VersionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PolicyDocument>, ApiError> {
    let Query(query) = query
        .map_err(|e| ApiError::client(StatusCode::BAD_REQUEST, "invalid-query", e.body_text()))?;
    let kind = PolicyKind::parse(&kind).ok_or_else(ApiError::not_found)?;
    let version = state
        .services
        .policies
        .version(kind, query.version, Timestamp::now())
        .await?;
    Ok(Json(PolicyDocument {
        summary: PolicySummary::from(&version),
        body_html: render_markdown(&version.body),
        body_markdown: version.body,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MyPolicies {
    /// Versions in force the caller has not accepted: until they do, most routes answer
    /// 403 `policy-acceptance-required`.
    pending: Vec<PolicySummary>,
    accepted: Vec<PolicyAcceptance>,
}

/// `GET /me/policies`.
#[utoipa::path(get, path = "/me/policies", tag = "policies",
    responses((status = 200, description = "Pending and accepted versions", body = MyPolicies)))]
pub async fn mine(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<MyPolicies>, ApiError> {
    let policies = &state.services.policies;
    Ok(Json(MyPolicies {
        pending: summaries(&policies.pending(caller.scope).await?),
        accepted: policies.acceptances(caller.scope).await?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    policy_ids: Vec<PolicyId>,
}

/// `POST /me/policies/accept {"policy_ids":[…]}`: records acceptance; answers like
/// `GET /me/policies`.
#[utoipa::path(post, path = "/me/policies/accept", tag = "policies", request_body = Acceptance,
    responses((status = 200, description = "Accepted; what is still pending", body = MyPolicies),
              (status = 404, description = "`not-found`: an unknown version", body = ErrorBody),
              (status = 422, description = "`invalid-body`", body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Acceptance>,
) -> Result<Json<MyPolicies>, ApiError> {
    if body.policy_ids.is_empty() || body.policy_ids.len() > 16 {
        return Err(ApiError::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
            "name 1 to 16 policy versions in policy_ids",
        ));
    }
    let policies = &state.services.policies;
    let pending = policies
        .accept(caller.scope, &body.policy_ids, AcceptanceSource::Api)
        .await?;
    Ok(Json(MyPolicies {
        pending: summaries(&pending),
        accepted: policies.acceptances(caller.scope).await?,
    }))
}
