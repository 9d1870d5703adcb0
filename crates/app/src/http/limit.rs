//! Rate limits in fixed one-minute windows, in memory: per IP for the sign-up, sign-in and
//! reset routes (C9), so one address cannot hammer many accounts, and per API key for every
//! request a key authenticates (issue 9). Per-account throttling of failed sign-ins lives in
//! `accounts`. Refusals are 429 `rate-limited` with `Retry-After` (seconds).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};

const WINDOW: Duration = Duration::from_secs(60);
/// Beyond this many tracked addresses, stale windows are dropped to bound memory.
const MAX_TRACKED: usize = 10_000;

/// Counts requests per key (an IP address, an API key) in one-minute windows.
pub struct RateLimiter<K = IpAddr> {
    per_window: u32,
    windows: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// `per_minute = 0` disables the limit.
    pub fn new(per_minute: u32) -> RateLimiter<K> {
        RateLimiter {
            per_window: per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request for `key`; `false` when it is over the limit.
    #[cfg(test)]
    pub fn allow(&self, key: K, now: Instant) -> bool {
        self.check(key, now).is_none()
    }

    /// Counts a request for `key`; over the limit, how long until its window ends.
    pub fn check(&self, key: K, now: Instant) -> Option<Duration> {
        if self.per_window == 0 {
            return None;
        }
        let Ok(mut windows) = self.windows.lock() else {
            return None;
        };
        if windows.len() >= MAX_TRACKED {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        (entry.1 > self.per_window).then(|| WINDOW.saturating_sub(now.duration_since(entry.0)))
    }
}

/// 429 `rate-limited` with `Retry-After` in whole seconds (at least 1).
pub fn too_many_requests(retry_after: Duration) -> Response {
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    let mut response = ApiError::client(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        format!("too many requests; retry in {} s", seconds.max(1)),
    )
    .with_arg("seconds", seconds.max(1))
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    response
}

/// Refuses with 429 once the caller's address used up its window. Requests without a known
/// peer address (in-process tests) are not limited.
pub async fn limit_by_ip(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let ip = super::client_ip::client_ip(&request, &state.services.config.server.trusted_proxies);
    if let Some(wait) = ip.and_then(|ip| state.limiter.check(ip, Instant::now())) {
        // The form twins (`/signin`, …) get the page in the reader's language. Under the
        // `/api/v1` nest the URI has lost its prefix; the original still has it.
        let path = request
            .extensions()
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| request.uri().path(), |original| original.0.path());
        return super::action_limits::refusal(path, request.headers(), wait);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_limited_within_a_window_and_free_after_it() {
        let limiter = RateLimiter::new(2);
        let (ip, other) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let start = Instant::now();

        let first_two = limiter.allow(ip, start) && limiter.allow(ip, start);
        let third = limiter.allow(ip, start);
        let other_ip = limiter.allow(other, start);
        let next_window = limiter.allow(ip, start + WINDOW);

        assert!(first_two);
        assert!(!third);
        assert!(other_ip);
        assert!(next_window);
    }

    #[test]
    fn a_refusal_says_how_long_until_the_window_ends() {
        let limiter = RateLimiter::new(1);
        let start = Instant::now();

        let first = limiter.check("key", start);
        let second = limiter.check("key", start + Duration::from_secs(20));

        assert_eq!(first, None);
        assert_eq!(second, Some(Duration::from_secs(40)));
    }
}
