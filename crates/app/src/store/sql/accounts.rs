//! Users and sessions. All but `user` are system calls: they run before a user
//! is known (sign-up, sign-in, sessions, e-mailed tokens) or for an operator.

use std::time::Duration;

use async_trait::async_trait;

use super::{each_backend, get};
use crate::domain::{Email, Role, Timestamp, UserId, UserScope};
use crate::store::{
    AccountStatus, AccountStore, NewAccountToken, NewLot, NewSession, NewUser, StoreError,
    StoreResult, TokenPurpose, User, UserCredentials,
};

each_backend! {
    /// The columns the app role may read (not the password hash nor the wrapped key).
    const USER_COLUMNS: &str = "id, email, role, status, created_at, locale, email_verified_at";

    fn user_from_row(row: &DbRow) -> StoreResult<User> {
        Ok(User {
            id: get(row, "id")?,
            email: get(row, "email")?,
            role: Role::parse(&get::<String, _>(row, "role")?),
            status: get(row, "status")?,
            created_at: get(row, "created_at")?,
            locale: get(row, "locale")?,
            email_verified_at: get(row, "email_verified_at")?,
        })
    }

    #[async_trait]
    impl AccountStore for Db {
        async fn create_user(&self, user: NewUser, welcome: Option<NewLot>) -> StoreResult<User> {
            let mut tx = self.system_write().await?;
            sqlx::query(
                "INSERT INTO users (id, email, password_hash, guardian_consent, wrapped_key, locale,
                                    created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(user.id)
            .bind(user.email.as_str())
            .bind(&user.password_hash)
            .bind(user.guardian_consent)
            .bind(&user.wrapped_key)
            .bind(&user.locale)
            .bind(user.created_at)
            .execute(&mut *tx)
            .await?;
            if let Some(lot) = welcome {
                grant_in(&mut tx, user.id, &lot).await?;
            }
            tx.commit().await?;
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
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS}, password_hash, locked_until FROM users WHERE email = $1"
            ));
            let row = sqlx::query(sql)
                .bind(email.as_str())
                .fetch_optional(self.read_pool())
                .await?;
            row.map(|row| {
                Ok(UserCredentials {
                    user: user_from_row(&row)?,
                    password_hash: get(&row, "password_hash")?,
                    locked_until: get(&row, "locked_until")?,
                })
            })
            .transpose()
        }

        async fn user(&self, scope: UserScope) -> StoreResult<User> {
            let mut tx = self.user_read(scope).await?;
            let sql =
                sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"));
            let row = sqlx::query(sql)
                .bind(scope.user_id())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            tx.commit().await?;
            user_from_row(&row)
        }

        async fn wrapped_key(&self, user: UserId) -> StoreResult<Option<Vec<u8>>> {
            let key: Option<Option<Vec<u8>>> =
                sqlx::query_scalar("SELECT wrapped_key FROM users WHERE id = $1")
                    .bind(user)
                    .fetch_optional(self.read_pool())
                    .await?;
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
                     locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END,
                     failed_logins = CASE WHEN failed_logins + 1 >= $1 THEN 0 ELSE failed_logins + 1 END
                 WHERE id = $3",
            )
            .bind(i64::from(max))
            .bind(until)
            .bind(user)
            .execute(self.write_pool())
            .await?;
            Ok(())
        }

        async fn clear_failed_logins(&self, user: UserId) -> StoreResult<()> {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(user)
                .execute(self.write_pool())
                .await?;
            Ok(())
        }

        async fn create_session(&self, session: NewSession) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
                 VALUES ($1, $2, $3, $3, $4)",
            )
            .bind(&session.token_hash)
            .bind(session.user_id)
            .bind(session.created_at)
            .bind(session.expires_at)
            .execute(self.write_pool())
            .await?;
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
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(self.read_pool())
            .await?;
            let Some(row) = row else { return Ok(None) };
            let last_seen: Timestamp = get(&row, "last_seen_at")?;
            let usable = AccountStatus::parse(&get::<String, _>(&row, "status")?)
                .is_some_and(AccountStatus::can_sign_in);
            if now >= get(&row, "expires_at")? || now >= last_seen.plus(idle) || !usable {
                self.delete_session(token_hash).await?;
                return Ok(None);
            }
            // Touch at most once a minute: every request would otherwise be a write.
            if now.millis() - last_seen.millis() > 60_000 {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                    .bind(now)
                    .bind(token_hash)
                    .execute(self.write_pool())
                    .await?;
            }
            let role = Role::parse(&get::<String, _>(&row, "role")?);
            Ok(Some(UserScope::trusted(get(&row, "user_id")?, role)))
        }

        async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(self.write_pool())
                .await?;
            Ok(())
        }

        async fn create_account_token(&self, token: &NewAccountToken) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO account_tokens (token_hash, user_id, purpose, new_email, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&token.token_hash)
            .bind(token.user_id)
            .bind(token.purpose.as_str())
            .bind(token.new_email.as_ref().map(|e| e.as_str().to_owned()))
            .bind(token.created_at)
            .bind(token.expires_at)
            .execute(self.write_pool())
            .await?;
            Ok(())
        }

        async fn consume_account_token(
            &self,
            token_hash: &str,
            purpose: TokenPurpose,
            now: Timestamp,
        ) -> StoreResult<Option<(UserId, Option<String>)>> {
            let row = sqlx::query(
                "UPDATE account_tokens SET used_at = $1
                 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
                 RETURNING user_id, new_email",
            )
            .bind(now)
            .bind(token_hash)
            .bind(purpose.as_str())
            .fetch_optional(self.write_pool())
            .await?;
            row.map(|row| Ok((get(&row, "user_id")?, get(&row, "new_email")?)))
                .transpose()
        }

        async fn set_password_hash(&self, user: UserId, password_hash: &str) -> StoreResult<()> {
            let mut tx = self.system_write().await?;
            let done = sqlx::query(
                "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2",
            )
            .bind(password_hash)
            .bind(user)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
            Ok(tx.commit().await?)
        }

        async fn set_email(
            &self,
            user: UserId,
            email: &Email,
            verified_at: Timestamp,
        ) -> StoreResult<()> {
            let done =
                sqlx::query("UPDATE users SET email = $1, email_verified_at = $2 WHERE id = $3")
                    .bind(email.as_str())
                    .bind(verified_at)
                    .bind(user)
                    .execute(self.write_pool())
                    .await?;
            if done.rows_affected() == 1 {
                Ok(())
            } else {
                Err(StoreError::NotFound)
            }
        }

        async fn mark_email_verified(&self, user: UserId, now: Timestamp) -> StoreResult<()> {
            let done = sqlx::query(
                "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2",
            )
            .bind(now)
            .bind(user)
            .execute(self.write_pool())
            .await?;
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
                "SELECT id FROM users WHERE email_verified_at IS NULL AND created_at < $1
                 ORDER BY created_at LIMIT $2",
            )
            .bind(created_before)
            .bind(i64::from(limit))
            .fetch_all(self.read_pool())
            .await?;
            rows.iter().map(|row| get(row, "id")).collect()
        }

        async fn set_role_and_status(
            &self,
            user: UserId,
            role: Role,
            status: AccountStatus,
        ) -> StoreResult<()> {
            let mut tx = self.system_write().await?;
            let done = sqlx::query("UPDATE users SET role = $1, status = $2 WHERE id = $3")
                .bind(role.as_str())
                .bind(status.as_str())
                .bind(user)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::NotFound);
            }
            if !status.can_sign_in() {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(tx.commit().await?)
        }
    }
}
