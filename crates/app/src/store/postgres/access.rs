//! Roles, grants and the system role's policies, applied after the migrations by the schema
//! owner (so `atelier migrate` and every start keep them in step). Idempotent and serialized
//! by an advisory lock, so nodes starting together do not race.
//!
//! Role names come from config, so this part cannot live in the numbered SQL files; every
//! statement is built server-side with `format('%I', …)` / `%L`, never by splicing text here.

use percent_encoding::percent_decode_str;
use sqlx::postgres::PgConnectOptions;
use sqlx::{PgConnection, PgPool};

use crate::config::DatabaseConfig;
use crate::store::{StoreError, StoreResult};

/// What each role may do per table: the app role only what user-scoped calls need (no
/// password hashes or wrapped keys, no sessions, no outbox), the system role only what system
/// calls need. No one but the owner may DELETE the ledger or UPDATE its amounts. A table added by a later
/// migration must be listed here; `every_table_has_grants_and_row_security` checks it.
pub(crate) const GRANTS: &[(&str, &str, &str)] = &[
    (
        "users",
        "SELECT (id, email, role, status, guardian_consent, created_at, display_name, \
         processing_paused, analytics_opt_out, marketing_opt_in, locale, email_verified_at), \
         UPDATE (display_name, processing_paused, analytics_opt_out, marketing_opt_in)",
        // DELETE: account erasure; the user's rows in other tables go by ON DELETE CASCADE.
        "SELECT, INSERT, UPDATE, DELETE",
    ),
    ("sessions", "", "SELECT, INSERT, UPDATE, DELETE"),
    ("account_tokens", "", "SELECT, INSERT, UPDATE"),
    ("token_lots", "SELECT, UPDATE", "SELECT, INSERT, UPDATE"),
    // UPDATE of two columns: the sweeper clears the job ids and notes of expired lots' entries
    // (a trigger refuses any other change).
    (
        "token_ledger",
        "SELECT, INSERT",
        "SELECT, INSERT, UPDATE (job_id, note)",
    ),
    ("uploads", "SELECT, INSERT, DELETE", "SELECT, DELETE"),
    ("jobs", "SELECT, INSERT, UPDATE", "SELECT, UPDATE"),
    // UPDATE of the two saved columns: saving and unsaving run as the owner.
    (
        "results",
        "SELECT, DELETE, UPDATE (saved_at, saved_until)",
        "SELECT, INSERT, DELETE",
    ),
    ("outbox", "", "SELECT, INSERT, UPDATE, DELETE"),
    ("access_log", "SELECT", "SELECT, INSERT, DELETE"),
    ("purchases", "SELECT, INSERT", "SELECT, UPDATE"),
    ("stripe_events", "", "SELECT, INSERT, UPDATE"),
    ("payment_refunds", "", "SELECT, INSERT, UPDATE"),
    // Started by the owner (pending, before Checkout); Stripe's reports and erasure's
    // detaching run as the system role.
    ("subscriptions", "SELECT, INSERT", "SELECT, UPDATE"),
    (
        "subscription_grants",
        "SELECT",
        "SELECT, INSERT, UPDATE (user_id)",
    ),
    ("consents", "SELECT, INSERT", ""),
    (
        "admin_audit",
        "",
        "SELECT, INSERT, UPDATE (subject_user_id)",
    ),
    (
        "export_requests",
        "SELECT, INSERT, UPDATE",
        "SELECT, UPDATE, DELETE",
    ),
    ("policy_versions", "SELECT", "SELECT, INSERT"),
    ("policy_acceptances", "SELECT, INSERT", "SELECT, INSERT"),
    // Recorded by the system role; deleted by the owner's opt-out, the sweeper and erasure.
    ("usage_events", "SELECT, DELETE", "SELECT, INSERT, DELETE"),
    // Created, listed and revoked by their owner; looked up by hash (and their last use
    // recorded) by the system role at authentication, like sessions.
    (
        "api_keys",
        "SELECT, INSERT, DELETE",
        "SELECT, UPDATE (last_used_at)",
    ),
    // Written and trimmed by the sweeper, read by the admin dashboard (system role).
    ("sweeper_runs", "", "SELECT, INSERT, DELETE"),
    // Claimed and answered by their owner's request; swept after 24 hours.
    (
        "idempotency_keys",
        "SELECT, INSERT, UPDATE, DELETE",
        "SELECT, DELETE",
    ),
    // Submitted and followed up by their owner (or by a visitor, as the system role);
    // replied to, closed and reopened by admins as the system role; a visitor's closed
    // ticket is deleted by the sweeper.
    (
        "support_tickets",
        "SELECT, INSERT, UPDATE (status, updated_at)",
        "SELECT, INSERT, UPDATE (status, updated_at, closed_at), DELETE",
    ),
    ("support_messages", "SELECT, INSERT", "SELECT, INSERT"),
    // Filed by the item's owner; read and decided by admins, and detached by erasure (the
    // reporter, the item and their free text cleared), as the system role.
    (
        "abuse_reports",
        "SELECT, INSERT",
        "SELECT, UPDATE (status, resolved_at, user_id, item_id, details)",
    ),
    // Rate-limit and sign-in throttle counters, shared by every node; sign-in and the
    // limit middleware run as the system role.
    ("throttle_counters", "", "SELECT, INSERT, UPDATE, DELETE"),
];

