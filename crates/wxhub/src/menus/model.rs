//! A custom menu checked against WeChat's documented rules before WeChat sees it, and the
//! match rule of a conditional menu.
//!
//! Requests give buttons in WeChat's own flat shape ([`ButtonSpec`], also what reads
//! answer); [`Menu::build`] turns them into typed buttons or names the first one that breaks
//! a rule: its path in the request (`button[1].sub_button[4].name`) and the rule, one of
//! - `required`: a menu without buttons, a button without a name or type, a type without
//!   the field it needs (`key`, `url`, `media_id`, `article_id`, `appid`, `pagepath`);
//! - `too_many`: more than 3 buttons, or more than 5 sub-buttons under one;
//! - `too_long`: a name over 16 bytes at the top or 60 bytes below, a key over 128 bytes, a
//!   url (or pagepath) over 1,024 bytes;
//! - `unknown_type`: a type that is not one of WeChat's;
//! - `not_allowed`: a field the button's type does not take, a type on a button with
//!   sub-buttons, sub-buttons below the second level;
//! - `not_http`: a url that is not `http://` or `https://`;
//! - `invalid_value`: a miniprogram `appid` that is no AppID, a match rule value WeChat does
//!   not define.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::model::AppId;
use crate::core::InvalidAt;
use crate::tags::model::TagId;

pub const TOP_BUTTONS_MAX: usize = 3;
pub const SUB_BUTTONS_MAX: usize = 5;
/// Names are counted in bytes of UTF-8: 16 is 5 Chinese characters, 60 is 20.
pub const TOP_NAME_MAX_BYTES: usize = 16;
pub const SUB_NAME_MAX_BYTES: usize = 60;
pub const KEY_MAX_BYTES: usize = 128;
pub const URL_MAX_BYTES: usize = 1024;

/// A button in WeChat's shape: a leaf (`type` and the field it needs) or a parent of
/// `sub_button`s (then no `type`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ButtonSpec {
    /// At most 16 bytes at the top, 60 bytes below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `click`, `view`, `scancode_push`, `scancode_waitmsg`, `pic_sysphoto`,
    /// `pic_photo_or_album`, `pic_weixin`, `location_select`, `media_id`, `view_limited`,
    /// `article_id`, `article_view_limited`, `miniprogram`; absent on a parent.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// What the click event carries (the event types), at most 128 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `view`, and `miniprogram`'s page for clients without mini programs; at most 1,024
    /// bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `media_id` and `view_limited`: a permanent material's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// `article_id` and `article_view_limited`: a published article's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_id: Option<String>,
    /// `miniprogram`: the mini program's AppID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// `miniprogram`: the page to open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
    /// Up to 5, one level only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub sub_button: Vec<ButtonSpec>,
}

/// The button types whose tap sends the account an event carrying the button's `key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventButton {
    Click,
    ScancodePush,
    ScancodeWaitmsg,
    PicSysphoto,
    PicPhotoOrAlbum,
    PicWeixin,
    LocationSelect,
}

impl EventButton {
    const ALL: [EventButton; 7] = [
        EventButton::Click,
        EventButton::ScancodePush,
        EventButton::ScancodeWaitmsg,
        EventButton::PicSysphoto,
        EventButton::PicPhotoOrAlbum,
        EventButton::PicWeixin,
        EventButton::LocationSelect,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventButton::Click => "click",
            EventButton::ScancodePush => "scancode_push",
            EventButton::ScancodeWaitmsg => "scancode_waitmsg",
            EventButton::PicSysphoto => "pic_sysphoto",
            EventButton::PicPhotoOrAlbum => "pic_photo_or_album",
            EventButton::PicWeixin => "pic_weixin",
            EventButton::LocationSelect => "location_select",
        }
    }
}

/// `media_id` sends a permanent material; `view_limited` opens a permanent news material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaButton {
    MediaId,
    ViewLimited,
}

/// `article_id` sends a published article; `article_view_limited` opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleButton {
    ArticleId,
    ArticleViewLimited,
}

