//! `/admin/users`: accounts found by a part of their address, 50 to a page, and
//! `/admin/users/{id}`: one account's status, tokens (lots and ledger) and jobs, with the
//! forms of `admin_user_actions.rs`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::admin_console::{Outcome, audit};
use super::pages::{NavUser, nav_user};
use super::render;
use crate::domain::{Role, Timestamp, UserId, UserScope};
use crate::http::{AdminCaller, AppState};
use crate::i18n::Tr;
use crate::store::{AccountStatus, UserSummary};

pub(super) const PAGE_SIZE: u32 = 50;

#[derive(serde::Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: u32,
}

struct UserRow {
    id: String,
    email: String,
    role: String,
    status: String,
    balance: i64,
    created: String,
}

fn user_row(tr: &Tr, user: &UserSummary) -> UserRow {
    UserRow {
        id: user.id.to_string(),
        email: user.email.clone(),
        role: tr.t(&format!("admin-users-role-{}", user.role.as_str())),
        status: tr.t(&format!("admin-users-status-{}", user.status.as_str())),
        balance: user.balance,
        created: tr.datetime(user.created_at),
    }
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    tr: Tr,
    user: Option<NavUser>,
    query: String,
    rows: Vec<UserRow>,
    /// Links to the previous and next page, when there are such pages.
    previous: Option<String>,
    next: Option<String>,
}

fn page_link(query: &str, page: u32) -> String {
    let q: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    format!("/admin/users?q={q}&page={page}")
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Query(search): Query<Search>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    // The search text may be part of someone's address: the log keeps only the page.
    let detail = format!("search, page {}", search.page);
    if let Err(response) = audit(&state, caller.scope.user_id(), "view-users", None, detail).await {
        return response;
    }
    let query = search.q.trim().to_owned();
    let offset = search.page.saturating_mul(PAGE_SIZE);
    // One more than a page tells whether there is a next one.
    let found = state
        .services
        .store
        .find_users(&query, offset, PAGE_SIZE + 1, Timestamp::now())
        .await;
    let Ok(mut found) = found else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let more = found.len() > PAGE_SIZE as usize;
    found.truncate(PAGE_SIZE as usize);
    let page = UsersPage {
        user: nav_user(&state, Some(caller)).await,
        rows: found.iter().map(|u| user_row(&tr, u)).collect(),
        previous: (search.page > 0).then(|| page_link(&query, search.page - 1)),
        next: more.then(|| page_link(&query, search.page + 1)),
        query,
        tr,
    };
    render(StatusCode::OK, &page)
}

struct LotRow {
    quantity: i64,
    remaining: i64,
    source: String,
    expires: String,
}

struct LedgerRow {
    at: String,
    kind: String,
    amount: i64,
    job: String,
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    tr: Tr,
    user: Option<NavUser>,
    account: UserRow,
    /// Whether the account is the admin's own (no suspend or ban forms).
    is_self: bool,
    active: bool,
    lots: Vec<LotRow>,
    ledger: Vec<LedgerRow>,
    jobs: Vec<(String, i64)>,
    notice: Option<String>,
    error: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminCaller(caller): AdminCaller,
    Path(id): Path<String>,
    Query(outcome): Query<Outcome>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let Ok(id) = id.parse::<UserId>() else {
        return super::admin::not_found_page(&headers);
    };
    let admin = caller.scope.user_id();
    if let Err(response) = audit(&state, admin, "view-user", Some(id), "page".into()).await {
        return response;
    }
    let store = &state.services.store;
    let now = Timestamp::now();
    let summary = match store.user_summary(id, now).await {
        Ok(Some(summary)) => summary,
        Ok(None) => return super::admin::not_found_page(&headers),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let scope = UserScope::trusted(id, Role::User);
    let (Ok(lots), Ok(ledger), Ok(jobs)) = (
        store.lots(scope).await,
        store.ledger(scope, 50).await,
        store.job_counts_of(id).await,
    ) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let lots = lots
        .iter()
        .map(|lot| LotRow {
            quantity: lot.quantity,
            remaining: lot.remaining,
            source: lot.source.clone(),
            expires: tr.datetime(lot.expires_at),
        })
        .collect();
    let ledger = ledger
        .iter()
        .map(|entry| LedgerRow {
            at: tr.datetime(entry.created_at),
            kind: tr.t(&format!("ledger-{}", entry.kind.as_str())),
            amount: entry.amount,
            job: entry.job_id.map(|j| j.to_string()).unwrap_or_default(),
        })
        .collect();
    let jobs = jobs
        .iter()
        .map(|(status, count)| (tr.t(&format!("admin-outcome-{}", status.as_str())), *count))
        .collect();
    let (notice, error) = outcome.message(&tr);
    let page = UserPage {
        user: nav_user(&state, Some(caller)).await,
        is_self: id == admin,
        active: summary.status == AccountStatus::Active,
        account: user_row(&tr, &summary),
        lots,
        ledger,
        jobs,
        notice,
        error,
        tr,
    };
    render(StatusCode::OK, &page)
}
