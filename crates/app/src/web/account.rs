//! The signed-in user's tokens and account pages.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::i18n::Tr;
use super::pages::{NavUser, nav_user, short_time};
use super::render;
use crate::domain::UserScope;
use crate::http::{AppState, Caller};

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    tr: Tr,
    user: Option<NavUser>,
    balance_text: String,
    lots: Vec<String>,
    ledger: Vec<(String, String, i64)>,
}

pub async fn tokens(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let store = &state.services.store;
    let (Ok(lots), Ok(ledger)) = (
        store.lots(caller.scope).await,
        store.ledger(caller.scope, 200).await,
    ) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let user = nav_user(&state, Some(caller)).await;
    let balance_text = tr.t1(
        "nav-tokens",
        "balance",
        user.as_ref().map_or(0, |u| u.balance),
    );
    let lots = lots
        .iter()
        .map(|lot| {
            tr.tn(
                "tokens-lot-line",
                vec![
                    ("remaining", lot.remaining.into()),
                    ("quantity", lot.quantity.into()),
                    ("expires", short_time(lot.expires_at).into()),
                ],
            )
        })
        .collect();
    let ledger = ledger
        .iter()
        .map(|entry| {
            (
                short_time(entry.created_at),
                tr.t(&format!("ledger-{}", entry.kind.as_str())),
                entry.amount,
            )
        })
        .collect();
    let page = TokensPage {
        user,
        balance_text,
        lots,
        ledger,
        tr,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    tr: Tr,
    user: Option<NavUser>,
    /// Whether the address is confirmed; `None` when it could not be read.
    verified: Option<bool>,
    /// `retention.unconfirmed_ttl` in days, told while the address is unconfirmed.
    unconfirmed_days: u64,
    notice: Option<String>,
    error: Option<String>,
}

fn unconfirmed_days(state: &AppState) -> u64 {
    state
        .services
        .config
        .retention
        .unconfirmed_ttl
        .as_secs()
        .div_ceil(24 * 3600)
}

async fn email_verified(state: &AppState, scope: UserScope) -> Option<bool> {
    match state.services.store.user(scope).await {
        Ok(user) => Some(user.email_verified_at.is_some()),
        Err(error) => {
            tracing::error!(%error, "reading the account failed");
            None
        }
    }
}

pub async fn account(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let scope = caller.scope;
    let page = AccountPage {
        tr: Tr::from_headers(&headers),
        user: nav_user(&state, Some(caller)).await,
        verified: email_verified(&state, scope).await,
        unconfirmed_days: unconfirmed_days(&state),
        notice: None,
        error: None,
    };
    render(StatusCode::OK, &page)
}

#[derive(serde::Deserialize)]
pub struct EmailChangeForm {
    email: String,
    password: String,
}

/// Sends the confirmation link to the new address; nothing changes until it is opened.
pub async fn change_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Form(form): Form<EmailChangeForm>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let scope = caller.scope;
    let tr = Tr::from_headers(&headers);
    let outcome = state
        .services
        .accounts
        .request_email_change(caller.scope, &form.email, &form.password)
        .await;
    let user = nav_user(&state, Some(caller)).await;
    let verified = email_verified(&state, scope).await;
    let (status, notice, error) = match outcome {
        Ok(()) => (
            StatusCode::OK,
            Some(tr.t("account-change-email-sent")),
            None,
        ),
        Err(error) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(super::pages::error_message(&tr, &error)),
        ),
    };
    render(
        status,
        &AccountPage {
            tr,
            user,
            verified,
            unconfirmed_days: unconfirmed_days(&state),
            notice,
            error,
        },
    )
}

/// Mails a new verification link (the button shown while the address is unconfirmed).
pub async fn resend_verification(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let scope = caller.scope;
    let tr = Tr::from_headers(&headers);
    let outcome = state
        .services
        .accounts
        .resend_verification(caller.scope)
        .await;
    let (status, notice, error) = match outcome {
        Ok(()) => (StatusCode::OK, Some(tr.t("account-verify-sent")), None),
        Err(error) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(super::pages::error_message(&tr, &error)),
        ),
    };
    let page = AccountPage {
        user: nav_user(&state, Some(caller)).await,
        verified: email_verified(&state, scope).await,
        unconfirmed_days: unconfirmed_days(&state),
        tr,
        notice,
        error,
    };
    render(status, &page)
}
