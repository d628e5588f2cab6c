//! Endpoint URL checks: http(s) only, and optionally no private or loopback addresses.

use std::net::IpAddr;

use url::{Host, Url};

use crate::accounts::model::InvalidField;
use crate::webhooks::error::WebhookError;

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

/// Whether an address is loopback, private, link-local, unspecified or otherwise not public.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                // 100.64.0.0/10, carrier-grade NAT
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let seg0 = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (seg0 & 0xfe00) == 0xfc00 // unique local
                || (seg0 & 0xffc0) == 0xfe80 // link local
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Refuses `url` when it names or resolves to a private address. Resolution failures are
/// left to delivery, which records them as network errors.
pub async fn ensure_public(url: &Url) -> Result<(), WebhookError> {
    let refused = || WebhookError::PrivateUrl(url.host_str().unwrap_or_default().to_string());
    let port = url.port_or_known_default().unwrap_or(80);
    match url.host() {
        Some(Host::Ipv4(ip)) if is_private(IpAddr::V4(ip)) => Err(refused()),
        Some(Host::Ipv6(ip)) if is_private(IpAddr::V6(ip)) => Err(refused()),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                return Err(refused());
            }
            if let Ok(addrs) = tokio::net::lookup_host((d.as_str(), port)).await {
                for addr in addrs {
                    if is_private(addr.ip()) {
                        return Err(refused());
                    }
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
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

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.5",
            "169.254.1.1",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["8.8.8.8", "203.0.113.7", "2001:db8::1"] {
            assert!(!is_private(ip.parse().expect("ip")), "{ip}");
        }
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
            assert!(
                matches!(ensure_public(&url).await, Err(WebhookError::PrivateUrl(_))),
                "{u}"
            );
        }
        let url = parse_endpoint_url("http://203.0.113.7/").expect("url");
        assert!(ensure_public(&url).await.is_ok());
    }
}
