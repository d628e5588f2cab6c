//! The QR scene codec (seed 000 §3.3, issue 6).
//!
//! A temporary numeric scene packs a caller's source (1–31) and its scene value
//! (1–99,999,999) into WeChat's unsigned 32-bit `scene_id` as `source × 2^27 + value`. That is
//! always above 100,000, so it never collides with a permanent code's scene id (1–100,000),
//! which decodes as source 0. A string scene is `"{source}:{value}"`. A plain follow, with no
//! QR code at all, is source 0 with value `"0"`, as seed 000's own bus example shows.

use serde::{Deserialize, Serialize};

/// `2^27`: the value part's range, which holds 99,999,999.
const SOURCE_SHIFT: u32 = 27;
const VALUE_MASK: u32 = (1 << SOURCE_SHIFT) - 1;

/// The largest permanent-code scene id WeChat issues.
pub const MAX_PERMANENT_SCENE_ID: u32 = 100_000;

/// WeChat's limit on `scene_str`, in characters.
pub const MAX_SCENE_STR_LEN: usize = 64;

/// `EventKey` prefix on a subscribe that came through a QR code.
pub const QRSCENE_PREFIX: &str = "qrscene_";

/// Why a source or scene value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SceneError {
    #[error("qr source must be 1..=31, got {0}")]
    Source(u32),
    #[error("scene value must be 1..=99999999, got {0}")]
    Value(u64),
    #[error("scene string longer than {MAX_SCENE_STR_LEN} characters")]
    TooLong,
}

/// A caller's QR source number, 1..=31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct QrSource(u8);

impl QrSource {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 31;

