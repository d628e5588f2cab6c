//! Reply rules: what to match and what to answer. Both are tagged enums stored as JSON.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wx_protocol::{Article, Event, InboundBody, InboundMessage, NewsArticles, Reply};

use crate::accounts::model::AccountId;
use crate::callers::model::ClientId;
use crate::core::signing::WebhookSecret;
use crate::core::InvalidField;
use crate::webhooks::url::parse_endpoint_url;

crate::ulid_id!(
    /// `rule_<ulid>`.
    RuleId, "rule_", "rule_id"
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeywordMode {
    Exact,
    Contains,
    Regex,
}

/// What a rule matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleMatch {
    /// A text message whose content (trimmed) equals, contains or matches `pattern`.
    Keyword { mode: KeywordMode, pattern: String },
    /// An event of this normalised type (`subscribe`, `scan`, `click`, `location` …).
    Event { event: String },
    /// A menu button with this key (click, scancode_*, pic_*, location_select).
    MenuKey { key: String },
    /// A follow or scan through a QR code of this caller source (0 = plain follow or a
    /// permanent code).
    QrSource { source: u8 },
    /// Any text message: the fallback reply.
    AnyText,
}

/// One article of a news reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ArticleSpec {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub pic_url: String,
    #[serde(default)]
    pub url: String,
}

/// A passive reply's content, as rules and reply webhooks give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReplyContent {
    Text {
        content: String,
    },
    News {
        articles: Vec<ArticleSpec>,
    },
    Image {
        media_id: String,
    },
    Voice {
        media_id: String,
    },
    Video {
        media_id: String,
        #[serde(default)]
        title: String,
        #[serde(default)]
        description: String,
    },
    Music {
        #[serde(default)]
        title: String,
        #[serde(default)]
        description: String,
        #[serde(default)]
        music_url: String,
        #[serde(default)]
        hq_music_url: String,
        thumb_media_id: String,
    },
}

impl ReplyContent {
    pub fn validate(&self) -> Result<(), InvalidField> {
        let nonempty = |field: &'static str, v: &str| {
            if v.trim().is_empty() {
                Err(InvalidField::new(field, "must not be empty"))
            } else {
                Ok(())
            }
        };
        match self {
            ReplyContent::Text { content } => nonempty("content", content),
            ReplyContent::News { articles } => {
                if articles.is_empty() || articles.len() > wx_protocol::MAX_NEWS_ARTICLES {
                    return Err(InvalidField::new("articles", "must hold 1 to 8 articles"));
                }
                articles
                    .iter()
                    .try_for_each(|a| nonempty("articles.title", &a.title))
            }
            ReplyContent::Image { media_id }
            | ReplyContent::Voice { media_id }
            | ReplyContent::Video { media_id, .. } => nonempty("media_id", media_id),
            ReplyContent::Music { thumb_media_id, .. } => {
                nonempty("thumb_media_id", thumb_media_id)
            }
        }
    }

    /// The content of a passive reply given in WeChat's XML (a `"format": "wechat"` reply
    /// webhook's answer).
    pub fn from_reply(reply: Reply) -> ReplyContent {
        match reply {
            Reply::Text { content } => ReplyContent::Text { content },
            Reply::Image { media_id } => ReplyContent::Image { media_id },
            Reply::Voice { media_id } => ReplyContent::Voice { media_id },
            Reply::Video {
                media_id,
                title,
                description,
            } => ReplyContent::Video {
                media_id,
                title,
                description,
            },
            Reply::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            } => ReplyContent::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            },
            Reply::News(news) => ReplyContent::News {
                articles: news
                    .articles()
                    .iter()
                    .map(|a| ArticleSpec {
                        title: a.title.clone(),
                        description: a.description.clone(),
                        pic_url: a.pic_url.clone(),
                        url: a.url.clone(),
                    })
                    .collect(),
            },
        }
    }

    /// The wire reply. Call [`ReplyContent::validate`] first; an invalid news reply
    /// becomes `None`.
    pub fn to_reply(&self) -> Option<Reply> {
        Some(match self.clone() {
            ReplyContent::Text { content } => Reply::Text { content },
            ReplyContent::News { articles } => Reply::News(
                NewsArticles::new(
                    articles
                        .into_iter()
                        .map(|a| Article {
                            title: a.title,
                            description: a.description,
                            pic_url: a.pic_url,
                            url: a.url,
                        })
                        .collect(),
                )
                .ok()?,
            ),
            ReplyContent::Image { media_id } => Reply::Image { media_id },
            ReplyContent::Voice { media_id } => Reply::Voice { media_id },
            ReplyContent::Video {
                media_id,
                title,
                description,
            } => Reply::Video {
                media_id,
                title,
                description,
            },
            ReplyContent::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            } => Reply::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            },
        })
    }
}

