//! The support center's public pages: the questions and answers (with this server's own
//! settings), the contact form and its thank-you page. The user's tickets are in
//! `support_tickets.rs`; the admin's in `admin_tickets.rs`.

use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::pages::{NavUser, StyleCard, nav_user, style_cards};
use super::render;
use crate::http::{AppState, Caller};
use crate::i18n::Tr;
use crate::support::{ContactForm, FieldError, Submitter, SupportError};

/// "24 hours", "3 days": whole days from two days up, else hours.
pub(super) fn span(tr: &Tr, duration: Duration) -> String {
    let hours = duration.as_secs().div_ceil(3600).max(1);
    let (unit, count) = if hours >= 48 && hours.is_multiple_of(24) {
        ("days", hours / 24)
    } else {
        ("hours", hours)
    };
    tr.tn(
        "support-span",
        vec![("unit", unit.into()), ("count", count.into())],
    )
}

/// The answers that depend on the operator's settings, written out.
struct Faq {
    welcome: String,
    packs: Vec<String>,
    formats: String,
    deletion_title: String,
    deletion: String,
    saving: bool,
}

fn faq(state: &AppState, tr: &Tr) -> Faq {
    let config = &state.services.config;
    let day = |days: u32| span(tr, Duration::from_secs(u64::from(days) * 24 * 3600));
    let formats = atelier_engine::Format::ALL
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let size = format!(
        "{} MB",
        super::upload_check::megabytes(config.uploads.max_bytes)
    );
    let megapixels = config.uploads.max_pixels.div_ceil(1_000_000);
    let upload = span(tr, config.retention.upload_ttl);
    Faq {
        welcome: tr.tn(
            "support-faq-tokens-welcome",
            vec![
                ("count", config.tokens.welcome.into()),
                ("valid", span(tr, config.tokens.lot_validity).into()),
            ],
        ),
        packs: config
            .stripe
            .packs
            .iter()
            .map(|pack| {
                tr.tn(
                    "support-faq-tokens-pack",
                    vec![
                        ("tokens", pack.tokens.into()),
                        ("valid", day(pack.valid_days).into()),
                    ],
                )
            })
            .collect(),
        formats: tr.tn(
            "support-faq-formats-accepted",
            vec![
                ("formats", formats.into()),
                ("size", size.into()),
                ("megapixels", megapixels.into()),
            ],
        ),
        deletion_title: tr.t1("support-faq-deletion", "upload", upload.clone()),
        deletion: tr.tn(
            "support-faq-deletion-text",
            vec![
                ("upload", upload.into()),
                ("result", span(tr, config.retention.result_ttl).into()),
            ],
        ),
        saving: config.retention.allow_save,
    }
}

#[derive(Template)]
#[template(path = "support.html")]
struct FaqPage {
    tr: Tr,
    user: Option<NavUser>,
    faq: Faq,
    styles: Vec<StyleCard>,
}

pub async fn faq_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let page = FaqPage {
        faq: faq(&state, &tr),
        styles: style_cards(&state, &tr),
        user: nav_user(&state, caller).await,
        tr,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "support_contact.html")]
