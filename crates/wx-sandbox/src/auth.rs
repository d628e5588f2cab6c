//! Access-token checks as extractors. A handler that needs an Official Account's token takes
//! [`MpAuth`]; one on a path both sides share takes [`Caller`] and dispatches on its side.
//!
//! Every token-taking endpoint answers: missing 41001, unknown or replaced 40001, expired
//! 42001 (see [`crate::tokens::Tokens::check`]). A WeCom token whose secret (app or
//! contacts) has a trusted-IP list (企业可信IP) answers 60020 when the caller's address is
//! not in it; the address is the TCP peer from axum's `ConnectInfo`, which
//! [`crate::server::serve`] provides. A router served without `ConnectInfo` treats every
//! caller as trusted.

use crate::errors::{code, WxError};
use crate::ids::{AppId, CorpId};
use crate::tokens::TokenOwner;
use crate::Sandbox;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};

/// The `access_token` query parameter, if present.
pub fn access_token_param(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
}

/// Whoever the request's access_token belongs to.
#[derive(Debug, Clone)]
pub struct Caller(pub TokenOwner);

impl FromRequestParts<Sandbox> for Caller {
    type Rejection = WxError;

    async fn from_request_parts(parts: &mut Parts, sb: &Sandbox) -> Result<Self, WxError> {
        let token = access_token_param(parts.uri.query());
        let now = sb.now();
        let st = sb.state();
        let owner = st.tokens.check(token.as_deref(), now)?;
        if let TokenOwner::Work { corpid, agentid } = owner {
            let trusted = st
                .work
                .corps
                .get(corpid)
                .and_then(|c| c.trusted_ips(*agentid));
            if let (Some(list), Some(ip)) = (trusted, peer_ip(parts)) {
                if !list.iter().any(|t| t.to_canonical() == ip) {
                    return Err(WxError::untrusted_ip(ip));
                }
            }
        }
        Ok(Caller(owner.clone()))
    }
}

/// The caller's address (IPv4-mapped IPv6 as IPv4), if the server recorded it.
fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip().to_canonical())
}

/// An Official Account's access token. A WeCom token on an MP-only path is unknown to the
/// MP side, so it answers 40001 as WeChat does.
#[derive(Debug, Clone)]
pub struct MpAuth(pub AppId);

impl FromRequestParts<Sandbox> for MpAuth {
    type Rejection = WxError;

    async fn from_request_parts(parts: &mut Parts, sb: &Sandbox) -> Result<Self, WxError> {
        match Caller::from_request_parts(parts, sb).await?.0 {
            TokenOwner::Mp { appid } => Ok(MpAuth(appid)),
            TokenOwner::Work { .. } => Err(WxError::new(code::INVALID_CREDENTIAL)),
        }
    }
}

/// A WeCom access token (app or contacts secret).
#[derive(Debug, Clone)]
pub struct WorkAuth {
    pub corpid: CorpId,
    pub agentid: Option<u32>,
}

impl FromRequestParts<Sandbox> for WorkAuth {
    type Rejection = WxError;

    async fn from_request_parts(parts: &mut Parts, sb: &Sandbox) -> Result<Self, WxError> {
        match Caller::from_request_parts(parts, sb).await?.0 {
            TokenOwner::Work { corpid, agentid } => Ok(WorkAuth { corpid, agentid }),
            TokenOwner::Mp { .. } => Err(WxError::new(code::INVALID_CREDENTIAL)),
        }
    }
}
