//! Records of the privacy center: the user's choices, their history, and what an
//! erasure removed.

use serde::{Deserialize, Serialize};

use crate::domain::Timestamp;

/// A choice the user can change at any time (restriction and objection).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentKind {
    ProcessingPaused,
    AnalyticsOptOut,
    MarketingOptIn,
}

impl ConsentKind {
    pub const ALL: [ConsentKind; 3] = [
        ConsentKind::ProcessingPaused,
        ConsentKind::AnalyticsOptOut,
        ConsentKind::MarketingOptIn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentKind::ProcessingPaused => "processing-paused",
            ConsentKind::AnalyticsOptOut => "analytics-opt-out",
            ConsentKind::MarketingOptIn => "marketing-opt-in",
        }
    }

    pub fn parse(text: &str) -> Option<ConsentKind> {
        ConsentKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The user's current choices. Defaults: processing on, analytics on, no marketing mail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PrivacySettings {
    pub processing_paused: bool,
    pub analytics_opt_out: bool,
    pub marketing_opt_in: bool,
}

impl PrivacySettings {
    pub fn get(&self, kind: ConsentKind) -> bool {
        match kind {
            ConsentKind::ProcessingPaused => self.processing_paused,
            ConsentKind::AnalyticsOptOut => self.analytics_opt_out,
            ConsentKind::MarketingOptIn => self.marketing_opt_in,
        }
    }
}

/// A partial change of the choices: `None` leaves a choice as it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyChange {
    pub processing_paused: Option<bool>,
    pub analytics_opt_out: Option<bool>,
    pub marketing_opt_in: Option<bool>,
}

impl PrivacyChange {
    pub fn get(&self, kind: ConsentKind) -> Option<bool> {
        match kind {
            ConsentKind::ProcessingPaused => self.processing_paused,
            ConsentKind::AnalyticsOptOut => self.analytics_opt_out,
            ConsentKind::MarketingOptIn => self.marketing_opt_in,
        }
    }
}

/// Where a change was made, recorded with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentSource {
    Web,
    Api,
}

impl ConsentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentSource::Web => "web",
            ConsentSource::Api => "api",
        }
    }
}

/// One recorded change (`consents.json` in the export).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct ConsentRecord {
    pub kind: ConsentKind,
    pub value: bool,
    pub source: String,
    #[sqlx(rename = "created_at")]
    pub at: Timestamp,
}

/// The account's own fields (`account.json` in the export).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccountRecord {
    pub id: crate::domain::UserId,
    pub email: String,
    pub display_name: Option<String>,
    pub role: String,
    pub status: String,
    pub guardian_consent: bool,
    pub created_at: Timestamp,
    /// The language mail is written in.
    pub locale: Option<String>,
    /// When the address was proven to reach its owner; `None`: not yet.
    pub email_verified_at: Option<Timestamp>,
    #[serde(flatten)]
    pub privacy: PrivacySettings,
}

/// One entry of the admin audit log: who did what to whose account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct AdminAction {
    pub at: Timestamp,
    /// `cli` for the operator's command line, else the admin's user id.
    pub actor: String,
    /// `grant`, `suspend`, `activate`, `create-admin`, `refund`, `export-user`, ….
    pub action: String,
    /// The account acted on; `None` once that account is erased.
    #[sqlx(rename = "subject_user_id")]
    pub subject: Option<crate::domain::UserId>,
    /// What changed, without personal data (amounts, ids).
    pub detail: String,
}

impl AdminAction {
    /// An admin looked at other people's data (`view-purchases`, `view-audit`): recorded
    /// before the data is read, so a view that cannot be logged is not served.
    pub fn view(admin: crate::domain::UserId, action: &str, detail: &str) -> AdminAction {
        AdminAction {
            at: Timestamp::now(),
            actor: admin.to_string(),
            action: action.to_owned(),
            subject: None,
            detail: detail.to_owned(),
        }
    }
}

/// Where a background export stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportStatus {
    Pending,
    Ready,
    Failed,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportStatus::Pending => "pending",
            ExportStatus::Ready => "ready",
            ExportStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<ExportStatus> {
        [
            ExportStatus::Pending,
            ExportStatus::Ready,
            ExportStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A data export asked for by its owner and built in the background.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct ExportRequest {
    pub id: crate::domain::ExportId,
    pub status: ExportStatus,
    #[serde(skip)]
    pub blob_key: Option<String>,
    /// Size of the ZIP once ready.
    pub bytes: Option<i64>,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub ready_at: Option<Timestamp>,
    /// After this the ZIP (and the request) is deleted; a pending one is given up.
    pub expires_at: Timestamp,
}

/// An expired export for the sweeper: its id and the blob to delete first (if any).
#[derive(Clone, Debug)]
pub struct ExportBlob {
    pub id: crate::domain::ExportId,
    pub blob_key: Option<String>,
}

/// How a background export ended.
#[derive(Clone, Debug)]
pub enum ExportOutcome {
    Ready { blob_key: String, bytes: i64 },
    Failed { error: String },
}

/// What an erasure removed, for the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ErasureCounts {
    /// Rows deleted by statement (PostgreSQL does not count the rows its cascades remove).
    pub rows: u64,
    pub purchases_detached: u64,
    /// Subscriptions kept for accounting with their owner cleared (their grants too).
    pub subscriptions_detached: u64,
}

/// What a usage event says happened; never what was in it (no prompt, no image, no amount).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UsageKind {
    SignedUp,
    Upload,
    JobSucceeded,
    JobFailed,
    PurchasePaid,
}

impl UsageKind {
    pub const ALL: [UsageKind; 5] = [
        UsageKind::SignedUp,
        UsageKind::Upload,
        UsageKind::JobSucceeded,
        UsageKind::JobFailed,
        UsageKind::PurchasePaid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UsageKind::SignedUp => "signed-up",
            UsageKind::Upload => "upload",
            UsageKind::JobSucceeded => "job-succeeded",
            UsageKind::JobFailed => "job-failed",
            UsageKind::PurchasePaid => "purchase-paid",
        }
    }

    pub fn parse(text: &str) -> Option<UsageKind> {
        UsageKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One usage-analytics event (`analytics.json` in the export).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct UsageEvent {
    pub kind: UsageKind,
    /// The style of the job, for job events.
    pub style: Option<String>,
    #[sqlx(rename = "created_at")]
    pub at: Timestamp,
}
