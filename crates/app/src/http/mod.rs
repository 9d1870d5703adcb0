//! HTTP (axum): the JSON API under `/api/v1`, health and metrics. `app(state)` builds the
//! router without serving it, so tests drive it with `tower::ServiceExt::oneshot`.
//!
//! Handlers parse, call one service, and shape the answer; no SQL and no business rules here.

mod account;
pub(crate) mod action_limits;
mod api_keys;
pub(crate) mod auth;
pub(crate) mod client_ip;
mod error;
pub(crate) mod error_language;
mod headers;
pub(crate) mod idempotency;
mod jobs;
pub(crate) mod limit;
mod media;
pub mod openapi;
mod ops;
mod paging;
pub(crate) mod payments;
pub(crate) mod plans;
pub(crate) mod policies;
pub(crate) mod privacy;
mod ranges;
mod reports;
pub(crate) mod session;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{delete, get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use error::{ApiError, PolicyGate};
pub use session::{AdminCaller, Caller};

use crate::services::Services;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub(crate) limiter: Arc<limit::RateLimiter>,
    /// Requests per API key.
    pub(crate) key_limiter: Arc<limit::RateLimiter<crate::domain::ApiKeyId>>,
    /// Sign-ins, sign-ups, uploads, jobs and contact messages per address and per account.
    pub(crate) actions: Arc<action_limits::ActionLimiters>,
}

impl AppState {
    pub fn new(services: Services) -> AppState {
        ops::install_metrics_recorder();
        // Every limit counts where every node sees it (PostgreSQL) or in memory (SQLite).
        let counters = crate::throttle::Counters::for_store(&services.store);
        let limiter = Arc::new(limit::RateLimiter::new(
            "auth-routes",
            services.config.server.auth_requests_per_minute,
            counters.clone(),
        ));
        let key_limiter = Arc::new(limit::RateLimiter::new(
            "api-key",
            services.config.server.api_key_requests_per_minute,
            counters.clone(),
        ));
        let actions = Arc::new(action_limits::ActionLimiters::new(
            &services.config.limits,
            counters,
        ));
        AppState {
            services,
            limiter,
            key_limiter,
            actions,
        }
    }
}

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    let config = &state.services.config;
    // Multipart framing adds a little to the file itself.
    let upload_limit = config.uploads.max_bytes.saturating_add(64 * 1024);
    let uploads = Router::new()
        .route(
            "/uploads",
            post(media::create_upload).get(media::list_uploads),
        )
        .layer(DefaultBodyLimit::max(upload_limit));
    let limited = Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route(
            "/auth/password-reset",
            post(account::request_password_reset),
        )
        .route(
            "/auth/password-reset/confirm",
            post(account::reset_password),
        )
        .route("/auth/verify-email", post(account::verify_email))
        .route("/me/verify-email", post(account::resend_verification))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            limit::limit_by_ip,
        ))
        .layer(DefaultBodyLimit::max(config.server.max_body_bytes));
    let api = Router::new()
        .route("/auth/logout", post(auth::logout))
        .route(
            "/me",
            get(auth::me)
                .patch(privacy::patch_me)
                .delete(privacy::delete_me),
        )
        .route(
            "/me/privacy",
            get(privacy::get_privacy).put(privacy::put_privacy),
        )
        .route("/me/export", get(privacy::export))
        .route(
            "/me/exports",
            post(privacy::request_export).get(privacy::list_exports),
        )
        .route("/me/exports/{id}", get(privacy::get_export))
        .route("/me/exports/{id}/download", get(privacy::download_export))
        .route("/me/email", post(account::request_email_change))
        .route(
            "/me/api-keys",
            post(api_keys::create_api_key).get(api_keys::list_api_keys),
        )
        .route("/me/api-keys/{id}", delete(api_keys::revoke_api_key))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/me/policies", get(policies::mine))
        .route("/me/policies/accept", post(policies::accept))
        .route("/policies", get(policies::overview))
        .route("/policies/{kind}", get(policies::document))
        .route("/me/email/confirm", post(account::confirm_email_change))
        .route("/tokens", get(auth::tokens))
        .route("/styles", get(jobs::styles))
        .route(
            "/uploads/{id}",
            get(media::get_upload).delete(media::delete_upload),
        )
        .route("/jobs", post(jobs::create_job).get(jobs::list_jobs))
        .route("/results", get(media::list_results))
        .route("/jobs/{id}", get(jobs::get_job))
        .route("/jobs/{id}/cancel", post(jobs::cancel_job))
        .route(
            "/results/{id}",
            get(media::get_result).delete(media::delete_result),
        )
        .route("/results/{id}/download", get(media::download_result))
        .route(
            "/results/{id}/save",
            post(media::save_result).delete(media::unsave_result),
        )
        .route("/packs", get(payments::packs))
        .route(
            "/purchases",
            post(payments::create_purchase).get(payments::list_purchases),
        )
        .route("/plans", get(plans::plans))
        .route(
            "/subscriptions",
            post(plans::create_subscription).get(plans::list_subscriptions),
        )
        .route(
            "/subscriptions/{id}/cancel",
            post(plans::cancel_subscription),
        )
        .route("/reports", post(reports::create_report))
        .route("/admin/purchases", get(payments::admin_purchases))
        .route("/admin/audit", get(privacy::admin_audit))
        .layer(DefaultBodyLimit::max(config.server.max_body_bytes))
        .merge(limited)
        .merge(uploads)
        .fallback(|| async { ApiError::not_found() });
    Router::new()
        .nest("/api/v1", api)
        .merge(crate::web::routes(&state))
        // Authenticated by its signature over the raw body: no session, no CSRF check.
        .route(
            "/stripe/webhook",
            post(payments::stripe_webhook).layer(DefaultBodyLimit::max(
                config
                    .server
                    .max_body_bytes
                    .max(payments::WEBHOOK_BODY_BYTES),
            )),
        )
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(crate::web::admin::fallback)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            action_limits::limit_actions,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::web::admin::hide_from_non_admins,
        ))
        .layer(middleware::from_fn(error_language::localize_errors))
        .layer(middleware::from_fn_with_state(state.clone(), ops::observe))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// How long a graceful shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests;
