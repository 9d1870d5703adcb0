//! The contact form, parsed once: every field checked, every problem named by a stable code
//! (the pages show `support-error-{code}` in the reader's language).

use crate::domain::{Email, JobId};

pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_MESSAGE_CHARS: usize = 5000;

/// What the contact form sends, as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub job: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    pub urgent: Option<String>,
}

/// A field and what is wrong with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
}

/// A contact request that passed every check but the job's owner (the store's to say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactRequest {
    /// `None` for a signed-in user: their account's address is used.
    pub email: Option<Email>,
    pub subject: String,
    pub message: String,
    pub job_id: Option<JobId>,
    pub urgent: bool,
}

/// Checks a message body: not blank, at most [`MAX_MESSAGE_CHARS`] characters.
pub fn parse_message(text: &str) -> Result<String, FieldError> {
    let text = text.trim();
    let error = |code| FieldError {
        field: "message",
        code,
    };
    if text.is_empty() {
        Err(error("message-empty"))
    } else if text.chars().count() > MAX_MESSAGE_CHARS {
        Err(error("message-too-long"))
    } else {
        Ok(text.to_owned())
    }
}

impl ContactForm {
    /// Parses the form of a visitor (`signed_in` false: an address is required and a job
    /// reference is not taken) or of a signed-in user.
    pub fn parse(&self, signed_in: bool) -> Result<ContactRequest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = if signed_in {
            None
        } else {
            match Email::parse(&self.email) {
                Ok(email) => Some(email),
                Err(_) => {
                    errors.push(FieldError {
                        field: "email",
                        code: "email-invalid",
                    });
                    None
                }
            }
        };
        let subject = self.subject.trim();
        if subject.is_empty() {
            errors.push(FieldError {
                field: "subject",
                code: "subject-empty",
            });
        } else if subject.chars().count() > MAX_SUBJECT_CHARS {
            errors.push(FieldError {
                field: "subject",
                code: "subject-too-long",
            });
        }
        let message = parse_message(&self.message)
            .map_err(|e| errors.push(e))
            .ok();
        let job = self.job.trim();
        let job_id = if !signed_in || job.is_empty() {
            None
        } else {
            match job.parse::<JobId>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(FieldError {
                        field: "job",
                        code: "job-unknown",
                    });
                    None
                }
            }
        };
        match message {
            Some(message) if errors.is_empty() => Ok(ContactRequest {
                email,
                subject: subject.to_owned(),
                message,
                job_id,
                urgent: self.urgent.is_some(),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(email: &str, subject: &str, message: &str, job: &str) -> ContactForm {
        ContactForm {
            email: email.into(),
            subject: subject.into(),
            message: message.into(),
            job: job.into(),
            urgent: Some("on".into()),
        }
    }

    fn codes(result: Result<ContactRequest, Vec<FieldError>>) -> Vec<&'static str> {
        result
            .err()
            .unwrap_or_default()
            .iter()
            .map(|e| e.code)
            .collect()
    }

    #[test]
    fn a_complete_visitor_form_parses_and_drops_any_job_reference() {
        let job = JobId::new().to_string();
        let request = form(" Ada@Example.org ", " Help ", " Words ", &job)
            .parse(false)
            .expect("valid");

        assert_eq!(
            request.email.map(|e| e.as_str().to_owned()).as_deref(),
            Some("ada@example.org")
        );
        assert_eq!(
            (request.subject.as_str(), request.message.as_str()),
            ("Help", "Words")
        );
        assert_eq!(request.job_id, None);
        assert!(request.urgent);
    }

    #[test]
    fn every_field_problem_is_named() {
        let long_subject = "s".repeat(MAX_SUBJECT_CHARS + 1);
        let long_message = "m".repeat(MAX_MESSAGE_CHARS + 1);

        assert_eq!(
            codes(form("nope", "", "  ", "").parse(false)),
            vec!["email-invalid", "subject-empty", "message-empty"]
        );
        assert_eq!(
            codes(form("", &long_subject, &long_message, "job-7").parse(true)),
            vec!["subject-too-long", "message-too-long", "job-unknown"]
        );
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let subject = "字".repeat(MAX_SUBJECT_CHARS);
        let message = "語".repeat(MAX_MESSAGE_CHARS);

        assert!(form("", &subject, &message, "").parse(true).is_ok());
    }
}
