//! A message-centre notice checked before anything is sent (seed 002 §5.1, §5.2).
//!
//! Requests come in the seed's own camelCase fields ([`NoticeSpec`], [`SmsSpec`]);
//! [`Notice::build`] and [`SmsNotice::build`] turn them into typed notices or name the first
//! field that breaks a rule (a [`InvalidAt`], 422 `invalid_field`), one of
//! - `required`: `agentName`, `content`, `sendType`, `msgType` (for WeCom messages), `title`
//!   (for a text card, news or e-mail), `url` (text card, news), `picUrl` (news),
//!   `templateId`, or no receiver at all;
//! - `one_receiver_kind`: more than one of `toUser`, `toParty`, `toTag`;
//! - `too_many`: more than 1,000 users, 100 departments or 100 tags;
//! - `all_with_others`: `@all` beside other users;
//! - `invalid_value`: an unknown `sendType` or `msgType`, an `agentId` that is no AgentID, a
//!   department or tag id that is no number;
//! - `too_long`: a field over WeCom's limit (counted on what is sent: the title with its
//!   `【agentName】` prefix);
//! - `not_http`: a `url` or `picUrl` that is not `http://` or `https://`.
//!
//! What each message kind sends (WeCom `message/send`):
//! - text card (`msgType` "01"): `textcard {title: 【agentName】title, description: content,
//!   url, btntxt}` (`btntxt` defaults to 详情);
//! - news ("02"): one article `{title: 【agentName】title, description: content, url, picurl}`;
//! - text ("03"): `【agentName】title`, a line break and `content` (without a title,
//!   `【agentName】content`), then the `url` on a line of its own when given.
//!
//! An e-mail (`sendType` 2) has the prefixed title as its subject and `content` (then a blank
//! line and the `url`, when given) as its plain-text body.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::model::AgentId;
use crate::core::InvalidAt;

/// Users in one notice at most (`toUser`; seed 002 and WeCom).
pub const MAX_USERS: usize = 1000;
/// Departments and tags in one notice at most (WeCom's limit).
pub const MAX_PARTIES: usize = 100;
pub const MAX_TAGS: usize = 100;
/// The calling system's name, in characters.
pub const AGENT_NAME_MAX_CHARS: usize = 64;
/// WeCom's limits, in bytes of UTF-8.
pub const TITLE_MAX_BYTES: usize = 128;
pub const TEXTCARD_DESCRIPTION_MAX_BYTES: usize = 512;
pub const NEWS_DESCRIPTION_MAX_BYTES: usize = 512;
pub const TEXT_MAX_BYTES: usize = 2048;
pub const URL_MAX_BYTES: usize = 2048;
pub const BTNTXT_MAX_BYTES: usize = 12;
/// An e-mail's subject (the prefixed title) and body.
pub const SUBJECT_MAX_CHARS: usize = 256;
pub const MAIL_BODY_MAX_BYTES: usize = 1024 * 1024;
/// An SMS template's id and variables.
pub const TEMPLATE_ID_MAX_BYTES: usize = 64;
pub const MAX_PARAMS: usize = 32;
pub const PARAM_MAX_CHARS: usize = 256;
/// The text card button's text when the request gives none.
pub const DEFAULT_BTNTXT: &str = "详情";

/// A code given as a string or a number (`"0"` or `0`, `"01"` or `1`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Code {
    Text(String),
    Number(i64),
}

impl Code {
    /// The code as a number, when it is one (`"01"` is 1); an empty string is no code.
    fn number(&self) -> Option<Option<i64>> {
        match self {
            Code::Number(n) => Some(Some(*n)),
            Code::Text(s) if s.trim().is_empty() => Some(None),
            Code::Text(s) => s.trim().parse().ok().map(Some),
        }
    }
}

