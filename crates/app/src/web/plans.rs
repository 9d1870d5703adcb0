//! Monthly plans on the buy page: the plans on sale, the buyer's subscriptions
//! with their renewal date and the tokens granted this period, subscribing (a Stripe Checkout
//! in subscription mode), the page Checkout returns to, and canceling at period end.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::buy::{DonePage, billing_message, buy_page};
use super::pages::nav_user;
use super::render;
use crate::billing::format_amount;
use crate::config::PlanInterval;
use crate::domain::{SubscriptionId, UserScope};
use crate::http::plans::subscriptions_with_grants;
use crate::http::{AppState, Caller};
use crate::i18n::Tr;
use crate::store::SubscriptionStatus;

pub struct PlanCard {
    pub id: String,
    pub title: String,
    pub price: String,
    pub tokens: String,
}

pub struct SubscriptionLine {
    pub id: SubscriptionId,
    pub plan: String,
    pub status: String,
    pub renewal: Option<String>,
    pub granted: String,
    pub can_cancel: bool,
}

/// The plans on sale and the buyer's subscriptions (pending ones left out: a Checkout
/// abandoned is nothing to show).
pub(super) async fn plan_section(
    state: &AppState,
    tr: &Tr,
    scope: UserScope,
) -> Option<(Vec<PlanCard>, Vec<SubscriptionLine>)> {
    let billing = &state.services.billing;
    let cards = billing
        .plans()
        .iter()
        .map(|p| {
            let per = match p.interval {
                PlanInterval::Month => tr.t("plan-per-month"),
                PlanInterval::Year => tr.t("plan-per-year"),
            };
            PlanCard {
                id: p.id.clone(),
                title: p.name.clone(),
                price: format!("{} {per}", format_amount(p.amount, &p.currency)),
                tokens: tr.t1("plan-tokens", "tokens", p.tokens),
            }
        })
        .collect();
    let views = subscriptions_with_grants(state, scope).await.ok()?;
    let names = |id: &str| {
        billing
            .plans()
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_owned(), |p| p.name.clone())
    };
    let lines = views
        .iter()
        .filter(|v| v.subscription.status != SubscriptionStatus::Pending)
        .map(|v| {
            let s = &v.subscription;
            let mut status = tr.t(&format!("plan-status-{}", s.status.as_str()));
            if s.cancel_at_period_end && s.status != SubscriptionStatus::Canceled {
                status = tr.t("plan-status-ending");
            }
            let renewal = s
                .current_period_end
                .filter(|_| s.status != SubscriptionStatus::Canceled)
                .map(|end| {
                    let key = if s.cancel_at_period_end {
                        "plan-ends"
                    } else {
                        "plan-renews"
                    };
                    tr.t1(key, "date", tr.datetime(end))
                });
            SubscriptionLine {
                id: s.id,
                plan: names(&s.plan),
                status,
                renewal,
                granted: tr.t1("plan-granted", "tokens", v.tokens_this_period),
                can_cancel: crate::billing::plans::is_live(s) && !s.cancel_at_period_end,
            }
        })
        .collect();
    Some((cards, lines))
}

#[derive(Deserialize)]
pub struct SubscribeForm {
    plan: String,
}

/// Starts the subscription Checkout and sends the browser to Stripe.
pub async fn subscribe_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Form(form): Form<SubscribeForm>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let billing = &state.services.billing;
    let name = billing
        .plans()
        .iter()
        .find(|p| p.id == form.plan)
        .map_or_else(String::new, |p| p.name.clone());
    let product = tr.t1("plan-product-name", "name", name);
    let site = crate::http::payments::site_root(&state, &headers);
    match billing
        .start_subscription(caller.scope, &form.plan, &product, &site)
        .await
    {
        Ok(checkout) => Redirect::to(&checkout.url).into_response(),
        Err(error) => {
            let message = billing_message(&tr, &error);
            buy_page(&state, tr, caller.scope, None, Some(message)).await
        }
    }
}

/// Cancels at period end, then back to the buy page with a notice.
pub async fn cancel_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let Ok(id) = id.parse::<SubscriptionId>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let tr = Tr::from_headers(&headers);
    match state
        .services
        .billing
        .cancel_subscription(caller.scope, id)
        .await
    {
        Ok(_) => Redirect::to("/buy?plan_canceled=1").into_response(),
        Err(error) => {
            let message = billing_message(&tr, &error);
            buy_page(&state, tr, caller.scope, None, Some(message)).await
        }
    }
}

#[derive(Deserialize)]
pub struct SubscribedQuery {
    session_id: Option<String>,
}

/// Where a subscription Checkout returns: records the subscription if the webhook has not.
pub async fn subscribed(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Query(query): Query<SubscribedQuery>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let session = query.session_id.unwrap_or_default();
    let outcome = state
        .services
        .billing
        .reconcile_subscription(caller.scope, &session)
        .await;
    let (status, message, pending) = match outcome {
        Ok(subscription) => {
            let pending = subscription.status == SubscriptionStatus::Pending;
            let key = if pending {
                "plan-done-pending"
            } else {
                "plan-done-active"
            };
            (StatusCode::OK, tr.t(key), pending)
        }
        Err(error) => {
            let status = match error {
                crate::billing::BillingError::NotFound => StatusCode::NOT_FOUND,
                crate::billing::BillingError::NotConfigured => StatusCode::SERVICE_UNAVAILABLE,
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
