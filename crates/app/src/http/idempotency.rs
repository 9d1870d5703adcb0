//! `Idempotency-Key` on `POST /jobs` and `POST /uploads`: a repeat within 24 hours
//! by the same user gets the first reply (status and body) and never spends twice.
//!
//! The key is claimed in a transaction *before* the work (one row per user and key), so of
//! ten concurrent identical requests one does the work; the others wait for its reply (then
//! replay it) or, after [`WAIT`], get 409 `idempotency-in-progress`. A repeat whose content
//! differs is 422 `idempotency-key-reused`. Replies of our own failures (5xx) are not kept:
//! the claim is released so a retry may do the work.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{ApiError, AppState};
use crate::domain::{Timestamp, UserScope};
use crate::store::IdempotencyClaim;
use crate::sweeper::IDEMPOTENCY_TTL;

pub const HEADER: &str = "idempotency-key";
/// A claim still pending after this long belongs to a request that died: it may be retaken.
const ABANDONED_AFTER: Duration = Duration::from_secs(600);
/// How long a concurrent repeat waits for the first request's reply before 409.
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(25);
const MAX_KEY_CHARS: usize = 255;

/// The request's key: `None` without the header; 400 `invalid-idempotency-key` unless it is
/// 1 to 255 visible ASCII characters.
pub fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| {
            (1..=MAX_KEY_CHARS).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
        })
        .ok_or_else(|| {
            ApiError::client(
                StatusCode::BAD_REQUEST,
                "invalid-idempotency-key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is ideal)",
            )
        })?;
    Ok(Some(key.to_owned()))
}

/// What makes two requests "the same": the route and the content that matters (the photo's
/// bytes, the JSON body with its keys sorted).
pub fn fingerprint(route: &str, content: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(route.as_bytes());
    hash.update([0]);
    hash.update(content);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON with every object's keys sorted, so key order does not change a fingerprint.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_vec(&sorted(value)).unwrap_or_default()
}

fn reused() -> ApiError {
    ApiError::client(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency-key-reused",
        "this Idempotency-Key was used for a different request; use a new key",
    )
}

fn replay(status: u16, body: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_owned(),
    )
        .into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// Runs `work` once per (user, key): without a key, simply runs it.
pub async fn once<F>(
    state: &AppState,
    scope: UserScope,
    key: Option<String>,
    fingerprint: String,
    work: F,
) -> Result<Response, ApiError>
where
    F: Future<Output = Result<(StatusCode, Value), ApiError>>,
{
    let Some(key) = key else {
        let (status, body) = work.await?;
        return Ok((status, Json(body)).into_response());
    };
    let store = &state.services.store;
    let started = std::time::Instant::now();
    loop {
        let now = Timestamp::now();
        let claim = store
            .claim_idempotency_key(
                scope,
                &key,
                &fingerprint,
                now,
                now.minus(IDEMPOTENCY_TTL),
                now.minus(ABANDONED_AFTER),
            )
            .await?;
        match claim {
            IdempotencyClaim::Claimed => break,
            IdempotencyClaim::Done {
                fingerprint: first, ..
            }
            | IdempotencyClaim::InProgress { fingerprint: first }
                if first != fingerprint =>
            {
                return Err(reused());
            }
            IdempotencyClaim::Done { status, body, .. } => return Ok(replay(status, &body)),
            IdempotencyClaim::InProgress { .. } if started.elapsed() < WAIT => {
                tokio::time::sleep(POLL).await;
            }
            IdempotencyClaim::InProgress { .. } => {
                return Err(ApiError::client(
                    StatusCode::CONFLICT,
                    "idempotency-in-progress",
                    "a request with this Idempotency-Key is still being processed; retry soon",
                ));
            }
        }
    }
    // A refusal is stored and replayed as first given (in English); the fresh answer keeps
    // its code and placeables so it is still put in the reader's language.
    let (status, body, refusal) = match work.await {
        Ok((status, body)) => (status, body, None),
        Err(ApiError::Client {
            status,
            code,
            message,
            args,
            ..
        }) => (
            status,
            serde_json::json!({"error": {"code": code, "message": message}}),
            Some(super::error_language::ErrorMessage { code, args }),
        ),
        Err(ours) => {
            if let Err(e) = store.release_idempotency_key(scope, &key).await {
                tracing::warn!(error = %e, "could not release an idempotency key");
            }
            return Err(ours);
        }
    };
    let text = body.to_string();
    if let Err(e) = store
        .finish_idempotency_key(scope, &key, status.as_u16(), &text)
        .await
    {
        // The work is done; the claim stays pending until abandoned, so repeats get 409
        // rather than a second run.
        tracing::warn!(error = %e, "could not record an idempotent reply");
    }
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], text).into_response();
    if let Some(refusal) = refusal {
        response.extensions_mut().insert(refusal);
    }
    Ok(response)
}
