//! Cursor pagination of the API's lists: `?limit=1..200&cursor=…`. The bodies stay bare JSON arrays
//! (the interface contract, docs/architecture.md); where another page follows, the answer carries
//! `Link: </api/v1/…?limit=N&cursor=…>; rel="next"`.

use axum::extract::{OriginalUri, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::ApiError;
use crate::store::{Cursor, Page, PageRequest};

/// The page size when `limit` is not given, and the largest one may ask for.
pub const MAX_LIMIT: u32 = 200;

/// `?limit=&cursor=` as documented in the OpenAPI document.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the query; parsing is by hand, so bad values get our codes
pub struct PageParams {
    /// Items per page, 1 to 200 (default 200).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// Where to continue: the `cursor` of the previous answer's `Link: <…>; rel="next"`.
    cursor: Option<String>,
}

/// The page a request asks for; bad values are 400 `invalid-limit` / `invalid-cursor`.
pub fn page_request(query: &Query<Vec<(String, String)>>) -> Result<PageRequest, ApiError> {
    let mut page = PageRequest::first(MAX_LIMIT);
    for (name, value) in &query.0 {
        match name.as_str() {
            "limit" => {
                page.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ApiError::client(
                            StatusCode::BAD_REQUEST,
                            "invalid-limit",
                            "limit must be a whole number from 1 to 200",
                        )
                    })?;
            }
            "cursor" => {
                page.after = Some(Cursor::decode(value).ok_or_else(|| {
                    ApiError::client(
                        StatusCode::BAD_REQUEST,
                        "invalid-cursor",
                        "cursor must be one this API gave in a Link header",
                    )
                })?);
            }
            _ => {}
        }
    }
    Ok(page)
}

/// The page as a JSON array, with a `Link` to the next one if there is more.
pub fn page_response<T: Serialize>(
    uri: &OriginalUri,
    request: &PageRequest,
    page: Page<T>,
) -> Response {
    let mut response = axum::Json(page.items).into_response();
    if let Some(next) = page.next {
        let link = format!(
            "<{}?limit={}&cursor={}>; rel=\"next\"",
            uri.0.path(),
            request.limit,
            next.encode()
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}
