//! The support center: contact requests become tickets, confirmed by mail with the
//! promised answer time; users follow up on their own tickets; admins reply (mailed in the
//! submitter's language), close and reopen.
//!
//! Owns the rules (who may reference which job, which ticket takes messages, what is mailed).
//! It must not render pages or audit admins: the admin pages record each view and action
//! before calling in here.

mod form;

use std::sync::Arc;

pub use form::parse_message;
pub use form::{ContactForm, ContactRequest, FieldError, MAX_MESSAGE_CHARS, MAX_SUBJECT_CHARS};

use crate::config::SupportConfig;
use crate::domain::{Timestamp, UserScope};
use crate::mail_compose::{Composer, Message};
use crate::store::{NewTicket, Store, StoreError, Ticket};

#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    /// The form has problems; each names its field.
    #[error("the request has {} problem(s)", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("the ticket is closed")]
    Closed,
    #[error(transparent)]
    Store(StoreError),
}

impl SupportError {
    pub fn code(&self) -> &'static str {
        match self {
            SupportError::Invalid(_) => "invalid",
            SupportError::NotFound => "not-found",
            SupportError::Closed => "ticket-closed",
            SupportError::Store(e) => e.code(),
        }
    }
}

impl From<StoreError> for SupportError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => SupportError::NotFound,
            StoreError::WrongState => SupportError::Closed,
            other => SupportError::Store(other),
        }
    }
}

/// Who writes: a signed-in user (their account's address is used) or a visitor.
#[derive(Clone, Copy, Debug)]
pub enum Submitter {
    User(UserScope),
    Visitor,
}

/// A stored ticket and the answer time promised for it.
#[derive(Clone, Debug)]
pub struct Submitted {
    pub ticket: Ticket,
    pub response_hours: u32,
}

#[derive(Clone)]
pub struct Support {
    store: Arc<dyn Store>,
    config: SupportConfig,
    composer: Composer,
}

impl Support {
    pub fn new(store: Arc<dyn Store>, config: SupportConfig, composer: Composer) -> Support {
        Support {
            store,
            config,
            composer,
        }
    }

    pub fn config(&self) -> &SupportConfig {
        &self.config
    }

    /// Checks the form, stores the ticket and queues its confirmation in `locale` (the
    /// submitter's language tag). A job reference must be one of the user's own jobs.
    pub async fn submit(
        &self,
        submitter: Submitter,
        form: &ContactForm,
        locale: &str,
    ) -> Result<Submitted, SupportError> {
        let signed_in = matches!(submitter, Submitter::User(_));
        let request = form.parse(signed_in).map_err(SupportError::Invalid)?;
        let (scope, email) = match (submitter, &request.email) {
            (Submitter::User(scope), _) => {
                if let Some(job) = request.job_id
                    && self.store.job(scope, job).await?.is_none()
                {
                    return Err(SupportError::Invalid(vec![FieldError {
                        field: "job",
                        code: "job-unknown",
                    }]));
                }
                (Some(scope), self.store.user(scope).await?.email)
            }
            (Submitter::Visitor, Some(email)) => (None, email.as_str().to_owned()),
            (Submitter::Visitor, None) => {
                return Err(SupportError::Invalid(vec![FieldError {
                    field: "email",
                    code: "email-invalid",
                }]));
            }
        };
        let now = Timestamp::now();
        let ticket = NewTicket {
            email,
            locale: locale.to_owned(),
            subject: request.subject,
            message: request.message,
            job_id: request.job_id,
            urgent: request.urgent,
            created_at: now,
        };
        let ticket = self.store.create_ticket(scope, &ticket).await?;
        let response_hours = self.config.response_hours_for(ticket.urgent);
        let message = Message::SupportReceived {
            number: ticket.id,
            subject: &ticket.subject,
            response_hours,
            account: ticket.user_id.is_some(),
        };
        self.mail(&ticket, &message, now).await?;
        Ok(Submitted {
            ticket,
            response_hours,
        })
    }

    /// The user's follow-up on their own ticket, which then waits for staff again.
    pub async fn follow_up(
        &self,
        scope: UserScope,
        id: i64,
        text: &str,
    ) -> Result<Ticket, SupportError> {
        let body = parse_message(text).map_err(|e| SupportError::Invalid(vec![e]))?;
        Ok(self
            .store
            .add_ticket_message(scope, id, &body, Timestamp::now())
            .await?)
    }

    /// A staff reply: stored on the thread and mailed to the ticket's address in its
    /// language.
    pub async fn reply(&self, id: i64, text: &str) -> Result<Ticket, SupportError> {
        let body = parse_message(text).map_err(|e| SupportError::Invalid(vec![e]))?;
        let now = Timestamp::now();
        let ticket = self.store.reply_to_ticket(id, &body, now).await?;
        let message = Message::SupportReply {
            number: ticket.id,
            subject: &ticket.subject,
            reply: &body,
            account: ticket.user_id.is_some(),
        };
        self.mail(&ticket, &message, now).await?;
        Ok(ticket)
    }

    /// Closes the ticket (`closed`) or reopens it.
    pub async fn set_closed(&self, id: i64, closed: bool) -> Result<Ticket, SupportError> {
        Ok(self
            .store
            .set_ticket_closed(id, closed, Timestamp::now())
            .await?)
    }

    async fn mail(
        &self,
        ticket: &Ticket,
        message: &Message<'_>,
        now: Timestamp,
    ) -> Result<(), SupportError> {
        let mail = self
            .composer
            .compose(&ticket.email, Some(&ticket.locale), message);
        Ok(self.store.enqueue_mail(&mail, now).await?)
    }
}
