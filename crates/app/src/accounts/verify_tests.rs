//! E-mail verification: the link mailed at sign-up, single use, expiry, re-sending, and the
//! e-mail change that verifies the new address.

use super::*;
use crate::store::{NewAccountToken, TokenPurpose};

async fn signed_up(f: &Fixture) -> (UserId, UserScope) {
    let user = f
        .accounts
        .sign_up(form("ada@example.org"))
        .await
        .expect("sign up");
    let (_, session) = f
        .accounts
        .sign_in("ada@example.org", "a sturdy passphrase")
        .await
        .expect("sign in");
    let scope = f
        .accounts
        .authenticate(session.as_str())
        .await
        .expect("scope");
    (user.id, scope)
}

async fn verified_at(f: &Fixture, scope: UserScope) -> Option<Timestamp> {
    f.store.user(scope).await.expect("user").email_verified_at
}

#[tokio::test]
async fn sign_up_mails_a_link_that_verifies_the_address_once() {
    let f = fixture().await;
    let (_, scope) = signed_up(&f).await;
    let before = verified_at(&f, scope).await;
    let mail = f
        .store
        .pending_mail(Timestamp::now(), 10)
        .await
        .expect("outbox");
    let token = mailed_token(&f, "ada@example.org").await;

    let first = f.accounts.verify_email(&token).await;
    let again = f.accounts.verify_email(&token).await;

    assert_eq!(before, None, "a new account starts unverified");
    assert_eq!(mail.len(), 1);
    assert_eq!(
        mail[0].mail.subject,
        "Confirm your e-mail address for Atelier"
    );
    assert!(
        mail[0]
            .mail
            .html
            .as_deref()
            .is_some_and(|html| html.contains(&format!("/verify-email?token={token}")))
    );
    assert!(first.is_ok(), "{first:?}");
    assert!(verified_at(&f, scope).await.is_some());
    assert!(matches!(again, Err(AccountError::InvalidToken)));
}

#[tokio::test]
async fn an_expired_or_unknown_verification_token_does_nothing() {
    let f = fixture().await;
    let (user, scope) = signed_up(&f).await;
    let token = "0123456789abcdef0123456789abcdef";
    let long_ago = Timestamp::from_millis(Timestamp::now().millis() - 8 * 24 * 3_600_000);
    f.store
        .create_account_token(&NewAccountToken {
            token_hash: token_hash(token),
            user_id: user,
            purpose: TokenPurpose::VerifyEmail,
            new_email: Email::parse("ada@example.org").ok(),
            created_at: long_ago,
            expires_at: long_ago.plus(super::super::recovery::VERIFY_TOKEN_TTL),
        })
        .await
        .expect("token");

    let expired = f.accounts.verify_email(token).await;
    let unknown = f.accounts.verify_email("not a token").await;

    assert!(matches!(expired, Err(AccountError::InvalidToken)));
    assert!(matches!(unknown, Err(AccountError::InvalidToken)));
    assert_eq!(verified_at(&f, scope).await, None);
}

#[tokio::test]
async fn a_reset_token_cannot_verify_and_a_verification_token_cannot_reset() {
    let f = fixture().await;
    let (_, scope) = signed_up(&f).await;
    let verify = mailed_token(&f, "ada@example.org").await;
    f.accounts
        .request_password_reset("ada@example.org")
        .await
        .expect("reset");
    let reset = mailed_token(&f, "ada@example.org").await;

    let wrong_way = f.accounts.verify_email(&reset).await;
    let other_way = f
        .accounts
        .reset_password(&verify, "a new passphrase!")
        .await;

    assert!(matches!(wrong_way, Err(AccountError::InvalidToken)));
    assert!(matches!(other_way, Err(AccountError::InvalidToken)));
    assert_eq!(verified_at(&f, scope).await, None);
}

#[tokio::test]
async fn resending_mails_a_new_link_until_the_address_is_verified() {
    let f = fixture().await;
    let (_, scope) = signed_up(&f).await;
    let first = mailed_token(&f, "ada@example.org").await;

    f.accounts.resend_verification(scope).await.expect("resend");
    let second = mailed_token(&f, "ada@example.org").await;
    f.accounts.verify_email(&second).await.expect("verify");
    let after = f.accounts.resend_verification(scope).await;

    assert_ne!(first, second);
    assert!(matches!(after, Err(AccountError::AlreadyVerified)));
}

#[tokio::test]
async fn a_link_to_an_address_the_account_has_left_does_not_verify_the_new_one() {
    let f = fixture().await;
    let (_, scope) = signed_up(&f).await;
    let old_link = mailed_token(&f, "ada@example.org").await;
    f.accounts
        .request_email_change(scope, "ada@new.example", "a sturdy passphrase")
        .await
        .expect("request");
    let change = mailed_token(&f, "ada@new.example").await;
    f.accounts
        .confirm_email_change(&change)
        .await
        .expect("confirm");
    let verified_by_change = verified_at(&f, scope).await;

    // Unused and unexpired: only the address it was mailed to stops it.
    let stale = f.accounts.verify_email(&old_link).await;

    assert!(
        verified_by_change.is_some(),
        "opening the change link verifies"
    );
    assert!(matches!(stale, Err(AccountError::InvalidToken)));
}
