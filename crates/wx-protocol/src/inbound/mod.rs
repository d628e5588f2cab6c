//! What WeChat POSTs to a callback URL: every message type and event, for Official Accounts
//! and WeCom apps, as one typed enum that both parses ([`InboundMessage::parse`], the hub) and
//! writes ([`InboundMessage::to_xml`], the sandbox).
//!
//! Unknown message types and events are not errors: they parse into `Other` variants that
//! keep every field, so a new WeChat event is stored and forwarded, never refused.

mod contact;
mod event;
mod msg_id;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use contact::{ContactChange, ContactUser, Party, TagChange};
pub use event::{
    BatchJob, Event, ScanCodeInfo, ScanInfo, ScanTrigger, SendLocationInfo, SendPicsInfo,
};
pub use msg_id::MsgId;

use crate::xml::{parse_document, Element, Fields, XmlError, XmlWriter};

/// The header fields every message carries; `Other` variants keep everything else.
const HEADER: &[&str] = &[
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "AgentID",
    "Encrypt",
];

/// One callback message or event, after decryption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// The account's original id (`gh_…`) or, for WeCom, the CorpID.
    pub to_user_name: String,
    /// The user's openid (WeCom: userid; `sys` for directory changes).
    pub from_user_name: String,
    /// Unix seconds.
    pub create_time: i64,
    /// WeCom only: the app that received the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<u32>,
    #[serde(flatten)]
    pub body: InboundBody,
}

/// The message proper, tagged by `MsgType`.
#[allow(clippy::large_enum_variant)] // see `Event`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "msg_type", rename_all = "snake_case")]
pub enum InboundBody {
    Text {
        content: String,
        msg_id: MsgId,
    },
    Image {
        pic_url: String,
        media_id: String,
        msg_id: MsgId,
    },
    Voice {
        media_id: String,
        /// `amr`, `speex` …
        format: String,
        /// Speech recognition result, when the account has it enabled.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recognition: Option<String>,
        msg_id: MsgId,
    },
    Video {
        media_id: String,
        thumb_media_id: String,
        msg_id: MsgId,
    },
    #[serde(rename = "shortvideo")]
    ShortVideo {
        media_id: String,
        thumb_media_id: String,
        msg_id: MsgId,
    },
    Location {
        /// Latitude.
        location_x: f64,
        /// Longitude.
        location_y: f64,
        scale: f64,
        label: String,
        msg_id: MsgId,
    },
    Link {
        title: String,
        description: String,
        url: String,
        msg_id: MsgId,
    },
    Event(Event),
    /// A message type this crate does not know, with all its non-header fields.
    Other {
        #[serde(rename = "raw_msg_type")]
        msg_type: String,
        fields: Vec<Element>,
    },
}

impl InboundMessage {
    /// Parses a plaintext callback body (or the decrypted `Encrypt` of a safe-mode one).
    pub fn parse(xml: &str) -> Result<Self, XmlError> {
        let root = parse_document(xml)?;
        Self::from_element(&root)
    }

    /// Maps an already parsed `<xml>` element.
    pub fn from_element(root: &Element) -> Result<Self, XmlError> {
        let f = Fields::new(root);
        let msg_type = f.req_str("MsgType")?;
        let body = InboundBody::read(&msg_type, f)?;
        Ok(Self {
            to_user_name: f.req_str("ToUserName")?,
            from_user_name: f.req_str("FromUserName")?,
            create_time: f.req_parse("CreateTime")?,
            agent_id: f.opt_parse_nonempty("AgentID")?,
            body,
        })
    }

    /// The XML WeChat would POST for this message, in plaintext.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.cdata("ToUserName", &self.to_user_name);
        w.cdata("FromUserName", &self.from_user_name);
        w.bare("CreateTime", self.create_time);
        w.cdata("MsgType", self.msg_type());
        self.body.write(&mut w);
        w.opt_bare("AgentID", self.agent_id);
        w.finish()
    }

    /// `text`, `image`, `voice`, `video`, `shortvideo`, `location`, `link`, `event`, or the
    /// unknown type as received.
    pub fn msg_type(&self) -> &str {
        self.body.msg_type()
    }

    /// The event name (`subscribe`, `SCAN`, `change_contact` …) for events.
    pub fn event_name(&self) -> Option<&str> {
        self.event().map(Event::name)
    }

    pub fn event(&self) -> Option<&Event> {
        match &self.body {
            InboundBody::Event(event) => Some(event),
            _ => None,
        }
    }

    /// The message's `MsgId`, or the `MsgID` of a job-finish event.
    pub fn msg_id(&self) -> Option<MsgId> {
        match &self.body {
            InboundBody::Text { msg_id, .. }
            | InboundBody::Image { msg_id, .. }
            | InboundBody::Voice { msg_id, .. }
            | InboundBody::Video { msg_id, .. }
            | InboundBody::ShortVideo { msg_id, .. }
            | InboundBody::Location { msg_id, .. }
            | InboundBody::Link { msg_id, .. } => Some(*msg_id),
            InboundBody::Event(event) => event.msg_id(),
            InboundBody::Other { .. } => None,
        }
    }
}

