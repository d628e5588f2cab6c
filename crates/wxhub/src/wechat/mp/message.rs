//! Messages to one follower: customer-service messages (`cgi-bin/message/custom/send`,
//! within 48 hours of the user's last interaction) and template messages
//! (`cgi-bin/message/template/send`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wechat::call::{endpoint, Ack, Api, CallError};
use crate::wechat::retry::TokenHandle;

/// `POST cgi-bin/message/custom/send`: `{"touser", "msgtype", <msgtype>: {…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomMessage {
    pub touser: String,
    #[serde(flatten)]
    pub content: Content,
}
endpoint!(CustomMessage => Ack, Post, "cgi-bin/message/custom/send");

/// A message's content, tagged by `msgtype` with the body under the type's own key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "msgtype", rename_all = "lowercase")]
pub enum Content {
    Text { text: Text },
    Image { image: MediaRef },
    Voice { voice: MediaRef },
    Video { video: Video },
    Music { music: Music },
    News { news: News },
    Mpnews { mpnews: MediaRef },
    Miniprogrampage { miniprogrampage: MiniProgramPage },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub content: String,
}

/// An uploaded media file, by its `media_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    pub media_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Video {
    pub media_id: String,
    pub thumb_media_id: String,
    pub title: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Music {
    pub title: String,
    pub description: String,
    #[serde(rename = "musicurl")]
    pub music_url: String,
    #[serde(rename = "hqmusicurl")]
    pub hq_music_url: String,
    pub thumb_media_id: String,
}

/// A link message of 1–8 articles (WeChat shows only the first in customer-service
/// messages since 2018).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct News {
    pub articles: Vec<Article>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub title: String,
    pub description: String,
    pub url: String,
    #[serde(rename = "picurl")]
    pub pic_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiniProgramPage {
    pub title: String,
    pub appid: String,
    pub pagepath: String,
    pub thumb_media_id: String,
}

/// `POST cgi-bin/message/template/send`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateMessage {
    pub touser: String,
    pub template_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub miniprogram: Option<MiniProgram>,
    /// `{"first": {"value": "…", "color": "#173177"}, …}` by the template's keywords.
    pub data: BTreeMap<String, TemplateValue>,
    /// WeChat drops a repeat of the same `client_msg_id` to the same user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
}
endpoint!(TemplateMessage => TemplateSent, Post, "cgi-bin/message/template/send");

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MiniProgram {
    pub appid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateValue {
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

impl TemplateValue {
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            color: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TemplateSent {
    pub msgid: i64,
}

/// Sends a customer-service message.
pub async fn send_custom<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &CustomMessage,
) -> Result<Ack, CallError<H::Error>> {
    api.call(tokens, request).await
}

/// Sends a template message; answers WeChat's `msgid`.
pub async fn send_template<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &TemplateMessage,
) -> Result<TemplateSent, CallError<H::Error>> {
    api.call(tokens, request).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_custom_message_puts_the_body_under_its_msgtype() {
        let m = CustomMessage {
            touser: "o1".into(),
            content: Content::Text {
                text: Text {
                    content: "hi".into(),
                },
            },
        };
        assert_eq!(
            serde_json::to_value(&m).expect("json"),
            json!({"touser": "o1", "msgtype": "text", "text": {"content": "hi"}})
        );
    }

    #[test]
    fn a_template_message_leaves_out_what_is_not_given() {
        let m = TemplateMessage {
            touser: "o1".into(),
            template_id: "t1".into(),
            url: None,
            miniprogram: Some(MiniProgram {
                appid: "wxa".into(),
                pagepath: None,
            }),
            data: BTreeMap::from([("first".to_owned(), TemplateValue::new("你好"))]),
            client_msg_id: Some("c1".into()),
        };
        assert_eq!(
            serde_json::to_value(&m).expect("json"),
            json!({"touser": "o1", "template_id": "t1", "miniprogram": {"appid": "wxa"},
                   "data": {"first": {"value": "你好"}}, "client_msg_id": "c1"})
        );
    }
}
