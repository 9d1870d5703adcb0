//! `/auth/*`, `/me` and `/tokens`: sign-up, sign-in, sign-out and the caller's account.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiJson;
use super::session::{bearer, cookie_name, session_cookie};
use super::{ApiError, AppState, Caller};
use crate::accounts::{SessionToken, SignUp};
use crate::domain::Timestamp;
use crate::store::User;
use crate::web::i18n::Tr;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    email: String,
    password: String,
}

pub(crate) fn session_cookie_header(
    state: &AppState,
    token: Option<&SessionToken>,
) -> Result<HeaderValue, ApiError> {
    let config = &state.services.config;
    let tls = config.server.tls;
    let (value, max_age) = match token {
        Some(token) => (token.as_str(), config.accounts.session_absolute.as_secs()),
        None => ("", 0),
    };
    let secure = if tls { "; Secure" } else { "" };
    let cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        cookie_name(tls)
    );
    HeaderValue::from_str(&cookie).map_err(ApiError::internal)
}

fn signed_in(
    state: &AppState,
    status: StatusCode,
    user: &User,
    token: &SessionToken,
) -> Result<Response, ApiError> {
    let cookie = session_cookie_header(state, Some(token))?;
    let body = Json(json!({ "user": user, "token": token.as_str() }));
    Ok((status, [(header::SET_COOKIE, cookie)], body).into_response())
}

/// `POST /auth/register`: creates the account and signs it in.
pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<SignUp>,
) -> Result<Response, ApiError> {
    let accounts = &state.services.accounts;
    // Mail is written in the language the client asked for, as far as we have it.
    let locale = Tr::from_headers(&headers).lang();
    let user = accounts.sign_up_in(form, Some(&locale)).await?;
    let token = accounts.open_session(user.id, Timestamp::now()).await?;
    signed_in(&state, StatusCode::CREATED, &user, &token)
}

/// `POST /auth/login`: a new session each time; the one the request came with is closed.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<Login>,
) -> Result<Response, ApiError> {
    let accounts = &state.services.accounts;
    let (user, token) = accounts.sign_in(&form.email, &form.password).await?;
    if let Some(previous) = session_cookie(&headers, state.services.config.server.tls) {
        accounts.sign_out(&previous).await?;
    }
    signed_in(&state, StatusCode::OK, &user, &token)
}

/// `POST /auth/logout`: closes the session the request used and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    _caller: Caller,
) -> Result<Response, ApiError> {
    let tls = state.services.config.server.tls;
    if let Some(token) = bearer(&headers).or_else(|| session_cookie(&headers, tls)) {
        state.services.accounts.sign_out(&token).await?;
    }
    let cookie = session_cookie_header(&state, None)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// `GET /me`: the account and its spendable balance.
pub async fn me(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let store = &state.services.store;
    let user = store.account_record(caller.scope).await?;
    let balance = store.balance(caller.scope, Timestamp::now()).await?;
    Ok(Json(json!({
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "status": user.status,
        "email_verified": user.email_verified_at.is_some(),
        "balance": balance,
        "created_at": user.created_at,
    })))
}

/// `GET /tokens`: balance, lots with expiry, and the latest ledger entries.
pub async fn tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let store = &state.services.store;
    let balance = store.balance(caller.scope, Timestamp::now()).await?;
    let lots = store.lots(caller.scope).await?;
    let ledger = store.ledger(caller.scope, 200).await?;
    Ok(Json(
        json!({ "balance": balance, "lots": lots, "ledger": ledger }),
    ))
}
