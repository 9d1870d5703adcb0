//! Token packs and purchases (`/api/v1/packs`, `/api/v1/purchases`, the admin list) and the
//! Stripe webhook (`POST /stripe/webhook`). The webhook is authenticated by its signature,
//! not by a session, so it sits outside the cookie/CSRF checks and reads its body raw.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::ApiJson;
use super::openapi::ErrorBody;
use super::paging::{PageParams, page_request, page_response};
use super::{AdminCaller, ApiError, AppState, Caller};
use crate::domain::Timestamp;
use crate::i18n::Tr;
use crate::store::{Purchase, PurchaseRow};

/// Stripe's event payloads are a few kilobytes; leave room above the general form cap.
pub const WEBHOOK_BODY_BYTES: usize = 256 * 1024;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"pack": "pack-5"}))]
pub struct NewPurchaseBody {
    /// A pack id from `GET /packs`.
    pack: String,
}

/// A token pack on sale.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PackView {
    id: String,
    tokens: u32,
    /// In minor units (cents).
    amount: i64,
    currency: String,
    /// How long the tokens stay spendable.
    valid_days: u32,
}

/// A purchase just started: pay at `checkout_url`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewPurchaseView {
    id: crate::domain::PurchaseId,
    /// Stripe Checkout's page for this purchase.
    checkout_url: String,
    status: crate::store::PurchaseStatus,
    purchase: Purchase,
}

/// The public root Checkout sends the buyer back to: `stripe.public_url`, else this request's
/// `Host` (only host-name characters are taken) with the scheme `server.tls` implies.
pub(crate) fn site_root(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = state.services.billing.public_url() {
        return url.trim_end_matches('/').to_owned();
    }
    let config = &state.services.config;
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .map_or_else(|| config.server.listen.to_string(), str::to_owned);
    let scheme = if config.server.tls { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// `GET /packs`: what is on sale (also without Stripe keys, so clients can show prices).
#[utoipa::path(get, path = "/packs", tag = "tokens", security(()),
    responses((status = 200, description = "Token packs on sale", body = Vec<PackView>)))]
pub async fn packs(State(state): State<AppState>) -> Json<Vec<PackView>> {
    Json(
        state
            .services
            .billing
            .packs()
            .iter()
            .map(|p| PackView {
                id: p.id.clone(),
                tokens: p.tokens,
                amount: p.amount,
                currency: p.currency.clone(),
                valid_days: p.valid_days,
            })
            .collect(),
    )
}

/// `POST /purchases {"pack"}`: a pending purchase and the Checkout URL to pay it.
#[utoipa::path(post, path = "/purchases", tag = "tokens",
    request_body = NewPurchaseBody,
    responses(
        (status = 201, description = "Pending; pay at `checkout_url`", body = NewPurchaseView),
        (status = 422, description = "`unknown-pack`", body = ErrorBody),
        (status = 502, description = "`payment-provider-error`", body = ErrorBody),
        (status = 503, description = "`payments-not-configured`", body = ErrorBody),
    ))]
pub async fn create_purchase(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    ApiJson(body): ApiJson<NewPurchaseBody>,
) -> Result<Response, ApiError> {
    let billing = &state.services.billing;
    let tokens = billing
        .packs()
        .iter()
        .find(|p| p.id == body.pack)
        .map_or(0, |p| p.tokens);
    let name = Tr::from_headers(&headers).t1("buy-product-name", "tokens", tokens);
    let site = site_root(&state, &headers);
    let checkout = billing
        .start_checkout(caller.scope, &body.pack, &name, &site)
        .await?;
    let reply = NewPurchaseView {
        id: checkout.purchase.id,
        checkout_url: checkout.url,
        status: checkout.purchase.status,
        purchase: checkout.purchase,
    };
    Ok((StatusCode::CREATED, Json(reply)).into_response())
}

/// `GET /purchases`: the caller's purchases, newest first.
#[utoipa::path(get, path = "/purchases", tag = "tokens", params(PageParams),
    responses((status = 200, description = "Purchases, newest first", body = Vec<Purchase>,
               headers(("Link" = String, description = "`<…>; rel=\"next\"` when more follow")))))]
pub async fn list_purchases(
    State(state): State<AppState>,
    caller: Caller,
    uri: OriginalUri,
    query: Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let request = page_request(&query)?;
    let page = state
        .services
        .store
        .purchases_page(caller.scope, &request)
        .await?;
    Ok(page_response(&uri, &request, page))
}

/// `GET /admin/purchases`: every account's latest purchases; admins only.
#[utoipa::path(get, path = "/admin/purchases", tag = "admin",
    responses((status = 200, description = "The latest 500 purchases of every account", body = Vec<PurchaseRow>),
              (status = 404, description = "`not-found`: not an admin (admin routes are hidden)", body = ErrorBody)))]
pub async fn admin_purchases(
    State(state): State<AppState>,
    AdminCaller(caller): AdminCaller,
) -> Result<Json<Vec<PurchaseRow>>, ApiError> {
    let store = &state.services.store;
    let view = crate::store::AdminAction::view(caller.scope.user_id(), "view-purchases", "api");
    store.record_admin_action(&view).await?;
    Ok(Json(store.all_purchases(500).await?))
}

/// `POST /stripe/webhook`: 200 once the event is applied (or known, or ignored); 400 with a
/// stable code when the signature or the body is refused, so nothing unsigned has an effect.
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let signature = headers
        .get("stripe-signature")
        .map(|v| v.to_str().unwrap_or_default());
    let outcome = state
        .services
        .billing
        .handle_webhook(signature, &body, Timestamp::now())
        .await?;
    Ok(Json(json!({"received": true, "outcome": outcome.as_str()})))
}