/// `POST /api/v1/message-centre/send`, in seed 002 §5.1's fields.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoticeSpec {
    /// Userids, `|`-separated (at most 1,000), or `@all`. Exactly one of `toUser`,
    /// `toParty`, `toTag`.
    #[serde(default)]
    pub to_user: Option<String>,
    /// Department ids, `|`-separated (at most 100).
    #[serde(default)]
    pub to_party: Option<String>,
    /// Tag ids, `|`-separated (at most 100).
    #[serde(default)]
    pub to_tag: Option<String>,
    /// `"0"`: a WeCom app message; `"2"`: an e-mail (a string or a number).
    #[serde(default)]
    #[schema(value_type = String)]
    pub send_type: Option<Code>,
    /// With `sendType` 0: `"01"` text card, `"02"` news, `"03"` text.
    #[serde(default)]
    #[schema(value_type = String)]
    pub msg_type: Option<Code>,
    /// The calling system's name; titles are prefixed `【agentName】`.
    #[serde(default)]
    pub agent_name: Option<String>,
    /// The WeCom app (AgentID) to send through, in the message-centre app's corp; absent:
    /// the message-centre app (`[message_centre] default_account`).
    #[serde(default)]
    #[schema(value_type = String)]
    pub agent_id: Option<Code>,
    /// Prefixed `【agentName】`; optional for text messages.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    /// Where a tap leads; required for text cards and news.
    #[serde(default)]
    pub url: Option<String>,
    /// The text card's button; default 详情.
    #[serde(default)]
    pub btntxt: Option<String>,
    /// The news article's picture; required for news.
    #[serde(default)]
    pub pic_url: Option<String>,
}

/// `POST /api/v1/message-centre/sms`, in seed 002 §5.2's fields.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SmsSpec {
    /// Userids, `|`-separated (at most 1,000), or `@all`. One of `toUser`, `toParty`.
    #[serde(default)]
    pub to_user: Option<String>,
    #[serde(default)]
    pub to_party: Option<String>,
    /// The SMS provider's template.
    #[serde(default)]
    pub template_id: Option<String>,
    /// The template's variables, in order (e.g. `["666666", "5"]`).
    #[serde(default)]
    pub params: Vec<String>,
    #[serde(default)]
    pub agent_name: Option<String>,
}

/// Whom a notice goes to: one kind of receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receivers {
    /// Everyone the app reaches (`@all`).
    All,
    Users(Vec<String>),
    Parties(Vec<String>),
    Tags(Vec<String>),
}

impl Receivers {
    /// WeCom's `touser`, `toparty`, `totag`: each `|`-joined, `None` when not this kind.
    pub fn wire(&self) -> (Option<String>, Option<String>, Option<String>) {
        match self {
            Receivers::All => (Some("@all".to_owned()), None, None),
            Receivers::Users(u) => (Some(u.join("|")), None, None),
            Receivers::Parties(p) => (None, Some(p.join("|")), None),
            Receivers::Tags(t) => (None, None, Some(t.join("|"))),
        }
    }

    /// The receivers as the log shows them: `(to_user, to_party, to_tag)`, empty when not
    /// this kind.
    pub fn logged(&self) -> (String, String, String) {
        let (u, p, t) = self.wire();
        (
            u.unwrap_or_default(),
            p.unwrap_or_default(),
            t.unwrap_or_default(),
        )
    }
}

