//! Operator commands: `user refund` (parsing, against the fake Stripe), the audit log they
//! write, `export-user` and `user erase`.

use clap::Parser;

use super::*;
use crate::billing::fake_stripe::FakeStripe;
use crate::store::PurchaseStatus;
use crate::testing::{stripe_config, test_app_with};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    action: UserAction,
}

#[test]
fn refund_takes_an_email_and_a_purchase_id() {
    let id = PurchaseId::new();

    let parsed = Cli::try_parse_from(["user", "refund", "ada@example.org", &id.to_string()]);
    let bad_id = Cli::try_parse_from(["user", "refund", "ada@example.org", "42"]);

    assert!(matches!(
        parsed.map(|c| c.action),
        Ok(UserAction::Refund { email, purchase }) if email == "ada@example.org" && purchase == id
    ));
    assert!(bad_id.is_err());
}

#[tokio::test]
async fn the_refund_command_refunds_a_paid_purchase_once() {
    let fake = FakeStripe::start().await;
    let test = test_app_with(stripe_config(&fake.base)).await;
    let ada = test.user("ada").await;
    let billing = &test.services.billing;
    let started = billing
        .start_checkout(ada, "5-tokens", "Atelier: 5 tokens", "https://atelier.test")
        .await
        .expect("checkout");
    let session = started
        .url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    fake.pay(&session);
    billing.reconcile(ada, &session).await.expect("reconcile");
    let id = started.purchase.id;

    let wrong_account = refund(&test.services, "nobody@example.org", id).await;
    let first = refund(&test.services, "ada@example.org", id).await;
    let second = refund(&test.services, "ada@example.org", id).await;

    assert!(wrong_account.is_err());
    assert!(first.is_ok() && second.is_ok());
    let refunds = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/refunds")
        .count();
    assert_eq!(refunds, 1);
    let stored = test.services.store.purchase(ada, id).await.expect("read");
    assert_eq!(stored.map(|p| p.status), Some(PurchaseStatus::Refunded));
    let balance = test.services.store.balance(ada, Timestamp::now()).await;
    assert_eq!(balance.expect("balance"), 3);
}

#[tokio::test]
async fn operator_commands_go_to_the_admin_audit_log_and_export_writes_a_private_zip() {
    let test = crate::testing::test_app().await;
    let ada = test.user("ada").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("ada.zip");

    grant(&test.services, "ada@example.org", 4)
        .await
        .expect("grant");
    set_status(&test.services, "ada@example.org", AccountStatus::Suspended)
        .await
        .expect("suspend");
    let written = export::export_to(&test.services, "ada@example.org", Some(out.clone()))
        .await
        .expect("export");
    let again = export::export_to(&test.services, "ada@example.org", Some(out.clone())).await;

    let log = test.services.store.admin_actions(10).await.expect("log");
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|a| (a.action.as_str(), a.actor.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![("export-user", "cli"), ("suspend", "cli"), ("grant", "cli")]
    );
    assert!(log.iter().all(|a| a.subject == Some(ada.user_id())));
    assert!(log[2].detail.starts_with("4 tokens"));
    assert_eq!(written, out);
    assert!(again.is_err(), "an existing file is never overwritten");
    let bytes = std::fs::read(&out).expect("the ZIP");
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    assert!(archive.len() >= 10);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn the_erase_command_removes_the_account_and_logs_it_naming_no_one() {
    let test = crate::testing::test_app().await;
    let ada = test.user("ada").await;
    let bob = test.user("bob").await;

    let erased = erase(&test.services, "ada@example.org").await;
    let unknown = erase(&test.services, "ada@example.org").await;

    assert!(erased.is_ok() && unknown.is_err());
    assert!(
        test.rows_mentioning(&ada.user_id().to_string())
            .await
            .is_empty()
    );
    assert!(test.services.store.user(bob).await.is_ok());
    let log = test.services.store.admin_actions(10).await.expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].action.as_str(), log[0].subject),
        ("erase-user", None)
    );
}

#[test]
fn revoke_takes_an_email_and_a_count() {
    let parsed = Cli::try_parse_from(["user", "revoke", "ada@example.org", "2"]);
    let negative = Cli::try_parse_from(["user", "revoke", "ada@example.org", "-2"]);

    assert!(matches!(
        parsed.map(|c| c.action),
        Ok(UserAction::Revoke { email, tokens }) if email == "ada@example.org" && tokens == 2
    ));
    assert!(negative.is_err());
}

#[tokio::test]
async fn revoke_takes_unspent_tokens_soonest_expiring_first_and_is_audited() {
    let test = crate::testing::test_app().await;
    let ada = test.user("ada").await;
    let store = &test.services.store;
    grant(&test.services, "ada@example.org", 4)
        .await
        .expect("grant");
    let before = store.balance(ada, Timestamp::now()).await.expect("balance");

    let revoked = revoke(&test.services, "ada@example.org", 2).await;
    let all = u32::try_from(before).expect("a small balance");
    let too_many = revoke(&test.services, "ada@example.org", all).await;
    let unknown = revoke(&test.services, "nobody@example.org", 1).await;

    assert!(revoked.is_ok(), "{revoked:?}");
    let message = too_many.map_err(|e| e.to_string()).expect_err("refused");
    assert!(
        message.contains(&format!("has {} unspent tokens", before - 2)),
        "{message}"
    );
    assert!(unknown.is_err());
    assert_eq!(
        store.balance(ada, Timestamp::now()).await.expect("balance"),
        before - 2,
        "the refused revoke changed nothing"
    );
    let lots = store.lots(ada).await.expect("lots");
    let soonest = lots.first().expect("a lot");
    assert_eq!(
        soonest.remaining,
        soonest.quantity - 2,
        "taken from the lot expiring first"
    );
    let totals = store.token_totals(ada.user_id()).await.expect("totals");
    assert_eq!(totals.revoked, 2);
    assert!(totals.invariant_holds(), "{totals:?}");
    let log = store.admin_actions(10).await.expect("log");
    assert_eq!(
        (
            log[0].action.as_str(),
            log[0].actor.as_str(),
            log[0].detail.as_str()
        ),
        ("revoke", "cli", "2 tokens")
    );
    assert_eq!(log[0].subject, Some(ada.user_id()));
    assert_eq!(log.iter().filter(|a| a.action == "revoke").count(), 1);
}