/// Default and ceiling for a reply webhook's deadline: WeChat waits 5 s for the whole
/// answer, so the hub keeps a margin for storing, encrypting and the network.
pub const DEFAULT_WEBHOOK_TIMEOUT_MS: u64 = 3000;
pub const MAX_WEBHOOK_TIMEOUT_MS: u64 = 4000;

/// How a reply webhook is asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// The normalised event as JSON, signed per Standard Webhooks; answer `{"reply": …}`.
    #[default]
    Json,
    /// The callback as WeChat sends it in plaintext mode: the XML body, with `signature`,
    /// `timestamp`, `nonce` and `openid` in the query, signed with the rule's relay token;
    /// answer a passive reply in WeChat's XML (or `success` / nothing). An existing WxJava,
    /// EasyWeChat or wechatpy handler works unchanged behind the hub.
    Wechat,
}

/// What a matching rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleAction {
    /// Answer with this content.
    Reply { reply: ReplyContent },
    /// Ask the caller's reply webhook (POST of the normalised event, signed per Standard
    /// Webhooks with the rule's own secret; answer `{"reply": ReplyContent}` or no body). Past
    /// `timeout_ms` the hub answers WeChat with `success` and sends the webhook's late reply as
    /// a customer-service message.
    Webhook {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
        #[serde(default)]
        format: WebhookFormat,
    },
}

impl RuleAction {
    pub fn is_webhook(&self) -> bool {
        matches!(self, RuleAction::Webhook { .. })
    }

    /// A webhook that is asked in WeChat's own format (and so has a relay token).
    pub fn is_wechat_webhook(&self) -> bool {
        matches!(
            self,
            RuleAction::Webhook {
                format: WebhookFormat::Wechat,
                ..
            }
        )
    }

    pub fn validate(&self) -> Result<(), InvalidField> {
        match self {
            RuleAction::Reply { reply } => reply.validate(),
            RuleAction::Webhook {
                url, timeout_ms, ..
            } => {
                // The same form as an event webhook's; whether its address is allowed is the
                // service's check (it needs the config and may resolve the name).
                parse_endpoint_url(url)?;
                match timeout_ms {
                    Some(t) if *t == 0 || *t > MAX_WEBHOOK_TIMEOUT_MS => Err(InvalidField::new(
                        "timeout_ms",
                        format!("must be 1 to {MAX_WEBHOOK_TIMEOUT_MS}"),
                    )),
                    _ => Ok(()),
                }
            }
        }
    }
}

