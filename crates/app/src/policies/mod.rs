//! The privacy policy and terms: versioned documents in the database,
//! published with notice, accepted by each user.
//!
//! Owns the rules: the first version of a document may take effect at once; every later one
//! only `policies.notice_days` (30) after it is published, and publishing it e-mails every
//! account in the same transaction. A version in force that a user has not accepted holds
//! them at the accept page (web) or `policy-acceptance-required` (API) until they do, except
//! for their data rights. It must not know about HTTP; the store owns the SQL.

mod builtin;
mod markdown;

use std::sync::Arc;
use std::time::Duration;

pub use builtin::builtin_values;
pub use markdown::render_markdown;

use crate::config::Config;
use crate::domain::{PolicyId, Timestamp, UserScope};
use crate::mail_compose::{Composer, Message};
use crate::store::{
    AcceptanceSource, AdminAction, LocalizedNotice, NewPolicyVersion, PolicyAcceptance, PolicyKind,
    PolicyNotice, PolicyVersion, Store, StoreError,
};

/// The longest document accepted, in bytes of Markdown.
pub const MAX_POLICY_BYTES: usize = 200_000;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(
        "a new version must be published at least {days} days before it takes effect (earliest: {earliest})"
    )]
    NoticeTooShort { days: u32, earliest: String },
    #[error("the version would take effect before the version already published")]
    BeforeLatest,
    #[error("the document is empty")]
    Empty,
    #[error("the document is longer than {MAX_POLICY_BYTES} bytes")]
    TooLong,
    #[error("no such policy version")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PolicyError {
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::NoticeTooShort { .. } => "notice-too-short",
            PolicyError::BeforeLatest => "before-latest-version",
            PolicyError::Empty => "empty-policy",
            PolicyError::TooLong => "policy-too-long",
            PolicyError::NotFound => "not-found",
            PolicyError::Store(e) => e.code(),
        }
    }
}

/// A version to publish.
#[derive(Clone, Debug)]
pub struct Draft {
    pub title: String,
    pub summary: String,
    /// Markdown.
    pub body: String,
}

/// The versions of both documents a page or the API shows: those in force and those
/// published to take effect later.
#[derive(Clone, Debug, Default)]
pub struct PolicyOverview {
    pub current: Vec<PolicyVersion>,
    pub upcoming: Vec<PolicyVersion>,
}

/// The languages a notice is written in; an account whose language is none of them gets the
/// first. A language without its own catalogue reads as English.
const NOTICE_LOCALES: [&str; 3] = ["en-US", "ja-JP", "ko-KR"];

#[derive(Clone)]
pub struct Policies {
    store: Arc<dyn Store>,
    composer: Composer,
    notice: Duration,
    notice_days: u32,
    /// The facts the built-in documents quote (retention periods, processors, ...).
    values: Arc<Vec<(&'static str, String)>>,
}

impl Policies {
    pub fn new(store: Arc<dyn Store>, config: &Config, composer: Composer) -> Policies {
        let notice_days = config.policies.notice_days;
        Policies {
            store,
            composer,
            notice: Duration::from_secs(u64::from(notice_days) * 24 * 3600),
            notice_days,
            values: Arc::new(builtin_values(config)),
        }
    }

    pub fn notice_days(&self) -> u32 {
        self.notice_days
    }

    /// The built-in text of `kind`, filled with this installation's settings.
    pub fn builtin(&self, kind: PolicyKind) -> Draft {
        builtin::draft(kind, &self.values)
    }

