use super::*;
use crate::store::sqlite::SqliteStore;
use crate::store::{AccountStore, AuditStore, TokenStore};

#[path = "verify_tests.rs"]
mod verify;

struct Fixture {
    accounts: Accounts,
    store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

/// Cheap argon2 so the suite stays fast; production keeps the OWASP default.
pub(crate) fn fast_accounts_config() -> AccountsConfig {
    AccountsConfig {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        max_failed_logins: 3,
        ..AccountsConfig::default()
    }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("a.db").display());
    let store = Arc::new(SqliteStore::open(&url).await.expect("store"));
    let blobs = Blobs::in_memory().expect("blobs");
    let accounts = Accounts::new(
        store.clone(),
        blobs,
        fast_accounts_config(),
        TokensConfig::default(),
        crate::mail_compose::Composer::new(
            "https://atelier.test",
            std::time::Duration::from_secs(30 * 24 * 3600),
        ),
    );
    Fixture {
        accounts,
        store,
        _dir: dir,
    }
}

fn form(email: &str) -> SignUp {
    SignUp {
        email: email.into(),
        password: "a sturdy passphrase".into(),
        age_over_14: true,
        guardian_consent: false,
    }
}

#[tokio::test]
async fn sign_up_grants_the_welcome_tokens() {
    let f = fixture().await;

    let user = f
        .accounts
        .sign_up(form("ada@example.org"))
        .await
        .expect("sign up");

    let totals = f.store.token_totals(user.id).await.expect("totals");
    assert_eq!(totals.remaining, 3);
}

#[tokio::test]
async fn under_fourteen_needs_guardian_consent() {
    let f = fixture().await;
    let child = SignUp {
        age_over_14: false,
        ..form("kid@example.org")
    };
    let with_consent = SignUp {
        age_over_14: false,
        guardian_consent: true,
        ..form("kid2@example.org")
    };

    let refused = f.accounts.sign_up(child).await;
    let accepted = f.accounts.sign_up(with_consent).await;

    assert!(matches!(
        refused,
        Err(AccountError::GuardianConsentRequired)
    ));
    assert!(accepted.is_ok());
}

#[tokio::test]
async fn an_address_can_sign_up_once() {
    let f = fixture().await;
    f.accounts
        .sign_up(form("ada@example.org"))
        .await
        .expect("first");

    let again = f.accounts.sign_up(form("ADA@example.org")).await;

    assert!(matches!(again, Err(AccountError::EmailTaken)));
}

#[tokio::test]
async fn sign_in_opens_a_session_that_sign_out_closes() {
    let f = fixture().await;
    let user = f
        .accounts
        .sign_up(form("ada@example.org"))
        .await
        .expect("sign up");

    let (signed_in, token) = f
        .accounts
        .sign_in("ada@example.org", "a sturdy passphrase")
        .await
        .expect("sign in");
    let scope = f
        .accounts
        .authenticate(token.as_str())
        .await
        .expect("session works");
    f.accounts.sign_out(token.as_str()).await.expect("sign out");
    let after = f.accounts.authenticate(token.as_str()).await;

    assert_eq!(signed_in.id, user.id);
    assert_eq!(scope.user_id(), user.id);
    assert!(matches!(after, Err(AccountError::Unauthenticated)));
}

#[tokio::test]
async fn each_sign_in_gets_a_new_session_token() {
    let f = fixture().await;
    f.accounts
        .sign_up(form("ada@example.org"))
        .await
        .expect("sign up");

    let (_, first) = f
        .accounts
        .sign_in("ada@example.org", "a sturdy passphrase")
        .await
        .expect("first");
    let (_, second) = f
        .accounts
        .sign_in("ada@example.org", "a sturdy passphrase")
        .await
        .expect("second");

    assert_ne!(first, second);
}

#[tokio::test]
async fn repeated_failures_slow_that_address_even_for_the_right_password_but_not_the_owners() {
    let limits = crate::config::LimitsConfig {
        sign_in_free_failures: 3,
        sign_in_delay: std::time::Duration::from_secs(60),
        ..crate::config::LimitsConfig::default()
    };
    let f = fixture().await;
    let accounts = f
        .accounts
        .clone()
        .with_sign_in_throttle(SignInThrottle::new(
            &limits,
            crate::throttle::Counters::in_memory(),
        ));
    accounts
        .sign_up(form("ada@example.org"))
        .await
        .expect("sign up");
    let (stranger, owner) = (
        Some(IpAddr::from([203, 0, 113, 9])),
        Some(IpAddr::from([198, 51, 100, 7])),
    );

    for _ in 0..3 {
        let wrong = accounts
            .sign_in_from("ada@example.org", "not the passphrase", stranger)
            .await;
        assert!(matches!(wrong, Err(AccountError::InvalidCredentials)));
    }
    let stranger_right = accounts
        .sign_in_from("Ada@Example.org", "a sturdy passphrase", stranger)
        .await;
    let owner_right = accounts
        .sign_in_from("ada@example.org", "a sturdy passphrase", owner)
        .await;

    assert!(
        matches!(stranger_right, Err(AccountError::Throttled(wait)) if wait.as_secs() >= 59),
        "{stranger_right:?}"
    );
    assert!(owner_right.is_ok(), "{owner_right:?}");
}

