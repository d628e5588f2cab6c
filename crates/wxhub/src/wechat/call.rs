//! One typed call, one line: a request struct names its endpoint ([`Endpoint`]), and
//! [`Api::call`] sends it with the account's access_token through
//! [`with_token_retry`](super::retry::with_token_retry) — the only place a typed call meets
//! the retry rule.
//!
//! A capability writes `wechat::mp::message::send_custom(&api, &tokens, &request)`: `api` is
//! the WeChat client plus the account's `api_base`, `tokens` the account's [`TokenHandle`]
//! (the token centre's `AccountTokens`; wechat/ knows only the trait). An `Api` made with
//! [`Api::for_account`] first asks the client's [`CallGate`](super::limit::CallGate) (the
//! account's limit on calls to WeChat); over it, the call fails with
//! [`CallError::Throttled`] without asking for a token.

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::client::WeChatClient;
use super::error::WeChatError;
use super::limit::Throttled;
use super::retry::{with_token_retry, RetryError, TokenHandle};
use crate::cache::TokenValue;

/// How an endpoint takes its request: GET sends the request's fields as the query, POST as
/// the JSON body. Either way `access_token` goes in the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A request to one WeChat endpoint, serialized with WeChat's own field names.
pub trait Endpoint: Serialize + Sync {
    /// What WeChat answers (its `errcode` is checked before this is decoded).
    type Answer: DeserializeOwned + Send;
    const METHOD: Method;
    /// The path below the account's `api_base`, e.g. `cgi-bin/message/custom/send`.
    const PATH: &'static str;
}

/// Implements [`Endpoint`] for a request type: `endpoint!(Request => Answer, Post, "path")`.
macro_rules! endpoint {
    ($request:ty => $answer:ty, $method:ident, $path:literal) => {
        impl $crate::wechat::call::Endpoint for $request {
            type Answer = $answer;
            const METHOD: $crate::wechat::call::Method = $crate::wechat::call::Method::$method;
            const PATH: &'static str = $path;
        }
    };
}
pub(crate) use endpoint;

/// The answer of calls that only report success: `{"errcode":0,"errmsg":"ok"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Ack {
    #[serde(default)]
    pub errmsg: String,
}

/// Why a typed call failed: getting the account's token, the account's limit on calls to
/// WeChat, or WeChat's answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError<E> {
    #[error("getting the access token failed")]
    Token(E),
    #[error(transparent)]
    Throttled(Throttled),
    #[error("the wechat call failed")]
    Call(WeChatError),
    /// The call runs under an `Idempotency-Key` claim that could not record it: not sent.
    #[error(transparent)]
    Claim(crate::core::effects::ClaimLost),
}

impl<E> From<RetryError<E, WeChatError>> for CallError<E> {
    fn from(e: RetryError<E, WeChatError>) -> Self {
        match e {
            RetryError::Token(e) => CallError::Token(e),
            RetryError::Call(e) => CallError::Call(e),
        }
    }
}

impl WeChatClient {
    /// Sends `request` to its endpoint with `access_token` (one attempt, no retry).
    pub async fn call<E: Endpoint + ?Sized>(
        &self,
        api_base: &str,
        access_token: &str,
        request: &E,
    ) -> Result<E::Answer, WeChatError> {
        let token = [("access_token", access_token)];
        match E::METHOD {
            Method::Get => self.get_query(api_base, E::PATH, &token, request).await,
            Method::Post => self.post_json(api_base, E::PATH, &token, request).await,
        }
    }
}

/// One account's side of WeChat: the client and the account's `api_base`.
#[derive(Clone, Copy, Debug)]
pub struct Api<'a> {
    pub client: &'a WeChatClient,
    pub api_base: &'a str,
    /// The hub's account id, whose call limit each call counts against.
    pub account: Option<&'a str>,
}

