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

/// WeCom's URL verification (`GET` with `msg_signature`, `timestamp`, `nonce`, `echostr`):
/// verifies the signature over the encrypted `echostr`, then decrypts it; the plaintext is
/// the response body. (Official Accounts send a plaintext `echostr` signed without it: check
/// that with [`verify_callback_signature`] and `encrypted = None`.)
pub fn open_echostr(
    crypt: &MessageCrypt,
    token: &str,
    timestamp: &str,
    nonce: &str,
    msg_signature: &str,
    echostr: &str,
) -> Result<String, CryptoError> {
    if !verify_callback_signature(token, timestamp, nonce, Some(echostr), msg_signature) {
        return Err(CryptoError::InvalidSignature);
    }
    crypt.decrypt(echostr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::EncodingAesKey;
    use proptest::prelude::*;

    fn crypt() -> MessageCrypt {
        MessageCrypt::new(
            EncodingAesKey::parse("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR").unwrap(),
            "wx49f0ab532d5d035a",
        )
    }

    #[test]
    fn wecom_echostr_decrypts() {
        // wechatpy/wechatpy tests/test_crypto.py, test_check_signature_should_ok.
        let echostr =
            "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==";
        let sig = "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96";
        let c = MessageCrypt::new(
            EncodingAesKey::parse("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR").unwrap(),
            "wx49f0ab532d5d035a",
        );
        assert!(open_echostr(&c, "123456", "1411443780", "437374425", sig, echostr).is_ok());
        assert_eq!(
            open_echostr(&c, "123456", "1411443780", "437374424", sig, echostr),
            Err(CryptoError::InvalidSignature)
        );
    }

    #[test]
    fn signature_is_checked_before_the_ciphertext_is_touched() {
        let request = EncryptedRequest {
            to_user_name: "gh".into(),
            agent_id: None,
            encrypt: "!!! not base64 !!!".into(),
        };
        assert_eq!(
            request.open(&crypt(), "token", "1", "n", "0000"),
            Err(CryptoError::InvalidSignature)
        );
        // With a valid signature over garbage, the garbage is reported as such.
        let sig = callback_signature("token", "1", "n", Some(&request.encrypt));
        assert_eq!(
            request.open(&crypt(), "token", "1", "n", &sig),
            Err(CryptoError::Base64)
        );
    }

    #[test]
    fn envelopes_missing_their_ciphertext_are_refused() {
        assert_eq!(
            EncryptedRequest::parse("<xml><ToUserName>gh</ToUserName></xml>"),
            Err(XmlError::MissingField("Encrypt"))
        );
        assert_eq!(
            EncryptedReply::parse("<xml><Encrypt>x</Encrypt><TimeStamp>1</TimeStamp></xml>"),
            Err(XmlError::MissingField("MsgSignature"))
        );
        assert_eq!(
            EncryptedRequest::parse("<!DOCTYPE x><xml/>"),
            Err(XmlError::Dtd)
        );
    }

    #[test]
    fn safe_mode_request_without_to_user_name_still_parses() {
        let request =
            EncryptedRequest::parse("<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>").unwrap();
        assert_eq!(request.to_user_name, "");
        assert_eq!(request.encrypt, "abc");
    }

    proptest! {
        #[test]
        fn sealed_requests_round_trip_and_open(
            plaintext in any::<String>(),
            to in any::<String>(),
            agent_id in proptest::option::of("[0-9]{0,7}"),
            timestamp in "[0-9]{1,10}",
            nonce in "[a-zA-Z0-9]{1,12}",
        ) {
            let c = crypt();
            let (request, sig) = EncryptedRequest::seal(&c, "tok", to, agent_id, &plaintext, &timestamp, &nonce);
            let parsed = EncryptedRequest::parse(&request.to_xml()).unwrap();
            prop_assert_eq!(&parsed, &request);
            prop_assert_eq!(parsed.open(&c, "tok", &timestamp, &nonce, &sig).unwrap(), plaintext);
            prop_assert_eq!(parsed.open(&c, "tok", &timestamp, "other", &sig), Err(CryptoError::InvalidSignature));
        }

        #[test]
        fn reply_timestamps_of_any_shape_round_trip(timestamp in any::<String>(), nonce in any::<String>()) {
            let sealed = EncryptedReply::seal(&crypt(), "tok", "<xml/>", &timestamp, &nonce);
            prop_assert_eq!(EncryptedReply::parse(&sealed.to_xml()).unwrap(), sealed);
        }
    }
}