/// A login role and the password to give it (`None`: leave its password alone).
#[derive(Clone)]
pub struct Login {
    pub name: String,
    password: Option<String>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl Login {
    /// The owner's connect options with this role's name and password.
    pub(super) fn options(&self, owner: &PgConnectOptions) -> PgConnectOptions {
        let options = owner.clone().username(&self.name);
        match &self.password {
            Some(password) => options.password(password),
            None => options,
        }
    }
}

/// The two roles every query runs as.
#[derive(Clone, Debug)]
pub struct Roles {
    pub app: Login,
    pub system: Login,
}

impl Roles {
    /// Names from config or `{db}_app` / `{db}_system`; passwords from config or the URL's.
    pub fn resolve(
        url: &str,
        owner: &PgConnectOptions,
        config: &DatabaseConfig,
    ) -> StoreResult<Roles> {
        let parsed = url::Url::parse(url).map_err(|e| StoreError::Internal(Box::new(e)))?;
        let url_password = parsed
            .password()
            .map(|p| percent_decode_str(p).decode_utf8_lossy().into_owned());
        let database = owner.get_database().unwrap_or(owner.get_username());
        let login =
            |name: &Option<String>, password: &Option<crate::config::Secret>, suffix| Login {
                name: name
                    .clone()
                    .unwrap_or_else(|| format!("{database}_{suffix}")),
                password: password
                    .as_ref()
                    .map(|s| s.expose().to_owned())
                    .or_else(|| url_password.clone()),
            };
        let roles = Roles {
            app: login(&config.app_role, &config.app_password, "app"),
            system: login(&config.system_role, &config.system_password, "system"),
        };
        let owner_name = owner.get_username();
        if roles.app.name == roles.system.name
            || roles.app.name == owner_name
            || roles.system.name == owner_name
        {
            return Err(StoreError::Internal(
                "database.app_role, database.system_role and the URL's user must differ".into(),
            ));
        }
        Ok(roles)
    }
}

/// Creates the roles if missing, refuses unsafe existing ones, and (re)applies grants and
/// the system role's policies, in one transaction.
pub(super) async fn apply(owner: &PgPool, roles: &Roles) -> StoreResult<()> {
    let mut tx = owner.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('atelier-access'))")
        .execute(&mut *tx)
        .await?;
    for login in [&roles.app, &roles.system] {
        ensure_login(&mut tx, login).await?;
    }
    let app = &roles.app.name;
    let system = &roles.system.name;
    for role in [app, system] {
        run(
            &mut tx,
            "SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), $1::text)",
            &[role],
        )
        .await?;
        run(
            &mut tx,
            "SELECT format('GRANT USAGE ON SCHEMA public TO %I', $1::text)",
            &[role],
        )
        .await?;
    }
    for (table, app_grants, system_grants) in GRANTS {
        for (role, grants) in [(app, app_grants), (system, system_grants)] {
            run(
                &mut tx,
                "SELECT format('REVOKE ALL ON TABLE %I FROM %I', $1::text, $2::text)",
                &[table, role],
            )
            .await?;
            if !grants.is_empty() {
                // The privilege list is a constant above, not input.
                let sql = format!(
                    "SELECT format('GRANT {grants} ON TABLE %I TO %I', $1::text, $2::text)"
                );
                run(&mut tx, &sql, &[table, role]).await?;
            }
        }
        ensure_system_policy(&mut tx, table, system).await?;
    }
    Ok(tx.commit().await?)
}

