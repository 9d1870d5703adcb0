//! Rate limits in one-minute windows: per IP for the sign-up, sign-in and reset routes
//! (C9), so one address cannot hammer many accounts, and per API key for every request a key
//! authenticates. Refusals are 429 `rate-limited` with `Retry-After` (seconds).
//!
//! The counts live in [`crate::throttle::Counters`]: in memory on one SQLite node, in the
//! database on PostgreSQL, so N web nodes give a client the limit once, not N times.

use std::fmt::Display;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};
pub use crate::throttle::now_ms;
use crate::throttle::{Counters, counter_name};

const WINDOW: Duration = Duration::from_secs(60);

/// Counts requests per key (an IP address, an API key) in one-minute windows.
pub struct RateLimiter<K = IpAddr> {
    kind: &'static str,
    per_window: u32,
    counters: Arc<Counters>,
    key: PhantomData<fn(&K)>,
}

impl<K: Display> RateLimiter<K> {
    /// `per_minute = 0` disables the limit. `kind` names the limit among the counters.
    pub fn new(kind: &'static str, per_minute: u32, counters: Arc<Counters>) -> RateLimiter<K> {
        RateLimiter {
            kind,
            per_window: per_minute,
            counters,
            key: PhantomData,
        }
    }

    /// Counts a request for `key` at `now` (Unix ms); over the limit, how long until its
    /// window ends.
    pub async fn check(&self, key: &K, now: i64) -> Option<Duration> {
        if self.per_window == 0 {
            return None;
        }
        let name = counter_name(self.kind, &[&key.to_string()]);
        let count = self.counters.hit(&name, now, WINDOW).await?;
        let window_ms = i64::try_from(WINDOW.as_millis()).unwrap_or(i64::MAX);
        let left = count.first_at.saturating_add(window_ms).saturating_sub(now);
        (count.hits > self.per_window)
            .then(|| Duration::from_millis(u64::try_from(left).unwrap_or(0)))
    }
}

/// A wait in whole seconds, rounded up, at least 1: what `Retry-After` says.
pub fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// 429 `rate-limited` with `Retry-After` in whole seconds (at least 1).
pub fn too_many_requests(retry_after: Duration) -> Response {
    let seconds = whole_seconds(retry_after);
    let mut response = ApiError::client(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        format!("too many requests; retry in {seconds} s"),
    )
    .with_arg("seconds", seconds)
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Refuses with 429 once the caller's address used up its window. Requests without a known
/// peer address (in-process tests) are not limited.
pub async fn limit_by_ip(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let ip = super::client_ip::client_ip(&request, &state.services.config.server.trusted_proxies);
    // The form twins (`/signin`, …) get the page in the reader's language. Under the
    // `/api/v1` nest the URI has lost its prefix; the original still has it.
    let path = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| request.uri().path(), |original| original.0.path())
        .to_owned();
    // `limits.sign_in_per_ip = 0` means no per-address limit on signing in: this count of
    // every auth route must not bring one back (the per-account throttle stays).
    let sign_in_unlimited = state.services.config.limits.sign_in_per_ip == 0
        && super::action_limits::actions_of(request.method(), &path)
            .contains(&super::action_limits::Action::SignIn);
    let wait = match ip {
        Some(ip) if !sign_in_unlimited => state.limiter.check(&ip, now_ms()).await,
        _ => None,
    };
    if let Some(wait) = wait {
        return super::action_limits::refusal(&path, request.headers(), wait);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_address_is_limited_within_a_window_and_free_after_it() {
        let limiter = RateLimiter::new("test", 2, Counters::in_memory());
        let (ip, other) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let start = 1_000_000;

        let first_two =
            limiter.check(&ip, start).await.is_none() && limiter.check(&ip, start).await.is_none();
        let third = limiter.check(&ip, start).await;
        let other_ip = limiter.check(&other, start).await;
        let next_window = limiter.check(&ip, start + 60_000).await;

        assert!(first_two);
        assert!(third.is_some());
        assert_eq!(other_ip, None);
        assert_eq!(next_window, None);
    }

    #[tokio::test]
    async fn a_refusal_says_how_long_until_the_window_ends() {
        let limiter = RateLimiter::new("test", 1, Counters::in_memory());
        let start = 1_000_000;

        let first = limiter.check(&"key", start).await;
        let second = limiter.check(&"key", start + 20_000).await;

        assert_eq!(first, None);
        assert_eq!(second, Some(Duration::from_secs(40)));
    }
}
