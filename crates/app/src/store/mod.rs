//! The store: every table behind traits split by concern, one body of queries for both
//! back-ends (SQLite, PostgreSQL; see `sql`), chosen at runtime from the URL.
//!
//! Owns all SQL. User-scoped calls take a [`UserScope`]; calls without one are for the
//! system (sign-in lookup, workers, the sweeper) and say so in their names and docs.

mod admin_records;
mod api_records;
mod payment_records;
mod plan_records;
mod policy_records;
pub mod postgres;
mod privacy_records;
mod records;
mod report_records;
mod sql;
mod sql_error;
pub mod sqlite;
mod support_records;

#[cfg(test)]
pub(crate) mod conformance;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

pub use admin_records::*;
pub use api_records::*;
pub use payment_records::*;
pub use plan_records::*;
pub use policy_records::*;
pub use privacy_records::*;
pub use records::*;
pub use report_records::*;
pub use support_records::*;

use crate::config::DatabaseConfig;
use crate::domain::{
    ApiKeyId, Email, ExportId, JobId, LotId, PolicyId, PurchaseId, ReportId, ResultId, Role,
    SubscriptionId, Timestamp, UploadId, UserId, UserScope,
};

/// Why a store call failed. Only `Internal` is the store's fault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    Conflict,
    #[error("not enough tokens")]
    InsufficientTokens,
    #[error("the item is not in a state that allows this")]
    WrongState,
    #[error("database error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound => "not-found",
            StoreError::Conflict => "conflict",
            StoreError::InsufficientTokens => "insufficient-tokens",
            StoreError::WrongState => "wrong-state",
            StoreError::Internal(_) => "internal",
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Accounts and sessions.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Inserts the user and, in the same transaction, their welcome lot (if any).
    /// A taken e-mail address is `Conflict`.
    async fn create_user(&self, user: NewUser, welcome: Option<NewLot>) -> StoreResult<User>;
    /// System: the account behind an e-mail address, for sign-in and operator commands.
    async fn find_user_by_email(&self, email: &Email) -> StoreResult<Option<UserCredentials>>;
    async fn user(&self, scope: UserScope) -> StoreResult<User>;
    /// System: the wrapped data key of a user (`None` once shredded).
    async fn wrapped_key(&self, user: UserId) -> StoreResult<Option<Vec<u8>>>;
    /// System: counts a failed sign-in; at `max` failures the account locks until `until`.
    async fn record_failed_login(
        &self,
        user: UserId,
        max: u32,
        until: Timestamp,
    ) -> StoreResult<()>;
    async fn clear_failed_logins(&self, user: UserId) -> StoreResult<()>;
    async fn create_session(&self, session: NewSession) -> StoreResult<()>;
    /// The scope of a live session, refreshing its idle deadline; `None` when unknown or expired.
    async fn session_scope(
        &self,
        token_hash: &str,
        now: Timestamp,
        idle: Duration,
    ) -> StoreResult<Option<UserScope>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn create_account_token(&self, token: &NewAccountToken) -> StoreResult<()>;
    /// Marks a live token of `purpose` used and returns its user and new e-mail; `None` when
    /// unknown, expired or already used. Single use holds under concurrency.
    async fn consume_account_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> StoreResult<Option<(UserId, Option<String>)>>;
    /// Replaces the password hash and closes every session of the user, in one transaction.
    async fn set_password_hash(&self, user: UserId, password_hash: &str) -> StoreResult<()>;
    /// Moves the account to `email`, proven to reach the user at `verified_at` (the link to it
    /// was opened). A taken address is `Conflict`.
    async fn set_email(
        &self,
        user: UserId,
        email: &Email,
        verified_at: Timestamp,
    ) -> StoreResult<()>;
    /// Records that the user's current address reached them (a verification or e-mail change
    /// link was opened). Keeps an earlier time.
    async fn mark_email_verified(&self, user: UserId, now: Timestamp) -> StoreResult<()>;
    /// System: accounts whose address is still unverified and that were created before
    /// `created_before`, oldest first (the sweeper erases them).
    async fn unverified_users(
        &self,
        created_before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<UserId>>;
    /// Operator: changes role and status; any status but active/restricted closes sessions.
    async fn set_role_and_status(
        &self,
        user: UserId,
        role: Role,
        status: AccountStatus,
    ) -> StoreResult<()>;
}

