//! Replies that come too late for the passive answer go out as customer-service messages
//! (Official Accounts: `cgi-bin/message/custom/send`; WeCom apps: `cgi-bin/message/send`),
//! through the token centre with its retry-once rule.

use async_trait::async_trait;

use super::model::ReplyContent;
use crate::accounts::model::{AccountApp, AccountId};
use crate::accounts::AccountService;
use crate::tokens::TokenService;
use crate::wechat::client::WeChatClient;
use crate::wechat::mp::message::{self as mp_message, Article, Content, CustomMessage};
use crate::wechat::work::message::{self as work_message, AppMessage};
use crate::wechat::Api;

/// Sends one reply to one user outside the passive answer.
#[async_trait]
pub trait LateReplySender: Send + Sync + 'static {
    async fn send(
        &self,
        account: &AccountId,
        openid: &str,
        content: &ReplyContent,
    ) -> anyhow::Result<()>;
}

/// The customer-service message content for `content`. WeCom app messages carry the same
/// content (a video's `thumb_media_id` is its `media_id`, as WeChat needs one).
pub fn message_content(content: &ReplyContent) -> Content {
    use crate::wechat::mp::message::{MediaRef, Music, News, Text, Video};
    match content {
        ReplyContent::Text { content } => Content::Text {
            text: Text {
                content: content.clone(),
            },
        },
        ReplyContent::Image { media_id } => Content::Image {
            image: MediaRef {
                media_id: media_id.clone(),
            },
        },
        ReplyContent::Voice { media_id } => Content::Voice {
            voice: MediaRef {
                media_id: media_id.clone(),
            },
        },
        ReplyContent::Video {
            media_id,
            title,
            description,
        } => Content::Video {
            video: Video {
                media_id: media_id.clone(),
                thumb_media_id: media_id.clone(),
                title: title.clone(),
                description: description.clone(),
            },
        },
        ReplyContent::Music {
            title,
            description,
            music_url,
            hq_music_url,
            thumb_media_id,
        } => Content::Music {
            music: Music {
                title: title.clone(),
                description: description.clone(),
                music_url: music_url.clone(),
                hq_music_url: hq_music_url.clone(),
                thumb_media_id: thumb_media_id.clone(),
            },
        },
        ReplyContent::News { articles } => Content::News {
            news: News {
                articles: articles
                    .iter()
                    .map(|a| Article {
                        title: a.title.clone(),
                        description: a.description.clone(),
                        url: a.url.clone(),
                        pic_url: a.pic_url.clone(),
                    })
                    .collect(),
            },
        },
    }
}

/// The token centre's way: the account's access_token, the WeChat client, retry once.
pub struct TokenCentreSender {
    pub tokens: TokenService,
    pub accounts: AccountService,
    pub client: WeChatClient,
}

#[async_trait]
impl LateReplySender for TokenCentreSender {
    async fn send(
        &self,
        account: &AccountId,
        openid: &str,
        content: &ReplyContent,
    ) -> anyhow::Result<()> {
        let account_info = self.accounts.get(account).await?;
        let content = message_content(content);
        let handle = self.tokens.handle(account.as_str());
        let api = Api::for_account(&self.client, &account_info.api_base, account.as_str());
        match &account_info.app {
            AccountApp::Mp { .. } => {
                let message = CustomMessage {
                    touser: openid.to_owned(),
                    content,
                };
                mp_message::send_custom(&api, &handle, &message)
                    .await
                    .map(drop)
            }
            AccountApp::Work { agentid, .. } => {
                let message = work_reply(openid, agentid.get(), content);
                work_message::send(&api, &handle, &message).await.map(drop)
            }
        }
        .map_err(|e| anyhow::anyhow!("sending a customer-service message: {e}"))?;
        Ok(())
    }
}

/// A late reply from a WeCom app to one member.
fn work_reply(userid: &str, agentid: i64, content: Content) -> AppMessage<Content> {
    AppMessage {
        touser: Some(userid.to_owned()),
        toparty: None,
        totag: None,
        agentid,
        content,
        safe: None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::replies::model::ArticleSpec;

    /// The body this module built by hand before the typed client: the reference the
    /// typed requests must match byte for byte (as JSON values).
    fn hand_built(content: &ReplyContent) -> (&'static str, Value) {
        match content {
            ReplyContent::Text { content } => ("text", json!({"content": content})),
            ReplyContent::Image { media_id } => ("image", json!({"media_id": media_id})),
            ReplyContent::Voice { media_id } => ("voice", json!({"media_id": media_id})),
            ReplyContent::Video {
                media_id,
                title,
                description,
            } => (
                "video",
                json!({"media_id": media_id, "thumb_media_id": media_id, "title": title, "description": description}),
            ),
            ReplyContent::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            } => (
                "music",
                json!({"title": title, "description": description, "musicurl": music_url,
                       "hqmusicurl": hq_music_url, "thumb_media_id": thumb_media_id}),
            ),
            ReplyContent::News { articles } => (
                "news",
                json!({"articles": articles.iter().map(|a| json!({
                    "title": a.title, "description": a.description, "url": a.url, "picurl": a.pic_url
                })).collect::<Vec<_>>()}),
            ),
        }
    }

    fn every_kind() -> Vec<ReplyContent> {
        vec![
            ReplyContent::Text {
                content: "你好 <b>".into(),
            },
            ReplyContent::Image {
                media_id: "img1".into(),
            },
            ReplyContent::Voice {
                media_id: "voi1".into(),
            },
            ReplyContent::Video {
                media_id: "vid1".into(),
                title: "t".into(),
                description: String::new(),
            },
            ReplyContent::Music {
                title: "m".into(),
                description: "d".into(),
                music_url: "http://m".into(),
                hq_music_url: String::new(),
                thumb_media_id: "th1".into(),
            },
            ReplyContent::News {
                articles: vec![
                    ArticleSpec {
                        title: "a".into(),
                        description: "b".into(),
                        pic_url: "http://p".into(),
                        url: "http://u".into(),
                    },
                    ArticleSpec {
                        title: "c".into(),
                        description: String::new(),
                        pic_url: String::new(),
                        url: String::new(),
                    },
                ],
            },
        ]
    }

    #[test]
    fn official_account_requests_are_the_json_sent_before() {
        for content in every_kind() {
            let (msgtype, inner) = hand_built(&content);
            let typed = CustomMessage {
                touser: "o1".into(),
                content: message_content(&content),
            };
            assert_eq!(
                serde_json::to_value(&typed).expect("json"),
                json!({"touser": "o1", "msgtype": msgtype, msgtype: inner}),
                "{msgtype}"
            );
        }
    }

    #[test]
    fn wecom_requests_are_the_json_sent_before() {
        for content in every_kind() {
            let (msgtype, inner) = hand_built(&content);
            let typed = work_reply("zhangsan", 1000002, message_content(&content));
            assert_eq!(
                serde_json::to_value(&typed).expect("json"),
                json!({"touser": "zhangsan", "msgtype": msgtype, "agentid": 1000002, msgtype: inner}),
                "{msgtype}"
            );
        }
    }
}
