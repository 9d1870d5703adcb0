//! The privacy center on SQLite: choices with their append-only history, the display name,
//! and erasure of every row of a user in one transaction.

use async_trait::async_trait;
use sqlx::SqliteConnection;

use super::tokens::refund_in;
use super::{SqliteStore, get, get_id, get_time, internal};
use crate::domain::{JobId, Timestamp, UserScope};
use crate::store::{
    AccountRecord, ConsentKind, ConsentRecord, ConsentSource, ErasureCounts, Mail, PrivacyChange,
    PrivacySettings, PrivacyStore, StoreError, StoreResult,
};

/// Tables whose rows belong to one user through `user_id`, children before parents. The
/// `users` row goes last, taking the wrapped data key with it.
const USER_TABLES: [&str; 17] = [
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

fn column(kind: ConsentKind) -> &'static str {
    match kind {
        ConsentKind::ProcessingPaused => "processing_paused",
        ConsentKind::AnalyticsOptOut => "analytics_opt_out",
        ConsentKind::MarketingOptIn => "marketing_opt_in",
    }
}

async fn settings_in(
    conn: &mut SqliteConnection,
    scope: UserScope,
) -> StoreResult<PrivacySettings> {
    let row: Option<(bool, bool, bool)> = sqlx::query_as(
        "SELECT processing_paused, analytics_opt_out, marketing_opt_in FROM users WHERE id = ?",
    )
    .bind(scope.user_id().to_string())
    .fetch_optional(conn)
    .await
    .map_err(internal)?;
    let (processing_paused, analytics_opt_out, marketing_opt_in) =
        row.ok_or(StoreError::NotFound)?;
    Ok(PrivacySettings {
        processing_paused,
        analytics_opt_out,
        marketing_opt_in,
    })
}

#[async_trait]
impl PrivacyStore for SqliteStore {
    async fn privacy(&self, scope: UserScope) -> StoreResult<PrivacySettings> {
        let mut conn = self.reader.acquire().await.map_err(internal)?;
        settings_in(&mut conn, scope).await
    }

