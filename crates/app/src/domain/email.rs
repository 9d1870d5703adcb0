//! E-mail addresses, parsed once at the edge and normalised so one person has one account.

use std::fmt;

use serde::Serialize;

/// A syntactically plausible, lower-cased e-mail address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid e-mail address")]
pub struct EmailError;

impl Email {
    /// Accepts `local@domain.tld` with no spaces, at most 254 characters. Deliverability is
    /// proven by the e-mails we send, not by a regular expression.
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let trimmed = input.trim();
        let (local, domain) = trimmed.split_once('@').ok_or(EmailError)?;
        let valid = trimmed.len() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !trimmed
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
            && !domain.contains('@');
        if valid {
            Ok(Email(trimmed.to_lowercase()))
        } else {
            Err(EmailError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.ORG ").map(|e| e.0),
            Ok("ada@example.org".to_owned())
        );
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a da@example.org",
            "ada@.org",
            "a@b@c.org",
        ] {
            assert_eq!(
                Email::parse(bad),
                Err(EmailError),
                "{bad:?} should be rejected"
            );
        }
    }
}
