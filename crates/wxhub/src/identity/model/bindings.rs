//! Bindings (seed 000 §3.6): a business system's own user id (`uid`) bound to a WeChat
//! identity (`openid`) of one account, per type. The return codes are seed 000's.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::accounts::model::AccountId;
use crate::core::{InvalidField, OpenId, Uid};
use crate::events::model::{EventId, NewEvent};

crate::ulid_id!(
    /// One binding, current or ended: `bnd_<ulid>`.
    BindingId, "bnd_", "binding_id"
);

crate::ulid_id!(
    /// A bind QR code (seed 000's `scanCode`): `bqr_<ulid>`.
    BindQrCodeId, "bqr_", "scan_code"
);

/// A temporary QR code issued to bind one uid: whoever scans it is bound to the uid.
#[derive(Debug, Clone, PartialEq)]
pub struct BindQrCode {
    pub id: BindQrCodeId,
    pub account: AccountId,
    pub kind: BindingType,
    pub uid: Uid,
    /// The QR code (`qrcode` capability) that carries it, and its ticket, which scan events
    /// name.
    pub qrcode_id: String,
    pub ticket: String,
    /// Who asked for it: a caller's client id, or `admin`.
    pub owner: Actor,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Who scanned it first, and when (recorded with the scan's event).
    pub scanned: Option<(OpenId, DateTime<Utc>)>,
    /// When the scan was bound, and seed 000's code of that bind.
    pub bound: Option<(DateTime<Utc>, i32)>,
}

/// A scan of a code's ticket, as the event batch records it for scan-to-bind.
#[derive(Debug, Clone, PartialEq)]
pub struct BindScan {
    pub account: AccountId,
    pub ticket: String,
    pub openid: String,
    pub at: DateTime<Utc>,
}

/// The scans among `inserted` events: a follow by scanning, or a scan by a follower, that
/// names a ticket and a user. The event batch matches them to bind codes.
pub fn bind_scans<'a>(
    inserted: impl IntoIterator<Item = &'a crate::events::model::StoredEvent>,
) -> Vec<BindScan> {
    inserted
        .into_iter()
        .filter(|e| matches!(e.event_type.as_str(), "subscribe" | "scan"))
        .filter_map(|e| {
            let text = |field: &str| {
                e.payload
                    .get(field)
                    .and_then(|v| v.as_str())
                    .filter(|v| !v.is_empty())
            };
            Some(BindScan {
                account: e.account.clone(),
                ticket: text("ticket")?.to_owned(),
                openid: text("openid")?.to_owned(),
                at: e.received_at,
            })
        })
        .collect()
}

/// Whose identity: a WeChat openid or a QQ (seed 000's `shouq`) one. Separate namespaces:
/// the same uid may be bound once per type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BindingType {
    Weixin,
    Qq,
}

impl BindingType {
    pub fn as_str(self) -> &'static str {
        match self {
            BindingType::Weixin => "weixin",
            BindingType::Qq => "qq",
        }
    }

    /// `weixin` or `qq`, or seed 000's numbers (`getByUserId`: 1 WeChat, 2 QQ).
    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        match s {
            "weixin" | "1" => Ok(BindingType::Weixin),
            "qq" | "2" => Ok(BindingType::Qq),
            _ => Err(InvalidField::new("type", "must be weixin or qq")),
        }
    }
}

/// What `bind` did, as seed 000 numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindCode {
    /// Both had been bound before (or this exact pair is bound now: nothing changed).
    NotFirst,
    /// Both bind for the first time ever.
    BothFirst,
    /// The uid's first binding ever (the openid had been bound before).
    UidFirst,
    /// The openid's first binding ever (the uid had been bound before).
    OpenIdFirst,
    /// The openid is bound to another uid now.
    OpenIdTaken,
    /// The uid is bound to another openid now.
    UidTaken,
    /// The binding could not be recorded (the store failed); nothing was written.
    NotRecorded,
}

impl BindCode {
    pub fn code(self) -> i32 {
        match self {
            BindCode::NotFirst => 0,
            BindCode::BothFirst => 1,
            BindCode::UidFirst => 2,
            BindCode::OpenIdFirst => 3,
            BindCode::OpenIdTaken => -1,
            BindCode::UidTaken => -2,
            BindCode::NotRecorded => -3,
        }
    }

