//! The token centre by account: what routes, the proxy, the JS-SDK signer and every later
//! capability call. Resolves an account's credentials, then asks the engine.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::engine::{Expiry, TokenEngine, Want};
use super::error::TokenError;
use super::key::{AppIdentity, TokenKind};
use super::source::{AppCredentials, TokenRequest};
use crate::cache::{CachedToken, TokenValue};
use crate::wechat::retry::{with_token_retry, RejectsToken, RetryError, TokenHandle};

/// Where the token centre finds an account's WeChat credentials (the accounts service).
#[async_trait]
pub trait CredentialsLookup: Send + Sync + 'static {
    /// `Ok(None)` when no such account exists.
    async fn app_credentials(&self, account: &str) -> Result<Option<AppCredentials>, TokenError>;
}

#[derive(Clone)]
pub struct TokenService {
    engine: TokenEngine,
    accounts: Arc<dyn CredentialsLookup>,
    /// Passive refreshes within this window of the last fetch reuse its token.
    passive_window: Duration,
}

/// How many due credentials one refresher step renews at most.
const REFRESH_BATCH: u32 = 100;

impl TokenService {
    pub fn new(engine: TokenEngine, accounts: Arc<dyn CredentialsLookup>) -> Self {
        Self {
            engine,
            accounts,
            passive_window: Duration::from_secs(30),
        }
    }

    pub fn engine(&self) -> &TokenEngine {
        &self.engine
    }

    pub async fn credentials(&self, account: &str) -> Result<Arc<AppCredentials>, TokenError> {
        self.accounts
            .app_credentials(account)
            .await?
            .map(Arc::new)
            .ok_or(TokenError::UnknownAccount)
    }

    /// The account's access_token (Official Account or WeCom app).
    pub async fn access_token(&self, account: &str) -> Result<CachedToken, TokenError> {
        let creds = self.credentials(account).await?;
        self.engine
            .get(&TokenRequest::new(creds, TokenKind::AccessToken))
            .await
    }

    /// Seed 003's passive refresh. With `stale` (the token a caller saw rejected): a new
    /// token unless the current one already differs. Without: a token fetched within the
    /// last 30 s, so a storm of refresh calls causes one fetch.
    pub async fn refresh_access_token(
        &self,
        account: &str,
        stale: Option<TokenValue>,
    ) -> Result<CachedToken, TokenError> {
        let creds = self.credentials(account).await?;
        let request = TokenRequest::new(creds, TokenKind::AccessToken);
        let want = match stale {
            Some(stale) => {
                if let Expiry::TooSoon(retry_after) =
                    self.engine.expire_if(&request.key, &stale).await
                {
                    return Err(TokenError::RefreshTooSoon { retry_after });
                }
                Want::Not(stale)
            }
            None => Want::FetchedWithin(self.passive_window),
        };
        self.engine.refresh(&request, want).await
    }

    /// Compare-and-expire of the account's access_token.
    pub async fn expire_access_token_if(&self, account: &str, rejected: &TokenValue) -> Expiry {
        match self.credentials(account).await {
            Ok(creds) => {
                let request = TokenRequest::new(creds, TokenKind::AccessToken);
                self.engine.expire_if(&request.key, rejected).await
            }
            Err(err) => {
                tracing::warn!(account, error = %err, "cannot expire token");
                Expiry::NotCurrent
            }
        }
    }

    /// The access_token of a WeCom account's corp contacts secret (`contacts_secret`).
    pub async fn contacts_token(&self, account: &str) -> Result<CachedToken, TokenError> {
        let request = self.contacts_request(account).await?;
        self.engine.get(&request).await
    }

    /// Compare-and-expire of the account's contacts token.
    pub async fn expire_contacts_token_if(&self, account: &str, rejected: &TokenValue) -> Expiry {
        match self.contacts_request(account).await {
            Ok(request) => self.engine.expire_if(&request.key, rejected).await,
            Err(err) => {
                tracing::warn!(account, error = %err, "cannot expire contacts token");
                Expiry::NotCurrent
            }
        }
    }

    async fn contacts_request(&self, account: &str) -> Result<TokenRequest, TokenError> {
        let creds = self.credentials(account).await?;
        if !matches!(creds.app, AppIdentity::Work { .. }) {
            return Err(TokenError::Unsupported("a contacts token"));
        }
        if creds.contacts_secret.is_none() {
            return Err(TokenError::MissingContactsSecret);
        }
        Ok(TokenRequest::new(creds, TokenKind::ContactsToken))
    }

    /// The JS-SDK ticket for `wx.config`: an Official Account's jsapi_ticket, or the
    /// WeCom corp's jsapi ticket.
    pub async fn jsapi_ticket(&self, account: &str) -> Result<CachedToken, TokenError> {
        self.ticket(account, TokenKind::JsapiTicket).await
    }

    /// A WeCom app's ticket for `wx.agentConfig`.
    pub async fn agent_config_ticket(&self, account: &str) -> Result<CachedToken, TokenError> {
        self.ticket(account, TokenKind::AgentConfigTicket).await
    }

