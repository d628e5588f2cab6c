//! The one HTTP client for requests to business systems' webhooks: event webhooks
//! ([`crate::webhooks::dispatcher`]) and reply webhooks ([`crate::replies::webhook`]).
//!
//! Both kinds get the same controls, owned here so neither can drift:
//! - **No redirects.** A 3xx is the answer: following it would turn the signed POST into a GET
//!   and carry the signature to another host.
//! - **Only global addresses** when `webhooks.allow_private_urls` is off
//!   ([`crate::webhooks::address::is_global`]). An IP-literal URL is checked before the request
//!   is built; a name is resolved by [`GlobalOnlyResolver`], which refuses it when any of its
//!   addresses is not global. The addresses checked are the addresses connected to, so a name
//!   that resolves to a public address at registration and a private one later (DNS rebinding)
//!   is refused at delivery. With the setting on (the default) nothing is refused.
//! - **Bounded answers.** [`read_within`] reads an answer up to a limit and refuses a larger
//!   one (by `Content-Length` before reading, or as soon as a chunked body passes the limit);
//!   [`read_prefix`] keeps only the start. An answer is never buffered whole.
//!
//! The client has a connect timeout but no overall one: each caller sets its own deadline
//! (the dispatcher per attempt, callbacks per reply).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderValue, CONTENT_TYPE, USER_AGENT};
use url::Url;

use crate::core::signing::{
    signature_header, WebhookSecret, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use crate::webhooks::address::is_global;
use crate::webhooks::config::WebhooksConfig;
use crate::webhooks::url::{ensure_public_literal, PrivateAddress};

/// Idle connections kept per receiver host.
const IDLE_PER_HOST: usize = 64;

/// The outbound webhook client. Cheap to clone (one connection pool).
#[derive(Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    allow_private_urls: bool,
}

impl WebhookClient {
    pub fn new(config: &WebhooksConfig) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(config.timeout_secs.clamp(1, 10)))
            .pool_max_idle_per_host(IDLE_PER_HOST);
        if !config.allow_private_urls {
            builder = builder.dns_resolver(Arc::new(GlobalOnlyResolver));
        }
        Ok(WebhookClient {
            http: builder.build()?,
            allow_private_urls: config.allow_private_urls,
        })
    }

    /// A POST to `url`, refused when its host is an IP literal this hub may not reach.
    pub fn post(&self, url: Url) -> Result<reqwest::RequestBuilder, PrivateAddress> {
        self.check_literal(&url)?;
        Ok(self.http.post(url))
    }

    /// A JSON POST of `body` carrying the Standard Webhooks headers for `msg_id` at
    /// `timestamp`, signed with each of `secrets`; refused like
    /// [`WebhookClient::post`].
    pub fn signed_post(
        &self,
        url: Url,
        secrets: &[&WebhookSecret],
        msg_id: &str,
        timestamp: i64,
        body: Bytes,
    ) -> Result<reqwest::RequestBuilder, PrivateAddress> {
        self.check_literal(&url)?;
        let signature = signature_header(secrets, msg_id, timestamp, &body);
        Ok(self
            .http
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, concat!("wxhub/", env!("CARGO_PKG_VERSION")))
            .header(HEADER_ID, msg_id)
            .header(HEADER_TIMESTAMP, timestamp.to_string())
            .header(HEADER_SIGNATURE, signature)
            .body(body))
    }

    fn check_literal(&self, url: &Url) -> Result<(), PrivateAddress> {
        if self.allow_private_urls {
            Ok(())
        } else {
            ensure_public_literal(url)
        }
    }
}

/// The innermost cause of a transport failure: short, and free of the URL (URLs may carry
/// credentials), e.g. the resolver's refusal of a private address.
pub fn transport_detail(e: &reqwest::Error) -> String {
    let mut root: &dyn std::error::Error = e;
    while let Some(next) = root.source() {
        root = next;
    }
    root.to_string()
}

/// Why an answer was not read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("answer is over {limit} bytes")]
    TooLarge { limit: usize },
    #[error("reading the answer failed")]
    Transport(#[source] reqwest::Error),
}

/// The whole answer when it is at most `limit` bytes; [`BodyError::TooLarge`] as soon as it is
/// known to be larger, without reading the rest.
pub async fn read_within(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let too_large = BodyError::TooLarge { limit };
    if response
        .content_length()
        .is_some_and(|n| usize::try_from(n).map_or(true, |n| n > limit))
    {
        return Err(too_large);
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// At most the first `keep` bytes of the answer (for the record of an attempt); the rest is
/// never read, and a read error ends what is kept.
pub async fn read_prefix(mut response: reqwest::Response, keep: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    while kept.len() < keep {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    kept.truncate(keep);
    kept
}

/// Resolves names with tokio (the system resolver) and hands reqwest only addresses that are
/// global; a name with any other address is refused whole, the rule registration applies.
#[derive(Debug, Clone, Copy)]
struct GlobalOnlyResolver;

impl Resolve for GlobalOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let checked = only_global(&host, addrs)?;
            Ok(Box::new(checked.into_iter()) as Addrs)
        })
    }
}

