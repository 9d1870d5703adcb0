//! Policy versions and acceptances on SQLite. Publishing numbers the version and queues its
//! notice to every account in one write transaction.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, get, get_id, get_time, get_u32, internal};
use crate::domain::{PolicyId, Timestamp, UserId, UserScope};
use crate::store::{
    AcceptanceSource, NewPolicyVersion, PolicyAcceptance, PolicyKind, PolicyNotice, PolicyStore,
    PolicyVersion, StoreError, StoreResult,
};

const COLUMNS: &str = "p.id, p.kind, p.version, p.title, p.summary, p.body, p.published_at, p.effective_at, p.notified";

/// Versions in force at `?1`: no later version of the same kind is effective yet.
const IN_FORCE: &str = "p.effective_at <= ?1 AND NOT EXISTS (
    SELECT 1 FROM policy_versions q
    WHERE q.kind = p.kind AND q.effective_at <= ?1 AND q.version > p.version)";

fn kind_of(row: &SqliteRow) -> StoreResult<PolicyKind> {
    let text: String = get(row, "kind")?;
    PolicyKind::parse(&text)
        .ok_or_else(|| StoreError::Internal(format!("unknown policy kind `{text}`").into()))
}

fn version_of(row: &SqliteRow) -> StoreResult<PolicyVersion> {
    Ok(PolicyVersion {
        id: get_id(row, "id")?,
        kind: kind_of(row)?,
        version: get_u32(row, "version")?,
        title: get(row, "title")?,
        summary: get(row, "summary")?,
        body: get(row, "body")?,
        published_at: get_time(row, "published_at")?,
        effective_at: get_time(row, "effective_at")?,
        notified: get_u32(row, "notified")?,
    })
}

#[async_trait]
impl PolicyStore for SqliteStore {
    async fn publish_policy(
        &self,
        new: &NewPolicyVersion,
        notice: Option<&PolicyNotice>,
    ) -> StoreResult<PolicyVersion> {
        let mut tx = self.write().await?;
        let (latest, latest_effective): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT MAX(version), MAX(effective_at) FROM policy_versions WHERE kind = ?",
        )
        .bind(new.kind.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        if latest_effective.is_some_and(|at| at > new.effective_at.millis()) {
            return Err(StoreError::WrongState);
        }
        let mut notified: u64 = 0;
        if let Some(notice) = notice {
            let locales: Vec<&str> = notice.by_locale.iter().map(|l| l.locale.as_str()).collect();
            let locales =
                serde_json::to_string(&locales).map_err(|e| StoreError::Internal(Box::new(e)))?;
            for (n, localized) in notice.by_locale.iter().enumerate() {
                // Each account gets its language's notice; accounts whose language has none
                // (or is unknown) get the first.
                let done = sqlx::query(
                    "INSERT INTO outbox (recipient, subject, body, html, created_at)
                     SELECT email, ?, ?, ?, ? FROM users
                     WHERE locale = ?
                        OR (? AND (locale IS NULL
                                   OR locale NOT IN (SELECT value FROM json_each(?))))",
                )
                .bind(&localized.subject)
                .bind(&localized.text)
                .bind(&localized.html)
                .bind(new.published_at.millis())
                .bind(&localized.locale)
                .bind(n == 0)
                .bind(&locales)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
                notified += done.rows_affected();
            }
        }
        let version = latest.unwrap_or(0) + 1;
        let notified = i64::try_from(notified).map_err(|e| StoreError::Internal(Box::new(e)))?;
        let row = sqlx::query(
            "INSERT INTO policy_versions
                (id, kind, version, title, summary, body, published_at, effective_at, notified)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             RETURNING id, kind, version, title, summary, body, published_at, effective_at, notified",
        )
        .bind(new.id.to_string())
        .bind(new.kind.as_str())
        .bind(version)
        .bind(&new.title)
        .bind(&new.summary)
        .bind(&new.body)
        .bind(new.published_at.millis())
        .bind(new.effective_at.millis())
        .bind(notified)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        let published = version_of(&row)?;
        tx.commit().await.map_err(internal)?;
        Ok(published)
    }

