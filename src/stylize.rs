//! `atelier stylize`: placeholder until the command lands.
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode { ExitCode::SUCCESS }