    async fn set_privacy(
        &self,
        scope: UserScope,
        change: &PrivacyChange,
        source: ConsentSource,
        now: Timestamp,
    ) -> StoreResult<PrivacySettings> {
        let mut tx = self.write().await?;
        let before = settings_in(&mut tx, scope).await?;
        for kind in ConsentKind::ALL {
            let Some(value) = change.get(kind).filter(|v| *v != before.get(kind)) else {
                continue;
            };
            let sql = format!("UPDATE users SET {} = ? WHERE id = ?", column(kind));
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(value)
                .bind(scope.user_id().to_string())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            sqlx::query(
                "INSERT INTO consents (user_id, kind, value, source, created_at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(scope.user_id().to_string())
            .bind(kind.as_str())
            .bind(value)
            .bind(source.as_str())
            .bind(now.millis())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
        let after = settings_in(&mut tx, scope).await?;
        if after.analytics_opt_out {
            // Objection means stop and drop: what was collected goes with the opt-out.
            sqlx::query("DELETE FROM usage_events WHERE user_id = ?")
                .bind(scope.user_id().to_string())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(after)
    }

    async fn consents_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<ConsentRecord>> {
        let rows = sqlx::query(
            "SELECT kind, value, source, created_at FROM consents WHERE user_id = ? ORDER BY id LIMIT ?",
        )
        .bind(scope.user_id().to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
        rows.iter()
            .map(|row| {
                let kind: String = get(row, "kind")?;
                Ok(ConsentRecord {
                    kind: ConsentKind::parse(&kind).ok_or_else(|| {
                        StoreError::Internal(format!("consent kind {kind}").into())
                    })?,
                    value: get(row, "value")?,
                    source: get(row, "source")?,
                    at: get_time(row, "created_at")?,
                })
            })
            .collect()
    }

    async fn account_record(&self, scope: UserScope) -> StoreResult<AccountRecord> {
        let row = sqlx::query("SELECT * FROM users WHERE id = ?")
            .bind(scope.user_id().to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(internal)?
            .ok_or(StoreError::NotFound)?;
        Ok(AccountRecord {
            id: get_id(&row, "id")?,
            email: get(&row, "email")?,
            display_name: get(&row, "display_name")?,
            role: get(&row, "role")?,
            status: get(&row, "status")?,
            guardian_consent: get(&row, "guardian_consent")?,
            created_at: get_time(&row, "created_at")?,
            locale: get(&row, "locale")?,
            email_verified_at: get::<Option<i64>>(&row, "email_verified_at")?
                .map(Timestamp::from_millis),
            privacy: PrivacySettings {
                processing_paused: get(&row, "processing_paused")?,
                analytics_opt_out: get(&row, "analytics_opt_out")?,
                marketing_opt_in: get(&row, "marketing_opt_in")?,
            },
        })
    }

    async fn set_display_name(&self, scope: UserScope, name: Option<&str>) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET display_name = ? WHERE id = ?")
            .bind(name)
            .bind(scope.user_id().to_string())
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn begin_erasure(&self, scope: UserScope, now: Timestamp) -> StoreResult<u32> {
        let mut tx = self.write().await?;
        let user = scope.user_id().to_string();
        let paused = sqlx::query("UPDATE users SET processing_paused = TRUE WHERE id = ?")
            .bind(&user)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        if paused.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let queued: Vec<String> = sqlx::query_scalar(
            "UPDATE jobs SET status = 'canceled', updated_at = ? WHERE user_id = ? AND status = 'queued'
             RETURNING id",
        )
        .bind(now.millis())
        .bind(&user)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        for id in &queued {
            let id: JobId = id.parse().map_err(|e| StoreError::Internal(Box::new(e)))?;
            refund_in(&mut tx, id, now).await?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(u32::try_from(queued.len()).unwrap_or(u32::MAX))
    }

    async fn erase_user(
        &self,
        scope: UserScope,
        farewell: Option<&Mail>,
        now: Timestamp,
    ) -> StoreResult<ErasureCounts> {
        let mut tx = self.write().await?;
        let user = scope.user_id().to_string();
        let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = ?")
            .bind(&user)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?
            .ok_or(StoreError::NotFound)?;
        let detached = sqlx::query("UPDATE purchases SET user_id = NULL WHERE user_id = ?")
            .bind(&user)
            .execute(&mut *tx)
            .await
            .map_err(internal)?
            .rows_affected();
        // Subscriptions (canceled at Stripe before this) and their grants stay for
        // accounting, naming no one.
        let subscriptions =
            sqlx::query("UPDATE subscriptions SET user_id = NULL WHERE user_id = ?")
                .bind(&user)
                .execute(&mut *tx)
                .await
                .map_err(internal)?
                .rows_affected();
        sqlx::query("UPDATE subscription_grants SET user_id = NULL WHERE user_id = ?")
            .bind(&user)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        sqlx::query("UPDATE admin_audit SET subject_user_id = NULL WHERE subject_user_id = ?")
            .bind(&user)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        // Reports stay for the admins' record, naming no one: without the reporter's words
        // nor the id of the reported item (a result or upload of theirs).
        sqlx::query(
            "UPDATE abuse_reports SET user_id = NULL, item_id = NULL, details = ''
             WHERE user_id = ?",
        )
        .bind(&user)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        // Mail to the address, and to any address the user asked to move to.
        let mut rows = sqlx::query(
            "DELETE FROM outbox WHERE recipient = ? OR recipient IN
                 (SELECT new_email FROM account_tokens WHERE user_id = ? AND new_email IS NOT NULL)",
        )
        .bind(&email)
        .bind(&user)
            .execute(&mut *tx)
            .await
            .map_err(internal)?
            .rows_affected();
        for table in USER_TABLES {
            let key = if table == "users" { "id" } else { "user_id" };
            let sql = format!("DELETE FROM {table} WHERE {key} = ?");
            rows += sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&user)
                .execute(&mut *tx)
                .await
                .map_err(internal)?
                .rows_affected();
        }
        if let Some(farewell) = farewell {
            sqlx::query(
                "INSERT INTO outbox (recipient, subject, body, html, created_at, purge_on_send)
                 VALUES (?, ?, ?, ?, ?, TRUE)",
            )
            .bind(&farewell.recipient)
            .bind(&farewell.subject)
            .bind(&farewell.body)
            .bind(&farewell.html)
            .bind(now.millis())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(ErasureCounts {
            rows,
            purchases_detached: detached,
            subscriptions_detached: subscriptions,
        })
    }
}
