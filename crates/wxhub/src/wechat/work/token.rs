//! A WeCom app's credentials: access_token (`gettoken`, one per app secret), the corp's
//! jsapi_ticket and the app's agent_config ticket.

use crate::wechat::client::WeChatClient;
use crate::wechat::credential::{fetch_ticket, Issued, TokenAnswer};
use crate::wechat::error::WeChatError;

/// `GET /cgi-bin/gettoken` — a WeCom app's access_token (each app has its own secret).
pub async fn access_token(
    client: &WeChatClient,
    api_base: &str,
    corpid: &str,
    secret: &str,
) -> Result<Issued, WeChatError> {
    let query = [("corpid", corpid), ("corpsecret", secret)];
    let answer: TokenAnswer = client
        .get_json(api_base, "cgi-bin/gettoken", &query)
        .await?;
    Ok(answer.into())
}

/// `GET /cgi-bin/get_jsapi_ticket` — the WeCom corp's jsapi_ticket (for `wx.config`).
pub async fn jsapi_ticket(
    client: &WeChatClient,
    api_base: &str,
    access_token: &str,
) -> Result<Issued, WeChatError> {
    let query = [("access_token", access_token)];
    fetch_ticket(client, api_base, "cgi-bin/get_jsapi_ticket", &query).await
}

/// `GET /cgi-bin/ticket/get?type=agent_config` — a WeCom app's ticket for `wx.agentConfig`.
pub async fn agent_config_ticket(
    client: &WeChatClient,
    api_base: &str,
    access_token: &str,
) -> Result<Issued, WeChatError> {
    let query = [("access_token", access_token), ("type", "agent_config")];
    fetch_ticket(client, api_base, "cgi-bin/ticket/get", &query).await
}
