//! The message centre's sends: a WeCom app message through `message/send` with the app's
//! token, an e-mail to each reached member's address through the configured SMTP server, an
//! SMS to each reached member's mobile through the [`SmsProvider`]; every send logged with
//! its outcome.
//!
//! The app: `agentId` picks the WeCom app account (kind `work`) of the message-centre app's
//! corp with that AgentID; without it, the message-centre app itself
//! (`[message_centre] default_account`). E-mail addresses and mobiles come from the corp's
//! contacts directory through [`Recipients`], which the contacts capability implements
//! (this capability owns no directory).

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use tracing::instrument;

use super::error::{MessageCentreError, RecipientsError};
use super::mail::{MailError, Mailer};
use super::model::{
    AppNotice, Channel, LogChannel, LogEntry, LogId, LogOutcome, Notice, Receivers, SmsNotice,
    Unreached,
};
use super::sms::SmsProvider;
use crate::accounts::model::{AccountApp, AccountId, AgentId, CorpId};
use crate::accounts::{Account, AccountService};
use crate::core::clock::SharedClock;
use crate::store::message_centre::MessageLogStore;
use crate::tokens::TokenService;
use crate::wechat::mp::message::{Article, News, Text};
use crate::wechat::work::message::{self as wx_message, AppContent, AppMessage, TextCard};
use crate::wechat::{Api, WeChatClient};

/// A member of the corp's directory a notice reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub userid: String,
    pub name: String,
    /// Empty in the directory: `None`.
    pub email: Option<String>,
    pub mobile: Option<String>,
}

/// What the directory makes of a notice's receivers: the members they reach (each once,
/// active members only) and the ids it does not know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    pub members: Vec<Member>,
    pub invalid_users: Vec<String>,
    pub invalid_parties: Vec<String>,
    pub invalid_tags: Vec<String>,
}

/// The corp's contacts directory as the message centre needs it (implemented by the
/// contacts capability; `app/wiring.rs` gives the one in use).
#[async_trait]
pub trait Recipients: Send + Sync + 'static {
    /// The members `receivers` reach in the directory of `corp` (the work account whose
    /// corp it is): users by userid, departments with their sub-departments, tags with
    /// their members and departments, `@all` everyone.
    async fn reach(
        &self,
        corp: &AccountId,
        receivers: &Receivers,
    ) -> Result<Reach, RecipientsError>;
}

/// Who sends: the log's name for them, and the accounts they may send through.
#[derive(Debug, Clone)]
pub struct Sender {
    /// `admin`, or the caller's `client_id`.
    pub name: String,
    /// `None`: every account (the admin).
    pub accounts: Option<BTreeSet<AccountId>>,
}

impl Sender {
    fn may_use(&self, account: &AccountId) -> bool {
        self.accounts.as_ref().is_none_or(|a| a.contains(account))
    }
}

/// The parts the message centre is built from.
pub struct MessageCentreParts {
    pub accounts: AccountService,
    pub tokens: TokenService,
    pub client: WeChatClient,
    pub log: Arc<dyn MessageLogStore>,
    pub recipients: Arc<dyn Recipients>,
    /// `None`: `[message_centre.smtp] host` is unset, e-mail is off.
    pub mailer: Option<Mailer>,
    pub sms: Arc<dyn SmsProvider>,
    /// `[message_centre] default_account`, as configured.
    pub default_account: Option<String>,
    pub clock: SharedClock,
}

#[derive(Clone)]
pub struct MessageCentreService {
    accounts: AccountService,
    tokens: TokenService,
    client: WeChatClient,
    log: Arc<dyn MessageLogStore>,
    recipients: Arc<dyn Recipients>,
    mailer: Option<Arc<Mailer>>,
    sms: Arc<dyn SmsProvider>,
    default_account: Option<String>,
    clock: SharedClock,
}

/// One send's outcome before it is logged.
struct Outcome {
    unreached: Unreached,
    delivered: Option<u32>,
}

impl MessageCentreService {
    pub fn new(parts: MessageCentreParts) -> Self {
        MessageCentreService {
            accounts: parts.accounts,
            tokens: parts.tokens,
            client: parts.client,
            log: parts.log,
            recipients: parts.recipients,
            mailer: parts.mailer.map(Arc::new),
            sms: parts.sms,
            default_account: parts.default_account,
            clock: parts.clock,
        }
    }

