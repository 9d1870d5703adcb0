//! `/admin/reports`: the abuse report queue (open first), one report with the reported item,
//! its reason and its owner's account, and the decisions: remove the item, suspend or ban the
//! account, dismiss. Every look and decision is audited first (see `reports::review`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::admin::not_found_page;
use super::pages::{NavUser, nav_user};
use super::render;
use crate::domain::{ReportId, UserId};
use crate::http::{AdminCaller, AppState};
use crate::i18n::Tr;
use crate::reports::review::{self, Decision, ReviewError};
use crate::store::{AdminAction, ReportRow, ReportStatus};

/// One report as a line of the queue or the head of its page.
pub struct ReportLine {
    pub id: ReportId,
    pub created: String,
    pub kind: String,
    pub reason: String,
    pub status: String,
    pub open: bool,
    pub details: String,
    /// The owner's e-mail, or that the account is erased.
    pub owner: String,
    pub owner_id: Option<UserId>,
    pub owner_status: String,
}

fn line(tr: &Tr, row: &ReportRow) -> ReportLine {
    let report = &row.report;
    ReportLine {
        id: report.id,
        created: tr.datetime(report.created_at),
        kind: tr.t(&format!("admin-report-kind-{}", report.kind.as_str())),
        reason: tr.t(&format!("report-reason-{}", report.reason.as_str())),
        status: tr.t(&format!("admin-report-status-{}", report.status.as_str())),
        open: report.status == ReportStatus::Open,
        details: report.details.clone(),
        owner: row
            .owner
            .as_ref()
            .map_or_else(|| tr.t("admin-account-gone"), |o| o.email.clone()),
        owner_id: row.owner.as_ref().map(|o| o.id),
        owner_status: row.owner.as_ref().map_or_else(String::new, |o| {
            tr.t(&format!("admin-report-account-{}", o.status.as_str()))
        }),
    }
}

#[derive(Template)]
#[template(path = "admin_reports.html")]
struct QueuePage {
    tr: Tr,
    user: Option<NavUser>,
    rows: Vec<ReportLine>,
}

#[derive(Template)]
#[template(path = "admin_report.html")]
struct ReviewPage {
    tr: Tr,
    user: Option<NavUser>,
    report: ReportLine,
    held: bool,
    error: Option<String>,
}

fn internal(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "admin report review failed");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

pub async fn queue(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let store = &state.services.store;
    let view = AdminAction::view(caller.scope.user_id(), "view-reports", "page");
    if let Err(e) = store.record_admin_action(&view).await {
        return internal(e);
    }
    let rows = match store.all_reports(500).await {
        Ok(rows) => rows.iter().map(|row| line(&tr, row)).collect(),
        Err(e) => return internal(e),
    };
    let page = QueuePage {
        user: nav_user(&state, Some(caller)).await,
        rows,
        tr,
    };
    render(StatusCode::OK, &page)
}

async fn review_page(
    state: &AppState,
    headers: &HeaderMap,
    caller: crate::http::Caller,
    id: ReportId,
    error: Option<&str>,
) -> Response {
    let tr = Tr::from_headers(headers);
    let store = state.services.store.as_ref();
    let row = match review::open_report(store, caller.scope.user_id(), id).await {
        Ok(row) => row,
        Err(ReviewError::NotFound) => return not_found_page(headers),
        Err(e) => return internal(e),
    };
    let held = match review::item_held(&state.services.media, &row).await {
        Ok(held) => held,
        Err(e) => return internal(e),
    };
    let status = if error.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    let page = ReviewPage {
        user: nav_user(state, Some(caller)).await,
        report: line(&tr, &row),
        held,
        error: error.map(|key| tr.t(key)),
        tr,
    };
    render(status, &page)
}

pub async fn review(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<ReportId>,
) -> Response {
    review_page(&state, &headers, caller, id, None).await
}

/// The reported image, decrypted in its owner's scope; 404 once it is no longer held.
pub async fn item(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<ReportId>,
) -> Response {
    let services = &state.services;
    let image = review::item_image(
        services.store.as_ref(),
        &services.media,
        caller.scope.user_id(),
        id,
    )
    .await;
    match image {
        Ok(Some(png)) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            png,
        )
            .into_response(),
        Ok(None) | Err(ReviewError::NotFound) => not_found_page(&headers),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
}

pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<ReportId>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let Some(decision) = Decision::parse(&form.decision) else {
        return review_page(&state, &headers, caller, id, Some("admin-report-unknown")).await;
    };
    let services = &state.services;
    let admin = caller.scope.user_id();
    match review::decide(
        services.store.as_ref(),
        &services.media,
        admin,
        id,
        decision,
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/admin/reports/{id}")).into_response(),
        Err(ReviewError::NotFound) => not_found_page(&headers),
        Err(ReviewError::AccountGone) => {
            review_page(&state, &headers, caller, id, Some("admin-report-gone")).await
        }
        Err(e) => internal(e),
    }
}
