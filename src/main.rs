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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Stylize(args) => stylize::run(args),
    }
}
