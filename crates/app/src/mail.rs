//! E-mail delivery from the transactional outbox. What mail says is written by
//! `mail_compose.rs`; a mail with an HTML part goes out as multipart/alternative.
//!
//! Services only ever write mail into the outbox table, in the transaction of the change it
//! reports. The relay here drains it: over SMTP (lettre) when `smtp.url` is set, otherwise
//! into the log. A transient fault (connection refused, 4xx) is retried with doubling
//! backoff up to `smtp.max_attempts`; a permanent refusal (5xx, a malformed address) marks
//! the mail failed at once. Either way the outcome stays on the outbox row.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::watch;

use crate::config::SmtpConfig;
use crate::domain::Timestamp;
use crate::store::{Mail, PendingMail, Store};

/// How often the relay looks at the outbox when it found nothing to do.
const POLL: Duration = Duration::from_secs(2);
/// Mails taken from the outbox per round.
const BATCH: u32 = 50;

/// Why a mail was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Worth another try later: the server was unreachable or answered 4xx.
    #[error("{0}")]
    Transient(String),
    /// Will never succeed as written: a 5xx answer or an address that does not parse.
    #[error("{0}")]
    Permanent(String),
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// No SMTP server configured: each mail is written to the log (the default).
    Log,
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
}

impl Mailer {
    /// The mailer `config` asks for; a malformed URL or sender is an error at start-up.
    pub fn from_config(config: &SmtpConfig) -> anyhow::Result<Mailer> {
        let Some(url) = &config.url else {
            return Ok(Mailer::Log);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|e| anyhow::anyhow!("smtp.url is not a usable SMTP URL: {e}"))?
            .timeout(Some(config.timeout))
            .build();
        let transport = Box::new(transport);
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|e| anyhow::anyhow!("smtp.from `{}` is not an address: {e}", config.from))?;
        Ok(Mailer::Smtp { transport, from })
    }

    pub fn is_smtp(&self) -> bool {
        matches!(self, Mailer::Smtp { .. })
    }

    /// Delivers one mail.
    pub async fn deliver(&self, mail: &Mail) -> Result<(), DeliveryError> {
        match self {
            Mailer::Log => {
                tracing::info!(to = %mail.recipient, subject = %mail.subject, body = %mail.body,
                    "outbox mail (SMTP not configured)");
                Ok(())
            }
            Mailer::Smtp { transport, from } => {
                let to = mail
                    .recipient
                    .parse::<Mailbox>()
                    .map_err(|e| DeliveryError::Permanent(format!("bad recipient address: {e}")))?;
                let builder = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(mail.subject.clone());
                let message = match &mail.html {
                    Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                        mail.body.clone(),
                        html.clone(),
                    )),
                    None => builder
                        .header(ContentType::TEXT_PLAIN)
                        .body(mail.body.clone()),
                }
                .map_err(|e| DeliveryError::Permanent(format!("cannot build mail: {e}")))?;
                transport.send(message).await.map(drop).map_err(|e| {
                    if e.is_permanent() {
                        DeliveryError::Permanent(e.to_string())
                    } else {
                        DeliveryError::Transient(e.to_string())
                    }
                })
            }
        }
    }
}

/// Drains the outbox through a [`Mailer`].
pub struct Relay {
    store: Arc<dyn Store>,
    mailer: Mailer,
    max_attempts: u32,
    backoff: Duration,
}

impl Relay {
    pub fn new(store: Arc<dyn Store>, mailer: Mailer, config: &SmtpConfig) -> Relay {
        Relay {
            store,
            mailer,
            max_attempts: config.max_attempts.max(1),
            backoff: config.retry_backoff,
        }
    }

    /// Relays until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        if self.mailer.is_smtp() {
            tracing::info!("mail relay: delivering the outbox over SMTP");
        }
        while !*stop.borrow() {
            let busy = match self.round(Timestamp::now()).await {
                Ok(handled) => handled == BATCH as usize,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox read failed");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// One pass over the due mail; returns how many it handled.
    pub async fn round(&self, now: Timestamp) -> anyhow::Result<usize> {
        let due = self.store.pending_mail(now, BATCH).await?;
        for pending in &due {
            self.handle(pending).await?;
        }
        Ok(due.len())
    }

    async fn handle(&self, pending: &PendingMail) -> anyhow::Result<()> {
        let now = Timestamp::now();
        match self.mailer.deliver(&pending.mail).await {
            Ok(()) => {
                self.store.mark_mail_sent(pending.id, now).await?;
                metrics::counter!("atelier_mail_total", "outcome" => "sent").increment(1);
            }
            Err(e) => {
                let attempt = pending.attempts + 1;
                let retry_at = match &e {
                    DeliveryError::Transient(_) if attempt < self.max_attempts => {
                        Some(now.plus(self.delay(attempt)))
                    }
                    _ => None,
                };
                let outcome = if retry_at.is_some() {
                    "retry"
                } else {
                    "failed"
                };
                tracing::warn!(id = pending.id, attempt, error = %e, outcome, "mail not delivered");
                metrics::counter!("atelier_mail_total", "outcome" => outcome).increment(1);
                self.store
                    .mark_mail_failed(pending.id, &e.to_string(), retry_at, now)
                    .await?;
            }
        }
        Ok(())
    }

    /// Backoff after the `attempt`-th failure: `backoff`, then doubling, at most a day.
    fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.backoff
            .saturating_mul(factor)
            .min(Duration::from_secs(24 * 3600))
    }
}

#[cfg(test)]
#[path = "mail_tests.rs"]
mod tests;
