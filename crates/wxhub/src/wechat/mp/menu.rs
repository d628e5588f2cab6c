//! The custom menu: `cgi-bin/menu/{create,get,delete}` and the personalised (conditional)
//! menus `menu/addconditional`, `menu/delconditional`, `menu/trymatch`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::wechat::call::{endpoint, Ack, Api, CallError};
use crate::wechat::retry::TokenHandle;

/// One button: a leaf (`type` plus the field its type needs: `key`, `url`, `media_id`,
/// `article_id`, `appid` + `pagepath`) or a parent of up to 5 `sub_button`s. Up to 3
/// top-level buttons. WeChat's own shape is this flat one, so it is kept flat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub name: String,
    /// `click`, `view`, `miniprogram`, `scancode_push`, `pic_sysphoto`, `location_select`,
    /// `media_id`, `article_id`, …; absent on a parent.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_button: Vec<Button>,
}

impl Button {
    /// A `click` button: the click event carries `key`.
    pub fn click(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: Some("click".into()),
            key: Some(key.into()),
            ..Self::default()
        }
    }

    /// A `view` button opening `url`.
    pub fn view(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: Some("view".into()),
            url: Some(url.into()),
            ..Self::default()
        }
    }

    /// A parent of `sub_button`s.
    pub fn parent(name: impl Into<String>, sub_button: Vec<Button>) -> Self {
        Self {
            name: name.into(),
            sub_button,
            ..Self::default()
        }
    }
}

/// `POST cgi-bin/menu/create`: `{"button": […]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateMenu {
    pub button: Vec<Button>,
}
endpoint!(CreateMenu => Ack, Post, "cgi-bin/menu/create");

/// `GET cgi-bin/menu/get`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GetMenu {}
endpoint!(GetMenu => MenuInfo, Get, "cgi-bin/menu/get");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MenuInfo {
    pub menu: Menu,
    #[serde(default)]
    pub conditionalmenu: Vec<ConditionalMenu>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Menu {
    pub button: Vec<Button>,
    /// Present once conditional menus exist.
    #[serde(default, deserialize_with = "opt_number_or_string")]
    pub menuid: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConditionalMenu {
    pub button: Vec<Button>,
    pub matchrule: MatchRule,
    #[serde(deserialize_with = "number_or_string")]
    pub menuid: u64,
}

/// `GET cgi-bin/menu/delete`: removes the menu and every conditional menu.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeleteMenu {}
endpoint!(DeleteMenu => Ack, Get, "cgi-bin/menu/delete");

/// Who sees a conditional menu; at least one field. WeChat takes them as strings, and
/// answers them as strings or numbers (`menu/get`), so both are read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchRule {
    /// Older answers call it `group_id` (seed 004's example).
    #[serde(
        default,
        alias = "group_id",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_text"
    )]
    pub tag_id: Option<String>,
    /// "1" male, "2" female.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_text"
    )]
    pub sex: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_text"
    )]
    pub country: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_text"
    )]
    pub province: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_text"
    )]
    pub city: Option<String>,
    /// "1" iOS, "2" Android, "3" others.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_text"
    )]
    pub client_platform_type: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_text"
    )]
    pub language: Option<String>,
}

/// `POST cgi-bin/menu/addconditional`: `{"button", "matchrule"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddConditional {
    pub button: Vec<Button>,
    pub matchrule: MatchRule,
}
endpoint!(AddConditional => ConditionalCreated, Post, "cgi-bin/menu/addconditional");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConditionalCreated {
    #[serde(deserialize_with = "number_or_string")]
    pub menuid: u64,
}

/// `POST cgi-bin/menu/delconditional`: `{"menuid": "…"}` (a string, as WeChat documents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DelConditional {
    #[serde(serialize_with = "as_string")]
    pub menuid: u64,
}
endpoint!(DelConditional => Ack, Post, "cgi-bin/menu/delconditional");