/// What tapping a leaf button does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Event(EventButton, String),
    View {
        url: String,
    },
    MiniProgram {
        url: String,
        appid: AppId,
        pagepath: String,
    },
    Media(MediaButton, String),
    Article(ArticleButton, String),
}

impl Action {
    /// WeChat's name of the button type.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Event(e, _) => e.as_str(),
            Action::View { .. } => "view",
            Action::MiniProgram { .. } => "miniprogram",
            Action::Media(MediaButton::MediaId, _) => "media_id",
            Action::Media(MediaButton::ViewLimited, _) => "view_limited",
            Action::Article(ArticleButton::ArticleId, _) => "article_id",
            Action::Article(ArticleButton::ArticleViewLimited, _) => "article_view_limited",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    pub name: String,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopButton {
    Leaf(Leaf),
    Parent {
        name: String,
        sub_buttons: Vec<Leaf>,
    },
}

/// 1–3 buttons, each a leaf or a parent of 1–5 leaves, every rule of WeChat's met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu(Vec<TopButton>);

/// Every type WeChat documents, for the refusal of another.
const TYPES: &str = "click, view, scancode_push, scancode_waitmsg, pic_sysphoto, \
     pic_photo_or_album, pic_weixin, location_select, media_id, view_limited, article_id, \
     article_view_limited, miniprogram";

/// The fields a leaf may carry besides its name, with the spec's value.
fn action_fields(b: &ButtonSpec) -> [(&'static str, Option<&str>); 6] {
    [
        ("key", b.key.as_deref()),
        ("url", b.url.as_deref()),
        ("media_id", b.media_id.as_deref()),
        ("article_id", b.article_id.as_deref()),
        ("appid", b.appid.as_deref()),
        ("pagepath", b.pagepath.as_deref()),
    ]
}

fn name_at(path: &str, name: Option<&str>, max: usize, level: &str) -> Result<String, InvalidAt> {
    let field = format!("{path}.name");
    match name {
        None | Some("") => Err(InvalidAt::new(field, "required", "every button needs a name")),
        Some(n) if n.len() > max => Err(InvalidAt::new(
            field,
            "too_long",
            format!(
                "is {} bytes; a {level} button's name has at most {max} bytes of UTF-8 ({} Chinese characters)",
                n.len(),
                max / 3
            ),
        )),
        Some(n) => Ok(n.to_owned()),
    }
}

/// `field` of a leaf at `path`: present, not empty, at most `max` bytes.
fn needed<'a>(
    path: &str,
    field: &str,
    value: Option<&'a str>,
    max: usize,
    kind: &str,
) -> Result<&'a str, InvalidAt> {
    match value {
        None | Some("") => Err(InvalidAt::new(
            format!("{path}.{field}"),
            "required",
            format!("a {kind} button needs {field}"),
        )),
        Some(v) if v.len() > max => Err(InvalidAt::new(
            format!("{path}.{field}"),
            "too_long",
            format!("is {} bytes; {field} has at most {max} bytes", v.len()),
        )),
        Some(v) => Ok(v),
    }
}

fn http_url<'a>(path: &str, value: Option<&'a str>, kind: &str) -> Result<&'a str, InvalidAt> {
    let url = needed(path, "url", value, URL_MAX_BYTES, kind)?;
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        Ok(url)
    } else {
        Err(InvalidAt::new(
            format!("{path}.url"),
            "not_http",
            "must be an http:// or https:// URL",
        ))
    }
}

