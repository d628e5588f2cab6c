//! `wxhub sandbox`, `demo` and `bench` in a build without the `sandbox` feature (a production
//! hub without the simulator): each says so and exits non-zero.

use clap::{Args, Subcommand};

use super::GlobalArgs;

const OFF: &str =
    "this wxhub was built without the `sandbox` feature, so it has no WeChat simulator \
     (sandbox, demo and bench need it); build with default features to get them";

/// Whatever was given after `sandbox` or `demo`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub type DemoArgs = SandboxArgs;

/// Whatever was given after `bench`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    #[command(external_subcommand)]
    Any(Vec<String>),
}

pub async fn run<T>(_: &GlobalArgs, _: T) -> anyhow::Result<()> {
    anyhow::bail!(OFF)
}
