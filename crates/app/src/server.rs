//! Running the service: the HTTP listener plus in-process workers, the sweeper and the
//! outbox relay, all stopped together by one shutdown signal, after which the database files
//! are scrubbed of deleted rows and the store closed (see [`close_store`]).

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::http::{AppState, SHUTDOWN_GRACE, app};
use crate::services::Services;
use crate::store::Store;

/// A name for this process's workers that no other process shares (lease owners).
fn process_tag() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", std::process::id(), &id[..8])
}

/// Starts `workers` job runners (and, with `background`, the sweeper and outbox relay).
pub fn spawn_background(
    services: &Services,
    workers: usize,
    background: bool,
    stop: &watch::Receiver<bool>,
) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    let tag = process_tag();
    for i in 0..workers {
        tasks.spawn(services.worker(format!("{tag}-{i}")).run(stop.clone()));
    }
    if background {
        tasks.spawn(services.sweeper().run(stop.clone()));
        tasks.spawn(services.relay().run(stop.clone()));
    }
    tasks
}

/// Serves HTTP on `listener` with workers in process until `shutdown` resolves.
pub async fn run(
    services: Services,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let workers = services.worker_count();
    run_with_workers(services, workers, listener, shutdown).await
}

/// [`run`] with `workers` job runners in process; 0 makes a web-only node (workers run as
/// `atelier worker` elsewhere). The sweeper and the mail relay run either way.
pub async fn run_with_workers(
    services: Services,
    workers: usize,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = spawn_background(&services, workers, true, &stop_rx);
    let store = services.store.clone();
    let router = app(AppState::new(services));
    let served = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    let _ = stop_tx.send(true);
    if tokio::time::timeout(SHUTDOWN_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!("background tasks did not stop in time; leased jobs will be retried");
    }
    // Whatever did not stop goes now (its lease runs out and the job is retried), so no
    // task holds a connection while the store closes.
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    close_store(store.as_ref()).await;
    Ok(served?)
}

/// At a clean stop: scrubs the database files of what was deleted since the last sweep (on
/// SQLite, the WAL checkpointed and truncated), then closes every connection, so nothing
/// deleted is left on disk when the process is gone. A scrub that fails is logged: the next
/// start's sweep does it again.
pub async fn close_store(store: &dyn Store) {
    if let Err(e) = store.scrub().await {
        tracing::warn!(error = %e, "could not scrub the database at shutdown");
    }
    store.close().await;
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}