    async fn policy_versions(&self, kind: Option<PolicyKind>) -> StoreResult<Vec<PolicyVersion>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM policy_versions p WHERE ?1 IS NULL OR p.kind = ?1
             ORDER BY p.kind, p.version DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(kind.map(PolicyKind::as_str))
            .fetch_all(&self.reader)
            .await
            .map_err(internal)?;
        rows.iter().map(version_of).collect()
    }

    async fn current_policies(&self, now: Timestamp) -> StoreResult<Vec<PolicyVersion>> {
        let sql =
            format!("SELECT {COLUMNS} FROM policy_versions p WHERE {IN_FORCE} ORDER BY p.kind");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now.millis())
            .fetch_all(&self.reader)
            .await
            .map_err(internal)?;
        rows.iter().map(version_of).collect()
    }

    async fn pending_policies(
        &self,
        scope: UserScope,
        now: Timestamp,
    ) -> StoreResult<Vec<PolicyVersion>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM policy_versions p WHERE {IN_FORCE}
               AND NOT EXISTS (SELECT 1 FROM policy_acceptances a
                               WHERE a.policy_id = p.id AND a.user_id = ?2)
             ORDER BY p.kind"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now.millis())
            .bind(scope.user_id().to_string())
            .fetch_all(&self.reader)
            .await
            .map_err(internal)?;
        rows.iter().map(version_of).collect()
    }

    async fn accept_policies(
        &self,
        scope: UserScope,
        ids: &[PolicyId],
        source: AcceptanceSource,
        now: Timestamp,
    ) -> StoreResult<u32> {
        let mut tx = self.write().await?;
        let mut added = 0;
        for id in ids {
            let known: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM policy_versions WHERE id = ?")
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(internal)?;
            if known.is_none() {
                return Err(StoreError::NotFound);
            }
            let done = sqlx::query(
                "INSERT INTO policy_acceptances (user_id, policy_id, source, accepted_at)
                 VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(scope.user_id().to_string())
            .bind(id.to_string())
            .bind(source.as_str())
            .bind(now.millis())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            added += u32::try_from(done.rows_affected())
                .map_err(|e| StoreError::Internal(Box::new(e)))?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(added)
    }

    async fn accept_current_policies(&self, user: UserId, now: Timestamp) -> StoreResult<u32> {
        let sql = format!(
            "INSERT INTO policy_acceptances (user_id, policy_id, source, accepted_at)
             SELECT ?2, p.id, 'sign-up', ?1 FROM policy_versions p WHERE {IN_FORCE}
             ON CONFLICT DO NOTHING"
        );
        let mut tx = self.write().await?;
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now.millis())
            .bind(user.to_string())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        u32::try_from(done.rows_affected()).map_err(|e| StoreError::Internal(Box::new(e)))
    }

    async fn policy_acceptances_of(&self, scope: UserScope) -> StoreResult<Vec<PolicyAcceptance>> {
        let rows = sqlx::query(
            "SELECT a.policy_id, p.kind, p.version, p.title, a.source, a.accepted_at
             FROM policy_acceptances a JOIN policy_versions p ON p.id = a.policy_id
             WHERE a.user_id = ? ORDER BY a.accepted_at, p.kind",
        )
        .bind(scope.user_id().to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
        rows.iter()
            .map(|row| {
                let source: String = get(row, "source")?;
                Ok(PolicyAcceptance {
                    policy_id: get_id(row, "policy_id")?,
                    kind: kind_of(row)?,
                    version: get_u32(row, "version")?,
                    title: get(row, "title")?,
                    source: AcceptanceSource::parse(&source).ok_or_else(|| {
                        StoreError::Internal(format!("unknown source `{source}`").into())
                    })?,
                    accepted_at: get_time(row, "accepted_at")?,
                })
            })
            .collect()
    }
}
