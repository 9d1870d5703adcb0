//! Per-action rate limits (`[limits]`, C9): sign-in, sign-up, uploads, jobs and the contact
//! form, each counted per client address and per account in one-minute windows, for the JSON
//! API and the page forms alike. One middleware keyed on method and path, so a route added
//! later under a listed path (the contact form) is limited as soon as it exists.
//!
//! Per account means the signed-in user; for sign-up, the e-mail address tried; for sign-in,
//! the e-mail address tried from one client address, so a stranger hammering an account
//! does not use up its owner's attempts (the sign-in throttle in `crate::throttle` guards
//! the account over all addresses). The e-mail is read from the small JSON or form body,
//! which is then passed on untouched. The counts live in `crate::throttle::Counters` (the
//! database on PostgreSQL, so they hold across nodes). Refusals are
//! 429 with `Retry-After`: `rate-limited` JSON on the API, a page in the reader's language
//! otherwise. Requests without a known peer address (in-process tests) skip the per-address
//! count, as in `limit`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::limit::RateLimiter;
use crate::config::LimitsConfig;
use crate::throttle::Counters;

/// An action worth limiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignUp,
    Upload,
    Job,
    Contact,
}

impl Action {
    const ALL: [Action; 5] = [
        Action::SignIn,
        Action::SignUp,
        Action::Upload,
        Action::Job,
        Action::Contact,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// Names the action's counters.
    fn kinds(self) -> (&'static str, &'static str) {
        match self {
            Action::SignIn => ("sign-in-ip", "sign-in-account-ip"),
            Action::SignUp => ("sign-up-ip", "sign-up-account"),
            Action::Upload => ("upload-ip", "upload-account"),
            Action::Job => ("job-ip", "job-account"),
            Action::Contact => ("contact-ip", "contact-account"),
        }
    }

    /// Per address and per account, from the config.
    fn limits(self, config: &LimitsConfig) -> (u32, u32) {
        match self {
            Action::SignIn => (config.sign_in_per_ip, config.sign_in_per_account),
            Action::SignUp => (config.sign_up_per_ip, config.sign_up_per_account),
            Action::Upload => (config.uploads_per_ip, config.uploads_per_account),
            Action::Job => (config.jobs_per_ip, config.jobs_per_account),
            Action::Contact => (config.contact_per_ip, config.contact_per_account),
        }
    }

    /// Whose account it is counted against: the e-mail tried, or the signed-in user.
    fn keyed_by_email(self) -> bool {
        matches!(self, Action::SignIn | Action::SignUp)
    }
}

/// The actions a request performs, by method and path (the studio form uploads and starts a
/// job in one go).
pub fn actions_of(method: &Method, path: &str) -> &'static [Action] {
    if method != Method::POST {
        return &[];
    }
    match path {
        "/api/v1/auth/login" | "/signin" => &[Action::SignIn],
        "/api/v1/auth/register" | "/signup" => &[Action::SignUp],
        "/api/v1/uploads" => &[Action::Upload],
        "/api/v1/jobs" => &[Action::Job],
        "/studio" => &[Action::Upload, Action::Job],
        "/support/contact" => &[Action::Contact],
        _ => &[],
    }
}

/// One pair of counters per action.
pub struct ActionLimiters {
    per_ip: Vec<RateLimiter<IpAddr>>,
    per_account: Vec<RateLimiter<String>>,
}

impl ActionLimiters {
    pub fn new(config: &LimitsConfig, counters: Arc<Counters>) -> ActionLimiters {
        let (per_ip, per_account) = Action::ALL
            .iter()
            .map(|action| {
                let (ip, account) = action.limits(config);
                let (ip_kind, account_kind) = action.kinds();
                (
                    RateLimiter::new(ip_kind, ip, counters.clone()),
                    RateLimiter::new(account_kind, account, counters.clone()),
                )
            })
            .unzip();
        ActionLimiters {
            per_ip,
            per_account,
        }
    }

    /// Counts `action` for the address and the account at `now` (Unix ms); over either
    /// limit, how long to wait.
    pub async fn check(
        &self,
        action: Action,
        ip: Option<IpAddr>,
        account: Option<&str>,
        now: i64,
    ) -> Option<Duration> {
        let by_ip = match (ip, self.per_ip.get(action.index())) {
            (Some(ip), Some(limiter)) => limiter.check(&ip, now).await,
            _ => None,
        };
        let by_account = match (account, self.per_account.get(action.index())) {
            // Sign-in attempts count per account *from this address*: see the module docs.
            (Some(account), Some(limiter)) if action == Action::SignIn => {
                let from = ip.map(|ip| ip.to_string()).unwrap_or_default();
                limiter.check(&format!("{account} {from}"), now).await
            }
            (Some(account), Some(limiter)) => limiter.check(&account.to_owned(), now).await,
            _ => None,
        };
        by_ip.max(by_account)
    }
}

/// The e-mail address in a sign-in or sign-up body (JSON or form), lower-cased.
fn email_in(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let email = if is_json {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        value.get("email")?.as_str()?.to_owned()
    } else {
        url::form_urlencoded::parse(body)
            .find(|(name, _)| name == "email")
            .map(|(_, value)| value.into_owned())?
    };
    let email = email.trim().to_lowercase();
    (!email.is_empty()).then_some(email)
}

/// The signed-in user behind the request's session or API key, without counting the request
/// against the key's own limit (the handler's `Caller` does that).
async fn signed_in_user(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let tls = state.services.config.server.tls;
    let token =
        super::session::bearer(headers).or_else(|| super::session::session_cookie(headers, tls))?;
    let accounts = &state.services.accounts;
    let scope = if crate::accounts::looks_like_api_key(&token) {
        accounts.authenticate_api_key(&token).await.ok()?.0
    } else {
        accounts.authenticate(&token).await.ok()?
    };
    Some(scope.user_id().to_string())
}

