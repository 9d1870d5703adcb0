//! What operators do to accounts and jobs, shared by the command line (`atelier user …`) and
//! the admin console: grant and revoke tokens, and retry a failed job.
//!
//! These functions change things and nothing else: the caller writes the audit entry (the
//! console before acting, the command line after), so each says in its own words who acted.

use crate::domain::{JobId, LotId, Role, Timestamp, UserId, UserScope};
use crate::jobs::{JobError, JobParams, JobRequest};
use crate::services::Services;
use crate::store::{Job, JobStatus, NewLot, StoreError};

/// Grants `tokens` (one lot from the `operator` source, valid `tokens.lot_validity`);
/// returns the lot's id and expiry.
pub async fn grant_tokens(
    services: &Services,
    user: UserId,
    tokens: u32,
    now: Timestamp,
) -> Result<(LotId, Timestamp), OperatorError> {
    if tokens == 0 {
        return Err(OperatorError::NoTokens);
    }
    let lot = NewLot {
        id: LotId::new(),
        quantity: tokens,
        source: "operator".into(),
        created_at: now,
        expires_at: now.plus(services.config.tokens.lot_validity),
    };
    let expires_at = lot.expires_at;
    let id = services.store.grant_tokens(user, lot).await?;
    Ok((id, expires_at))
}

/// Takes back `tokens` unspent tokens, soonest expiry first; all or nothing.
pub async fn revoke_tokens(
    services: &Services,
    user: UserId,
    tokens: u32,
    now: Timestamp,
) -> Result<(), OperatorError> {
    if tokens == 0 {
        return Err(OperatorError::NoTokens);
    }
    match services.store.revoke_unspent(user, tokens, now).await {
        Ok(()) => Ok(()),
        Err(StoreError::InsufficientTokens) => {
            let scope = UserScope::trusted(user, Role::User);
            let balance = services.store.balance(scope, now).await?;
            Err(OperatorError::FewerTokens { balance })
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs a failed job again as a fresh job of its owner: same photo, style, parameters and
/// prompt, a new id, queued at the back.
///
/// What it costs: the failed job was refunded when it failed, so the new job spends the
/// style's cost from the owner's tokens as any job does (a `spend` ledger entry under the
/// new job's id) and is refunded in turn if it fails too. An owner without enough tokens
/// gets no retry (`InsufficientTokens`, nothing changes); an admin who wants it free grants
/// the tokens first, which the audit log then shows as a separate grant. The failed job
/// stays as it was, so its failure remains in the owner's history.
pub async fn retry_failed_job(services: &Services, id: JobId) -> Result<Job, OperatorError> {
    let failed = services
        .store
        .job_by_id(id)
        .await?
        .ok_or(OperatorError::NotFound)?;
    if failed.status != JobStatus::Failed {
        return Err(OperatorError::NotFailed);
    }
    let request = JobRequest {
        upload_id: failed.upload_id,
        prompt: failed.prompt.clone(),
        style: failed.style.clone(),
        params: JobParams {
            intensity: failed.intensity,
            seed: failed.seed,
        },
    };
    let owner = UserScope::trusted(failed.user_id, Role::User);
    Ok(services.jobs.create(owner, request).await?)
}

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("give at least one token")]
    NoTokens,
    #[error("the account has {balance} unspent tokens, fewer than asked; nothing changed")]
    FewerTokens { balance: i64 },
    #[error("no such job")]
    NotFound,
    #[error("only a failed job can be retried")]
    NotFailed,
    #[error(transparent)]
    Job(#[from] JobError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
