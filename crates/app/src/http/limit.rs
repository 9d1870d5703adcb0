//! Per-IP rate limit for the sign-up, sign-in and reset routes (C9): a fixed one-minute
//! window per address, in memory. Per-account throttling of failed sign-ins lives in
//! `accounts`; this one stops one address from hammering many accounts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};

const WINDOW: Duration = Duration::from_secs(60);
/// Beyond this many tracked addresses, stale windows are dropped to bound memory.
const MAX_TRACKED: usize = 10_000;

pub struct RateLimiter {
    per_window: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    /// `per_minute = 0` disables the limit.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_window: per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request from `ip`; `false` when it is over the limit.
    pub fn allow(&self, ip: IpAddr, now: Instant) -> bool {
        if self.per_window == 0 {
            return true;
        }
        let Ok(mut windows) = self.windows.lock() else {
            return true;
        };
        if windows.len() >= MAX_TRACKED {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_window
    }
}

/// Refuses with 429 once the caller's address used up its window. Requests without a known
/// peer address (in-process tests) are not limited.
pub async fn limit_by_ip(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let ip = super::client_ip::client_ip(&request, &state.services.config.server.trusted_proxies);
    if ip.is_some_and(|ip| !state.limiter.allow(ip, Instant::now())) {
        let error = ApiError::client(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "too many requests; wait a minute",
        );
        return error.into_response();
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
}
