//! Users and sessions on SQLite.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, get, get_id, get_time, internal, tokens::grant_in};
use crate::domain::{Email, Role, Timestamp, UserId, UserScope};
use crate::store::{
    AccountStatus, AccountStore, NewAccountToken, NewLot, NewSession, NewUser, StoreError,
    StoreResult, TokenPurpose, User, UserCredentials,
};

fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    Ok(User {
        id: get_id(row, "id")?,
        email: get(row, "email")?,
        role: Role::parse(&get::<String>(row, "role")?),
        status: get(row, "status")?,
        created_at: get_time(row, "created_at")?,
        locale: get(row, "locale")?,
        email_verified_at: get::<Option<i64>>(row, "email_verified_at")?
            .map(Timestamp::from_millis),
    })
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, user: NewUser, welcome: Option<NewLot>) -> StoreResult<User> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, guardian_consent, wrapped_key, locale,
                                created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(user.id.to_string())
        .bind(user.email.as_str())
        .bind(&user.password_hash)
        .bind(user.guardian_consent)
        .bind(&user.wrapped_key)
        .bind(&user.locale)
        .bind(user.created_at.millis())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
        if let Some(lot) = welcome {
            grant_in(&mut tx, user.id, &lot).await?;
        }
        tx.commit().await.map_err(internal)?;
        Ok(User {
            id: user.id,
            email: user.email.as_str().to_owned(),
            role: Role::User,
            status: "active".into(),
            created_at: user.created_at,
            locale: user.locale,
            email_verified_at: None,
        })
    }

    async fn find_user_by_email(&self, email: &Email) -> StoreResult<Option<UserCredentials>> {
        let row = sqlx::query("SELECT * FROM users WHERE email = ?")
            .bind(email.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(internal)?;
        row.map(|row| {
            Ok(UserCredentials {
                user: user_from_row(&row)?,
                password_hash: get(&row, "password_hash")?,
                locked_until: get::<Option<i64>>(&row, "locked_until")?.map(Timestamp::from_millis),
            })
        })
        .transpose()
    }

    async fn user(&self, scope: UserScope) -> StoreResult<User> {
        let row = sqlx::query("SELECT * FROM users WHERE id = ?")
            .bind(scope.user_id().to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(internal)?
            .ok_or(StoreError::NotFound)?;
        user_from_row(&row)
    }

    async fn wrapped_key(&self, user: UserId) -> StoreResult<Option<Vec<u8>>> {
        let key: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT wrapped_key FROM users WHERE id = ?")
                .bind(user.to_string())
                .fetch_optional(&self.reader)
                .await
                .map_err(internal)?;
        Ok(key.flatten())
    }

    async fn record_failed_login(
        &self,
        user: UserId,
        max: u32,
        until: Timestamp,
    ) -> StoreResult<()> {
        // The counter restarts once a lock is set, so each lock follows `max` fresh failures.
        sqlx::query(
            "UPDATE users SET
                 locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END,
                 failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END
             WHERE id = ?",
        )
        .bind(i64::from(max))
        .bind(until.millis())
        .bind(i64::from(max))
        .bind(user.to_string())
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn clear_failed_logins(&self, user: UserId) -> StoreResult<()> {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?")
            .bind(user.to_string())
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn create_session(&self, session: NewSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&session.token_hash)
        .bind(session.user_id.to_string())
        .bind(session.created_at.millis())
        .bind(session.created_at.millis())
        .bind(session.expires_at.millis())
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn session_scope(
        &self,
        token_hash: &str,
        now: Timestamp,
        idle: Duration,
    ) -> StoreResult<Option<UserScope>> {
        let row = sqlx::query(
            "SELECT s.user_id, s.last_seen_at, s.expires_at, u.role, u.status
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await
        .map_err(internal)?;
        let Some(row) = row else { return Ok(None) };
        let idle_deadline = get_time(&row, "last_seen_at")?.plus(idle);
        let usable = matches!(
            get::<String>(&row, "status")?.as_str(),
            "active" | "restricted"
        );
        if now >= get_time(&row, "expires_at")? || now >= idle_deadline || !usable {
            self.delete_session(token_hash).await?;
            return Ok(None);
        }
        // Touch at most once a minute: every request would otherwise be a write.
        if now.millis() - get_time(&row, "last_seen_at")?.millis() > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?")
                .bind(now.millis())
                .bind(token_hash)
                .execute(&self.writer)
                .await
                .map_err(internal)?;
        }
        let role = Role::parse(&get::<String>(&row, "role")?);
        Ok(Some(UserScope::trusted(get_id(&row, "user_id")?, role)))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn create_account_token(&self, token: &NewAccountToken) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, new_email, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&token.token_hash)
        .bind(token.user_id.to_string())
        .bind(token.purpose.as_str())
        .bind(token.new_email.as_ref().map(|e| e.as_str().to_owned()))
        .bind(token.created_at.millis())
        .bind(token.expires_at.millis())
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        Ok(())
    }

    async fn consume_account_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> StoreResult<Option<(UserId, Option<String>)>> {
        let row = sqlx::query(
            "UPDATE account_tokens SET used_at = ?
             WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
             RETURNING user_id, new_email",
        )
        .bind(now.millis())
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(now.millis())
        .fetch_optional(&self.writer)
        .await
        .map_err(internal)?;
        row.map(|row| Ok((get_id(&row, "user_id")?, get(&row, "new_email")?)))
            .transpose()
    }

    async fn set_password_hash(&self, user: UserId, password_hash: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?")
            .bind(password_hash)
            .bind(user.to_string())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user.to_string())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)
    }

    async fn set_email(
        &self,
        user: UserId,
        email: &Email,
        verified_at: Timestamp,
    ) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET email = ?, email_verified_at = ? WHERE id = ?")
            .bind(email.as_str())
            .bind(verified_at.millis())
            .bind(user.to_string())
            .execute(&self.writer)
            .await
            .map_err(internal)?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    async fn mark_email_verified(&self, user: UserId, now: Timestamp) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?) WHERE id = ?",
        )
        .bind(now.millis())
        .bind(user.to_string())
        .execute(&self.writer)
        .await
        .map_err(internal)?;
        if done.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    async fn unverified_users(
        &self,
        created_before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<UserId>> {
        let rows = sqlx::query(
            "SELECT id FROM users WHERE email_verified_at IS NULL AND created_at < ?
             ORDER BY created_at LIMIT ?",
        )
        .bind(created_before.millis())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(internal)?;
        rows.iter().map(|row| get_id(row, "id")).collect()
    }

    async fn set_role_and_status(
        &self,
        user: UserId,
        role: Role,
        status: AccountStatus,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE users SET role = ?, status = ? WHERE id = ?")
            .bind(role.as_str())
            .bind(status.as_str())
            .bind(user.to_string())
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        if !status.can_sign_in() {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?")
                .bind(user.to_string())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
        }
        tx.commit().await.map_err(internal)
    }
}
