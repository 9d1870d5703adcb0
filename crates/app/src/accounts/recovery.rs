//! Password reset and e-mail change by e-mailed single-use tokens (C4). The mail goes to the
//! outbox; only the token's SHA-256 is stored; a used or expired token does nothing.

use super::{AccountError, Accounts, random_token, token_hash};
use crate::domain::{Email, Password, Timestamp, UserId, UserScope};
use crate::store::{Mail, NewAccountToken, StoreError, TokenPurpose};

impl Accounts {
    async fn issue_token(
        &self,
        user: UserId,
        purpose: TokenPurpose,
        new_email: Option<Email>,
    ) -> Result<String, AccountError> {
        let token = random_token()?;
        let now = Timestamp::now();
        let record = NewAccountToken {
            token_hash: token_hash(&token),
            user_id: user,
            purpose,
            new_email,
            created_at: now,
            expires_at: now.plus(self.config.email_token_ttl),
        };
        self.store.create_account_token(&record).await?;
        Ok(token)
    }

    async fn send(&self, recipient: &str, subject: &str, body: String) -> Result<(), AccountError> {
        let mail = Mail {
            recipient: recipient.to_owned(),
            subject: subject.to_owned(),
            body,
        };
        Ok(self.store.enqueue_mail(&mail, Timestamp::now()).await?)
    }

    /// Mails a reset link when the address has an account; answers the same either way, so
    /// the form does not reveal who has an account.
    pub async fn request_password_reset(&self, email: &str) -> Result<(), AccountError> {
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let Some(found) = self.store.find_user_by_email(&email).await? else {
            return Ok(());
        };
        let token = self
            .issue_token(found.user.id, TokenPurpose::PasswordReset, None)
            .await?;
        let body = format!(
            "Someone asked to reset the password of your Atelier account.\n\n\
             To choose a new password, open /reset-password?token={token}\n\
             or send this token to POST /api/v1/auth/password-reset/confirm: {token}\n\n\
             If it was not you, ignore this mail; your password stays as it is."
        );
        self.send(email.as_str(), "Reset your Atelier password", body)
            .await
    }

    /// Sets a new password with a reset token, closing every session of the account.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
    ) -> Result<(), AccountError> {
        let password = Password::parse(new_password).map_err(AccountError::Password)?;
        let (user, _) = self
            .store
            .consume_account_token(
                &token_hash(token),
                TokenPurpose::PasswordReset,
                Timestamp::now(),
            )
            .await?
            .ok_or(AccountError::InvalidToken)?;
        let hash = self.hash_password(password).await?;
        Ok(self.store.set_password_hash(user, &hash).await?)
    }

    /// Checks the signed-in user's current password (before erasure and other grave acts).
    /// Failures count toward the same lockout as sign-in, so a stolen session cannot be used
    /// to guess the password.
    pub async fn check_password(
        &self,
        scope: UserScope,
        password: &str,
    ) -> Result<(), AccountError> {
        let user = self.store.user(scope).await?;
        let current = Email::parse(&user.email).map_err(|_| AccountError::InvalidEmail)?;
        let credentials = self
            .store
            .find_user_by_email(&current)
            .await?
            .ok_or(AccountError::Unauthenticated)?;
        let now = Timestamp::now();
        if credentials.locked_until.is_some_and(|until| until > now) {
            return Err(AccountError::Locked);
        }
        let verified = match Password::for_sign_in(password) {
            Some(password) => {
                self.verify_password(Some(credentials.password_hash), password)
                    .await?
            }
            None => false,
        };
        if verified {
            self.store.clear_failed_logins(user.id).await?;
            return Ok(());
        }
        let until = now.plus(self.config.lockout);
        self.store
            .record_failed_login(user.id, self.config.max_failed_logins, until)
            .await?;
        Err(AccountError::InvalidCredentials)
    }

    /// Asks to move the account to `new_email`: the current password is required, the link
    /// goes to the new address and a notice to the old one.
    pub async fn request_email_change(
        &self,
        scope: UserScope,
        new_email: &str,
        password: &str,
    ) -> Result<(), AccountError> {
        let new_email = Email::parse(new_email).map_err(|_| AccountError::InvalidEmail)?;
        let password = Password::for_sign_in(password).ok_or(AccountError::InvalidCredentials)?;
        let user = self.store.user(scope).await?;
        let current = Email::parse(&user.email).map_err(|_| AccountError::InvalidEmail)?;
        let credentials = self
            .store
            .find_user_by_email(&current)
            .await?
            .ok_or(AccountError::Unauthenticated)?;
        if !self
            .verify_password(Some(credentials.password_hash), password)
            .await?
        {
            return Err(AccountError::InvalidCredentials);
        }
        if self.store.find_user_by_email(&new_email).await?.is_some() {
            return Err(AccountError::EmailTaken);
        }
        let token = self
            .issue_token(user.id, TokenPurpose::EmailChange, Some(new_email.clone()))
            .await?;
        let body = format!(
            "Confirm that this address should sign in to your Atelier account:\n\
             open /confirm-email?token={token}\n\
             or send this token to POST /api/v1/me/email/confirm: {token}"
        );
        self.send(
            new_email.as_str(),
            "Confirm your new Atelier e-mail address",
            body,
        )
        .await?;
        let notice = format!(
            "Someone asked to move your Atelier account to {new_email}. If it was not you, reset your password."
        );
        self.send(
            current.as_str(),
            "Your Atelier e-mail address is changing",
            notice,
        )
        .await
    }

    /// Applies an e-mail change with the token mailed to the new address.
    pub async fn confirm_email_change(&self, token: &str) -> Result<(), AccountError> {
        let (user, new_email) = self
            .store
            .consume_account_token(
                &token_hash(token),
                TokenPurpose::EmailChange,
                Timestamp::now(),
            )
            .await?
            .ok_or(AccountError::InvalidToken)?;
        let new_email = new_email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(|_| AccountError::InvalidToken)?;
        let new_email = new_email.ok_or(AccountError::InvalidToken)?;
        match self.store.set_email(user, &new_email).await {
            Err(StoreError::Conflict) => Err(AccountError::EmailTaken),
            other => Ok(other?),
        }
    }
}