impl InboundBody {
    pub fn msg_type(&self) -> &str {
        match self {
            Self::Text { .. } => "text",
            Self::Image { .. } => "image",
            Self::Voice { .. } => "voice",
            Self::Video { .. } => "video",
            Self::ShortVideo { .. } => "shortvideo",
            Self::Location { .. } => "location",
            Self::Link { .. } => "link",
            Self::Event(_) => "event",
            Self::Other { msg_type, .. } => msg_type,
        }
    }

    fn read(msg_type: &str, f: Fields<'_>) -> Result<Self, XmlError> {
        let msg_id = || read_msg_id(f);
        Ok(match msg_type.to_ascii_lowercase().as_str() {
            "text" => Self::Text {
                content: f.str_or_empty("Content"),
                msg_id: msg_id()?,
            },
            "image" => Self::Image {
                pic_url: f.str_or_empty("PicUrl"),
                media_id: f.str_or_empty("MediaId"),
                msg_id: msg_id()?,
            },
            "voice" => Self::Voice {
                media_id: f.str_or_empty("MediaId"),
                format: f.str_or_empty("Format"),
                recognition: f.opt_str("Recognition"),
                msg_id: msg_id()?,
            },
            "video" => Self::Video {
                media_id: f.str_or_empty("MediaId"),
                thumb_media_id: f.str_or_empty("ThumbMediaId"),
                msg_id: msg_id()?,
            },
            "shortvideo" => Self::ShortVideo {
                media_id: f.str_or_empty("MediaId"),
                thumb_media_id: f.str_or_empty("ThumbMediaId"),
                msg_id: msg_id()?,
            },
            "location" => Self::Location {
                location_x: f.req_f64("Location_X")?,
                location_y: f.req_f64("Location_Y")?,
                scale: f.req_f64("Scale")?,
                label: f.str_or_empty("Label"),
                msg_id: msg_id()?,
            },
            "link" => Self::Link {
                title: f.str_or_empty("Title"),
                description: f.str_or_empty("Description"),
                url: f.str_or_empty("Url"),
                msg_id: msg_id()?,
            },
            "event" => Self::Event(Event::read(f)?),
            _ => Self::Other {
                msg_type: msg_type.to_owned(),
                fields: f.rest(HEADER),
            },
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        match self {
            Self::Text { content, msg_id } => {
                w.cdata("Content", content);
                w.bare("MsgId", msg_id);
            }
            Self::Image {
                pic_url,
                media_id,
                msg_id,
            } => {
                w.cdata("PicUrl", pic_url);
                w.cdata("MediaId", media_id);
                w.bare("MsgId", msg_id);
            }
            Self::Voice {
                media_id,
                format,
                recognition,
                msg_id,
            } => {
                w.cdata("MediaId", media_id);
                w.cdata("Format", format);
                w.bare("MsgId", msg_id);
                w.opt_cdata("Recognition", recognition.as_deref());
            }
            Self::Video {
                media_id,
                thumb_media_id,
                msg_id,
            }
            | Self::ShortVideo {
                media_id,
                thumb_media_id,
                msg_id,
            } => {
                w.cdata("MediaId", media_id);
                w.cdata("ThumbMediaId", thumb_media_id);
                w.bare("MsgId", msg_id);
            }
            Self::Location {
                location_x,
                location_y,
                scale,
                label,
                msg_id,
            } => {
                w.bare("Location_X", location_x);
                w.bare("Location_Y", location_y);
                w.bare("Scale", scale);
                w.cdata("Label", label);
                w.bare("MsgId", msg_id);
            }
            Self::Link {
                title,
                description,
                url,
                msg_id,
            } => {
                w.cdata("Title", title);
                w.cdata("Description", description);
                w.cdata("Url", url);
                w.bare("MsgId", msg_id);
            }
            Self::Event(event) => event.write(w),
            Self::Other { fields, .. } => {
                for field in fields {
                    w.element(field);
                }
            }
        }
    }
}

/// `MsgId` on messages; job-finish events spell it `MsgID`. Either is accepted.
pub(crate) fn read_msg_id(f: Fields<'_>) -> Result<MsgId, XmlError> {
    match f.opt_parse::<MsgId>("MsgId")? {
        Some(id) => Ok(id),
        None => f.req_parse("MsgID").map_err(|e| match e {
            XmlError::MissingField(_) => XmlError::MissingField("MsgId"),
            other => other,
        }),
    }
}