impl RuleMatch {
    pub fn validate(&self) -> Result<(), InvalidField> {
        match self {
            RuleMatch::Keyword { mode, pattern } => {
                if pattern.is_empty() {
                    return Err(InvalidField::new("pattern", "must not be empty"));
                }
                if *mode == KeywordMode::Regex {
                    regex::RegexBuilder::new(pattern)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|_| InvalidField::new("pattern", "is not a valid regex"))?;
                }
                Ok(())
            }
            RuleMatch::Event { event } if event.trim().is_empty() => {
                Err(InvalidField::new("event", "must not be empty"))
            }
            RuleMatch::MenuKey { key } if key.is_empty() => {
                Err(InvalidField::new("key", "must not be empty"))
            }
            RuleMatch::QrSource { source } if *source > 31 => {
                Err(InvalidField::new("source", "must be 0 to 31"))
            }
            _ => Ok(()),
        }
    }
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReplyRule {
    pub id: RuleId,
    pub account: AccountId,
    pub name: Option<String>,
    /// Lower runs first; the first matching enabled rule answers.
    pub priority: i32,
    pub enabled: bool,
    #[serde(rename = "match")]
    pub matcher: RuleMatch,
    pub action: RuleAction,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Webhook rules only: whether the rule has a signing secret. The secret itself is shown
    /// once, when the rule becomes a webhook rule or the secret is rotated. `false` for rules
    /// from before signing existed: their requests go unsigned until the secret is rotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret_set: Option<bool>,
    /// The caller that made the rule (its client id); `null` for the admin's rules. A caller
    /// sees and changes only its own rules; every enabled rule of the account is evaluated.
    #[schema(value_type = Option<String>)]
    pub owner: Option<ClientId>,
}

/// A rule compiled for matching (the regex built once, the webhook secret opened once).
pub(crate) struct CompiledRule {
    pub rule: ReplyRule,
    pub secret: Option<WebhookSecret>,
    regex: Option<regex::Regex>,
}

impl CompiledRule {
    pub fn new(rule: ReplyRule, secret: Option<WebhookSecret>) -> Self {
        let regex = match &rule.matcher {
            RuleMatch::Keyword {
                mode: KeywordMode::Regex,
                pattern,
            } => regex::RegexBuilder::new(pattern)
                .size_limit(1 << 20)
                .build()
                .ok(),
            _ => None,
        };
        CompiledRule {
            rule,
            secret,
            regex,
        }
    }

    pub fn matches(&self, message: &InboundMessage, event_type: &str) -> bool {
        if !self.rule.enabled {
            return false;
        }
        match (&self.rule.matcher, &message.body) {
            (RuleMatch::Keyword { mode, pattern }, InboundBody::Text { content, .. }) => {
                let text = content.trim();
                match mode {
                    KeywordMode::Exact => text == pattern,
                    KeywordMode::Contains => text.contains(pattern.as_str()),
                    KeywordMode::Regex => self.regex.as_ref().is_some_and(|r| r.is_match(text)),
                }
            }
            (RuleMatch::AnyText, InboundBody::Text { .. }) => true,
            (RuleMatch::Event { event }, InboundBody::Event(_)) => {
                event.eq_ignore_ascii_case(event_type)
            }
            (
                RuleMatch::MenuKey { key },
                InboundBody::Event(
                    Event::Click { event_key }
                    | Event::ScancodePush { event_key, .. }
                    | Event::ScancodeWaitmsg { event_key, .. }
                    | Event::PicSysphoto { event_key, .. }
                    | Event::PicPhotoOrAlbum { event_key, .. }
                    | Event::PicWeixin { event_key, .. }
                    | Event::LocationSelect { event_key, .. },
                ),
            ) => event_key == key,
            (RuleMatch::QrSource { source }, InboundBody::Event(e)) => {
                e.scan_info().is_some_and(|s| s.scene.source == *source)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wechat_reply_comes_back_as_the_content_that_makes_it() {
        let contents = [
            ReplyContent::Text {
                content: "hi".into(),
            },
            ReplyContent::Image {
                media_id: "m1".into(),
            },
            ReplyContent::Voice {
                media_id: "m2".into(),
            },
            ReplyContent::Video {
                media_id: "m3".into(),
                title: "t".into(),
                description: "d".into(),
            },
            ReplyContent::Music {
                title: "t".into(),
                description: "d".into(),
                music_url: "http://m".into(),
                hq_music_url: "http://hq".into(),
                thumb_media_id: "th".into(),
            },
            ReplyContent::News {
                articles: vec![ArticleSpec {
                    title: "a".into(),
                    description: "b".into(),
                    pic_url: "http://p".into(),
                    url: "http://u".into(),
                }],
            },
        ];
        for content in contents {
            let reply = content.to_reply().expect("a wire reply");
            assert_eq!(ReplyContent::from_reply(reply), content);
        }
    }
}
