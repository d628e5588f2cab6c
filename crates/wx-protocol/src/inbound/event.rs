//! Events (`MsgType = event`): follows, QR scans, location, menus, job results, WeCom
//! directory changes and app events.

use serde::{Deserialize, Serialize};

use super::contact::ContactChange;
use super::{read_msg_id, MsgId, HEADER};
use crate::qrscene::{decode_event_key, scene_from_event_key, DecodedScene, QrEventKey};
use crate::xml::{Element, Fields, XmlError, XmlWriter};

/// An event, tagged by its `Event` field. Event names are matched case-insensitively (WeCom
/// writes `click` where Official Accounts write `CLICK`) and written in the Official Account
/// spelling.
// A directory change is much larger than a click; one event lives per callback, so the
// variants stay unboxed for plain construction and matching on both sides.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A follow. Through a parametric QR code, `scene` holds its `EventKey`
    /// (`qrscene_…`) and `ticket` the code's ticket.
    Subscribe {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scene: Option<QrEventKey>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ticket: Option<String>,
    },
    Unsubscribe,
    /// A follower scanned a parametric QR code; `event_key` is the bare scene.
    Scan {
        event_key: String,
        ticket: String,
    },
    /// Location report.
    Location {
        latitude: f64,
        longitude: f64,
        precision: f64,
    },
    /// Menu click.
    Click {
        event_key: String,
    },
    /// Menu link; `event_key` is the URL, `menu_id` the conditional menu's id.
    View {
        event_key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        menu_id: Option<String>,
    },
    ScancodePush {
        event_key: String,
        scan_code_info: ScanCodeInfo,
    },
    ScancodeWaitmsg {
        event_key: String,
        scan_code_info: ScanCodeInfo,
    },
    PicSysphoto {
        event_key: String,
        send_pics_info: SendPicsInfo,
    },
    PicPhotoOrAlbum {
        event_key: String,
        send_pics_info: SendPicsInfo,
    },
    PicWeixin {
        event_key: String,
        send_pics_info: SendPicsInfo,
    },
    LocationSelect {
        event_key: String,
        send_location_info: SendLocationInfo,
    },
    /// A template message was delivered (`success`) or not (`failed:user block`,
    /// `failed: system failed`).
    TemplateSendJobFinish {
        msg_id: MsgId,
        status: String,
    },
    /// A mass send finished.
    MassSendJobFinish {
        msg_id: MsgId,
        status: String,
        total_count: u64,
        filter_count: u64,
        sent_count: u64,
        error_count: u64,
        /// The children of `CopyrightCheckResult`, when present.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        copyright_check_result: Vec<Element>,
        /// The children of `ArticleUrlResult`, when present.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        article_url_result: Vec<Element>,
    },
    /// WeCom directory change.
    ChangeContact(ContactChange),
    /// WeCom: a member entered the app.
    EnterAgent {
        event_key: String,
    },
    /// WeCom: an asynchronous batch job finished.
    BatchJobResult(BatchJob),
    /// An event this crate does not know, with all its non-header fields.
    Other {
        #[serde(rename = "raw_event")]
        event: String,
        fields: Vec<Element>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanCodeInfo {
    /// `qrcode` or `barcode`.
    pub scan_type: String,
    pub scan_result: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendPicsInfo {
    /// `Count` as WeChat sent it.
    pub count: u32,
    /// The `PicMd5Sum` of each `PicList/item`.
    pub pic_md5_sums: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendLocationInfo {
    pub location_x: f64,
    pub location_y: f64,
    pub scale: f64,
    pub label: String,
    pub poiname: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchJob {
    pub job_id: String,
    /// `sync_user`, `replace_user`, `invite_user`, `replace_party`.
    pub job_type: String,
    pub err_code: i64,
    pub err_msg: String,
}

/// How a QR scan reached the account, for seed 000's scan bus message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanTrigger {
    Subscribe,
    Scan,
}

/// Seed 000's `{scancode, source, srcvalue, trigger}` for a subscribe or SCAN event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanInfo {
    pub trigger: ScanTrigger,
    /// The scanned value (the scene id or string), `"0"` for a plain follow.
    pub scancode: String,
    pub scene: DecodedScene,
}

impl Event {
    /// The event name as WeChat spells it for Official Accounts, or the unknown name as received.
    pub fn name(&self) -> &str {
        match self {
            Self::Subscribe { .. } => "subscribe",
            Self::Unsubscribe => "unsubscribe",
            Self::Scan { .. } => "SCAN",
            Self::Location { .. } => "LOCATION",
            Self::Click { .. } => "CLICK",
            Self::View { .. } => "VIEW",
            Self::ScancodePush { .. } => "scancode_push",
            Self::ScancodeWaitmsg { .. } => "scancode_waitmsg",
            Self::PicSysphoto { .. } => "pic_sysphoto",
            Self::PicPhotoOrAlbum { .. } => "pic_photo_or_album",
            Self::PicWeixin { .. } => "pic_weixin",
            Self::LocationSelect { .. } => "location_select",
            Self::TemplateSendJobFinish { .. } => "TEMPLATESENDJOBFINISH",
            Self::MassSendJobFinish { .. } => "MASSSENDJOBFINISH",
            Self::ChangeContact(_) => "change_contact",
            Self::EnterAgent { .. } => "enter_agent",
            Self::BatchJobResult(_) => "batch_job_result",
            Self::Other { event, .. } => event,
        }
    }

    /// The `EventKey`, for the events that carry one.
    pub fn event_key(&self) -> Option<&str> {
        match self {
            Self::Subscribe { scene, .. } => scene.as_ref().map(QrEventKey::as_raw),
            Self::Scan { event_key, .. }
            | Self::Click { event_key }
            | Self::View { event_key, .. }
            | Self::ScancodePush { event_key, .. }
            | Self::ScancodeWaitmsg { event_key, .. }
            | Self::PicSysphoto { event_key, .. }
            | Self::PicPhotoOrAlbum { event_key, .. }
            | Self::PicWeixin { event_key, .. }
            | Self::LocationSelect { event_key, .. }
            | Self::EnterAgent { event_key } => Some(event_key),
            _ => None,
        }
    }

    /// The `MsgID` of a job-finish event.
    pub fn msg_id(&self) -> Option<MsgId> {
        match self {
            Self::TemplateSendJobFinish { msg_id, .. } | Self::MassSendJobFinish { msg_id, .. } => {
                Some(*msg_id)
            }
            _ => None,
        }
    }

    /// For subscribe and SCAN: the scanned code decoded with the QR scene codec. A follow
    /// without a code is source 0, scancode `"0"`, as seed 000 publishes it.
    pub fn scan_info(&self) -> Option<ScanInfo> {
        match self {
            Self::Subscribe { scene, .. } => {
                let scancode = scene
                    .as_ref()
                    .map(|s| s.scene())
                    .filter(|s| !s.is_empty())
                    .unwrap_or("0");
                Some(ScanInfo {
                    trigger: ScanTrigger::Subscribe,
                    scancode: scancode.to_owned(),
                    scene: scene
                        .as_ref()
                        .map(QrEventKey::decode)
                        .unwrap_or_else(DecodedScene::plain_follow),
                })
            }
            Self::Scan { event_key, .. } => Some(ScanInfo {
                trigger: ScanTrigger::Scan,
                scancode: scene_from_event_key(event_key).to_owned(),
                scene: decode_event_key(event_key),
            }),
            _ => None,
        }
    }

    pub(super) fn read(f: Fields<'_>) -> Result<Self, XmlError> {
        let name = f.req_str("Event")?;
        let event_key = || f.str_or_empty("EventKey");
        let lower = name.to_ascii_lowercase();
        Ok(match lower.as_str() {
            "subscribe" => Self::Subscribe {
                scene: f
                    .opt_str("EventKey")
                    .filter(|k| !k.is_empty())
                    .map(QrEventKey::from_raw),
                ticket: f.opt_str("Ticket"),
            },
            "unsubscribe" => Self::Unsubscribe,
            "scan" => Self::Scan {
                event_key: event_key(),
                ticket: f.str_or_empty("Ticket"),
            },
            "location" => Self::Location {
                latitude: f.req_f64("Latitude")?,
                longitude: f.req_f64("Longitude")?,
                precision: f.req_f64("Precision")?,
            },
            "click" => Self::Click {
                event_key: event_key(),
            },
            "view" => Self::View {
                event_key: event_key(),
                menu_id: f.opt_str("MenuId"),
            },
            "scancode_push" => Self::ScancodePush {
                event_key: event_key(),
                scan_code_info: ScanCodeInfo::read(f)?,
            },
            "scancode_waitmsg" => Self::ScancodeWaitmsg {
                event_key: event_key(),
                scan_code_info: ScanCodeInfo::read(f)?,
            },
            "pic_sysphoto" => Self::PicSysphoto {
                event_key: event_key(),
                send_pics_info: SendPicsInfo::read(f)?,
            },
            "pic_photo_or_album" => Self::PicPhotoOrAlbum {
                event_key: event_key(),
                send_pics_info: SendPicsInfo::read(f)?,
            },
            "pic_weixin" => Self::PicWeixin {
                event_key: event_key(),
                send_pics_info: SendPicsInfo::read(f)?,
            },
            "location_select" => Self::LocationSelect {
                event_key: event_key(),
                send_location_info: SendLocationInfo::read(f)?,
            },
            "templatesendjobfinish" => Self::TemplateSendJobFinish {
                msg_id: read_msg_id(f)?,
                status: f.str_or_empty("Status"),
            },
            "masssendjobfinish" => Self::MassSendJobFinish {
                msg_id: read_msg_id(f)?,
                status: f.str_or_empty("Status"),
                total_count: f.opt_parse_nonempty("TotalCount")?.unwrap_or(0),
                filter_count: f.opt_parse_nonempty("FilterCount")?.unwrap_or(0),
                sent_count: f.opt_parse_nonempty("SentCount")?.unwrap_or(0),
                error_count: f.opt_parse_nonempty("ErrorCount")?.unwrap_or(0),
                copyright_check_result: children_of(f, "CopyrightCheckResult"),
                article_url_result: children_of(f, "ArticleUrlResult"),
            },
            "change_contact" => Self::ChangeContact(ContactChange::read(f)?),
            "enter_agent" => Self::EnterAgent {
                event_key: event_key(),
            },
            "batch_job_result" => Self::BatchJobResult(BatchJob::read(f)?),
            _ => {
                let mut skip = HEADER.to_vec();
                skip.push("Event");
                Self::Other {
                    event: name,
                    fields: f.rest(&skip),
                }
            }
        })
    }

    pub(super) fn write(&self, w: &mut XmlWriter) {
        w.cdata("Event", self.name());
        match self {
            Self::Subscribe { scene, ticket } => {
                w.opt_cdata("EventKey", scene.as_ref().map(QrEventKey::as_raw));
                w.opt_cdata("Ticket", ticket.as_deref());
            }
            Self::Unsubscribe => {}
            Self::Scan { event_key, ticket } => {
                w.cdata("EventKey", event_key);
                w.cdata("Ticket", ticket);
            }
            Self::Location {
                latitude,
                longitude,
                precision,
            } => {
                w.bare("Latitude", latitude);
                w.bare("Longitude", longitude);
                w.bare("Precision", precision);
            }
            Self::Click { event_key } | Self::EnterAgent { event_key } => {
                w.cdata("EventKey", event_key);
            }
            Self::View { event_key, menu_id } => {
                w.cdata("EventKey", event_key);
                w.opt_cdata("MenuId", menu_id.as_deref());
            }
            Self::ScancodePush {
                event_key,
                scan_code_info,
            }
            | Self::ScancodeWaitmsg {
                event_key,
                scan_code_info,
            } => {
                w.cdata("EventKey", event_key);
                scan_code_info.write(w);
            }
            Self::PicSysphoto {
                event_key,
                send_pics_info,
            }
            | Self::PicPhotoOrAlbum {
                event_key,
                send_pics_info,
            }
            | Self::PicWeixin {
                event_key,
                send_pics_info,
            } => {
                w.cdata("EventKey", event_key);
                send_pics_info.write(w);
            }
            Self::LocationSelect {
                event_key,
                send_location_info,
            } => {
                w.cdata("EventKey", event_key);
                send_location_info.write(w);
            }
            Self::TemplateSendJobFinish { msg_id, status } => {
                w.bare("MsgID", msg_id);
                w.cdata("Status", status);
            }
            Self::MassSendJobFinish {
                msg_id,
                status,
                total_count,
                filter_count,
                sent_count,
                error_count,
                copyright_check_result,
                article_url_result,
            } => {
                w.bare("MsgID", msg_id);
                w.cdata("Status", status);
                w.bare("TotalCount", total_count);
                w.bare("FilterCount", filter_count);
                w.bare("SentCount", sent_count);
                w.bare("ErrorCount", error_count);
                write_children(w, "CopyrightCheckResult", copyright_check_result);
                write_children(w, "ArticleUrlResult", article_url_result);
            }
            Self::ChangeContact(change) => change.write(w),
            Self::BatchJobResult(job) => job.write(w),
            Self::Other { fields, .. } => {
                for field in fields {
                    w.element(field);
                }
            }
        }
    }
}

fn children_of(f: Fields<'_>, name: &'static str) -> Vec<Element> {
    f.child(name)
        .map(|c| c.element().children.clone())
        .unwrap_or_default()
}

fn write_children(w: &mut XmlWriter, name: &str, children: &[Element]) {
    if children.is_empty() {
        return;
    }
    w.open(name);
    for child in children {
        w.element(child);
    }
    w.close(name);
}

impl ScanCodeInfo {
    fn read(f: Fields<'_>) -> Result<Self, XmlError> {
        let info = f
            .child("ScanCodeInfo")
            .ok_or(XmlError::MissingField("ScanCodeInfo"))?;
        Ok(Self {
            scan_type: info.str_or_empty("ScanType"),
            scan_result: info.str_or_empty("ScanResult"),
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("ScanCodeInfo");
        w.cdata("ScanType", &self.scan_type);
        w.cdata("ScanResult", &self.scan_result);
        w.close("ScanCodeInfo");
    }
}

impl SendPicsInfo {
    fn read(f: Fields<'_>) -> Result<Self, XmlError> {
        let info = f
            .child("SendPicsInfo")
            .ok_or(XmlError::MissingField("SendPicsInfo"))?;
        let pic_md5_sums: Vec<String> = info
            .child("PicList")
            .map(|list| {
                list.element()
                    .children
                    .iter()
                    .map(|item| item.child_text("PicMd5Sum").unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let count = match info.opt_parse_nonempty::<u32>("Count")? {
            Some(count) => count,
            None => u32::try_from(pic_md5_sums.len())
                .map_err(|_| XmlError::invalid("Count", "too many pictures"))?,
        };
        Ok(Self {
            count,
            pic_md5_sums,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("SendPicsInfo");
        w.bare("Count", self.count);
        w.open("PicList");
        for sum in &self.pic_md5_sums {
            w.open("item");
            w.cdata("PicMd5Sum", sum);
            w.close("item");
        }
        w.close("PicList");
        w.close("SendPicsInfo");
    }
}

impl SendLocationInfo {
    fn read(f: Fields<'_>) -> Result<Self, XmlError> {
        let info = f
            .child("SendLocationInfo")
            .ok_or(XmlError::MissingField("SendLocationInfo"))?;
        Ok(Self {
            location_x: info.req_f64("Location_X")?,
            location_y: info.req_f64("Location_Y")?,
            scale: info.req_f64("Scale")?,
            label: info.str_or_empty("Label"),
            poiname: info.str_or_empty("Poiname"),
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("SendLocationInfo");
        w.bare("Location_X", self.location_x);
        w.bare("Location_Y", self.location_y);
        w.bare("Scale", self.scale);
        w.cdata("Label", &self.label);
        w.cdata("Poiname", &self.poiname);
        w.close("SendLocationInfo");
    }
}

impl BatchJob {
    fn read(f: Fields<'_>) -> Result<Self, XmlError> {
        let job = f
            .child("BatchJob")
            .ok_or(XmlError::MissingField("BatchJob"))?;
        Ok(Self {
            job_id: job.str_or_empty("JobId"),
            job_type: job.str_or_empty("JobType"),
            err_code: job.opt_parse_nonempty("ErrCode")?.unwrap_or(0),
            err_msg: job.str_or_empty("ErrMsg"),
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("BatchJob");
        w.cdata("JobId", &self.job_id);
        w.cdata("JobType", &self.job_type);
        w.bare("ErrCode", self.err_code);
        w.cdata("ErrMsg", &self.err_msg);
        w.close("BatchJob");
    }
}
