//! Usage analytics: a few facts about what people do (signed up, uploaded, a
//! job of which style succeeded or failed, a pack was paid), never what was in it. Kept for
//! `retention.analytics_ttl` (two years), never collected from a user who opted out, dropped
//! when they do, exported with their data and erased with their account.
//!
//! Recording is best effort: a failure is logged and never fails what the user was doing.

use crate::domain::{Timestamp, UserId};
use crate::store::{Store, UsageKind};

/// Records `kind` for `user` unless they opted out of analytics.
pub async fn record(store: &dyn Store, user: UserId, kind: UsageKind, style: Option<&str>) {
    if let Err(e) = store
        .record_usage(user, kind, style, Timestamp::now())
        .await
    {
        tracing::warn!(error = %e, kind = kind.as_str(), "usage event not recorded");
    }
}