fn leaf(path: &str, b: &ButtonSpec, name_max: usize, level: &str) -> Result<Leaf, InvalidAt> {
    let name = name_at(path, b.name.as_deref(), name_max, level)?;
    if !b.sub_button.is_empty() {
        return Err(InvalidAt::new(
            format!("{path}.sub_button"),
            "not_allowed",
            "a sub-button has no sub-buttons: menus have two levels",
        ));
    }
    let kind = match b.kind.as_deref() {
        None | Some("") => {
            return Err(InvalidAt::new(
                format!("{path}.type"),
                "required",
                format!("a button without sub_button needs a type: one of {TYPES}"),
            ))
        }
        Some(k) => k,
    };
    let event = EventButton::ALL.into_iter().find(|e| e.as_str() == kind);
    let (action, uses): (Action, &[&str]) = if let Some(event) = event {
        let key = needed(path, "key", b.key.as_deref(), KEY_MAX_BYTES, kind)?;
        (Action::Event(event, key.to_owned()), &["key"])
    } else {
        match kind {
            "view" => {
                let url = http_url(path, b.url.as_deref(), kind)?;
                (
                    Action::View {
                        url: url.to_owned(),
                    },
                    &["url"],
                )
            }
            "miniprogram" => {
                let url = http_url(path, b.url.as_deref(), kind)?;
                let raw = needed(path, "appid", b.appid.as_deref(), 64, kind)?;
                let appid = AppId::parse(raw).map_err(|e| {
                    InvalidAt::new(format!("{path}.appid"), "invalid_value", e.reason)
                })?;
                let pagepath =
                    needed(path, "pagepath", b.pagepath.as_deref(), URL_MAX_BYTES, kind)?;
                let action = Action::MiniProgram {
                    url: url.to_owned(),
                    appid,
                    pagepath: pagepath.to_owned(),
                };
                (action, &["url", "appid", "pagepath"])
            }
            "media_id" | "view_limited" => {
                let id = needed(path, "media_id", b.media_id.as_deref(), usize::MAX, kind)?;
                let which = if kind == "media_id" {
                    MediaButton::MediaId
                } else {
                    MediaButton::ViewLimited
                };
                (Action::Media(which, id.to_owned()), &["media_id"])
            }
            "article_id" | "article_view_limited" => {
                let id = needed(
                    path,
                    "article_id",
                    b.article_id.as_deref(),
                    usize::MAX,
                    kind,
                )?;
                let which = if kind == "article_id" {
                    ArticleButton::ArticleId
                } else {
                    ArticleButton::ArticleViewLimited
                };
                (Action::Article(which, id.to_owned()), &["article_id"])
            }
            other => {
                return Err(InvalidAt::new(
                    format!("{path}.type"),
                    "unknown_type",
                    format!("{other:?} is not a WeChat button type; use one of {TYPES}"),
                ))
            }
        }
    };
    if let Some((field, _)) = action_fields(b)
        .into_iter()
        .find(|(field, value)| value.is_some() && !uses.contains(field))
    {
        return Err(InvalidAt::new(
            format!("{path}.{field}"),
            "not_allowed",
            format!("a {kind} button takes no {field}"),
        ));
    }
    Ok(Leaf { name, action })
}

fn top(i: usize, b: &ButtonSpec) -> Result<TopButton, InvalidAt> {
    let path = format!("button[{i}]");
    if b.sub_button.is_empty() {
        return leaf(&path, b, TOP_NAME_MAX_BYTES, "top-level").map(TopButton::Leaf);
    }
    let name = name_at(&path, b.name.as_deref(), TOP_NAME_MAX_BYTES, "top-level")?;
    if b.kind.is_some() {
        return Err(InvalidAt::new(
            format!("{path}.type"),
            "not_allowed",
            "a button with sub_button has no type of its own: its sub-buttons act",
        ));
    }
    if let Some((field, _)) = action_fields(b).into_iter().find(|(_, v)| v.is_some()) {
        return Err(InvalidAt::new(
            format!("{path}.{field}"),
            "not_allowed",
            format!("a button with sub_button takes no {field}: its sub-buttons act"),
        ));
    }
    if b.sub_button.len() > SUB_BUTTONS_MAX {
        return Err(InvalidAt::new(
            format!("{path}.sub_button"),
            "too_many",
            format!(
                "has {} sub-buttons; a button has at most {SUB_BUTTONS_MAX}",
                b.sub_button.len()
            ),
        ));
    }
    let sub_buttons = b
        .sub_button
        .iter()
        .enumerate()
        .map(|(j, s)| {
            leaf(
                &format!("{path}.sub_button[{j}]"),
                s,
                SUB_NAME_MAX_BYTES,
                "sub-",
            )
        })
        .collect::<Result<_, _>>()?;
    Ok(TopButton::Parent { name, sub_buttons })
}

