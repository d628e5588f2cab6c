//! A QR code as the hub keeps it, and the rules a request for one must meet (seed 000
//! §3.2–3.4): a temporary code packs the caller's `source` (1–31) with a numeric scene value
//! (1–99,999,999) or a scene string through wx-protocol's scene codec and lives 20 minutes
//! unless asked otherwise, at most 1,800 s (seed 000's cap) unless the account's settings
//! allow up to WeChat's 30 days; a permanent code is a scene id 1–100,000 of the account.

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use utoipa::ToSchema;
use wx_protocol::qrscene::{self, QrSource, SceneError, SceneValue, MAX_SCENE_STR_LEN};

use crate::accounts::model::AccountId;
use crate::callers::model::ClientId;
use crate::core::InvalidField;

/// A temporary code's life when the request names none: seed 000's 20 minutes.
pub const DEFAULT_EXPIRE_SECS: u32 = 1_200;
/// Seed 000's cap on a temporary code's life; an account's settings may raise it.
pub const SEED_MAX_EXPIRE_SECS: u32 = 1_800;
/// WeChat's own cap: 30 days.
pub const WECHAT_MAX_EXPIRE_SECS: u32 = 2_592_000;

const ID_PREFIX: &str = "qr_";
const ID_HEX_LEN: usize = 32;

crate::slug_id!(
    /// `qr_` + 32 hex digits of 128 random bits. Unguessable (unlike a ULID, whose
    /// monotonic generator makes the next id of a millisecond the previous one plus one),
    /// because the code's image is served to anyone who knows its id.
    QrCodeId,
    "id",
    |s| s
        .strip_prefix(ID_PREFIX)
        .is_some_and(|hex| hex.len() == ID_HEX_LEN
            && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))),
    "is not a QR code id of the form qr_<32 hex digits>"
);

impl QrCodeId {
    pub fn generate() -> Self {
        let mut bytes = [0u8; ID_HEX_LEN / 2];
        rand::thread_rng().fill_bytes(&mut bytes);
        QrCodeId(format!("{ID_PREFIX}{}", hex::encode(bytes)))
    }
}

/// Temporary (expires) or permanent (a scene id of the account's 100,000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QrKind {
    Temporary,
    Permanent,
}

impl QrKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QrKind::Temporary => "temporary",
            QrKind::Permanent => "permanent",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        match s {
            "temporary" => Ok(QrKind::Temporary),
            "permanent" => Ok(QrKind::Permanent),
            _ => Err(InvalidField::new(
                "kind",
                format!("{s:?} is not a kind of QR code; use \"temporary\" or \"permanent\""),
            )),
        }
    }
}

/// What a temporary code carries besides the caller's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemporaryScene {
    Numeric(SceneValue),
    Text(String),
}

impl TemporaryScene {
    /// The request's `scene`: a JSON integer 1–99,999,999 or a string of 1–64 characters.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, InvalidField> {
        match value {
            serde_json::Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .and_then(|n| SceneValue::new(n).ok())
                .map(TemporaryScene::Numeric)
                .ok_or_else(|| {
                    InvalidField::new(
                        "scene",
                        format!(
                            "a numeric scene is a whole number from {} to {}, got {n}",
                            SceneValue::MIN,
                            SceneValue::MAX
                        ),
                    )
                }),
            serde_json::Value::String(s) => Self::text(s),
            _ => Err(InvalidField::new(
                "scene",
                "must be a whole number 1-99999999 or a string of 1-64 characters",
            )),
        }
    }

    /// Seed 000's `scenestr`: the canonical decimal form of a value 1–99,999,999 becomes a
    /// numeric scene (a smaller code that decodes to the same `srcvalue`), anything else a
    /// string scene.
    pub fn from_scenestr(s: &str) -> Result<Self, InvalidField> {
        let canonical = !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit());
        let numeric = s
            .parse::<u32>()
            .ok()
            .filter(|_| canonical)
            .and_then(|n| SceneValue::new(n).ok());
        match numeric {
            Some(value) => Ok(TemporaryScene::Numeric(value)),
            None => Self::text(s).map_err(|e| InvalidField::new("scenestr", e.reason)),
        }
    }

    fn text(s: &str) -> Result<Self, InvalidField> {
        let len = s.chars().count();
        if (1..=MAX_SCENE_STR_LEN).contains(&len) {
            Ok(TemporaryScene::Text(s.to_owned()))
        } else {
            Err(InvalidField::new(
                "scene",
                format!("a scene string is 1-{MAX_SCENE_STR_LEN} characters, got {len}"),
            ))
        }
    }

    /// The scene value as a scan reports it back (`srcvalue`).
    pub fn value(&self) -> String {
        match self {
            TemporaryScene::Numeric(v) => v.get().to_string(),
            TemporaryScene::Text(s) => s.clone(),
        }
    }

    /// Packed with `source` for WeChat. A scene string and its `"{source}:"` prefix must fit
    /// WeChat's 64 characters together, so a string is at most 62 characters for sources
    /// 1–9 and 61 for 10–31.
    pub fn encode(&self, source: QrSource) -> Result<EncodedScene, InvalidField> {
        match self {
            TemporaryScene::Numeric(v) => Ok(EncodedScene::Id(qrscene::encode_numeric_scene(
                source, *v,
            ))),
            TemporaryScene::Text(s) => qrscene::try_encode_string_scene(source, s)
                .map(EncodedScene::Str)
                .map_err(|e| match e {
                    SceneError::TooLong => {
                        let prefix = format!("{}:", source.get()).len();
                        InvalidField::new(
                            "scene",
                            format!(
                                "with the source prefix {:?} a scene string is at most {} characters for WeChat's limit of {MAX_SCENE_STR_LEN}",
                                format!("{}:", source.get()),
                                MAX_SCENE_STR_LEN - prefix
                            ),
                        )
                    }
                    other => InvalidField::new("scene", other.to_string()),
                }),
        }
    }
}

