//! The pass-through proxy: `ANY /wx/{account}/{*path}` forwards to the account's API host
//! with the account's access_token injected, so an unchanged WeChat SDK whose API base is
//! `http://HUB/wx/{account}` works without ever holding a secret.
//!
//! - An SDK's own credential calls (`cgi-bin/token`, `stable_token`, WeCom `gettoken`, the
//!   JS-SDK ticket endpoints) are answered by the hub from its cache, in WeChat's shape: the
//!   SDK never needs the secret, and nothing but the token centre ever fetches a credential.
//! - Only WeChat's API path families ([`PROXIED_FAMILIES`]) are forwarded, checked after
//!   decoding: no `.`/`..` segment, no encoded `?`, `#`, `%` or `\\`, so a path can never leave
//!   the account's `api_base` (anything else is 404 `path_not_proxied` or 400 `invalid_path`).
//! - An `access_token` the client put in the query is removed, never forwarded.
//! - Upstream redirects are never followed: a 3xx goes back as it came, with the account's
//!   token taken out of its `Location`.
//! - Request bodies up to `replay_limit` are buffered so the call can be retried once after
//!   a token rejection (40001/42001/40014); larger bodies are streamed and cannot be
//!   replayed, so for them the rejected token is still expired (the next call works) and
//!   WeChat's answer is passed back.
//! - Small JSON/text answers are read to look for a token rejection; anything else (media
//!   downloads) is streamed back as it arrives.
//! - Every forwarded call first passes the account's WeChat call limit ([`CallGate`], shared
//!   with the hub's own calls); over it, [`ProxyError::Throttled`] (429). Credential requests
//!   answered from the cache are not WeChat calls and are not counted.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};
use bytes::{Bytes, BytesMut};
use futures::{stream, StreamExt, TryStreamExt};

use super::sdk::{access_token_of, CredentialCall, Presented, SdkCredentials, SdkError};
use crate::accounts::model::AccountId;
use crate::cache::TokenValue;
use crate::tokens::{AppIdentity, TokenError, TokenKind, TokenService};
use crate::wechat::client::errcode_of;
use crate::wechat::retry::TokenHandle;
use crate::wechat::{CallGate, Throttled, WeChatError};

/// Answers at most this large are inspected for a token rejection.
const INSPECT_LIMIT: usize = 64 * 1024;

