//! Endpoint URL checks: http(s) only, and optionally only global addresses
//! ([`crate::webhooks::address`]). Event-webhook and reply-webhook registration both use them.

use std::net::IpAddr;

use url::{Host, Url};

use crate::core::InvalidField;
use crate::webhooks::address::is_global;

/// Parses an endpoint URL: absolute `http` or `https`, with a host, at most 2,048 characters.
pub fn parse_endpoint_url(s: &str) -> Result<Url, InvalidField> {
    let url =
        Url::parse(s.trim()).map_err(|e| InvalidField::new("url", format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(InvalidField::new("url", "must be http:// or https://"));
    }
    if url.host().is_none() || s.len() > 2048 {
        return Err(InvalidField::new(
            "url",
            "must name a host and be at most 2048 characters",
        ));
    }
    Ok(url)
}

/// A URL that names or resolves to an address that is not global, on a hub that refuses those.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("url: {0} resolves to a private or loopback address, which this hub refuses")]
pub struct PrivateAddress(pub String);

impl From<PrivateAddress> for InvalidField {
    fn from(e: PrivateAddress) -> Self {
        InvalidField::new(
            "url",
            format!(
                "{} resolves to a private or loopback address, which this hub refuses",
                e.0
            ),
        )
    }
}

/// Refuses `url` when its host is an IP literal that is not global ([`is_global`]). Names are
/// left to the resolver of [`crate::webhooks::client::WebhookClient`], which checks the
/// addresses it connects to.
pub fn ensure_public_literal(url: &Url) -> Result<(), PrivateAddress> {
    let refused = || PrivateAddress(url.host_str().unwrap_or_default().to_string());
    match url.host() {
        Some(Host::Ipv4(ip)) if !is_global(IpAddr::V4(ip)) => Err(refused()),
        Some(Host::Ipv6(ip)) if !is_global(IpAddr::V6(ip)) => Err(refused()),
        _ => Ok(()),
    }
}

/// Refuses `url` when it names or resolves to an address that is not global: the check at
/// registration, so a caller hears at once. Resolution failures are left to delivery, which
/// records them as network errors; delivery checks again on every connection.
pub async fn ensure_public(url: &Url) -> Result<(), PrivateAddress> {
    ensure_public_literal(url)?;
    let Some(Host::Domain(d)) = url.host() else {
        return Ok(());
    };
    let refused = || PrivateAddress(url.host_str().unwrap_or_default().to_string());
    let d = d.trim_end_matches('.').to_ascii_lowercase();
    if d == "localhost" || d.ends_with(".localhost") {
        return Err(refused());
    }
    let port = url.port_or_known_default().unwrap_or(80);
    if let Ok(addrs) = tokio::net::lookup_host((d.as_str(), port)).await {
        for addr in addrs {
            if !is_global(addr.ip()) {
                return Err(refused());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_with_hosts() {
        assert!(parse_endpoint_url("https://hooks.example.com/wx").is_ok());
        assert!(parse_endpoint_url("http://127.0.0.1:9000/x").is_ok());
        assert!(parse_endpoint_url("ftp://example.com/").is_err());
        assert!(parse_endpoint_url("not a url").is_err());
        assert!(parse_endpoint_url("file:///etc/passwd").is_err());
    }

    #[tokio::test]
    async fn ensure_public_refuses_literals_and_localhost() {
        for u in [
            "http://127.0.0.1:1/",
            "http://[::1]/",
            "http://localhost:8080/",
            "http://a.localhost/",
        ] {
            let url = parse_endpoint_url(u).expect("url");
            assert!(ensure_public(&url).await.is_err(), "{u}");
        }
        // Public fixtures are real public addresses: the documentation ranges this test once
        // used as "public" (203.0.113.0/24, 2001:db8::/32) are not global and are refused below.
        for u in [
            "http://8.8.8.8/",
            "https://1.1.1.1:8443/x",
            "http://[2606:4700:4700::1111]/",
        ] {
            let url = parse_endpoint_url(u).expect("url");
            assert!(ensure_public(&url).await.is_ok(), "{u}");
        }
        for u in [
            "http://203.0.113.7/",
            "http://[2001:db8::1]/",
            "http://[::a9fe:a9fe]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[fec0::1]/",
            "http://198.18.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://2130706433/",
        ] {
            let url = parse_endpoint_url(u).expect("url");
            assert_eq!(
                ensure_public_literal(&url),
                Err(PrivateAddress(
                    url.host_str().unwrap_or_default().to_string()
                )),
                "{u}"
            );
        }
    }
}
