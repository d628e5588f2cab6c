//! WeChat wire formats for Official Accounts and WeCom: the message crypto (WXBizMsgCrypt),
//! the signatures (callback, JS-SDK, WeChat Pay v2), inbound XML messages and events as typed
//! enums, passive replies, the encrypted envelope, and the QR scene codec.
//!
//! # Design
//!
//! **Pure and fuzzable.** No I/O, no async, no clocks: every function maps bytes to values or
//! values to bytes, so the crate is tested with known-answer vectors and round-trip
//! properties and fuzzed as a whole (`fuzz/` at the workspace root). Callback XML is hostile
//! input: [`xml::parse_document`] refuses any DTD (so no entity is ever declared or expanded),
//! documents over [`MAX_XML_BYTES`], nesting over [`MAX_XML_DEPTH`]; bad input is always a
//! typed error ([`XmlError`], [`CryptoError`]), never a panic.
//!
//! **One definition serves both sides.** The hub parses what WeChat sends and writes replies;
//! the sandbox writes what WeChat would send and parses replies. Both use the same types:
//! every wire type both parses and serialises, and `parse(x.to_xml()) == x` is a tested
//! property. Unknown message types and events parse into `Other` variants that keep their
//! fields, never into errors.
//!
//! # A callback, end to end
//!
//! ```
//! use wx_protocol::{EncodingAesKey, EncryptedReply, EncryptedRequest, Event, InboundMessage,
//!     InboundBody, MessageCrypt, MsgId, Reply, ReplyMessage};
//!
//! let crypt = MessageCrypt::new(EncodingAesKey::generate(), "wx2c2769f8efd9abc2");
//! // The sandbox plays WeChat: a user sends "hello".
//! let inbound = InboundMessage {
//!     to_user_name: "gh_account".into(),
//!     from_user_name: "openid".into(),
//!     create_time: 1_700_000_000,
//!     agent_id: None,
//!     body: InboundBody::Text { content: "hello".into(), msg_id: MsgId(1) },
//! };
//! let (request, msg_signature) = EncryptedRequest::seal(
//!     &crypt, "token", "gh_account", None, &inbound.to_xml(), "1700000000", "nonce");
//!
//! // The hub: verify, decrypt, parse, reply.
//! let received = EncryptedRequest::parse(&request.to_xml())?;
//! let plaintext = received.open(&crypt, "token", "1700000000", "nonce", &msg_signature)?;
//! let message = InboundMessage::parse(&plaintext)?;
//! assert_eq!(message, inbound);
//! let reply = ReplyMessage::to(&message, 1_700_000_001, Reply::Text { content: "hi".into() });
//! let sealed = EncryptedReply::seal(&crypt, "token", &reply.to_xml(), "1700000001", "n2");
//!
//! // The sandbox again: check the reply.
//! let opened = EncryptedReply::parse(&sealed.to_xml())?.open(&crypt, "token")?;
//! assert_eq!(ReplyMessage::parse(&opened)?, reply);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod crypto;
pub mod envelope;
pub mod inbound;
pub mod qrscene;
pub mod reply;
pub mod signature;
pub mod xml;

pub use crypto::{CryptoError, EncodingAesKey, MessageCrypt};
pub use envelope::{open_echostr, EncryptedReply, EncryptedRequest};
pub use inbound::{
    BatchJob, ContactChange, ContactUser, Event, InboundBody, InboundMessage, MsgId, Party,
    ScanCodeInfo, ScanInfo, ScanTrigger, SendLocationInfo, SendPicsInfo, TagChange,
};
pub use qrscene::{
    decode_event_key, decode_numeric_scene, decode_string_scene, encode_numeric_scene,
    encode_string_scene, scene_from_event_key, try_encode_string_scene, DecodedScene, QrEventKey,
    QrSource, SceneError, SceneValue, MAX_PERMANENT_SCENE_ID, MAX_SCENE_STR_LEN,
};
pub use reply::{Article, ArticleCountError, NewsArticles, Reply, ReplyMessage, MAX_NEWS_ARTICLES};
pub use signature::{
    callback_signature, jssdk_signature, pay_md5_sign, verify_callback_signature,
    verify_jssdk_signature, verify_pay_md5_sign,
};
pub use xml::{Element, XmlError, MAX_XML_BYTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS};
