//! The service graph: opens the store and blob storage from the config and builds each
//! domain service once. Passed to HTTP handlers, workers and CLI commands.

use std::sync::Arc;

use atelier_engine::Limits;

use crate::accounts::Accounts;
use crate::backends::Catalog;
use crate::billing::Billing;
use crate::blobs::{Blobs, MasterKey};
use crate::config::Config;
use crate::jobs::Jobs;
use crate::jobs::worker::{Generators, Worker};
use crate::mail::{Mailer, Relay};
use crate::mail_compose::Composer;
use crate::media::Media;
use crate::policies::Policies;
use crate::privacy::Privacy;
use crate::prompts::PromptFilter;
use crate::store::{self, Store};
use crate::support::Support;
use crate::sweeper::Sweeper;

#[derive(Clone)]
pub struct Services {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub blobs: Blobs,
    pub accounts: Accounts,
    pub media: Media,
    pub jobs: Jobs,
    pub mailer: Mailer,
    pub billing: Billing,
    pub privacy: Privacy,
    pub policies: Policies,
    pub support: Support,
    /// The style catalog and the caps remote output is decoded under.
    pub generators: Generators,
}

impl Services {
    /// Creates the data folder and master key if needed, opens (and migrates) the database
    /// and the blob store.
    pub async fn open(config: Config) -> anyhow::Result<Services> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create data folder {}: {e}",
                config.data_dir.display()
            )
        })?;
        let master = MasterKey::load_or_create(&config.data_dir.join("master.key"))?;
        let store = store::connect(config.database_url().expose(), &config.database).await?;
        let blobs = Blobs::open(&config.storage_url(), &config.storage, master)?;
        let services = Services::assemble(config, store, blobs)?;
        // A new installation (or one from before policies existed) gets the built-in privacy
        // policy and terms, in force at once.
        for version in services
            .policies
            .ensure_published(crate::domain::Timestamp::now())
            .await?
        {
            tracing::info!(
                kind = version.kind.as_str(),
                "published the built-in {}",
                version.title
            );
        }
        Ok(services)
    }

    /// Builds the services over an opened store and blob storage; fails only on settings
    /// that cannot work (a malformed SMTP URL or sender, a style whose back-end or model is
    /// unusable: the error names the style).
    pub fn assemble(
        config: Config,
        store: Arc<dyn Store>,
        blobs: Blobs,
    ) -> anyhow::Result<Services> {
        let limits = Limits {
            max_bytes: config.uploads.max_bytes,
            max_pixels: config.uploads.max_pixels,
            ..Limits::default()
        };
        let accounts = Accounts::new(
            store.clone(),
            blobs.clone(),
            config.accounts.clone(),
            config.tokens.clone(),
            Composer::from_config(&config),
        )
        .with_sign_in_throttle(crate::throttle::SignInThrottle::new(
            &config.limits,
            crate::throttle::Counters::for_store(&store),
        ));
        // One decode budget for the whole process: uploads, checks, thumbnails, workers.
        let budget = Arc::new(crate::media::DecodeBudget::from_config(
            config.limits.decode_memory_mib,
            config.limits.decode_wait,
            limits.max_pixels,
            limits.max_bytes,
        ));
        tracing::info!(
            mib = budget.total_bytes() >> 20,
            "decode budget (limits.decode_memory_mib)"
        );
        let media = Media::new(
            store.clone(),
            blobs.clone(),
            limits.clone(),
            config.retention.upload_ttl,
        )
        .with_budget(budget.clone())
        .with_save_rule(crate::media::SaveRule {
            allowed: config.retention.allow_save,
            ttl: config.retention.saved_ttl,
        });
        let catalog = Arc::new(Catalog::from_config(&config).map_err(anyhow::Error::msg)?);
        let filter =
            Arc::new(PromptFilter::from_config(&config.prompts).map_err(anyhow::Error::msg)?);
        let generators = Generators {
            catalog: catalog.clone(),
            limits: limits.clone(),
            budget,
        };
        let jobs = Jobs::new(store.clone(), catalog, filter);
        let mailer = Mailer::from_config(&config.smtp)?;
        let billing = Billing::new(store.clone(), config.stripe.clone());
        let privacy = Privacy::new(
            store.clone(),
            blobs.clone(),
            accounts.clone(),
            billing.clone(),
        );
        let policies = Policies::new(store.clone(), &config, Composer::from_config(&config));
        let support = Support::new(
            store.clone(),
            config.support.clone(),
            Composer::from_config(&config),
        );
        Ok(Services {
            config: Arc::new(config),
            store,
            blobs,
            accounts,
            media,
            jobs,
            mailer,
            billing,
            privacy,
            policies,
            support,
            generators,
        })
    }

    /// A worker named `name`, sharing this process's store.
    pub fn worker(&self, name: String) -> Worker {
        Worker::new(
            self.store.clone(),
            self.blobs.clone(),
            self.generators.clone(),
            self.config.jobs.clone(),
            self.config.retention.result_ttl,
            name,
        )
    }

    /// The outbox relay, delivering through this process's mailer.
    pub fn relay(&self) -> Relay {
        Relay::new(self.store.clone(), self.mailer.clone(), &self.config.smtp)
    }

    pub fn sweeper(&self) -> Sweeper {
        Sweeper::new(
            self.store.clone(),
            self.blobs.clone(),
            self.privacy.clone(),
            self.config.retention.clone(),
        )
    }

    /// How many in-process workers to start: the configured number, or one per core.
    pub fn worker_count(&self) -> usize {
        match self.config.jobs.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}