    /// The message-centre app (`[message_centre] default_account`).
    async fn default_app(&self) -> Result<(Account, CorpId), MessageCentreError> {
        let raw = self
            .default_account
            .as_deref()
            .ok_or(MessageCentreError::NotConfigured {
                setting: "[message_centre] default_account",
                to: "the hub account of the message-centre WeCom app",
            })?;
        let bad = |problem| MessageCentreError::BadDefault {
            account: raw.to_owned(),
            problem,
        };
        let id = AccountId::parse(raw).map_err(|_| bad("which is no account id"))?;
        let account = match self.accounts.get(&id).await {
            Ok(account) => account,
            Err(crate::accounts::AccountError::NotFound(_)) => {
                return Err(bad("which is not a registered account"))
            }
            Err(e) => return Err(e.into()),
        };
        match &account.app {
            AccountApp::Work { corpid, .. } => {
                let corpid = corpid.clone();
                Ok((account, corpid))
            }
            AccountApp::Mp { .. } => Err(bad("an Official Account, not a WeCom app (kind work)")),
        }
    }

    /// The app a notice goes through: the work account of the message-centre app's corp
    /// with AgentID `agent`, or the message-centre app itself.
    async fn app(&self, agent: Option<AgentId>) -> Result<Account, MessageCentreError> {
        let (default, corpid) = self.default_app().await?;
        let Some(agent) = agent else {
            return Ok(default);
        };
        let is_it = |a: &Account| matches!(&a.app, AccountApp::Work { corpid: c, agentid } if *c == corpid && *agentid == agent);
        if is_it(&default) {
            return Ok(default);
        }
        const PAGE: u32 = 200;
        let mut cursor: Option<AccountId> = None;
        loop {
            let page = self.accounts.list(cursor.as_ref(), PAGE).await?;
            if let Some(found) = page.iter().find(|a| is_it(a)) {
                return Ok(found.clone());
            }
            if page.len() < PAGE as usize {
                return Err(MessageCentreError::AgentNotFound {
                    agent,
                    corpid: corpid.to_string(),
                });
            }
            cursor = page.last().map(|a| a.id.clone());
        }
    }

    /// The app `sender` may send through (ungranted is not found, like unknown).
    async fn app_for(
        &self,
        sender: &Sender,
        agent: Option<AgentId>,
    ) -> Result<Account, MessageCentreError> {
        let app = self.app(agent).await?;
        if !sender.may_use(&app.id) {
            tracing::info!(caller = %sender.name, account = %app.id, "refused: account not granted");
            return Err(MessageCentreError::AccountNotFound(app.id));
        }
        Ok(app)
    }

    /// Sends `notice` (a WeCom message or an e-mail); what could not be reached comes back
    /// as WeCom says it.
    #[instrument(skip_all, fields(caller = %sender.name))]
    pub async fn send(
        &self,
        sender: &Sender,
        notice: Notice,
    ) -> Result<Unreached, MessageCentreError> {
        if matches!(notice.channel, Channel::Email(_)) && self.mailer.is_none() {
            return Err(MessageCentreError::NotConfigured {
                setting: "[message_centre.smtp] host",
                to: "send e-mail",
            });
        }
        let app = self.app_for(sender, notice.agent_id).await?;
        let (channel, msg_type, subject) = match &notice.channel {
            Channel::WeCom(m) => (LogChannel::Wecom, Some(m.kind()), m.title().to_owned()),
            Channel::Email(m) => (LogChannel::Email, None, m.subject.clone()),
        };
        let result = match &notice.channel {
            Channel::WeCom(message) => {
                self.send_app_message(&app, &notice.receivers, message)
                    .await
            }
            Channel::Email(mail) => self.send_mail(&app, &notice.receivers, mail).await,
        };
        let entry = Draft {
            sender,
            agent_name: notice.agent_name.as_str(),
            channel,
            account: &app.id,
            msg_type,
            subject,
            receivers: &notice.receivers,
        };
        self.record(entry, &result).await;
        result.map(|o| o.unreached)
    }