#[tokio::test]
async fn unknown_addresses_and_garbage_tokens_are_refused() {
    let f = fixture().await;

    let unknown = f
        .accounts
        .sign_in("nobody@example.org", "whatever123")
        .await;
    let garbage = f.accounts.authenticate("not a token").await;

    assert!(matches!(unknown, Err(AccountError::InvalidCredentials)));
    assert!(matches!(garbage, Err(AccountError::Unauthenticated)));
}

#[tokio::test]
async fn password_reset_goes_to_the_outbox_only_for_known_addresses() {
    let f = fixture().await;
    f.accounts
        .sign_up(form("ada@example.org"))
        .await
        .expect("sign up");

    f.accounts
        .request_password_reset("ada@example.org")
        .await
        .expect("known");
    f.accounts
        .request_password_reset("nobody@example.org")
        .await
        .expect("unknown");

    let mail = f
        .store
        .pending_mail(Timestamp::now(), 10)
        .await
        .expect("outbox");
    let resets: Vec<_> = mail
        .iter()
        .filter(|p| p.mail.subject == "Reset your Atelier password")
        .collect();
    assert_eq!(resets.len(), 1);
    assert_eq!(resets[0].mail.recipient, "ada@example.org");
    assert!(
        resets[0]
            .mail
            .body
            .contains("https://atelier.test/reset-password?token=")
    );
}

/// The token in the latest mail to `recipient`.
async fn mailed_token(f: &Fixture, recipient: &str) -> String {
    let mail = f
        .store
        .pending_mail(Timestamp::now(), 100)
        .await
        .expect("outbox");
    let last = &mail
        .iter()
        .rev()
        .find(|p| p.mail.recipient == recipient)
        .expect("a mail to the recipient")
        .mail;
    let start = last.body.find("token=").expect("token in body") + "token=".len();
    last.body[start..start + 32].to_owned()
}

#[tokio::test]
async fn a_reset_token_sets_a_new_password_once_and_closes_sessions() {
    let f = fixture().await;
    f.accounts
        .sign_up(form("ada@example.org"))
        .await
        .expect("sign up");
    let (_, session) = f
        .accounts
        .sign_in("ada@example.org", "a sturdy passphrase")
        .await
        .expect("sign in");
    f.accounts
        .request_password_reset("ada@example.org")
        .await
        .expect("request");
    let token = mailed_token(&f, "ada@example.org").await;

    f.accounts
        .reset_password(&token, "a brand new passphrase")
        .await
        .expect("reset");
    let reused = f
        .accounts
        .reset_password(&token, "yet another passphrase")
        .await;

    assert!(matches!(reused, Err(AccountError::InvalidToken)));
    assert!(matches!(
        f.accounts.authenticate(session.as_str()).await,
        Err(AccountError::Unauthenticated)
    ));
    assert!(
        f.accounts
            .sign_in("ada@example.org", "a brand new passphrase")
            .await
            .is_ok()
    );
    let old = f
        .accounts
        .sign_in("ada@example.org", "a sturdy passphrase")
        .await;
    assert!(matches!(old, Err(AccountError::InvalidCredentials)));
}

#[tokio::test]
async fn a_reset_with_a_made_up_token_changes_nothing() {
    let f = fixture().await;
    f.accounts
        .sign_up(form("ada@example.org"))
        .await
        .expect("sign up");

    let reset = f
        .accounts
        .reset_password("0123456789abcdef0123456789abcdef", "a brand new passphrase")
        .await;

    assert!(matches!(reset, Err(AccountError::InvalidToken)));
    assert!(
        f.accounts
            .sign_in("ada@example.org", "a sturdy passphrase")
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_email_change_applies_with_the_token_sent_to_the_new_address() {
    let f = fixture().await;
    f.accounts
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

    let wrong_password = f
        .accounts
        .request_email_change(scope, "ada@new.example", "guess work")
        .await;
    f.accounts
        .request_email_change(scope, "ada@new.example", "a sturdy passphrase")
        .await
        .expect("request");
    let token = mailed_token(&f, "ada@new.example").await;
    f.accounts
        .confirm_email_change(&token)
        .await
        .expect("confirm");

    assert!(matches!(
        wrong_password,
        Err(AccountError::InvalidCredentials)
    ));
    assert!(
        f.accounts
            .sign_in("ada@new.example", "a sturdy passphrase")
            .await
            .is_ok()
    );
    let notices = f
        .store
        .pending_mail(Timestamp::now(), 100)
        .await
        .expect("outbox");
    assert!(
        notices.iter().any(|p| p.mail.recipient == "ada@example.org"
            && p.mail.subject == "Your Atelier e-mail address is changing"
            && p.mail.body.contains("ada@new.example")),
        "the old address is told"
    );
}

#[tokio::test]
async fn a_suspended_account_loses_its_sessions_and_cannot_sign_in() {
    let f = fixture().await;
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

    f.store
        .set_role_and_status(
            user.id,
            crate::domain::Role::User,
            crate::store::AccountStatus::Suspended,
        )
        .await
        .expect("suspend");

    assert!(matches!(
        f.accounts.authenticate(session.as_str()).await,
        Err(AccountError::Unauthenticated)
    ));
    let again = f
        .accounts
        .sign_in("ada@example.org", "a sturdy passphrase")
        .await;
    assert!(matches!(again, Err(AccountError::InvalidCredentials)));
}
