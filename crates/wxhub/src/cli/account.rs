//! `wxhub account add|list|show|settings|rotate-secret|remove`, acting on the store directly
//! (the same config, store and master key `serve` uses; no running hub needed).

use anyhow::Context;
use clap::{ArgAction, Args, Subcommand};

use super::GlobalArgs;
use crate::accounts::model::{check_secret, AccountId, AccountRegistration, NewAccount};
use crate::identity::model::SettingsPatch;

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Register an Official Account (--kind mp --appid) or WeCom app (--kind work --corpid --agentid).
    Add(Box<AddArgs>),
    /// List accounts.
    List,
    /// Show one account as JSON (never its secrets).
    Show { id: String },
    /// Show an account's callback settings as JSON, or change them.
    Settings {
        id: String,
        /// Whether an unfollow also removes the follower's binding to an internal user.
        #[arg(long, value_name = "true|false", action = ArgAction::Set)]
        unfollow_unbinds: Option<bool>,
    },
    /// Replace an account's secret.
    RotateSecret {
        id: String,
        /// The new secret; `-` reads it from stdin (keeps it out of the process list).
        #[arg(long)]
        secret: String,
    },
    /// Remove an account.
    Remove {
        id: String,
        /// Confirm the removal.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(long)]
    id: String,
    /// mp or work.
    #[arg(long)]
    kind: String,
    #[arg(long)]
    appid: Option<String>,
    #[arg(long)]
    corpid: Option<String>,
    #[arg(long)]
    agentid: Option<i64>,
    /// AppSecret or WeCom app secret; `-` reads it from stdin.
    #[arg(long)]
    secret: String,
    /// Callback Token.
    #[arg(long)]
    token: Option<String>,
    #[arg(long)]
    encoding_aes_key: Option<String>,
    /// plaintext, compatible or safe.
    #[arg(long)]
    mode: Option<String>,
    #[arg(long)]
    api_base: Option<String>,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    original_id: Option<String>,
    #[arg(long)]
    logo_url: Option<String>,
    /// WeCom contacts secret; `-` reads it from stdin.
    #[arg(long)]
    contacts_secret: Option<String>,
}

fn read_secret(value: String) -> anyhow::Result<String> {
    if value != "-" {
        return Ok(value);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the secret from stdin")?;
    Ok(line.trim().to_string())
}

fn parse_id(id: &str) -> anyhow::Result<AccountId> {
    Ok(AccountId::parse(id)?)
}

pub async fn run(global: &GlobalArgs, cmd: AccountCommand) -> anyhow::Result<()> {
    let app = super::open_app(global).await?;
    let accounts = &app.state().accounts;
    match cmd {
        AccountCommand::Add(a) => {
            let registration = AccountRegistration {
                id: a.id,
                kind: a.kind,
                appid: a.appid,
                corpid: a.corpid,
                agentid: a.agentid,
                secret: read_secret(a.secret)?,
                token: a.token,
                encoding_aes_key: a.encoding_aes_key,
                mode: a.mode,
                api_base: a.api_base,
                name: a.name,
                original_id: a.original_id,
                logo_url: a.logo_url,
                contacts_secret: a.contacts_secret.map(read_secret).transpose()?,
                wechat_rate_limit: None,
            };
            let account = accounts.create(NewAccount::parse(registration)?).await?;
            println!(
                "added account {} ({})",
                account.id,
                account.app.kind().as_str()
            );
        }
        AccountCommand::List => {
            let mut cursor = None;
            println!(
                "{:<24} {:<5} {:<24} {:<10} API BASE",
                "ID", "KIND", "APPID / CORPID:AGENTID", "MODE"
            );
            loop {
                let page = accounts.list(cursor.as_ref(), 200).await?;
                for a in &page {
                    let app = match &a.app {
                        crate::accounts::model::AccountApp::Mp { appid } => appid.to_string(),
                        crate::accounts::model::AccountApp::Work { corpid, agentid } => {
                            format!("{corpid}:{agentid}")
                        }
                    };
                    println!(
                        "{:<24} {:<5} {:<24} {:<10} {}",
                        a.id,
                        a.app.kind().as_str(),
                        app,
                        a.mode.as_str(),
                        a.api_base
                    );
                }
                match page.last() {
                    Some(last) if page.len() == 200 => cursor = Some(last.id.clone()),
                    _ => break,
                }
            }
        }
        AccountCommand::Show { id } => {
            let account = accounts.get(&parse_id(&id)?).await?;
            println!("{}", serde_json::to_string_pretty(&account)?);
        }
        AccountCommand::Settings {
            id,
            unfollow_unbinds,
        } => {
            let id = parse_id(&id)?;
            let followers = &app.state().followers;
            let settings = match unfollow_unbinds {
                None => followers.settings(&id).await?,
                Some(_) => {
                    followers
                        .update_settings(&id, SettingsPatch { unfollow_unbinds })
                        .await?
                }
            };
            println!("{}", serde_json::to_string_pretty(&settings)?);
        }
        AccountCommand::RotateSecret { id, secret } => {
            let secret = check_secret("secret", &read_secret(secret)?)?;
            let account = accounts.rotate_secret(&parse_id(&id)?, secret).await?;
            println!(
                "rotated the secret of {} (version {})",
                account.id, account.version
            );
        }
        AccountCommand::Remove { id, yes } => {
            if !yes {
                anyhow::bail!("removing account {id} also revokes every caller's grant to it; add --yes to confirm");
            }
            accounts.delete(&parse_id(&id)?).await?;
            println!("removed account {id}");
        }
    }
    Ok(())
}
