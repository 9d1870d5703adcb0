//! Abuse reports: the owner of a portrait or photo reports it (results and
//! uploads are private to their owner, so no one else can see one to report it), and admins
//! review the queue: look at the item, remove it, suspend or ban the account, or dismiss.
//!
//! Owns parsing a report and the admins' decisions; the pages and the API only shape them.
//! Every admin look and decision is written to the audit log before it is served or takes
//! effect (see [`review`]).
//!
//! Reports are the reporter's data: exported as `reports.json`. Erasing the account does not
//! delete them, because the admins' record of what was reported must stay; it detaches them
//! instead (no reporter, the free-text details cleared), and admins' decisions stay in the
//! audit log, which names no erased account either.

pub mod review;

use uuid::Uuid;

use crate::domain::{ReportId, Timestamp, UserScope};
use crate::store::{NewReport, Report, ReportReason, ReportedKind, Store, StoreError};

/// The longest `details` a report may carry, in characters.
pub const MAX_DETAILS: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("kind must be \"result\" or \"upload\"")]
    InvalidKind,
    #[error("reason must be one of consent, minor, sexual, violent, hateful, deception, other")]
    InvalidReason,
    #[error("details may be at most 2000 characters")]
    DetailsTooLong,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
}

impl ReportError {
    pub fn code(&self) -> &'static str {
        match self {
            ReportError::InvalidKind => "invalid-kind",
            ReportError::InvalidReason => "invalid-reason",
            ReportError::DetailsTooLong => "details-too-long",
            ReportError::NotFound => "not-found",
            ReportError::Store(e) => e.code(),
        }
    }
}

impl From<StoreError> for ReportError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ReportError::NotFound,
            other => ReportError::Store(other),
        }
    }
}

/// A report as sent by a form or the API, parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportForm {
    pub kind: ReportedKind,
    pub item_id: Uuid,
    pub reason: ReportReason,
    pub details: String,
}

impl ReportForm {
    /// An id that is not a UUID names no item the caller holds: `NotFound`, as for another
    /// user's item. Details are trimmed; blank is fine.
    pub fn parse(
        kind: &str,
        item_id: &str,
        reason: &str,
        details: &str,
    ) -> Result<ReportForm, ReportError> {
        let kind = ReportedKind::parse(kind).ok_or(ReportError::InvalidKind)?;
        let reason = ReportReason::parse(reason).ok_or(ReportError::InvalidReason)?;
        let details = details.trim();
        if details.chars().count() > MAX_DETAILS {
            return Err(ReportError::DetailsTooLong);
        }
        let item_id = Uuid::parse_str(item_id).map_err(|_| ReportError::NotFound)?;
        Ok(ReportForm {
            kind,
            item_id,
            reason,
            details: details.to_owned(),
        })
    }
}

/// Files the caller's report about one of their own items; another user's item, or one
/// already deleted, is `NotFound`.
pub async fn file_report(
    store: &dyn Store,
    scope: UserScope,
    form: ReportForm,
) -> Result<Report, ReportError> {
    let report = NewReport {
        id: ReportId::new(),
        kind: form.kind,
        item_id: form.item_id,
        reason: form.reason,
        details: form.details,
        created_at: Timestamp::now(),
    };
    let filed = store.create_report(scope, &report).await?;
    tracing::info!(report = %filed.id, reason = filed.reason.as_str(), "abuse report filed");
    Ok(filed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_form_takes_the_fixed_reasons_and_caps_details() {
        let id = Uuid::new_v4().to_string();
        let long = "あ".repeat(MAX_DETAILS + 1);
        let just = "あ".repeat(MAX_DETAILS);

        let ok = ReportForm::parse("result", &id, "minor", "  not my child  ");
        let reasons: Vec<bool> = ["consent", "minor", "sexual", "violent", "hateful"]
            .into_iter()
            .chain(["deception", "other"])
            .map(|reason| ReportForm::parse("upload", &id, reason, "").is_ok())
            .collect();

        assert_eq!(
            ok.map(|f| (f.kind, f.reason, f.details)).ok(),
            Some((
                ReportedKind::Result,
                ReportReason::Minor,
                "not my child".into()
            ))
        );
        assert!(reasons.iter().all(|ok| *ok));
        assert!(matches!(
            ReportForm::parse("result", &id, "spam", ""),
            Err(ReportError::InvalidReason)
        ));
        assert!(matches!(
            ReportForm::parse("job", &id, "other", ""),
            Err(ReportError::InvalidKind)
        ));
        assert!(matches!(
            ReportForm::parse("result", &id, "other", &long),
            Err(ReportError::DetailsTooLong)
        ));
        assert!(ReportForm::parse("result", &id, "other", &just).is_ok());
        assert!(matches!(
            ReportForm::parse("result", "../etc", "other", ""),
            Err(ReportError::NotFound)
        ));
    }
}
