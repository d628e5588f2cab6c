//! Runs `wxhub sandbox` standalone: `cargo run -p wx-sandbox --example sandbox -- --help`.

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "wx-sandbox",
    about = "A simulator of WeChat's servers with a driver API"
)]
struct Cli {
    #[command(flatten)]
    args: wx_sandbox::cli::SandboxArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    wx_sandbox::cli::run(Cli::parse().args).await
}
