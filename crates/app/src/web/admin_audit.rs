//! `/admin/audit`: the admin audit log for admins (the API twin is `GET /api/v1/admin/audit`).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::pages::{NavUser, nav_user};
use super::render;
use crate::http::{AdminCaller, AppState};
use crate::i18n::Tr;
use crate::store::AdminAction;

struct Row {
    at: String,
    actor: String,
    action: String,
    subject: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    tr: Tr,
    user: Option<NavUser>,
    rows: Vec<Row>,
}

pub async fn admin_audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let store = &state.services.store;
    let view = AdminAction::view(caller.scope.user_id(), "view-audit", "page");
    if store.record_admin_action(&view).await.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let Ok(entries) = store.admin_actions(500).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let rows = entries
        .into_iter()
        .map(|entry| Row {
            at: tr.datetime(entry.at),
            actor: entry.actor,
            action: entry.action,
            subject: entry
                .subject
                .map_or_else(|| tr.t("admin-account-gone"), |id| id.to_string()),
            detail: entry.detail,
        })
        .collect();
    let page = AuditPage {
        user: nav_user(&state, Some(caller)).await,
        rows,
        tr,
    };
    render(StatusCode::OK, &page)
}