/// Text ids from a `|`-separated list: trimmed, empty parts dropped, repeats kept once.
fn split(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split('|').map(str::trim).filter(|p| !p.is_empty()) {
        if !out.iter().any(|o| o == part) {
            out.push(part.to_owned());
        }
    }
    out
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Exactly one of the receiver fields, checked.
fn receivers(
    user: &Option<String>,
    party: &Option<String>,
    tag: Option<&Option<String>>,
) -> Result<Receivers, InvalidAt> {
    let fields = if tag.is_some() {
        "toUser, toParty or toTag"
    } else {
        "toUser or toParty"
    };
    let given: Vec<(&'static str, &str)> = [
        ("toUser", present(user)),
        ("toParty", present(party)),
        ("toTag", tag.and_then(present)),
    ]
    .into_iter()
    .filter_map(|(name, v)| v.map(|v| (name, v)))
    .collect();
    let (field, raw) = match given.as_slice() {
        [] => {
            return Err(InvalidAt::new(
                "toUser",
                "required",
                format!("name the receivers in one of {fields}"),
            ))
        }
        [one] => *one,
        [_, second, ..] => {
            return Err(InvalidAt::new(
                second.0,
                "one_receiver_kind",
                format!("give only one of {fields}"),
            ))
        }
    };
    let ids = split(raw);
    if ids.is_empty() {
        return Err(InvalidAt::new(
            field,
            "required",
            "name at least one receiver, separated by |",
        ));
    }
    match field {
        "toUser" => {
            if ids.iter().any(|u| u == "@all") {
                if ids.len() > 1 {
                    return Err(InvalidAt::new(
                        field,
                        "all_with_others",
                        "@all reaches everyone already: give it alone",
                    ));
                }
                return Ok(Receivers::All);
            }
            if ids.len() > MAX_USERS {
                return Err(InvalidAt::new(
                    field,
                    "too_many",
                    format!(
                        "at most {MAX_USERS} users in one notice (got {})",
                        ids.len()
                    ),
                ));
            }
            Ok(Receivers::Users(ids))
        }
        other => {
            let (max, what) = if other == "toParty" {
                (MAX_PARTIES, "department")
            } else {
                (MAX_TAGS, "tag")
            };
            if ids.len() > max {
                return Err(InvalidAt::new(
                    other,
                    "too_many",
                    format!("at most {max} {what}s in one notice (got {})", ids.len()),
                ));
            }
            if let Some(bad) = ids.iter().find(|id| id.parse::<u32>().is_err()) {
                return Err(InvalidAt::new(
                    other,
                    "invalid_value",
                    format!("{bad:?} is no {what} id: ids are numbers, separated by |"),
                ));
            }
            if other == "toParty" {
                Ok(Receivers::Parties(ids))
            } else {
                Ok(Receivers::Tags(ids))
            }
        }
    }
}

/// The calling system's name, 1–64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentName(String);

impl AgentName {
    pub fn parse(raw: &Option<String>) -> Result<Self, InvalidAt> {
        let name = present(raw).ok_or_else(|| {
            InvalidAt::new(
                "agentName",
                "required",
                "name the calling system (agentName)",
            )
        })?;
        if name.chars().count() > AGENT_NAME_MAX_CHARS {
            return Err(InvalidAt::new(
                "agentName",
                "too_long",
                format!("at most {AGENT_NAME_MAX_CHARS} characters"),
            ));
        }
        Ok(AgentName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `【agentName】title`.
    pub fn prefix(&self, title: &str) -> String {
        format!("【{}】{title}", self.0)
    }
}

fn at_most_bytes(field: &str, value: &str, max: usize, what: &str) -> Result<(), InvalidAt> {
    if value.len() > max {
        return Err(InvalidAt::new(
            field,
            "too_long",
            format!(
                "{what} is at most {max} bytes of UTF-8 (got {})",
                value.len()
            ),
        ));
    }
    Ok(())
}

fn http_url(
    field: &str,
    raw: &Option<String>,
    required_for: Option<&str>,
) -> Result<Option<String>, InvalidAt> {
    let Some(url) = present(raw) else {
        return match required_for {
            Some(kind) => Err(InvalidAt::new(
                field,
                "required",
                format!("{kind} needs {field}"),
            )),
            None => Ok(None),
        };
    };
    let ok = url::Url::parse(url)
        .ok()
        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if !ok {
        return Err(InvalidAt::new(
            field,
            "not_http",
            "must be an absolute http:// or https:// URL",
        ));
    }
    at_most_bytes(field, url, URL_MAX_BYTES, field)?;
    Ok(Some(url.to_owned()))
}

fn required<'a>(field: &str, raw: &'a Option<String>, why: &str) -> Result<&'a str, InvalidAt> {
    present(raw).ok_or_else(|| InvalidAt::new(field, "required", why.to_owned()))
}

/// A WeCom app message, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppNotice {
    TextCard {
        title: String,
        description: String,
        url: String,
        btntxt: String,
    },
    News {
        title: String,
        description: String,
        url: String,
        picurl: String,
    },
    Text {
        content: String,
    },
}

impl AppNotice {
    /// The log's name of the kind: `textcard`, `news`, `text`.
    pub fn kind(&self) -> &'static str {
        match self {
            AppNotice::TextCard { .. } => "textcard",
            AppNotice::News { .. } => "news",
            AppNotice::Text { .. } => "text",
        }
    }

    /// The title as sent (a text message's first line).
    pub fn title(&self) -> &str {
        match self {
            AppNotice::TextCard { title, .. } | AppNotice::News { title, .. } => title,
            AppNotice::Text { content } => content.lines().next().unwrap_or_default(),
        }
    }
}

