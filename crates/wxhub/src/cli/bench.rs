//! `wxhub bench …`: load measurements against an in-process hub and sandbox.

use clap::Subcommand;

use super::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Cached-token reads per second and upstream fetches under a stampede (token centre).
    Tokens,
}

pub async fn run(_global: &GlobalArgs, cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Tokens => anyhow::bail!("bench tokens arrives with the token centre"),
    }
}
