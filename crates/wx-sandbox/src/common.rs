//! What every area shares, defined once: WeChat's callback addresses, the callback encryption
//! mode an MP account or a WeCom app chose, what a simulated user (MP follower or WeCom
//! member) received, and the state file's byte encoding. Access tokens and tickets are in
//! [`crate::tokens`].
//!
//! Plain data with no dependency on any area, so `mp`, `work`, `pay` and `oauth` may all use
//! it without using each other.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The addresses WeChat's callbacks come from (`cgi-bin/getcallbackip`), single IPs and CIDR
/// ranges as WeChat lists them; WeCom answers the single IPs. The sandbox's callbacks come
/// from loopback, which is listed.
pub const CALLBACK_IPS: &[&str] = &[
    "127.0.0.1",
    "101.226.62.77",
    "101.226.103.0/25",
    "140.207.54.0/25",
    "183.3.234.0/25",
    "58.251.80.0/25",
];

/// The message encryption mode an account chose (seed 003/004): plaintext, compatible
/// (plaintext plus `<Encrypt>`), or safe (the encrypted envelope only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CallbackMode {
    #[default]
    Plaintext,
    Compatible,
    Safe,
}

/// Something a simulated user received, newest last in the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    /// `reply` (passive reply), `notice` (WeChat's own failure notice), `custom`,
    /// `template`, `mass`, `redpack`, … — whatever reached the user's chat.
    pub kind: String,
    pub at: i64,
    pub message: Value,
}

/// Byte vectors as base64 strings in the state file.
pub mod b64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        STANDARD.decode(s).map_err(serde::de::Error::custom)
    }
}
