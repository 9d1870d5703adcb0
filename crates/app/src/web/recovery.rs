//! Password reset and e-mail confirmation pages, opened from the links in the outbox mails.
//! Following a reset or e-mail change link only shows a form; the change happens on the
//! form's POST. The verification link confirms on GET: all it proves is that the mail
//! arrived, which a mail scanner following it proves too, and it changes nothing else.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::pages::NavUser;
use super::render;
use crate::accounts::AccountError;
use crate::http::AppState;
use crate::i18n::Tr;

pub struct FormSpec {
    pub action: &'static str,
    pub token: Option<String>,
    pub email: bool,
    pub password: bool,
    pub submit: String,
}

/// One page for every step: a title, a message or error, maybe a small form.
#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    tr: Tr,
    user: Option<NavUser>,
    title: String,
    intro: Option<String>,
    error: Option<String>,
    form: Option<FormSpec>,
    show_sign_in: bool,
}

impl MessagePage {
    fn new(tr: Tr, title_key: &str) -> MessagePage {
        let title = tr.t(title_key);
        MessagePage {
            tr,
            user: None,
            title,
            intro: None,
            error: None,
            form: None,
            show_sign_in: false,
        }
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: String,
    password: String,
}

fn error_text(tr: &Tr, error: &AccountError) -> String {
    match error {
        AccountError::Store(_) | AccountError::Blob(_) | AccountError::Hashing(_) => {
            tracing::error!(%error, "account recovery failed");
            tr.t("error-internal")
        }
        other => tr.t(&format!("error-{}", other.code())),
    }
}

pub async fn forgot_form(headers: HeaderMap) -> Response {
    let mut page = MessagePage::new(Tr::from_headers(&headers), "forgot-title");
    page.intro = Some(page.tr.t("forgot-intro"));
    let submit = page.tr.t("forgot-submit");
    page.form = Some(FormSpec {
        action: "/forgot",
        token: None,
        email: true,
        password: false,
        submit,
    });
    render(StatusCode::OK, &page)
}

/// Answers the same whether or not the address has an account.
pub async fn forgot(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> Response {
    let mut page = MessagePage::new(Tr::from_headers(&headers), "forgot-title");
    match state
        .services
        .accounts
        .request_password_reset(&form.email)
        .await
    {
        Ok(()) => page.intro = Some(page.tr.t("forgot-sent")),
        Err(error) => page.error = Some(error_text(&page.tr, &error)),
    }
    render(StatusCode::OK, &page)
}

pub async fn reset_form(headers: HeaderMap, Query(query): Query<TokenQuery>) -> Response {
    let mut page = MessagePage::new(Tr::from_headers(&headers), "reset-title");
    let submit = page.tr.t("reset-submit");
    page.form = Some(FormSpec {
        action: "/reset-password",
        token: Some(query.token),
        email: false,
        password: true,
        submit,
    });
    render(StatusCode::OK, &page)
}

pub async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Response {
    let mut page = MessagePage::new(Tr::from_headers(&headers), "reset-title");
    match state
        .services
        .accounts
        .reset_password(&form.token, &form.password)
        .await
    {
        Ok(()) => {
            page.intro = Some(page.tr.t("reset-done"));
            page.show_sign_in = true;
            render(StatusCode::OK, &page)
        }
        Err(error) => {
            page.error = Some(error_text(&page.tr, &error));
            let submit = page.tr.t("reset-submit");
            page.form = Some(FormSpec {
                action: "/reset-password",
                token: Some(form.token),
                email: false,
                password: true,
                submit,
            });
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

pub async fn confirm_email_form(headers: HeaderMap, Query(query): Query<TokenQuery>) -> Response {
    let mut page = MessagePage::new(Tr::from_headers(&headers), "confirm-email-title");
    page.intro = Some(page.tr.t("confirm-email-intro"));
    let submit = page.tr.t("confirm-email-submit");
    page.form = Some(FormSpec {
        action: "/confirm-email",
        token: Some(query.token),
        email: false,
        password: false,
        submit,
    });
    render(StatusCode::OK, &page)
}

pub async fn confirm_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<TokenQuery>,
) -> Response {
    let mut page = MessagePage::new(Tr::from_headers(&headers), "confirm-email-title");
    match state
        .services
        .accounts
        .confirm_email_change(&form.token)
        .await
    {
        Ok(()) => {
            page.intro = Some(page.tr.t("confirm-email-done"));
            page.show_sign_in = true;
            render(StatusCode::OK, &page)
        }
        Err(error) => {
            page.error = Some(error_text(&page.tr, &error));
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// `GET /verify-email?token=`: confirms the address the link was mailed to.
pub async fn verify_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Response {
    let mut page = MessagePage::new(Tr::from_headers(&headers), "verify-email-title");
    match state.services.accounts.verify_email(&query.token).await {
        Ok(()) => {
            page.intro = Some(page.tr.t("verify-email-done"));
            render(StatusCode::OK, &page)
        }
        Err(error) => {
            page.error = Some(error_text(&page.tr, &error));
            page.intro = Some(page.tr.t("verify-email-resend-hint"));
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