/// An e-mail, as sent to each reached member with an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailNotice {
    pub subject: String,
    pub body: String,
}

/// What a notice is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    WeCom(AppNotice),
    Email(MailNotice),
}

/// A checked `POST /api/v1/message-centre/send`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub receivers: Receivers,
    pub agent_name: AgentName,
    /// The app to send through; `None`: the message-centre app.
    pub agent_id: Option<AgentId>,
    pub channel: Channel,
}

impl Notice {
    pub fn build(spec: &NoticeSpec) -> Result<Notice, InvalidAt> {
        let receivers = receivers(&spec.to_user, &spec.to_party, Some(&spec.to_tag))?;
        let agent_name = AgentName::parse(&spec.agent_name)?;
        let agent_id = match spec.agent_id.as_ref().map(Code::number) {
            None | Some(Some(None)) => None,
            Some(Some(Some(n))) => Some(AgentId::new(n).map_err(|_| {
                InvalidAt::new(
                    "agentId",
                    "invalid_value",
                    "an AgentID is a positive integer",
                )
            })?),
            Some(None) => {
                return Err(InvalidAt::new(
                    "agentId",
                    "invalid_value",
                    "an AgentID is a positive integer",
                ))
            }
        };
        let send_type = match spec.send_type.as_ref().map(Code::number) {
            None | Some(Some(None)) => {
                return Err(InvalidAt::new(
                    "sendType",
                    "required",
                    "say how to send: \"0\" a WeCom message, \"2\" an e-mail",
                ))
            }
            Some(n) => n.flatten(),
        };
        let channel = match send_type {
            Some(0) => Channel::WeCom(app_notice(spec, &agent_name)?),
            Some(2) => Channel::Email(mail_notice(spec, &agent_name)?),
            _ => {
                return Err(InvalidAt::new(
                    "sendType",
                    "invalid_value",
                    "must be \"0\" (a WeCom message) or \"2\" (an e-mail)",
                ))
            }
        };
        Ok(Notice {
            receivers,
            agent_name,
            agent_id,
            channel,
        })
    }
}

fn app_notice(spec: &NoticeSpec, agent: &AgentName) -> Result<AppNotice, InvalidAt> {
    let msg_type = match spec.msg_type.as_ref().map(Code::number) {
        None | Some(Some(None)) => {
            return Err(InvalidAt::new(
                "msgType",
                "required",
                "a WeCom message (sendType 0) needs msgType: \"01\" text card, \"02\" news, \"03\" text",
            ))
        }
        Some(n) => n.flatten(),
    };
    let content = required(
        "content",
        &spec.content,
        "say what the message says (content)",
    )?;
    match msg_type {
        Some(1) => {
            let title = agent.prefix(required("title", &spec.title, "a text card needs a title")?);
            at_most_bytes(
                "title",
                &title,
                TITLE_MAX_BYTES,
                "the title with its 【agentName】 prefix",
            )?;
            at_most_bytes(
                "content",
                content,
                TEXTCARD_DESCRIPTION_MAX_BYTES,
                "a text card's content",
            )?;
            let url = http_url("url", &spec.url, Some("a text card"))?.unwrap_or_default();
            let btntxt = present(&spec.btntxt).unwrap_or(DEFAULT_BTNTXT).to_owned();
            at_most_bytes("btntxt", &btntxt, BTNTXT_MAX_BYTES, "the button text")?;
            Ok(AppNotice::TextCard {
                title,
                description: content.to_owned(),
                url,
                btntxt,
            })
        }
        Some(2) => {
            let title = agent.prefix(required("title", &spec.title, "news needs a title")?);
            at_most_bytes(
                "title",
                &title,
                TITLE_MAX_BYTES,
                "the title with its 【agentName】 prefix",
            )?;
            at_most_bytes(
                "content",
                content,
                NEWS_DESCRIPTION_MAX_BYTES,
                "a news article's content",
            )?;
            let url = http_url("url", &spec.url, Some("news"))?.unwrap_or_default();
            let picurl = http_url("picUrl", &spec.pic_url, Some("news"))?.unwrap_or_default();
            Ok(AppNotice::News {
                title,
                description: content.to_owned(),
                url,
                picurl,
            })
        }
        Some(3) => {
            let mut text = match present(&spec.title) {
                Some(title) => format!("{}\n{content}", agent.prefix(title)),
                None => agent.prefix(content),
            };
            if let Some(url) = http_url("url", &spec.url, None)? {
                text.push('\n');
                text.push_str(&url);
            }
            at_most_bytes(
                "content",
                &text,
                TEXT_MAX_BYTES,
                "a text message (title, content and url)",
            )?;
            Ok(AppNotice::Text { content: text })
        }
        _ => Err(InvalidAt::new(
            "msgType",
            "invalid_value",
            "must be \"01\" (text card), \"02\" (news) or \"03\" (text)",
        )),
    }
}