/// The scene as sent to WeChat and as the scan event's `EventKey` carries it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodedScene {
    Id(u32),
    Str(String),
}

impl EncodedScene {
    /// The scene as text: a scene id's digits or the scene string.
    pub fn as_text(&self) -> String {
        match self {
            EncodedScene::Id(id) => id.to_string(),
            EncodedScene::Str(s) => s.clone(),
        }
    }
}

/// A permanent code's scene id, 1–100,000 (WeChat's count of permanent codes per account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PermanentSceneId(u32);

impl PermanentSceneId {
    pub const MAX: u32 = qrscene::MAX_PERMANENT_SCENE_ID;

    pub fn new(id: i64) -> Result<Self, InvalidField> {
        match u32::try_from(id) {
            Ok(n @ 1..=Self::MAX) => Ok(PermanentSceneId(n)),
            _ => Err(InvalidField::new(
                "scene_id",
                format!("a permanent code's scene id is 1-{}, got {id}", Self::MAX),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// The longest life a temporary code of an account may be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpireLimit(u32);

impl ExpireLimit {
    /// Seed 000's 1,800 s: every account's limit until an admin changes it.
    pub const SEED: ExpireLimit = ExpireLimit(SEED_MAX_EXPIRE_SECS);

    /// An account's own limit, 1 s to WeChat's 30 days.
    pub fn new(secs: i64) -> Result<Self, InvalidField> {
        match u32::try_from(secs) {
            Ok(n @ 1..=WECHAT_MAX_EXPIRE_SECS) => Ok(ExpireLimit(n)),
            _ => Err(InvalidField::new(
                "max_expire_seconds",
                format!(
                    "must be from 1 to {WECHAT_MAX_EXPIRE_SECS} (WeChat's 30 days), got {secs}"
                ),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// The life of a new code: `requested`, or 20 minutes (never past this limit).
    pub fn expire_seconds(self, requested: Option<i64>) -> Result<u32, InvalidField> {
        let Some(secs) = requested else {
            return Ok(DEFAULT_EXPIRE_SECS.min(self.0));
        };
        match u32::try_from(secs) {
            Ok(n @ 1..) if n <= self.0 => Ok(n),
            _ if secs > i64::from(self.0) && self.0 < WECHAT_MAX_EXPIRE_SECS => Err(InvalidField::new(
                "expire_seconds",
                format!(
                    "this account's temporary codes live at most {} s, got {secs}; an admin can raise the limit up to {WECHAT_MAX_EXPIRE_SECS} with PATCH /api/v1/accounts/{{id}}/qrcode-settings {{\"max_expire_seconds\": …}}",
                    self.0
                ),
            )),
            _ => Err(InvalidField::new(
                "expire_seconds",
                format!("must be from 1 to {}, got {secs}", self.0),
            )),
        }
    }
}

/// An account's QR settings (admin): how long its temporary codes may live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct QrSettings {
    /// The longest `expire_seconds` a caller may ask for: 1,800 (seed 000) unless raised,
    /// at most 2,592,000 (WeChat's 30 days).
    pub max_expire_seconds: u32,
}

/// A QR code WeChat issued through the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    pub id: QrCodeId,
    pub account: AccountId,
    /// The caller that asked for it (`None`: the admin). A permanent code's owner.
    pub owner: Option<ClientId>,
    pub kind: QrKind,
    /// A temporary code's caller source.
    pub source: Option<u8>,
    /// What the scan event's `EventKey` carries: a scene id's digits or the scene string.
    pub scene: String,
    /// The value the caller gave (`srcvalue` of its scans); a permanent code's scene id.
    pub scene_value: String,
    pub permanent_scene_id: Option<PermanentSceneId>,
    pub ticket: String,
    /// What the code's image encodes.
    pub url: String,
    pub created_at: DateTime<Utc>,
    /// `None` for a permanent code.
    pub expires_at: Option<DateTime<Utc>>,
}

impl QrCode {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|t| now >= t)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wx_protocol::qrscene::decode_event_key;

    use super::*;

    fn source(n: u8) -> QrSource {
        QrSource::new(n).expect("source")
    }

    #[test]
    fn ids_are_random_and_checked() {
        let a = QrCodeId::generate();
        let b = QrCodeId::generate();
        assert_ne!(a, b);
        assert_eq!(QrCodeId::parse(a.as_str()), Ok(a.clone()));
        for bad in [
            "",
            "qr_",
            "qr_0123",
            "ep_0123456789abcdef0123456789abcdef",
            "qr_0123456789ABCDEF0123456789abcdef",
        ] {
            assert!(QrCodeId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numeric_scenes_are_whole_numbers_in_range() {
        for ok in [1, 99_999_999] {
            assert!(TemporaryScene::from_json(&json!(ok)).is_ok(), "{ok}");
        }
        for bad in [
            json!(0),
            json!(-1),
            json!(100_000_000),
            json!(1.5),
            json!(null),
            json!(true),
            json!([1]),
        ] {
            assert_eq!(
                TemporaryScene::from_json(&bad).map_err(|e| e.field),
                Err("scene"),
                "{bad}"
            );
        }
    }

    #[test]
    fn scene_strings_are_1_to_64_characters_and_fit_with_their_source() {
        assert!(TemporaryScene::from_json(&json!("")).is_err());
        assert!(TemporaryScene::from_json(&json!("好".repeat(65))).is_err());
        let long = TemporaryScene::from_json(&json!("好".repeat(64))).expect("64 characters");
        assert!(long.encode(source(1)).is_err(), "no room for the prefix");
        let fits = TemporaryScene::from_json(&json!("a".repeat(62))).expect("62");
        assert!(fits.encode(source(9)).is_ok());
        let message = fits
            .encode(source(10))
            .expect_err("61 for two-digit sources")
            .reason;
        assert!(message.contains("at most 61"), "{message}");
    }

    #[test]
    fn encoded_scenes_decode_back_to_source_and_value() {
        for s in [1, 2, 17, 31] {
            for scene in [
                json!(1),
                json!(99_999_999),
                json!("order:42"),
                json!("12345678"),
            ] {
                let scene = TemporaryScene::from_json(&scene).expect("scene");
                let encoded = scene.encode(source(s)).expect("encode");
                let decoded = decode_event_key(&format!("qrscene_{}", encoded.as_text()));
                assert_eq!((decoded.source, decoded.value), (s, scene.value()));
            }
        }
    }

    #[test]
    fn a_scenestr_in_canonical_digits_is_numeric() {
        assert_eq!(
            TemporaryScene::from_scenestr("12345678"),
            Ok(TemporaryScene::Numeric(
                SceneValue::new(12_345_678).expect("value")
            ))
        );
        for text in ["0012", "0", "100000000", "abc", "-5"] {
            assert_eq!(
                TemporaryScene::from_scenestr(text),
                Ok(TemporaryScene::Text(text.into())),
                "{text}"
            );
        }
        assert_eq!(
            TemporaryScene::from_scenestr("").map_err(|e| e.field),
            Err("scenestr")
        );
    }

    #[test]
    fn permanent_scene_ids_are_1_to_100000() {
        assert!(PermanentSceneId::new(1).is_ok());
        assert!(PermanentSceneId::new(100_000).is_ok());
        for bad in [0, -1, 100_001, i64::MAX] {
            assert!(PermanentSceneId::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn temporary_codes_live_20_minutes_and_at_most_the_accounts_limit() {
        let seed = ExpireLimit::SEED;
        assert_eq!(seed.expire_seconds(None), Ok(1_200));
        assert_eq!(seed.expire_seconds(Some(1)), Ok(1));
        assert_eq!(seed.expire_seconds(Some(1_800)), Ok(1_800));
        for bad in [0, -5, 1_801, i64::MAX] {
            assert_eq!(
                seed.expire_seconds(Some(bad)).map_err(|e| e.field),
                Err("expire_seconds"),
                "{bad}"
            );
        }
        let raised = ExpireLimit::new(i64::from(WECHAT_MAX_EXPIRE_SECS)).expect("30 days");
        assert_eq!(raised.expire_seconds(Some(2_592_000)), Ok(2_592_000));
        assert!(raised.expire_seconds(Some(2_592_001)).is_err());
        let lowered = ExpireLimit::new(600).expect("10 minutes");
        assert_eq!(
            lowered.expire_seconds(None),
            Ok(600),
            "the default never passes the limit"
        );
        assert!(ExpireLimit::new(0).is_err());
        assert!(ExpireLimit::new(2_592_001).is_err());
    }
}
