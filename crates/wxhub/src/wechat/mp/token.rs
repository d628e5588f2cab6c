//! An Official Account's credentials: access_token (classic and stable) and the JS-SDK
//! jsapi_ticket.

use serde::Serialize;

use crate::wechat::client::WeChatClient;
use crate::wechat::credential::{fetch_ticket, Issued, TokenAnswer};
use crate::wechat::error::WeChatError;

#[derive(Serialize)]
struct StableTokenBody<'a> {
    grant_type: &'a str,
    appid: &'a str,
    secret: &'a str,
    force_refresh: bool,
}

/// `GET /cgi-bin/token` — an Official Account's access_token.
pub async fn access_token(
    client: &WeChatClient,
    api_base: &str,
    appid: &str,
    secret: &str,
) -> Result<Issued, WeChatError> {
    let query = [
        ("grant_type", "client_credential"),
        ("appid", appid),
        ("secret", secret),
    ];
    let answer: TokenAnswer = client.get_json(api_base, "cgi-bin/token", &query).await?;
    Ok(answer.into())
}

/// `POST /cgi-bin/stable_token` — the stable access_token; `force_refresh` is rate
/// limited by WeChat, so callers only set it when the current token was rejected.
pub async fn stable_access_token(
    client: &WeChatClient,
    api_base: &str,
    appid: &str,
    secret: &str,
    force_refresh: bool,
) -> Result<Issued, WeChatError> {
    let body = StableTokenBody {
        grant_type: "client_credential",
        appid,
        secret,
        force_refresh,
    };
    let answer: TokenAnswer = client
        .post_json(api_base, "cgi-bin/stable_token", &[], &body)
        .await?;
    Ok(answer.into())
}

/// `GET /cgi-bin/ticket/getticket?type=jsapi` — an Official Account's jsapi_ticket.
pub async fn jsapi_ticket(
    client: &WeChatClient,
    api_base: &str,
    access_token: &str,
) -> Result<Issued, WeChatError> {
    let query = [("access_token", access_token), ("type", "jsapi")];
    fetch_ticket(client, api_base, "cgi-bin/ticket/getticket", &query).await
}
