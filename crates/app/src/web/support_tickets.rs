//! A user's own support tickets: the list, one thread, and follow-ups. Strictly the
//! caller's: another user's ticket, or a visitor's, is a 404 like a ticket that never was.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::admin::not_found_page;
use super::pages::{NavUser, nav_user};
use super::render;
use crate::http::{AppState, Caller};
use crate::i18n::Tr;
use crate::store::{Ticket, TicketThread};
use crate::support::SupportError;

/// A ticket in a list.
pub(super) struct TicketRow {
    pub id: i64,
    pub subject: String,
    pub urgent: bool,
    pub status: String,
    pub created: String,
    pub updated: String,
    /// The submitter's address (shown to admins).
    pub email: String,
}

pub(super) fn ticket_row(tr: &Tr, ticket: Ticket) -> TicketRow {
    TicketRow {
        id: ticket.id,
        status: tr.t(&format!("support-status-{}", ticket.status.as_str())),
        created: tr.datetime(ticket.created_at),
        updated: tr.datetime(ticket.updated_at),
        subject: ticket.subject,
        urgent: ticket.urgent,
        email: ticket.email,
    }
}

pub(super) struct MessageView {
    pub from_staff: bool,
    pub author: String,
    pub at: String,
    pub body: String,
}

/// A thread as `support_thread.html` shows it; `submitter` names the non-staff author.
pub(super) struct ThreadView {
    pub id: i64,
    pub title: String,
    pub status_line: String,
    pub urgent: bool,
    pub job: Option<String>,
    pub closed: bool,
    pub messages: Vec<MessageView>,
}

pub(super) fn thread_view(tr: &Tr, thread: TicketThread, submitter: &str) -> ThreadView {
    let ticket = thread.ticket;
    let status = tr.t(&format!("support-status-{}", ticket.status.as_str()));
    ThreadView {
        id: ticket.id,
        title: tr.tn(
            "support-ticket-title",
            vec![
                ("number", ticket.id.to_string().into()),
                ("subject", ticket.subject.clone().into()),
            ],
        ),
        status_line: tr.t1("support-ticket-status", "status", status),
        urgent: ticket.urgent,
        job: ticket
            .job_id
            .map(|job| tr.t1("support-ticket-job", "job", job.to_string())),
        closed: ticket.status == crate::store::TicketStatus::Closed,
        messages: thread
            .messages
            .into_iter()
            .map(|message| MessageView {
                author: if message.from_staff {
                    tr.t("support-ticket-staff")
                } else {
                    submitter.to_owned()
                },
                from_staff: message.from_staff,
                at: tr.datetime(message.created_at),
                body: message.body,
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "support_tickets.html")]
struct TicketsPage {
    tr: Tr,
    user: Option<NavUser>,
    rows: Vec<TicketRow>,
}

pub async fn my_tickets(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let Ok(tickets) = state.services.store.tickets_of(caller.scope, 200).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let page = TicketsPage {
        rows: tickets.into_iter().map(|t| ticket_row(&tr, t)).collect(),
        user: nav_user(&state, Some(caller)).await,
        tr,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "support_ticket.html")]
struct TicketPage {
    tr: Tr,
    user: Option<NavUser>,
    view: ThreadView,
    error: Option<String>,
    draft: String,
}

async fn ticket_page(
    state: &AppState,
    headers: &HeaderMap,
    caller: Caller,
    id: i64,
    (error, draft): (Option<String>, String),
) -> Response {
    let tr = Tr::from_headers(headers);
    let thread = match state.services.store.ticket_thread(caller.scope, id).await {
        Ok(Some(thread)) => thread,
        Ok(None) => return not_found_page(headers),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = TicketPage {
        view: thread_view(&tr, thread, &tr.t("support-ticket-you")),
        user: nav_user(state, Some(caller)).await,
        error,
        draft,
        tr,
    };
    render(status, &page)
}

pub async fn my_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Response {
    let (Some(caller), Ok(id)) = (caller, id.parse::<i64>()) else {
        return not_found_page(&headers);
    };
    ticket_page(&state, &headers, caller, id, (None, String::new())).await
}

#[derive(serde::Deserialize)]
pub struct FollowUp {
    #[serde(default)]
    message: String,
}

pub async fn follow_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Path(id): Path<String>,
    Form(form): Form<FollowUp>,
) -> Response {
    let (Some(caller), Ok(id)) = (caller, id.parse::<i64>()) else {
        return not_found_page(&headers);
    };
    let tr = Tr::from_headers(&headers);
    let support = &state.services.support;
    match support.follow_up(caller.scope, id, &form.message).await {
        Ok(_) => Redirect::to(&format!("/support/tickets/{id}")).into_response(),
        Err(SupportError::NotFound) => not_found_page(&headers),
        Err(SupportError::Invalid(errors)) => {
            let code = errors.first().map_or("message-empty", |e| e.code);
            let error = tr.t(&format!("support-error-{code}"));
            ticket_page(&state, &headers, caller, id, (Some(error), form.message)).await
        }
        Err(SupportError::Closed) => {
            let error = tr.t("support-error-ticket-closed");
            ticket_page(&state, &headers, caller, id, (Some(error), form.message)).await
        }
        Err(error) => {
            tracing::error!(%error, "follow-up failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
