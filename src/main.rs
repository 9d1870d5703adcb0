//! The `atelier` binary: parses the command line and hands each command to its module.
//! Keep it thin: the work lives in `atelier-engine` and (for the service) `atelier-app`.

mod stylize;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Atelier: a self-hostable AI portrait and character studio.
#[derive(Parser)]
#[command(name = "atelier", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Turn photos into styled portraits on this machine, without the service.
    Stylize(stylize::Args),
    /// Run the web service (JSON API) with job workers in process.
    Serve(atelier_app::cli::ServeArgs),
    /// Run job workers only, against the same database and storage as `serve`.
    Worker(atelier_app::cli::WorkerArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(atelier_app::cli::CommonArgs),
    /// Delete expired uploads, results and orphan blobs once, then exit.
    Sweep(atelier_app::cli::CommonArgs),
    /// Manage accounts (grant or revoke tokens, suspend, refund, erase, create an admin).
    User(atelier_app::cli::UserArgs),
    /// Write everything held about one account to a ZIP (as "Download my data").
    ExportUser(atelier_app::cli::ExportUserArgs),
    /// Manage blob storage (copy live blobs to another back-end).
    Storage(atelier_app::cli::StorageArgs),
    /// Publish and read the privacy policy and terms (versioned, with notice by e-mail).
    Policy(atelier_app::cli::PolicyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Stylize(args) => stylize::run(args),
        Command::Serve(args) => atelier_app::cli::serve(args),
        Command::Worker(args) => atelier_app::cli::worker(args),
        Command::Migrate(args) => atelier_app::cli::migrate(args),
        Command::Sweep(args) => atelier_app::cli::sweep(args),
        Command::User(args) => atelier_app::cli::user(args),
        Command::Storage(args) => atelier_app::cli::storage(args),
        Command::ExportUser(args) => atelier_app::cli::export_user(args),
        Command::Policy(args) => atelier_app::cli::policy(args),
    }
}
