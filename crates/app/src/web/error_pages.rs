//! Pages for refusals and failures, in the reader's language and with their navigation.
//!
//! Many handlers refuse with a bare status (a job that is gone, a malformed id) and axum's
//! own extractors with a line of English (a body over the size limit, a form that does not
//! parse). `dress_errors` turns every such answer into the site's error page whenever a
//! browser asked for a page; images, downloads, scripts and the JSON API keep their answers.
//! A handler with something specific to say uses [`refusal`], which the page then shows.

use axum::extract::{OptionalFromRequestParts, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::pages::{NavUser, nav_user};
use crate::http::{AppState, Caller};
use crate::i18n::Tr;

/// What a handler told the reader, kept with its plain-text answer for the page to show.
#[derive(Clone)]
struct Said(String);

/// A refusal with a sentence for the reader: plain text to a script, the error page (with
/// this sentence) to a browser.
pub fn refusal(status: StatusCode, message: String) -> Response {
    let mut response = (status, message.clone()).into_response();
    response.extensions_mut().insert(Said(message));
    response
}

/// The 404 page, with the reader's navigation when signed in.
pub async fn not_found(state: &AppState, headers: &HeaderMap, caller: Option<Caller>) -> Response {
    let user = nav_user(state, caller).await;
    not_found_for(Tr::from_headers(headers), user)
}

/// The 404 page without looking the reader up (the handler has already refused them).
pub fn not_found_without_nav(headers: &HeaderMap) -> Response {
    not_found_for(Tr::from_headers(headers), None)
}

fn not_found_for(tr: Tr, user: Option<NavUser>) -> Response {
    let (title, message) = (tr.t("not-found-title"), tr.t("not-found-text"));
    error_page(StatusCode::NOT_FOUND, tr, user, title, message)
}

fn error_page(
    status: StatusCode,
    tr: Tr,
    user: Option<NavUser>,
    title: String,
    message: String,
) -> Response {
    let page = ErrorPage {
        tr,
        user,
        title,
        message,
    };
    super::render(status, &page)
}

/// Middleware: an error answer without a page of its own becomes the error page, for
/// requests that accept HTML.
pub async fn dress_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let asked_for_page = accepts_html(request.headers()).then(|| request.headers().clone());
    let response = next.run(request).await;
    match asked_for_page {
        Some(headers) if is_undressed_error(&response) => dress(&state, &headers, response).await,
        _ => response,
    }
}

/// Whether the client would take a page: it asks for HTML, or names no type at all (no
/// Accept, or curl's bare `*/*`). An `<img>` or a script asks for its own type first and
/// keeps its plain answer.
fn accepts_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return true;
    };
    accept.to_str().is_ok_and(|accept| {
        let accept = accept.trim();
        accept.contains("text/html") || accept.is_empty() || accept == "*/*"
    })
}

/// A 4xx or 5xx answer with no body type, or plain text: nothing a person should be shown.
fn is_undressed_error(response: &Response) -> bool {
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return false;
    }
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|kind| {
            kind.to_str()
                .is_ok_and(|kind| kind.starts_with("text/plain"))
        })
}

async fn dress(state: &AppState, headers: &HeaderMap, response: Response) -> Response {
    let status = response.status();
    let said = response.extensions().get::<Said>().cloned();
    let tr = Tr::from_headers(headers);
    let (title, message) = words_for(state, &tr, status);
    let message = said.map_or(message, |Said(message)| message);
    let user = nav_user(state, caller_of(state, headers).await).await;
    let mut dressed = error_page(status, tr, user, title, message);
    // Keep what the refusal told the browser besides its body (Retry-After, Allow, cookies).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            dressed.headers_mut().append(name, value.clone());
        }
    }
    dressed
}

/// The page's heading and sentence for `status`.
fn words_for(state: &AppState, tr: &Tr, status: StatusCode) -> (String, String) {
    match status {
        StatusCode::NOT_FOUND => (tr.t("not-found-title"), tr.t("not-found-text")),
        StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = super::upload_check::megabytes(state.services.media.max_bytes());
            (
                tr.t("error-page-too-large-title"),
                tr.t1("error-page-too-large-text", "megabytes", limit),
            )
        }
        StatusCode::FORBIDDEN => (
            tr.t("error-page-forbidden-title"),
            tr.t("error-page-forbidden-text"),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (tr.t("not-found-title"), tr.t("not-found-text")),
        status if status.is_server_error() => {
            (tr.t("error-page-server-title"), tr.t("error-internal"))
        }
        _ => (
            tr.t("error-page-request-title"),
            tr.t("error-page-request-text"),
        ),
    }
}

/// The reader, for the navigation bar: looked up only when a page is dressed, which is rare.
async fn caller_of(state: &AppState, headers: &HeaderMap) -> Option<Caller> {
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.headers = headers.clone();
    <Caller as OptionalFromRequestParts<AppState>>::from_request_parts(&mut parts, state)
        .await
        .ok()
        .flatten()
}

#[derive(askama::Template)]
#[template(path = "error_page.html")]
struct ErrorPage {
    tr: Tr,
    user: Option<NavUser>,
    title: String,
    message: String,
}
