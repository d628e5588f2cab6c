//! One typed call, one line: a request struct names its endpoint ([`Endpoint`]), and
//! [`Api::call`] sends it with the account's access_token through
//! [`with_token_retry`](super::retry::with_token_retry) — the only place a typed call meets
//! the retry rule.
//!
//! A capability writes `wechat::mp::message::send_custom(&api, &tokens, &request)`: `api` is
//! the WeChat client plus the account's `api_base`, `tokens` the account's [`TokenHandle`]
//! (the token centre's `AccountTokens`; wechat/ knows only the trait).

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::client::WeChatClient;
use super::error::WeChatError;
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

/// Why a token-carrying call failed: getting the account's token, or WeChat's answer.
pub type CallError<E> = RetryError<E, WeChatError>;

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
}

impl<'a> Api<'a> {
    pub fn new(client: &'a WeChatClient, api_base: &'a str) -> Self {
        Self { client, api_base }
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
        with_token_retry(tokens, |token| call(api, token)).await
    }
}