impl Menu {
    /// The menu of `buttons`, or the first refusal (field path and rule).
    pub fn build(buttons: &[ButtonSpec]) -> Result<Menu, InvalidAt> {
        if buttons.is_empty() {
            return Err(InvalidAt::new(
                "button",
                "required",
                format!("a menu has 1 to {TOP_BUTTONS_MAX} buttons"),
            ));
        }
        if buttons.len() > TOP_BUTTONS_MAX {
            return Err(InvalidAt::new(
                "button",
                "too_many",
                format!(
                    "has {} buttons; a menu has at most {TOP_BUTTONS_MAX}",
                    buttons.len()
                ),
            ));
        }
        buttons
            .iter()
            .enumerate()
            .map(|(i, b)| top(i, b))
            .collect::<Result<_, _>>()
            .map(Menu)
    }

    pub fn buttons(&self) -> &[TopButton] {
        &self.0
    }

    /// The menu in WeChat's shape again (as it is sent).
    pub fn to_spec(&self) -> Vec<ButtonSpec> {
        self.0
            .iter()
            .map(|b| match b {
                TopButton::Leaf(l) => leaf_spec(l),
                TopButton::Parent { name, sub_buttons } => ButtonSpec {
                    name: Some(name.clone()),
                    sub_button: sub_buttons.iter().map(leaf_spec).collect(),
                    ..ButtonSpec::default()
                },
            })
            .collect()
    }
}

fn leaf_spec(l: &Leaf) -> ButtonSpec {
    let mut spec = ButtonSpec {
        name: Some(l.name.clone()),
        kind: Some(l.action.kind().to_owned()),
        ..ButtonSpec::default()
    };
    match &l.action {
        Action::Event(_, key) => spec.key = Some(key.clone()),
        Action::View { url } => spec.url = Some(url.clone()),
        Action::MiniProgram {
            url,
            appid,
            pagepath,
        } => {
            spec.url = Some(url.clone());
            spec.appid = Some(appid.to_string());
            spec.pagepath = Some(pagepath.clone());
        }
        Action::Media(_, id) => spec.media_id = Some(id.clone()),
        Action::Article(_, id) => spec.article_id = Some(id.clone()),
    }
    spec
}

/// A number, or a number written as a string (WeChat's own examples send match rule values
/// as strings).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum NumberOrText {
    Number(i64),
    Text(String),
}

impl NumberOrText {
    fn number(&self) -> Option<i64> {
        match self {
            NumberOrText::Number(n) => Some(*n),
            NumberOrText::Text(s) => s.trim().parse().ok(),
        }
    }
}

/// Who sees a conditional menu, as a request gives it: at least one field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRuleSpec {
    /// Followers whose last tag is this one.
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    pub tag_id: Option<NumberOrText>,
    /// 1 male, 2 female.
    #[serde(default)]
    #[schema(value_type = Option<u8>)]
    pub sex: Option<NumberOrText>,
    /// As WeChat writes it (`中国`); needed with province or city.
    #[serde(default)]
    pub country: Option<String>,
    /// Needed with city.
    #[serde(default)]
    pub province: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    /// The phone's system: 1 iOS, 2 Android, 3 others.
    #[serde(default)]
    #[schema(value_type = Option<u8>)]
    pub client_platform_type: Option<NumberOrText>,
    /// The client's language: `zh_CN`, `zh_TW`, `zh_HK`, `en`, `id`, `ms`, `es`, `ko`,
    /// `it`, `ja`, `pl`, `pt`, `ru`, `th`, `vi`, `ar`, `hi`, `he`, `tr`, `de`, `fr`.
    #[serde(default)]
    pub language: Option<String>,
}

