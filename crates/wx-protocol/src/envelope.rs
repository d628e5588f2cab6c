//! The encrypted XML envelope, in both directions.
//!
//! WeChat POSTs `<xml><ToUserName/><Encrypt/>[<AgentID/>]</xml>` with `msg_signature`,
//! `timestamp` and `nonce` in the query ([`EncryptedRequest`]); the passive reply goes back as
//! `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>` ([`EncryptedReply`]).

use crate::crypto::{CryptoError, MessageCrypt};
use crate::signature::{callback_signature, verify_callback_signature};
use crate::xml::{parse_document, Fields, XmlError, XmlWriter};

/// What WeChat POSTs in safe mode (and, next to the plaintext fields, in compatible mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedRequest {
    pub to_user_name: String,
    /// WeCom only: the app's AgentID, as WeChat sends it (possibly empty).
    pub agent_id: Option<String>,
    /// Base64 ciphertext.
    pub encrypt: String,
}

impl EncryptedRequest {
    pub fn parse(xml: &str) -> Result<Self, XmlError> {
        let root = parse_document(xml)?;
        let fields = Fields::new(&root);
        Ok(Self {
            to_user_name: fields.str_or_empty("ToUserName"),
            agent_id: fields.opt_str("AgentID"),
            encrypt: fields.req_str("Encrypt")?,
        })
    }

    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.cdata("ToUserName", &self.to_user_name);
        w.cdata("Encrypt", &self.encrypt);
        w.opt_cdata("AgentID", self.agent_id.as_deref());
        w.finish()
    }

    /// Encrypts `plaintext_xml` into a request and signs it, as WeChat does before a callback.
    /// Returns the request and its `msg_signature`.
    pub fn seal(
        crypt: &MessageCrypt,
        token: &str,
        to_user_name: impl Into<String>,
        agent_id: Option<String>,
        plaintext_xml: &str,
        timestamp: &str,
        nonce: &str,
    ) -> (Self, String) {
        let encrypt = crypt.encrypt(plaintext_xml);
        let signature = callback_signature(token, timestamp, nonce, Some(&encrypt));
        let request = Self {
            to_user_name: to_user_name.into(),
            agent_id,
            encrypt,
        };
        (request, signature)
    }

    /// Verifies `msg_signature` (in constant time), then decrypts. The signature is checked
    /// first, so an unsigned body never reaches the cipher.
    pub fn open(
        &self,
        crypt: &MessageCrypt,
        token: &str,
        timestamp: &str,
        nonce: &str,
        msg_signature: &str,
    ) -> Result<String, CryptoError> {
        if !verify_callback_signature(token, timestamp, nonce, Some(&self.encrypt), msg_signature) {
            return Err(CryptoError::InvalidSignature);
        }
        crypt.decrypt(&self.encrypt)
    }
}

/// The encrypted passive reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedReply {
    pub encrypt: String,
    pub msg_signature: String,
    pub timestamp: String,
    pub nonce: String,
}

impl EncryptedReply {
    /// Encrypts `reply_xml` and signs the result.
    pub fn seal(
        crypt: &MessageCrypt,
        token: &str,
        reply_xml: &str,
        timestamp: &str,
        nonce: &str,
    ) -> Self {
        Self::seal_encrypted(token, crypt.encrypt(reply_xml), timestamp, nonce)
    }

    /// Signs an already encrypted reply (for known-answer tests with a fixed random prefix).
    pub fn seal_encrypted(token: &str, encrypt: String, timestamp: &str, nonce: &str) -> Self {
        let msg_signature = callback_signature(token, timestamp, nonce, Some(&encrypt));
        Self {
            encrypt,
            msg_signature,
            timestamp: timestamp.to_owned(),
            nonce: nonce.to_owned(),
        }
    }

    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.cdata("Encrypt", &self.encrypt);
        w.cdata("MsgSignature", &self.msg_signature);
        w.digits("TimeStamp", &self.timestamp);
        w.cdata("Nonce", &self.nonce);
        w.finish()
    }

    pub fn parse(xml: &str) -> Result<Self, XmlError> {
        let root = parse_document(xml)?;
        let fields = Fields::new(&root);
        Ok(Self {
            encrypt: fields.req_str("Encrypt")?,
            msg_signature: fields.req_str("MsgSignature")?,
            timestamp: fields.req_str("TimeStamp")?,
            nonce: fields.req_str("Nonce")?,
        })
    }

    /// Verifies the reply's signature (in constant time), then decrypts it.
    pub fn open(&self, crypt: &MessageCrypt, token: &str) -> Result<String, CryptoError> {
        if !verify_callback_signature(
            token,
            &self.timestamp,
            &self.nonce,
            Some(&self.encrypt),
            &self.msg_signature,
        ) {
            return Err(CryptoError::InvalidSignature);
        }
        crypt.decrypt(&self.encrypt)
    }
}
