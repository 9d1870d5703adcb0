//! The privacy policy and terms as pages: `/policies/{kind}` (the version in force),
//! `/policies/{kind}/{version}` (any version), and `/policies/accept`, where a signed-in user
//! lands while a version in force awaits their acceptance.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::format::iso_day;
use super::pages::{NavUser, nav_user};
use super::render;
use crate::domain::{PolicyId, Timestamp};
use crate::http::{AppState, Caller, PolicyGate};
use crate::i18n::Tr;
use crate::policies::{PolicyError, in_force, render_markdown};
use crate::store::{AcceptanceSource, PolicyKind, PolicyVersion};

/// Sends a page refused at the policy gate to the accept page, coming back afterwards.
pub async fn send_to_accept_page(request: Request, next: Next) -> Response {
    let back = if request.method() == axum::http::Method::GET {
        request
            .uri()
            .path_and_query()
            .map_or("/".to_owned(), |p| p.as_str().to_owned())
    } else {
        "/".to_owned()
    };
    let response = next.run(request).await;
    if response.extensions().get::<PolicyGate>().is_none() {
        return response;
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("next", &back)
        .finish();
    Redirect::to(&format!("/policies/accept?{query}")).into_response()
}

/// Only a path on this site, never `//host` or an absolute URL.
fn local_path(next: Option<&str>) -> String {
    next.and_then(super::lang::local_path)
        .unwrap_or("/")
        .to_owned()
}

struct VersionLine {
    version: u32,
    url: String,
    state: String,
    /// The day it takes effect in the reader's language, and as an ISO day for `<time>`.
    effective: String,
    effective_iso: String,
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    tr: Tr,
    user: Option<NavUser>,
    title: String,
    status: String,
    body_html: String,
    /// A later version already announced: (line, link).
    upcoming: Option<(String, String)>,
    versions: Vec<VersionLine>,
}

/// `/policies/{kind}`: the version in force.
pub async fn current(
    state: State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Path(kind): Path<String>,
) -> Response {
    show(state, headers, caller, kind, None).await
}

/// `/policies/{kind}/{version}`.
pub async fn numbered(
    state: State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Path((kind, version)): Path<(String, u32)>,
) -> Response {
    show(state, headers, caller, kind, Some(version)).await
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    kind: String,
    number: Option<u32>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let Some(kind) = PolicyKind::parse(&kind) else {
        return super::error_pages::not_found(&state, &headers, caller).await;
    };
    let now = Timestamp::now();
    let policies = &state.services.policies;
    let (shown, all) = match (
        policies.version(kind, number, now).await,
        policies.versions(kind).await,
    ) {
        (Ok(shown), Ok(all)) => (shown, all),
        (Err(PolicyError::NotFound), _) => {
            return super::error_pages::not_found(&state, &headers, caller).await;
        }
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "policy page");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let in_force = in_force(&all, now).first().map(|v| v.version);
    let state_of = |v: &PolicyVersion| {
        let key = if v.effective_at > now {
            "policy-state-upcoming"
        } else if Some(v.version) == in_force {
            "policy-state-current"
        } else {
            "policy-state-superseded"
        };
        tr.t(key)
    };
    let upcoming = all
        .iter()
        .filter(|v| v.effective_at > now && v.version != shown.version)
        .min_by_key(|v| v.effective_at)
        .map(|v| {
            (
                tr.tn(
                    "policy-upcoming",
                    vec![
                        ("version", v.version.into()),
                        ("date", tr.date(v.effective_at).into()),
                    ],
                ),
                format!("/policies/{}/{}", kind.as_str(), v.version),
            )
        });
    let status = tr.tn(
        "policy-status",
        vec![
            ("version", shown.version.into()),
            ("state", state_of(&shown).into()),
            ("date", tr.date(shown.effective_at).into()),
        ],
    );
    let versions = all
        .iter()
        .map(|v| VersionLine {
            version: v.version,
            url: format!("/policies/{}/{}", kind.as_str(), v.version),
            state: state_of(v),
            effective: tr.date(v.effective_at),
            effective_iso: iso_day(v.effective_at),
        })
        .collect();
    let page = PolicyPage {
        user: nav_user(&state, caller).await,
        title: shown.title.clone(),
        status,
        body_html: render_markdown(&shown.body),
        upcoming,
        versions,
        tr,
    };
    render(StatusCode::OK, &page)
}

struct PendingLine {
    id: PolicyId,
    title: String,
    line: String,
    summary: String,
    url: String,
}

#[derive(Template)]
#[template(path = "policy_accept.html")]
struct AcceptPage {
    tr: Tr,
    user: Option<NavUser>,
    pending: Vec<PendingLine>,
    next: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /policies/accept`: the versions in force the user has yet to accept.
pub async fn accept_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Query(query): Query<NextQuery>,
) -> Response {
    let next = local_path(query.next.as_deref());
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let tr = Tr::from_headers(&headers);
    let pending = match state.services.policies.pending(caller.scope).await {
        Ok(pending) => pending,
        Err(e) => {
            tracing::error!(error = %e, "pending policies");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if pending.is_empty() {
        return Redirect::to(&next).into_response();
    }
    let pending = pending
        .into_iter()
        .map(|v| PendingLine {
            id: v.id,
            line: tr.tn(
                "policy-accept-line",
                vec![
                    ("version", v.version.into()),
                    ("date", tr.date(v.effective_at).into()),
                ],
            ),
            url: format!("/policies/{}/{}", v.kind.as_str(), v.version),
            title: v.title,
            summary: v.summary,
        })
        .collect();
    let page = AcceptPage {
        user: nav_user(&state, Some(caller)).await,
        pending,
        next,
        tr,
    };
    render(StatusCode::OK, &page)
}

/// `POST /policies/accept`: form fields `policy` (one per version shown) and `next`.
pub async fn accept(
    State(state): State<AppState>,
    caller: Option<Caller>,
    body: Bytes,
) -> Response {
    let Some(caller) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let mut ids = Vec::new();
    let mut next = None;
    for (name, value) in form_urlencoded::parse(&body) {
        match name.as_ref() {
            "policy" => match value.parse::<PolicyId>() {
                Ok(id) if ids.len() < 16 => ids.push(id),
                _ => return (StatusCode::BAD_REQUEST, "bad policy id").into_response(),
            },
            "next" => next = Some(value.into_owned()),
            _ => {}
        }
    }
    let next = local_path(next.as_deref());
    match state
        .services
        .policies
        .accept(caller.scope, &ids, AcceptanceSource::Web)
        .await
    {
        Ok(pending) if pending.is_empty() => Redirect::to(&next).into_response(),
        // A version came into force while the page was open: show the page again.
        Ok(_) => {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &next)
                .finish();
            Redirect::to(&format!("/policies/accept?{query}")).into_response()
        }
        Err(PolicyError::NotFound) => (StatusCode::BAD_REQUEST, "unknown policy").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "accept policies");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed_after_accepting() {
        assert_eq!(local_path(Some("/studio?x=1")), "/studio?x=1");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
