//! The records the store reads and writes, independent of any back-end.

use serde::Serialize;

use super::sql::Count;

use crate::domain::{Email, JobId, LotId, ResultId, Role, Timestamp, UploadId, UserId};

#[derive(Clone, Debug)]
pub struct NewUser {
    pub id: UserId,
    pub email: Email,
    pub password_hash: String,
    pub guardian_consent: bool,
    pub wrapped_key: Vec<u8>,
    /// The language chosen at sign-up (a BCP 47 tag we have strings for); mail is written in it.
    pub locale: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    #[serde(serialize_with = "role_name")]
    #[schema(value_type = String)]
    pub role: Role,
    pub status: String,
    pub created_at: Timestamp,
    /// The language mail to this user is written in; `None`: the default (English).
    #[serde(skip)]
    pub locale: Option<String>,
    /// When the address was last proven to reach its owner; `None`: not yet.
    #[serde(skip)]
    pub email_verified_at: Option<Timestamp>,
}

fn role_name<S: serde::Serializer>(role: &Role, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(role.as_str())
}

/// What sign-in needs to check a password and the throttle.
#[derive(Clone, Debug)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
    pub locked_until: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// C4: what an account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    /// Processing paused at the user's request; they can still sign in.
    Restricted,
    Suspended,
    Banned,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Restricted => "restricted",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Banned => "banned",
        }
    }

    pub fn parse(text: &str) -> Option<AccountStatus> {
        [
            AccountStatus::Active,
            AccountStatus::Restricted,
            AccountStatus::Suspended,
            AccountStatus::Banned,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn can_sign_in(self) -> bool {
        matches!(self, AccountStatus::Active | AccountStatus::Restricted)
    }
}

/// What an e-mailed single-use token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    PasswordReset,
    EmailChange,
    VerifyEmail,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::PasswordReset => "password-reset",
            TokenPurpose::EmailChange => "email-change",
            TokenPurpose::VerifyEmail => "verify-email",
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewAccountToken {
    pub token_hash: String,
    pub user_id: UserId,
    pub purpose: TokenPurpose,
    pub new_email: Option<Email>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A lot about to be granted.
#[derive(Clone, Debug)]
pub struct NewLot {
    pub id: LotId,
    pub quantity: u32,
    pub source: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Lot {
    pub id: LotId,
    #[sqlx(try_from = "Count")]
    pub quantity: i64,
    #[sqlx(try_from = "Count")]
    pub remaining: i64,
    pub source: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LedgerKind {
    Grant,
    Spend,
    Refund,
    Expire,
    Revoke,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Grant => "grant",
            LedgerKind::Spend => "spend",
            LedgerKind::Refund => "refund",
            LedgerKind::Expire => "expire",
            LedgerKind::Revoke => "revoke",
        }
    }

    pub fn parse(text: &str) -> Option<LedgerKind> {
        [
            LedgerKind::Grant,
            LedgerKind::Spend,
            LedgerKind::Refund,
            LedgerKind::Expire,
            LedgerKind::Revoke,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct LedgerEntry {
    pub kind: LedgerKind,
    #[sqlx(try_from = "Count")]
    pub amount: i64,
    pub lot_id: LotId,
    pub job_id: Option<JobId>,
    pub created_at: Timestamp,
}

/// Sums over one user's lots and ledger.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenTotals {
    pub lots_quantity: i64,
    /// Sum of the lots' remainders, expired or not.
    pub remaining: i64,
    pub granted: i64,
    pub spent: i64,
    pub refunded: i64,
    pub expired: i64,
    pub revoked: i64,
}

impl TokenTotals {
    /// The ledger invariant (docs/architecture.md): sum(lots.quantity) = balance + spent −
    /// refunded + expired + revoked, and the ledger's grants account for every lot.
    pub fn invariant_holds(&self) -> bool {
        self.remaining >= 0
            && self.lots_quantity == self.granted
            && self.lots_quantity
                == self.remaining + self.spent - self.refunded + self.expired + self.revoked
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Upload {
    pub id: UploadId,
    #[serde(skip)]
    pub user_id: UserId,
    #[serde(skip)]
    pub blob_key: String,
    #[sqlx(try_from = "Count")]
    pub width: u32,
    #[sqlx(try_from = "Count")]
    pub height: u32,
    #[sqlx(try_from = "Count")]
    pub faces: u32,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ResultRecord {
    pub id: ResultId,
    pub job_id: JobId,
    #[serde(skip)]
    pub user_id: UserId,
    #[serde(skip)]
    pub blob_key: String,
    pub width: u32,
    pub height: u32,
    pub created_at: Timestamp,
    /// When an unsaved result goes: creation + `retention.result_ttl`.
    pub expires_at: Timestamp,
    /// When its owner saved it (`None`: not saved).
    pub saved_at: Option<Timestamp>,
    /// A saved result goes then instead (`None` while saved: kept until deleted).
    pub saved_until: Option<Timestamp>,
    /// When the sweeper deletes it: `expires_at` unless saved, else `saved_until`
    /// (`None`: never by itself). Derived; what the countdowns show.
    pub deletes_at: Option<Timestamp>,
}

impl ResultRecord {
    /// The deadline that rules: `saved_until` while saved, else `expires_at`.
    pub fn deadline(
        expires_at: Timestamp,
        saved_at: Option<Timestamp>,
        saved_until: Option<Timestamp>,
    ) -> Option<Timestamp> {
        match saved_at {
            Some(_) => saved_until,
            None => Some(expires_at),
        }
    }

    pub fn saved(&self) -> bool {
        self.saved_at.is_some()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Canceled => "canceled",
        }
    }

    pub fn parse(text: &str) -> Option<JobStatus> {
        [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Canceled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug)]
pub struct NewJob {
    pub id: JobId,
    pub upload_id: Option<UploadId>,
    pub style: String,
    pub intensity: f32,
    pub seed: u64,
    pub cost: u32,
    /// The user's text for styles that take one (checked by the prompt filter).
    pub prompt: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: JobId,
    #[serde(skip)]
    pub user_id: UserId,
    pub upload_id: Option<UploadId>,
    pub style: String,
    pub intensity: f32,
    pub seed: u64,
    pub cost: u32,
    pub status: JobStatus,
    pub attempts: u32,
    pub progress: f32,
    pub error: Option<String>,
    pub result_id: Option<ResultId>,
    pub created_at: Timestamp,
    /// Cleared when the result is deleted, and swept with results of its age otherwise.
    pub prompt: Option<String>,
}

/// A job as its owner sees it, with its place in the queue.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct JobView {
    #[serde(flatten)]
    pub job: Job,
    /// 1 for the next job to run; `None` unless queued.
    pub queue_position: Option<i64>,
}

/// Who claims and on what terms.
#[derive(Clone, Debug)]
pub struct Claim {
    pub worker: String,
    pub lease: std::time::Duration,
    pub per_user_concurrency: u32,
    pub max_attempts: u32,
}

/// A row the sweeper deletes: its id, owner and blob.
#[derive(Clone, Debug)]
pub struct BlobRow {
    pub id: String,
    pub user_id: UserId,
    pub blob_key: String,
}

/// One message in the outbox: the text part always, the HTML alternative when composed by
/// [`crate::mail_compose`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub recipient: String,
    pub subject: String,
    /// The text/plain part.
    pub body: String,
    /// The text/html alternative.
    pub html: Option<String>,
}

/// A mail waiting in the outbox, with the attempts already made to deliver it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingMail {
    pub id: i64,
    pub attempts: u32,
    pub mail: Mail,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccessEntry {
    pub at: Timestamp,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub method: String,
    pub route: String,
    pub status: u16,
    pub user_id: Option<UserId>,
}
