//! `wxhub demo`: hub + sandbox + demo accounts in one process.
//!
//! Placeholder until the `wx-sandbox` crate lands.

use clap::Args;

use super::GlobalArgs;

#[derive(Debug, Args)]
pub struct DemoArgs {}

pub async fn run(_global: &GlobalArgs, _args: DemoArgs) -> anyhow::Result<()> {
    anyhow::bail!("the demo needs the sandbox, which is not built into this binary yet")
}
