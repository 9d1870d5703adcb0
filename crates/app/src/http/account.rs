//! Account recovery and changes: e-mail verification, password reset and e-mail change by
//! e-mailed token.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::error::ApiJson;
use super::{ApiError, AppState, Caller};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    token: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailChange {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfirm {
    token: String,
}

/// `POST /auth/password-reset`: 202 whether or not the address has an account.
pub async fn request_password_reset(
    State(state): State<AppState>,
    ApiJson(form): ApiJson<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .accounts
        .request_password_reset(&form.email)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// `POST /auth/password-reset/confirm`: sets the password and signs out every session.
pub async fn reset_password(
    State(state): State<AppState>,
    ApiJson(form): ApiJson<ResetConfirm>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .accounts
        .reset_password(&form.token, &form.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /me/email`: mails a confirmation link to the new address.
pub async fn request_email_change(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(form): ApiJson<EmailChange>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .accounts
        .request_email_change(caller.scope, &form.email, &form.password)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// `POST /me/email/confirm`: the token alone proves control of the new address.
pub async fn confirm_email_change(
    State(state): State<AppState>,
    ApiJson(form): ApiJson<EmailConfirm>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .accounts
        .confirm_email_change(&form.token)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /auth/verify-email`: the token alone proves the mail reached the address.
pub async fn verify_email(
    State(state): State<AppState>,
    ApiJson(form): ApiJson<EmailConfirm>,
) -> Result<StatusCode, ApiError> {
    state.services.accounts.verify_email(&form.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /me/verify-email`: mails a new verification link; 409 `already-verified` when the
/// address is confirmed.
pub async fn resend_verification(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .accounts
        .resend_verification(caller.scope)
        .await?;
    Ok(StatusCode::ACCEPTED)
}
