//! Every e-mail Atelier sends, written in the recipient's language from Fluent
//! (`locales/<lang>/mail.ftl`) as a text part and an HTML alternative.
//!
//! Owns the wording, the links (always absolute, rooted at `server.public_url`) and the HTML
//! escaping. It must not send or store anything: services put the [`Mail`] it returns in the
//! outbox, in the transaction of the change it reports, and `mail.rs` delivers it.

use std::time::Duration;

use fluent_templates::fluent_bundle::FluentValue;

use crate::config::Config;
use crate::domain::Timestamp;
use crate::i18n::Tr;
use crate::store::Mail;

/// One kind of mail with what it says. Tokens are the raw single-use tokens; only their
/// hashes are stored.
#[derive(Clone, Debug)]
pub enum Message<'a> {
    /// After sign-up (and on request): the link proving the address reaches its owner.
    VerifyEmail {
        token: &'a str,
        valid_for: Duration,
    },
    PasswordReset {
        token: &'a str,
        valid_for: Duration,
    },
    /// To the new address of an e-mail change: the link that applies it.
    EmailChange {
        token: &'a str,
        valid_for: Duration,
    },
    /// To the old address of an e-mail change: a warning, no token.
    EmailChangeNotice {
        new_email: &'a str,
    },
    ExportReady {
        expires_at: Timestamp,
    },
    /// After erasure, to the address that was erased.
    AccountDeleted {
        deleted_at: Timestamp,
    },
    /// A policy or terms change ahead of its effective date (C8: 30 days). `link` is a path
    /// on this site (`/policies/privacy/2`) or an absolute URL.
    PolicyChange {
        title: &'a str,
        version: &'a str,
        /// What changes, in the publisher's words.
        summary: &'a str,
        effective: Timestamp,
        link: &'a str,
    },
    /// A support ticket was received: its number and the answer time promised. `account`:
    /// the submitter is signed in and can follow the ticket on the site.
    SupportReceived {
        number: i64,
        subject: &'a str,
        response_hours: u32,
        account: bool,
    },
    /// Staff answered a support ticket: the answer itself, since a visitor cannot read it
    /// anywhere else.
    SupportReply {
        number: i64,
        subject: &'a str,
        reply: &'a str,
        account: bool,
    },
}

/// What a message is made of: the Fluent key prefix, its arguments and its one link.
struct Parts {
    prefix: &'static str,
    args: Vec<(&'static str, FluentValue<'static>)>,
    link: String,
}

/// Writes [`Message`]s as [`Mail`].
#[derive(Clone, Debug)]
pub struct Composer {
    /// No trailing slash.
    public_url: String,
    /// How long an unverified account lives (told in the verification mail).
    unconfirmed_ttl: Duration,
}

impl Composer {
    pub fn new(public_url: &str, unconfirmed_ttl: Duration) -> Composer {
        Composer {
            public_url: public_url.trim_end_matches('/').to_owned(),
            unconfirmed_ttl,
        }
    }

    pub fn from_config(config: &Config) -> Composer {
        Composer::new(&config.public_url(), config.retention.unconfirmed_ttl)
    }

