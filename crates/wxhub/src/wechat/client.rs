//! The HTTP client for WeChat's APIs: one `reqwest::Client`, JSON in, errcode-checked JSON out.
//!
//! Every account has its own `api_base` (WeChat's hosts by default, the sandbox in tests),
//! so each call takes the base explicitly.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use std::fmt;
use std::sync::Arc;

use super::error::WeChatError;
use super::limit::CallGate;

/// WeChat's host for Official Account APIs.
pub const MP_API_BASE: &str = "https://api.weixin.qq.com";
/// WeChat's host for WeCom APIs.
pub const WORK_API_BASE: &str = "https://qyapi.weixin.qq.com";

#[derive(Clone)]
pub struct WeChatClient {
    http: reqwest::Client,
    /// Asked before every call of an [`Api`](super::Api) that names its account.
    gate: Option<Arc<dyn CallGate>>,
}

impl fmt::Debug for WeChatClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeChatClient")
            .field("gated", &self.gate.is_some())
            .finish_non_exhaustive()
    }
}

impl WeChatClient {
    /// A client whose calls give up after `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, WeChatError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(WeChatError::from_transport)?;
        Ok(Self { http, gate: None })
    }

    /// Calls of an [`Api`](super::Api) naming its account ask `gate` first.
    pub fn with_gate(mut self, gate: Arc<dyn CallGate>) -> Self {
        self.gate = Some(gate);
        self
    }

    /// The per-account call limit, when this client has one.
    pub fn gate(&self) -> Option<&dyn CallGate> {
        self.gate.as_deref()
    }

    /// The underlying client, for the pass-through proxy's streamed calls.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub async fn get_json<T: DeserializeOwned>(
        &self,
        api_base: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, WeChatError> {
        self.get_query(api_base, path, query, &[] as &[(&str, &str)])
            .await
    }

    /// `GET path?query&request…`: `request`'s fields become query parameters.
    pub async fn get_query<T: DeserializeOwned, Q: Serialize + ?Sized>(
        &self,
        api_base: &str,
        path: &str,
        query: &[(&str, &str)],
        request: &Q,
    ) -> Result<T, WeChatError> {
        let response = self
            .http
            .get(join(api_base, path))
            .query(query)
            .query(request)
            .send_to_wechat()
            .await?;
        decode(response).await
    }

    /// `POST` a multipart form (media uploads).
    pub async fn post_multipart<T: DeserializeOwned>(
        &self,
        api_base: &str,
        path: &str,
        query: &[(&str, &str)],
        form: reqwest::multipart::Form,
    ) -> Result<T, WeChatError> {
        let response = self
            .http
            .post(join(api_base, path))
            .query(query)
            .multipart(form)
            .send_to_wechat()
            .await?;
        decode(response).await
    }

    /// `GET` a file (media downloads): its `Content-Type`, its `Content-Disposition` and
    /// its bytes. A JSON answer is returned as it came; the caller checks its errcode.
    pub async fn get_bytes(
        &self,
        api_base: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Download, WeChatError> {
        let response = self
            .http
            .get(join(api_base, path))
            .query(query)
            .send_to_wechat()
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(WeChatError::Status(status.as_u16()));
        }
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE).unwrap_or_default();
        let disposition = header(reqwest::header::CONTENT_DISPOSITION);
        let bytes = response
            .bytes()
            .await
            .map_err(WeChatError::from_transport)?;
        Ok(Download {
            content_type,
            disposition,
            bytes,
        })
    }

    /// `POST` an XML document (WeChat Pay v2) and read the XML answer as text.
    pub async fn post_xml(
        &self,
        api_base: &str,
        path: &str,
        body: String,
    ) -> Result<String, WeChatError> {
        let response = self
            .http
            .post(join(api_base, path))
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(body)
            .send_to_wechat()
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(WeChatError::Status(status.as_u16()));
        }
        response.text().await.map_err(WeChatError::from_transport)
    }

    pub async fn post_json<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        api_base: &str,
        path: &str,
        query: &[(&str, &str)],
        body: &B,
    ) -> Result<T, WeChatError> {
        let response = self
            .http
            .post(join(api_base, path))
            .query(query)
            .json(body)
            .send_to_wechat()
            .await?;
        decode(response).await
    }
}