/// The first path segment of every WeChat API the proxy forwards: the Official Account and
/// WeCom APIs (`cgi-bin/`), web OAuth (`sns/`), cards, customer service, statistics, stores,
/// mini programs, Pay's marketing transfers (red packets) and the other documented families.
pub const PROXIED_FAMILIES: &[&str] = &[
    "cgi-bin",
    "sns",
    "card",
    "customservice",
    "datacube",
    "merchant",
    "wxa",
    "wxaapi",
    "mmpaymkttransfers",
    "shakearound",
    "bizwifi",
    "semantic",
    "scan",
    "channels",
    "product",
    "tcb",
];

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("invalid path: {0}")]
    InvalidPath(&'static str),
    #[error("this path is not a WeChat API the proxy forwards")]
    NotProxied,
    #[error("reading the request body failed")]
    BodyRead,
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Upstream(WeChatError),
    #[error("the proxy failed")]
    Internal(#[source] anyhow::Error),
    #[error(transparent)]
    Throttled(Throttled),
}

/// One incoming call to forward.
pub struct ProxyRequest {
    pub method: Method,
    /// The path after `/wx/{account}/`.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Body,
}

#[derive(Clone)]
pub struct ProxyService {
    tokens: TokenService,
    http: reqwest::Client,
    replay_limit: usize,
    sdk: SdkCredentials,
    gate: Option<Arc<dyn CallGate>>,
}

enum RequestBody {
    Buffered(Bytes),
    Streamed(reqwest::Body),
}

enum Outcome {
    Rejected(Response<Body>),
    Done(Response<Body>),
}

impl ProxyService {
    pub fn new(
        tokens: TokenService,
        http: reqwest::Client,
        replay_limit: usize,
        sdk: SdkCredentials,
    ) -> Self {
        Self {
            tokens,
            http,
            replay_limit,
            sdk,
            gate: None,
        }
    }

    pub fn sdk(&self) -> &SdkCredentials {
        &self.sdk
    }

    /// A call with no bearer: an SDK holding only a caller's credentials (`proxy::sdk`). Its
    /// credential calls get a hub-issued token; its other calls are forwarded when their
    /// `access_token` is one issued for this account. Refusals are WeChat's own JSON.
    pub async fn forward_for_sdk(
        &self,
        account: &AccountId,
        request: ProxyRequest,
    ) -> Result<Response<Body>, ProxyError> {
        let creds = self.tokens.credentials(account.as_str()).await?;
        let path = proxied_path(&request.path)?.join("/");
        if let Some(call) = CredentialCall::of(&creds.app, &path) {
            let presented = match call {
                CredentialCall::StableToken => {
                    let body = axum::body::to_bytes(request.body, INSPECT_LIMIT)
                        .await
                        .map_err(|_| ProxyError::BodyRead)?;
                    Presented::from_json(&body)
                }
                _ => Presented::from_query(call, request.query.as_deref()),
            };
            return match self.sdk.issue(account, call, presented).await {
                Ok(issued) => {
                    let mut body = serde_json::json!({
                        "access_token": issued.access_token.expose(),
                        "expires_in": issued.expires_in,
                    });
                    if call == CredentialCall::WorkToken {
                        body["errcode"] = 0.into();
                        body["errmsg"] = "ok".into();
                    }
                    Ok(wechat_json(&body))
                }
                Err(SdkError::Refused(refusal)) => Ok(wechat_json(&refusal.body())),
                Err(SdkError::Internal(e)) => Err(ProxyError::Internal(e)),
            };
        }
        let token = access_token_of(request.query.as_deref());
        match self.sdk.authorize(account, token.as_deref()).await {
            Ok(caller) => {
                metrics::counter!(
                    "wxhub_proxy_requests_total",
                    "caller" => caller.system_id.to_string(),
                    "account" => account.to_string()
                )
                .increment(1);
                self.forward(account.as_str(), request).await
            }
            Err(SdkError::Refused(refusal)) => Ok(wechat_json(&refusal.body())),
            Err(SdkError::Internal(e)) => Err(ProxyError::Internal(e)),
        }
    }

    /// Forwarded calls count against the account's WeChat call limit.
    pub fn with_gate(mut self, gate: Arc<dyn CallGate>) -> Self {
        self.gate = Some(gate);
        self
    }

    pub async fn forward(
        &self,
        account: &str,
        request: ProxyRequest,
    ) -> Result<Response<Body>, ProxyError> {
        let creds = self.tokens.credentials(account).await?;
        let segments = proxied_path(&request.path)?;
        let path = segments.join("/");
        if let Some(kind) = intercepted(&creds.app, &path, request.query.as_deref()) {
            return self.answer_credential(account, kind).await;
        }
        if let Some(gate) = &self.gate {
            gate.admit(account).await.map_err(ProxyError::Throttled)?;
        }
        let base = url::Url::parse(&creds.api_base)
            .map_err(|_| ProxyError::InvalidPath("the account's api_base is not a URL"))?;
        let query = strip_access_token(request.query.as_deref());
        let headers = forwardable(&request.headers, REQUEST_HOP_HEADERS);
        let body = read_body(request.body, self.replay_limit).await?;

        let handle = self.tokens.handle(account);
        let token = handle.token().await?;
        let target = |token: &TokenValue| target_url(&base, &segments, &query, token);
        match body {
            RequestBody::Buffered(bytes) => {
                let first = self
                    .send(
                        &request.method,
                        target(&token)?,
                        &headers,
                        bytes.clone(),
                        &token,
                    )
                    .await?;
                match first {
                    Outcome::Done(response) => Ok(response),
                    Outcome::Rejected(response) => {
                        // A token expired moments ago is kept: the same call would fail again.
                        if !handle.expire_if(&token).await {
                            return Ok(response);
                        }
                        let token = handle.token().await?;
                        let second = self
                            .send(&request.method, target(&token)?, &headers, bytes, &token)
                            .await?;
                        match second {
                            Outcome::Done(response) | Outcome::Rejected(response) => Ok(response),
                        }
                    }
                }
            }
            RequestBody::Streamed(body) => {
                match self
                    .send(&request.method, target(&token)?, &headers, body, &token)
                    .await?
                {
                    Outcome::Done(response) => Ok(response),
                    Outcome::Rejected(response) => {
                        // The body is gone: no replay. Expire so the caller's retry works.
                        handle.expire_if(&token).await;
                        Ok(response)
                    }
                }
            }
        }
    }

    /// Answers an SDK's credential request from the token centre, in WeChat's shape.
    async fn answer_credential(
        &self,
        account: &str,
        kind: TokenKind,
    ) -> Result<Response<Body>, ProxyError> {
        let token = match kind {
            TokenKind::AccessToken => self.tokens.access_token(account).await?,
            TokenKind::JsapiTicket => self.tokens.jsapi_ticket(account).await?,
            TokenKind::AgentConfigTicket => self.tokens.agent_config_ticket(account).await?,
            TokenKind::ContactsToken => self.tokens.contacts_token(account).await?,
        };
        let now = self.tokens.engine().clock().now();
        let expires_in = (token.expires_at - now).num_seconds().max(0);
        let field = match kind {
            TokenKind::AccessToken | TokenKind::ContactsToken => "access_token",
            TokenKind::JsapiTicket | TokenKind::AgentConfigTicket => "ticket",
        };
        let body = serde_json::json!({
            "errcode": 0,
            "errmsg": "ok",
            field: token.value.expose(),
            "expires_in": expires_in,
        });
        Ok(wechat_json(&body))
    }

    async fn send(
        &self,
        method: &Method,
        url: url::Url,
        headers: &HeaderMap,
        body: impl Into<reqwest::Body>,
        token: &TokenValue,
    ) -> Result<Outcome, ProxyError> {
        let upstream = self
            .http
            .request(method.clone(), url)
            .headers(headers.clone())
            .body(body)
            .send()
            .await
            .map_err(|e| ProxyError::Upstream(WeChatError::from_transport(e)))?;
        let status = upstream.status();
        let mut response_headers = forwardable(upstream.headers(), RESPONSE_HOP_HEADERS);
        without_token_in_location(&mut response_headers, token);
        let inspect = looks_like_json(upstream.headers())
            && upstream
                .content_length()
                .is_none_or(|len| len <= INSPECT_LIMIT as u64);
        let mut chunks = upstream.bytes_stream();
        if !inspect {
            let body = Body::from_stream(chunks);
            return Ok(Outcome::Done(build(status, response_headers, body)));
        }
        let mut buffered = BytesMut::new();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| ProxyError::Upstream(WeChatError::from_transport(e)))?;
            buffered.extend_from_slice(&chunk);
            if buffered.len() > INSPECT_LIMIT {
                // Too large to be an error answer: stream the rest unread.
                let head = stream::once(async move { Ok::<_, reqwest::Error>(buffered.freeze()) });
                let body = Body::from_stream(head.chain(chunks));
                response_headers.remove(axum::http::header::CONTENT_LENGTH);
                return Ok(Outcome::Done(build(status, response_headers, body)));
            }
        }
        let bytes = buffered.freeze();
        let rejected = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|value| errcode_of(&value))
            .is_some_and(|err| err.rejects_token());
        response_headers.remove(axum::http::header::CONTENT_LENGTH);
        let response = build(status, response_headers, Body::from(bytes));
        Ok(if rejected {
            metrics::counter!("wxhub_wechat_token_rejections_total").increment(1);
            Outcome::Rejected(response)
        } else {
            Outcome::Done(response)
        })
    }
}

