//! Records of the versioned privacy policy and terms: published versions, the notice
//! mailed when one is published, and each user's acceptances.

use super::sql::Count;
use serde::Serialize;

use crate::domain::{PolicyId, Timestamp};

/// Which document a version belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    Privacy,
    Terms,
}

impl PolicyKind {
    pub const ALL: [PolicyKind; 2] = [PolicyKind::Privacy, PolicyKind::Terms];

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Privacy => "privacy",
            PolicyKind::Terms => "terms",
        }
    }

    pub fn parse(text: &str) -> Option<PolicyKind> {
        PolicyKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// A version about to be published; the store numbers it.
#[derive(Clone, Debug)]
pub struct NewPolicyVersion {
    pub id: PolicyId,
    pub kind: PolicyKind,
    pub title: String,
    /// What changed, in a sentence or two: shown in the notice mail and on the accept page.
    pub summary: String,
    /// Markdown, kept exactly as published.
    pub body: String,
    pub published_at: Timestamp,
    pub effective_at: Timestamp,
}

/// A published version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct PolicyVersion {
    pub id: PolicyId,
    pub kind: PolicyKind,
    #[sqlx(try_from = "Count")]
    pub version: u32,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub published_at: Timestamp,
    pub effective_at: Timestamp,
    /// Users e-mailed about this version when it was published.
    #[sqlx(try_from = "Count")]
    pub notified: u32,
}

/// The mail every user gets when a version is published ahead of its effective date, one per
/// language: users whose language has no entry get the first.
#[derive(Clone, Debug)]
pub struct PolicyNotice {
    pub by_locale: Vec<LocalizedNotice>,
}

#[derive(Clone, Debug)]
pub struct LocalizedNotice {
    pub locale: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Where an acceptance was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AcceptanceSource {
    SignUp,
    Web,
    Api,
}

impl AcceptanceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AcceptanceSource::SignUp => "sign-up",
            AcceptanceSource::Web => "web",
            AcceptanceSource::Api => "api",
        }
    }

    pub fn parse(text: &str) -> Option<AcceptanceSource> {
        [
            AcceptanceSource::SignUp,
            AcceptanceSource::Web,
            AcceptanceSource::Api,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One version a user accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct PolicyAcceptance {
    pub policy_id: PolicyId,
    pub kind: PolicyKind,
    #[sqlx(try_from = "Count")]
    pub version: u32,
    pub title: String,
    pub source: AcceptanceSource,
    pub accepted_at: Timestamp,
}
