//! The language switcher (C10): `GET /lang/{code}?next=/path` remembers the choice in the
//! `atelier_lang` cookie for a year and sends the browser back to a path on this site.
//!
//! Cookie only: it never writes the account (a signed-in user's stored language belongs to
//! the accounts layer), and it never redirects off-site, whatever `next` or `Referer` say.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::http::AppState;
use crate::i18n::{LANG_COOKIE, Tr};

/// How long the choice is remembered.
const ONE_YEAR_SECS: u64 = 365 * 24 * 60 * 60;

#[derive(Deserialize)]
pub struct SwitchQuery {
    next: Option<String>,
}

pub async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<SwitchQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(tr) = Tr::for_tag(&code) else {
        return super::admin::not_found_page(&headers);
    };
    let back = query
        .next
        .as_deref()
        .and_then(local_path)
        .map(str::to_owned)
        .or_else(|| same_site_referer(&headers))
        .unwrap_or_else(|| "/".to_owned());
    let secure = if state.services.config.server.tls {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age={ONE_YEAR_SECS}; SameSite=Lax; HttpOnly{secure}",
        tr.lang()
    );
    match HeaderValue::from_str(&cookie) {
        Ok(cookie) => ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "language cookie");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `next` if it is a path on this site: starts with one `/`, no `//host`, no backslash
/// (browsers read `/\host` as `//host`), nothing a `Location` header cannot carry.
pub(super) fn local_path(next: &str) -> Option<&str> {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.len() <= 2048
        && next.bytes().all(|b| b.is_ascii_graphic());
    local.then_some(next)
}

/// The path and query of `Referer` when it points at this host: the page the switcher was
/// pressed on, for links that carry no `next`.
fn same_site_referer(headers: &HeaderMap) -> Option<String> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let host = text(header::HOST)?;
    let referer = url::Url::parse(text(header::REFERER)?).ok()?;
    let referer_host = match (referer.host_str(), referer.port()) {
        (Some(name), Some(port)) => format!("{name}:{port}"),
        (Some(name), None) => name.to_owned(),
        _ => return None,
    };
    if !referer_host.eq_ignore_ascii_case(host) {
        return None;
    }
    let path = match referer.query() {
        Some(query) => format!("{}?{query}", referer.path()),
        None => referer.path().to_owned(),
    };
    local_path(&path).map(str::to_owned)
}