impl<'a> Api<'a> {
    /// Calls not counted against any account's limit (tests, tools).
    pub fn new(client: &'a WeChatClient, api_base: &'a str) -> Self {
        Self {
            client,
            api_base,
            account: None,
        }
    }

    /// The account `account`'s side: each call first passes the client's call gate. Every
    /// call the hub makes for an account goes this way.
    pub fn for_account(client: &'a WeChatClient, api_base: &'a str, account: &'a str) -> Self {
        Self {
            client,
            api_base,
            account: Some(account),
        }
    }

    /// Sends `request` with the account's token; a rejected token is compare-and-expired
    /// and the call repeated once (see [`with_token_retry`]).
    pub async fn call<H, E>(
        &self,
        tokens: &H,
        request: &E,
    ) -> Result<E::Answer, CallError<H::Error>>
    where
        H: TokenHandle + ?Sized,
        E: Endpoint + ?Sized,
    {
        self.with_token(tokens, |api, token| async move {
            api.client.call(api.api_base, token.expose(), request).await
        })
        .await
    }

    /// Runs a call that does not fit [`Endpoint`] (multipart uploads, binary downloads)
    /// through the same retry rule: `call` gets this `Api` and the current token.
    pub async fn with_token<H, T, F, Fut>(
        &self,
        tokens: &H,
        mut call: F,
    ) -> Result<T, CallError<H::Error>>
    where
        H: TokenHandle + ?Sized,
        F: FnMut(Api<'a>, TokenValue) -> Fut,
        Fut: Future<Output = Result<T, WeChatError>>,
    {
        let api = *self;
        if let (Some(gate), Some(account)) = (api.client.gate(), api.account) {
            gate.admit(account).await.map_err(CallError::Throttled)?;
        }
        crate::core::effects::before_external()
            .await
            .map_err(CallError::Claim)?;
        Ok(with_token_retry(tokens, |token| call(api, token)).await?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::wechat::limit::CallGate;

    /// Refuses every call of account `full`.
    struct Gate;

    #[async_trait]
    impl CallGate for Gate {
        async fn admit(&self, account: &str) -> Result<(), Throttled> {
            match account {
                "full" => Err(Throttled {
                    retry_after: Duration::from_millis(300),
                }),
                _ => Ok(()),
            }
        }
    }

    /// Counts how often a token is asked for.
    #[derive(Default)]
    struct Tokens(AtomicUsize);

    #[async_trait]
    impl TokenHandle for Tokens {
        type Error = ();
        async fn token(&self) -> Result<TokenValue, ()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(TokenValue::new("tok"))
        }
        async fn expire_if(&self, _rejected: &TokenValue) -> bool {
            false
        }
    }

    #[tokio::test]
    async fn a_call_over_its_accounts_limit_is_throttled_before_any_token_or_request() {
        let client = WeChatClient::new(Duration::from_secs(1))
            .expect("client")
            .with_gate(Arc::new(Gate));
        let tokens = Tokens::default();
        let api = Api::for_account(&client, "http://127.0.0.1:9", "full");
        let outcome = api
            .with_token(&tokens, |_, _| async { Ok::<_, WeChatError>(()) })
            .await;
        assert!(
            matches!(outcome, Err(CallError::Throttled(Throttled { retry_after })) if retry_after == Duration::from_millis(300))
        );
        assert_eq!(tokens.0.load(Ordering::SeqCst), 0, "no token asked for");

        // Another account, and an `Api` naming none, pass.
        let open = Api::for_account(&client, "http://127.0.0.1:9", "other");
        assert!(open
            .with_token(&tokens, |_, _| async { Ok::<_, WeChatError>(()) })
            .await
            .is_ok());
        let unnamed = Api::new(&client, "http://127.0.0.1:9");
        assert!(unnamed
            .with_token(&tokens, |_, _| async { Ok::<_, WeChatError>(()) })
            .await
            .is_ok());
        assert_eq!(tokens.0.load(Ordering::SeqCst), 2);
    }
}