    /// A new binding's code from whether each side had ever been bound.
    pub fn for_new(uid_bound_before: bool, openid_bound_before: bool) -> Self {
        match (uid_bound_before, openid_bound_before) {
            (false, false) => BindCode::BothFirst,
            (false, true) => BindCode::UidFirst,
            (true, false) => BindCode::OpenIdFirst,
            (true, true) => BindCode::NotFirst,
        }
    }

    pub fn made_a_binding(self) -> bool {
        self.code() >= 0
    }
}

/// Who asked: a caller's client id, `admin`, or `scan` (scan-to-bind).
pub type Actor = String;

/// A bind request, checked.
#[derive(Debug, Clone)]
pub struct BindRequest {
    pub account: AccountId,
    pub kind: BindingType,
    pub uid: Uid,
    pub openid: OpenId,
    /// The bind QR code the user scanned (seed 000's `scanCode`), if it came that way.
    pub scan_code: Option<String>,
    pub by: Actor,
}

/// Why a binding ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    Unbind,
    Unfollow,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Unbind => "unbind",
            EndReason::Unfollow => "unfollow",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "unbind" => Some(EndReason::Unbind),
            "unfollow" => Some(EndReason::Unfollow),
            _ => None,
        }
    }
}

/// One binding, current (`ended` is `None`) or from the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub id: BindingId,
    pub account: AccountId,
    pub kind: BindingType,
    pub uid: Uid,
    pub openid: OpenId,
    pub scan_code: Option<String>,
    pub bound_at: DateTime<Utc>,
    pub bound_by: Actor,
    pub ended: Option<Ended>,
}

/// When, by whom and why a binding ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Ended {
    pub at: DateTime<Utc>,
    pub by: Actor,
    pub reason: EndReason,
}

/// Which side a binding is looked up or ended by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingKey {
    Uid(Uid),
    OpenId(OpenId),
}

/// The `bound` event of a new binding, stored in the binding's own transaction. Its fields
/// are the event's own (the normalised event is the payload): `binding_type`, not `type`.
pub fn bound_event(binding: &Binding, code: BindCode) -> NewEvent {
    NewEvent {
        event_id: EventId::generate(),
        account: binding.account.clone(),
        event_type: "bound".into(),
        dedup_key: format!("binding:{}:bound", binding.id),
        received_at: binding.bound_at,
        qr_source: None,
        payload: json!({
            "type": "bound",
            "binding_type": binding.kind.as_str(),
            "uid": binding.uid.get(),
            "openid": binding.openid.as_str(),
            "code": code.code(),
            "scan_code": binding.scan_code,
            "by": binding.bound_by,
        }),
        follower: None,
        contact_rereads: Vec::new(),
    }
}

/// The `unbound` event of an ended binding, stored in the transaction that ended it.
pub fn unbound_event(binding: &Binding, ended: &Ended) -> NewEvent {
    NewEvent {
        event_id: EventId::generate(),
        account: binding.account.clone(),
        event_type: "unbound".into(),
        dedup_key: format!("binding:{}:unbound", binding.id),
        received_at: ended.at,
        qr_source: None,
        payload: json!({
            "type": "unbound",
            "binding_type": binding.kind.as_str(),
            "uid": binding.uid.get(),
            "openid": binding.openid.as_str(),
            "reason": ended.reason.as_str(),
            "by": ended.by,
        }),
        follower: None,
        contact_rereads: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_seed_000_s() {
        assert_eq!(BindCode::for_new(false, false).code(), 1);
        assert_eq!(BindCode::for_new(false, true).code(), 2);
        assert_eq!(BindCode::for_new(true, false).code(), 3);
        assert_eq!(BindCode::for_new(true, true).code(), 0);
        assert_eq!(BindCode::OpenIdTaken.code(), -1);
        assert_eq!(BindCode::UidTaken.code(), -2);
        assert_eq!(BindCode::NotRecorded.code(), -3);
    }

    #[test]
    fn types_are_named_or_numbered() {
        assert_eq!(BindingType::parse("weixin").unwrap(), BindingType::Weixin);
        assert_eq!(BindingType::parse("2").unwrap(), BindingType::Qq);
        assert!(BindingType::parse("shouq").is_err());
    }
}