fn mail_notice(spec: &NoticeSpec, agent: &AgentName) -> Result<MailNotice, InvalidAt> {
    let subject = agent.prefix(required(
        "title",
        &spec.title,
        "an e-mail needs a title (its subject)",
    )?);
    if subject.chars().count() > SUBJECT_MAX_CHARS || subject.contains(['\r', '\n']) {
        return Err(InvalidAt::new(
            "title",
            "too_long",
            format!("an e-mail subject is one line of at most {SUBJECT_MAX_CHARS} characters"),
        ));
    }
    let content = required(
        "content",
        &spec.content,
        "say what the e-mail says (content)",
    )?;
    let mut body = content.to_owned();
    if let Some(url) = http_url("url", &spec.url, None)? {
        body.push_str("\n\n");
        body.push_str(&url);
    }
    at_most_bytes("content", &body, MAIL_BODY_MAX_BYTES, "an e-mail body")?;
    Ok(MailNotice { subject, body })
}

/// A checked `POST /api/v1/message-centre/sms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsNotice {
    /// Users or departments only.
    pub receivers: Receivers,
    pub agent_name: AgentName,
    pub template_id: String,
    pub params: Vec<String>,
}

impl SmsNotice {
    pub fn build(spec: &SmsSpec) -> Result<SmsNotice, InvalidAt> {
        let receivers = receivers(&spec.to_user, &spec.to_party, None)?;
        let agent_name = AgentName::parse(&spec.agent_name)?;
        let template_id = required(
            "templateId",
            &spec.template_id,
            "name the SMS template (templateId)",
        )?;
        at_most_bytes(
            "templateId",
            template_id,
            TEMPLATE_ID_MAX_BYTES,
            "a template id",
        )?;
        if spec.params.len() > MAX_PARAMS {
            return Err(InvalidAt::new(
                "params",
                "too_many",
                format!("at most {MAX_PARAMS} template variables"),
            ));
        }
        for (i, p) in spec.params.iter().enumerate() {
            if p.chars().count() > PARAM_MAX_CHARS {
                return Err(InvalidAt::new(
                    format!("params[{i}]"),
                    "too_long",
                    format!("a template variable is at most {PARAM_MAX_CHARS} characters"),
                ));
            }
        }
        Ok(SmsNotice {
            receivers,
            agent_name,
            template_id: template_id.to_owned(),
            params: spec.params.clone(),
        })
    }
}

/// A mobile number as logs show it: the last four digits only (`*******5678`).
pub fn mask_mobile(mobile: &str) -> String {
    let chars: Vec<char> = mobile.chars().collect();
    let keep = chars.len().saturating_sub(4).max(chars.len() / 2);
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep { '*' } else { *c })
        .collect()
}

/// The receivers a send could not reach, as WeCom says them: `|`-joined ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Unreached {
    pub invaliduser: String,
    pub invalidparty: String,
    pub invalidtag: String,
}

impl Unreached {
    pub fn from_lists(users: &[String], parties: &[String], tags: &[String]) -> Self {
        Unreached {
            invaliduser: users.join("|"),
            invalidparty: parties.join("|"),
            invalidtag: tags.join("|"),
        }
    }
}

crate::ulid_id!(
    /// One send in the message-centre log (`mcl_…`), sortable by time.
    LogId,
    "mcl_",
    "cursor"
);

/// How a notice went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogChannel {
    /// A WeCom app message (`message/send`).
    Wecom,
    Email,
    Sms,
}