/// Token lots and the append-only ledger (C5).
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// System/operator: adds a lot and its `grant` ledger entry.
    async fn grant_tokens(&self, user: UserId, lot: NewLot) -> StoreResult<LotId>;
    /// Spends `amount` from the lots expiring first, charged to `job`; all or nothing.
    async fn spend_tokens(
        &self,
        scope: UserScope,
        amount: u32,
        job: JobId,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Puts back what `job` spent into the lots it came from; a second call does nothing.
    async fn refund_job_tokens(&self, job: JobId, now: Timestamp) -> StoreResult<u32>;
    /// System: zeroes lots past their expiry, with `expire` entries; returns tokens expired.
    async fn expire_lots(&self, now: Timestamp) -> StoreResult<u64>;
    /// Operator: takes back up to `amount` unspent tokens of a lot.
    async fn revoke_tokens(
        &self,
        user: UserId,
        lot: LotId,
        amount: u32,
        now: Timestamp,
    ) -> StoreResult<u32>;
    /// Spendable tokens: the remainders of lots not yet expired.
    async fn balance(&self, scope: UserScope, now: Timestamp) -> StoreResult<i64>;
    async fn lots(&self, scope: UserScope) -> StoreResult<Vec<Lot>>;
    async fn ledger(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<LedgerEntry>>;
    /// System: the sums that the ledger invariant (docs/architecture.md) relates, for audits and
    /// tests.
    async fn token_totals(&self, user: UserId) -> StoreResult<TokenTotals>;
    /// Operator: takes back `amount` unspent tokens from the user's live lots, soonest expiry
    /// first (as spending does), with `revoke` entries; all or nothing: fewer unspent tokens
    /// than `amount` is `InsufficientTokens` and changes nothing.
    async fn revoke_unspent(&self, user: UserId, amount: u32, now: Timestamp) -> StoreResult<()>;
    /// System: purges the details of lots that expired at or before `expired_by` and are spent
    /// out: the lot's source becomes `expired` and its ledger entries lose their job ids and
    /// notes; amounts, kinds and dates stay. Skips lots a queued or running job spent from
    /// (its refund finds its entries by job id) and lots already purged. Purges at most
    /// `limit` lots; returns how many.
    async fn purge_expired_lot_details(
        &self,
        expired_by: Timestamp,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<u64>;
}

/// Usage analytics: kept two years, never of a user who opted out.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// System: records `kind` for `user` unless they opted out of analytics (checked in the
    /// same statement, so a concurrent opt-out is never outrun); returns whether it was.
    async fn record_usage(
        &self,
        user: UserId,
        kind: UsageKind,
        style: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// The caller's events, oldest first (for the data export).
    async fn usage_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<UsageEvent>>;
    /// System: deletes events recorded before `before`; returns how many.
    async fn purge_usage(&self, before: Timestamp) -> StoreResult<u64>;
}

/// Uploads and results, the rows behind the blobs.
#[async_trait]
pub trait MediaStore: Send + Sync {
    async fn insert_upload(&self, scope: UserScope, upload: &Upload) -> StoreResult<()>;
    async fn upload(&self, scope: UserScope, id: UploadId) -> StoreResult<Option<Upload>>;
    async fn delete_upload(&self, scope: UserScope, id: UploadId) -> StoreResult<bool>;
    async fn result(&self, scope: UserScope, id: ResultId) -> StoreResult<Option<ResultRecord>>;
    async fn delete_result(&self, scope: UserScope, id: ResultId) -> StoreResult<bool>;
    /// The caller's uploads still held, newest first.
    async fn uploads_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Upload>>;
    /// The caller's results still held, newest first.
    async fn results_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<ResultRecord>>;
    /// Keeps a result past its `expires_at` until `until` (`None`: until deleted), from `at`.
    /// A result saved already stays as it is. `None` when the caller has no such result.
    async fn save_result(
        &self,
        scope: UserScope,
        id: ResultId,
        at: Timestamp,
        until: Option<Timestamp>,
    ) -> StoreResult<Option<ResultRecord>>;
    /// Back to the rule of unsaved results: `expires_at`, counted from creation.
    async fn unsave_result(
        &self,
        scope: UserScope,
        id: ResultId,
    ) -> StoreResult<Option<ResultRecord>>;
}

/// The job queue (C7).
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Debits the job's cost and inserts it, in one transaction.
    async fn enqueue_job(&self, scope: UserScope, job: NewJob, now: Timestamp) -> StoreResult<Job>;
    async fn job(&self, scope: UserScope, id: JobId) -> StoreResult<Option<JobView>>;
    /// Cancels a queued job and refunds it; a job already running or done is `WrongState`.
    async fn cancel_job(&self, scope: UserScope, id: JobId, now: Timestamp) -> StoreResult<Job>;
    /// System: leases the next runnable job in fair order, or `None`; only active accounts'
    /// jobs run. Also fails, with a refund, jobs whose lease ran out on their last attempt.
    async fn claim_next_job(&self, claim: &Claim, now: Timestamp) -> StoreResult<Option<Job>>;
    /// System: extends the lease and records progress; `false` when the lease was lost.
    async fn heartbeat_job(
        &self,
        id: JobId,
        worker: &str,
        progress: f32,
        lease_until: Timestamp,
    ) -> StoreResult<bool>;
    /// System: inserts the result (once per job) and marks the job succeeded, in one transaction.
    async fn complete_job(
        &self,
        id: JobId,
        worker: &str,
        result: &ResultRecord,
        now: Timestamp,
    ) -> StoreResult<ResultId>;
    /// System: back to the queue after a transient fault, runnable from `run_after`.
    async fn retry_job(
        &self,
        id: JobId,
        worker: &str,
        error: &str,
        run_after: Timestamp,
    ) -> StoreResult<()>;
    /// System: marks the job failed and refunds it, in one transaction.
    async fn fail_job(
        &self,
        id: JobId,
        worker: Option<&str>,
        error: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn queue_depth(&self) -> StoreResult<i64>;
    /// The caller's jobs, newest first (history).
    async fn jobs_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Job>>;
    /// A signal that changes when a job may have become claimable (one was enqueued, or one
    /// ended and freed its user's slot), so idle workers need not wait for their next poll.
    /// Best effort: workers keep polling. `None` when the back-end cannot tell.
    fn job_wakeups(&self) -> Option<watch::Receiver<()>> {
        None
    }
}

/// Retention (C8): what the sweeper may delete.
#[async_trait]
pub trait RetentionStore: Send + Sync {
    async fn expired_uploads(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<BlobRow>>;
    async fn expired_results(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<BlobRow>>;
    async fn forget_upload(&self, id: &str) -> StoreResult<()>;
    async fn forget_result(&self, id: &str) -> StoreResult<()>;
    /// Whether any upload or result row still points at `blob_key`.
    async fn blob_key_in_use(&self, blob_key: &str) -> StoreResult<bool>;
    /// Clears the prompts of jobs created before `before` that ended without a result
    /// (failed, canceled): a prompt lives no longer than a result would have. Prompts of
    /// results go with the result (a trigger on `results`). Returns the jobs cleared.
    async fn forget_stale_prompts(&self, before: Timestamp) -> StoreResult<u64>;
}

/// The e-mail outbox and the access log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn enqueue_mail(&self, mail: &Mail, now: Timestamp) -> StoreResult<()>;
    /// System: mail neither sent nor given up on whose next attempt is due, oldest first.
    async fn pending_mail(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<PendingMail>>;
    async fn mark_mail_sent(&self, id: i64, now: Timestamp) -> StoreResult<()>;
    /// System: counts a failed attempt; retried from `retry_at`, or given up on when `None`.
    async fn mark_mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn record_access(&self, entry: &AccessEntry) -> StoreResult<()>;
    async fn purge_access_log(&self, before: Timestamp) -> StoreResult<u64>;
    /// System: deletes mail sent or given up on before `before`; returns how many.
    async fn purge_mail(&self, before: Timestamp) -> StoreResult<u64>;
    /// The caller's own access-log rows, newest first (for the data export).
    async fn access_log_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<AccessEntry>>;
    /// Appends to the admin audit log (append-only: nothing edits or deletes an entry).
    async fn record_admin_action(&self, action: &AdminAction) -> StoreResult<()>;
    /// Admin: the latest entries of the audit log, newest first.
    async fn admin_actions(&self, limit: u32) -> StoreResult<Vec<AdminAction>>;
}

/// Token-pack purchases and the Stripe facts about them (C6).
#[async_trait]
pub trait PaymentStore: Send + Sync {
    /// Records a pending purchase for the caller.
    async fn create_purchase(
        &self,
        scope: UserScope,
        purchase: &NewPurchase,
    ) -> StoreResult<Purchase>;
    /// Records the Checkout Session created for a pending purchase (once).
    async fn attach_checkout_session(
        &self,
        id: PurchaseId,
        session_id: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn purchase(&self, scope: UserScope, id: PurchaseId) -> StoreResult<Option<Purchase>>;
    /// The caller's purchases, newest first.
    async fn purchases_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Purchase>>;
    /// System: a purchase whoever owns it (webhooks, reconciliation, operator refunds).
    async fn purchase_by_id(&self, id: PurchaseId) -> StoreResult<Option<Purchase>>;
    /// Admin: the latest purchases of every account, with the buyer's e-mail.
    async fn all_purchases(&self, limit: u32) -> StoreResult<Vec<PurchaseRow>>;
    /// System: applies `fact` exactly once. With an `event`, its id is recorded in the same
    /// transaction, and an id seen before is `Duplicate` and changes nothing. Crediting and
    /// revoking go through the token lots and ledger in that transaction too.
    async fn apply_payment_fact(
        &self,
        event: Option<&EventKey>,
        fact: &PaymentFact,
        now: Timestamp,
    ) -> StoreResult<PaymentOutcome>;
}

/// Plans subscribed to through Stripe. Stripe's reports about them go through
/// [`PaymentStore::apply_payment_fact`], exactly once like every payment fact.
#[async_trait]
pub trait SubscriptionStore: Send + Sync {
    /// Records a pending subscription for the caller, before Checkout opens.
    async fn create_subscription(
        &self,
        scope: UserScope,
        subscription: &NewSubscription,
    ) -> StoreResult<Subscription>;
    /// Records the Checkout Session created for a pending subscription (once).
    async fn attach_subscription_checkout(
        &self,
        id: SubscriptionId,
        session_id: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn subscription(
        &self,
        scope: UserScope,
        id: SubscriptionId,
    ) -> StoreResult<Option<Subscription>>;
    /// The caller's subscriptions, newest first.
    async fn subscriptions_of(
        &self,
        scope: UserScope,
        limit: u32,
    ) -> StoreResult<Vec<Subscription>>;
    /// The tokens the caller's subscriptions granted, newest first.
    async fn subscription_grants_of(
        &self,
        scope: UserScope,
        limit: u32,
    ) -> StoreResult<Vec<SubscriptionGrant>>;
}

/// The privacy center: choices, their history, rectification, erasure.
#[async_trait]
pub trait PrivacyStore: Send + Sync {
    async fn privacy(&self, scope: UserScope) -> StoreResult<PrivacySettings>;
    /// Applies `change` and appends one `consents` row per choice whose value changed, in one
    /// transaction; returns the choices now in force.
    async fn set_privacy(
        &self,
        scope: UserScope,
        change: &PrivacyChange,
        source: ConsentSource,
        now: Timestamp,
    ) -> StoreResult<PrivacySettings>;
    /// The caller's recorded changes, oldest first.
    async fn consents_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<ConsentRecord>>;
    async fn account_record(&self, scope: UserScope) -> StoreResult<AccountRecord>;
    /// `None` clears the name.
    async fn set_display_name(&self, scope: UserScope, name: Option<&str>) -> StoreResult<()>;
    /// First step of erasure: pauses processing (no claim, upload or job from now on) and
    /// cancels, with refunds, the queued jobs; returns how many were canceled.
    async fn begin_erasure(&self, scope: UserScope, now: Timestamp) -> StoreResult<u32>;
    /// Last step of erasure, in one transaction: deletes every row of the user (the users row
    /// with its wrapped data key last), detaches their purchases (`user_id` NULL), drops mail
    /// addressed to them, and queues `farewell` (if any), which is deleted once delivered.
    async fn erase_user(
        &self,
        scope: UserScope,
        farewell: Option<&Mail>,
        now: Timestamp,
    ) -> StoreResult<ErasureCounts>;
}

/// Data exports built in the background, downloadable by their owner until they expire.
#[async_trait]
pub trait ExportStore: Send + Sync {
    async fn create_export(
        &self,
        scope: UserScope,
        id: ExportId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<ExportRequest>;
    /// Records how a pending export ended (a request no longer pending is `WrongState`).
    async fn finish_export(
        &self,
        scope: UserScope,
        id: ExportId,
        outcome: &ExportOutcome,
        now: Timestamp,
    ) -> StoreResult<ExportRequest>;
    async fn export_request(
        &self,
        scope: UserScope,
        id: ExportId,
    ) -> StoreResult<Option<ExportRequest>>;
    /// The caller's export requests, newest first.
    async fn export_requests_of(
        &self,
        scope: UserScope,
        limit: u32,
    ) -> StoreResult<Vec<ExportRequest>>;
    /// System: requests past their expiry, for the sweeper (blob first, then row).
    async fn expired_exports(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<ExportBlob>>;
    async fn forget_export(&self, id: ExportId) -> StoreResult<()>;
    /// System: marks failed the exports still pending that were asked for before `before`
    /// (their build was cut short by a restart), so their owners can ask again.
    async fn fail_stale_exports(&self, before: Timestamp, now: Timestamp) -> StoreResult<u64>;
}

/// The versioned privacy policy and terms, and who accepted which version.
#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// Operator: numbers and inserts a version (the kind's latest + 1) and, with a `notice`,
    /// queues it to every account in the same transaction, so each user is told exactly once.
    /// A version taking effect before the kind's latest one is `WrongState`.
    async fn publish_policy(
        &self,
        version: &NewPolicyVersion,
        notice: Option<&PolicyNotice>,
    ) -> StoreResult<PolicyVersion>;
    /// Public: every version of `kind` (or of both), newest first.
    async fn policy_versions(&self, kind: Option<PolicyKind>) -> StoreResult<Vec<PolicyVersion>>;
    /// Public: the version in force for each kind at `now` (the latest already effective).
    async fn current_policies(&self, now: Timestamp) -> StoreResult<Vec<PolicyVersion>>;
    /// The versions in force that the caller has not accepted yet.
    async fn pending_policies(
        &self,
        scope: UserScope,
        now: Timestamp,
    ) -> StoreResult<Vec<PolicyVersion>>;
    /// Records the caller's acceptance of `ids` (accepting twice changes nothing); an unknown
    /// id is `NotFound` and nothing is recorded. Returns how many were new.
    async fn accept_policies(
        &self,
        scope: UserScope,
        ids: &[PolicyId],
        source: AcceptanceSource,
        now: Timestamp,
    ) -> StoreResult<u32>;
    /// System: at sign-up, the new account accepts every version in force.
    async fn accept_current_policies(&self, user: UserId, now: Timestamp) -> StoreResult<u32>;
    /// The caller's acceptances, oldest first.
    async fn policy_acceptances_of(&self, scope: UserScope) -> StoreResult<Vec<PolicyAcceptance>>;
}

/// API keys: created, listed and revoked by their owner; looked up by hash at
/// authentication, as sessions are.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a key for the caller; one beyond `max` live keys is `WrongState`.
    async fn create_api_key(
        &self,
        scope: UserScope,
        key: &NewApiKey,
        max: u32,
    ) -> StoreResult<ApiKey>;
    /// The caller's keys, newest first.
    async fn api_keys_of(&self, scope: UserScope, page: &PageRequest) -> StoreResult<Page<ApiKey>>;
    /// Revokes (deletes) one of the caller's keys; `false` when they have no such key.
    async fn delete_api_key(&self, scope: UserScope, id: ApiKeyId) -> StoreResult<bool>;
    /// System: the scope behind a key's hash when its owner may sign in, recording its use
    /// (at most once a minute); `None` when unknown (revoked) or the account is blocked.
    async fn api_key_scope(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(UserScope, ApiKeyId)>>;
}

/// `Idempotency-Key` records: a key is claimed in a transaction before the work,
/// so concurrent repeats never do the work twice.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for the caller. A record created before `expired_before`, or still pending
    /// since before `abandoned_before` (its request died), is replaced by the new claim.
    async fn claim_idempotency_key(
        &self,
        scope: UserScope,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        expired_before: Timestamp,
        abandoned_before: Timestamp,
    ) -> StoreResult<IdempotencyClaim>;
    /// Records the reply of a claimed key.
    async fn finish_idempotency_key(
        &self,
        scope: UserScope,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()>;
    /// Gives a claimed key up (the work failed on our side), so a retry may do it.
    async fn release_idempotency_key(&self, scope: UserScope, key: &str) -> StoreResult<()>;
    /// System: deletes records created before `before`; returns how many.
    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64>;
}

/// The API's lists by cursor, newest first.
#[async_trait]
pub trait ListStore: Send + Sync {
    async fn uploads_page(&self, scope: UserScope, page: &PageRequest)
    -> StoreResult<Page<Upload>>;
    async fn results_page(
        &self,
        scope: UserScope,
        page: &PageRequest,
    ) -> StoreResult<Page<ResultRecord>>;
    async fn jobs_page(&self, scope: UserScope, page: &PageRequest) -> StoreResult<Page<Job>>;
    async fn purchases_page(
        &self,
        scope: UserScope,
        page: &PageRequest,
    ) -> StoreResult<Page<Purchase>>;
}

/// The support center: tickets from the contact form and their threads. A user's
/// tickets are theirs (scoped calls); visitors' tickets and the admin's calls are system calls.
#[async_trait]
pub trait SupportStore: Send + Sync {
    /// Stores the ticket and its first message, owned by `scope` (`None`: a visitor's).
    async fn create_ticket(
        &self,
        scope: Option<UserScope>,
        ticket: &NewTicket,
    ) -> StoreResult<Ticket>;
    /// The caller's tickets, most recently changed first.
    async fn tickets_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Ticket>>;
    /// One of the caller's tickets with its thread; `None` when they have no such ticket.
    async fn ticket_thread(&self, scope: UserScope, id: i64) -> StoreResult<Option<TicketThread>>;
    /// Adds the caller's follow-up to their ticket, which waits for staff again. A closed
    /// ticket is `WrongState`; a ticket not theirs is `NotFound`.
    async fn add_ticket_message(
        &self,
        scope: UserScope,
        id: i64,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<Ticket>;
    /// Admin: tickets of everyone, open before answered before closed, urgent first within
    /// each, oldest first.
    async fn all_tickets(&self, filter: TicketFilter, limit: u32) -> StoreResult<Vec<Ticket>>;
    /// Admin: any ticket with its thread.
    async fn ticket_by_id(&self, id: i64) -> StoreResult<Option<TicketThread>>;
    /// Admin: adds a staff reply; the ticket becomes `answered`. A closed ticket is
    /// `WrongState`.
    async fn reply_to_ticket(&self, id: i64, body: &str, now: Timestamp) -> StoreResult<Ticket>;
    /// System: deletes visitors' tickets (no account) closed before `closed_before`, with
    /// their messages; returns how many tickets.
    async fn purge_closed_visitor_tickets(&self, closed_before: Timestamp) -> StoreResult<u64>;
    /// Admin: closes the ticket, or reopens it (`open`).
    async fn set_ticket_closed(&self, id: i64, closed: bool, now: Timestamp)
    -> StoreResult<Ticket>;
}

/// Abuse reports: filed by the owner of the item (items are private to their owner),
/// reviewed by admins.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Files a report about one of the caller's items, checked in the same transaction: an
    /// item the caller does not hold (another user's, or already deleted) is `NotFound`.
    async fn create_report(&self, scope: UserScope, report: &NewReport) -> StoreResult<Report>;
    /// The caller's reports, newest first (for the data export).
    async fn reports_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<Report>>;
    /// Admin: reports with their owners' accounts, open ones first, then newest first.
    async fn all_reports(&self, limit: u32) -> StoreResult<Vec<ReportRow>>;
    /// Admin: one report with its owner's account.
    async fn report_by_id(&self, id: ReportId) -> StoreResult<Option<ReportRow>>;
    /// Admin: records a decision (the latest one wins; the audit log keeps them all).
    async fn resolve_report(
        &self,
        id: ReportId,
        status: ReportStatus,
        now: Timestamp,
    ) -> StoreResult<Report>;
}

/// The admin console: aggregates for the dashboard, the sweeper's runs, accounts
/// and jobs across users. Every call is the system's (admins act for no one user); the web
/// layer records each admin view in the audit log before calling these.
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Accounts created per UTC day since `since`, days in order.
    async fn signups_per_day(&self, since: Timestamp) -> StoreResult<Vec<DayCount>>;
    /// Jobs created since `since`, counted by style and status.
    async fn jobs_by_style(&self, since: Timestamp) -> StoreResult<Vec<StyleOutcome>>;
    /// Tokens sold (granted by purchases) and spent (spends less refunds) per UTC day of the
    /// ledger entry since `since`, days in order.
    async fn token_flow_per_day(&self, since: Timestamp) -> StoreResult<Vec<TokenFlow>>;
    /// Queue latency (first claim less creation) of jobs first claimed since `since`, per UTC
    /// day of that claim, days in order.
    async fn queue_latency_per_day(&self, since: Timestamp) -> StoreResult<Vec<QueueLatency>>;
    /// Jobs waiting and jobs running right now.
    async fn queue_now(&self) -> StoreResult<QueueNow>;
    /// System: records a sweeper run and deletes all but the latest `keep` runs.
    async fn record_sweep_run(&self, run: &SweepRun, keep: u32) -> StoreResult<()>;
    /// The latest sweeper runs, newest first.
    async fn sweep_runs(&self, limit: u32) -> StoreResult<Vec<SweepRun>>;
    /// Accounts whose address contains `email_part` (any case; empty: all), newest first,
    /// skipping `offset`.
    async fn find_users(
        &self,
        email_part: &str,
        offset: u32,
        limit: u32,
        now: Timestamp,
    ) -> StoreResult<Vec<UserSummary>>;
    async fn user_summary(&self, user: UserId, now: Timestamp) -> StoreResult<Option<UserSummary>>;
    /// How many jobs of the user stand in each status (statuses with none left out).
    async fn job_counts_of(&self, user: UserId) -> StoreResult<Vec<(JobStatus, i64)>>;
    /// Running jobs, longest running first.
    async fn running_jobs(&self, limit: u32) -> StoreResult<Vec<AdminJob>>;
    /// Failed jobs, latest failure first.
    async fn failed_jobs(&self, limit: u32) -> StoreResult<Vec<AdminJob>>;
    /// A job of any account, with its request (for a retry).
    async fn job_by_id(&self, id: JobId) -> StoreResult<Option<Job>>;
}

/// A counter of rate limits and sign-in throttles: what one hit found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleCount {
    /// Hits since `first_at`, this one included.
    pub hits: u32,
    /// When the current count started (Unix milliseconds).
    pub first_at: i64,
    /// The latest hit (Unix milliseconds).
    pub last_at: i64,
}

/// The one upsert behind [`ThrottleStore::throttle_hit`], the same text for both back-ends
/// (`$n` parameters work in SQLite too): a new name starts at one; an existing one adds one
/// when its count started at or after `$3` (still the same window), else restarts.
/// One statement, so concurrent hits from many nodes each count once.
pub(crate) const THROTTLE_HIT_SQL: &str = "INSERT INTO throttle_counters
        (name, hits, first_at, last_at, expires_at) VALUES ($1, 1, $2, $2, $4)
     ON CONFLICT (name) DO UPDATE SET
        hits = CASE WHEN throttle_counters.first_at >= $3
                    THEN throttle_counters.hits + 1 ELSE 1 END,
        first_at = CASE WHEN throttle_counters.first_at >= $3
                        THEN throttle_counters.first_at ELSE $2 END,
        last_at = $2,
        expires_at = $4
     RETURNING hits, first_at, last_at";

/// Counters that every node of a deployment sees. `name` is a digest of what is
/// counted, never an address or e-mail; times are Unix milliseconds.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// System: counts a hit on `name` at `now`, restarting the count when it started before
    /// `keep_since` (its window is over); the row may be pruned after `expires_at`.
    async fn throttle_hit(
        &self,
        name: &[u8],
        now: i64,
        keep_since: i64,
        expires_at: i64,
    ) -> StoreResult<ThrottleCount>;
    /// System: the count of `name` without adding to it; `None` when never hit or pruned.
    async fn throttle_peek(&self, name: &[u8]) -> StoreResult<Option<ThrottleCount>>;
    /// System: sets `name` to `new` only if it still holds `expected` (`None`: no row yet),
    /// in one statement; whether it did. A check-then-count that must not let concurrent
    /// callers all pass the check (the sign-in throttle) is built on it.
    async fn throttle_swap(
        &self,
        name: &[u8],
        expected: Option<ThrottleCount>,
        new: ThrottleCount,
        expires_at: i64,
    ) -> StoreResult<bool>;
    /// System: forgets `name` (a successful sign-in ends its streak).
    async fn throttle_clear(&self, name: &[u8]) -> StoreResult<()>;
    /// System: deletes the counters that expired before `now`.
    async fn throttle_prune(&self, now: i64) -> StoreResult<u64>;
}

/// Everything the service needs from one back-end.
#[async_trait]
pub trait Store:
    AccountStore
    + TokenStore
    + MediaStore
    + JobStore
    + RetentionStore
    + AuditStore
    + PaymentStore
    + SubscriptionStore
    + PrivacyStore
    + ExportStore
    + PolicyStore
    + UsageStore
    + ApiKeyStore
    + IdempotencyStore
    + ListStore
    + SupportStore
    + ReportStore
    + AdminStore
    + ThrottleStore
{
    /// Whether the database answers (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;
    /// Makes what was deleted so far unrecoverable from the database files this process
    /// controls. On SQLite: every deleted row is already overwritten in its page
    /// (`secure_delete`), but the page images from before the delete live on in the WAL until
    /// a checkpoint; this checkpoints the WAL into the main file and truncates it to 0 bytes,
    /// retrying while readers on older snapshots hold it. Erasure, the sweeper and shutdown
    /// call it. On PostgreSQL the server's WAL, dead tuples and backups are the operator's
    /// (docs/erasure.md): nothing to do here.
    async fn scrub(&self) -> StoreResult<()>;
    /// Closes every connection (at shutdown); the store is unusable afterwards. On SQLite the
    /// last connection to close removes the `-wal` and `-shm` files.
    async fn close(&self);
    /// Whether other processes may serve from this database too (PostgreSQL: many nodes),
    /// so counters that must hold across them live in it rather than in memory.
    fn shared_by_nodes(&self) -> bool {
        false
    }
}

/// Opens the store for `url`, running its migrations (and, on PostgreSQL, applying the roles
/// and policies named in `database`).
pub async fn connect(url: &str, database: &DatabaseConfig) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url, database).await?))
    } else {
        Err(StoreError::Internal(
            format!("unsupported database URL scheme in `{}`", scheme_of(url)).into(),
        ))
    }
}

fn scheme_of(url: &str) -> &str {
    url.split(':').next().unwrap_or_default()
}
