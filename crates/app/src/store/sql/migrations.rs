//! The migrations, compiled in so the binary needs no files beside it: one list of numbers,
//! names and files for both back-ends, so one number means the same change in both folders
//! (`migrations/sqlite`, `migrations/postgres`). Each back-end runs its list when it opens.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

macro_rules! migrations {
    ($($number:literal $name:literal $file:literal,)*) => {
        pub(crate) const SQLITE: &[(i64, &str, &str)] = &[$((
            $number,
            $name,
            include_str!(concat!("../../../../../migrations/sqlite/", $file)),
        )),*];

        pub(crate) const POSTGRES: &[(i64, &str, &str)] = &[$((
            $number,
            $name,
            include_str!(concat!("../../../../../migrations/postgres/", $file)),
        )),*];
    };
}

migrations!(
    1 "core" "0001_core.sql",
    2 "account tokens" "0002_account_tokens.sql",
    3 "purchases" "0003_purchases.sql",
    4 "outbox delivery" "0004_outbox_delivery.sql",
    5 "privacy" "0005_privacy.sql",
    6 "admin audit" "0006_admin_audit.sql",
    7 "export requests" "0007_export_requests.sql",
    8 "policies" "0008_policies.sql",
    9 "mail verification" "0009_mail_verification.sql",
    10 "retention" "0010_retention.sql",
    11 "api keys" "0011_api_keys.sql",
    12 "plans" "0012_plans.sql",
    13 "prompts" "0013_prompts.sql",
    14 "support" "0014_support.sql",
    15 "abuse reports" "0015_abuse_reports.sql",
    16 "admin console" "0016_admin_console.sql",
    17 "report items" "0017_report_items.sql",
    18 "throttle" "0018_throttle.sql",
);

/// The migrator of one back-end's list.
pub(crate) fn migrator(list: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    let migrations = list
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                sqlx::SqlStr::from_static(sql),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}
