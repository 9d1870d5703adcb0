//! Server-rendered pages (C10): askama templates in `templates/`, every string through
//! Fluent (`locales/`), plain HTML forms that work without JavaScript.
//!
//! Pages call the same services as the JSON API; they own presentation only.

mod account;
pub mod admin;
mod admin_audit;
mod admin_console;
mod admin_dashboard;
mod admin_jobs;
mod admin_refunds;
mod admin_reports;
mod admin_tickets;
mod admin_user_actions;
mod admin_users;
mod buy;
mod charts;
mod error_pages;
mod format;

mod job_page;
mod lang;
mod library;
mod limited;
mod pages;
mod plans;
mod policies;
mod privacy;
mod recovery;
mod reports;
mod studio;
mod support;
mod support_tickets;
mod upload_check;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

pub use limited::rate_limited_page;

use crate::http::AppState;
use crate::http::session::same_origin;

const STYLESHEET: &str = include_str!("../../static/app.css");
const SCRIPT: &str = include_str!("../../static/app.js");

pub fn routes(state: &AppState) -> Router<AppState> {
    let config = &state.services.config;
    // The studio form carries the photo: it gets the upload cap, not the form cap.
    let studio = Router::new()
        .route(
            "/studio",
            get(studio::studio_form).post(studio::studio_submit),
        )
        .route(
            "/studio/check",
            axum::routing::post(upload_check::check_photo),
        )
        .layer(DefaultBodyLimit::max(
            config.uploads.max_bytes.saturating_add(64 * 1024),
        ));
    Router::new()
        .route("/", get(pages::home))
        .route("/lang/{code}", get(lang::switch_language))
        .route("/signup", get(pages::signup_form).post(pages::signup))
        .route("/signin", get(pages::signin_form).post(pages::signin))
        .route("/signout", axum::routing::post(pages::signout))
        .route("/jobs/{id}", get(job_page::job_page))
        .route(
            "/jobs/{id}/cancel",
            axum::routing::post(job_page::cancel_job),
        )
        .route(
            "/results/{id}/delete",
            axum::routing::post(job_page::delete_result),
        )
        .route("/forgot", get(recovery::forgot_form).post(recovery::forgot))
        .route(
            "/reset-password",
            get(recovery::reset_form).post(recovery::reset),
        )
        .route(
            "/confirm-email",
            get(recovery::confirm_email_form).post(recovery::confirm_email),
        )
        .route("/history", get(library::library))
        .route("/results/{id}/thumbnail", get(library::result_thumbnail))
        .route("/uploads/{id}/thumbnail", get(library::upload_thumbnail))
        .route(
            "/uploads/{id}/delete",
            axum::routing::post(library::delete_upload),
        )
        .route(
            "/results/{id}/save",
            axum::routing::post(job_page::save_result),
        )
        .route(
            "/results/{id}/unsave",
            axum::routing::post(job_page::unsave_result),
        )
        .route("/account", get(account::account))
        .route("/account/email", axum::routing::post(account::change_email))
        .route(
            "/account/verify-email",
            axum::routing::post(account::resend_verification),
        )
        .route("/verify-email", get(recovery::verify_email))
        .route(
            "/account/api-keys",
            axum::routing::post(account::create_api_key),
        )
        .route(
            "/account/api-keys/{id}/revoke",
            axum::routing::post(account::revoke_api_key),
        )
        .route("/privacy", get(privacy::privacy))
        .route(
            "/privacy/preferences",
            axum::routing::post(privacy::save_choices),
        )
        .route("/privacy/name", axum::routing::post(privacy::save_name))
        .route("/privacy/export", get(privacy::export))
        .route(
            "/privacy/exports",
            axum::routing::post(privacy::request_export),
        )
        .route(
            "/privacy/exports/{id}/download",
            get(privacy::download_prepared),
        )
        .route("/privacy/delete", axum::routing::post(privacy::delete))
        .route("/tokens", get(account::tokens))
        .route("/buy", get(buy::buy).post(buy::buy_submit))
        .route("/buy/success", get(buy::buy_success))
        .route("/buy/plan", axum::routing::post(plans::subscribe_submit))
        .route("/buy/subscribed", get(plans::subscribed))
        .route(
            "/buy/plans/{id}/cancel",
            axum::routing::post(plans::cancel_submit),
        )
        .route(
            "/results/{id}/report",
            get(reports::result_form).post(reports::report_result),
        )
        .route(
            "/uploads/{id}/report",
            get(reports::upload_form).post(reports::report_upload),
        )
        .route("/reports/thanks", get(reports::thanks))
        .route("/admin/reports", get(admin_reports::queue))
        .route("/admin/reports/{id}", get(admin_reports::review))
        .route("/admin/reports/{id}/item", get(admin_reports::item))
        .route(
            "/admin/reports/{id}/decide",
            axum::routing::post(admin_reports::decide),
        )
        .route("/admin/purchases", get(admin_refunds::admin_purchases))
        .route("/admin/audit", get(admin_audit::admin_audit))
        .route("/support", get(support::faq_page))
        .route(
            "/support/contact",
            get(support::contact_form).post(support::contact_submit),
        )
        .route("/support/contact/sent", get(support::contact_sent))
        .route("/support/tickets", get(support_tickets::my_tickets))
        .route(
            "/support/tickets/{id}",
            get(support_tickets::my_ticket).post(support_tickets::follow_up),
        )
        .route("/admin/tickets", get(admin_tickets::admin_tickets))
        .route("/admin/tickets/{id}", get(admin_tickets::admin_ticket))
        .route(
            "/admin/tickets/{id}/reply",
            axum::routing::post(admin_tickets::admin_reply),
        )
        .route(
            "/admin/tickets/{id}/close",
            axum::routing::post(admin_tickets::admin_close),
        )
        .route(
            "/admin/tickets/{id}/reopen",
            axum::routing::post(admin_tickets::admin_reopen),
        )
        .merge(admin_console::routes())
        .route(
            "/policies/accept",
            get(policies::accept_form).post(policies::accept),
        )
        .route("/policies/{kind}", get(policies::current))
        .route("/policies/{kind}/{version}", get(policies::numbered))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .route("/static/samples/{name}", get(sample))
        .layer(DefaultBodyLimit::max(config.server.max_body_bytes))
        .merge(studio)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limit_account_forms,
        ))
        .layer(middleware::from_fn(policies::send_to_accept_page))
        .layer(middleware::from_fn(refuse_cross_site_posts))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error_pages::dress_errors,
        ))
}