/// `addrs` when every one is global; refused when any is not.
fn only_global(host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, PrivateAddress> {
    if addrs.iter().all(|a| is_global(a.ip())) {
        Ok(addrs)
    } else {
        Err(PrivateAddress(host.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(ips: &[&str]) -> Vec<SocketAddr> {
        ips.iter()
            .map(|ip| SocketAddr::new(ip.parse().expect("ip"), 0))
            .collect()
    }

    fn client(allow_private_urls: bool) -> WebhookClient {
        let config = crate::webhooks::WebhooksConfig {
            allow_private_urls,
            ..Default::default()
        };
        WebhookClient::new(&config).expect("client builds")
    }

    #[test]
    fn the_resolver_passes_names_whose_addresses_are_all_global() {
        let public = addrs(&["8.8.8.8", "2606:4700:4700::1111"]);
        assert_eq!(only_global("dns.example", public.clone()), Ok(public));
    }

    #[test]
    fn the_resolver_refuses_a_name_with_any_private_address() {
        for resolved in [
            addrs(&["127.0.0.1"]),
            addrs(&["169.254.169.254"]),
            addrs(&["8.8.8.8", "10.0.0.1"]),
            addrs(&["2606:4700:4700::1111", "::ffff:192.168.1.1"]),
            addrs(&["64:ff9b::a9fe:a9fe"]),
        ] {
            assert_eq!(
                only_global("rebind.example", resolved.clone()),
                Err(PrivateAddress("rebind.example".into())),
                "{resolved:?}"
            );
        }
    }

    #[test]
    fn literal_private_urls_are_refused_only_when_private_urls_are_off() {
        let url = Url::parse("http://169.254.169.254/latest").expect("url");
        assert!(client(false).post(url.clone()).is_err());
        assert!(client(true).post(url).is_ok());
        let public = Url::parse("http://8.8.8.8/").expect("url");
        assert!(client(false).post(public).is_ok());
    }

    /// A local server: `/sized` answers `len` bytes with a Content-Length, `/chunked` streams
    /// them in 1 KiB chunks without one. Returns its base URL.
    async fn answering(len: usize) -> String {
        use axum::body::Body;
        use axum::routing::post;
        let app = axum::Router::new()
            .route("/sized", post(move || async move { vec![b'x'; len] }))
            .route(
                "/chunked",
                post(move || async move {
                    let chunks = (0..len.div_ceil(1024))
                        .map(|_| Ok::<_, std::io::Error>(Bytes::from_static(&[b'x'; 1024])));
                    Body::from_stream(futures::stream::iter(chunks))
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    async fn read(url: &str, limit: usize) -> Result<Bytes, BodyError> {
        let url = Url::parse(url).expect("url");
        let response = client(true)
            .post(url)
            .expect("allowed")
            .send()
            .await
            .expect("answered");
        read_within(response, limit).await
    }

    #[tokio::test]
    async fn answers_are_read_within_the_limit_and_refused_beyond_it() {
        let base = answering(8 * 1024).await;
        for path in ["sized", "chunked"] {
            let url = format!("{base}/{path}");
            let body = read(&url, 8 * 1024).await.expect("at the limit");
            assert_eq!(body.len(), 8 * 1024, "{path}");
            assert!(
                matches!(
                    read(&url, 8 * 1024 - 1).await,
                    Err(BodyError::TooLarge { limit: 8191 })
                ),
                "{path}"
            );
        }
        let url = Url::parse(&format!("{base}/chunked")).expect("url");
        let response = client(true).post(url).expect("allowed").send().await;
        let kept = read_prefix(response.expect("answered"), 100).await;
        assert_eq!(kept.len(), 100);
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_at_connect_time() {
        // `localhost` is not an IP literal, so only the resolver can refuse it.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let url = Url::parse(&format!("http://localhost:{port}/")).expect("url");
        let err = client(false)
            .post(url)
            .expect("a name passes the literal check")
            .send()
            .await
            .expect_err("refused by the resolver");
        let mut chain: Option<&dyn std::error::Error> = Some(&err);
        let mut refused = false;
        while let Some(e) = chain {
            refused |= e.to_string().contains("private or loopback");
            chain = e.source();
        }
        assert!(refused, "{err:?}");
    }

    #[test]
    fn a_signed_post_signs_the_bytes_it_sends() {
        let secret = WebhookSecret::generate();
        let body = Bytes::from_static(br#"{"event_id":"evt_1"}"#);
        let request = client(true)
            .signed_post(
                Url::parse("http://127.0.0.1:9/hook").expect("url"),
                &[&secret],
                "evt_1",
                7,
                body.clone(),
            )
            .expect("allowed")
            .build()
            .expect("request builds");
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header(HEADER_ID), "evt_1");
        assert_eq!(header(HEADER_TIMESTAMP), "7");
        assert_eq!(header("content-type"), "application/json");
        let sent = request
            .body()
            .and_then(|b| b.as_bytes())
            .expect("a buffered body");
        assert_eq!(sent, &body[..]);
        assert_eq!(header(HEADER_SIGNATURE), secret.sign("evt_1", 7, sent));
    }
}