/// The client languages WeChat's conditional menus match.
pub const LANGUAGES: [&str; 21] = [
    "zh_CN", "zh_TW", "zh_HK", "en", "id", "ms", "es", "ko", "it", "ja", "pl", "pt", "ru", "th",
    "vi", "ar", "hi", "he", "tr", "de", "fr",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Ios,
    Android,
    Other,
}

/// A checked match rule: at least one condition; a province or city only within a
/// country, a city only within a province (WeChat's 65310 and 65311).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchRule {
    pub tag_id: Option<TagId>,
    pub sex: Option<Sex>,
    pub country: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub client_platform_type: Option<Platform>,
    pub language: Option<String>,
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

fn number_in<T>(
    field: &str,
    v: &Option<NumberOrText>,
    allowed: &str,
    pick: impl Fn(i64) -> Option<T>,
) -> Result<Option<T>, InvalidAt> {
    let Some(v) = v else { return Ok(None) };
    if matches!(v, NumberOrText::Text(s) if s.trim().is_empty()) {
        return Ok(None);
    }
    v.number().and_then(pick).map(Some).ok_or_else(|| {
        InvalidAt::new(
            format!("matchrule.{field}"),
            "invalid_value",
            format!("must be {allowed}"),
        )
    })
}

impl MatchRule {
    /// The rule, or the first refusal naming `matchrule.<field>`. Empty strings count as
    /// absent (WeChat's own answers carry them).
    pub fn build(spec: &MatchRuleSpec) -> Result<MatchRule, InvalidAt> {
        let rule = MatchRule {
            tag_id: number_in("tag_id", &spec.tag_id, "a tag id", |n| TagId::new(n).ok())?,
            sex: number_in("sex", &spec.sex, "1 (male) or 2 (female)", |n| match n {
                1 => Some(Sex::Male),
                2 => Some(Sex::Female),
                _ => None,
            })?,
            country: text(&spec.country),
            province: text(&spec.province),
            city: text(&spec.city),
            client_platform_type: number_in(
                "client_platform_type",
                &spec.client_platform_type,
                "1 (iOS), 2 (Android) or 3 (others)",
                |n| match n {
                    1 => Some(Platform::Ios),
                    2 => Some(Platform::Android),
                    3 => Some(Platform::Other),
                    _ => None,
                },
            )?,
            language: text(&spec.language),
        };
        if let Some(language) = &rule.language {
            if !LANGUAGES.contains(&language.as_str()) {
                return Err(InvalidAt::new(
                    "matchrule.language",
                    "invalid_value",
                    format!(
                        "{language:?} is not a language WeChat matches; use one of {}",
                        LANGUAGES.join(", ")
                    ),
                ));
            }
        }
        if (rule.province.is_some() || rule.city.is_some()) && rule.country.is_none() {
            return Err(InvalidAt::new(
                "matchrule.country",
                "required",
                "a rule with a province or city names its country too",
            ));
        }
        if rule.city.is_some() && rule.province.is_none() {
            return Err(InvalidAt::new(
                "matchrule.province",
                "required",
                "a rule with a city names its province too",
            ));
        }
        if rule == MatchRule::default() {
            return Err(InvalidAt::new(
                "matchrule",
                "required",
                "a conditional menu's rule has at least one of tag_id, sex, country, province, city, client_platform_type, language",
            ));
        }
        Ok(rule)
    }
}

impl Sex {
    pub fn code(self) -> u8 {
        match self {
            Sex::Male => 1,
            Sex::Female => 2,
        }
    }
}

impl Platform {
    pub fn code(self) -> u8 {
        match self {
            Platform::Ios => 1,
            Platform::Android => 2,
            Platform::Other => 3,
        }
    }
}

