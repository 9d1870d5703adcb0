//! Account recovery and changes: e-mail verification, password reset and e-mail change by
//! e-mailed token.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::error::ApiJson;
use super::openapi::ErrorBody;
use super::{ApiError, AppState, Caller};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    email: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    token: String,
    password: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChange {
    email: String,
    password: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailConfirm {
    token: String,
}

/// `POST /auth/password-reset`: 202 whether or not the address has an account.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", security(()), request_body = ResetRequest,
    responses((status = 202, description = "Mailed if the address has an account")))]
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
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "auth", security(()), request_body = ResetConfirm,
    responses((status = 204, description = "Password set; every session closed"),
              (status = 400, description = "`invalid-token`", body = ErrorBody),
              (status = 422, description = "password rules", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/me/email", tag = "account", request_body = EmailChange,
    responses((status = 202, description = "A confirmation link was mailed to the new address"),
              (status = 401, description = "`invalid-credentials`: wrong password", body = ErrorBody),
              (status = 409, description = "`email-taken`", body = ErrorBody),
              (status = 422, description = "`invalid-email`", body = ErrorBody),
              (status = 429, description = "`too-many-attempts`", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/me/email/confirm", tag = "account", security(()), request_body = EmailConfirm,
    responses((status = 204, description = "The address is changed"),
              (status = 400, description = "`invalid-token`", body = ErrorBody),
              (status = 409, description = "`email-taken`", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/auth/verify-email", tag = "auth", security(()), request_body = EmailConfirm,
    responses((status = 204, description = "The address is confirmed"),
              (status = 400, description = "`invalid-token`", body = ErrorBody)))]
pub async fn verify_email(
    State(state): State<AppState>,
    ApiJson(form): ApiJson<EmailConfirm>,
) -> Result<StatusCode, ApiError> {
    state.services.accounts.verify_email(&form.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /me/verify-email`: mails a new verification link; 409 `already-verified` when the
/// address is confirmed.
#[utoipa::path(post, path = "/me/verify-email", tag = "account",
    responses((status = 202, description = "A new confirmation link was mailed"),
              (status = 409, description = "`already-verified`", body = ErrorBody)))]
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
