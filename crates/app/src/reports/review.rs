//! The admins' side of abuse reports: looking at a reported item and deciding.
//!
//! The item is private to its owner and encrypted with their data key, so it is read through
//! the media service in the owner's scope, exactly as the owner's own download is. Each look
//! and each decision is appended to the audit log first: a view that cannot be logged is not
//! served, a decision that cannot be logged is not taken.

use crate::blobs::BlobError;
use crate::domain::{ReportId, ResultId, Timestamp, UploadId, UserId, UserScope};
use crate::media::{Media, MediaError};
use crate::store::{
    AccountStatus, AdminAction, Report, ReportRow, ReportStatus, ReportedKind, Store, StoreError,
};

/// What an admin may decide about a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Delete the reported item (its blob, then its row).
    RemoveItem,
    /// Suspend the owner's account (sessions closed, can be restored).
    Suspend,
    /// Ban the owner's account (sessions closed).
    Ban,
    /// Nothing to do.
    Dismiss,
}

impl Decision {
    pub fn parse(text: &str) -> Option<Decision> {
        match text {
            "remove" => Some(Decision::RemoveItem),
            "suspend" => Some(Decision::Suspend),
            "ban" => Some(Decision::Ban),
            "dismiss" => Some(Decision::Dismiss),
            _ => None,
        }
    }

    /// The audit log's name for it.
    pub fn action(self) -> &'static str {
        match self {
            Decision::RemoveItem => "report-remove-item",
            Decision::Suspend => "report-suspend",
            Decision::Ban => "report-ban",
            Decision::Dismiss => "report-dismiss",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no such report")]
    NotFound,
    /// The owner's account is erased: there is no one left to act on.
    #[error("the account is gone")]
    AccountGone,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Media(#[from] MediaError),
}

/// An audit entry by `admin` about `row`'s report and owner. It names the report, not the
/// item: the audit log is append-only, and an erasure must be able to leave it naming
/// nothing of the erased user's (the report itself forgets its item then).
fn audit(admin: UserId, action: &str, row: &ReportRow) -> AdminAction {
    let report = &row.report;
    AdminAction {
        at: Timestamp::now(),
        actor: admin.to_string(),
        action: action.to_owned(),
        subject: row.owner.as_ref().map(|owner| owner.id),
        detail: format!("report {} {}", report.id, report.kind.as_str()),
    }
}

/// The owner's scope, for reading or deleting their item as they would.
fn owner_scope(row: &ReportRow) -> Option<UserScope> {
    row.owner
        .as_ref()
        .map(|owner| UserScope::trusted(owner.id, owner.role))
}

/// Admin: a report, its look recorded first (`view-report`).
pub async fn open_report(
    store: &dyn Store,
    admin: UserId,
    id: ReportId,
) -> Result<ReportRow, ReviewError> {
    let row = store.report_by_id(id).await?.ok_or(ReviewError::NotFound)?;
    store
        .record_admin_action(&audit(admin, "view-report", &row))
        .await?;
    Ok(row)
}

/// Whether the reported item is still held (not swept after its 24 hours, not removed).
pub async fn item_held(media: &Media, row: &ReportRow) -> Result<bool, ReviewError> {
    let (Some(scope), Some(item)) = (owner_scope(row), row.report.item_id) else {
        return Ok(false);
    };
    let found = match row.report.kind {
        ReportedKind::Result => media.result(scope, ResultId::from(item)).await.map(|_| ()),
        ReportedKind::Upload => media.upload(scope, UploadId::from(item)).await.map(|_| ()),
    };
    match found {
        Ok(()) => Ok(true),
        Err(MediaError::NotFound) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Admin: the decrypted PNG of the reported item, its look recorded first
/// (`view-report-item`); `None` when the item is no longer held.
pub async fn item_image(
    store: &dyn Store,
    media: &Media,
    admin: UserId,
    id: ReportId,
) -> Result<Option<Vec<u8>>, ReviewError> {
    let row = store.report_by_id(id).await?.ok_or(ReviewError::NotFound)?;
    let (Some(scope), Some(item)) = (owner_scope(&row), row.report.item_id) else {
        return Ok(None);
    };
    store
        .record_admin_action(&audit(admin, "view-report-item", &row))
        .await?;
    let bytes = match row.report.kind {
        ReportedKind::Result => media
            .result_bytes(scope, ResultId::from(item))
            .await
            .map(|(_, bytes)| bytes),
        ReportedKind::Upload => media
            .upload_bytes(scope, UploadId::from(item))
            .await
            .map(|(_, bytes)| bytes),
    };
    match bytes {
        Ok(bytes) => Ok(Some(bytes)),
        Err(MediaError::NotFound | MediaError::Blob(BlobError::NotFound)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Admin: takes `decision` on report `id`, audited before it takes effect. Removing an item
/// already gone still closes the report as removed.
pub async fn decide(
    store: &dyn Store,
    media: &Media,
    admin: UserId,
    id: ReportId,
    decision: Decision,
) -> Result<Report, ReviewError> {
    let row = store.report_by_id(id).await?.ok_or(ReviewError::NotFound)?;
    let scope = owner_scope(&row);
    if decision != Decision::Dismiss && scope.is_none() {
        return Err(ReviewError::AccountGone);
    }
    store
        .record_admin_action(&audit(admin, decision.action(), &row))
        .await?;
    let status = match (decision, scope) {
        (Decision::RemoveItem, Some(scope)) => {
            let removed = match (row.report.kind, row.report.item_id) {
                (ReportedKind::Result, Some(item)) => {
                    media.delete_result(scope, ResultId::from(item)).await
                }
                (ReportedKind::Upload, Some(item)) => {
                    media.delete_upload(scope, UploadId::from(item)).await
                }
                (_, None) => Err(MediaError::NotFound),
            };
            match removed {
                Ok(()) | Err(MediaError::NotFound) => ReportStatus::Removed,
                Err(e) => return Err(e.into()),
            }
        }
        (Decision::Suspend | Decision::Ban, Some(scope)) => {
            let status = if decision == Decision::Ban {
                AccountStatus::Banned
            } else {
                AccountStatus::Suspended
            };
            store
                .set_role_and_status(scope.user_id(), scope.role(), status)
                .await?;
            ReportStatus::Actioned
        }
        _ => ReportStatus::Dismissed,
    };
    Ok(store.resolve_report(id, status, Timestamp::now()).await?)
}
