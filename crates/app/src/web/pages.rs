//! The pages: home with the style gallery, sign-up, sign-in, sign-out.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::render;
use crate::accounts::{AccountError, SignUp};
use crate::domain::Timestamp;
use crate::http::auth::session_cookie_header;
use crate::http::session::session_cookie;
use crate::http::{AppState, Caller};
use crate::i18n::Tr;

/// Who is signed in, as the navigation bar shows it.
pub struct NavUser {
    pub email: String,
    pub balance: i64,
    /// Whether the navigation links the admin console.
    pub admin: bool,
}

pub struct StyleCard {
    pub id: String,
    pub name: String,
    pub description: String,
    pub cost: String,
    /// `photo`, `prompt` or `either` (what the studio form asks for).
    pub input: &'static str,
    /// Whether the gallery has a sample picture (the built-in styles).
    pub sample: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    tr: Tr,
    user: Option<NavUser>,
    styles: Vec<StyleCard>,
    welcome: u32,
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUpPage {
    tr: Tr,
    user: Option<NavUser>,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    tr: Tr,
    user: Option<NavUser>,
    email: String,
    error: Option<String>,
}

pub(super) async fn nav_user(state: &AppState, caller: Option<Caller>) -> Option<NavUser> {
    let scope = caller?.scope;
    let user = state.services.store.user(scope).await.ok()?;
    let balance = state
        .services
        .store
        .balance(scope, Timestamp::now())
        .await
        .ok()?;
    Some(NavUser {
        admin: user.role == crate::domain::Role::Admin,
        email: user.email,
        balance,
    })
}

/// The message for an account error, from its stable code.
pub(super) fn error_message(tr: &Tr, error: &AccountError) -> String {
    match error {
        AccountError::Store(_) | AccountError::Blob(_) | AccountError::Hashing(_) => {
            tracing::error!(%error, "account operation failed");
            tr.t("error-internal")
        }
        other => tr.t(&format!("error-{}", other.code())),
    }
}

fn error_status(error: &AccountError) -> StatusCode {
    match error {
        AccountError::Store(_) | AccountError::Blob(_) | AccountError::Hashing(_) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        AccountError::InvalidCredentials => StatusCode::UNAUTHORIZED,
        AccountError::Locked | AccountError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        AccountError::EmailTaken | AccountError::TooManyApiKeys => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The style gallery, in the reader's language.
/// The styles users can pick now: built-in ones with their Fluent texts, configured ones with
/// their labels in the page's language. Styles whose back-end is unhealthy are left out.
pub(super) fn style_cards(state: &AppState, tr: &Tr) -> Vec<StyleCard> {
    let lang = tr.lang();
    state
        .services
        .jobs
        .catalog()
        .available()
        .map(|style| StyleCard {
            id: style.id.clone(),
            name: match style.builtin {
                Some(_) => tr.t(&format!("style-{}", style.id)),
                None => style.label(&lang),
            },
            description: match style.builtin {
                Some(_) => tr.t(&format!("style-{}-description", style.id)),
                None => style.description(&lang),
            },
            cost: tr.t1("home-cost", "cost", style.cost),
            input: style.input.as_str(),
            sample: style.builtin.is_some(),
        })
        .collect()
}

pub async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let styles = style_cards(&state, &tr);
    let page = HomePage {
        user: nav_user(&state, caller).await,
        styles,
        welcome: state.services.config.tokens.welcome,
        tr,
    };
    render(StatusCode::OK, &page)
}

pub async fn signup_form(headers: HeaderMap) -> Response {
    let page = SignUpPage {
        tr: Tr::from_headers(&headers),
        user: None,
        email: String::new(),
        error: None,
    };
    render(StatusCode::OK, &page)
}

/// Checkboxes arrive only when ticked.
#[derive(Deserialize)]
pub struct SignUpForm {
    email: String,
    password: String,
    age_over_14: Option<String>,
    guardian_consent: Option<String>,
}

pub async fn signup(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignUpForm>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let accounts = &state.services.accounts;
    let request = SignUp {
        email: form.email.clone(),
        password: form.password,
        age_over_14: form.age_over_14.is_some(),
        guardian_consent: form.guardian_consent.is_some(),
    };
    let opened = match accounts.sign_up_in(request, Some(&tr.lang())).await {
        Ok(user) => accounts.open_session(user.id, Timestamp::now()).await,
        Err(e) => Err(e),
    };
    match opened {
        Ok(token) => signed_in_redirect(&state, Some(&token)),
        Err(error) => {
            let page = SignUpPage {
                error: Some(error_message(&tr, &error)),
                tr,
                user: None,
                email: form.email,
            };
            render(error_status(&error), &page)
        }
    }
}

pub async fn signin_form(headers: HeaderMap) -> Response {
    let page = SignInPage {
        tr: Tr::from_headers(&headers),
        user: None,
        email: String::new(),
        error: None,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
}

pub async fn signin(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(form): Form<SignInForm>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let accounts = &state.services.accounts;
    let trusted = &state.services.config.server.trusted_proxies;
    let from = crate::http::client_ip::client_ip_of(&extensions, &headers, trusted);
    match accounts
        .sign_in_from(&form.email, &form.password, from)
        .await
    {
        Ok((_, token)) => {
            if let Some(previous) = session_cookie(&headers, state.services.config.server.tls) {
                let _ = accounts.sign_out(&previous).await;
            }
            signed_in_redirect(&state, Some(&token))
        }
        Err(error) => {
            let page = SignInPage {
                error: Some(error_message(&tr, &error)),
                tr,
                user: None,
                email: form.email,
            };
            let mut response = render(error_status(&error), &page);
            if let AccountError::Throttled(wait) = error {
                let seconds = crate::http::limit::whole_seconds(wait);
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(seconds),
                );
            }
            response
        }
    }
}

pub async fn signout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = session_cookie(&headers, state.services.config.server.tls) {
        let _ = state.services.accounts.sign_out(&token).await;
    }
    signed_in_redirect(&state, None)
}

/// 303 to the home page, setting (or clearing) the session cookie.
fn signed_in_redirect(state: &AppState, token: Option<&crate::accounts::SessionToken>) -> Response {
    match session_cookie_header(state, token) {
        Ok(cookie) => ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response(),
        Err(e) => e.into_response(),
    }
}
