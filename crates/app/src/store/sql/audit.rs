//! The e-mail outbox, the access log and the admin audit log. Writes are system calls; a
//! user reads back only their own access log (as the app role on PostgreSQL).

use async_trait::async_trait;

use super::{Count, each_backend, from_row, get};
use crate::domain::{Timestamp, UserScope};
use crate::store::{AccessEntry, AdminAction, AuditStore, Mail, PendingMail, Store, StoreResult};

each_backend! {
    /// Deletes a delivered (or abandoned) mail marked `purge_on_send`: the erasure
    /// confirmation must not keep the address of someone who asked to be forgotten. Returns
    /// whether it did, so the caller scrubs (on SQLite: the WAL) once committed.
    async fn purge_if_asked(tx: &mut Tx, id: i64) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM outbox WHERE id = $1 AND purge_on_send")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    #[async_trait]
    impl AuditStore for Db {
        async fn enqueue_mail(&self, mail: &Mail, now: Timestamp) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO outbox (recipient, subject, body, html, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&mail.recipient)
            .bind(&mail.subject)
            .bind(&mail.body)
            .bind(&mail.html)
            .bind(now)
            .execute(self.write_pool())
            .await?;
            Ok(())
        }

        async fn pending_mail(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<PendingMail>> {
            let rows: Vec<(i64, Count, String, String, String, Option<String>)> = sqlx::query_as(
                "SELECT id, attempts, recipient, subject, body, html FROM outbox
                 WHERE sent_at IS NULL AND failed_at IS NULL
                   AND (next_attempt_at IS NULL OR next_attempt_at <= $1)
                 ORDER BY id LIMIT $2",
            )
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(self.read_pool())
            .await?;
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
            let mut tx = self.system_write().await?;
            sqlx::query("UPDATE outbox SET sent_at = $1, attempts = attempts + 1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let purged = purge_if_asked(&mut tx, id).await?;
            tx.commit().await?;
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
            let failed_at = retry_at.is_none().then_some(now);
            let mut tx = self.system_write().await?;
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $1,
                    next_attempt_at = $2, failed_at = $3
                 WHERE id = $4",
            )
            .bind(error)
            .bind(retry_at)
            .bind(failed_at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let purged = retry_at.is_none() && purge_if_asked(&mut tx, id).await?;
            tx.commit().await?;
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
                 VALUES ($1, $2, $3, $4, $5, $6, (SELECT id FROM users WHERE id = $7))",
            )
            .bind(entry.at)
            .bind(&entry.ip)
            .bind(&entry.user_agent)
            .bind(&entry.method)
            .bind(&entry.route)
            .bind(i32::from(entry.status))
            .bind(entry.user_id)
            .execute(self.write_pool())
            .await?;
            Ok(())
        }

        async fn purge_access_log(&self, before: Timestamp) -> StoreResult<u64> {
            let done = sqlx::query("DELETE FROM access_log WHERE at < $1")
                .bind(before)
                .execute(self.write_pool())
                .await?;
            Ok(done.rows_affected())
        }

        async fn purge_mail(&self, before: Timestamp) -> StoreResult<u64> {
            let done = sqlx::query(
                "DELETE FROM outbox WHERE (sent_at IS NOT NULL AND sent_at < $1)
                    OR (failed_at IS NOT NULL AND failed_at < $1)",
            )
            .bind(before)
            .execute(self.write_pool())
            .await?;
            Ok(done.rows_affected())
        }

        async fn access_log_of(
            &self,
            scope: UserScope,
            limit: u32,
        ) -> StoreResult<Vec<AccessEntry>> {
            let mut tx = self.user_read(scope).await?;
            let rows = sqlx::query(
                "SELECT at, ip, user_agent, method, route, status, user_id FROM access_log
                 WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(scope.user_id())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows.iter()
                .map(|row| {
                    Ok(AccessEntry {
                        at: get(row, "at")?,
                        ip: get(row, "ip")?,
                        user_agent: get(row, "user_agent")?,
                        method: get(row, "method")?,
                        route: get(row, "route")?,
                        status: u16::try_from(get::<i32, _>(row, "status")?).unwrap_or_default(),
                        user_id: get(row, "user_id")?,
                    })
                })
                .collect()
        }

        async fn record_admin_action(&self, action: &AdminAction) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO admin_audit (at, actor, action, subject_user_id, detail)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(action.at)
            .bind(&action.actor)
            .bind(&action.action)
            .bind(action.subject)
            .bind(&action.detail)
            .execute(self.write_pool())
            .await?;
            Ok(())
        }

        async fn admin_actions(&self, limit: u32) -> StoreResult<Vec<AdminAction>> {
            let rows = sqlx::query(
                "SELECT at, actor, action, subject_user_id, detail FROM admin_audit
                 ORDER BY id DESC LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(self.read_pool())
            .await?;
            rows.iter().map(from_row).collect()
        }
    }
}
