//! Follower changes that callbacks record, and an account's callback settings.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::model::AccountId;

/// How the hub treats an account's callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct CallbackSettings {
    /// An unfollow also removes the follower's binding to an internal user (default off).
    pub unfollow_unbinds: bool,
}

/// A change to [`CallbackSettings`]; `None` keeps the setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    pub unfollow_unbinds: Option<bool>,
}

/// One follow or unfollow, in the order the events were stored.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowerChange {
    Followed {
        account: AccountId,
        openid: String,
        at: DateTime<Utc>,
        /// `qr_scene` (a code's scene) or `plain`.
        scene: String,
        qr_source: Option<u8>,
        qr_scene: Option<String>,
    },
    /// Marks the follower unsubscribed and clears the profile; keeps the openid.
    Unfollowed {
        account: AccountId,
        openid: String,
        at: DateTime<Utc>,
    },
}

/// A follower's profile as WeChat's `user/info` shows it for a user who follows
/// (`subscribe: 1`), under WeChat's names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowerProfile {
    pub nickname: String,
    /// 0 unknown, 1 male, 2 female.
    pub sex: u8,
    pub language: String,
    pub city: String,
    pub province: String,
    pub country: String,
    pub headimgurl: String,
    /// When the user (last) followed, Unix seconds.
    pub subscribe_time: i64,
    pub unionid: Option<String>,
    pub remark: String,
    pub groupid: i64,
    pub tagid_list: Vec<u32>,
    /// `ADD_SCENE_SEARCH`, `ADD_SCENE_QR_CODE`, …
    pub subscribe_scene: String,
    /// The numeric scene of the QR code the user followed by (0: none).
    pub qr_scene: u64,
    /// The string scene of that code ("": none).
    pub qr_scene_str: String,
}

/// What WeChat answered about one openid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserInfo {
    /// The user follows the account.
    Follows(Box<FollowerProfile>),
    /// `subscribe: 0` (or WeChat does not know the openid for this account).
    DoesNotFollow { unionid: Option<String> },
}

/// One user's `user/info` answer, for storing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedUser {
    pub openid: String,
    pub info: UserInfo,
}

/// `tagid_list` as stored: comma-separated ids, "" for none.
pub fn tag_ids_to_text(ids: &[u32]) -> String {
    ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// The stored `tagid_list`; `None` when it is not a list of ids.
pub fn tag_ids_from_text(text: &str) -> Option<Vec<u32>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',').map(|id| id.parse().ok()).collect()
}

/// `qr_scene` and `qr_scene_str` as a follow callback's scene value implies them, until WeChat's
/// own answer is stored: the callback's `EventKey` (`qrscene_123` or `qrscene_abc`) does not
/// say whether the code had a numeric or a string scene, so digits that fit WeChat's 32-bit
/// `scene_id` read as the number, anything else as the string.
pub fn qr_scene_of_event(scene: Option<&str>) -> (u64, String) {
    match scene {
        None | Some("") => (0, String::new()),
        Some(s) if s.bytes().all(|b| b.is_ascii_digit()) && s.len() <= 10 => {
            match s.parse::<u32>() {
                Ok(n) => (u64::from(n), String::new()),
                Err(_) => (0, s.to_owned()),
            }
        }
        Some(s) => (0, s.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_ids_round_trip_as_text() {
        for ids in [vec![], vec![2], vec![2, 100, 4_294_967_295]] {
            let text = tag_ids_to_text(&ids);
            assert_eq!(tag_ids_from_text(&text), Some(ids));
        }
        assert_eq!(tag_ids_from_text("1,x"), None);
    }

    #[test]
    fn an_event_scene_of_digits_is_the_numeric_scene() {
        assert_eq!(qr_scene_of_event(None), (0, String::new()));
        assert_eq!(qr_scene_of_event(Some("123")), (123, String::new()));
        assert_eq!(
            qr_scene_of_event(Some("4294967295")),
            (4_294_967_295, String::new())
        );
        assert_eq!(
            qr_scene_of_event(Some("4294967296")),
            (0, "4294967296".to_owned())
        );
        assert_eq!(qr_scene_of_event(Some("s7_abc")), (0, "s7_abc".to_owned()));
    }
}
