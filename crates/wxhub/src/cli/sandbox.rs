//! `wxhub sandbox`: the WeChat simulator.
//!
//! Placeholder until the `wx-sandbox` crate lands: it will delegate to `wx_sandbox::cli::run`.

use std::net::SocketAddr;

use clap::Args;

use super::GlobalArgs;

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9090")]
    pub listen: SocketAddr,
}

pub async fn run(_global: &GlobalArgs, _args: SandboxArgs) -> anyhow::Result<()> {
    anyhow::bail!("the sandbox is not built into this binary yet")
}