impl LogChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogChannel::Wecom => "wecom",
            LogChannel::Email => "email",
            LogChannel::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "wecom" => Some(LogChannel::Wecom),
            "email" => Some(LogChannel::Email),
            "sms" => Some(LogChannel::Sms),
            _ => None,
        }
    }
}

/// One send as the log keeps it: who sent what to whom, and what came of it. The content
/// itself is not kept (only the title, or the SMS template).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LogEntry {
    pub id: LogId,
    pub at: chrono::DateTime<chrono::Utc>,
    /// `admin`, or the caller's `client_id`.
    pub caller: String,
    /// The calling system's name as it gave it (`agentName`).
    pub agent_name: String,
    pub channel: LogChannel,
    /// The WeCom app sent through (or whose corp's directory gave the addresses).
    pub account: Option<String>,
    /// `textcard`, `news`, `text` (WeCom messages).
    pub msg_type: Option<String>,
    /// The prefixed title (WeCom, e-mail) or the SMS template id.
    pub subject: String,
    pub to_user: String,
    pub to_party: String,
    pub to_tag: String,
    /// Members an e-mail or SMS was handed over for (WeCom does not say).
    pub delivered: Option<u32>,
    pub invaliduser: String,
    pub invalidparty: String,
    pub invalidtag: String,
    /// `sent`, or `failed` with `error`.
    pub outcome: LogOutcome,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogOutcome {
    Sent,
    Failed,
}

