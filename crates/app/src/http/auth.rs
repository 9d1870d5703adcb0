//! `/auth/*`, `/me` and `/tokens`: sign-up, sign-in, sign-out and the caller's account.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::error::ApiJson;
use super::openapi::ErrorBody;
use super::session::{bearer, cookie_name, session_cookie};
use super::{ApiError, AppState, Caller};
use crate::accounts::{SessionToken, SignUp};
use crate::domain::{Timestamp, UserId};
use crate::i18n::Tr;
use crate::store::{LedgerEntry, Lot, User};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.org", "password": "a sturdy passphrase"}))]
pub struct Login {
    email: String,
    password: String,
}

/// A new session: its token goes in `Authorization: Bearer …` (a cookie is set too).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    user: User,
    /// The session token (32 hex digits). Shown once.
    token: String,
}

/// `GET /me`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    id: UserId,
    email: String,
    display_name: Option<String>,
    /// `user` or `admin`.
    role: String,
    /// `active`, `restricted`, `suspended` or `banned`.
    status: String,
    /// Whether the address was confirmed through the mailed link.
    email_verified: bool,
    /// Tokens spendable now.
    balance: i64,
    created_at: Timestamp,
}

/// `GET /tokens`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokensView {
    balance: i64,
    lots: Vec<Lot>,
    /// The latest 200 entries, newest first.
    ledger: Vec<LedgerEntry>,
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
    let body = Json(SignedIn {
        user: user.clone(),
        token: token.as_str().to_owned(),
    });
    Ok((status, [(header::SET_COOKIE, cookie)], body).into_response())
}

/// `POST /auth/register`: creates the account and signs it in.
#[utoipa::path(post, path = "/auth/register", tag = "auth", security(()),
    request_body = crate::accounts::SignUp,
    responses(
        (status = 201, description = "Account created and signed in", body = SignedIn),
        (status = 409, description = "`email-taken`", body = ErrorBody),
        (status = 422, description = "`invalid-email`, password rules, `guardian-consent-required`", body = ErrorBody),
    ))]
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
#[utoipa::path(post, path = "/auth/login", tag = "auth", security(()),
    request_body = Login,
    responses(
        (status = 200, description = "Signed in", body = SignedIn),
        (status = 401, description = "`invalid-credentials`", body = ErrorBody),
        (status = 429, description = "`too-many-attempts` (failed sign-ins of this account from this address, or from many; `Retry-After` says when to retry) or `rate-limited` (address)", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    ApiJson(form): ApiJson<Login>,
) -> Result<Response, ApiError> {
    let accounts = &state.services.accounts;
    let trusted = &state.services.config.server.trusted_proxies;
    let from = super::client_ip::client_ip_of(&extensions, &headers, trusted);
    let (user, token) = accounts
        .sign_in_from(&form.email, &form.password, from)
        .await?;
    if let Some(previous) = session_cookie(&headers, state.services.config.server.tls) {
        accounts.sign_out(&previous).await?;
    }
    signed_in(&state, StatusCode::OK, &user, &token)
}

/// `POST /auth/logout`: closes the session the request used and clears the cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out (an API key stays valid: revoke it instead)")))]
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
#[utoipa::path(get, path = "/me", tag = "account",
    responses((status = 200, description = "The caller's account", body = Me)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>, ApiError> {
    let store = &state.services.store;
    let user = store.account_record(caller.scope).await?;
    let balance = store.balance(caller.scope, Timestamp::now()).await?;
    Ok(Json(Me {
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        role: user.role,
        status: user.status,
        email_verified: user.email_verified_at.is_some(),
        balance,
        created_at: user.created_at,
    }))
}

/// `GET /tokens`: balance, lots with expiry, and the latest ledger entries.
#[utoipa::path(get, path = "/tokens", tag = "account",
    responses((status = 200, description = "Balance, lots and ledger", body = TokensView)))]
pub async fn tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TokensView>, ApiError> {
    let store = &state.services.store;
    let balance = store.balance(caller.scope, Timestamp::now()).await?;
    let lots = store.lots(caller.scope).await?;
    let ledger = store.ledger(caller.scope, 200).await?;
    Ok(Json(TokensView {
        balance,
        lots,
        ledger,
    }))
}
