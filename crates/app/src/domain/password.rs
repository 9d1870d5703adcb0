//! Passwords as typed by a person, checked against the length rules and a list of common
//! passwords before they are hashed. Never logged: `Debug` is redacted.

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

/// A password that passed the sign-up rules.
#[derive(Clone)]
pub struct Password(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least 8 characters")]
    TooShort,
    #[error("the password must have at most 128 characters")]
    TooLong,
    #[error("this password is too common; choose another")]
    TooCommon,
}

impl PasswordError {
    pub fn code(self) -> &'static str {
        match self {
            PasswordError::TooShort => "password-too-short",
            PasswordError::TooLong => "password-too-long",
            PasswordError::TooCommon => "password-too-common",
        }
    }
}

const COMMON: &str = include_str!("../../data/common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

impl Password {
    /// Checks a new password: 8–128 characters (counted as Unicode scalar values, as NIST
    /// asks) and not on the common list (compared case-insensitively).
    pub fn parse(input: &str) -> Result<Password, PasswordError> {
        let length = input.chars().count();
        if length < 8 {
            return Err(PasswordError::TooShort);
        }
        if length > 128 {
            return Err(PasswordError::TooLong);
        }
        if common_passwords().contains(input.to_lowercase().as_str()) {
            return Err(PasswordError::TooCommon);
        }
        Ok(Password(input.to_owned()))
    }

    /// Wraps a password typed at sign-in: only its length is bounded, so the hash check
    /// never runs on megabytes of input.
    pub fn for_sign_in(input: &str) -> Option<Password> {
        (input.len() <= 512).then(|| Password(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_bounds_are_enforced() {
        assert_eq!(
            Password::parse("short").err(),
            Some(PasswordError::TooShort)
        );
        assert_eq!(
            Password::parse(&"x".repeat(129)).err(),
            Some(PasswordError::TooLong)
        );
        assert!(Password::parse("correct horse battery").is_ok());
    }

    #[test]
    fn common_passwords_are_rejected_whatever_their_case() {
        assert_eq!(
            Password::parse("password").err(),
            Some(PasswordError::TooCommon)
        );
        assert_eq!(
            Password::parse("Password1").err(),
            Some(PasswordError::TooCommon)
        );
        assert_eq!(
            Password::parse("12345678").err(),
            Some(PasswordError::TooCommon)
        );
    }

    #[test]
    fn the_common_list_holds_the_3000_most_common() {
        assert_eq!(common_passwords().len(), 3000);
        // Ranks 1, 1,000, 2,000 and 3,000 of the published list.
        for entry in ["123456", "1qaz2wsx3edc", "billyboy", "1005"] {
            assert!(common_passwords().contains(entry), "{entry} missing");
        }
    }

    #[test]
    fn debug_output_hides_the_password() {
        let password = Password::parse("correct horse battery").expect("valid");
        assert!(!format!("{password:?}").contains("horse"));
    }
}
