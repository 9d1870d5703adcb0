//! The e-mail outbox and the access log on SQLite.

use async_trait::async_trait;

use super::{SqliteStore, get, get_opt_id, get_time, internal};
use crate::domain::{Timestamp, UserScope};
use crate::store::{AccessEntry, AdminAction, AuditStore, Mail, PendingMail, Store, StoreResult};

/// Deletes a delivered (or abandoned) mail marked `purge_on_send`: the erasure confirmation
/// must not keep the address of someone who asked to be forgotten. Returns whether it did,
/// so the caller scrubs the WAL of it once committed.
async fn purge_if_asked(conn: &mut sqlx::SqliteConnection, id: i64) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM outbox WHERE id = ? AND purge_on_send")
        .bind(id)
        .execute(conn)
        .await
        .map_err(internal)?;
    Ok(done.rows_affected() > 0)
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn enqueue_mail(&self, mail: &Mail, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO outbox (recipient, subject, body, html, created_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&mail.recipient)
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(&mail.html)
        .bind(now.millis())
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn pending_mail(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<PendingMail>> {
        let rows: Vec<(i64, i64, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, attempts, recipient, subject, body, html FROM outbox
             WHERE sent_at IS NULL AND failed_at IS NULL
               AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
             ORDER BY id LIMIT ?",
        )
        .bind(now.millis())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, attempts, recipient, subject, body, html)| PendingMail {
                    id,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                    mail: Mail {
                        recipient,
                        subject,
                        body,
                        html,
                    },
                },
            )
            .collect())
    }

    async fn mark_mail_sent(&self, id: i64, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ?")
            .bind(now.millis())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        let purged = purge_if_asked(&mut tx, id).await?;
        tx.commit().await.map_err(internal)?;
        if purged {
            self.scrub().await?;
        }
        Ok(())
    }

    async fn mark_mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let failed_at = retry_at.is_none().then_some(now.millis());
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
             failed_at = ? WHERE id = ?",
        )
        .bind(error)
        .bind(retry_at.map(Timestamp::millis))
        .bind(failed_at)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        let purged = retry_at.is_none() && purge_if_asked(&mut tx, id).await?;
        tx.commit().await.map_err(internal)?;
        if purged {
            self.scrub().await?;
        }
        Ok(())
    }

    async fn record_access(&self, entry: &AccessEntry) -> StoreResult<()> {
        sqlx::query(
            // The user must still exist: the request that erased an account is logged
            // without it, so nothing of the user is written back after erasure.
            "INSERT INTO access_log (at, ip, user_agent, method, route, status, user_id)
             VALUES (?, ?, ?, ?, ?, ?, (SELECT id FROM users WHERE id = ?))",
        )
        .bind(entry.at.millis())
        .bind(&entry.ip)
        .bind(&entry.user_agent)
        .bind(&entry.method)
        .bind(&entry.route)
        .bind(i64::from(entry.status))
        .bind(entry.user_id.map(|id| id.to_string()))
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn purge_access_log(&self, before: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM access_log WHERE at < ?")
            .bind(before.millis())
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected())
    }

    async fn purge_mail(&self, before: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM outbox WHERE (sent_at IS NOT NULL AND sent_at < ?)
                OR (failed_at IS NOT NULL AND failed_at < ?)",
        )
        .bind(before.millis())
        .bind(before.millis())
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(done.rows_affected())
    }

    async fn access_log_of(&self, scope: UserScope, limit: u32) -> StoreResult<Vec<AccessEntry>> {
        let rows = sqlx::query(
            "SELECT at, ip, user_agent, method, route, status, user_id FROM access_log
             WHERE user_id = ? ORDER BY id DESC LIMIT ?",
        )
        .bind(scope.user_id().to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
        rows.iter()
            .map(|row| {
                Ok(AccessEntry {
                    at: get_time(row, "at")?,
                    ip: get(row, "ip")?,
                    user_agent: get(row, "user_agent")?,
                    method: get(row, "method")?,
                    route: get(row, "route")?,
                    status: u16::try_from(get::<i64>(row, "status")?).unwrap_or_default(),
                    user_id: get_opt_id(row, "user_id")?,
                })
            })
            .collect()
    }

    async fn record_admin_action(&self, action: &AdminAction) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO admin_audit (at, actor, action, subject_user_id, detail) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(action.at.millis())
        .bind(&action.actor)
        .bind(&action.action)
        .bind(action.subject.map(|id| id.to_string()))
        .bind(&action.detail)
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn admin_actions(&self, limit: u32) -> StoreResult<Vec<AdminAction>> {
        let rows = sqlx::query(
            "SELECT at, actor, action, subject_user_id, detail FROM admin_audit
             ORDER BY id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
        rows.iter()
            .map(|row| {
                Ok(AdminAction {
                    at: get_time(row, "at")?,
                    actor: get(row, "actor")?,
                    action: get(row, "action")?,
                    subject: get_opt_id(row, "subject_user_id")?,
                    detail: get(row, "detail")?,
                })
            })
            .collect()
    }
}
