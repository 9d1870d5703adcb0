//! The privacy center: choices with their append-only history, the display name, and
//! erasure. Choices, their history and the display name are the user's own rows (on
//! PostgreSQL: app role, under Row Level Security). Erasure's last step is a system call that
//! deletes every row naming the user: on SQLite table by table, on PostgreSQL through the
//! `users` row, whose ON DELETE CASCADE (run as the owner) takes every row that names the
//! user. Both detach purchases and drop mail to the address.

use async_trait::async_trait;

use super::{each_backend, from_row, get};
use crate::domain::{JobId, Timestamp, UserScope};
use crate::store::{
    AccountRecord, ConsentKind, ConsentRecord, ConsentSource, ErasureCounts, Mail, PrivacyChange,
    PrivacySettings, PrivacyStore, StoreError, StoreResult,
};

/// Tables whose rows belong to one user through `user_id`, children before parents. The
/// `users` row goes last, taking the wrapped data key with it.
const SQLITE_USER_TABLES: [&str; 17] = [
    "support_messages",
    "support_tickets",
    "sessions",
    "api_keys",
    "idempotency_keys",
    "policy_acceptances",
    "usage_events",
    "export_requests",
    "account_tokens",
    "consents",
    "results",
    "jobs",
    "uploads",
    "token_ledger",
    "token_lots",
    "access_log",
    "users",
];

/// On PostgreSQL deleting the `users` row cascades to sessions, account tokens, consents,
/// lots, ledger, uploads, jobs and results (and the wrapped data key goes with it); only the
/// access log, which keeps rows of visitors, is deleted by hand.
const POSTGRES_USER_TABLES: [&str; 2] = ["access_log", "users"];