struct ContactPage {
    tr: Tr,
    user: Option<NavUser>,
    intro: String,
    /// The signed-in user's address (fixed); `None` for a visitor.
    account_email: Option<String>,
    form: ContactForm,
    /// The signed-in user's recent jobs to pick the one the question is about.
    jobs: Vec<JobChoice>,
    errors: Vec<(&'static str, String)>,
}

/// One line of the job picker: the job's id, and its style and time as the reader reads them.
struct JobChoice {
    id: String,
    label: String,
}

/// How many of the user's latest jobs the picker offers.
const JOBS_OFFERED: u32 = 20;

/// The user's latest jobs, newest first; the job already in the form (from a job page's
/// link, or typed before) stays offered even when it is older.
async fn job_choices(
    state: &AppState,
    tr: &Tr,
    caller: Option<Caller>,
    chosen: &str,
) -> Vec<JobChoice> {
    let Some(caller) = caller else {
        return Vec::new();
    };
    let jobs = state
        .services
        .store
        .jobs_of(caller.scope, JOBS_OFFERED)
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "the contact form's job list");
            Vec::new()
        });
    let mut choices: Vec<JobChoice> = jobs
        .iter()
        .map(|job| JobChoice {
            id: job.id.to_string(),
            label: tr.tn(
                "support-contact-job-choice",
                vec![
                    (
                        "style",
                        super::library::style_label(state, tr, &job.style).into(),
                    ),
                    ("time", tr.datetime(job.created_at).into()),
                ],
            ),
        })
        .collect();
    // Whatever came in the address or the form, kept to a job id's length.
    let chosen: String = chosen.trim().chars().take(64).collect();
    if !chosen.is_empty() && !choices.iter().any(|choice| choice.id == chosen) {
        choices.insert(
            0,
            JobChoice {
                id: chosen.clone(),
                label: chosen,
            },
        );
    }
    choices
}

impl ContactPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, text)| text.as_str())
    }
}

async fn contact_page(
    state: &AppState,
    tr: Tr,
    caller: Option<Caller>,
    form: ContactForm,
    errors: &[FieldError],
) -> Response {
    let config = state.services.support.config();
    let intro = tr.tn(
        "support-contact-intro",
        vec![
            ("hours", config.response_hours.into()),
            ("urgent", config.urgent_response_hours.into()),
        ],
    );
    let jobs = job_choices(state, &tr, caller, &form.job).await;
    let user = nav_user(state, caller).await;
    let errors: Vec<_> = errors
        .iter()
        .map(|e| (e.field, tr.t(&format!("support-error-{}", e.code))))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ContactPage {
        account_email: user.as_ref().map(|u| u.email.clone()),
        user,
        intro,
        form,
        jobs,
        errors,
        tr,
    };
    render(status, &page)
}

/// `?job=` prefills the job reference (from a job's page).
#[derive(serde::Deserialize)]
pub struct Prefill {
    #[serde(default)]
    job: String,
}

pub async fn contact_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Query(prefill): Query<Prefill>,
) -> Response {
    let form = ContactForm {
        job: prefill.job,
        ..ContactForm::default()
    };
    contact_page(&state, Tr::from_headers(&headers), caller, form, &[]).await
}

pub async fn contact_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Form(form): Form<ContactForm>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let submitter = match &caller {
        Some(caller) => Submitter::User(caller.scope),
        None => Submitter::Visitor,
    };
    match state
        .services
        .support
        .submit(submitter, &form, &tr.lang())
        .await
    {
        Ok(sent) => {
            let urgent = if sent.ticket.urgent { "&urgent=1" } else { "" };
            Redirect::to(&format!(
                "/support/contact/sent?ticket={}{urgent}",
                sent.ticket.id
            ))
            .into_response()
        }
        Err(SupportError::Invalid(errors)) => contact_page(&state, tr, caller, form, &errors).await,
        Err(error) => {
            tracing::error!(%error, "support request failed");
            (StatusCode::INTERNAL_SERVER_ERROR, tr.t("error-internal")).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "support_sent.html")]
struct SentPage {
    tr: Tr,
    user: Option<NavUser>,
    number_text: String,
    time_text: String,
}

#[derive(serde::Deserialize)]
pub struct Sent {
    ticket: i64,
    #[serde(default)]
    urgent: Option<u8>,
}

/// After the redirect: the number (only echoed from the address, nothing is read) and the
/// answer time promised.
pub async fn contact_sent(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    Query(sent): Query<Sent>,
) -> Response {
    let tr = Tr::from_headers(&headers);
    let hours = state
        .services
        .support
        .config()
        .response_hours_for(sent.urgent == Some(1));
    let page = SentPage {
        number_text: tr.t1("support-sent-number", "number", sent.ticket.to_string()),
        time_text: tr.t1("support-sent-time", "hours", hours),
        user: nav_user(&state, caller).await,
        tr,
    };
    render(StatusCode::OK, &page)
}
