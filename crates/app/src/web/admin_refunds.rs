//! `/admin/purchases`: every account's latest purchases, the refunded ones on their own, and
//! a Refund for each paid one. Refunding is `atelier user refund`'s path
//! ([`crate::billing::Billing::refund`]): Stripe refunds the payment in full and the lot's
//! unspent tokens are revoked; a purchase refunded already changes nothing.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::admin::not_found_page;
use super::admin_console::{Outcome, audit, back};
use super::buy::{PurchaseLine, purchase_line};
use super::pages::{NavUser, nav_user};
use super::render;
use crate::billing::{BillingError, RefundReport};
use crate::domain::PurchaseId;
use crate::http::{AdminCaller, AppState};
use crate::i18n::Tr;
use crate::store::PurchaseStatus;

const PAGE: &str = "/admin/purchases";

struct Row {
    id: String,
    buyer: String,
    line: PurchaseLine,
    /// Paid and still tied to an account: the Refund form is shown.
    refundable: bool,
    /// Refunded in full or in part.
    refunded: bool,
    refunded_at: String,
}

#[derive(Template)]
#[template(path = "admin_purchases.html")]
struct AdminPage {
    tr: Tr,
    user: Option<NavUser>,
    rows: Vec<Row>,
    any_refunded: bool,
    notice: Option<String>,
    error: Option<String>,
}

pub async fn admin_purchases(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Query(outcome): Query<Outcome>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let admin = caller.scope.user_id();
    if let Err(response) = audit(&state, admin, "view-purchases", None, "page".into()).await {
        return response;
    }
    let Ok(rows) = state.services.store.all_purchases(500).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let rows = rows
        .iter()
        .map(|row| {
            let purchase = &row.purchase;
            Row {
                id: purchase.id.to_string(),
                buyer: row
                    .email
                    .clone()
                    .unwrap_or_else(|| tr.t("admin-account-gone")),
                line: purchase_line(&tr, purchase),
                refundable: purchase.status == PurchaseStatus::Paid && purchase.user_id.is_some(),
                refunded: purchase.refunded_amount > 0
                    || purchase.status == PurchaseStatus::Refunded,
                refunded_at: purchase
                    .refunded_at
                    .map(|t| tr.datetime(t))
                    .unwrap_or_default(),
            }
        })
        .collect::<Vec<Row>>();
    let (notice, error) = outcome.message(&tr);
    let page = AdminPage {
        user: nav_user(&state, Some(caller)).await,
        any_refunded: rows.iter().any(|r| r.refunded),
        rows,
        notice,
        error,
        tr,
    };
    render(StatusCode::OK, &page)
}

pub async fn refund(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<String>,
) -> Response {
    // An id that names no purchase is the 404 page, not a redirect that reads like a success.
    let Ok(id) = id.parse::<PurchaseId>() else {
        return not_found_page(&headers);
    };
    let purchase = match state.services.store.purchase_by_id(id).await {
        Ok(Some(purchase)) => purchase,
        Ok(None) => return not_found_page(&headers),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let (Some(buyer), PurchaseStatus::Paid) = (purchase.user_id, purchase.status) else {
        return back(PAGE, "error", "not-refundable");
    };
    let admin = caller.scope.user_id();
    let detail = format!("purchase {id}");
    if let Err(response) = audit(&state, admin, "refund", Some(buyer), detail).await {
        return response;
    }
    match state.services.billing.refund(buyer, id).await {
        Ok(RefundReport::Refunded { .. } | RefundReport::AlreadyRefunded) => {
            back(PAGE, "done", "refund")
        }
        Err(BillingError::NotRefundable | BillingError::NotFound) => {
            back(PAGE, "error", "not-refundable")
        }
        Err(e) => {
            tracing::error!(error = %e, purchase = %id, "refund failed");
            back(PAGE, "error", "refund-failed")
        }
    }
}
