//! `wxhub sandbox`: serve the sandbox, or drive a running one.
//!
//! With no subcommand it serves on `--listen` until Ctrl-C. Subcommands talk to a running
//! sandbox at `--url` through [`crate::client::DriverClient`] and print JSON.

mod work;

use crate::client::DriverClient;
use crate::driver::api::{CreateMpAccount, CreateUser, MenuClick, UserMessage};
use crate::faults::Fault;
use crate::{serve, Sandbox, SandboxConfig};
use anyhow::Context;
use clap::{Args, Subcommand};
use serde::Serialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:9090", env = "WXHUB_SANDBOX_LISTEN")]
    pub listen: SocketAddr,
    /// Load state from this file at start; save it on shutdown and on `POST /sandbox/state/save`.
    #[arg(long, env = "WXHUB_SANDBOX_STATE_FILE")]
    pub state_file: Option<PathBuf>,
    /// Callback timeout per attempt, in milliseconds (WeChat: 5000).
    #[arg(long, default_value_t = 5000)]
    pub callback_timeout_ms: u64,
    /// Callback attempts in total (WeChat: 3).
    #[arg(long, default_value_t = 3)]
    pub callback_attempts: u32,
    /// The running sandbox that driver subcommands talk to.
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:9090",
        env = "WXHUB_SANDBOX_URL"
    )]
    pub url: String,
    #[command(subcommand)]
    pub command: Option<SandboxCommand>,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// WeCom corps, apps, directory and members.
    Work {
        #[command(subcommand)]
        cmd: work::WorkCommand,
    },
    /// WeChat Pay merchants (red packets).
    Pay {
        #[command(subcommand)]
        cmd: work::PayCommand,
    },
    /// Consent on the OAuth page as a user (openid, or a WeCom userid); prints the code.
    Oauth {
        appid: String,
        user: String,
        redirect_uri: String,
        #[arg(long, default_value = "snsapi_base")]
        scope: String,
        #[arg(long, default_value = "")]
        state: String,
    },
    /// Official Accounts.
    Mp {
        #[command(subcommand)]
        cmd: MpCommand,
    },
    /// Simulated users.
    User {
        #[command(subcommand)]
        cmd: UserCommand,
    },
    /// The user follows the account (pushes `subscribe`).
    Follow { appid: String, openid: String },
    /// The user unfollows (pushes `unsubscribe`).
    Unfollow { appid: String, openid: String },
    /// The user scans a QR ticket (`subscribe` with `qrscene_…`, or `SCAN`).
    Scan {
        appid: String,
        openid: String,
        ticket: String,
    },
    /// The user sends a text (or, with --image / --location, an image or a location).
    Send {
        appid: String,
        openid: String,
        /// Text content.
        text: Option<String>,
        #[arg(long)]
        image: bool,
        /// "LAT,LNG"
        #[arg(long)]
        location: Option<String>,
    },
    /// The user taps a menu button by key (or by --view-url for a view button).
    Click {
        appid: String,
        openid: String,
        #[arg(long)]
        key: Option<String>,
        #[arg(long)]
        view_url: Option<String>,
    },
    /// Everything the user received, newest last.
    Inbox { appid: String, openid: String },
    /// The callback delivery log of an account.
    Callbacks { appid: String },
    /// The sandbox clock.
    Clock {
        #[command(subcommand)]
        cmd: ClockCommand,
    },
    /// Fault injection.
    Fault {
        #[command(subcommand)]
        cmd: FaultCommand,
    },
    /// Load-test token-checked calls against the running sandbox.
    Bench {
        #[arg(long, default_value_t = 50_000)]
        requests: u64,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum MpCommand {
    /// Create an Official Account.
    Add {
        #[arg(long)]
        appid: String,
        #[arg(long)]
        secret: String,
        /// Callback Token.
        #[arg(long, default_value = "")]
        token: String,
        #[arg(long, default_value = "")]
        aes_key: String,
        #[arg(long)]
        callback_url: Option<String>,
        /// plaintext | compatible | safe
        #[arg(long, default_value = "plaintext")]
        mode: String,
        #[arg(long)]
        oauth_domain: Option<String>,
    },
    /// Show an account (token_fetches, current tokens, counts).
    Show { appid: String },
    /// List accounts.
    List,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user who does not follow yet.
    Add {
        appid: String,
        #[arg(long)]
        nickname: Option<String>,
    },
    /// Create N followers at once (no callbacks).
    Seed {
        appid: String,
        count: u32,
    },
    Show {
        appid: String,
        openid: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClockCommand {
    Show,
    /// Move sandbox time forward.
    Advance {
        seconds: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum FaultCommand {
    /// Inject a fault on one WeChat path.
    Set {
        path: String,
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        #[arg(long)]
        http_status: Option<u16>,
        #[arg(long, allow_hyphen_values = true)]
        errcode: Option<i32>,
        #[arg(long)]
        count: Option<u32>,
    },
    List,
    Clear,
}

fn print<T: Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Runs `wxhub sandbox …`.
pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let Some(cmd) = args.command else {
        return serve_until_ctrl_c(&args).await;
    };
    let c = DriverClient::new(&args.url);
    match cmd {
        SandboxCommand::Work { cmd } => work::run_work(&c, cmd).await,
        SandboxCommand::Pay { cmd } => work::run_pay(&c, cmd).await,
        SandboxCommand::Oauth {
            appid,
            user,
            redirect_uri,
            scope,
            state,
        } => work::run_oauth(&c, &appid, &user, &redirect_uri, &scope, &state).await,
        SandboxCommand::Mp { cmd } => match cmd {
            MpCommand::Add {
                appid,
                secret,
                token,
                aes_key,
                callback_url,
                mode,
                oauth_domain,
            } => {
                let mode = serde_json::from_value(serde_json::Value::String(mode))
                    .context("mode must be plaintext, compatible or safe")?;
                let req = CreateMpAccount {
                    appid,
                    secret,
                    token,
                    encoding_aes_key: aes_key,
                    callback_url,
                    mode,
                    oauth_domain,
                    ..CreateMpAccount::default()
                };
                print(&c.create_mp_account(&req).await?)
            }
            MpCommand::Show { appid } => print(&c.mp_account(&appid).await?),
            MpCommand::List => print(&c.mp_accounts().await?),
        },
        SandboxCommand::User { cmd } => match cmd {
            UserCommand::Add { appid, nickname } => {
                let req = CreateUser {
                    nickname,
                    ..CreateUser::default()
                };
                print(&c.create_user(&appid, &req).await?)
            }
            UserCommand::Seed { appid, count } => print(&c.seed_users(&appid, count, true).await?),
            UserCommand::Show { appid, openid } => print(&c.user(&appid, &openid).await?),
        },
        SandboxCommand::Follow { appid, openid } => print(&c.follow(&appid, &openid).await?),
        SandboxCommand::Unfollow { appid, openid } => print(&c.unfollow(&appid, &openid).await?),
        SandboxCommand::Scan {
            appid,
            openid,
            ticket,
        } => print(&c.scan(&appid, &openid, &ticket).await?),
        SandboxCommand::Send {
            appid,
            openid,
            text,
            image,
            location,
        } => {
            let msg = if image {
                UserMessage::Image {
                    pic_url: None,
                    media_id: None,
                }
            } else if let Some(loc) = location {
                let (lat, lng) = loc.split_once(',').context("--location is LAT,LNG")?;
                UserMessage::Location {
                    latitude: lat.trim().parse().context("latitude")?,
                    longitude: lng.trim().parse().context("longitude")?,
                    scale: None,
                    label: None,
                }
            } else {
                UserMessage::Text {
                    content: text.context("give a text, --image or --location")?,
                }
            };
            print(&c.send_message(&appid, &openid, &msg).await?)
        }
        SandboxCommand::Click {
            appid,
            openid,
            key,
            view_url,
        } => {
            let click = MenuClick {
                key,
                url: view_url,
                scan_result: None,
            };
            print(&c.click_menu(&appid, &openid, &click).await?)
        }
        SandboxCommand::Inbox { appid, openid } => print(&c.inbox(&appid, &openid).await?),
        SandboxCommand::Callbacks { appid } => print(&c.deliveries(&appid).await?),
        SandboxCommand::Clock { cmd } => match cmd {
            ClockCommand::Show => print(&c.clock().await?),
            ClockCommand::Advance { seconds } => print(&c.advance_clock(seconds).await?),
        },
        SandboxCommand::Fault { cmd } => match cmd {
            FaultCommand::Set {
                path,
                latency_ms,
                http_status,
                errcode,
                count,
            } => {
                let f = Fault {
                    path,
                    latency_ms,
                    http_status,
                    errcode,
                    count,
                };
                print(&c.set_fault(&f).await?)
            }
            FaultCommand::List => print(&c.faults().await?),
            FaultCommand::Clear => {
                c.clear_faults().await?;
                print(&serde_json::json!({"cleared": true}))
            }
        },
        SandboxCommand::Bench {
            requests,
            concurrency,
            seconds,
        } => {
            let report = crate::bench::bench(crate::bench::BenchOptions {
                base_url: args.url.clone(),
                requests,
                concurrency,
                max_duration: Duration::from_secs(seconds),
            })
            .await?;
            print(&report)
        }
    }
}

async fn serve_until_ctrl_c(args: &SandboxArgs) -> anyhow::Result<()> {
    let cfg = SandboxConfig {
        callback_timeout: Duration::from_millis(args.callback_timeout_ms),
        callback_attempts: args.callback_attempts.max(1),
        state_file: args.state_file.clone(),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::open(cfg).context("loading the sandbox state file")?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    eprintln!("wx-sandbox: WeChat APIs and driver at http://{addr} (Ctrl-C stops)");
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.cancel();
        }
    });
    serve(listener, sandbox, shutdown).await?;
    Ok(())
}
