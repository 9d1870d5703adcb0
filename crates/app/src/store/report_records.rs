//! The rows of abuse reports: what the owner of a portrait or photo reported, and
//! where the admins' review of it stands.

use serde::Serialize;
use uuid::Uuid;

use crate::domain::{ReportId, Timestamp, UserId};

/// What a report is about: one of the reporter's portraits or uploaded photos.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportedKind {
    Result,
    Upload,
}

impl ReportedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportedKind::Result => "result",
            ReportedKind::Upload => "upload",
        }
    }

    pub fn parse(text: &str) -> Option<ReportedKind> {
        [ReportedKind::Result, ReportedKind::Upload]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// Why an item is reported: the content rules it breaks. The codes are stable (API, export).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportReason {
    /// Shows someone who did not consent.
    Consent,
    /// Shows a minor without a guardian's consent.
    Minor,
    Sexual,
    Violent,
    Hateful,
    /// Made to deceive (a deepfake).
    Deception,
    Other,
}

impl ReportReason {
    pub const ALL: [ReportReason; 7] = [
        ReportReason::Consent,
        ReportReason::Minor,
        ReportReason::Sexual,
        ReportReason::Violent,
        ReportReason::Hateful,
        ReportReason::Deception,
        ReportReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportReason::Consent => "consent",
            ReportReason::Minor => "minor",
            ReportReason::Sexual => "sexual",
            ReportReason::Violent => "violent",
            ReportReason::Hateful => "hateful",
            ReportReason::Deception => "deception",
            ReportReason::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<ReportReason> {
        Self::ALL.into_iter().find(|reason| reason.as_str() == text)
    }
}

/// Where the review stands: open until an admin decides; the latest decision wins (every
/// decision is also in the audit log).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportStatus {
    Open,
    /// The reported item was deleted.
    Removed,
    /// The owner's account was suspended or banned.
    Actioned,
    /// Nothing to do.
    Dismissed,
}

impl ReportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Open => "open",
            ReportStatus::Removed => "removed",
            ReportStatus::Actioned => "actioned",
            ReportStatus::Dismissed => "dismissed",
        }
    }

    pub fn parse(text: &str) -> Option<ReportStatus> {
        [
            ReportStatus::Open,
            ReportStatus::Removed,
            ReportStatus::Actioned,
            ReportStatus::Dismissed,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// A report to file: the caller reports one of their own items.
#[derive(Clone, Debug)]
pub struct NewReport {
    pub id: ReportId,
    pub kind: ReportedKind,
    pub item_id: Uuid,
    pub reason: ReportReason,
    /// At most 2,000 characters (checked by `reports::ReportForm::parse`), possibly empty.
    pub details: String,
    pub created_at: Timestamp,
}

/// A filed report (`reports.json` in the export; the API's answer).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub id: ReportId,
    /// The reporter, who is the item's owner; `None` once that account is erased.
    #[serde(skip)]
    pub user_id: Option<UserId>,
    pub kind: ReportedKind,
    /// The reported item; `None` once the reporter's account is erased (the report stays
    /// for the admins' record, pointing at nothing of theirs).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub item_id: Option<Uuid>,
    pub reason: ReportReason,
    pub details: String,
    pub status: ReportStatus,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}

/// A report as admins review it, with the owner's account as it is now.
#[derive(Clone, Debug)]
pub struct ReportRow {
    pub report: Report,
    /// `None` once the account is erased.
    pub owner: Option<ReportOwner>,
}

#[derive(Clone, Debug)]
pub struct ReportOwner {
    pub id: UserId,
    pub email: String,
    pub role: crate::domain::Role,
    pub status: super::AccountStatus,
}
