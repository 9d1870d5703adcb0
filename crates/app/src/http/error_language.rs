//! JSON API error messages in the reader's language: the `message` of
//! `{"error":{"code","message"}}` becomes `api-error-<code>` from `locales/*/api.ftl`, with
//! the error's placeables, for readers of Japanese or Korean (the switcher's cookie, else
//! `Accept-Language`). English readers keep the message written where the error arose, which
//! is often more precise (the JSON field at fault). The `code` and the body's shape never
//! change (the interface contract, docs/architecture.md).
//!
//! One middleware around the whole router does it, so no handler needs the request's
//! language: `ApiError::into_response` leaves an `ErrorMessage` in the response's extensions.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use fluent_templates::fluent_bundle::FluentValue;

use crate::i18n::Tr;

/// What an error response says, for translation: its code and the message's placeables.
#[derive(Clone, Debug)]
pub(crate) struct ErrorMessage {
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl ErrorMessage {
    /// `api-error-<code>` in `tr`'s language; `None` for a code without a message.
    pub(crate) fn localized(&self, tr: &Tr) -> Option<String> {
        let args = self
            .args
            .iter()
            .map(|(name, value)| (*name, FluentValue::from(value.clone())))
            .collect();
        tr.try_tn(&format!("api-error-{}", self.code), args)
    }
}

/// Rewrites the message of an error answer in the reader's language, keeping its status,
/// headers (`Retry-After`, `Content-Range`, …) and code.
pub async fn localize_errors(request: Request, next: Next) -> Response {
    let tr = Tr::from_headers(request.headers());
    let response = next.run(request).await;
    if tr.language() == "en" {
        return response;
    }
    let Some(error) = response.extensions().get::<ErrorMessage>() else {
        return response;
    };
    let Some(message) = error.localized(&tr) else {
        return response;
    };
    let body = serde_json::json!({ "error": { "code": error.code, "message": message } });
    let (mut parts, _english) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body.to_string()))
}
