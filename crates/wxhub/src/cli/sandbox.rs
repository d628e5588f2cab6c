//! `wxhub sandbox`: the WeChat simulator (serve, or drive a running one). All of it lives in
//! `wx_sandbox::cli`; this only sets up logging.

use super::GlobalArgs;

pub use wx_sandbox::cli::SandboxArgs;

pub async fn run(global: &GlobalArgs, args: SandboxArgs) -> anyhow::Result<()> {
    let format = if global.log_json {
        crate::config::LogFormat::Json
    } else {
        crate::config::LogFormat::Human
    };
    crate::telemetry::init_logging(format, "info");
    wx_sandbox::cli::run(args).await
}