/// A match rule as WeChat answers it (values as strings, WeChat's own).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct MatchRuleView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_platform_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// An account's menus as WeChat shows them (`menu/get`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuShown {
    pub button: Vec<ButtonSpec>,
    /// Present once conditional menus exist.
    pub menuid: Option<u64>,
    pub conditional: Vec<ConditionalShown>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionalShown {
    pub menuid: u64,
    pub button: Vec<ButtonSpec>,
    pub matchrule: MatchRuleView,
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn specs(v: Value) -> Vec<ButtonSpec> {
        serde_json::from_value(v).expect("buttons")
    }

    /// The refusal of a menu of `buttons`: (field, rule).
    fn refused(buttons: Value) -> (String, &'static str) {
        let e = Menu::build(&specs(buttons)).expect_err("refused");
        (e.field, e.rule)
    }

    fn click(name: &str) -> Value {
        json!({"type": "click", "name": name, "key": "K"})
    }

    fn parent(subs: Vec<Value>) -> Value {
        json!({"name": "菜单", "sub_button": subs})
    }

    fn at(field: &str, rule: &'static str) -> (String, &'static str) {
        (field.to_owned(), rule)
    }

    #[test]
    fn a_menu_has_one_to_three_buttons() {
        assert_eq!(refused(json!([])), at("button", "required"));
        assert_eq!(
            refused(json!([click("a"), click("b"), click("c"), click("d")])),
            at("button", "too_many")
        );
        assert!(Menu::build(&specs(json!([click("a"), click("b"), click("c")]))).is_ok());
    }

    #[test]
    fn a_button_has_at_most_five_sub_buttons() {
        let five: Vec<Value> = (0..5).map(|i| click(&format!("s{i}"))).collect();
        assert!(Menu::build(&specs(json!([parent(five.clone())]))).is_ok());
        let mut six = five;
        six.push(click("s5"));
        assert_eq!(
            refused(json!([click("a"), parent(six)])),
            at("button[1].sub_button", "too_many")
        );
    }

    #[test]
    fn top_level_names_have_at_most_16_bytes() {
        assert!(
            Menu::build(&specs(json!([click("今日歌曲很")]))).is_ok(),
            "15 bytes"
        );
        assert!(Menu::build(&specs(json!([click(&"a".repeat(16))]))).is_ok());
        assert_eq!(
            refused(json!([click("a"), click("今日歌曲很好听")])),
            at("button[1].name", "too_long")
        );
        assert_eq!(
            refused(json!([{"name": "今日歌曲很好听啊", "sub_button": [click("a")]}])),
            at("button[0].name", "too_long"),
            "a parent's name too"
        );
    }

    #[test]
    fn sub_button_names_have_at_most_60_bytes() {
        let twenty = "赞".repeat(20);
        assert!(Menu::build(&specs(json!([parent(vec![click(&twenty)])]))).is_ok());
        let mut subs: Vec<Value> = (0..4).map(|i| click(&format!("s{i}"))).collect();
        subs.push(click(&"赞".repeat(21)));
        assert_eq!(
            refused(json!([click("a"), parent(subs)])),
            at("button[1].sub_button[4].name", "too_long")
        );
    }

    #[test]
    fn every_button_needs_a_name() {
        assert_eq!(
            refused(json!([{"type": "click", "key": "K"}])),
            at("button[0].name", "required")
        );
        assert_eq!(
            refused(json!([parent(vec![
                json!({"type": "click", "name": "", "key": "K"})
            ])])),
            at("button[0].sub_button[0].name", "required")
        );
    }

    #[test]
    fn a_leaf_needs_one_of_wechats_types() {
        assert_eq!(
            refused(json!([{"name": "a", "key": "K"}])),
            at("button[0].type", "required")
        );
        assert_eq!(
            refused(json!([{"type": "news", "name": "a", "key": "K"}])),
            at("button[0].type", "unknown_type")
        );
        assert_eq!(
            refused(json!([parent(vec![
                json!({"type": "CLICK", "name": "a", "key": "K"})
            ])])),
            at("button[0].sub_button[0].type", "unknown_type"),
            "types are lower case"
        );
    }

    #[test]
    fn all_thirteen_types_are_accepted_with_their_fields() {
        let buttons = json!([
            {"name": "事件", "sub_button": [
                {"type": "click", "name": "click", "key": "K1"},
                {"type": "scancode_push", "name": "scan", "key": "K2"},
                {"type": "scancode_waitmsg", "name": "wait", "key": "K3"},
                {"type": "pic_sysphoto", "name": "photo", "key": "K4"},
                {"type": "pic_photo_or_album", "name": "album", "key": "K5"},
            ]},
            {"name": "更多", "sub_button": [
                {"type": "pic_weixin", "name": "weixin", "key": "K6"},
                {"type": "location_select", "name": "where", "key": "K7"},
                {"type": "media_id", "name": "media", "media_id": "M1"},
                {"type": "view_limited", "name": "limited", "media_id": "M2"},
                {"type": "article_id", "name": "article", "article_id": "A1"},
            ]},
            {"name": "链接", "sub_button": [
                {"type": "article_view_limited", "name": "read", "article_id": "A2"},
                {"type": "view", "name": "search", "url": "http://www.soso.com/"},
                {"type": "miniprogram", "name": "wxa", "url": "http://mp.weixin.qq.com",
                 "appid": "wx286b93c14bbf93aa", "pagepath": "pages/lunar/index"},
            ]},
        ]);
        let menu = Menu::build(&specs(buttons.clone())).expect("valid");
        assert_eq!(
            serde_json::to_value(menu.to_spec()).expect("json"),
            buttons,
            "sent as given"
        );
    }

    #[test]
    fn event_buttons_need_a_key_of_at_most_128_bytes() {
        assert_eq!(
            refused(json!([{"type": "click", "name": "a"}])),
            at("button[0].key", "required")
        );
        assert_eq!(
            refused(json!([{"type": "location_select", "name": "a", "key": ""}])),
            at("button[0].key", "required")
        );
        assert!(Menu::build(&specs(
            json!([{"type": "click", "name": "a", "key": "k".repeat(128)}])
        ))
        .is_ok());
        assert_eq!(
            refused(json!([parent(vec![
                json!({"type": "scancode_push", "name": "a", "key": "k".repeat(129)})
            ])])),
            at("button[0].sub_button[0].key", "too_long")
        );
    }

    #[test]
    fn view_buttons_need_an_http_url_of_at_most_1024_bytes() {
        let url = |len: usize| format!("https://a.example/{}", "x".repeat(len - 18));
        assert_eq!(url(1024).len(), 1024);
        assert!(Menu::build(&specs(
            json!([{"type": "view", "name": "a", "url": url(1024)}])
        ))
        .is_ok());
        assert_eq!(
            refused(json!([{"type": "view", "name": "a", "url": url(1025)}])),
            at("button[0].url", "too_long")
        );
        assert_eq!(
            refused(json!([{"type": "view", "name": "a"}])),
            at("button[0].url", "required")
        );
        assert_eq!(
            refused(json!([{"type": "view", "name": "a", "url": "javascript:alert(1)"}])),
            at("button[0].url", "not_http")
        );
    }

    #[test]
    fn miniprogram_buttons_need_url_appid_and_pagepath() {
        let mini = |extra: Value| {
            let mut b = json!({"type": "miniprogram", "name": "wxa", "url": "http://mp.weixin.qq.com",
                               "appid": "wx286b93c14bbf93aa", "pagepath": "pages/index"});
            for (k, v) in extra.as_object().expect("object") {
                if v.is_null() {
                    b.as_object_mut().expect("object").remove(k);
                } else {
                    b[k] = v.clone();
                }
            }
            json!([b])
        };
        assert!(Menu::build(&specs(mini(json!({})))).is_ok());
        assert_eq!(
            refused(mini(json!({"url": null}))),
            at("button[0].url", "required")
        );
        assert_eq!(
            refused(mini(json!({"appid": null}))),
            at("button[0].appid", "required")
        );
        assert_eq!(
            refused(mini(json!({"appid": "wx 286"}))),
            at("button[0].appid", "invalid_value")
        );
        assert_eq!(
            refused(mini(json!({"pagepath": null}))),
            at("button[0].pagepath", "required")
        );
    }

    #[test]
    fn material_buttons_need_their_id() {
        assert_eq!(
            refused(json!([{"type": "media_id", "name": "a"}])),
            at("button[0].media_id", "required")
        );
        assert_eq!(
            refused(json!([{"type": "view_limited", "name": "a", "article_id": "A"}])),
            at("button[0].media_id", "required")
        );
        assert_eq!(
            refused(json!([{"type": "article_view_limited", "name": "a"}])),
            at("button[0].article_id", "required")
        );
    }

    #[test]
    fn a_button_takes_only_the_fields_of_its_type() {
        assert_eq!(
            refused(json!([{"type": "click", "name": "a", "key": "K", "url": "http://x.cn"}])),
            at("button[0].url", "not_allowed")
        );
        assert_eq!(
            refused(json!([{"type": "view", "name": "a", "url": "http://x.cn", "media_id": "M"}])),
            at("button[0].media_id", "not_allowed")
        );
    }

    #[test]
    fn a_button_with_sub_buttons_has_no_type_and_no_action() {
        assert_eq!(
            refused(
                json!([click("a"), {"type": "click", "name": "m", "key": "K",
                                          "sub_button": [click("s")]}])
            ),
            at("button[1].type", "not_allowed")
        );
        assert_eq!(
            refused(json!([{"name": "m", "url": "http://x.cn", "sub_button": [click("s")]}])),
            at("button[0].url", "not_allowed")
        );
    }

    #[test]
    fn menus_have_two_levels() {
        assert_eq!(
            refused(json!([parent(vec![
                json!({"name": "s", "sub_button": [click("t")]})
            ])])),
            at("button[0].sub_button[0].sub_button", "not_allowed")
        );
    }

    #[test]
    fn an_empty_sub_button_list_is_a_leaf_as_menu_get_shows_it() {
        let got = json!([{"type": "click", "name": "今日歌曲", "key": "V1001", "sub_button": []}]);
        let menu = Menu::build(&specs(got)).expect("valid");
        assert!(matches!(menu.buttons(), [TopButton::Leaf(_)]));
    }

    fn rule(v: Value) -> Result<MatchRule, (String, &'static str)> {
        let spec: MatchRuleSpec = serde_json::from_value(v).expect("rule");
        MatchRule::build(&spec).map_err(|e| (e.field, e.rule))
    }

    #[test]
    fn match_rules_take_numbers_or_wechats_strings() {
        let a =
            rule(json!({"tag_id": "2", "sex": "1", "client_platform_type": "2"})).expect("strings");
        let b = rule(json!({"tag_id": 2, "sex": 1, "client_platform_type": 2})).expect("numbers");
        assert_eq!(a, b);
        assert_eq!(a.sex, Some(Sex::Male));
        assert_eq!(a.client_platform_type, Some(Platform::Android));
        assert!(rule(
            json!({"country": "中国", "province": "广东", "city": "广州", "language": "zh_CN"})
        )
        .is_ok());
    }

    #[test]
    fn a_match_rule_has_at_least_one_condition() {
        assert_eq!(rule(json!({})), Err(at("matchrule", "required")));
        assert_eq!(
            rule(json!({"country": "", "sex": ""})),
            Err(at("matchrule", "required")),
            "empty strings are absent"
        );
    }

    #[test]
    fn match_rule_values_are_wechats() {
        assert_eq!(
            rule(json!({"sex": 3})),
            Err(at("matchrule.sex", "invalid_value"))
        );
        assert_eq!(
            rule(json!({"client_platform_type": "4"})),
            Err(at("matchrule.client_platform_type", "invalid_value"))
        );
        assert_eq!(
            rule(json!({"tag_id": -1})),
            Err(at("matchrule.tag_id", "invalid_value"))
        );
        assert_eq!(
            rule(json!({"language": "klingon"})),
            Err(at("matchrule.language", "invalid_value"))
        );
    }

    #[test]
    fn a_province_needs_its_country_and_a_city_its_province() {
        assert_eq!(
            rule(json!({"province": "广东"})),
            Err(at("matchrule.country", "required"))
        );
        assert_eq!(
            rule(json!({"country": "中国", "city": "广州"})),
            Err(at("matchrule.province", "required"))
        );
    }
}