/// `POST cgi-bin/menu/trymatch`: `{"user_id"}` (an openid or a WeChat id): the menu that
/// user would see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TryMatch {
    pub user_id: String,
}
endpoint!(TryMatch => MatchedMenu, Post, "cgi-bin/menu/trymatch");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MatchedMenu {
    pub button: Vec<Button>,
}

pub async fn create<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &CreateMenu,
) -> Result<Ack, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn get<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
) -> Result<MenuInfo, CallError<H::Error>> {
    api.call(tokens, &GetMenu {}).await
}

pub async fn delete<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
) -> Result<Ack, CallError<H::Error>> {
    api.call(tokens, &DeleteMenu {}).await
}

pub async fn add_conditional<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &AddConditional,
) -> Result<ConditionalCreated, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn delete_conditional<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &DelConditional,
) -> Result<Ack, CallError<H::Error>> {
    api.call(tokens, request).await
}

pub async fn try_match<H: TokenHandle + ?Sized>(
    api: &Api<'_>,
    tokens: &H,
    request: &TryMatch,
) -> Result<MatchedMenu, CallError<H::Error>> {
    api.call(tokens, request).await
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(u64),
    String(String),
}

fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match NumberOrString::deserialize(d)? {
        NumberOrString::Number(n) => Ok(n),
        NumberOrString::String(s) => s.trim().parse().map_err(serde::de::Error::custom),
    }
}

/// A string, or a number read as its digits; `null` is absent.
fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Number(i64),
        String(String),
    }
    Ok(Option::<Text>::deserialize(d)?.map(|t| match t {
        Text::Number(n) => n.to_string(),
        Text::String(s) => s,
    }))
}

fn opt_number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    number_or_string(d).map(Some)
}

fn as_string<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&n.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn buttons_serialize_flat_as_wechat_documents_them() {
        let menu = CreateMenu {
            button: vec![
                Button::click("今日歌曲", "V1001_TODAY_MUSIC"),
                Button::parent("菜单", vec![Button::view("搜索", "http://www.soso.com/")]),
            ],
        };
        assert_eq!(
            serde_json::to_value(&menu).expect("json"),
            json!({"button": [
                {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
                {"name": "菜单", "sub_button": [
                    {"type": "view", "name": "搜索", "url": "http://www.soso.com/"}
                ]}
            ]})
        );
    }

    #[test]
    fn match_rules_are_read_as_numbers_or_strings() {
        // seed 004's menu/get answer, with numbers (and the old group_id beside).
        let info: MenuInfo = serde_json::from_value(json!({
            "menu": {"button": [{"type": "click", "name": "今日歌曲", "key": "V1001", "sub_button": []}],
                     "menuid": 208396938},
            "conditionalmenu": [{"button": [], "menuid": 208396993,
                "matchrule": {"group_id": 2, "sex": 1, "country": "中国", "province": "广东",
                              "city": "广州", "client_platform_type": 2}}]
        }))
        .expect("menu/get");
        let rule = &info.conditionalmenu[0].matchrule;
        assert_eq!(rule.tag_id.as_deref(), Some("2"));
        assert_eq!(rule.sex.as_deref(), Some("1"));
        assert_eq!(rule.client_platform_type.as_deref(), Some("2"));
        assert_eq!(rule.city.as_deref(), Some("广州"));
        assert_eq!(info.menu.menuid, Some(208396938));
        let strings: MatchRule =
            serde_json::from_value(json!({"tag_id": "2", "sex": "1", "language": "zh_CN"}))
                .expect("strings");
        assert_eq!(strings.tag_id.as_deref(), Some("2"));
    }

    #[test]
    fn menuids_are_read_as_numbers_or_strings_and_sent_as_strings() {
        let a: ConditionalCreated = serde_json::from_str(r#"{"menuid":"208379533"}"#).expect("s");
        let b: ConditionalCreated = serde_json::from_str(r#"{"menuid":208379533}"#).expect("n");
        assert_eq!(a, b);
        assert_eq!(
            serde_json::to_value(DelConditional { menuid: 208379533 }).expect("json"),
            json!({"menuid": "208379533"})
        );
    }
}
