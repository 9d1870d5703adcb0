//! The service's subcommands for the `atelier` binary: `serve`, `worker`, `migrate`, `sweep`,
//! `user`, `storage` and `export-user`. The binary only declares them; parsing of settings and the work happen here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::accounts::SignUp;
use crate::billing::RefundReport;
use crate::config::{Config, Overrides};
use crate::domain::{Email, PurchaseId, Role, Timestamp, UserId};
use crate::operator::{self, OperatorError};
use crate::services::Services;
use crate::store::{AccountStatus, AdminAction, UserCredentials};

#[path = "cli_export.rs"]
mod export;
#[path = "cli_policy.rs"]
mod policy;
pub use export::{ExportUserArgs, export_user};
pub use policy::{PolicyAction, PolicyArgs, policy};

const CONFIG_HELP: &str = "\
Settings come from, in order (later wins): built-in defaults, the config file (--config, or
./atelier.toml if present), environment variables ATELIER__SECTION__KEY, then flags.

Common settings (file key / environment variable, default):
  server.listen            ATELIER__SERVER__LISTEN            127.0.0.1:8080
  server.tls               ATELIER__SERVER__TLS               false (true behind HTTPS)
  server.trusted_proxies   ATELIER__SERVER__TRUSTED_PROXIES   none (e.g. 127.0.0.1,10.0.0.0/8:
                           believe X-Forwarded-For from these for rate limits and logs)
  server.public_url        ATELIER__SERVER__PUBLIC_URL        http://{listen} (root of every
                           link in mail; set it to https://YOUR-SITE in production)
  server.api_key_requests_per_minute
                           ATELIER__SERVER__API_KEY_REQUESTS_PER_MINUTE
                                                              600 per API key (0: no limit)
  limits.<action>_per_ip / limits.<action>_per_account      requests a minute per address /
                           per account (0: no limit), action = sign_in 20/10, sign_up 10/3,
                           uploads 120/30, jobs 120/30, contact 10/5; e.g.
                           ATELIER__LIMITS__JOBS_PER_ACCOUNT=30 (on PostgreSQL counted in
                           the database, so they hold across nodes)
  limits.sign_in_free_failures / sign_in_delay / sign_in_max_delay
                           ATELIER__LIMITS__SIGN_IN_FREE_FAILURES  5 / 2s / 15min: failed
                           sign-ins of one account from one address, then waits that double
  limits.sign_in_failures_per_account
                           ATELIER__LIMITS__SIGN_IN_FAILURES_PER_ACCOUNT 100 an hour from all
                           addresses together (0: no cap)
  limits.decode_memory_mib ATELIER__LIMITS__DECODE_MEMORY_MIB 0 (a quarter of memory, at
                           least one photo at the caps): all photo decoding together
  limits.decode_wait       ATELIER__LIMITS__DECODE_WAIT       10s, then 503 busy + Retry-After
  data_dir                 ATELIER__DATA_DIR                  ./atelier-data
  database.url             ATELIER__DATABASE__URL             sqlite://{data_dir}/atelier.db
                           (or postgres://owner:pw@host/db: runs as two roles, below)
  database.app_role        ATELIER__DATABASE__APP_ROLE        {db}_app (PostgreSQL, under RLS)
  database.system_role     ATELIER__DATABASE__SYSTEM_ROLE     {db}_system (workers, sweeper)
  database.app_password / database.system_password            the URL's password
  storage.url              ATELIER__STORAGE__URL              file://{data_dir}/blobs
  retention.upload_ttl     ATELIER__RETENTION__UPLOAD_TTL     24h
  retention.result_ttl     ATELIER__RETENTION__RESULT_TTL     24h
  retention.sweep_interval ATELIER__RETENTION__SWEEP_INTERVAL 1m
  retention.mail_ttl       ATELIER__RETENTION__MAIL_TTL       30days (sent mail is deleted)
  retention.expired_lot_ttl ATELIER__RETENTION__EXPIRED_LOT_TTL 0s (then an expired lot's
                           source and its ledger entries' job ids are purged)
  retention.analytics_ttl  ATELIER__RETENTION__ANALYTICS_TTL  730days (usage analytics)
  retention.unconfirmed_ttl ATELIER__RETENTION__UNCONFIRMED_TTL 30days (accounts whose
                           address is still unconfirmed are then erased)
  retention.visitor_ticket_ttl ATELIER__RETENTION__VISITOR_TICKET_TTL 90days (a closed
                           support ticket sent without an account is then deleted)
  retention.allow_save     ATELIER__RETENTION__ALLOW_SAVE     false (users may save portraits)
  retention.saved_ttl      ATELIER__RETENTION__SAVED_TTL      30days from saving, or none (kept
                           until deleted); uploads are never saved
  tokens.welcome           ATELIER__TOKENS__WELCOME           3
  jobs.workers             ATELIER__JOBS__WORKERS             0 (one per core)
  uploads.max_bytes        ATELIER__UPLOADS__MAX_BYTES        20000000
  smtp.url                 ATELIER__SMTP__URL                 unset (outbox is logged)
                           smtp://user:pass@host:587?tls=required, smtps://host, smtp://host:25
  smtp.from                ATELIER__SMTP__FROM                Atelier <no-reply@localhost>
  stripe.secret_key        ATELIER__STRIPE__SECRET_KEY        unset (payments off)
  stripe.webhook_secret    ATELIER__STRIPE__WEBHOOK_SECRET    unset (webhook refused)
  stripe.api_base          ATELIER__STRIPE__API_BASE          https://api.stripe.com
  stripe.public_url        ATELIER__STRIPE__PUBLIC_URL        from the request's Host
  policies.operator        ATELIER__POLICIES__OPERATOR        who runs this site (named in the
                           built-in privacy policy and terms)
  policies.contact         ATELIER__POLICIES__CONTACT         the address of smtp.from
  policies.notice_days     ATELIER__POLICIES__NOTICE_DAYS     30 (notice before a new version)
  support.response_hours   ATELIER__SUPPORT__RESPONSE_HOURS   48 (promised answer time of a ticket)
  support.urgent_response_hours
                           ATELIER__SUPPORT__URGENT_RESPONSE_HOURS
                                                              8 (of a ticket marked urgent)
Token packs are [[stripe.packs]] tables in the file (id, tokens, amount in minor units,
currency, valid_days); default 5/15/45 tokens for 5.00/12.00/30.00 EUR, valid 182 days.
Monthly plans are [[stripe.plans]] tables (id, name, tokens per period, amount, currency,
interval month|year); none by default. Each paid period's tokens last until the next ends.
Point the Stripe webhook endpoint at https://YOUR-SITE/stripe/webhook.
Durations are humantime strings: 30s, 15m, 24h, 7days.";

/// Where to find the settings.
#[derive(Args, Clone, Debug)]
pub struct CommonArgs {
    /// Folder for the database, blobs and master key.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Config file (TOML); default ./atelier.toml when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Run the web service with its workers in process.
#[derive(Args, Clone, Debug)]
#[command(after_long_help = CONFIG_HELP)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// Job workers in this process (default jobs.workers: one per core); 0 serves the web
    /// only, for scale-out where `atelier worker` nodes run the jobs.
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Run job workers only (scale-out machines).
#[derive(Args, Clone, Debug)]
#[command(after_long_help = CONFIG_HELP)]
pub struct WorkerArgs {
    /// Number of workers; default from jobs.workers (one per core).
    #[arg(long)]
    pub workers: Option<usize>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Manage accounts from the command line.
#[derive(Args, Clone, Debug)]
pub struct UserArgs {
    #[command(subcommand)]
    pub action: UserAction,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Subcommand, Clone, Debug)]
pub enum UserAction {
    /// Grant N tokens (one lot, valid tokens.lot_validity) to the account of EMAIL.
    Grant { email: String, tokens: u32 },
    /// Revoke N unspent tokens of the account of EMAIL, from the lots expiring soonest (the
    /// order spending takes them, so the user keeps their longest-lived tokens). All or
    /// nothing: an account with fewer than N unspent tokens keeps them all.
    Revoke { email: String, tokens: u32 },
    /// Make EMAIL an admin, creating the account if needed (password read from stdin).
    CreateAdmin { email: String },
    /// Suspend the account of EMAIL: it can no longer sign in; its sessions end.
    Suspend { email: String },
    /// Make a suspended account of EMAIL active again.
    Activate { email: String },
    /// Refund a paid token-pack purchase of EMAIL in full through Stripe and revoke the
    /// tokens of its lot that are still unspent. PURCHASE_ID is shown on the buyer's
    /// purchase list, the admin page and `GET /api/v1/purchases`. Running it again changes
    /// nothing.
    Refund {
        email: String,
        #[arg(value_name = "PURCHASE_ID")]
        purchase: PurchaseId,
    },
    /// Erase the account of EMAIL at once, as its owner's "Delete my account" does (for a
    /// request made by letter or mail): every blob, row and its data key; purchases stay,
    /// detached. A confirmation goes to the address. Cannot be undone.
    Erase { email: String },
}

/// Manage blob storage.
#[derive(Args, Clone, Debug)]
pub struct StorageArgs {
    #[command(subcommand)]
    pub action: StorageAction,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Subcommand, Clone, Debug)]
pub enum StorageAction {
    /// Copy every live blob (one an upload or result still points at) from one storage to
    /// another, e.g. `--from file:///srv/atelier/blobs --to s3://bucket/atelier`. Blobs stay
    /// encrypted; S3 settings (storage.endpoint, keys) come from the config. Safe to re-run.
    /// Point storage.url at the new place once it is done.
    Migrate {
        #[arg(long, value_name = "URL")]
        from: String,
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

fn load(common: &CommonArgs, listen: Option<std::net::SocketAddr>) -> anyhow::Result<Config> {
    let overrides = Overrides {
        listen,
        data_dir: common.data_dir.clone(),
    };
    Ok(Config::load(
        common.config.as_deref(),
        std::env::vars(),
        &overrides,
    )?)
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// Runs `work` on a fresh multi-threaded runtime and turns its outcome into an exit code.
fn block_on(work: impl Future<Output = anyhow::Result<()>>) -> ExitCode {
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(work) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub fn serve(args: ServeArgs) -> ExitCode {
    block_on(async move {
        let config = load(&args.common, args.listen)?;
        let listen = config.server.listen;
        if config.policies.contact.is_none() {
            tracing::warn!(
                "policies.contact is not set: the privacy policy gives no address to write to \
                 (set policies.operator and policies.contact, see `atelier serve --help`)"
            );
        }
        let services = Services::open(config).await?;
        warm_up_analysis();
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        tracing::info!("Atelier is listening on http://{}", listener.local_addr()?);
        let workers = args.workers.unwrap_or_else(|| services.worker_count());
        let shutdown = crate::server::shutdown_signal();
        crate::server::run_with_workers(services, workers, listener, shutdown).await
    })
}

pub fn worker(args: WorkerArgs) -> ExitCode {
    block_on(async move {
        let config = load(&args.common, None)?;
        let services = Services::open(config).await?;
        warm_up_analysis();
        let count = args.workers.unwrap_or_else(|| services.worker_count());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = crate::server::spawn_background(&services, count, false, &stop_rx);
        tracing::info!(workers = count, "workers running");
        crate::server::shutdown_signal().await;
        let _ = stop_tx.send(true);
        while tasks.join_next().await.is_some() {}
        crate::server::close_store(services.store.as_ref()).await;
        Ok(())
    })
}

/// Builds the portrait networks' plans in the background, so that the first upload's check
/// and the first job do not wait ~100 ms for them (they are built once per process).
fn warm_up_analysis() {
    tokio::task::spawn_blocking(|| {
        atelier_engine::prepare_analysis(atelier_engine::PlanBuild::Thorough)
    });
}

pub fn migrate(args: CommonArgs) -> ExitCode {
    block_on(async move {
        // Opening the store applies every pending migration.
        Services::open(load(&args, None)?).await?;
        println!("database is up to date");
        Ok(())
    })
}

pub fn sweep(args: CommonArgs) -> ExitCode {
    block_on(async move {
        let services = Services::open(load(&args, None)?).await?;
        let report = services.sweeper().sweep_and_record().await?;
        println!(
            "deleted {} uploads, {} results, {} orphan blobs; expired {} tokens; purged the details of {} expired lots, {} access-log rows, {} sent mails, {} usage events and {} expired exports",
            report.uploads,
            report.results,
            report.orphans,
            report.tokens_expired,
            report.lot_details,
            report.access_rows,
            report.mail_rows,
            report.analytics_rows,
            report.exports
        );
        Ok(())
    })
}

pub fn storage(args: StorageArgs) -> ExitCode {
    block_on(async move {
        let config = load(&args.common, None)?;
        let StorageAction::Migrate { from, to } = args.action;
        anyhow::ensure!(from != to, "--from and --to name the same storage");
        let source = crate::storage::open_store(&from, &config.storage)?;
        let target = crate::storage::open_store(&to, &config.storage)?;
        let store = crate::store::connect(config.database_url().expose(), &config.database).await?;
        let report = crate::storage::copy_live_blobs(
            source.as_ref(),
            target.as_ref(),
            store.as_ref(),
            |done, total| {
                if done == total || done % 100 == 0 {
                    eprintln!("{done}/{total} blobs");
                }
            },
        )
        .await?;
        println!(
            "copied {} blobs ({} bytes); {} were already there; skipped {} orphans",
            report.copied, report.bytes, report.already_there, report.orphans
        );
        Ok(())
    })
}

pub fn user(args: UserArgs) -> ExitCode {
    block_on(async move {
        let services = Services::open(load(&args.common, None)?).await?;
        match args.action {
            UserAction::Grant { email, tokens } => grant(&services, &email, tokens).await,
            UserAction::Revoke { email, tokens } => revoke(&services, &email, tokens).await,
            UserAction::CreateAdmin { email } => create_admin(&services, &email).await,
            UserAction::Suspend { email } => {
                set_status(&services, &email, AccountStatus::Suspended).await
            }
            UserAction::Activate { email } => {
                set_status(&services, &email, AccountStatus::Active).await
            }
            UserAction::Refund { email, purchase } => refund(&services, &email, purchase).await,
            UserAction::Erase { email } => erase(&services, &email).await,
        }
    })
}

async fn find(services: &Services, email: &str) -> anyhow::Result<UserCredentials> {
    for candidate in Email::lookup(email) {
        if let Some(found) = services.store.find_user_by_email(&candidate).await? {
            return Ok(found);
        }
    }
    Err(anyhow::anyhow!("no account for {}", email.trim()))
}

/// Appends what the operator just did to the admin audit log (`GET /api/v1/admin/audit`).
pub(crate) async fn audit(
    services: &Services,
    action: &str,
    subject: UserId,
    detail: String,
) -> anyhow::Result<()> {
    let entry = AdminAction {
        at: Timestamp::now(),
        actor: "cli".into(),
        action: action.into(),
        subject: Some(subject),
        detail,
    };
    services.store.record_admin_action(&entry).await?;
    Ok(())
}

async fn erase(services: &Services, email: &str) -> anyhow::Result<()> {
    let user = find(services, email).await?;
    let scope = crate::domain::UserScope::trusted(user.user.id, Role::User);
    services.privacy.erase_now(scope).await?;
    // Recorded after the fact and naming no one: the account is gone.
    let entry = AdminAction {
        at: Timestamp::now(),
        actor: "cli".into(),
        action: "erase-user".into(),
        subject: None,
        detail: "account erased at the owner's request".into(),
    };
    services.store.record_admin_action(&entry).await?;
    println!("erased the account of {}", user.user.email);
    Ok(())
}

async fn grant(services: &Services, email: &str, tokens: u32) -> anyhow::Result<()> {
    anyhow::ensure!(tokens > 0, "grant at least one token");
    let user = find(services, email).await?;
    let (lot_id, expires_at) =
        operator::grant_tokens(services, user.user.id, tokens, Timestamp::now()).await?;
    audit(
        services,
        "grant",
        user.user.id,
        format!("{tokens} tokens, lot {lot_id}"),
    )
    .await?;
    println!(
        "granted {tokens} tokens to {}, valid until {}",
        user.user.email,
        expires_at.rfc3339()
    );
    Ok(())
}

async fn revoke(services: &Services, email: &str, tokens: u32) -> anyhow::Result<()> {
    anyhow::ensure!(tokens > 0, "revoke at least one token");
    let user = find(services, email).await?;
    match operator::revoke_tokens(services, user.user.id, tokens, Timestamp::now()).await {
        Ok(()) => {}
        Err(OperatorError::FewerTokens { balance }) => anyhow::bail!(
            "{} has {balance} unspent tokens, fewer than {tokens}; nothing was revoked",
            user.user.email
        ),
        Err(e) => return Err(e.into()),
    }
    audit(services, "revoke", user.user.id, format!("{tokens} tokens")).await?;
    println!("revoked {tokens} unspent tokens of {}", user.user.email);
    Ok(())
}

async fn create_admin(services: &Services, email: &str) -> anyhow::Result<()> {
    let parsed = Email::parse(email)?;
    let user = match services.store.find_user_by_email(&parsed).await? {
        Some(found) => found.user,
        None => {
            eprintln!("password for the new admin account (one line on stdin):");
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let form = SignUp {
                email: email.to_owned(),
                password,
                age_over_14: true,
                guardian_consent: false,
            };
            let user = services.accounts.sign_up(form).await?;
            // The operator vouches for the address: the unconfirmed-account sweep must not
            // take the admin they just made.
            services
                .store
                .mark_email_verified(user.id, Timestamp::now())
                .await?;
            user
        }
    };
    let status = AccountStatus::parse(&user.status).unwrap_or(AccountStatus::Active);
    services
        .store
        .set_role_and_status(user.id, Role::Admin, status)
        .await?;
    audit(services, "create-admin", user.id, "role admin".into()).await?;
    println!("{} is an admin", user.email);
    Ok(())
}

async fn set_status(services: &Services, email: &str, status: AccountStatus) -> anyhow::Result<()> {
    let user = find(services, email).await?;
    services
        .store
        .set_role_and_status(user.user.id, user.user.role, status)
        .await?;
    let action = match status {
        AccountStatus::Active => "activate",
        _ => "suspend",
    };
    audit(
        services,
        action,
        user.user.id,
        format!("status {}", status.as_str()),
    )
    .await?;
    println!("{} is now {}", user.user.email, status.as_str());
    Ok(())
}

async fn refund(services: &Services, email: &str, purchase: PurchaseId) -> anyhow::Result<()> {
    let user = find(services, email).await?;
    match services.billing.refund(user.user.id, purchase).await {
        Ok(RefundReport::Refunded { refund_id, revoked }) => {
            let detail =
                format!("purchase {purchase}, Stripe refund {refund_id}, revoked {revoked}");
            audit(services, "refund", user.user.id, detail).await?;
            println!(
                "refunded purchase {purchase} of {} (Stripe refund {refund_id}); revoked {revoked} unspent tokens",
                user.user.email
            );
            Ok(())
        }
        Ok(RefundReport::AlreadyRefunded) => {
            println!("purchase {purchase} was already refunded; nothing changed");
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!(
            "cannot refund purchase {purchase}: {e} ({})",
            e.code()
        )),
    }
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