    async fn ticket(&self, account: &str, kind: TokenKind) -> Result<CachedToken, TokenError> {
        let creds = self.credentials(account).await?;
        if kind == TokenKind::AgentConfigTicket && matches!(creds.app, AppIdentity::Mp { .. }) {
            return Err(TokenError::Unsupported("agent_config ticket"));
        }
        let request = TokenRequest::new(creds.clone(), kind);
        let handle = AccountTokens {
            service: self.clone(),
            account: account.to_owned(),
        };
        // The ticket is fetched with the access_token: a rejected access_token is
        // compare-and-expired and the ticket fetch retried once, like any WeChat call.
        with_token_retry(&handle, |access_token| {
            let mut request = request.clone();
            request.access_token = Some(access_token);
            let engine = self.engine.clone();
            async move { engine.get(&request).await }
        })
        .await
        .map_err(|err| match err {
            RetryError::Token(err) | RetryError::Call(err) => err,
        })
    }

    /// A [`TokenHandle`] for `wechat::with_token_retry` on behalf of `account`.
    pub fn handle(&self, account: &str) -> AccountTokens {
        AccountTokens {
            service: self.clone(),
            account: account.to_owned(),
        }
    }

    /// A [`TokenHandle`] of the account's contacts secret (a WeCom corp's directory).
    pub fn contacts_handle(&self, account: &str) -> ContactsTokens {
        ContactsTokens {
            service: self.clone(),
            account: account.to_owned(),
        }
    }

    /// One step of the proactive refresher: renews every stored credential that is due
    /// (still valid, past its `refresh_at`). Returns how many it renewed.
    pub async fn refresh_due(&self) -> Result<usize, TokenError> {
        let now = self.engine.clock().now();
        let due = self
            .engine
            .store()
            .list_due(now, now, REFRESH_BATCH)
            .await
            .map_err(|err| TokenError::Internal(format!("listing due tokens: {err}")))?;
        let mut renewed = 0;
        for row in due {
            let Some(kind) = TokenKind::parse(&row.kind) else {
                tracing::warn!(kind = %row.kind, "stored token of unknown kind skipped");
                continue;
            };
            let result = match kind {
                TokenKind::AccessToken => match self.credentials(&row.account_id).await {
                    Ok(creds) => self
                        .engine
                        .refresh(&TokenRequest::new(creds, kind), Want::Fresh)
                        .await
                        .map(drop),
                    Err(err) => Err(err),
                },
                TokenKind::ContactsToken => match self.contacts_request(&row.account_id).await {
                    Ok(request) => self.engine.refresh(&request, Want::Fresh).await.map(drop),
                    Err(err) => Err(err),
                },
                TokenKind::JsapiTicket | TokenKind::AgentConfigTicket => {
                    self.ticket(&row.account_id, kind).await.map(drop)
                }
            };
            match result {
                Ok(()) => renewed += 1,
                Err(TokenError::UnknownAccount) => {
                    // The account was removed: forget its credentials.
                    if let Err(err) = self.engine.store().delete_account(&row.account_id).await {
                        tracing::warn!(account = %row.account_id, error = %err, "forgetting tokens failed");
                    }
                }
                Err(err) => tracing::warn!(
                    account = %row.account_id, kind = %row.kind, error = %err,
                    "proactive token refresh failed"
                ),
            }
        }
        Ok(renewed)
    }
}

/// The proactive refresher as a background job: [`TokenService::refresh_due`] every `every`;
/// when the instance stops, the engine's in-flight refreshes are awaited.
pub struct Refresher {
    pub tokens: TokenService,
    pub every: Duration,
}

#[async_trait]
impl crate::jobs::Periodic for Refresher {
    fn name(&self) -> &'static str {
        "token-refresher"
    }

    async fn step(&self) -> anyhow::Result<crate::jobs::Next> {
        self.tokens.refresh_due().await?;
        Ok(crate::jobs::Next::After(self.every))
    }

    async fn stopped(&self) {
        self.tokens.engine.shutdown().await;
    }
}

impl RejectsToken for TokenError {
    fn rejects_token(&self) -> bool {
        matches!(self, TokenError::WeChat(err) if err.rejects_token())
    }
}

/// One account's access_token, for [`with_token_retry`].
#[derive(Clone)]
pub struct AccountTokens {
    service: TokenService,
    account: String,
}

#[async_trait]
impl TokenHandle for AccountTokens {
    type Error = TokenError;

    async fn token(&self) -> Result<TokenValue, TokenError> {
        Ok(self.service.access_token(&self.account).await?.value)
    }

    async fn expire_if(&self, rejected: &TokenValue) -> bool {
        self.service
            .expire_access_token_if(&self.account, rejected)
            .await
            .renews()
    }
}

/// A WeCom account's contacts token, for [`with_token_retry`].
#[derive(Clone)]
pub struct ContactsTokens {
    service: TokenService,
    account: String,
}

#[async_trait]
impl TokenHandle for ContactsTokens {
    type Error = TokenError;

    async fn token(&self) -> Result<TokenValue, TokenError> {
        Ok(self.service.contacts_token(&self.account).await?.value)
    }

    async fn expire_if(&self, rejected: &TokenValue) -> bool {
        self.service
            .expire_contacts_token_if(&self.account, rejected)
            .await
            .renews()
    }
}

/// A fixed set of credentials (benchmarks and tests).
#[derive(Default)]
pub struct StaticCredentials(std::collections::HashMap<String, AppCredentials>);

impl StaticCredentials {
    pub fn with(mut self, creds: AppCredentials) -> Self {
        self.0.insert(creds.account.clone(), creds);
        self
    }
}

#[async_trait]
impl CredentialsLookup for StaticCredentials {
    async fn app_credentials(&self, account: &str) -> Result<Option<AppCredentials>, TokenError> {
        Ok(self.0.get(account).cloned())
    }
}