/// The per-IP limit of the API's sign-in routes, applied to their form twins.
async fn limit_account_forms(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let guarded = request.method() == Method::POST
        && matches!(
            request.uri().path(),
            "/signup" | "/signin" | "/forgot" | "/reset-password"
        );
    if guarded {
        return crate::http::limit::limit_by_ip(State(state), request, next).await;
    }
    next.run(request).await
}

/// Gallery samples of the built-in styles, rendered by the engine from the bundled portrait
/// (`cargo run --release -p atelier-engine --example samples -- crates/app/static/samples`).
const SAMPLES: [(&str, &[u8]); 6] = [
    (
        "rough-sketch.jpg",
        include_bytes!("../../static/samples/rough-sketch.jpg"),
    ),
    (
        "detailed-sketch.jpg",
        include_bytes!("../../static/samples/detailed-sketch.jpg"),
    ),
    (
        "light-color.jpg",
        include_bytes!("../../static/samples/light-color.jpg"),
    ),
    (
        "artistic.jpg",
        include_bytes!("../../static/samples/artistic.jpg"),
    ),
    (
        "anime.jpg",
        include_bytes!("../../static/samples/anime.jpg"),
    ),
    (
        "clay-3d.jpg",
        include_bytes!("../../static/samples/clay-3d.jpg"),
    ),
];

async fn sample(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match SAMPLES.iter().find(|(file, _)| *file == name) {
        Some((_, bytes)) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// CSRF for every form: a state-changing request must come from our own origin, whether or
/// not the browser holds a session (sign-in CSRF is an attack too).
async fn refuse_cross_site_posts(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    if !same_origin(&parts) {
        let tr = crate::i18n::Tr::from_headers(&parts.headers);
        return error_pages::refusal(StatusCode::FORBIDDEN, tr.t("error-cross-site-request"));
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Renders a page; a template error is ours, logged and shown as a plain 500.
fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[cfg(test)]
mod tests;