    async fn send_app_message(
        &self,
        app: &Account,
        receivers: &Receivers,
        message: &AppNotice,
    ) -> Result<Outcome, MessageCentreError> {
        let AccountApp::Work { agentid, .. } = &app.app else {
            return Err(MessageCentreError::BadDefault {
                account: app.id.to_string(),
                problem: "an Official Account, not a WeCom app (kind work)",
            });
        };
        let content = match message.clone() {
            AppNotice::TextCard {
                title,
                description,
                url,
                btntxt,
            } => AppContent::Textcard {
                textcard: TextCard {
                    title,
                    description,
                    url,
                    btntxt: Some(btntxt),
                },
            },
            AppNotice::News {
                title,
                description,
                url,
                picurl,
            } => AppContent::News {
                news: News {
                    articles: vec![Article {
                        title,
                        description,
                        url,
                        pic_url: picurl,
                    }],
                },
            },
            AppNotice::Text { content } => AppContent::Text {
                text: Text { content },
            },
        };
        let (touser, toparty, totag) = receivers.wire();
        let request = AppMessage {
            touser,
            toparty,
            totag,
            agentid: agentid.get(),
            content,
            safe: None,
        };
        let api = Api::for_account(&self.client, &app.api_base, app.id.as_str());
        let tokens = self.tokens.handle(app.id.as_str());
        let sent = wx_message::send(&api, &tokens, &request)
            .await
            .map_err(MessageCentreError::wechat("sending the app message"))?;
        tracing::info!(account = %app.id, kind = message.kind(), "app message sent");
        Ok(Outcome {
            unreached: Unreached {
                invaliduser: sent.invaliduser,
                invalidparty: sent.invalidparty,
                invalidtag: sent.invalidtag,
            },
            delivered: None,
        })
    }

    async fn send_mail(
        &self,
        app: &Account,
        receivers: &Receivers,
        mail: &super::model::MailNotice,
    ) -> Result<Outcome, MessageCentreError> {
        let mailer = self
            .mailer
            .as_ref()
            .ok_or(MessageCentreError::NotConfigured {
                setting: "[message_centre.smtp] host",
                to: "send e-mail",
            })?;
        let reach = self.recipients.reach(&app.id, receivers).await?;
        let mut invalid_users = reach.invalid_users;
        let mut delivered = 0u32;
        let with_address: Vec<&Member> = reach
            .members
            .iter()
            .filter(|m| {
                let has = m.email.is_some();
                if !has {
                    invalid_users.push(m.userid.clone());
                }
                has
            })
            .collect();
        if !with_address.is_empty() {
            crate::core::effects::before_external().await?;
        }
        for member in with_address {
            let address = member.email.as_deref().unwrap_or_default();
            match mailer.send(address, &member.name, mail).await {
                Ok(()) => delivered += 1,
                Err(MailError::Refused(reason)) => {
                    tracing::info!(userid = %member.userid, %reason, "e-mail refused for a member");
                    invalid_users.push(member.userid.clone());
                }
                Err(MailError::Failed(reason)) => {
                    return Err(MessageCentreError::Mail(if delivered == 0 {
                        reason
                    } else {
                        format!("{reason} (after {delivered} e-mails were sent)")
                    }))
                }
            }
        }
        tracing::info!(account = %app.id, delivered, unreached = invalid_users.len(), "e-mail sent");
        Ok(Outcome {
            unreached: Unreached::from_lists(
                &invalid_users,
                &reach.invalid_parties,
                &reach.invalid_tags,
            ),
            delivered: Some(delivered),
        })
    }

    /// Sends an SMS from template `sms.template_id` to the reached members' mobiles through
    /// the message-centre app's corp directory; the users it could not reach come back
    /// `|`-joined.
    #[instrument(skip_all, fields(caller = %sender.name))]
    pub async fn send_sms(
        &self,
        sender: &Sender,
        sms: SmsNotice,
    ) -> Result<String, MessageCentreError> {
        let app = self.app_for(sender, None).await?;
        let result = self.deliver_sms(&app, &sms).await;
        let entry = Draft {
            sender,
            agent_name: sms.agent_name.as_str(),
            channel: LogChannel::Sms,
            account: &app.id,
            msg_type: None,
            subject: sms.template_id.clone(),
            receivers: &sms.receivers,
        };
        self.record(entry, &result).await;
        result.map(|o| o.unreached.invaliduser)
    }

