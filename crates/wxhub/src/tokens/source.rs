//! Where fresh credentials come from: WeChat's credential endpoints, behind a trait so the
//! single-flight engine is tested with a counting fake.

use std::sync::Arc;

use async_trait::async_trait;

use super::key::{AppIdentity, TokenKey, TokenKind};
use crate::cache::TokenValue;
use crate::wechat::{mp, work, WeChatClient, WeChatError};

/// The credentials needed to ask WeChat for an account's tokens.
#[derive(Clone, Debug)]
pub struct AppCredentials {
    /// The hub's account id (`demo-mp`), recorded with stored tokens.
    pub account: String,
    pub app: AppIdentity,
    /// AppSecret or WeCom app secret. Redacted in `Debug`.
    pub secret: TokenValue,
    /// A WeCom corp's contacts secret, when the account has one. Redacted in `Debug`.
    pub contacts_secret: Option<TokenValue>,
    pub api_base: String,
    /// Use `cgi-bin/stable_token` for this Official Account.
    pub prefer_stable: bool,
}

/// One credential to fetch, with what fetching it needs.
#[derive(Clone, Debug)]
pub struct TokenRequest {
    pub key: TokenKey,
    pub credentials: Arc<AppCredentials>,
    /// For tickets: the access_token to fetch them with.
    pub access_token: Option<TokenValue>,
}

impl TokenRequest {
    pub fn new(credentials: Arc<AppCredentials>, kind: TokenKind) -> Self {
        Self {
            key: TokenKey::new(credentials.app.clone(), kind),
            credentials,
            access_token: None,
        }
    }
}

/// A freshly issued credential.
#[derive(Clone, Debug)]
pub struct FreshToken {
    pub value: TokenValue,
    /// Seconds, exactly as WeChat answered.
    pub expires_in: u64,
}

/// "Fetch a fresh token from WeChat."
#[async_trait]
pub trait TokenSource: Send + Sync + 'static {
    /// `force` asks for a new token even if WeChat would hand back the current one
    /// (only meaningful for `stable_token`, where WeChat limits it).
    async fn fetch(&self, request: &TokenRequest, force: bool) -> Result<FreshToken, WeChatError>;
}

/// The real source: WeChat's endpoints through [`WeChatClient`].
pub struct WeChatTokenSource {
    client: WeChatClient,
}

impl WeChatTokenSource {
    pub fn new(client: WeChatClient) -> Self {
        Self { client }
    }
}

fn access_token(request: &TokenRequest) -> Result<&str, WeChatError> {
    request
        .access_token
        .as_ref()
        .map(TokenValue::expose)
        .ok_or_else(|| WeChatError::Decode("ticket requested without an access token".into()))
}

#[async_trait]
impl TokenSource for WeChatTokenSource {
    async fn fetch(&self, request: &TokenRequest, force: bool) -> Result<FreshToken, WeChatError> {
        let creds = &request.credentials;
        let base = creds.api_base.as_str();
        let secret = creds.secret.expose();
        let client = &self.client;
        let issued = match (&creds.app, request.key.kind) {
            (AppIdentity::Mp { appid }, TokenKind::AccessToken) if creds.prefer_stable => {
                mp::token::stable_access_token(client, base, appid, secret, force).await?
            }
            (AppIdentity::Mp { appid }, TokenKind::AccessToken) => {
                mp::token::access_token(client, base, appid, secret).await?
            }
            (AppIdentity::Mp { .. }, TokenKind::JsapiTicket) => {
                mp::token::jsapi_ticket(client, base, access_token(request)?).await?
            }
            (AppIdentity::Mp { .. }, TokenKind::AgentConfigTicket) => {
                return Err(WeChatError::Decode(
                    "agent_config tickets exist only for WeCom apps".into(),
                ))
            }
            (AppIdentity::Work { corpid, .. }, TokenKind::AccessToken) => {
                work::token::access_token(client, base, corpid, secret).await?
            }
            (AppIdentity::Work { .. }, TokenKind::JsapiTicket) => {
                work::token::jsapi_ticket(client, base, access_token(request)?).await?
            }
            (AppIdentity::Work { .. }, TokenKind::AgentConfigTicket) => {
                work::token::agent_config_ticket(client, base, access_token(request)?).await?
            }
            (AppIdentity::Work { corpid, .. }, TokenKind::ContactsToken) => {
                let secret = creds.contacts_secret.as_ref().ok_or_else(|| {
                    WeChatError::Decode("contacts token requested without a contacts secret".into())
                })?;
                work::token::access_token(client, base, corpid, secret.expose()).await?
            }
            (AppIdentity::Mp { .. }, TokenKind::ContactsToken) => {
                return Err(WeChatError::Decode(
                    "contacts tokens exist only for WeCom corps".into(),
                ))
            }
        };
        Ok(FreshToken {
            value: TokenValue::new(issued.value),
            expires_in: issued.expires_in,
        })
    }
}
