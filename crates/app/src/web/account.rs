//! The signed-in user's tokens and account pages.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::pages::{NavUser, nav_user};
use super::render;
use crate::domain::UserScope;
use crate::http::{AppState, Caller};
use crate::i18n::Tr;

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
    /// Whether the address is confirmed; `None` when it could not be read.
    verified: Option<bool>,
    /// `retention.unconfirmed_ttl` in days, told while the address is unconfirmed.
    unconfirmed_days: u64,
    notice: Option<String>,
    error: Option<String>,
    /// (id, description) of each API key.
    api_keys: Vec<(String, String)>,
    /// A key just created: its secret, shown this once.
    new_secret: Option<String>,
}

/// The page with the caller's API keys; a store failure is a plain 500.
async fn account_page(
    state: &AppState,
    tr: Tr,
    scope: crate::domain::UserScope,
    (notice, error, new_secret): (Option<String>, Option<String>, Option<String>),
    status: StatusCode,
) -> Response {
    let page_request = crate::store::PageRequest::first(crate::accounts::MAX_API_KEYS);
    let Ok(keys) = state.services.store.api_keys_of(scope, &page_request).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let api_keys = keys
        .items
        .iter()
        .map(|key| {
            let used = key
                .last_used_at
                .map_or_else(|| tr.t("account-api-key-never"), |at| tr.datetime(at));
            let line = tr.tn(
                "account-api-key-line",
                vec![
                    ("name", key.name.clone().into()),
                    ("prefix", key.prefix.clone().into()),
                    ("created", tr.datetime(key.created_at).into()),
                    ("used", used.into()),
                ],
            );
            (key.id.to_string(), line)
        })
        .collect();
    let user = nav_user(
        state,
        Some(Caller {
            scope,
            api_key: None,
        }),
    )
    .await;
    let page = AccountPage {
        tr,
        user,
        verified: email_verified(state, scope).await,
        unconfirmed_days: unconfirmed_days(state),
        notice,
        error,
        api_keys,
        new_secret,
    };
    render(status, &page)
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
    let tr = Tr::from_headers(&headers);
    account_page(&state, tr, caller.scope, (None, None, None), StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct NewKeyForm {
    name: String,
}

/// Creates an API key and shows its secret once, on the page it answers with.
pub async fn create_api_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Form(form): Form<NewKeyForm>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    match state
        .services
        .accounts
        .create_api_key(caller.scope, &form.name)
        .await
    {
        Ok((_, secret)) => {
            let shown = (None, None, Some(secret.expose().to_owned()));
            let mut response =
                account_page(&state, tr, caller.scope, shown, StatusCode::CREATED).await;
            response.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            response
        }
        Err(error) => {
            let message = super::pages::error_message(&tr, &error);
            let status = match error {
                crate::accounts::AccountError::TooManyApiKeys => StatusCode::CONFLICT,
                crate::accounts::AccountError::InvalidApiKeyName => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            account_page(
                &state,
                tr,
                caller.scope,
                (None, Some(message), None),
                status,
            )
            .await
        }
    }
}

/// Revokes one of the caller's keys; an unknown id changes nothing.
pub async fn revoke_api_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let revoked = match id.parse() {
        Ok(id) => {
            state
                .services
                .accounts
                .revoke_api_key(caller.scope, id)
                .await
        }
        Err(_) => Ok(false),
    };
    match revoked {
        Ok(true) => {
            let notice = Some(tr.t("account-api-key-revoked"));
            account_page(
                &state,
                tr,
                caller.scope,
                (notice, None, None),
                StatusCode::OK,
            )
            .await
        }
        Ok(false) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "revoking an API key failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
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
    account_page(&state, tr, caller.scope, (notice, error, None), status).await
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
    account_page(&state, tr, scope, (notice, error, None), status).await
}