/// Which credential an SDK asks for, if this path is one of WeChat's credential endpoints.
pub fn intercepted(app: &AppIdentity, path: &str, query: Option<&str>) -> Option<TokenKind> {
    let path = path.trim_start_matches('/').trim_end_matches('/');
    let ticket_type = || {
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .find(|(k, _)| k == "type")
            .map(|(_, v)| v.into_owned())
    };
    match (app, path) {
        (AppIdentity::Mp { .. }, "cgi-bin/token" | "cgi-bin/stable_token") => {
            Some(TokenKind::AccessToken)
        }
        (AppIdentity::Mp { .. }, "cgi-bin/ticket/getticket")
            if ticket_type().as_deref() == Some("jsapi") =>
        {
            Some(TokenKind::JsapiTicket)
        }
        (AppIdentity::Work { .. }, "cgi-bin/gettoken") => Some(TokenKind::AccessToken),
        (AppIdentity::Work { .. }, "cgi-bin/get_jsapi_ticket") => Some(TokenKind::JsapiTicket),
        (AppIdentity::Work { .. }, "cgi-bin/ticket/get")
            if ticket_type().as_deref() == Some("agent_config") =>
        {
            Some(TokenKind::AgentConfigTicket)
        }
        _ => None,
    }
}

/// A JSON answer the way WeChat gives one: HTTP 200 whatever the errcode.
fn wechat_json(body: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn build(status: reqwest::StatusCode, headers: HeaderMap, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    *response.headers_mut() = headers;
    response
}

/// Headers never forwarded upstream: hop-by-hop ones, the hub's own bearer, and those
/// reqwest sets itself.
const REQUEST_HOP_HEADERS: &[&str] = &[
    "authorization",
    "connection",
    "cookie",
    "content-length",
    "host",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "x-forwarded-for",
    "x-request-id",
];

const RESPONSE_HOP_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

fn forwardable(headers: &HeaderMap, drop: &[&str]) -> HeaderMap {
    headers
        .iter()
        .filter(|(name, _)| !drop.contains(&name.as_str()))
        .map(|(name, value): (&HeaderName, &HeaderValue)| (name.clone(), value.clone()))
        .collect()
}

fn looks_like_json(headers: &HeaderMap) -> bool {
    match headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(ct) => {
            let ct = ct.to_ascii_lowercase();
            ct.contains("json") || ct.starts_with("text/")
        }
    }
}

