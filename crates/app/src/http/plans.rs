//! Monthly plans (`/api/v1/plans`) and the caller's subscriptions (`/api/v1/subscriptions`):
//! subscribe (Checkout in subscription mode), list with the tokens each period granted,
//! cancel at period end. Stripe's reports arrive through the webhook in `payments.rs`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::ApiJson;
use super::openapi::ErrorBody;
use super::payments::site_root;
use super::{ApiError, AppState, Caller};
use crate::config::PlanConfig;
use crate::domain::{SubscriptionId, Timestamp, UserScope};
use crate::i18n::Tr;
use crate::store::{Subscription, SubscriptionGrant};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscriptionBody {
    plan: String,
}

/// A subscription with what it granted.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// Tokens granted for the period that contains now (0 before its invoice is paid).
    pub tokens_this_period: u32,
    /// Every paid invoice's grant, newest first.
    pub grants: Vec<SubscriptionGrant>,
}

/// The caller's subscriptions, newest first, each with its grants.
pub(crate) async fn subscriptions_with_grants(
    state: &AppState,
    scope: UserScope,
) -> Result<Vec<SubscriptionView>, ApiError> {
    let store = &state.services.store;
    let subscriptions = store.subscriptions_of(scope, 100).await?;
    let grants = store.subscription_grants_of(scope, 1000).await?;
    let now = Timestamp::now();
    Ok(subscriptions
        .into_iter()
        .map(|subscription| {
            let own: Vec<SubscriptionGrant> = grants
                .iter()
                .filter(|g| g.subscription_id == subscription.id)
                .cloned()
                .collect();
            let tokens_this_period = own
                .iter()
                .filter(|g| g.period_start <= now && now < g.period_end)
                .map(|g| g.tokens)
                .sum();
            SubscriptionView {
                subscription,
                tokens_this_period,
                grants: own,
            }
        })
        .collect())
}

/// A plan on sale.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PlanView {
    id: String,
    name: String,
    /// Tokens granted for each paid period.
    tokens: u32,
    /// Price per period in minor units of `currency`.
    amount: i64,
    currency: String,
    /// `month` or `year`.
    interval: crate::config::PlanInterval,
}

impl From<&PlanConfig> for PlanView {
    fn from(plan: &PlanConfig) -> Self {
        PlanView {
            id: plan.id.clone(),
            name: plan.name.clone(),
            tokens: plan.tokens,
            amount: plan.amount,
            currency: plan.currency.clone(),
            interval: plan.interval,
        }
    }
}

/// `GET /plans`: the plans on sale (also without Stripe keys, so clients can show prices).
#[utoipa::path(get, path = "/plans", tag = "tokens", security(()),
    responses((status = 200, description = "The plans on sale", body = Vec<PlanView>)))]
pub async fn plans(State(state): State<AppState>) -> Json<Vec<PlanView>> {
    Json(
        state
            .services
            .billing
            .plans()
            .iter()
            .map(PlanView::from)
            .collect(),
    )
}

/// `POST /subscriptions {"plan"}`: a pending subscription and the Checkout URL to start it.
#[utoipa::path(post, path = "/subscriptions", tag = "tokens", request_body = NewSubscriptionBody,
    responses((status = 201, description = "`{\"id\",\"checkout_url\",\"status\",\"subscription\"}`", body = Object),
              (status = 409, description = "`already-subscribed`", body = ErrorBody),
              (status = 422, description = "`unknown-plan`", body = ErrorBody),
              (status = 502, description = "`payment-provider-error`", body = ErrorBody),
              (status = 503, description = "`payments-not-configured`", body = ErrorBody)))]
pub async fn create_subscription(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    ApiJson(body): ApiJson<NewSubscriptionBody>,
) -> Result<Response, ApiError> {
    let billing = &state.services.billing;
    let name = billing
        .plans()
        .iter()
        .find(|p| p.id == body.plan)
        .map_or_else(String::new, |p| p.name.clone());
    let product = Tr::from_headers(&headers).t1("plan-product-name", "name", name);
    let site = site_root(&state, &headers);
    let checkout = billing
        .start_subscription(caller.scope, &body.plan, &product, &site)
        .await?;
    let reply = json!({
        "id": checkout.subscription.id,
        "checkout_url": checkout.url,
        "status": checkout.subscription.status,
        "subscription": checkout.subscription,
    });
    Ok((StatusCode::CREATED, Json(reply)).into_response())
}

/// `GET /subscriptions`: the caller's subscriptions, newest first, with their grants.
#[utoipa::path(get, path = "/subscriptions", tag = "tokens",
    responses((status = 200, description = "The caller's subscriptions", body = Vec<SubscriptionView>)))]
pub async fn list_subscriptions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SubscriptionView>>, ApiError> {
    Ok(Json(subscriptions_with_grants(&state, caller.scope).await?))
}

/// `POST /subscriptions/{id}/cancel`: no renewal after the current period (its tokens stay).
#[utoipa::path(post, path = "/subscriptions/{id}/cancel", tag = "tokens",
    params(("id" = String, Path, description = "The subscription's id")),
    responses((status = 200, description = "The subscription, ending with its period", body = Subscription),
              (status = 404, description = "`not-found`", body = ErrorBody),
              (status = 409, description = "`not-cancelable`", body = ErrorBody),
              (status = 502, description = "`payment-provider-error`", body = ErrorBody)))]
pub async fn cancel_subscription(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Subscription>, ApiError> {
    let id: SubscriptionId = id.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(
        state
            .services
            .billing
            .cancel_subscription(caller.scope, id)
            .await?,
    ))
}
