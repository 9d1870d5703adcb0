//! The admin console's pages beyond the foundation (`admin.rs`): the dashboard, users, jobs
//! and purchase refunds. This module holds their routes and what they share: the audit
//! step every view and action takes first, and the notice a redirect-after-post carries.
//!
//! Every handler takes [`crate::http::AdminCaller`]; the gate in `admin.rs` has already
//! answered 404 to anyone else.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::{admin_dashboard, admin_jobs, admin_refunds, admin_user_actions, admin_users};
use crate::domain::{Timestamp, UserId};
use crate::http::AppState;
use crate::i18n::Tr;
use crate::store::AdminAction;

/// The console's routes (the gate in front of them lives in `admin.rs`).
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin_dashboard::dashboard))
        .route("/admin/users", get(admin_users::list))
        .route("/admin/users/{id}", get(admin_users::detail))
        .route("/admin/users/{id}/grant", post(admin_user_actions::grant))
        .route("/admin/users/{id}/revoke", post(admin_user_actions::revoke))
        .route(
            "/admin/users/{id}/suspend",
            post(admin_user_actions::suspend),
        )
        .route("/admin/users/{id}/ban", post(admin_user_actions::ban))
        .route(
            "/admin/users/{id}/restore",
            post(admin_user_actions::restore),
        )
        .route("/admin/jobs", get(admin_jobs::jobs))
        .route("/admin/jobs/{id}/retry", post(admin_jobs::retry))
        .route("/admin/purchases/{id}/refund", post(admin_refunds::refund))
}

/// Appends to the audit log what `admin` is about to see or do; a failure to record is a
/// 500, and the view or action does not happen.
pub(super) async fn audit(
    state: &AppState,
    admin: UserId,
    action: &str,
    subject: Option<UserId>,
    detail: String,
) -> Result<(), Response> {
    let entry = AdminAction {
        at: Timestamp::now(),
        actor: admin.to_string(),
        action: action.to_owned(),
        subject,
        detail,
    };
    state
        .services
        .store
        .record_admin_action(&entry)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "recording an admin action failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        })
}

/// `?done=` / `?error=` after an action: codes, turned into text by [`Outcome::message`].
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub(super) struct Outcome {
    pub done: Option<String>,
    pub error: Option<String>,
}

/// The codes an action may report back; anything else in the query is ignored.
const DONE: &[&str] = &[
    "grant", "revoke", "suspend", "ban", "restore", "retry", "refund",
];
const ERRORS: &[&str] = &[
    "amount",
    "fewer-tokens",
    "yourself",
    "not-found",
    "not-failed",
    "retry-refused",
    "not-refundable",
    "refund-failed",
];

impl Outcome {
    /// The localized notice and error to show, from known codes only.
    pub fn message(&self, tr: &Tr) -> (Option<String>, Option<String>) {
        let pick = |code: &Option<String>, known: &[&str], prefix: &str| {
            code.as_deref()
                .filter(|c| known.contains(c))
                .map(|c| tr.t(&format!("{prefix}{c}")))
        };
        (
            pick(&self.done, DONE, "admin-console-done-"),
            pick(&self.error, ERRORS, "admin-console-error-"),
        )
    }
}

/// Back to `path` with a notice (`done`) or an error code.
pub(super) fn back(path: &str, key: &str, code: &str) -> Response {
    Redirect::to(&format!("{path}?{key}={code}")).into_response()
}

/// A UTC day (days since 1970-01-01) as the charts label it: `11-25`.
pub(super) fn day_label(day: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(day.saturating_mul(86_400))
        .map(|t| format!("{:02}-{:02}", u8::from(t.month()), t.day()))
        .unwrap_or_default()
}