    pub fn new(source: u8) -> Result<Self, SceneError> {
        if (Self::MIN..=Self::MAX).contains(&source) {
            Ok(Self(source))
        } else {
            Err(SceneError::Source(source.into()))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for QrSource {
    type Error = SceneError;
    fn try_from(source: u8) -> Result<Self, Self::Error> {
        Self::new(source)
    }
}

impl From<QrSource> for u8 {
    fn from(source: QrSource) -> u8 {
        source.0
    }
}

/// A numeric scene value, 1..=99,999,999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct SceneValue(u32);

impl SceneValue {
    pub const MIN: u32 = 1;
    pub const MAX: u32 = 99_999_999;

    pub fn new(value: u32) -> Result<Self, SceneError> {
        if (Self::MIN..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(SceneError::Value(value.into()))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for SceneValue {
    type Error = SceneError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<SceneValue> for u32 {
    fn from(value: SceneValue) -> u32 {
        value.0
    }
}

/// A scanned code decoded back to the caller's source and its original scene value, the
/// `source` and `srcvalue` of seed 000's scan bus message. Source 0 means "not a caller's
/// temporary code": a permanent code, a plain follow, or a scene that fits no scheme (then
/// `value` is the scene as scanned).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DecodedScene {
    pub source: u8,
    pub value: String,
}

impl DecodedScene {
    /// A follow without a QR code: source 0, value "0".
    pub fn plain_follow() -> Self {
        Self {
            source: 0,
            value: "0".into(),
        }
    }

    fn unsourced(value: impl Into<String>) -> Self {
        Self {
            source: 0,
            value: value.into(),
        }
    }
}

/// `source × 2^27 + value`: always above [`MAX_PERMANENT_SCENE_ID`].
pub fn encode_numeric_scene(source: QrSource, value: SceneValue) -> u32 {
    (u32::from(source.0) << SOURCE_SHIFT) | value.0
}

/// Inverse of [`encode_numeric_scene`]; ids up to [`MAX_PERMANENT_SCENE_ID`] are permanent
/// codes and decode as source 0 with the id as value.
pub fn decode_numeric_scene(scene_id: u32) -> DecodedScene {
    if scene_id <= MAX_PERMANENT_SCENE_ID {
        return DecodedScene::unsourced(scene_id.to_string());
    }
    let source = scene_id >> SOURCE_SHIFT;
    let value = scene_id & VALUE_MASK;
    match (
        u8::try_from(source)
            .ok()
            .and_then(|s| QrSource::new(s).ok()),
        SceneValue::new(value),
    ) {
        (Some(source), Ok(value)) => DecodedScene {
            source: source.get(),
            value: value.get().to_string(),
        },
        _ => DecodedScene::unsourced(scene_id.to_string()),
    }
}

/// `"{source}:{value}"`. WeChat limits `scene_str` to 64 characters; see
/// [`try_encode_string_scene`] for the checked form.
pub fn encode_string_scene(source: QrSource, value: &str) -> String {
    format!("{}:{}", source.0, value)
}

/// [`encode_string_scene`], refusing results longer than WeChat's 64-character limit.
pub fn try_encode_string_scene(source: QrSource, value: &str) -> Result<String, SceneError> {
    let scene = encode_string_scene(source, value);
    if scene.chars().count() > MAX_SCENE_STR_LEN {
        Err(SceneError::TooLong)
    } else {
        Ok(scene)
    }
}

/// Inverse of [`encode_string_scene`]; a string without a valid `source:` prefix decodes as
/// source 0 with the whole string as value.
pub fn decode_string_scene(s: &str) -> DecodedScene {
    if let Some((prefix, value)) = s.split_once(':') {
        let source = prefix
            .parse::<u8>()
            .ok()
            .filter(|_| prefix.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| QrSource::new(p).ok());
        if let Some(source) = source {
            return DecodedScene {
                source: source.get(),
                value: value.to_owned(),
            };
        }
    }
    DecodedScene::unsourced(s)
}

/// The scene inside an `EventKey`: `"qrscene_123"` (subscribe) → `"123"`; SCAN's bare
/// `"123"` stays `"123"`.
pub fn scene_from_event_key(event_key: &str) -> &str {
    event_key.strip_prefix(QRSCENE_PREFIX).unwrap_or(event_key)
}

/// Decodes the scene of a subscribe or SCAN `EventKey`: an all-digit scene that fits in u32 is
/// a numeric `scene_id`, anything else a string scene. An empty key is a plain follow.
pub fn decode_event_key(event_key: &str) -> DecodedScene {
    let scene = scene_from_event_key(event_key);
    if scene.is_empty() {
        return DecodedScene::plain_follow();
    }
    if scene.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(id) = scene.parse::<u32>() {
            return decode_numeric_scene(id);
        }
    }
    decode_string_scene(scene)
}

/// The `EventKey` of a subscribe event, kept as WeChat sent it (`"qrscene_123"`), with the
/// scene codec one call away.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QrEventKey(String);

impl QrEventKey {
    /// Wraps an `EventKey` exactly as received.
    pub fn from_raw(event_key: impl Into<String>) -> Self {
        Self(event_key.into())
    }

    /// The key WeChat sends when a follow came through the QR code with this scene:
    /// `"qrscene_{scene}"`.
    pub fn for_scene(scene: &str) -> Self {
        Self(format!("{QRSCENE_PREFIX}{scene}"))
    }

    /// The key as WeChat sent it.
    pub fn as_raw(&self) -> &str {
        &self.0
    }

    /// The scene without the `qrscene_` prefix.
    pub fn scene(&self) -> &str {
        scene_from_event_key(&self.0)
    }

    /// The scene decoded to source and value.
    pub fn decode(&self) -> DecodedScene {
        decode_event_key(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn src(n: u8) -> QrSource {
        QrSource::new(n).unwrap()
    }

    fn val(n: u32) -> SceneValue {
        SceneValue::new(n).unwrap()
    }

    #[test]
    fn numeric_scene_packs_source_and_value() {
        assert_eq!(encode_numeric_scene(src(1), val(1)), 134_217_729);
        assert_eq!(
            encode_numeric_scene(src(31), val(99_999_999)),
            4_260_749_567
        );
        assert_eq!(
            decode_numeric_scene(4_260_749_567),
            DecodedScene {
                source: 31,
                value: "99999999".into()
            }
        );
        assert_eq!(
            decode_numeric_scene(encode_numeric_scene(src(3), val(12_345_678))),
            DecodedScene {
                source: 3,
                value: "12345678".into()
            }
        );
    }

    #[test]
    fn permanent_scene_ids_decode_as_source_zero() {
        for id in [1, 123, 100_000] {
            assert_eq!(
                decode_numeric_scene(id),
                DecodedScene {
                    source: 0,
                    value: id.to_string()
                }
            );
        }
    }

    #[test]
    fn ids_that_fit_no_scheme_keep_their_number() {
        // Above the permanent range but with source bits 0, or a value part over 99,999,999.
        for id in [100_001, 134_217_727, (1 << 27) | 100_000_000, 1 << 27] {
            assert_eq!(decode_numeric_scene(id).source, 0, "{id}");
            assert_eq!(decode_numeric_scene(id).value, id.to_string());
        }
    }

    #[test]
    fn source_and_value_ranges_are_enforced() {
        assert_eq!(QrSource::new(0), Err(SceneError::Source(0)));
        assert_eq!(QrSource::new(32), Err(SceneError::Source(32)));
        assert_eq!(SceneValue::new(0), Err(SceneError::Value(0)));
        assert_eq!(
            SceneValue::new(100_000_000),
            Err(SceneError::Value(100_000_000))
        );
        assert!(QrSource::new(31).is_ok());
        assert!(SceneValue::new(99_999_999).is_ok());
    }

    #[test]
    fn string_scenes_round_trip_and_tolerate_junk() {
        assert_eq!(encode_string_scene(src(7), "order:42"), "7:order:42");
        assert_eq!(
            decode_string_scene("7:order:42"),
            DecodedScene {
                source: 7,
                value: "order:42".into()
            }
        );
        for junk in ["", "abc", "0:x", "32:x", "+1:x", "x:1", ":x", "999:x"] {
            assert_eq!(decode_string_scene(junk).source, 0, "{junk}");
            assert_eq!(decode_string_scene(junk).value, junk);
        }
        assert!(try_encode_string_scene(src(1), &"a".repeat(62)).is_ok());
        assert_eq!(
            try_encode_string_scene(src(1), &"a".repeat(63)),
            Err(SceneError::TooLong)
        );
    }

    #[test]
    fn event_keys_decode_with_and_without_prefix() {
        let id = encode_numeric_scene(src(5), val(777));
        assert_eq!(
            decode_event_key(&format!("qrscene_{id}")),
            DecodedScene {
                source: 5,
                value: "777".into()
            }
        );
        assert_eq!(decode_event_key(&id.to_string()).source, 5);
        assert_eq!(
            decode_event_key("qrscene_123123"),
            DecodedScene::unsourced("123123")
        );
        assert_eq!(
            decode_event_key("qrscene_9:abc"),
            DecodedScene {
                source: 9,
                value: "abc".into()
            }
        );
        assert_eq!(decode_event_key(""), DecodedScene::plain_follow());
        assert_eq!(decode_event_key("99999999999999").source, 0);
        let key = QrEventKey::for_scene("123");
        assert_eq!(key.as_raw(), "qrscene_123");
        assert_eq!(key.scene(), "123");
        assert_eq!(key.decode(), DecodedScene::unsourced("123"));
    }

    #[test]
    fn every_source_round_trips_at_the_edges_of_every_range() {
        for s in QrSource::MIN..=QrSource::MAX {
            for v in [
                SceneValue::MIN,
                SceneValue::MIN + 1,
                SceneValue::MAX - 1,
                SceneValue::MAX,
            ] {
                let id = encode_numeric_scene(src(s), val(v));
                assert!(id > MAX_PERMANENT_SCENE_ID, "{s}/{v}: {id}");
                let expected = DecodedScene {
                    source: s,
                    value: v.to_string(),
                };
                assert_eq!(decode_numeric_scene(id), expected);
                assert_eq!(decode_event_key(&format!("{QRSCENE_PREFIX}{id}")), expected);
                assert_eq!(
                    decode_event_key(&id.to_string()),
                    expected,
                    "SCAN's bare key"
                );
            }
            // The longest string that fits WeChat's 64 characters with the prefix, and one more.
            let room = MAX_SCENE_STR_LEN - format!("{s}:").len();
            for value in ["x".to_owned(), "好".repeat(room), "9".repeat(room)] {
                let scene = try_encode_string_scene(src(s), &value).expect("fits");
                assert_eq!(
                    scene.chars().count(),
                    format!("{s}:").len() + value.chars().count()
                );
                let expected = DecodedScene {
                    source: s,
                    value: value.clone(),
                };
                assert_eq!(
                    decode_event_key(&format!("{QRSCENE_PREFIX}{scene}")),
                    expected
                );
                assert_eq!(decode_event_key(&scene), expected);
            }
            assert_eq!(
                try_encode_string_scene(src(s), &"x".repeat(room + 1)),
                Err(SceneError::TooLong)
            );
        }
        for out in [0, 32, u8::MAX] {
            assert_eq!(QrSource::new(out), Err(SceneError::Source(out.into())));
        }
        for out in [0, SceneValue::MAX + 1, u32::MAX] {
            assert_eq!(SceneValue::new(out), Err(SceneError::Value(out.into())));
        }
        // The permanent range's edges decode as themselves, source 0.
        for id in [1, MAX_PERMANENT_SCENE_ID] {
            assert_eq!(
                decode_numeric_scene(id),
                DecodedScene::unsourced(id.to_string())
            );
        }
    }

    proptest! {
        #[test]
        fn numeric_codec_round_trips(s in 1u8..=31, v in 1u32..=99_999_999) {
            let id = encode_numeric_scene(src(s), val(v));
            prop_assert!(id > MAX_PERMANENT_SCENE_ID);
            prop_assert_eq!(decode_numeric_scene(id), DecodedScene { source: s, value: v.to_string() });
            prop_assert_eq!(decode_event_key(&format!("qrscene_{id}")), DecodedScene { source: s, value: v.to_string() });
        }

        #[test]
        fn string_codec_round_trips(s in 1u8..=31, value in any::<String>()) {
            let encoded = encode_string_scene(src(s), &value);
            prop_assert_eq!(decode_string_scene(&encoded), DecodedScene { source: s, value: value.clone() });
        }

        #[test]
        fn decoding_never_panics(id in any::<u32>(), s in any::<String>()) {
            let decoded = decode_numeric_scene(id);
            prop_assert!(decoded.source <= 31);
            let _ = decode_string_scene(&s);
            let _ = decode_event_key(&s);
        }
    }
}
