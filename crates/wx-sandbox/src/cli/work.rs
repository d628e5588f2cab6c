//! The `work`, `pay` and `oauth` subcommands of `wxhub sandbox`: WeCom corps and
//! directories, pay merchants, and OAuth consent, through [`DriverClient`].

use super::print;
use crate::client::DriverClient;
use crate::driver::pay::CreateMerchant;
use crate::driver::work::api::{
    CreateApp, CreateCorp, CreateDepartment, CreateMember, GenerateDirectory,
};
use clap::Subcommand;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum WorkCommand {
    /// Create a corp.
    Add {
        corpid: String,
        #[arg(long)]
        contacts_secret: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Show a corp (token_fetches, apps, counts).
    Show { corpid: String },
    /// Add an app (agent) to a corp.
    App {
        corpid: String,
        #[arg(long)]
        agentid: u32,
        #[arg(long)]
        secret: String,
        #[arg(long, default_value = "")]
        token: String,
        #[arg(long, default_value = "")]
        aes_key: String,
        #[arg(long)]
        callback_url: Option<String>,
    },
    /// Fill the directory with N members in M departments, D levels deep (no callbacks).
    Generate {
        corpid: String,
        members: u32,
        #[arg(long, default_value_t = 0)]
        departments: u32,
        #[arg(long, default_value_t = 1)]
        depth: u32,
    },
    /// Add a department (pushes create_party).
    Department {
        corpid: String,
        name: String,
        #[arg(long, default_value_t = 1)]
        parentid: u64,
    },
    /// Add a member (pushes create_user).
    Member {
        corpid: String,
        userid: String,
        #[arg(long)]
        name: String,
        /// Department ids, comma-separated (default: the root).
        #[arg(long, value_delimiter = ',')]
        department: Vec<u64>,
    },
    /// Delete a member (pushes delete_user).
    DeleteMember { corpid: String, userid: String },
    /// A member sends a text to an app.
    Send {
        corpid: String,
        userid: String,
        agentid: u32,
        content: String,
    },
    /// What a member received.
    Inbox { corpid: String, userid: String },
    /// The corp's callback delivery log.
    Callbacks { corpid: String },
}

#[derive(Debug, Subcommand)]
pub enum PayCommand {
    /// Register a merchant for red packets.
    Add {
        mch_id: String,
        #[arg(long)]
        api_key: String,
        #[arg(long)]
        appid: String,
        /// Balance in fen.
        #[arg(long)]
        balance: Option<i64>,
    },
    /// Show a merchant (balance, sends).
    Show { mch_id: String },
}

pub async fn run_work(c: &DriverClient, cmd: WorkCommand) -> anyhow::Result<()> {
    match cmd {
        WorkCommand::Add {
            corpid,
            contacts_secret,
            name,
        } => print(
            &c.create_corp(&CreateCorp {
                corpid,
                contacts_secret,
                name,
                ..CreateCorp::default()
            })
            .await?,
        ),
        WorkCommand::Show { corpid } => print(&c.corp(&corpid).await?),
        WorkCommand::App {
            corpid,
            agentid,
            secret,
            token,
            aes_key,
            callback_url,
        } => {
            let req = CreateApp {
                agentid,
                secret,
                token,
                encoding_aes_key: aes_key,
                callback_url,
                name: None,
            };
            print(&c.create_app(&corpid, &req).await?)
        }
        WorkCommand::Generate {
            corpid,
            members,
            departments,
            depth,
        } => {
            let req = GenerateDirectory {
                members,
                departments,
                depth,
            };
            print(&c.generate_directory(&corpid, &req).await?)
        }
        WorkCommand::Department {
            corpid,
            name,
            parentid,
        } => {
            let req = CreateDepartment {
                name,
                parentid,
                id: None,
                order: None,
            };
            print(&c.create_department(&corpid, &req).await?)
        }
        WorkCommand::Member {
            corpid,
            userid,
            name,
            department,
        } => {
            let req = CreateMember {
                userid: Some(userid),
                name,
                department,
                ..CreateMember::default()
            };
            print(&c.create_member(&corpid, &req).await?)
        }
        WorkCommand::DeleteMember { corpid, userid } => {
            print(&c.delete_member(&corpid, &userid).await?)
        }
        WorkCommand::Send {
            corpid,
            userid,
            agentid,
            content,
        } => print(
            &c.member_send_text(&corpid, &userid, agentid, &content)
                .await?,
        ),
        WorkCommand::Inbox { corpid, userid } => print(&c.member_inbox(&corpid, &userid).await?),
        WorkCommand::Callbacks { corpid } => print(&c.work_deliveries(&corpid).await?),
    }
}

pub async fn run_pay(c: &DriverClient, cmd: PayCommand) -> anyhow::Result<()> {
    match cmd {
        PayCommand::Add {
            mch_id,
            api_key,
            appid,
            balance,
        } => {
            let req = CreateMerchant {
                mch_id,
                api_key,
                appid,
                balance,
                ..CreateMerchant::default()
            };
            print(&c.create_merchant(&req).await?)
        }
        PayCommand::Show { mch_id } => print(&c.merchant(&mch_id).await?),
    }
}

/// `oauth APPID USER REDIRECT_URI`: consents on the OAuth page and prints the code.
pub async fn run_oauth(
    c: &DriverClient,
    appid: &str,
    user: &str,
    redirect_uri: &str,
    scope: &str,
    state: &str,
) -> anyhow::Result<()> {
    let code = c
        .oauth_consent(appid, user, redirect_uri, scope, state)
        .await?;
    print(&json!({"code": code, "state": state}))
}
