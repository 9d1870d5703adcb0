//! Policy versions and acceptances. Versions are public (on PostgreSQL a `public_rows` SELECT
//! policy); acceptances are the user's own rows (under Row Level Security on PostgreSQL).
//! Publishing numbers the version and queues its notice to every account in one transaction:
//! SQLite's write transaction, or PostgreSQL's under an advisory lock, so two publishers
//! cannot take one number.

use async_trait::async_trait;

use super::{each_backend, from_row};
use crate::domain::{PolicyId, Timestamp, UserId, UserScope};
use crate::store::{
    AcceptanceSource, NewPolicyVersion, PolicyAcceptance, PolicyKind, PolicyNotice, PolicyStore,
    PolicyVersion, StoreError, StoreResult,
};

each_backend! {
    const COLUMNS: &str = "p.id, p.kind, p.version, p.title, p.summary, p.body, p.published_at, p.effective_at, p.notified";

    /// Versions in force at `$1`: no later version of the same kind is effective yet.
    const IN_FORCE: &str = "p.effective_at <= $1 AND NOT EXISTS (
        SELECT 1 FROM policy_versions q
        WHERE q.kind = p.kind AND q.effective_at <= $1 AND q.version > p.version)";

    #[async_trait]
    impl PolicyStore for Db {
        async fn publish_policy(
            &self,
            new: &NewPolicyVersion,
            notice: Option<&PolicyNotice>,
        ) -> StoreResult<PolicyVersion> {
            let mut tx = self.system_write().await?;
            let lock = "SELECT pg_advisory_xact_lock(hashtext('atelier.policy_versions'))";
            if let Some(lock) = dialect(None, Some(lock)) {
                sqlx::query(lock).execute(&mut *tx).await?;
            }
            let (latest, latest_effective): (Option<i32>, Option<i64>) = sqlx::query_as(
                "SELECT MAX(version), MAX(effective_at) FROM policy_versions WHERE kind = $1",
            )
            .bind(new.kind.as_str())
            .fetch_one(&mut *tx)
            .await?;
            if latest_effective.is_some_and(|at| at > new.effective_at.millis()) {
                return Err(StoreError::WrongState);
            }
            let mut notified: u64 = 0;
            if let Some(notice) = notice {
                let locales: Vec<&str> =
                    notice.by_locale.iter().map(|l| l.locale.as_str()).collect();
                let locales = serde_json::to_string(&locales)
                    .map_err(|e| StoreError::Internal(Box::new(e)))?;
                // The languages that have a notice, from a JSON array.
                let noticed = dialect(
                    "SELECT value FROM json_each($7)",
                    "SELECT jsonb_array_elements_text($7::jsonb)",
                );
                for (n, localized) in notice.by_locale.iter().enumerate() {
                    // Each account gets its language's notice; accounts whose language has none
                    // (or is unknown) get the first.
                    let sql = format!(
                        "INSERT INTO outbox (recipient, subject, body, html, created_at)
                         SELECT email, $1, $2, $3, $4 FROM users
                         WHERE locale = $5
                            OR ($6 AND (locale IS NULL OR locale NOT IN ({noticed})))"
                    );
                    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(&localized.subject)
                        .bind(&localized.text)
                        .bind(&localized.html)
                        .bind(new.published_at)
                        .bind(&localized.locale)
                        .bind(n == 0)
                        .bind(&locales)
                        .execute(&mut *tx)
                        .await?;
                    notified += done.rows_affected();
                }
            }
            let version = latest.unwrap_or(0) + 1;
            let notified =
                i32::try_from(notified).map_err(|e| StoreError::Internal(Box::new(e)))?;
            let row = sqlx::query(
                "INSERT INTO policy_versions
                    (id, kind, version, title, summary, body, published_at, effective_at, notified)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 RETURNING id, kind, version, title, summary, body, published_at, effective_at, notified",
            )
            .bind(new.id)
            .bind(new.kind.as_str())
            .bind(version)
            .bind(&new.title)
            .bind(&new.summary)
            .bind(&new.body)
            .bind(new.published_at)
            .bind(new.effective_at)
            .bind(notified)
            .fetch_one(&mut *tx)
            .await?;
            let published = from_row(&row)?;
            tx.commit().await?;
            Ok(published)
        }

        async fn policy_versions(
            &self,
            kind: Option<PolicyKind>,
        ) -> StoreResult<Vec<PolicyVersion>> {
            let sql = format!(
                "SELECT {COLUMNS} FROM policy_versions p WHERE CAST($1 AS TEXT) IS NULL OR p.kind = $1
                 ORDER BY p.kind, p.version DESC"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(kind.map(PolicyKind::as_str))
                .fetch_all(self.public_pool())
                .await?;
            rows.iter().map(from_row).collect()
        }

        async fn current_policies(&self, now: Timestamp) -> StoreResult<Vec<PolicyVersion>> {
            let sql =
                format!("SELECT {COLUMNS} FROM policy_versions p WHERE {IN_FORCE} ORDER BY p.kind");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .fetch_all(self.public_pool())
                .await?;
            rows.iter().map(from_row).collect()
        }

        async fn pending_policies(
            &self,
            scope: UserScope,
            now: Timestamp,
        ) -> StoreResult<Vec<PolicyVersion>> {
            let sql = format!(
                "SELECT {COLUMNS} FROM policy_versions p WHERE {IN_FORCE}
                   AND NOT EXISTS (SELECT 1 FROM policy_acceptances a
                                   WHERE a.policy_id = p.id AND a.user_id = $2)
                 ORDER BY p.kind"
            );
            let mut tx = self.user_read(scope).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(scope.user_id())
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect()
        }

        async fn accept_policies(
            &self,
            scope: UserScope,
            ids: &[PolicyId],
            source: AcceptanceSource,
            now: Timestamp,
        ) -> StoreResult<u32> {
            let mut tx = self.user_write(scope).await?;
            let mut added = 0;
            for id in ids {
                let known: Option<i32> =
                    sqlx::query_scalar("SELECT 1 FROM policy_versions WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if known.is_none() {
                    return Err(StoreError::NotFound);
                }
                let done = sqlx::query(
                    "INSERT INTO policy_acceptances (user_id, policy_id, source, accepted_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(scope.user_id())
                .bind(id)
                .bind(source.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                added += u32::try_from(done.rows_affected())
                    .map_err(|e| StoreError::Internal(Box::new(e)))?;
            }
            tx.commit().await?;
            Ok(added)
        }

        async fn accept_current_policies(&self, user: UserId, now: Timestamp) -> StoreResult<u32> {
            let sql = format!(
                "INSERT INTO policy_acceptances (user_id, policy_id, source, accepted_at)
                 SELECT $2, p.id, 'sign-up', $1 FROM policy_versions p WHERE {IN_FORCE}
                 ON CONFLICT DO NOTHING"
            );
            let done = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(user)
                .execute(self.write_pool())
                .await?;
            u32::try_from(done.rows_affected()).map_err(|e| StoreError::Internal(Box::new(e)))
        }

        async fn policy_acceptances_of(
            &self,
            scope: UserScope,
        ) -> StoreResult<Vec<PolicyAcceptance>> {
            let mut tx = self.user_read(scope).await?;
            let rows = sqlx::query(
                "SELECT a.policy_id, p.kind, p.version, p.title, a.source, a.accepted_at
                 FROM policy_acceptances a JOIN policy_versions p ON p.id = a.policy_id
                 WHERE a.user_id = $1 ORDER BY a.accepted_at, p.kind",
            )
            .bind(scope.user_id())
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect()
        }
    }
}
