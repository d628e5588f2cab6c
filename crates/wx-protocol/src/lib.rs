//! WeChat wire formats.
#![forbid(unsafe_code)]

pub mod crypto;
pub mod envelope;
pub mod inbound;
pub mod qrscene;
pub mod reply;
pub mod signature;
pub mod xml;

pub use crypto::{CryptoError, EncodingAesKey, MessageCrypt};
pub use envelope::{EncryptedReply, EncryptedRequest};
pub use inbound::{
    BatchJob, ContactChange, ContactUser, Event, InboundBody, InboundMessage, MsgId, Party,
    ScanCodeInfo, ScanInfo, ScanTrigger, SendLocationInfo, SendPicsInfo, TagChange,
};
pub use qrscene::{
    decode_event_key, decode_numeric_scene, decode_string_scene, encode_numeric_scene,
    encode_string_scene, DecodedScene, QrEventKey, QrSource, SceneError, SceneValue,
};
pub use reply::{Article, ArticleCountError, NewsArticles, Reply, ReplyMessage, MAX_NEWS_ARTICLES};
pub use signature::{
    callback_signature, jssdk_signature, pay_md5_sign, verify_callback_signature,
    verify_jssdk_signature, verify_pay_md5_sign,
};
pub use xml::{Element, XmlError, MAX_XML_BYTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS};
