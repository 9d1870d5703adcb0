//! `/admin/tickets`: the support queue for admins (open first, urgent first), one ticket's
//! thread, and the actions on it: reply (mailed to the submitter in their language), close,
//! reopen. Every view and action is recorded in the audit log before it is served or done.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::admin::not_found_page;
use super::pages::{NavUser, nav_user};
use super::render;
use super::support_tickets::{ThreadView, TicketRow, thread_view, ticket_row};
use crate::domain::{Timestamp, UserId};
use crate::http::{AdminCaller, AppState, Caller};
use crate::i18n::Tr;
use crate::store::{AdminAction, TicketFilter, TicketThread};
use crate::support::SupportError;

/// Records `action` by the admin on the ticket `id` (owned by `subject`, if anyone).
async fn audit(
    state: &AppState,
    admin: &Caller,
    action: &str,
    id: i64,
    subject: Option<UserId>,
) -> bool {
    let entry = AdminAction {
        at: Timestamp::now(),
        actor: admin.scope.user_id().to_string(),
        action: action.to_owned(),
        subject,
        detail: format!("ticket {id}"),
    };
    match state.services.store.record_admin_action(&entry).await {
        Ok(()) => true,
        Err(error) => {
            tracing::error!(%error, action, "cannot record an admin action");
            false
        }
    }
}

#[derive(Template)]
#[template(path = "admin_tickets.html")]
struct QueuePage {
    tr: Tr,
    user: Option<NavUser>,
    rows: Vec<TicketRow>,
    /// `open`, `closed` or `all`.
    filter: &'static str,
}

#[derive(serde::Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
}

pub async fn admin_tickets(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Query(query): Query<QueueQuery>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let (filter, name) = match query.status.as_str() {
        "closed" => (TicketFilter::Closed, "closed"),
        "all" => (TicketFilter::All, "all"),
        _ => (TicketFilter::Open, "open"),
    };
    let store = &state.services.store;
    let view = AdminAction::view(caller.scope.user_id(), "view-tickets", name);
    if store.record_admin_action(&view).await.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let Ok(tickets) = store.all_tickets(filter, 500).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let page = QueuePage {
        rows: tickets.into_iter().map(|t| ticket_row(&tr, t)).collect(),
        user: nav_user(&state, Some(caller)).await,
        filter: name,
        tr,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "admin_ticket.html")]
struct TicketPage {
    tr: Tr,
    user: Option<NavUser>,
    view: ThreadView,
    email: String,
    /// `None`: a visitor's ticket.
    account: Option<String>,
    language: String,
    error: Option<String>,
    draft: String,
}

/// The ticket, or the page to answer when there is none (or it cannot be read).
async fn load(state: &AppState, headers: &HeaderMap, id: &str) -> Result<TicketThread, Response> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(not_found_page(headers));
    };
    match state.services.store.ticket_by_id(id).await {
        Ok(Some(thread)) => Ok(thread),
        Ok(None) => Err(not_found_page(headers)),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}

fn ticket_page(
    tr: Tr,
    user: Option<NavUser>,
    thread: TicketThread,
    (error, draft): (Option<String>, String),
) -> Response {
    let email = thread.ticket.email.clone();
    let account = thread.ticket.user_id.map(|id| id.to_string());
    let language = tr.t1(
        "admin-ticket-language",
        "locale",
        thread.ticket.locale.clone(),
    );
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = TicketPage {
        view: thread_view(&tr, thread, &email),
        email,
        account,
        language,
        user,
        error,
        draft,
        tr,
    };
    render(status, &page)
}

pub async fn admin_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<String>,
) -> Response {
    let thread = match load(&state, &headers, &id).await {
        Ok(thread) => thread,
        Err(response) => return response,
    };
    let (number, owner) = (thread.ticket.id, thread.ticket.user_id);
    if !audit(&state, &caller, "view-ticket", number, owner).await {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let tr = Tr::from_headers(&headers);
    let user = nav_user(&state, Some(caller)).await;
    ticket_page(tr, user, thread, (None, String::new()))
}

#[derive(serde::Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    message: String,
}

pub async fn admin_reply(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<String>,
    Form(form): Form<ReplyForm>,
) -> Response {
    let thread = match load(&state, &headers, &id).await {
        Ok(thread) => thread,
        Err(response) => return response,
    };
    let (number, owner) = (thread.ticket.id, thread.ticket.user_id);
    if !audit(&state, &caller, "ticket-reply", number, owner).await {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let tr = Tr::from_headers(&headers);
    let error = match state.services.support.reply(number, &form.message).await {
        Ok(_) => return Redirect::to(&format!("/admin/tickets/{number}")).into_response(),
        Err(SupportError::Invalid(errors)) => {
            let code = errors.first().map_or("message-empty", |e| e.code);
            tr.t(&format!("support-error-{code}"))
        }
        Err(SupportError::Closed) => tr.t("support-error-ticket-closed"),
        Err(SupportError::NotFound) => return not_found_page(&headers),
        Err(error) => {
            tracing::error!(%error, "ticket reply failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let user = nav_user(&state, Some(caller)).await;
    ticket_page(tr, user, thread, (Some(error), form.message))
}

async fn set_closed(
    state: &AppState,
    headers: &HeaderMap,
    caller: &Caller,
    id: &str,
    closed: bool,
) -> Response {
    let thread = match load(state, headers, id).await {
        Ok(thread) => thread,
        Err(response) => return response,
    };
    let (number, owner) = (thread.ticket.id, thread.ticket.user_id);
    let action = if closed {
        "ticket-close"
    } else {
        "ticket-reopen"
    };
    if !audit(state, caller, action, number, owner).await {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    match state.services.support.set_closed(number, closed).await {
        Ok(_) => Redirect::to(&format!("/admin/tickets/{number}")).into_response(),
        Err(SupportError::NotFound) => not_found_page(headers),
        Err(error) => {
            tracing::error!(%error, action, "ticket update failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub async fn admin_close(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<String>,
) -> Response {
    set_closed(&state, &headers, &caller, &id, true).await
}

pub async fn admin_reopen(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<String>,
) -> Response {
    set_closed(&state, &headers, &caller, &id, false).await
}