/// The raw query without any `access_token` parameter (matched after percent-decoding).
pub fn strip_access_token(query: Option<&str>) -> Vec<String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|part| !part.is_empty())
        .filter(|part| {
            let key = part.split('=').next().unwrap_or_default();
            let decoded: String = url::form_urlencoded::parse(key.as_bytes())
                .map(|(k, _)| k.into_owned())
                .next()
                .unwrap_or_default();
            !decoded.eq_ignore_ascii_case("access_token")
        })
        .map(str::to_owned)
        .collect()
}

/// The decoded path after `/wx/{account}/` as segments, if it names a WeChat API family and
/// cannot leave the account's `api_base`.
pub fn proxied_path(path: &str) -> Result<Vec<&str>, ProxyError> {
    let path = path.trim_start_matches('/');
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.contains(['?', '#']) {
        return Err(ProxyError::InvalidPath("an encoded ? or # in the path"));
    }
    if path.contains(['%', '\\']) || path.chars().any(char::is_control) {
        return Err(ProxyError::InvalidPath(
            "an encoded %, \\ or control character in the path",
        ));
    }
    let segments: Vec<&str> = path.split('/').collect();
    if segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return Err(ProxyError::InvalidPath(
            "an empty, . or .. segment in the path",
        ));
    }
    match segments.first() {
        Some(family) if PROXIED_FAMILIES.contains(family) => Ok(segments),
        _ => Err(ProxyError::NotProxied),
    }
}