    /// The absolute URL of `path` on this site; an absolute URL is kept as it is.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}/{}", self.public_url, path.trim_start_matches('/'))
        }
    }

    /// `message` to `recipient`, in `locale` (a user's stored language; English when absent
    /// or not translated).
    pub fn compose(&self, recipient: &str, locale: Option<&str>, message: &Message<'_>) -> Mail {
        let tr = Tr::for_locale(locale);
        let parts = self.parts(&tr, message);
        let text = |suffix: &str| {
            let key = format!("{}-{suffix}", parts.prefix);
            tr.try_tn(&key, parts.args.clone()).unwrap_or_else(|| {
                tracing::error!(key, "mail text missing from every locale");
                String::new()
            })
        };
        let subject = text("subject");
        let intro = text("intro");
        let action = text("action");
        let outro = text("outro");
        let fallback = tr.t("mail-link-fallback");
        let footer = tr.t("mail-footer");
        let automatic = tr.t("mail-footer-automatic");
        let link = &parts.link;

        let body = format!(
            "{intro}\n\n{action}:\n{link}\n\n{outro}\n\n-- \n{footer}\n{root}\n{automatic}\n",
            root = self.public_url,
        );
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <title>{subject}</title></head>\n\
             <body style=\"margin:0;padding:24px;background:#f6f4ef;color:#222;\
             font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5\">\n\
             <div style=\"max-width:560px;margin:0 auto;background:#ffffff;padding:24px;\
             border-radius:8px\">\n\
             <p style=\"margin:0 0 16px\">{intro}</p>\n\
             <p style=\"margin:0 0 16px\"><a href=\"{href}\" style=\"display:inline-block;\
             padding:10px 18px;background:#3b3a8f;color:#ffffff;text-decoration:none;\
             border-radius:6px\">{action}</a></p>\n\
             <p style=\"margin:0 0 16px;font-size:13px;color:#555\">{fallback}<br>\
             <a href=\"{href}\" style=\"color:#3b3a8f;word-break:break-all\">{href}</a></p>\n\
             <p style=\"margin:0 0 16px\">{outro}</p>\n\
             <p style=\"margin:24px 0 0;font-size:12px;color:#777\">{footer} · \
             <a href=\"{root}\" style=\"color:#777\">{root}</a><br>{automatic}</p>\n\
             </div>\n</body></html>\n",
            lang = escape(&tr.lang()),
            subject = escape(&subject),
            intro = escape(&intro),
            href = escape(link),
            action = escape(&action),
            fallback = escape(&fallback),
            outro = escape(&outro),
            footer = escape(&footer),
            root = escape(&self.public_url),
            automatic = escape(&automatic),
        );
        Mail {
            recipient: recipient.to_owned(),
            subject,
            body,
            html: Some(html),
        }
    }

    fn parts(&self, tr: &Tr, message: &Message<'_>) -> Parts {
        let with_token = |prefix, path: &str, token: &str, valid_for: Duration| Parts {
            prefix,
            args: vec![("valid", span(tr, valid_for).into())],
            link: self.url(&format!("{path}?token={}", encode(token))),
        };
        match message {
            Message::VerifyEmail { token, valid_for } => {
                let mut parts = with_token("mail-verify", "/verify-email", token, *valid_for);
                parts
                    .args
                    .push(("erase_after", span(tr, self.unconfirmed_ttl).into()));
                parts
            }
            Message::PasswordReset { token, valid_for } => {
                with_token("mail-reset", "/reset-password", token, *valid_for)
            }
            Message::EmailChange { token, valid_for } => {
                with_token("mail-email-change", "/confirm-email", token, *valid_for)
            }
            Message::EmailChangeNotice { new_email } => Parts {
                prefix: "mail-email-change-notice",
                args: vec![("new_email", new_email.to_string().into())],
                link: self.url("/forgot"),
            },
            Message::ExportReady { expires_at } => Parts {
                prefix: "mail-export-ready",
                args: vec![("expires", moment(*expires_at).into())],
                link: self.url("/privacy"),
            },
            Message::AccountDeleted { deleted_at } => Parts {
                prefix: "mail-farewell",
                args: vec![("deleted", moment(*deleted_at).into())],
                link: self.url("/"),
            },
            Message::PolicyChange {
                title,
                version,
                summary,
                effective,
                link,
            } => Parts {
                prefix: "mail-policy",
                args: vec![
                    ("title", title.to_string().into()),
                    ("version", version.to_string().into()),
                    ("summary", summary.to_string().into()),
                    ("effective", day(*effective).into()),
                ],
                link: self.url(link),
            },
            Message::SupportReceived {
                number,
                subject,
                response_hours,
                account,
            } => Parts {
                prefix: "mail-support-received",
                args: support_args(
                    *number,
                    subject,
                    *account,
                    ("hours", (*response_hours).into()),
                ),
                link: self.support_link(*number, *account, "/support"),
            },
            Message::SupportReply {
                number,
                subject,
                reply,
                account,
            } => Parts {
                prefix: "mail-support-reply",
                args: support_args(
                    *number,
                    subject,
                    *account,
                    ("reply", reply.to_string().into()),
                ),
                link: self.support_link(*number, *account, "/support/contact"),
            },
        }
    }

    /// The ticket's page for a user; `visitor_path` for a visitor, who has none.
    fn support_link(&self, number: i64, account: bool, visitor_path: &str) -> String {
        if account {
            self.url(&format!("/support/tickets/{number}"))
        } else {
            self.url(visitor_path)
        }
    }
}

/// The arguments every support mail has, and one of its own.
fn support_args(
    number: i64,
    subject: &str,
    account: bool,
    extra: (&'static str, FluentValue<'static>),
) -> Vec<(&'static str, FluentValue<'static>)> {
    vec![
        // A string, so no locale groups its digits.
        ("number", number.to_string().into()),
        ("subject", subject.to_owned().into()),
        ("account", if account { "yes" } else { "no" }.into()),
        extra,
    ]
}

/// "3 days", "one hour": whole days from two days up, else hours (at least one).
fn span(tr: &Tr, duration: Duration) -> String {
    let hours = duration.as_secs().div_ceil(3600).max(1);
    let (unit, count) = if hours >= 48 {
        ("days", hours.div_ceil(24))
    } else {
        ("hours", hours)
    };
    tr.tn(
        "mail-valid-for",
        vec![("unit", unit.into()), ("count", count.into())],
    )
}

/// `2025-03-01 14:05 UTC`.
fn moment(at: Timestamp) -> String {
    let text = at.rfc3339();
    format!(
        "{} UTC",
        text.chars().take(16).collect::<String>().replace('T', " ")
    )
}

/// `2025-03-01`.
fn day(at: Timestamp) -> String {
    at.rfc3339().chars().take(10).collect()
}

/// Tokens are hex, but a query value is encoded all the same.
fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
#[path = "mail_compose_tests.rs"]
mod tests;
