//! The admin console's common ground (C10): one gate in front of every admin route, pages and
//! API alike, and the console's navigation.
//!
//! Admin routes do not exist for anyone but an admin: a signed-out visitor or a plain user
//! gets the same 404 as for a path that was never there, so the console cannot be found by
//! probing. Handlers behind the gate still take a `Caller` and check the role again.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::Role;
use crate::http::session::Authenticated;
use crate::http::{ApiError, AppState, Caller};

/// Whether `path` belongs to the admin console or the admin API.
pub fn is_admin_path(path: &str) -> bool {
    ["/admin", "/api/v1/admin"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Middleware: answers 404 on every admin path unless the caller is an admin.
pub async fn hide_from_non_admins(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !is_admin_path(request.uri().path()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let caller = <Caller as axum::extract::OptionalFromRequestParts<AppState>>::from_request_parts(
        &mut parts, &state,
    )
    .await;
    if let Ok(Some(admin)) = &caller
        && admin.scope.role() == Role::Admin
    {
        // The handler's own `AdminCaller` reads this instead of authenticating again.
        parts.extensions.insert(Authenticated(*admin));
        return next.run(Request::from_parts(parts, body)).await;
    }
    if parts.uri.path().starts_with("/api/") {
        return ApiError::not_found().into_response();
    }
    super::error_pages::not_found(&state, &parts.headers, caller.ok().flatten()).await
}

/// The page for a path that does not exist (or that the reader may not know exists).
pub fn not_found_page(headers: &HeaderMap) -> Response {
    super::error_pages::not_found_without_nav(headers)
}

/// The web fallback: unknown paths get the localized 404 page.
pub async fn fallback(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    super::error_pages::not_found(&state, &headers, caller).await
}

#[cfg(test)]
mod tests {
    use super::is_admin_path;

    #[test]
    fn admin_paths_are_the_console_and_the_admin_api_only() {
        for path in ["/admin", "/admin/", "/admin/users/1", "/api/v1/admin/audit"] {
            assert!(is_admin_path(path), "{path}");
        }
        for path in ["/administrator", "/api/v1/administer", "/", "/account"] {
            assert!(!is_admin_path(path), "{path}");
        }
    }
}
