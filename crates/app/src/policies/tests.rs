//! The publishing rules: the first version at once, later ones only with notice, which
//! e-mails every account once and lands in the admin audit log.

use std::time::Duration;

use super::{PolicyError, PolicyKind};
use crate::accounts::SignUp;
use crate::domain::Timestamp;
use crate::testing::test_app;

const DAY: Duration = Duration::from_secs(24 * 3600);

fn sign_up(name: &str) -> SignUp {
    SignUp {
        email: format!("{name}@example.org"),
        password: "a sturdy passphrase".into(),
        age_over_14: true,
        guardian_consent: false,
    }
}

#[tokio::test]
async fn a_policy_published_thirty_days_ahead_emails_every_user_once() {
    let app = test_app().await;
    let services = &app.services;
    let now = Timestamp::now();
    let first = services
        .policies
        .ensure_published(now)
        .await
        .expect("defaults");
    assert_eq!(first.len(), 2, "privacy policy and terms");
    assert!(
        first.iter().all(|v| v.notified == 0),
        "no notice for a first version"
    );
    assert!(
        services
            .policies
            .ensure_published(now)
            .await
            .expect("again")
            .is_empty(),
        "publishing the defaults twice does nothing"
    );
    for name in ["ada", "bob", "cy"] {
        services
            .accounts
            .sign_up(sign_up(name))
            .await
            .expect("sign up");
    }
    // Sign-up queues no mail of its own in this story's count: start from an empty outbox.
    let before = services
        .store
        .pending_mail(now, 100)
        .await
        .expect("outbox")
        .len();

    let mut draft = services.policies.builtin(PolicyKind::Privacy);
    draft.summary = "We now keep the access log for one year only.".into();
    let too_soon = services
        .policies
        .publish(PolicyKind::Privacy, draft.clone(), now.plus(DAY * 29), now)
        .await;
    assert!(
        matches!(too_soon, Err(PolicyError::NoticeTooShort { days: 30, .. })),
        "{too_soon:?}"
    );

    let v2 = services
        .policies
        .publish(PolicyKind::Privacy, draft.clone(), now.plus(DAY * 30), now)
        .await
        .expect("thirty days ahead");
    assert_eq!((v2.version, v2.notified), (2, 3));
    let mail = services.store.pending_mail(now, 100).await.expect("outbox");
    let notices: Vec<_> = mail
        .iter()
        .filter(|m| {
            m.mail
                .body
                .contains("keep the access log for one year only")
        })
        .collect();
    assert_eq!(notices.len(), 3, "one notice per account");
    assert_eq!(mail.len(), before + 3, "and nothing else");
    let mut to: Vec<&str> = notices.iter().map(|m| m.mail.recipient.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["ada@example.org", "bob@example.org", "cy@example.org"]);
    assert!(notices[0].mail.subject.contains("Privacy policy"));

    let audit = services.store.admin_actions(10).await.expect("audit");
    assert!(
        audit
            .iter()
            .any(|a| a.action == "publish-policy" && a.detail.contains("version 2")),
        "{audit:?}"
    );

    let v3 = services
        .policies
        .publish(PolicyKind::Privacy, draft.clone(), now.plus(DAY * 40), now)
        .await
        .expect("forty days ahead");
    assert_eq!(v3.version, 3);
    let earlier = services
        .policies
        .publish(PolicyKind::Privacy, draft, now.plus(DAY * 35), now)
        .await;
    assert!(
        matches!(earlier, Err(PolicyError::BeforeLatest)),
        "{earlier:?}"
    );
}

#[tokio::test]
async fn empty_or_oversized_documents_are_refused() {
    let app = test_app().await;
    let policies = &app.services.policies;
    let now = Timestamp::now();
    let mut draft = policies.builtin(PolicyKind::Terms);
    draft.body = "   \n".into();
    let empty = policies
        .publish(PolicyKind::Terms, draft.clone(), now, now)
        .await;
    assert!(matches!(empty, Err(PolicyError::Empty)));
    draft.body = "x".repeat(super::MAX_POLICY_BYTES + 1);
    let long = policies.publish(PolicyKind::Terms, draft, now, now).await;
    assert!(matches!(long, Err(PolicyError::TooLong)));
    assert!(
        policies
            .versions(PolicyKind::Terms)
            .await
            .expect("none")
            .is_empty()
    );
}
