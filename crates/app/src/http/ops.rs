//! Operations: `/healthz`, `/readyz`, `/metrics`, and the middleware that counts, times and
//! access-logs every request (C8: time, IP, user agent, route, status).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::AppState;
use super::session::AccessUser;
use crate::domain::Timestamp;
use crate::store::AccessEntry;

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide Prometheus recorder once; later calls (tests) reuse it.
pub fn install_metrics_recorder() {
    PROMETHEUS.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).ok().map(|()| handle)
    });
}

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.services.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    if let Ok(depth) = state.services.store.queue_depth().await {
        #[allow(clippy::cast_precision_loss)] // a queue length fits an f64 exactly
        metrics::gauge!("atelier_queue_depth").set(depth as f64);
    }
    match PROMETHEUS.get().and_then(Option::as_ref) {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder not installed",
        )
            .into_response(),
    }
}

/// Counts and times each request, and writes its access-log row.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let ip = super::client_ip::client_ip(&request, &state.services.config.server.trusted_proxies)
        .map(|ip| ip.to_string());
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(512).collect::<String>());
    let user = AccessUser::default();
    request.extensions_mut().insert(user.clone());

    let response = next.run(request).await;

    let status = response.status().as_u16();
    let labels = [
        ("method", method.clone()),
        ("route", route.clone()),
        ("status", status.to_string()),
    ];
    metrics::counter!("atelier_http_requests_total", &labels).increment(1);
    metrics::histogram!("atelier_http_request_duration_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    if !matches!(route.as_str(), "/healthz" | "/readyz" | "/metrics") {
        let entry = AccessEntry {
            at: Timestamp::now(),
            ip,
            user_agent,
            method,
            route,
            status,
            user_id: user.0.get().copied(),
        };
        if let Err(e) = state.services.store.record_access(&entry).await {
            tracing::warn!(error = %e, "access log write failed");
        }
    }
    response
}