impl LogOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            LogOutcome::Sent => "sent",
            LogOutcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sent" => Some(LogOutcome::Sent),
            "failed" => Some(LogOutcome::Failed),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn spec(v: Value) -> NoticeSpec {
        serde_json::from_value(v).expect("spec")
    }

    fn refused(v: Value) -> (String, &'static str) {
        let e = Notice::build(&spec(v)).expect_err("refused");
        (e.field, e.rule)
    }

    fn card() -> Value {
        json!({"toUser": "zhangsan|lisi", "sendType": "0", "msgType": "01", "agentName": "OA",
               "title": "审批", "content": "请审批", "url": "https://oa.example.com/1"})
    }

    #[test]
    fn a_text_card_is_prefixed_with_the_agent_name_and_gets_the_default_button() {
        let n = Notice::build(&spec(card())).expect("built");
        assert_eq!(
            n.receivers,
            Receivers::Users(vec!["zhangsan".into(), "lisi".into()])
        );
        assert_eq!(n.agent_id, None);
        assert_eq!(
            n.channel,
            Channel::WeCom(AppNotice::TextCard {
                title: "【OA】审批".into(),
                description: "请审批".into(),
                url: "https://oa.example.com/1".into(),
                btntxt: "详情".into(),
            })
        );
    }

    #[test]
    fn codes_are_strings_or_numbers() {
        let mut v = card();
        v["sendType"] = json!(0);
        v["msgType"] = json!(3);
        v["agentId"] = json!("1000002");
        let n = Notice::build(&spec(v)).expect("built");
        assert_eq!(n.agent_id.map(AgentId::get), Some(1000002));
        assert!(matches!(n.channel, Channel::WeCom(AppNotice::Text { .. })));
        let mut v = card();
        v["agentId"] = json!("");
        assert_eq!(Notice::build(&spec(v)).expect("built").agent_id, None);
        let mut v = card();
        v["agentId"] = json!("abc");
        assert_eq!(refused(v), ("agentId".into(), "invalid_value"));
        let mut v = card();
        v["sendType"] = json!("1");
        assert_eq!(refused(v), ("sendType".into(), "invalid_value"));
        let mut v = card();
        v["msgType"] = json!("04");
        assert_eq!(refused(v), ("msgType".into(), "invalid_value"));
    }

    #[test]
    fn a_text_message_carries_title_content_and_url() {
        let mut v = card();
        v["msgType"] = json!("03");
        let Channel::WeCom(AppNotice::Text { content }) =
            Notice::build(&spec(v.clone())).expect("built").channel
        else {
            panic!("text");
        };
        assert_eq!(content, "【OA】审批\n请审批\nhttps://oa.example.com/1");
        v.as_object_mut()
            .map(|o| (o.remove("title"), o.remove("url")));
        let Channel::WeCom(AppNotice::Text { content }) =
            Notice::build(&spec(v)).expect("built").channel
        else {
            panic!("text");
        };
        assert_eq!(content, "【OA】请审批");
    }

    #[test]
    fn news_needs_a_picture_and_a_url() {
        let mut v = card();
        v["msgType"] = json!("02");
        assert_eq!(refused(v.clone()), ("picUrl".into(), "required"));
        v["picUrl"] = json!("ftp://x/y.png");
        assert_eq!(refused(v.clone()), ("picUrl".into(), "not_http"));
        v["picUrl"] = json!("https://img.example.com/a.png");
        assert!(matches!(
            Notice::build(&spec(v.clone())).expect("built").channel,
            Channel::WeCom(AppNotice::News { .. })
        ));
        v["url"] = json!(null);
        assert_eq!(refused(v), ("url".into(), "required"));
    }

    #[test]
    fn exactly_one_kind_of_receiver() {
        let mut v = card();
        v["toParty"] = json!("2");
        assert_eq!(refused(v), ("toParty".into(), "one_receiver_kind"));
        let mut v = card();
        v["toUser"] = json!(" | ");
        assert_eq!(refused(v), ("toUser".into(), "required"));
        let mut v = card();
        v["toUser"] = json!("");
        v["toTag"] = json!("1|x");
        assert_eq!(refused(v), ("toTag".into(), "invalid_value"));
        let mut v = card();
        v["toUser"] = json!("@all");
        assert_eq!(
            Notice::build(&spec(v)).expect("built").receivers,
            Receivers::All
        );
        let mut v = card();
        v["toUser"] = json!("@all|zhangsan");
        assert_eq!(refused(v), ("toUser".into(), "all_with_others"));
    }

    #[test]
    fn more_than_a_thousand_users_are_refused() {
        let mut v = card();
        let users: Vec<String> = (0..=MAX_USERS).map(|i| format!("u{i}")).collect();
        v["toUser"] = json!(users.join("|"));
        assert_eq!(refused(v.clone()), ("toUser".into(), "too_many"));
        v["toUser"] = json!(users[..MAX_USERS].join("|"));
        assert!(Notice::build(&spec(v)).is_ok());
    }

    #[test]
    fn limits_count_the_prefixed_title() {
        let mut v = card();
        v["title"] = json!("长".repeat(41));
        assert_eq!(refused(v), ("title".into(), "too_long"));
    }

    #[test]
    fn an_email_has_the_prefixed_title_as_subject_and_the_url_in_its_body() {
        let mut v = card();
        v["sendType"] = json!("2");
        v["msgType"] = json!(null);
        let n = Notice::build(&spec(v)).expect("built");
        assert_eq!(
            n.channel,
            Channel::Email(MailNotice {
                subject: "【OA】审批".into(),
                body: "请审批\n\nhttps://oa.example.com/1".into(),
            })
        );
    }

    #[test]
    fn required_fields_are_named() {
        for (field, rule) in [
            ("agentName", "required"),
            ("sendType", "required"),
            ("content", "required"),
            ("title", "required"),
        ] {
            let mut v = card();
            v[field] = json!(null);
            assert_eq!(refused(v), (field.to_string(), rule), "{field}");
        }
        let mut v = card();
        v["msgType"] = json!(null);
        assert_eq!(refused(v), ("msgType".into(), "required"));
    }

    #[test]
    fn an_sms_takes_users_or_departments_and_a_template() {
        let sms: SmsSpec = serde_json::from_value(json!({"toParty": "2", "templateId": "T1",
            "params": ["666666", "5"], "agentName": "OA"}))
        .expect("spec");
        let n = SmsNotice::build(&sms).expect("built");
        assert_eq!(n.receivers, Receivers::Parties(vec!["2".into()]));
        assert_eq!(n.params, vec!["666666", "5"]);
        let none: SmsSpec =
            serde_json::from_value(json!({"templateId": "T1", "agentName": "OA"})).expect("spec");
        assert_eq!(
            SmsNotice::build(&none).expect_err("refused").field,
            "toUser"
        );
    }

    #[test]
    fn mobiles_are_masked_but_for_their_last_digits() {
        assert_eq!(mask_mobile("13800138000"), "*******8000");
        assert_eq!(mask_mobile("1234"), "**34");
        assert_eq!(mask_mobile(""), "");
    }
}
