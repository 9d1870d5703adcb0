//! The page for a form refused by a rate limit: 429 with `Retry-After`, saying in the
//! reader's language how long to wait (the API answers `rate-limited` JSON instead).

use std::time::Duration;

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::pages::NavUser;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "rate_limited.html")]
struct LimitedPage {
    tr: Tr,
    user: Option<NavUser>,
    seconds: u64,
}

/// 429, `Retry-After` in whole seconds (at least 1), and the page.
pub fn rate_limited_page(headers: &HeaderMap, wait: Duration) -> Response {
    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let page = LimitedPage {
        tr: Tr::from_headers(headers),
        user: None,
        seconds,
    };
    let mut response = super::render(StatusCode::TOO_MANY_REQUESTS, &page);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}
