//! WXBizMsgCrypt: the message encryption shared by Official Accounts and WeCom.
//!
//! `plaintext = random(16) ‖ u32_be(len(msg)) ‖ msg ‖ receive_id`, PKCS#7-padded to 32-byte
//! blocks (WeChat's block size, not AES's 16), encrypted with AES-256-CBC under the 32-byte
//! key decoded from the EncodingAESKey, with the key's first 16 bytes as IV, then base64.
//! The receive id is the AppID (Official Accounts), the CorpID or the suite id (WeCom).

mod error;
mod key;
mod message;

pub use error::CryptoError;
pub use key::EncodingAesKey;
pub use message::MessageCrypt;

#[cfg(test)]
mod tests;
