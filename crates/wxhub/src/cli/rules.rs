//! `wxhub rules list|add|remove|rotate-secret`: passive reply rules, acting on the store
//! directly. A webhook rule's signing secret is printed once, by `add` and `rotate-secret`.

use clap::{Args, Subcommand, ValueEnum};

use super::GlobalArgs;
use crate::accounts::model::AccountId;
use crate::core::signing::WebhookSecret;
use crate::replies::model::{KeywordMode, ReplyContent};
use crate::replies::{NewRule, RuleAction, RuleId, RuleMatch};
use crate::store::replies::RuleViewer;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List an account's rules in the order they are tried.
    List { account: String },
    /// Add a rule: one matcher flag and one reply flag (or `--webhook`).
    Add(Box<AddArgs>),
    /// Replace a webhook rule's signing secret and print the new one (shown this once).
    RotateSecret { account: String, rule_id: String },
    /// Remove a rule.
    Remove {
        account: String,
        rule_id: String,
        /// Confirm the removal.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    Exact,
    Contains,
    Regex,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    account: String,
    /// Match a text message by keyword.
    #[arg(long, group = "matcher")]
    keyword: Option<String>,
    /// How `--keyword` matches.
    #[arg(long, value_enum, default_value = "exact")]
    mode: ModeArg,
    /// Match an event type (`subscribe`, `scan`, `click` …).
    #[arg(long, group = "matcher")]
    event: Option<String>,
    /// Match a menu key.
    #[arg(long, group = "matcher")]
    menu_key: Option<String>,
    /// Match a follow or scan through a QR code of this caller source (0–31).
    #[arg(long, group = "matcher")]
    qr_source: Option<u8>,
    /// Answer with this text.
    #[arg(long, group = "reply")]
    text: Option<String>,
    /// Answer with an image by media_id.
    #[arg(long, group = "reply")]
    image: Option<String>,
    /// Answer with a voice message by media_id.
    #[arg(long, group = "reply")]
    voice: Option<String>,
    /// Answer with a video by media_id.
    #[arg(long, group = "reply")]
    video: Option<String>,
    /// Any reply as JSON, e.g. `{"type":"news","articles":[{"title":"…","url":"…"}]}`.
    #[arg(long, group = "reply")]
    reply_json: Option<String>,
    /// Ask this reply webhook instead; its signing secret is printed once.
    #[arg(long, group = "reply")]
    webhook: Option<String>,
    /// The webhook's deadline in milliseconds (default 3000, at most 4000).
    #[arg(long)]
    timeout_ms: Option<u64>,
    #[arg(long, default_value_t = 100)]
    priority: i32,
    #[arg(long)]
    name: Option<String>,
}

fn matcher(a: &AddArgs) -> anyhow::Result<RuleMatch> {
    Ok(if let Some(pattern) = &a.keyword {
        RuleMatch::Keyword {
            mode: match a.mode {
                ModeArg::Exact => KeywordMode::Exact,
                ModeArg::Contains => KeywordMode::Contains,
                ModeArg::Regex => KeywordMode::Regex,
            },
            pattern: pattern.clone(),
        }
    } else if let Some(event) = &a.event {
        RuleMatch::Event {
            event: event.clone(),
        }
    } else if let Some(key) = &a.menu_key {
        RuleMatch::MenuKey { key: key.clone() }
    } else if let Some(source) = a.qr_source {
        RuleMatch::QrSource { source }
    } else {
        RuleMatch::AnyText
    })
}

fn action(a: &AddArgs) -> anyhow::Result<RuleAction> {
    let reply = |reply| Ok(RuleAction::Reply { reply });
    if let Some(content) = &a.text {
        return reply(ReplyContent::Text {
            content: content.clone(),
        });
    }
    if let Some(media_id) = &a.image {
        return reply(ReplyContent::Image {
            media_id: media_id.clone(),
        });
    }
    if let Some(media_id) = &a.voice {
        return reply(ReplyContent::Voice {
            media_id: media_id.clone(),
        });
    }
    if let Some(media_id) = &a.video {
        return reply(ReplyContent::Video {
            media_id: media_id.clone(),
            title: String::new(),
            description: String::new(),
        });
    }
    if let Some(json) = &a.reply_json {
        return reply(
            serde_json::from_str(json).map_err(|e| anyhow::anyhow!("--reply-json: {e}"))?,
        );
    }
    if let Some(url) = &a.webhook {
        return Ok(RuleAction::Webhook {
            url: url.clone(),
            timeout_ms: a.timeout_ms,
            format: Default::default(),
        });
    }
    anyhow::bail!("give a reply: --text, --image, --voice, --video, --reply-json or --webhook")
}

fn print_secret(secret: &WebhookSecret) {
    println!("webhook_secret: {}", secret.expose());
    println!("(shown this once: the webhook verifies requests with it, per Standard Webhooks)");
}

pub async fn run(global: &GlobalArgs, cmd: RulesCommand) -> anyhow::Result<()> {
    let app = super::open_app(global).await?;
    let replies = &app.state().replies;
    match cmd {
        RulesCommand::List { account } => {
            let account = AccountId::parse(&account)?;
            for rule in replies.list(&account, RuleViewer::Admin).await? {
                println!("{}", serde_json::to_string(&rule)?);
            }
        }
        RulesCommand::Add(a) => {
            let account = AccountId::parse(&a.account)?;
            let saved = replies
                .create(
                    &account,
                    None,
                    NewRule {
                        name: a.name.clone(),
                        priority: a.priority,
                        enabled: true,
                        matcher: matcher(&a)?,
                        action: action(&a)?,
                    },
                )
                .await?;
            println!("{}", serde_json::to_string_pretty(&saved.rule)?);
            if let Some(secret) = saved.webhook_secret {
                print_secret(&secret);
            }
        }
        RulesCommand::RotateSecret { account, rule_id } => {
            let account = AccountId::parse(&account)?;
            let secret = replies
                .rotate_secret(&account, &RuleId::parse(&rule_id)?, RuleViewer::Admin)
                .await?;
            print_secret(&secret);
        }
        RulesCommand::Remove {
            account,
            rule_id,
            yes,
        } => {
            anyhow::ensure!(yes, "removing a rule needs --yes");
            let account = AccountId::parse(&account)?;
            replies
                .delete(&account, &RuleId::parse(&rule_id)?, RuleViewer::Admin)
                .await?;
            println!("removed {rule_id}");
        }
    }
    Ok(())
}
