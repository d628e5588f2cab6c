//! App messages (应用消息): `POST cgi-bin/message/send`, from one app to users, departments
//! and tags (each a `|`-joined list; `touser: "@all"` reaches everyone in the app's range).

use serde::{Deserialize, Serialize};

use crate::wechat::call::{Api, CallError, Endpoint, Method};
use crate::wechat::mp::message::{MediaRef, News, Text};
use crate::wechat::retry::TokenHandle;

/// `{"touser"?, "toparty"?, "totag"?, "agentid", "msgtype", <msgtype>: {…}, "safe"?}`.
///
/// Generic over the content so a caller whose content is the Official Account's
/// customer-service kinds (late replies) sends them unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppMessage<C = AppContent> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touser: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toparty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totag: Option<String>,
    pub agentid: i64,
    #[serde(flatten)]
    pub content: C,
    /// 1: the message may not be forwarded (shows a watermark).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe: Option<u8>,
}

impl<C: Serialize + Sync> Endpoint for AppMessage<C> {
    type Answer = AppMessageSent;
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "cgi-bin/message/send";
}

/// Joins receivers the way WeCom takes them: `a|b|c`.
pub fn receivers<S: AsRef<str>>(ids: &[S]) -> Option<String> {
    (!ids.is_empty()).then(|| ids.iter().map(AsRef::as_ref).collect::<Vec<_>>().join("|"))
}

/// WeCom's app message kinds (the common ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "msgtype", rename_all = "lowercase")]
pub enum AppContent {
    Text { text: Text },
    Image { image: MediaRef },
    Voice { voice: MediaRef },
    Video { video: Video },
    File { file: MediaRef },
    Textcard { textcard: TextCard },
    News { news: News },
    Markdown { markdown: Text },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Video {
    pub media_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextCard {
    pub title: String,
    pub description: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub btntxt: Option<String>,
}

/// Receivers WeCom could not reach come back `|`-joined; the message went to the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AppMessageSent {
    pub invaliduser: String,
    pub invalidparty: String,
    pub invalidtag: String,
    pub msgid: String,
}

/// Sends an app message.
pub async fn send<H, C>(
    api: &Api<'_>,
    tokens: &H,
    request: &AppMessage<C>,
) -> Result<AppMessageSent, CallError<H::Error>>
where
    H: TokenHandle + ?Sized,
    C: Serialize + Sync,
{
    api.call(tokens, request).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_app_message_names_its_receivers_and_agent() {
        let m = AppMessage {
            touser: receivers(&["zhangsan", "lisi"]),
            toparty: receivers(&["2"]),
            totag: None,
            agentid: 1000002,
            content: AppContent::Textcard {
                textcard: TextCard {
                    title: "t".into(),
                    description: "d".into(),
                    url: "https://x".into(),
                    btntxt: None,
                },
            },
            safe: None,
        };
        assert_eq!(
            serde_json::to_value(&m).expect("json"),
            json!({"touser": "zhangsan|lisi", "toparty": "2", "agentid": 1000002,
                   "msgtype": "textcard",
                   "textcard": {"title": "t", "description": "d", "url": "https://x"}})
        );
        assert_eq!(receivers::<&str>(&[]), None);
    }
}