/// 429 with `Retry-After`: JSON on the API, the localized page elsewhere.
pub fn refusal(path: &str, headers: &HeaderMap, wait: Duration) -> Response {
    if path.starts_with("/api/") {
        super::limit::too_many_requests(wait)
    } else {
        crate::web::rate_limited_page(headers, wait)
    }
}

/// Middleware: counts the request's actions and refuses it once a window is used up.
pub async fn limit_actions(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let actions = actions_of(request.method(), request.uri().path());
    if actions.is_empty() {
        return next.run(request).await;
    }
    let config = &state.services.config;
    let ip = super::client_ip::client_ip(&request, &config.server.trusted_proxies);
    let (parts, body) = request.into_parts();
    let (account, body) = if actions.iter().any(|a| a.keyed_by_email()) {
        match axum::body::to_bytes(body, config.server.max_body_bytes).await {
            Ok(bytes) => (email_in(&parts.headers, &bytes), Body::from(bytes)),
            Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        }
    } else {
        (signed_in_user(&state, &parts.headers).await, body)
    };
    let now = super::limit::now_ms();
    let mut wait = None;
    for action in actions {
        wait = wait.max(
            state
                .actions
                .check(*action, ip, account.as_deref(), now)
                .await,
        );
    }
    if let Some(wait) = wait {
        return refusal(parts.uri.path(), &parts.headers, wait);
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LimitsConfig {
        LimitsConfig {
            jobs_per_ip: 3,
            jobs_per_account: 2,
            ..LimitsConfig::default()
        }
    }

    #[tokio::test]
    async fn an_account_and_an_address_each_have_their_own_window() {
        let limiters = ActionLimiters::new(&config(), Counters::in_memory());
        let (ip, other_ip) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let now = 1_000_000;

        let mut ada = Vec::new();
        for _ in 0..3 {
            ada.push(
                limiters
                    .check(Action::Job, None, Some("ada"), now)
                    .await
                    .is_none(),
            );
        }
        let mut bo_same_ip = Vec::new();
        for _ in 0..4 {
            bo_same_ip.push(
                limiters
                    .check(Action::Job, Some(ip), None, now)
                    .await
                    .is_none(),
            );
        }
        let elsewhere = limiters.check(Action::Job, Some(other_ip), None, now).await;
        let uploads_untouched = limiters
            .check(Action::Upload, Some(ip), Some("ada"), now)
            .await;

        assert_eq!(ada, [true, true, false]);
        assert_eq!(bo_same_ip, [true, true, true, false]);
        assert_eq!(elsewhere, None);
        assert_eq!(uploads_untouched, None);
    }

    #[tokio::test]
    async fn sign_in_attempts_count_per_account_from_each_address() {
        let limiters = ActionLimiters::new(
            &LimitsConfig {
                sign_in_per_ip: 0,
                sign_in_per_account: 2,
                ..LimitsConfig::default()
            },
            Counters::in_memory(),
        );
        let (stranger, owner) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let now = 1_000_000;

        let mut from_stranger = Vec::new();
        for _ in 0..3 {
            let wait = limiters
                .check(Action::SignIn, Some(stranger), Some("ada@example.org"), now)
                .await;
            from_stranger.push(wait.is_none());
        }
        let from_owner = limiters
            .check(Action::SignIn, Some(owner), Some("ada@example.org"), now)
            .await;

        assert_eq!(from_stranger, [true, true, false]);
        assert_eq!(from_owner, None);
    }

    #[tokio::test]
    async fn zero_turns_a_limit_off() {
        let limiters = ActionLimiters::new(
            &LimitsConfig {
                contact_per_ip: 0,
                contact_per_account: 0,
                ..LimitsConfig::default()
            },
            Counters::in_memory(),
        );
        let ip = IpAddr::from([10, 0, 0, 1]);

        let mut refused = false;
        for _ in 0..100 {
            let wait = limiters
                .check(Action::Contact, Some(ip), Some("ada"), 1_000_000)
                .await;
            refused |= wait.is_some();
        }

        assert!(!refused);
    }

    #[test]
    fn the_limited_paths_are_the_api_routes_and_their_form_twins() {
        assert_eq!(
            actions_of(&Method::POST, "/api/v1/auth/login"),
            &[Action::SignIn]
        );
        assert_eq!(actions_of(&Method::POST, "/signup"), &[Action::SignUp]);
        assert_eq!(
            actions_of(&Method::POST, "/studio"),
            &[Action::Upload, Action::Job]
        );
        assert_eq!(
            actions_of(&Method::POST, "/support/contact"),
            &[Action::Contact]
        );
        assert!(actions_of(&Method::GET, "/studio").is_empty());
        assert!(actions_of(&Method::POST, "/api/v1/jobs/x/cancel").is_empty());
    }

    #[test]
    fn the_email_tried_is_read_from_json_and_forms() {
        let mut json = HeaderMap::new();
        json.insert(
            axum::http::header::CONTENT_TYPE,
            "application/json".parse().expect("header"),
        );
        let form = HeaderMap::new();

        assert_eq!(
            email_in(&json, br#"{"email":" Ada@Example.org ","password":"x"}"#),
            Some("ada@example.org".into())
        );
        assert_eq!(
            email_in(&form, b"email=ada%40example.org&password=x"),
            Some("ada@example.org".into())
        );
        assert_eq!(email_in(&form, b"password=x"), None);
        assert_eq!(email_in(&json, b"not json"), None);
    }
}
