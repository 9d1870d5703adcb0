//! Buying tokens (C6, C10): the packs, the buyer's lots with their expiry, their purchases;
//! the form that starts a Stripe Checkout; and the page Checkout returns to, which
//! reconciles. The admins' list of every purchase is `admin_refunds.rs`.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::pages::{NavUser, nav_user};
use super::plans::{PlanCard, SubscriptionLine, plan_section};
use super::render;
use crate::billing::BillingError;
use crate::domain::{Timestamp, UserScope};
use crate::http::payments::site_root;
use crate::http::{AppState, Caller};
use crate::i18n::Tr;
use crate::store::{Purchase, PurchaseStatus};

pub struct PackCard {
    pub id: String,
    pub title: String,
    pub price: String,
    pub validity: String,
}

pub struct LotLine {
    pub text: String,
    pub expired: bool,
}

pub struct PurchaseLine {
    pub created: String,
    pub tokens: String,
    pub price: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "buy.html")]
struct BuyPage {
    tr: Tr,
    user: Option<NavUser>,
    enabled: bool,
    notice: Option<String>,
    error: Option<String>,
    packs: Vec<PackCard>,
    plans: Vec<PlanCard>,
    subscriptions: Vec<SubscriptionLine>,
    lots: Vec<LotLine>,
    purchases: Vec<PurchaseLine>,
}

#[derive(Template)]
#[template(path = "buy_done.html")]
pub(super) struct DonePage {
    pub tr: Tr,
    pub user: Option<NavUser>,
    pub message: String,
    pub pending: bool,
}

pub(super) fn purchase_line(tr: &Tr, purchase: &Purchase) -> PurchaseLine {
    let mut status = tr.t(&format!("purchase-status-{}", purchase.status.as_str()));
    if purchase.refunded_amount > 0 && purchase.status != PurchaseStatus::Refunded {
        status = tr.t1(
            "purchase-partly-refunded",
            "amount",
            tr.money(purchase.refunded_amount, &purchase.currency),
        );
    }
    PurchaseLine {
        created: tr.datetime(purchase.created_at),
        tokens: tr.t1("nav-tokens", "balance", purchase.tokens),
        price: tr.money(purchase.amount, &purchase.currency),
        status,
    }
}

pub(super) async fn buy_page(
    state: &AppState,
    tr: Tr,
    scope: UserScope,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let store = &state.services.store;
    let (Ok(lots), Ok(purchases)) = (
        store.lots(scope).await,
        store.purchases_of(scope, 100).await,
    ) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let billing = &state.services.billing;
    let now = Timestamp::now();
    let packs = billing
        .packs()
        .iter()
        .map(|p| PackCard {
            id: p.id.clone(),
            title: tr.t1("nav-tokens", "balance", p.tokens),
            price: tr.money(p.amount, &p.currency),
            validity: tr.t1("buy-validity", "days", p.valid_days),
        })
        .collect();
    let lots = lots
        .iter()
        .map(|lot| {
            let expired = lot.expires_at <= now;
            let key = if expired {
                "tokens-lot-expired"
            } else {
                "tokens-lot-line"
            };
            let text = tr.tn(
                key,
                vec![
                    ("remaining", lot.remaining.into()),
                    ("quantity", lot.quantity.into()),
                    ("expires", tr.datetime(lot.expires_at).into()),
                ],
            );
            LotLine { text, expired }
        })
        .collect();
    let purchases = purchases.iter().map(|p| purchase_line(&tr, p)).collect();
    let Some((plans, subscriptions)) = plan_section(state, &tr, scope).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = BuyPage {
        user: nav_user(
            state,
            Some(Caller {
                scope,
                api_key: None,
            }),
        )
        .await,
        enabled: billing.enabled(),
        notice,
        error,
        packs,
        plans,
        subscriptions,
        lots,
        purchases,
        tr,
    };
    render(status, &page)
}

#[derive(Deserialize)]
pub struct BuyQuery {
    canceled: Option<String>,
    plan_canceled: Option<String>,
}

pub async fn buy(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Query(query): Query<BuyQuery>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let notice = match (query.canceled, query.plan_canceled) {
        (_, Some(_)) => Some(tr.t("plan-canceled-notice")),
        (Some(_), None) => Some(tr.t("buy-canceled")),
        (None, None) => None,
    };
    buy_page(&state, tr, caller.scope, notice, None).await
}

#[derive(Deserialize)]
pub struct BuyForm {
    pack: String,
}

/// Starts the Checkout and sends the browser to Stripe (303, so it follows with a GET).
pub async fn buy_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Form(form): Form<BuyForm>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let billing = &state.services.billing;
    let tokens = billing
        .packs()
        .iter()
        .find(|p| p.id == form.pack)
        .map_or(0, |p| p.tokens);
    let name = tr.t1("buy-product-name", "tokens", tokens);
    let site = site_root(&state, &headers);
    match billing
        .start_checkout(caller.scope, &form.pack, &name, &site)
        .await
    {
        Ok(checkout) => Redirect::to(&checkout.url).into_response(),
        Err(error) => {
            let message = billing_message(&tr, &error);
            buy_page(&state, tr, caller.scope, None, Some(message)).await
        }
    }
}

pub(super) fn billing_message(tr: &Tr, error: &BillingError) -> String {
    match error {
        BillingError::NotConfigured => tr.t("buy-not-configured"),
        BillingError::UnknownPack(_) => tr.t("buy-unknown-pack"),
        BillingError::UnknownPlan(_) => tr.t("plan-unknown"),
        BillingError::AlreadySubscribed => tr.t("plan-already"),
        BillingError::NotCancelable => tr.t("plan-not-cancelable"),
        BillingError::Stripe(_) => tr.t("buy-provider-error"),
        BillingError::NotFound => tr.t("buy-unknown-session"),
        other => {
            tracing::error!(error = %other, "billing failed");
            tr.t("error-internal")
        }
    }
}

#[derive(Deserialize)]
pub struct SuccessQuery {
    session_id: Option<String>,
}

/// Where Checkout returns: asks Stripe and credits the pack if the webhook has not yet.
pub async fn buy_success(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Query(query): Query<SuccessQuery>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let session = query.session_id.unwrap_or_default();
    let outcome = state
        .services
        .billing
        .reconcile(caller.scope, &session)
        .await;
    let (status, message, pending) = match outcome {
        Ok(purchase) => {
            let key = format!("buy-done-{}", purchase.status.as_str());
            let text = tr.t1(&key, "tokens", purchase.tokens);
            (
                StatusCode::OK,
                text,
                purchase.status == PurchaseStatus::Pending,
            )
        }
        Err(error) => {
            let status = match error {
                BillingError::NotFound => StatusCode::NOT_FOUND,
                BillingError::NotConfigured => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_GATEWAY,
            };
            (status, billing_message(&tr, &error), false)
        }
    };
    let page = DonePage {
        user: nav_user(&state, Some(caller)).await,
        message,
        pending,
        tr,
    };
    render(status, &page)
}

#[cfg(test)]
#[path = "buy_tests.rs"]
mod tests;
