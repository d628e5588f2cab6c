//! JS-SDK signatures (seed 003 §3, seed 004's WeCom H5 apps): `wx.config` for Official
//! Accounts and WeCom, plus `wx.agentConfig` for WeCom apps.
//!
//! The signed URL is the page URL without its `#…` part, exactly as the caller sent it
//! (never re-serialised, which could change it); its host must be one of the caller's
//! allowed domains.

use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::Serialize;
use utoipa::ToSchema;
use wx_protocol::signature::jssdk_signature;

use crate::tokens::{AppIdentity, TokenError, TokenService};

/// What `wx.config` needs (field names as the JS-SDK expects them).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JssdkConfig {
    /// AppID, or the CorpID for WeCom.
    pub app_id: String,
    pub timestamp: i64,
    pub nonce_str: String,
    pub signature: String,
    /// The signed URL (fragment dropped), so callers can check what was signed.
    pub url: String,
    /// For WeCom apps: what `wx.agentConfig` needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_config: Option<AgentConfig>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentConfig {
    pub corpid: String,
    pub agentid: String,
    pub timestamp: i64,
    pub nonce_str: String,
    pub signature: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum JssdkError {
    #[error("url must be an absolute http(s) URL")]
    InvalidUrl,
    #[error("the url's host is not an allowed domain for this caller")]
    DomainNotAllowed,
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// Which page domains a caller may sign for.
#[derive(Debug, Clone)]
pub enum AllowedDomains {
    /// The admin credential: any domain.
    Any,
    /// Exact hosts, or their subdomains.
    Only(Vec<String>),
}

impl AllowedDomains {
    /// `host` (with `port` when the URL names one) against the caller's domains, written
    /// as the callers API accepts them: `example.com` (that host only), `*.example.com`
    /// (its subdomains), `localhost:3000` (that host and port).
    pub fn allows(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.to_ascii_lowercase();
        match self {
            Self::Any => true,
            Self::Only(domains) => domains.iter().any(|domain| {
                let domain = domain.trim().to_ascii_lowercase();
                let (pattern, want_port) = match domain.rsplit_once(':') {
                    Some((h, p)) => match p.parse::<u16>() {
                        Ok(p) => (h.to_owned(), Some(p)),
                        Err(_) => return false,
                    },
                    None => (domain.clone(), None),
                };
                if want_port.is_some() && want_port != port {
                    return false;
                }
                match pattern.strip_prefix("*.") {
                    Some(parent) => host
                        .strip_suffix(parent)
                        .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
                    None => !pattern.is_empty() && host == pattern,
                }
            }),
        }
    }
}

/// The URL to sign: `#…` dropped, validated as absolute http(s), host allowed.
pub fn page_url(raw: &str, allowed: &AllowedDomains) -> Result<String, JssdkError> {
    let without_fragment = raw.split('#').next().unwrap_or_default().trim();
    let parsed = url::Url::parse(without_fragment).map_err(|_| JssdkError::InvalidUrl)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(JssdkError::InvalidUrl);
    }
    let host = parsed.host_str().ok_or(JssdkError::InvalidUrl)?;
    if !allowed.allows(host, parsed.port()) {
        return Err(JssdkError::DomainNotAllowed);
    }
    Ok(without_fragment.to_owned())
}

fn nonce() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

/// Signs `raw_url` for `account`.
pub async fn sign(
    tokens: &TokenService,
    account: &str,
    raw_url: &str,
    allowed: &AllowedDomains,
) -> Result<JssdkConfig, JssdkError> {
    let url = page_url(raw_url, allowed)?;
    let creds = tokens.credentials(account).await?;
    let timestamp = tokens.engine().clock().now().timestamp();
    let ticket = tokens.jsapi_ticket(account).await?;
    let nonce_str = nonce();
    let signature = jssdk_signature(
        ticket.value.expose(),
        &nonce_str,
        &timestamp.to_string(),
        &url,
    );
    let (app_id, agent_config) = match &creds.app {
        AppIdentity::Mp { appid } => (appid.clone(), None),
        AppIdentity::Work { corpid, agentid } => {
            let ticket = tokens.agent_config_ticket(account).await?;
            let nonce_str = nonce();
            let signature = jssdk_signature(
                ticket.value.expose(),
                &nonce_str,
                &timestamp.to_string(),
                &url,
            );
            (
                corpid.clone(),
                Some(AgentConfig {
                    corpid: corpid.clone(),
                    agentid: agentid.clone(),
                    timestamp,
                    nonce_str,
                    signature,
                }),
            )
        }
    };
    Ok(JssdkConfig {
        app_id,
        timestamp,
        nonce_str,
        signature,
        url,
        agent_config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(domains: &[&str]) -> AllowedDomains {
        AllowedDomains::Only(domains.iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn the_fragment_is_dropped_and_the_rest_kept_verbatim() {
        let url = page_url(
            "http://m.example.com/page?a=1&b=%E4%B8%AD#/route?x=1",
            &AllowedDomains::Any,
        )
        .expect("valid");
        assert_eq!(url, "http://m.example.com/page?a=1&b=%E4%B8%AD");
    }

    #[test]
    fn only_allowed_domains_are_signed() {
        let allowed = only(&["example.com", "*.shop.example.com", "localhost:3000"]);
        assert!(page_url("https://Example.com/x", &allowed).is_ok());
        assert!(page_url("https://m.shop.example.com/x", &allowed).is_ok());
        assert!(page_url("http://localhost:3000/x", &allowed).is_ok());
        for bad in [
            "https://m.example.com/x",
            "https://shop.example.com/x",
            "https://badexample.com/x",
            "https://example.com.evil.net/x",
            "http://localhost:3001/x",
            "http://localhost/x",
        ] {
            assert!(
                matches!(page_url(bad, &allowed), Err(JssdkError::DomainNotAllowed)),
                "{bad}"
            );
        }
        assert!(matches!(
            page_url("https://example.com/x", &only(&[])),
            Err(JssdkError::DomainNotAllowed)
        ));
    }

    #[test]
    fn non_http_or_relative_urls_are_rejected() {
        for bad in [
            "/relative",
            "javascript:alert(1)",
            "ftp://example.com/",
            "",
            "#x",
        ] {
            assert!(
                matches!(
                    page_url(bad, &AllowedDomains::Any),
                    Err(JssdkError::InvalidUrl)
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn nonces_are_16_alphanumerics() {
        let n = nonce();
        assert_eq!(n.len(), 16);
        assert!(n.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
