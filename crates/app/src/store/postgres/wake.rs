//! LISTEN/NOTIFY for idle workers. A transaction that makes a job claimable sends
//! `NOTIFY atelier_jobs` (delivered on commit, to every node); each store keeps one listening
//! connection and turns notifications into a `watch` change that idle workers await beside
//! their poll timer. Lost notifications (a dropped connection) only cost a poll interval.

use std::time::Duration;

use sqlx::PgConnection;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::watch;

use crate::store::StoreResult;

const CHANNEL: &str = "atelier_jobs";

/// Queues a wake-up for every listening node, sent when the caller's transaction commits.
pub(in crate::store) async fn notify(conn: &mut PgConnection) -> StoreResult<()> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(conn)
        .await?;
    Ok(())
}

/// Listens on its own connection until aborted, reconnecting after errors.
pub(super) fn spawn_listener(
    options: PgConnectOptions,
    wake: watch::Sender<()>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // A pool of one, as `PgListener::connect` builds: it reconnects through the pool.
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_lazy_with(options);
        loop {
            match listen(&pool, &wake).await {
                Ok(()) => {}
                Err(e) => tracing::warn!(error = %e, "job notifications interrupted; polling"),
            }
            // Whatever was missed meanwhile, let idle workers look once.
            wake.send_replace(());
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

async fn listen(pool: &sqlx::PgPool, wake: &watch::Sender<()>) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.ignore_pool_close_event(true);
    listener.listen(CHANNEL).await?;
    loop {
        // `None`: the connection dropped; the next call reconnects and listens again.
        if listener.try_recv().await?.is_none() {
            wake.send_replace(());
            continue;
        }
        wake.send_replace(());
    }
}
