//! Replies that come too late for the passive answer go out as customer-service messages
//! (Official Accounts: `cgi-bin/message/custom/send`; WeCom apps: `cgi-bin/message/send`),
//! through the token centre with its retry-once rule.

use async_trait::async_trait;
use serde_json::{json, Value};

use super::model::ReplyContent;
use crate::accounts::model::{AccountApp, AccountId};
use crate::accounts::AccountService;
use crate::tokens::TokenService;
use crate::wechat::client::WeChatClient;
use crate::wechat::retry::with_token_retry;

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

/// The customer-service message body for `content` (`touser` added by the caller).
pub fn message_body(content: &ReplyContent) -> (&'static str, Value) {
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
        let (msgtype, inner) = message_body(content);
        let (path, body) = match &account_info.app {
            AccountApp::Mp { .. } => (
                "cgi-bin/message/custom/send",
                json!({"touser": openid, "msgtype": msgtype, msgtype: inner}),
            ),
            AccountApp::Work { agentid, .. } => (
                "cgi-bin/message/send",
                json!({"touser": openid, "msgtype": msgtype, "agentid": agentid.get(), msgtype: inner}),
            ),
        };
        let handle = self.tokens.handle(account.as_str());
        let base = account_info.api_base.clone();
        with_token_retry(&handle, |token| {
            let body = body.clone();
            let client = self.client.clone();
            let base = base.clone();
            async move {
                client
                    .post_json::<Value, _>(&base, path, &[("access_token", token.expose())], &body)
                    .await
            }
        })
        .await
        .map_err(|e| anyhow::anyhow!("sending a customer-service message: {e}"))?;
        Ok(())
    }
}