each_backend! {
    fn column(kind: ConsentKind) -> &'static str {
        match kind {
            ConsentKind::ProcessingPaused => "processing_paused",
            ConsentKind::AnalyticsOptOut => "analytics_opt_out",
            ConsentKind::MarketingOptIn => "marketing_opt_in",
        }
    }

    async fn settings_in(conn: &mut DbConn, scope: UserScope) -> StoreResult<PrivacySettings> {
        let row: Option<(bool, bool, bool)> = sqlx::query_as(
            "SELECT processing_paused, analytics_opt_out, marketing_opt_in FROM users WHERE id = $1",
        )
        .bind(scope.user_id())
        .fetch_optional(conn)
        .await?;
        let (processing_paused, analytics_opt_out, marketing_opt_in) =
            row.ok_or(StoreError::NotFound)?;
        Ok(PrivacySettings {
            processing_paused,
            analytics_opt_out,
            marketing_opt_in,
        })
    }

    #[async_trait]
    impl PrivacyStore for Db {
        async fn privacy(&self, scope: UserScope) -> StoreResult<PrivacySettings> {
            let mut tx = self.user_read(scope).await?;
            let settings = settings_in(&mut tx, scope).await?;
            tx.commit().await?;
            Ok(settings)
        }

        async fn set_privacy(
            &self,
            scope: UserScope,
            change: &PrivacyChange,
            source: ConsentSource,
            now: Timestamp,
        ) -> StoreResult<PrivacySettings> {
            let mut tx = self.user_write(scope).await?;
            // Lock the row so two changes at once record their history in the order applied
            // (SQLite's write transaction holds the database lock already).
            let lock = "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE";
            if let Some(lock) = dialect(None, Some(lock)) {
                sqlx::query(lock)
                    .bind(scope.user_id())
                    .fetch_optional(&mut *tx)
                    .await?;
            }
            let before = settings_in(&mut tx, scope).await?;
            for kind in ConsentKind::ALL {
                let Some(value) = change.get(kind).filter(|v| *v != before.get(kind)) else {
                    continue;
                };
                let sql = format!("UPDATE users SET {} = $1 WHERE id = $2", column(kind));
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(value)
                    .bind(scope.user_id())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO consents (user_id, kind, value, source, created_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(scope.user_id())
                .bind(kind.as_str())
                .bind(value)
                .bind(source.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let after = settings_in(&mut tx, scope).await?;
            if after.analytics_opt_out {
                // Objection means stop and drop: what was collected goes with the opt-out.
                sqlx::query("DELETE FROM usage_events WHERE user_id = $1")
                    .bind(scope.user_id())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(after)
        }

        async fn consents_of(
            &self,
            scope: UserScope,
            limit: u32,
        ) -> StoreResult<Vec<ConsentRecord>> {
            let mut tx = self.user_read(scope).await?;
            let rows = sqlx::query(
                "SELECT kind, value, source, created_at FROM consents WHERE user_id = $1
                 ORDER BY id LIMIT $2",
            )
            .bind(scope.user_id())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows.iter().map(from_row).collect()
        }

        async fn account_record(&self, scope: UserScope) -> StoreResult<AccountRecord> {
            let mut tx = self.user_read(scope).await?;
            let row = sqlx::query(
                "SELECT id, email, display_name, role, status, guardian_consent, created_at,
                        locale, email_verified_at, processing_paused, analytics_opt_out,
                        marketing_opt_in
                 FROM users WHERE id = $1",
            )
            .bind(scope.user_id())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            tx.commit().await?;
            Ok(AccountRecord {
                id: get(&row, "id")?,
                email: get(&row, "email")?,
                display_name: get(&row, "display_name")?,
                role: get(&row, "role")?,
                status: get(&row, "status")?,
                guardian_consent: get(&row, "guardian_consent")?,
                created_at: get(&row, "created_at")?,
                locale: get(&row, "locale")?,
                email_verified_at: get(&row, "email_verified_at")?,
                privacy: PrivacySettings {
                    processing_paused: get(&row, "processing_paused")?,
                    analytics_opt_out: get(&row, "analytics_opt_out")?,
                    marketing_opt_in: get(&row, "marketing_opt_in")?,
                },
            })
        }

        async fn set_display_name(&self, scope: UserScope, name: Option<&str>) -> StoreResult<()> {
            let mut tx = self.user_write(scope).await?;
            let done = sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
                .bind(name)
                .bind(scope.user_id())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(tx.commit().await?)
        }

        async fn begin_erasure(&self, scope: UserScope, now: Timestamp) -> StoreResult<u32> {
            let mut tx = self.user_write(scope).await?;
            let paused = sqlx::query("UPDATE users SET processing_paused = TRUE WHERE id = $1")
                .bind(scope.user_id())
                .execute(&mut *tx)
                .await?;
            if paused.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            let queued: Vec<JobId> = sqlx::query_scalar(
                "UPDATE jobs SET status = 'canceled', updated_at = $1
                 WHERE user_id = $2 AND status = 'queued' RETURNING id",
            )
            .bind(now)
            .bind(scope.user_id())
            .fetch_all(&mut *tx)
            .await?;
            for id in &queued {
                refund_in(&mut tx, *id, now).await?;
            }
            tx.commit().await?;
            Ok(u32::try_from(queued.len()).unwrap_or(u32::MAX))
        }

        async fn erase_user(
            &self,
            scope: UserScope,
            farewell: Option<&Mail>,
            now: Timestamp,
        ) -> StoreResult<ErasureCounts> {
            let mut tx = self.system_write().await?;
            let user = scope.user_id();
            let sql = dialect(
                "SELECT email FROM users WHERE id = $1",
                "SELECT email FROM users WHERE id = $1 FOR UPDATE",
            );
            let email: String = sqlx::query_scalar(sql)
                .bind(user)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let detached = sqlx::query("UPDATE purchases SET user_id = NULL WHERE user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // Subscriptions (canceled at Stripe before this) and their grants stay for
            // accounting, naming no one.
            let subscriptions =
                sqlx::query("UPDATE subscriptions SET user_id = NULL WHERE user_id = $1")
                    .bind(user)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            sqlx::query("UPDATE subscription_grants SET user_id = NULL WHERE user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE admin_audit SET subject_user_id = NULL WHERE subject_user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
            // Reports stay for the admins' record, naming no one: without the reporter's words
            // nor the id of the reported item (a result or upload of theirs).
            sqlx::query(
                "UPDATE abuse_reports SET user_id = NULL, item_id = NULL, details = ''
                 WHERE user_id = $1",
            )
            .bind(user)
            .execute(&mut *tx)
            .await?;
            // Mail to the address, and to any address the user asked to move to.
            let mut rows = sqlx::query(
                "DELETE FROM outbox WHERE recipient = $1 OR recipient IN
                     (SELECT new_email FROM account_tokens WHERE user_id = $2 AND new_email IS NOT NULL)",
            )
            .bind(&email)
            .bind(user)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            for table in dialect(&SQLITE_USER_TABLES[..], &POSTGRES_USER_TABLES[..]) {
                let key = if *table == "users" { "id" } else { "user_id" };
                let sql = format!("DELETE FROM {table} WHERE {key} = $1");
                rows += sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(user)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            if let Some(farewell) = farewell {
                sqlx::query(
                    "INSERT INTO outbox (recipient, subject, body, html, created_at, purge_on_send)
                     VALUES ($1, $2, $3, $4, $5, TRUE)",
                )
                .bind(&farewell.recipient)
                .bind(&farewell.subject)
                .bind(&farewell.body)
                .bind(&farewell.html)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(ErasureCounts {
                rows,
                purchases_detached: detached,
                subscriptions_detached: subscriptions,
            })
        }
    }
}
