//! `wxhub config print-default | check`.

use clap::Subcommand;

use super::GlobalArgs;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the embedded default configuration (commented TOML).
    PrintDefault,
    /// Load the configuration as `serve` would, validate it, and print it (secrets redacted).
    Check,
}

pub fn run(global: &GlobalArgs, cmd: ConfigCommand) -> anyhow::Result<()> {
    match cmd {
        ConfigCommand::PrintDefault => {
            print!("{}", crate::config::DEFAULT_CONFIG);
            Ok(())
        }
        ConfigCommand::Check => {
            let (config, source) = global.load_config(None)?;
            config.validate()?;
            println!("# source: {source}");
            println!("{config:#?}");
            Ok(())
        }
    }
}
