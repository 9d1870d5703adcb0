//! The account actions of `/admin/users/{id}`, as plain POST forms that redirect back with a
//! notice: grant and revoke tokens (the same service functions as `atelier user grant` and
//! `revoke`), suspend, ban and restore. Each is written to the audit log before it is done;
//! one refused up front (a bad amount, too few tokens, acting on oneself) is not.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::admin_console::{audit, back};
use crate::domain::Timestamp;
use crate::http::{AdminCaller, AppState};
use crate::operator::{self, OperatorError};
use crate::store::{AccountStatus, UserSummary};

/// The most tokens one grant or revoke moves: a typo guard, not a policy.
const MAX_TOKENS: u32 = 10_000;
/// A grant's note is kept in the audit log; longer text is cut.
const MAX_NOTE_CHARS: usize = 200;

#[derive(serde::Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    tokens: String,
    #[serde(default)]
    note: String,
}

#[derive(serde::Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    tokens: String,
}

fn amount(text: &str) -> Option<u32> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_TOKENS).contains(n))
}

/// The account `id` names, or the answer to give when there is none.
async fn target(state: &AppState, id: &str) -> Result<UserSummary, Response> {
    let Ok(id) = id.parse() else {
        return Err(StatusCode::NOT_FOUND.into_response());
    };
    match state
        .services
        .store
        .user_summary(id, Timestamp::now())
        .await
    {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(StatusCode::NOT_FOUND.into_response()),
        Err(e) => {
            tracing::error!(error = %e, "reading an account failed");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

fn page_of(user: &UserSummary) -> String {
    format!("/admin/users/{}", user.id)
}

fn failed(e: OperatorError) -> Response {
    tracing::error!(error = %e, "an admin action failed");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

pub async fn grant(
    State(state): State<AppState>,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<String>,
    Form(form): Form<GrantForm>,
) -> Response {
    let user = match target(&state, &id).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let Some(tokens) = amount(&form.tokens) else {
        return back(&page_of(&user), "error", "amount");
    };
    let note: String = form.note.trim().chars().take(MAX_NOTE_CHARS).collect();
    let detail = if note.is_empty() {
        format!("{tokens} tokens")
    } else {
        format!("{tokens} tokens; note: {note}")
    };
    let admin = caller.scope.user_id();
    if let Err(response) = audit(&state, admin, "grant", Some(user.id), detail).await {
        return response;
    }
    match operator::grant_tokens(&state.services, user.id, tokens, Timestamp::now()).await {
        Ok(_) => back(&page_of(&user), "done", "grant"),
        Err(e) => failed(e),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Response {
    let user = match target(&state, &id).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let Some(tokens) = amount(&form.tokens) else {
        return back(&page_of(&user), "error", "amount");
    };
    if user.balance < i64::from(tokens) {
        return back(&page_of(&user), "error", "fewer-tokens");
    }
    let admin = caller.scope.user_id();
    let detail = format!("{tokens} tokens");
    if let Err(response) = audit(&state, admin, "revoke", Some(user.id), detail).await {
        return response;
    }
    match operator::revoke_tokens(&state.services, user.id, tokens, Timestamp::now()).await {
        Ok(()) => back(&page_of(&user), "done", "revoke"),
        // Spent in the meantime: nothing was taken.
        Err(OperatorError::FewerTokens { .. }) => back(&page_of(&user), "error", "fewer-tokens"),
        Err(e) => failed(e),
    }
}

pub async fn suspend(
    State(state): State<AppState>,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<String>,
) -> Response {
    set_status(&state, caller, &id, AccountStatus::Suspended, "suspend").await
}

pub async fn ban(
    State(state): State<AppState>,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<String>,
) -> Response {
    set_status(&state, caller, &id, AccountStatus::Banned, "ban").await
}

pub async fn restore(
    State(state): State<AppState>,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<String>,
) -> Response {
    set_status(&state, caller, &id, AccountStatus::Active, "restore").await
}

/// Suspending or banning signs the account out everywhere (the store closes its sessions)
/// and stops sign-in; an admin cannot do either to their own account.
async fn set_status(
    state: &AppState,
    caller: crate::http::Caller,
    id: &str,
    status: AccountStatus,
    action: &str,
) -> Response {
    let user = match target(state, id).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let admin = caller.scope.user_id();
    if user.id == admin && status != AccountStatus::Active {
        return back(&page_of(&user), "error", "yourself");
    }
    let detail = format!("status {}", status.as_str());
    if let Err(response) = audit(state, admin, action, Some(user.id), detail).await {
        return response;
    }
    match state
        .services
        .store
        .set_role_and_status(user.id, user.role, status)
        .await
    {
        Ok(()) => back(&page_of(&user), "done", action),
        Err(e) => failed(e.into()),
    }
}
