//! The signed-in user's tokens and account pages.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::i18n::Tr;
use super::pages::{NavUser, nav_user};
use super::render;
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
                    ("expires", tr.datetime(lot.expires_at).into()),
                ],
            )
        })
        .collect();
    let ledger = ledger
        .iter()
        .map(|entry| {
            (
                tr.datetime(entry.created_at),
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
    notice: Option<String>,
    error: Option<String>,
}

pub async fn account(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let page = AccountPage {
        tr: Tr::from_headers(&headers),
        user: nav_user(&state, Some(caller)).await,
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
    let tr = Tr::from_headers(&headers);
    let outcome = state
        .services
        .accounts
        .request_email_change(caller.scope, &form.email, &form.password)
        .await;
    let user = nav_user(&state, Some(caller)).await;
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
            notice,
            error,
        },
    )
}