fn target_url(
    base: &url::Url,
    segments: &[&str],
    query: &[String],
    token: &TokenValue,
) -> Result<url::Url, ProxyError> {
    let encoded_token: String =
        url::form_urlencoded::byte_serialize(token.expose().as_bytes()).collect();
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|_| ProxyError::InvalidPath("the account's api_base cannot have a path"))?
        .pop_if_empty()
        .extend(segments);
    let mut parts = query.to_vec();
    parts.push(format!("access_token={encoded_token}"));
    url.set_query(Some(&parts.join("&")));
    url.set_fragment(None);
    // Under the account's API base and nothing else.
    let base_path = base.path().trim_end_matches('/');
    if url.host_str() != base.host_str()
        || url.port_or_known_default() != base.port_or_known_default()
        || !url.path().starts_with(&format!("{base_path}/"))
    {
        return Err(ProxyError::InvalidPath(
            "the path leaves the account's API base",
        ));
    }
    Ok(url)
}

/// Takes the account's token out of a redirect's `Location`: the caller never sees it.
fn without_token_in_location(headers: &mut HeaderMap, token: &TokenValue) {
    let Some(location) = headers
        .get(axum::http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let (before_fragment, fragment) = match location.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (location, None),
    };
    let mut cleaned = match before_fragment.split_once('?') {
        Some((path, query)) => {
            let kept = strip_access_token(Some(query));
            if kept.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
        None => before_fragment.to_owned(),
    };
    if let Some(f) = fragment {
        cleaned.push('#');
        cleaned.push_str(f);
    }
    // The token itself, wherever else it appears (raw or form-encoded), goes too.
    let encoded: String = url::form_urlencoded::byte_serialize(token.expose().as_bytes()).collect();
    for spelling in [token.expose(), encoded.as_str()] {
        if !spelling.is_empty() {
            cleaned = cleaned.replace(spelling, "");
        }
    }
    match HeaderValue::from_str(&cleaned) {
        Ok(v) => {
            headers.insert(axum::http::header::LOCATION, v);
        }
        Err(_) => {
            headers.remove(axum::http::header::LOCATION);
        }
    }
}

async fn read_body(body: Body, limit: usize) -> Result<RequestBody, ProxyError> {
    let mut chunks = body.into_data_stream();
    let mut buffered = BytesMut::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| ProxyError::BodyRead)?;
        buffered.extend_from_slice(&chunk);
        if buffered.len() > limit {
            let head = stream::once(async move { Ok::<_, axum::Error>(buffered.freeze()) });
            let rest = head.chain(chunks).map_err(std::io::Error::other);
            return Ok(RequestBody::Streamed(reqwest::Body::wrap_stream(rest)));
        }
    }
    Ok(RequestBody::Buffered(buffered.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_access_token_is_removed_in_any_spelling() {
        let kept = strip_access_token(Some(
            "access_token=SECRET&type=image&ACCESS_TOKEN=x&access%5Ftoken=y&openid=o%26",
        ));
        assert_eq!(kept, vec!["type=image", "openid=o%26"]);
        assert!(strip_access_token(None).is_empty());
    }

    #[test]
    fn the_target_stays_on_the_accounts_host() {
        let base = url::Url::parse("http://127.0.0.1:9090").expect("url");
        let token = TokenValue::new("T+1");
        let url = target_url(
            &base,
            &["cgi-bin", "user", "info"],
            &["openid=o".into()],
            &token,
        )
        .expect("url");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9090/cgi-bin/user/info?openid=o&access_token=T%2B1"
        );
        let url = target_url(&base, &["cgi-bin", "@evil.com"], &[], &token).expect("url");
        assert_eq!(url.host_str(), Some("127.0.0.1"));
    }

    #[test]
    fn the_target_stays_under_the_api_base_path() {
        let base = url::Url::parse("http://127.0.0.1:9090/mp/").expect("url");
        let token = TokenValue::new("T");
        let url = target_url(&base, &["cgi-bin", "menu", "get"], &[], &token).expect("url");
        assert_eq!(url.path(), "/mp/cgi-bin/menu/get");
    }

    #[test]
    fn only_wechat_api_families_are_proxied_and_nothing_escapes() {
        assert_eq!(
            proxied_path("cgi-bin/user/info").expect("ok"),
            vec!["cgi-bin", "user", "info"]
        );
        assert!(proxied_path("/sns/userinfo/").is_ok());
        assert!(proxied_path("mmpaymkttransfers/sendredpack").is_ok());
        for refused in [
            "cgi-bin/../../driver/accounts",
            "cgi-bin/./token",
            "",
            "cgi-bin//token",
            "cgi-bin/token?grant_type=x",
            "cgi-bin/user/info#x",
            "cgi-bin/%2e%2e/x",
            "cgi-bin\\..\\x",
            "cgi-bin/a\u{0}b",
        ] {
            assert!(
                matches!(proxied_path(refused), Err(ProxyError::InvalidPath(_))),
                "{refused}"
            );
        }
        for unknown in ["driver/accounts", "_sandbox/x", "CGI-BIN/token", "admin"] {
            assert!(
                matches!(proxied_path(unknown), Err(ProxyError::NotProxied)),
                "{unknown}"
            );
        }
    }

    #[test]
    fn a_redirect_location_loses_the_accounts_token() {
        let token = TokenValue::new("REAL+TOKEN");
        let mut headers = HeaderMap::new();
        headers.insert(
            "location",
            HeaderValue::from_static(
                "http://evil.example/x?a=1&access_token=REAL%2BTOKEN&b=REAL+TOKEN#f",
            ),
        );
        without_token_in_location(&mut headers, &token);
        let location = headers["location"].to_str().expect("text");
        assert_eq!(location, "http://evil.example/x?a=1&b=#f");
        assert!(!location.contains("REAL"));
    }

    #[test]
    fn credential_endpoints_are_answered_by_the_hub() {
        let mp = AppIdentity::Mp {
            appid: "wx1".into(),
        };
        let work = AppIdentity::Work {
            corpid: "ww1".into(),
            agentid: "1000002".into(),
        };
        assert_eq!(
            intercepted(&mp, "cgi-bin/token", Some("grant_type=client_credential")),
            Some(TokenKind::AccessToken)
        );
        assert_eq!(
            intercepted(&mp, "/cgi-bin/stable_token", None),
            Some(TokenKind::AccessToken)
        );
        assert_eq!(
            intercepted(&mp, "cgi-bin/ticket/getticket", Some("type=jsapi")),
            Some(TokenKind::JsapiTicket)
        );
        assert_eq!(
            intercepted(&mp, "cgi-bin/ticket/getticket", Some("type=wx_card")),
            None
        );
        assert_eq!(intercepted(&mp, "cgi-bin/gettoken", None), None);
        assert_eq!(
            intercepted(&work, "cgi-bin/gettoken", None),
            Some(TokenKind::AccessToken)
        );
        assert_eq!(
            intercepted(&work, "cgi-bin/get_jsapi_ticket", None),
            Some(TokenKind::JsapiTicket)
        );
        assert_eq!(
            intercepted(&work, "cgi-bin/ticket/get", Some("type=agent_config")),
            Some(TokenKind::AgentConfigTicket)
        );
        assert_eq!(intercepted(&work, "cgi-bin/user/get", None), None);
    }

    #[test]
    fn json_and_text_answers_are_inspected_media_is_not() {
        let mut headers = HeaderMap::new();
        assert!(looks_like_json(&headers));
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(looks_like_json(&headers));
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        assert!(looks_like_json(&headers));
        headers.insert("content-type", HeaderValue::from_static("image/jpeg"));
        assert!(!looks_like_json(&headers));
    }
}
