//! Conditional and partial downloads: `If-None-Match` → 304, `Range` → 206 with
//! `Content-Range`, 416 for a range past the end. One range per request: a multi-range
//! request is answered whole (RFC 9110 lets a server ignore `Range`).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// Whether `If-None-Match` names `tag` (weak comparison) or is `*`.
pub fn none_match(headers: &HeaderMap, tag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == bare(tag))
}

pub fn not_modified(tag: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(value) = HeaderValue::from_str(tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// A byte range asked for, resolved against the size: `Ok(None)` means "send it all".
fn requested_range(headers: &HeaderMap, tag: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    // If-Range with another validator: the representation changed, send it whole.
    if let Some(if_range) = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok())
        && if_range.trim() != tag
    {
        return Ok(None);
    }
    let Some(spec) = range.trim().strip_prefix("bytes=") else {
        return Ok(None); // another unit: ignored
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    // A malformed range is ignored (the whole file is sent), as RFC 9110 asks.
    let number = |text: &str| text.trim().parse::<u64>().ok();
    let parsed = match (number(start), number(end)) {
        // bytes=-N: the last N bytes.
        (None, Some(suffix)) if start.trim().is_empty() => {
            if suffix == 0 {
                return Err(());
            }
            (len.saturating_sub(suffix), len.checked_sub(1).ok_or(())?)
        }
        (Some(s), None) if end.trim().is_empty() => (s, len.saturating_sub(1)),
        (Some(s), Some(e)) if s <= e => (s, e.min(len.saturating_sub(1))),
        _ => return Ok(None),
    };
    if parsed.0 >= len {
        return Err(());
    }
    Ok(Some(parsed))
}

/// The whole body (200) or the range asked for (206), or 416; with `ETag` and
/// `Accept-Ranges`.
pub fn serve(headers: &HeaderMap, tag: &str, bytes: Vec<u8>) -> Response {
    let len = bytes.len() as u64;
    let mut response = match requested_range(headers, tag, len) {
        Ok(None) => (StatusCode::OK, Body::from(bytes)).into_response(),
        Ok(Some((start, end))) => {
            let (from, to) = (
                usize::try_from(start).unwrap_or(usize::MAX),
                usize::try_from(end).unwrap_or(usize::MAX),
            );
            let part = bytes.get(from..=to).map(<[u8]>::to_vec).unwrap_or_default();
            let mut response = (StatusCode::PARTIAL_CONTENT, Body::from(part)).into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            response
        }
        Err(()) => {
            let mut response = ApiError::client(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range-not-satisfiable",
                format!("the range is outside the {len} bytes of this file"),
            )
            .with_arg("length", len)
            .into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return response;
        }
    };
    let out = response.headers_mut();
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(value) = HeaderValue::from_str(tag) {
        out.insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn ranges_resolve_against_the_size() {
        let tag = "\"t\"";
        assert_eq!(
            requested_range(&range("bytes=0-9"), tag, 100),
            Ok(Some((0, 9)))
        );
        assert_eq!(
            requested_range(&range("bytes=90-"), tag, 100),
            Ok(Some((90, 99)))
        );
        assert_eq!(
            requested_range(&range("bytes=-10"), tag, 100),
            Ok(Some((90, 99)))
        );
        assert_eq!(
            requested_range(&range("bytes=95-200"), tag, 100),
            Ok(Some((95, 99)))
        );
        assert_eq!(requested_range(&range("bytes=100-"), tag, 100), Err(()));
        assert_eq!(requested_range(&range("bytes=-0"), tag, 100), Err(()));
        assert_eq!(requested_range(&range("bytes=0-1,5-6"), tag, 100), Ok(None));
        assert_eq!(requested_range(&range("items=0-1"), tag, 100), Ok(None));
        assert_eq!(requested_range(&range("bytes=x-1"), tag, 100), Ok(None));
        assert_eq!(requested_range(&range("bytes=5-1"), tag, 100), Ok(None));
    }

    #[test]
    fn a_stale_if_range_gets_the_whole_file() {
        let mut headers = range("bytes=0-9");
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"old\""));

        assert_eq!(requested_range(&headers, "\"new\"", 100), Ok(None));
    }
}