/// A downloaded file, as [`WeChatClient::get_bytes`] hands it back.
#[derive(Debug, Clone)]
pub struct Download {
    pub content_type: String,
    pub disposition: Option<String>,
    pub bytes: bytes::Bytes,
}

impl Download {
    /// WeChat answers errors (and some files, like a video's URL) as JSON.
    pub fn is_json(&self) -> bool {
        let ct = self.content_type.to_ascii_lowercase();
        ct.contains("json") || (ct.starts_with("text/plain") && self.bytes.starts_with(b"{"))
    }
}

/// `base` + `/path`, tolerating a trailing slash on the base.
pub fn join(api_base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        api_base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, WeChatError> {
    let status = response.status();
    if !status.is_success() {
        return Err(WeChatError::Status(status.as_u16()));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(WeChatError::from_transport)?;
    parse_answer(&bytes)
}

/// Parses a WeChat JSON answer: a non-zero `errcode` is an error, whatever else it holds.
pub fn parse_answer<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WeChatError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| WeChatError::Decode(e.to_string()))?;
    if let Some(err) = errcode_of(&value) {
        return Err(err);
    }
    serde_json::from_value(value).map_err(|e| WeChatError::Decode(e.to_string()))
}

/// The error in a WeChat answer, if it carries a non-zero `errcode`.
pub fn errcode_of(value: &serde_json::Value) -> Option<WeChatError> {
    let errcode = value.get("errcode")?.as_i64()?;
    if errcode == 0 {
        return None;
    }
    let errmsg = value
        .get("errmsg")
        .and_then(|m| m.as_str())
        .unwrap_or_default()
        .to_owned();
    Some(WeChatError::Api { errcode, errmsg })
}

/// Sending a request to WeChat: a transport failure is [`WeChatError::Transport`].
trait SendToWeChat {
    async fn send_to_wechat(self) -> Result<reqwest::Response, WeChatError>;
}

impl SendToWeChat for reqwest::RequestBuilder {
    async fn send_to_wechat(self) -> Result<reqwest::Response, WeChatError> {
        self.send().await.map_err(WeChatError::from_transport)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Ticket {
        ticket: String,
    }

    #[test]
    fn non_zero_errcode_is_an_error_keeping_errcode_and_errmsg() {
        let err = parse_answer::<Ticket>(br#"{"errcode":40001,"errmsg":"invalid credential"}"#)
            .expect_err("error");
        assert_eq!(
            err,
            WeChatError::Api {
                errcode: 40001,
                errmsg: "invalid credential".into()
            }
        );
    }

    #[test]
    fn zero_errcode_is_success() {
        let ok: Ticket =
            parse_answer(br#"{"errcode":0,"errmsg":"ok","ticket":"t1","expires_in":7200}"#)
                .expect("ok");
        assert_eq!(ok.ticket, "t1");
    }

    #[test]
    fn garbage_is_a_decode_error() {
        assert!(matches!(
            parse_answer::<Ticket>(b"<html>"),
            Err(WeChatError::Decode(_))
        ));
        assert!(matches!(
            parse_answer::<Ticket>(br#"{"errcode":0}"#),
            Err(WeChatError::Decode(_))
        ));
    }

    #[test]
    fn join_tolerates_slashes() {
        assert_eq!(
            join("http://h/", "/cgi-bin/token"),
            "http://h/cgi-bin/token"
        );
        assert_eq!(join("http://h", "cgi-bin/token"), "http://h/cgi-bin/token");
    }
}
