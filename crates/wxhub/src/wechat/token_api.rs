//! WeChat's credential endpoints: access_token (MP classic and stable, WeCom) and the
//! JS-SDK tickets. Each answer's `expires_in` is returned as given, never assumed.

use serde::{Deserialize, Serialize};

use super::client::WeChatClient;
use super::error::WeChatError;

/// A credential as WeChat hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub value: String,
    pub expires_in: u64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct TicketAnswer {
    ticket: String,
    expires_in: u64,
}

#[derive(Serialize)]
struct StableTokenBody<'a> {
    grant_type: &'a str,
    appid: &'a str,
    secret: &'a str,
    force_refresh: bool,
}

impl From<TokenAnswer> for Issued {
    fn from(a: TokenAnswer) -> Self {
        Self {
            value: a.access_token,
            expires_in: a.expires_in,
        }
    }
}

impl From<TicketAnswer> for Issued {
    fn from(a: TicketAnswer) -> Self {
        Self {
            value: a.ticket,
            expires_in: a.expires_in,
        }
    }
}

impl WeChatClient {
    /// `GET /cgi-bin/token` — an Official Account's access_token.
    pub async fn mp_token(
        &self,
        api_base: &str,
        appid: &str,
        secret: &str,
    ) -> Result<Issued, WeChatError> {
        let query = [
            ("grant_type", "client_credential"),
            ("appid", appid),
            ("secret", secret),
        ];
        let answer: TokenAnswer = self.get_json(api_base, "cgi-bin/token", &query).await?;
        Ok(answer.into())
    }

    /// `POST /cgi-bin/stable_token` — the stable access_token; `force_refresh` is rate
    /// limited by WeChat, so callers only set it when the current token was rejected.
    pub async fn mp_stable_token(
        &self,
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
        let answer: TokenAnswer = self
            .post_json(api_base, "cgi-bin/stable_token", &[], &body)
            .await?;
        Ok(answer.into())
    }

    /// `GET /cgi-bin/gettoken` — a WeCom app's access_token (each app has its own secret).
    pub async fn work_token(
        &self,
        api_base: &str,
        corpid: &str,
        secret: &str,
    ) -> Result<Issued, WeChatError> {
        let query = [("corpid", corpid), ("corpsecret", secret)];
        let answer: TokenAnswer = self.get_json(api_base, "cgi-bin/gettoken", &query).await?;
        Ok(answer.into())
    }

    /// `GET /cgi-bin/ticket/getticket?type=jsapi` — an Official Account's jsapi_ticket.
    pub async fn mp_jsapi_ticket(
        &self,
        api_base: &str,
        access_token: &str,
    ) -> Result<Issued, WeChatError> {
        let query = [("access_token", access_token), ("type", "jsapi")];
        let answer: TicketAnswer = self
            .get_json(api_base, "cgi-bin/ticket/getticket", &query)
            .await?;
        Ok(answer.into())
    }

    /// `GET /cgi-bin/get_jsapi_ticket` — the WeCom corp's jsapi_ticket (for `wx.config`).
    pub async fn work_jsapi_ticket(
        &self,
        api_base: &str,
        access_token: &str,
    ) -> Result<Issued, WeChatError> {
        let query = [("access_token", access_token)];
        let answer: TicketAnswer = self
            .get_json(api_base, "cgi-bin/get_jsapi_ticket", &query)
            .await?;
        Ok(answer.into())
    }

    /// `GET /cgi-bin/ticket/get?type=agent_config` — a WeCom app's ticket for `wx.agentConfig`.
    pub async fn work_agent_config_ticket(
        &self,
        api_base: &str,
        access_token: &str,
    ) -> Result<Issued, WeChatError> {
        let query = [("access_token", access_token), ("type", "agent_config")];
        let answer: TicketAnswer = self
            .get_json(api_base, "cgi-bin/ticket/get", &query)
            .await?;
        Ok(answer.into())
    }
}