    /// Publishes the built-in version 1 of each document that has none yet, in force at
    /// once; returns those it published. Nodes starting together may race: the loser's
    /// insert conflicts and is ignored.
    pub async fn ensure_published(
        &self,
        now: Timestamp,
    ) -> Result<Vec<PolicyVersion>, PolicyError> {
        let existing = self.store.policy_versions(None).await?;
        let mut published = Vec::new();
        for kind in PolicyKind::ALL {
            if existing.iter().any(|v| v.kind == kind) {
                continue;
            }
            match self.publish(kind, self.builtin(kind), now, now).await {
                Ok(version) => published.push(version),
                Err(PolicyError::Store(StoreError::Conflict)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(published)
    }

    /// Publishes a version of `kind` taking effect at `effective_at`. Unless it is the
    /// document's first version, that must be at least the notice period away, and every
    /// account is e-mailed about it in the same transaction.
    pub async fn publish(
        &self,
        kind: PolicyKind,
        draft: Draft,
        effective_at: Timestamp,
        now: Timestamp,
    ) -> Result<PolicyVersion, PolicyError> {
        let body = draft.body.trim();
        if body.is_empty() || draft.title.trim().is_empty() {
            return Err(PolicyError::Empty);
        }
        if body.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLong);
        }
        let existing = self.store.policy_versions(Some(kind)).await?;
        let first = existing.is_empty();
        // The store numbers the version in its transaction; publishers of one document do not
        // race in practice (and PostgreSQL serializes them), so the notice can name it.
        let next = existing.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        let earliest = now.plus(self.notice);
        if !first && effective_at < earliest {
            return Err(PolicyError::NoticeTooShort {
                days: self.notice_days,
                earliest: earliest.rfc3339(),
            });
        }
        let new = NewPolicyVersion {
            id: PolicyId::new(),
            kind,
            title: draft.title.trim().to_owned(),
            summary: draft.summary.trim().to_owned(),
            body: body.to_owned(),
            published_at: now,
            effective_at: effective_at.max(now),
        };
        let notice = (!first).then(|| self.notice_for(&new, next));
        let version = self
            .store
            .publish_policy(&new, notice.as_ref())
            .await
            .map_err(|e| match e {
                StoreError::WrongState => PolicyError::BeforeLatest,
                other => PolicyError::Store(other),
            })?;
        let entry = AdminAction {
            at: now,
            actor: "cli".into(),
            action: "publish-policy".into(),
            subject: None,
            detail: format!(
                "{} version {} effective {}, {} accounts notified",
                kind.as_str(),
                version.version,
                version.effective_at.rfc3339(),
                version.notified
            ),
        };
        self.store.record_admin_action(&entry).await?;
        Ok(version)
    }

    /// What is in force now and what is published to take effect later.
    pub async fn overview(&self, now: Timestamp) -> Result<PolicyOverview, PolicyError> {
        let all = self.store.policy_versions(None).await?;
        let current = in_force(&all, now).into_iter().cloned().collect();
        let upcoming = all.into_iter().filter(|v| v.effective_at > now).collect();
        Ok(PolicyOverview { current, upcoming })
    }

    /// Every version of `kind`, newest first.
    pub async fn versions(&self, kind: PolicyKind) -> Result<Vec<PolicyVersion>, PolicyError> {
        Ok(self.store.policy_versions(Some(kind)).await?)
    }

    /// Version `number` of `kind`, or the one in force when `None`.
    pub async fn version(
        &self,
        kind: PolicyKind,
        number: Option<u32>,
        now: Timestamp,
    ) -> Result<PolicyVersion, PolicyError> {
        let found = match number {
            Some(n) => self
                .store
                .policy_versions(Some(kind))
                .await?
                .into_iter()
                .find(|v| v.version == n),
            None => self
                .store
                .current_policies(now)
                .await?
                .into_iter()
                .find(|v| v.kind == kind),
        };
        found.ok_or(PolicyError::NotFound)
    }

    /// The versions in force the caller has yet to accept.
    pub async fn pending(&self, scope: UserScope) -> Result<Vec<PolicyVersion>, PolicyError> {
        Ok(self.store.pending_policies(scope, Timestamp::now()).await?)
    }

    /// Records the caller's acceptance of `ids`; returns what is still pending after it.
    pub async fn accept(
        &self,
        scope: UserScope,
        ids: &[PolicyId],
        source: AcceptanceSource,
    ) -> Result<Vec<PolicyVersion>, PolicyError> {
        let now = Timestamp::now();
        self.store
            .accept_policies(scope, ids, source, now)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => PolicyError::NotFound,
                other => PolicyError::Store(other),
            })?;
        Ok(self.store.pending_policies(scope, now).await?)
    }

    pub async fn acceptances(
        &self,
        scope: UserScope,
    ) -> Result<Vec<PolicyAcceptance>, PolicyError> {
        Ok(self.store.policy_acceptances_of(scope).await?)
    }
}

/// Among `versions`, the one of each kind in force at `now`: the latest already effective.
pub fn in_force(versions: &[PolicyVersion], now: Timestamp) -> Vec<&PolicyVersion> {
    PolicyKind::ALL
        .iter()
        .filter_map(|kind| {
            versions
                .iter()
                .filter(|v| v.kind == *kind && v.effective_at <= now)
                .max_by_key(|v| v.version)
        })
        .collect()
}

impl Policies {
    /// The e-mail every account gets when `new` is published, in each language.
    fn notice_for(&self, new: &NewPolicyVersion, number: u32) -> PolicyNotice {
        let link = format!("/policies/{}/{number}", new.kind.as_str());
        let version = number.to_string();
        let by_locale = NOTICE_LOCALES
            .iter()
            .map(|locale| {
                let mail = self.composer.compose(
                    "",
                    Some(locale),
                    &Message::PolicyChange {
                        title: &new.title,
                        version: &version,
                        summary: &new.summary,
                        effective: new.effective_at,
                        link: &link,
                    },
                );
                LocalizedNotice {
                    locale: (*locale).to_owned(),
                    subject: mail.subject,
                    text: mail.body,
                    html: mail.html,
                }
            })
            .collect();
        PolicyNotice { by_locale }
    }
}

#[cfg(test)]
mod tests;