/// (Re)creates the system role's policy on `table` only when it is missing or names another
/// role: changing a policy locks the table, which would stall every node at each start.
async fn ensure_system_policy(
    conn: &mut PgConnection,
    table: &str,
    system: &str,
) -> StoreResult<()> {
    let roles: Option<Vec<String>> = sqlx::query_scalar(
        "SELECT roles::text[] FROM pg_policies
         WHERE schemaname = 'public' AND tablename = $1 AND policyname = 'system_rows'",
    )
    .bind(table)
    .fetch_optional(&mut *conn)
    .await?;
    if roles.is_some_and(|roles| roles == [system]) {
        return Ok(());
    }
    run(
        conn,
        "SELECT format('DROP POLICY IF EXISTS system_rows ON %I', $1::text)",
        &[table],
    )
    .await?;
    run(
        conn,
        "SELECT format('CREATE POLICY system_rows ON %I TO %I USING (true) WITH CHECK (true)', $1::text, $2::text)",
        &[table, system],
    )
    .await
}

async fn ensure_login(conn: &mut PgConnection, login: &Login) -> StoreResult<()> {
    let existing: Option<(bool, bool)> =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1")
            .bind(&login.name)
            .fetch_optional(&mut *conn)
            .await?;
    match existing {
        None => {
            run(
                conn,
                "SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', $1::text)",
                &[&login.name],
            )
            .await?;
        }
        Some((superuser, bypass)) if superuser || bypass => {
            return Err(StoreError::Internal(
                format!(
                    "role {} is a superuser or bypasses row security; Atelier needs plain roles",
                    login.name
                )
                .into(),
            ));
        }
        Some(_) => {}
    }
    let owned: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_tables WHERE tableowner = $1")
        .bind(&login.name)
        .fetch_one(&mut *conn)
        .await?;
    if owned > 0 {
        return Err(StoreError::Internal(
            format!("role {} owns tables; it must own none", login.name).into(),
        ));
    }
    if let Some(password) = &login.password {
        run(
            conn,
            "SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)",
            &[&login.name, password],
        )
        .await?;
    }
    Ok(())
}

/// Builds a statement server-side from `builder` (a `format(…)` query over `args`, which
/// quotes identifiers and literals) and runs it.
async fn run(conn: &mut PgConnection, builder: &str, args: &[&str]) -> StoreResult<()> {
    let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(builder.to_owned()));
    for arg in args {
        query = query.bind(*arg);
    }
    let statement = query.fetch_one(&mut *conn).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::config::Secret;

    fn resolve(url: &str, config: &DatabaseConfig) -> StoreResult<Roles> {
        let options = PgConnectOptions::from_str(url).expect("a PostgreSQL URL");
        Roles::resolve(url, &options, config)
    }

    #[test]
    fn roles_are_named_after_the_database_and_share_the_urls_password() {
        let roles = resolve(
            "postgres://owner:p%40ss@db.example:5432/atelier",
            &DatabaseConfig::default(),
        )
        .expect("roles");

        assert_eq!(
            (roles.app.name.as_str(), roles.system.name.as_str()),
            ("atelier_app", "atelier_system")
        );
        assert_eq!(roles.app.password.as_deref(), Some("p@ss"));
        assert_eq!(roles.system.password.as_deref(), Some("p@ss"));
        assert!(
            !format!("{roles:?}").contains("p@ss"),
            "passwords stay out of logs"
        );
    }

    #[test]
    fn configured_names_and_passwords_win_and_no_password_stays_none() {
        let config = DatabaseConfig {
            app_role: Some("web".into()),
            system_password: Some(Secret::new("s3cret")),
            ..DatabaseConfig::default()
        };

        let roles = resolve("postgres://owner@localhost/atelier", &config).expect("roles");

        assert_eq!(
            (roles.app.name.as_str(), roles.app.password.as_deref()),
            ("web", None)
        );
        assert_eq!(roles.system.name, "atelier_system");
        assert_eq!(roles.system.password.as_deref(), Some("s3cret"));
    }

    #[test]
    fn a_role_that_is_the_owner_or_the_other_role_is_refused() {
        let as_owner = DatabaseConfig {
            app_role: Some("owner".into()),
            ..DatabaseConfig::default()
        };
        let same = DatabaseConfig {
            app_role: Some("one".into()),
            system_role: Some("one".into()),
            ..DatabaseConfig::default()
        };

        assert!(resolve("postgres://owner@localhost/atelier", &as_owner).is_err());
        assert!(resolve("postgres://owner@localhost/atelier", &same).is_err());
    }
}