    async fn deliver_sms(
        &self,
        app: &Account,
        sms: &SmsNotice,
    ) -> Result<Outcome, MessageCentreError> {
        let reach = self.recipients.reach(&app.id, &sms.receivers).await?;
        let mut invalid_users = reach.invalid_users;
        let mut to: Vec<(&str, &str)> = Vec::new();
        for m in &reach.members {
            match m.mobile.as_deref() {
                Some(mobile) => to.push((m.userid.as_str(), mobile)),
                None => invalid_users.push(m.userid.clone()),
            }
        }
        let mut delivered = 0u32;
        if !to.is_empty() {
            crate::core::effects::before_external().await?;
            let mobiles: Vec<String> = to.iter().map(|(_, m)| (*m).to_owned()).collect();
            let refused = self
                .sms
                .send(&sms.template_id, &sms.params, &mobiles)
                .await
                .map_err(|e| MessageCentreError::Sms(format!("{e:#}")))?;
            for (userid, mobile) in &to {
                if refused.iter().any(|r| r == mobile) {
                    invalid_users.push((*userid).to_owned());
                } else {
                    delivered += 1;
                }
            }
        }
        tracing::info!(account = %app.id, delivered, unreached = invalid_users.len(), "SMS sent");
        Ok(Outcome {
            unreached: Unreached::from_lists(
                &invalid_users,
                &reach.invalid_parties,
                &reach.invalid_tags,
            ),
            delivered: Some(delivered),
        })
    }

    /// Logs a send with its outcome. The send has happened (or failed) either way, so a
    /// failure to log is itself only logged: the caller's answer stands.
    async fn record(&self, draft: Draft<'_>, result: &Result<Outcome, MessageCentreError>) {
        let (to_user, to_party, to_tag) = draft.receivers.logged();
        let (outcome, unreached, delivered, error) = match result {
            Ok(o) => (LogOutcome::Sent, o.unreached.clone(), o.delivered, None),
            Err(e) => (
                LogOutcome::Failed,
                Unreached::default(),
                None,
                Some(error_text(e)),
            ),
        };
        let entry = LogEntry {
            id: LogId::generate(),
            at: self.clock.now(),
            caller: draft.sender.name.clone(),
            agent_name: draft.agent_name.to_owned(),
            channel: draft.channel,
            account: Some(draft.account.to_string()),
            msg_type: draft.msg_type.map(str::to_owned),
            subject: draft.subject,
            to_user,
            to_party,
            to_tag,
            delivered,
            invaliduser: unreached.invaliduser,
            invalidparty: unreached.invalidparty,
            invalidtag: unreached.invalidtag,
            outcome,
            error,
        };
        if let Err(e) = self.log.record(&entry).await {
            tracing::warn!(error = %e, log_id = %entry.id, "the message-centre send could not be logged");
        }
    }

    /// The log, newest first: everyone's for the admin (`caller` `None`), else the caller's.
    pub async fn log(
        &self,
        caller: Option<&str>,
        before: Option<&LogId>,
        limit: u32,
    ) -> Result<Vec<LogEntry>, MessageCentreError> {
        Ok(self.log.list(caller, before, limit).await?)
    }
}

/// A send's log entry before its outcome is known.
struct Draft<'a> {
    sender: &'a Sender,
    agent_name: &'a str,
    channel: LogChannel,
    account: &'a AccountId,
    msg_type: Option<&'static str>,
    subject: String,
    receivers: &'a Receivers,
}

/// A failure as the log shows it: the error and its causes, WeCom's errcode included.
fn error_text(e: &MessageCentreError) -> String {
    use crate::wechat::{CallError, WeChatError};
    match e {
        MessageCentreError::WeChat {
            doing,
            source: CallError::Call(WeChatError::Api { errcode, errmsg }),
        } => format!("WeCom refused {doing} ({errcode}: {errmsg})"),
        other => {
            let mut text = other.to_string();
            let mut cause = std::error::Error::source(other);
            while let Some(c) = cause {
                text.push_str(": ");
                text.push_str(&c.to_string());
                cause = c.source();
            }
            text
        }
    }
}
