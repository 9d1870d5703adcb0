//! Policy versions and acceptances on every back-end: numbering, the version in force,
//! notice to every account exactly once, acceptance per user, and the wall between users.

use super::{DAY, TestStore, stories, test_user};
use crate::domain::{PolicyId, Timestamp};
use crate::store::{
    AcceptanceSource, LocalizedNotice, NewPolicyVersion, PolicyKind, PolicyNotice, StoreError,
};

stories!(
    versions_are_numbered_per_document_and_the_latest_effective_one_is_in_force,
    publishing_with_notice_mails_every_account_once_in_the_same_transaction,
    each_user_accepts_for_themselves_and_sign_up_accepts_what_is_in_force,
    a_version_cannot_take_effect_before_the_latest_one,
);

fn version(kind: PolicyKind, published: Timestamp, effective: Timestamp) -> NewPolicyVersion {
    NewPolicyVersion {
        id: PolicyId::new(),
        kind,
        title: format!("{} document", kind.as_str()),
        summary: "what changed".into(),
        body: "## Text\n\nWords.".into(),
        published_at: published,
        effective_at: effective,
    }
}

fn notice(subject: &str) -> PolicyNotice {
    PolicyNotice {
        by_locale: vec![LocalizedNotice {
            locale: "en-US".into(),
            subject: subject.into(),
            text: "A new version takes effect soon.".into(),
            html: None,
        }],
    }
}

async fn versions_are_numbered_per_document_and_the_latest_effective_one_is_in_force(
    db: &TestStore,
) {
    let store = db.store.as_ref();
    let now = Timestamp::now();
    let p1 = store
        .publish_policy(&version(PolicyKind::Privacy, now, now), None)
        .await
        .expect("privacy v1");
    let t1 = store
        .publish_policy(&version(PolicyKind::Terms, now, now), None)
        .await
        .expect("terms v1");
    let later = Timestamp::from_millis(now.millis() + 30 * DAY);
    let p2 = store
        .publish_policy(&version(PolicyKind::Privacy, now, later), None)
        .await
        .expect("privacy v2");
    assert_eq!((p1.version, t1.version, p2.version), (1, 1, 2));
    assert_eq!(p2.body, "## Text\n\nWords.");

    let current = store.current_policies(now).await.expect("current");
    assert_eq!(
        current.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![p1.id, t1.id]
    );
    let then = Timestamp::from_millis(later.millis() + 1);
    let current = store.current_policies(then).await.expect("current later");
    assert_eq!(
        current.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![p2.id, t1.id]
    );
    let privacy = store
        .policy_versions(Some(PolicyKind::Privacy))
        .await
        .expect("versions");
    assert_eq!(
        privacy.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(store.policy_versions(None).await.expect("all").len(), 3);
}

async fn publishing_with_notice_mails_every_account_once_in_the_same_transaction(db: &TestStore) {
    let store = db.store.as_ref();
    let users = [
        test_user(store, "ada").await,
        test_user(store, "bob").await,
        test_user(store, "cy").await,
    ];
    let now = Timestamp::now();
    store
        .publish_policy(&version(PolicyKind::Terms, now, now), None)
        .await
        .expect("v1");
    assert!(
        store
            .pending_mail(now, 100)
            .await
            .expect("outbox")
            .is_empty()
    );

    let later = Timestamp::from_millis(now.millis() + 31 * DAY);
    let v2 = store
        .publish_policy(
            &version(PolicyKind::Terms, now, later),
            Some(&notice("Terms change")),
        )
        .await
        .expect("v2");
    assert_eq!(v2.notified, 3);
    let mail = store.pending_mail(now, 100).await.expect("outbox");
    assert_eq!(mail.len(), 3);
    let mut recipients: Vec<String> = mail.iter().map(|m| m.mail.recipient.clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 3, "one mail per account");
    for scope in users {
        let email = store.user(scope).await.expect("user").email;
        assert!(recipients.contains(&email));
    }
    assert!(mail.iter().all(|m| m.mail.subject == "Terms change"));
}

async fn each_user_accepts_for_themselves_and_sign_up_accepts_what_is_in_force(db: &TestStore) {
    let store = db.store.as_ref();
    let ada = test_user(store, "ada").await;
    let bob = test_user(store, "bob").await;
    let now = Timestamp::now();
    let privacy = store
        .publish_policy(&version(PolicyKind::Privacy, now, now), None)
        .await
        .expect("privacy");
    let terms = store
        .publish_policy(&version(PolicyKind::Terms, now, now), None)
        .await
        .expect("terms");
    let pending = store.pending_policies(ada, now).await.expect("pending");
    assert_eq!(pending.len(), 2);

    let added = store
        .accept_policies(ada, &[privacy.id, terms.id], AcceptanceSource::Web, now)
        .await
        .expect("accept");
    assert_eq!(added, 2);
    let again = store
        .accept_policies(ada, &[privacy.id], AcceptanceSource::Api, now)
        .await
        .expect("accept again");
    assert_eq!(again, 0, "accepting twice records nothing new");
    assert!(
        store
            .pending_policies(ada, now)
            .await
            .expect("pending")
            .is_empty()
    );
    assert_eq!(
        store.pending_policies(bob, now).await.expect("bob").len(),
        2
    );
    let mine = store.policy_acceptances_of(ada).await.expect("mine");
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|a| a.source == AcceptanceSource::Web));
    assert!(
        store
            .policy_acceptances_of(bob)
            .await
            .expect("bob's")
            .is_empty()
    );

    let unknown = store
        .accept_policies(
            bob,
            &[terms.id, PolicyId::new()],
            AcceptanceSource::Api,
            now,
        )
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound)));
    assert_eq!(
        store.pending_policies(bob, now).await.expect("bob").len(),
        2,
        "nothing recorded when one id is unknown"
    );

    // A later version only becomes pending once in force.
    let later = Timestamp::from_millis(now.millis() + 30 * DAY);
    let privacy2 = store
        .publish_policy(&version(PolicyKind::Privacy, now, later), None)
        .await
        .expect("v2");
    assert!(
        store
            .pending_policies(ada, now)
            .await
            .expect("now")
            .is_empty()
    );
    let then = Timestamp::from_millis(later.millis() + 1);
    let pending = store.pending_policies(ada, then).await.expect("then");
    assert_eq!(
        pending.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![privacy2.id]
    );

    // Sign-up: a new account accepts the versions in force, and only those.
    let cy = test_user(store, "cy").await;
    let added = store
        .accept_current_policies(cy.user_id(), now)
        .await
        .expect("sign-up");
    assert_eq!(added, 2);
    let cys = store.policy_acceptances_of(cy).await.expect("cy's");
    assert!(cys.iter().all(|a| a.source == AcceptanceSource::SignUp));
    assert!(cys.iter().all(|a| a.policy_id != privacy2.id));
}

async fn a_version_cannot_take_effect_before_the_latest_one(db: &TestStore) {
    let store = db.store.as_ref();
    let now = Timestamp::now();
    let later = Timestamp::from_millis(now.millis() + 40 * DAY);
    store
        .publish_policy(&version(PolicyKind::Privacy, now, later), None)
        .await
        .expect("v1");
    let sooner = Timestamp::from_millis(now.millis() + 35 * DAY);
    let refused = store
        .publish_policy(&version(PolicyKind::Privacy, now, sooner), None)
        .await;
    assert!(matches!(refused, Err(StoreError::WrongState)));
    assert_eq!(
        store
            .policy_versions(Some(PolicyKind::Privacy))
            .await
            .expect("versions")
            .len(),
        1
    );
}
