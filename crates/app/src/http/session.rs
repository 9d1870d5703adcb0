//! Who is calling: a session token or an API key (`atl_…`) from `Authorization: Bearer …`,
//! or the session cookie, checked against the store. Requests an API key authenticates count
//! against that key's rate limit. Cookie-authenticated writes must come from our own origin
//! (CSRF): browsers send `Sec-Fetch-Site`/`Origin`, which a cross-site form cannot forge.

use std::sync::{Arc, OnceLock};

use axum::extract::{FromRequestParts, OptionalFromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};

use super::policies::{ACCEPTANCE_REQUIRED, open_without_acceptance};
use super::{ApiError, AppState};
use crate::accounts::looks_like_api_key;
use crate::domain::{ApiKeyId, UserId, UserScope};

pub const COOKIE_PLAIN: &str = "atelier_session";
/// Over TLS the `__Host-` prefix pins the cookie to this exact host, path `/`, `Secure`.
pub const COOKIE_TLS: &str = "__Host-atelier_session";

/// The authenticated caller of a request.
#[derive(Clone, Copy)]
pub struct Caller {
    pub scope: UserScope,
    /// The API key that authenticated the request; `None` for a session.
    pub api_key: Option<ApiKeyId>,
}

/// Put in a request's extensions by a middleware that already authenticated its caller (and
/// passed the policy gate), so the handler's extractor does not authenticate it again.
#[derive(Clone, Copy)]
pub(crate) struct Authenticated(pub Caller);

/// Filled by the caller extractor so the access log can record who made the request.
#[derive(Clone, Default)]
pub struct AccessUser(pub Arc<OnceLock<UserId>>);

pub fn cookie_name(tls: bool) -> &'static str {
    if tls { COOKIE_TLS } else { COOKIE_PLAIN }
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie(headers: &HeaderMap, tls: bool) -> Option<String> {
    let wanted = cookie_name(tls);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.to_owned())
}

pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Whether a cookie-authenticated request may change state.
pub(crate) fn same_origin(parts: &Parts) -> bool {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    let header_text = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header_text("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match (header_text("origin"), header_text("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest == host),
        (Some(_), None) => false,
        // Non-browser clients send neither; browsers always send one of them on a POST.
        (None, _) => true,
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(Authenticated(caller)) = parts.extensions.get::<Authenticated>() {
            return Ok(*caller);
        }
        let tls = state.services.config.server.tls;
        let (token, from_cookie) = match bearer(&parts.headers) {
            Some(token) => (token, false),
            None => (
                session_cookie(&parts.headers, tls).ok_or_else(ApiError::unauthenticated)?,
                true,
            ),
        };
        if from_cookie && !same_origin(parts) {
            return Err(ApiError::client(
                axum::http::StatusCode::FORBIDDEN,
                "cross-site-request",
                "this request must come from the Atelier site itself",
            ));
        }
        let accounts = &state.services.accounts;
        let (scope, api_key) = if looks_like_api_key(&token) {
            let (scope, key) = accounts.authenticate_api_key(&token).await?;
            if let Some(wait) = state.key_limiter.check(&key, super::limit::now_ms()).await {
                return Err(ApiError::RateLimited(wait));
            }
            (scope, Some(key))
        } else {
            (accounts.authenticate(&token).await?, None)
        };
        if let Some(slot) = parts.extensions.get::<AccessUser>() {
            let _ = slot.0.set(scope.user_id());
        }
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path(), |original| original.0.path());
        if !open_without_acceptance(path)
            && !state.services.policies.pending(scope).await?.is_empty()
        {
            return Err(ApiError::client(
                axum::http::StatusCode::FORBIDDEN,
                ACCEPTANCE_REQUIRED,
                "the privacy policy or terms have changed: accept them first \
                 (GET /api/v1/me/policies, POST /api/v1/me/policies/accept)",
            ));
        }
        Ok(Caller { scope, api_key })
    }
}

/// Pages show a signed-out view instead of failing: a missing or stale session is `None`.
impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <Caller as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(caller) => Ok(Some(caller)),
            // Signed in but held at the policy gate: the page must say so, not look signed out.
            Err(
                gate @ ApiError::Client {
                    code: ACCEPTANCE_REQUIRED,
                    ..
                },
            ) => Err(gate),
            Err(ApiError::Client { .. }) => Ok(None),
            Err(internal) => Err(internal),
        }
    }
}

/// An admin caller. Anyone else is refused with 404 (admin routes are not shown to exist);
/// the gate in `web::admin` already answers that for every admin path, this is the handler's
/// own check.
pub struct AdminCaller(pub Caller);

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match <Caller as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
            .await?
        {
            Some(caller) if caller.scope.role() == crate::domain::Role::Admin => {
                Ok(AdminCaller(caller))
            }
            _ => Err(ApiError::not_found()),
        }
    }
}
