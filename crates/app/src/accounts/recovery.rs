//! E-mail verification, password reset and e-mail change by e-mailed single-use tokens (C4).
//! The mail goes to the outbox; only the token's SHA-256 is stored; a used or expired token
//! does nothing.

use std::time::Duration;

use super::{AccountError, Accounts, Message, random_token, token_hash};
use crate::domain::{Email, Password, Role, Timestamp, UserId, UserScope};
use crate::store::{NewAccountToken, StoreError, TokenPurpose, User};

/// How long a verification link works. Longer than the reset link: it is not a key to the
/// account, and people open welcome mail late.
pub const VERIFY_TOKEN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

impl Accounts {
    async fn issue_token(
        &self,
        user: UserId,
        purpose: TokenPurpose,
        new_email: Option<Email>,
        valid_for: Duration,
    ) -> Result<String, AccountError> {
        let token = random_token()?;
        let now = Timestamp::now();
        let record = NewAccountToken {
            token_hash: token_hash(&token),
            user_id: user,
            purpose,
            new_email,
            created_at: now,
            expires_at: now.plus(valid_for),
        };
        self.store.create_account_token(&record).await?;
        Ok(token)
    }

    /// Queues `message` to `recipient` in the user's language.
    async fn send(
        &self,
        recipient: &str,
        locale: Option<&str>,
        message: &Message<'_>,
    ) -> Result<(), AccountError> {
        let mail = self.composer.compose(recipient, locale, message);
        Ok(self.store.enqueue_mail(&mail, Timestamp::now()).await?)
    }

    /// Mails `user` a link that confirms their current address. The token remembers the
    /// address, so a link to an address the account has since left does nothing.
    pub(super) async fn send_verification(&self, user: &User) -> Result<(), AccountError> {
        let email = Email::stored(&user.email);
        let token = self
            .issue_token(
                user.id,
                TokenPurpose::VerifyEmail,
                Some(email),
                VERIFY_TOKEN_TTL,
            )
            .await?;
        let message = Message::VerifyEmail {
            token: &token,
            valid_for: VERIFY_TOKEN_TTL,
        };
        self.send(&user.email, user.locale.as_deref(), &message)
            .await
    }

    /// Mails the signed-in user a new verification link (the first was lost or expired).
    pub async fn resend_verification(&self, scope: UserScope) -> Result<(), AccountError> {
        let user = self.store.user(scope).await?;
        if user.email_verified_at.is_some() {
            return Err(AccountError::AlreadyVerified);
        }
        self.send_verification(&user).await
    }

    /// Marks the address verified with the token mailed to it. Needs no session: the token
    /// alone proves the mail arrived.
    pub async fn verify_email(&self, token: &str) -> Result<(), AccountError> {
        let now = Timestamp::now();
        let (user, address) = self
            .store
            .consume_account_token(&token_hash(token), TokenPurpose::VerifyEmail, now)
            .await?
            .ok_or(AccountError::InvalidToken)?;
        let current = self
            .store
            .user(UserScope::trusted(user, Role::User))
            .await?;
        if address.as_deref() != Some(current.email.as_str()) {
            return Err(AccountError::InvalidToken);
        }
        Ok(self.store.mark_email_verified(user, now).await?)
    }

    /// Mails a reset link when the address has an account; answers the same either way, so
    /// the form does not reveal who has an account.
    pub async fn request_password_reset(&self, email: &str) -> Result<(), AccountError> {
        let mut found = None;
        for email in Email::lookup(email) {
            found = self.store.find_user_by_email(&email).await?;
            if found.is_some() {
                break;
            }
        }
        let Some(found) = found else {
            return Ok(());
        };
        let valid_for = self.config.email_token_ttl;
        let token = self
            .issue_token(found.user.id, TokenPurpose::PasswordReset, None, valid_for)
            .await?;
        let message = Message::PasswordReset {
            token: &token,
            valid_for,
        };
        self.send(&found.user.email, found.user.locale.as_deref(), &message)
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
        let current = Email::stored(&user.email);
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
        let current = Email::stored(&user.email);
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
        let valid_for = self.config.email_token_ttl;
        let token = self
            .issue_token(
                user.id,
                TokenPurpose::EmailChange,
                Some(new_email.clone()),
                valid_for,
            )
            .await?;
        let locale = user.locale.as_deref();
        let confirm = Message::EmailChange {
            token: &token,
            valid_for,
        };
        self.send(new_email.as_str(), locale, &confirm).await?;
        let notice = Message::EmailChangeNotice {
            new_email: new_email.as_str(),
        };
        self.send(current.as_str(), locale, &notice).await
    }

    /// Applies an e-mail change with the token mailed to the new address, which opening it
    /// also verifies.
    pub async fn confirm_email_change(&self, token: &str) -> Result<(), AccountError> {
        let now = Timestamp::now();
        let (user, new_email) = self
            .store
            .consume_account_token(&token_hash(token), TokenPurpose::EmailChange, now)
            .await?
            .ok_or(AccountError::InvalidToken)?;
        let new_email = new_email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(|_| AccountError::InvalidToken)?;
        let new_email = new_email.ok_or(AccountError::InvalidToken)?;
        match self.store.set_email(user, &new_email, now).await {
            Err(StoreError::Conflict) => Err(AccountError::EmailTaken),
            other => Ok(other?),
        }
    }
}
