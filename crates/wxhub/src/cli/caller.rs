//! `wxhub caller add|list|remove`, acting on the store directly.

use clap::{Args, Subcommand};

use super::GlobalArgs;
use crate::callers::model::{CallerRegistration, ClientId, NewCaller};

#[derive(Debug, Subcommand)]
pub enum CallerCommand {
    /// Register a business system; prints its client id and secret (shown once).
    Add(AddArgs),
    /// List callers.
    List,
    /// Remove a caller; its tokens stop working.
    Remove {
        client_id: String,
        /// Confirm the removal.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(long)]
    system_id: String,
    #[arg(long)]
    name: String,
    /// An account this caller may use (repeatable).
    #[arg(long = "account")]
    accounts: Vec<String>,
    /// A scope: tokens, messages, qrcodes, identity, oauth, redpacket, contacts, events (repeatable).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// QR source number 1-31.
    #[arg(long)]
    qr_source: Option<i64>,
    /// Allowed OAuth redirect domain (repeatable).
    #[arg(long = "redirect-domain")]
    redirect_domains: Vec<String>,
    /// Allowed JS-SDK page domain (repeatable).
    #[arg(long = "jssdk-domain")]
    jssdk_domains: Vec<String>,
    /// File holding the caller's RSA public key (PEM).
    #[arg(long)]
    rsa_public_key_file: Option<std::path::PathBuf>,
}

pub async fn run(global: &GlobalArgs, cmd: CallerCommand) -> anyhow::Result<()> {
    let app = super::open_app(global).await?;
    let callers = &app.state().callers;
    match cmd {
        CallerCommand::Add(a) => {
            let rsa_public_key = a
                .rsa_public_key_file
                .map(std::fs::read_to_string)
                .transpose()?;
            let registration = CallerRegistration {
                system_id: a.system_id,
                name: a.name,
                accounts: a.accounts,
                scopes: a.scopes,
                qr_source: a.qr_source,
                rsa_public_key,
                redirect_domains: a.redirect_domains,
                jssdk_domains: a.jssdk_domains,
            };
            let (caller, secret) = callers.create(NewCaller::parse(registration)?).await?;
            println!("client_id:     {}", caller.client_id);
            println!("client_secret: {}", secret.expose());
            println!("(the secret is shown only now)");
        }
        CallerCommand::List => {
            println!(
                "{:<30} {:<20} {:<6} {:<30} SCOPES",
                "CLIENT ID", "SYSTEM ID", "QR", "ACCOUNTS"
            );
            let mut cursor = None;
            loop {
                let page = callers.list(cursor.as_ref(), 200).await?;
                for c in &page {
                    let accounts: Vec<&str> = c.accounts.iter().map(|a| a.as_str()).collect();
                    let scopes: Vec<&str> = c.scopes.iter().map(|s| s.as_str()).collect();
                    println!(
                        "{:<30} {:<20} {:<6} {:<30} {}",
                        c.client_id,
                        c.system_id,
                        c.qr_source
                            .map(|q| q.get().to_string())
                            .unwrap_or_else(|| "-".into()),
                        accounts.join(","),
                        scopes.join(",")
                    );
                }
                match page.last() {
                    Some(last) if page.len() == 200 => cursor = Some(last.client_id.clone()),
                    _ => break,
                }
            }
        }
        CallerCommand::Remove { client_id, yes } => {
            if !yes {
                anyhow::bail!(
                    "removing caller {client_id} revokes its tokens; add --yes to confirm"
                );
            }
            callers.delete(&ClientId::parse(&client_id)?).await?;
            println!("removed caller {client_id}");
        }
    }
    Ok(())
}
