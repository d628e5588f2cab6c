//! The pass-through proxy: `ANY /wx/{account}/{*path}` forwards to the account's API host
//! with the account's access_token injected, so an unchanged WeChat SDK whose API base is
//! `http://HUB/wx/{account}` works without ever holding a secret.
//!
//! - An SDK's own credential calls (`cgi-bin/token`, `stable_token`, WeCom `gettoken`, the
//!   JS-SDK ticket endpoints) are answered by the hub from its cache, in WeChat's shape: the
//!   SDK never needs the secret, and nothing but the token centre ever fetches a credential.
//! - An `access_token` the client put in the query is removed, never forwarded.
//! - Request bodies up to `replay_limit` are buffered so the call can be retried once after
//!   a token rejection (40001/42001/40014); larger bodies are streamed and cannot be
//!   replayed, so for them the rejected token is still expired (the next call works) and
//!   WeChat's answer is passed back.
//! - Small JSON/text answers are read to look for a token rejection; anything else (media
//!   downloads) is streamed back as it arrives.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};
use bytes::{Bytes, BytesMut};
use futures::{stream, StreamExt, TryStreamExt};

use crate::cache::TokenValue;
use crate::tokens::{AppIdentity, TokenError, TokenKind, TokenService};
use crate::wechat::client::errcode_of;
use crate::wechat::retry::TokenHandle;
use crate::wechat::WeChatError;

/// Answers at most this large are inspected for a token rejection.
const INSPECT_LIMIT: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("invalid path")]
    InvalidPath,
    #[error("reading the request body failed")]
    BodyRead,
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Upstream(WeChatError),
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
    pub fn new(tokens: TokenService, http: reqwest::Client, replay_limit: usize) -> Self {
        Self {
            tokens,
            http,
            replay_limit,
        }
    }

    pub async fn forward(
        &self,
        account: &str,
        request: ProxyRequest,
    ) -> Result<Response<Body>, ProxyError> {
        let creds = self.tokens.credentials(account).await?;
        if let Some(kind) = intercepted(&creds.app, &request.path, request.query.as_deref()) {
            return self.answer_credential(account, kind).await;
        }
        let base = url::Url::parse(&creds.api_base).map_err(|_| ProxyError::InvalidPath)?;
        let path = request.path.trim_start_matches('/');
        if path.is_empty() || path.contains('\\') || path.chars().any(char::is_control) {
            return Err(ProxyError::InvalidPath);
        }
        let query = strip_access_token(request.query.as_deref());
        let headers = forwardable(&request.headers, REQUEST_HOP_HEADERS);
        let body = read_body(request.body, self.replay_limit).await?;

        let handle = self.tokens.handle(account);
        let token = handle.token().await?;
        let target = |token: &TokenValue| target_url(&base, path, &query, token);
        match body {
            RequestBody::Buffered(bytes) => {
                let first = self
                    .send(&request.method, target(&token)?, &headers, bytes.clone())
                    .await?;
                match first {
                    Outcome::Done(response) => Ok(response),
                    Outcome::Rejected(_) => {
                        handle.expire_if(&token).await;
                        let token = handle.token().await?;
                        let second = self
                            .send(&request.method, target(&token)?, &headers, bytes)
                            .await?;
                        match second {
                            Outcome::Done(response) | Outcome::Rejected(response) => Ok(response),
                        }
                    }
                }
            }
            RequestBody::Streamed(body) => {
                match self
                    .send(&request.method, target(&token)?, &headers, body)
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
        };
        let now = self.tokens.engine().clock().now();
        let expires_in = (token.expires_at - now).num_seconds().max(0);
        let field = match kind {
            TokenKind::AccessToken => "access_token",
            TokenKind::JsapiTicket | TokenKind::AgentConfigTicket => "ticket",
        };
        let body = serde_json::json!({
            "errcode": 0,
            "errmsg": "ok",
            field: token.value.expose(),
            "expires_in": expires_in,
        });
        let mut response = Response::new(Body::from(body.to_string()));
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        Ok(response)
    }

    async fn send(
        &self,
        method: &Method,
        url: url::Url,
        headers: &HeaderMap,
        body: impl Into<reqwest::Body>,
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

fn target_url(
    base: &url::Url,
    path: &str,
    query: &[String],
    token: &TokenValue,
) -> Result<url::Url, ProxyError> {
    let base_str = base.as_str().trim_end_matches('/');
    let encoded_token: String =
        url::form_urlencoded::byte_serialize(token.expose().as_bytes()).collect();
    let mut parts = query.to_vec();
    parts.push(format!("access_token={encoded_token}"));
    let url = url::Url::parse(&format!("{base_str}/{path}?{}", parts.join("&")))
        .map_err(|_| ProxyError::InvalidPath)?;
    // The account's host and nothing else.
    if url.host_str() != base.host_str()
        || url.port_or_known_default() != base.port_or_known_default()
    {
        return Err(ProxyError::InvalidPath);
    }
    Ok(url)
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

/// Default buffer for replayable request bodies.
pub const DEFAULT_REPLAY_LIMIT: usize = 1024 * 1024;
/// Default timeout of one proxied call (media uploads can be slow).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

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
        let url =
            target_url(&base, "cgi-bin/user/info", &["openid=o".into()], &token).expect("url");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9090/cgi-bin/user/info?openid=o&access_token=T%2B1"
        );
        assert!(target_url(&base, "@evil.com/x", &[], &token)
            .is_ok_and(|u| u.host_str() == Some("127.0.0.1")));
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
