//! Follower tags as the hub knows them: typed ids and names checked when built, the local copy
//! of an account's tags with WeChat's limits as pure checks on it, and the openid lists that
//! tagging splits into WeChat's batches.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::core::identity::OpenId;
use crate::core::InvalidAt;

/// WeChat's limit on the tags an account creates (45056 above it); its reserved tags do not
/// count.
pub const TAGS_MAX: usize = 100;
/// The longest tag name, in bytes of UTF-8 (45158 above it).
pub const TAG_NAME_MAX_BYTES: usize = 30;
/// A tag with more followers than this cannot be deleted (45057): untag them first.
pub const DELETE_FOLLOWERS_MAX: u64 = 100_000;
/// Openids per `batchtagging` / `batchuntagging` call (40032 above it).
pub const BATCH_MAX: usize = 50;
/// Openids one hub request may tag or untag: at most 20 WeChat calls, so a request ends well
/// within the request timeout. Larger sets go in several requests.
pub const REQUEST_OPENIDS_MAX: usize = 1_000;
/// The longest remark, in characters (WeChat documents "shorter than 30 characters").
pub const REMARK_MAX_CHARS: usize = 30;

/// A tag's id, as WeChat assigns it. 0, 1 and 2 are WeChat's own (2 is 星标组): they can be
/// neither renamed nor deleted (45058).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[schema(value_type = u32)]
pub struct TagId(u32);

impl TagId {
    pub fn new(id: i64) -> Result<Self, InvalidAt> {
        u32::try_from(id).map(TagId).map_err(|_| {
            InvalidAt::new(
                "tag_id",
                "out_of_range",
                "must be a whole number 0-4294967295",
            )
        })
    }

    pub fn from_wechat(id: u32) -> Self {
        TagId(id)
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// One of WeChat's own tags (0, 1, 2), which no API call may change.
    pub fn is_reserved(self) -> bool {
        self.0 <= 2
    }
}

impl std::fmt::Display for TagId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A name for a new or renamed tag: not blank, at most 30 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(value_type = String)]
pub struct TagName(String);

impl TagName {
    pub fn parse(name: &str) -> Result<Self, InvalidAt> {
        if name.trim().is_empty() {
            return Err(InvalidAt::new("name", "required", "must not be blank"));
        }
        if name.len() > TAG_NAME_MAX_BYTES {
            return Err(InvalidAt::new(
                "name",
                "too_long",
                format!(
                    "is {} bytes; a tag name has at most {TAG_NAME_MAX_BYTES} bytes of UTF-8 (10 Chinese characters)",
                    name.len()
                ),
            ));
        }
        Ok(TagName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One tag of an account, as WeChat last listed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Tag {
    pub id: TagId,
    pub name: String,
    /// Followers carrying the tag (WeChat's `count`).
    pub followers: u64,
}

/// The hub's copy of an account's tags, refreshed from WeChat's `tags/get` by a sync and
/// after every change the hub makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagList {
    pub tags: Vec<Tag>,
    pub synced_at: DateTime<Utc>,
}

/// Why the local copy refuses a change before WeChat is asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagRefusal {
    #[error("the account has {TAGS_MAX} tags of its own, WeChat's limit; delete one first")]
    TooMany,
    #[error("the account has a tag named {0:?} already (tag {1}); tag names are unique")]
    NameTaken(String, TagId),
    #[error("tag {0} is one of WeChat's own (0, 1, 2); it cannot be renamed or deleted")]
    Reserved(TagId),
    #[error("tag {0} not found on this account")]
    NotFound(TagId),
    #[error("tag {id} has {followers} followers; WeChat deletes only tags with at most {DELETE_FOLLOWERS_MAX}: untag followers first (POST …/tags/{id}/followers/remove)")]
    TooManyFollowers { id: TagId, followers: u64 },
}

impl TagList {
    pub fn get(&self, id: TagId) -> Option<&Tag> {
        self.tags.iter().find(|t| t.id == id)
    }

    /// The tags the account made itself (what WeChat's limit of 100 counts).
    pub fn own(&self) -> usize {
        self.tags.iter().filter(|t| !t.id.is_reserved()).count()
    }

    fn name_free(&self, name: &TagName, except: Option<TagId>) -> Result<(), TagRefusal> {
        match self
            .tags
            .iter()
            .find(|t| t.name == name.as_str() && Some(t.id) != except)
        {
            Some(t) => Err(TagRefusal::NameTaken(t.name.clone(), t.id)),
            None => Ok(()),
        }
    }

    /// A new tag named `name` fits: under the limit, the name free.
    pub fn check_create(&self, name: &TagName) -> Result<(), TagRefusal> {
        if self.own() >= TAGS_MAX {
            return Err(TagRefusal::TooMany);
        }
        self.name_free(name, None)
    }

    pub fn check_rename(&self, id: TagId, name: &TagName) -> Result<(), TagRefusal> {
        if id.is_reserved() {
            return Err(TagRefusal::Reserved(id));
        }
        self.get(id).ok_or(TagRefusal::NotFound(id))?;
        self.name_free(name, Some(id))
    }

    pub fn check_delete(&self, id: TagId) -> Result<(), TagRefusal> {
        if id.is_reserved() {
            return Err(TagRefusal::Reserved(id));
        }
        let tag = self.get(id).ok_or(TagRefusal::NotFound(id))?;
        if tag.followers > DELETE_FOLLOWERS_MAX {
            return Err(TagRefusal::TooManyFollowers {
                id,
                followers: tag.followers,
            });
        }
        Ok(())
    }

    /// Followers can be tagged (or untagged) with `id`.
    pub fn check_exists(&self, id: TagId) -> Result<(), TagRefusal> {
        self.get(id).map(drop).ok_or(TagRefusal::NotFound(id))
    }
}

/// The followers one tagging request names: 1–1,000 valid openids, each once, in the order
/// given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIdList(Vec<OpenId>);

impl OpenIdList {
    /// Refusals name `openid_list`, or the entry `openid_list[i]`.
    pub fn parse(list: &[String]) -> Result<Self, InvalidAt> {
        let whole = |rule, reason: String| InvalidAt::new("openid_list", rule, reason);
        if list.is_empty() {
            return Err(whole("required", "name at least one openid".into()));
        }
        if list.len() > REQUEST_OPENIDS_MAX {
            return Err(whole(
                "too_many",
                format!(
                    "has {} openids; send at most {REQUEST_OPENIDS_MAX} per request (the hub calls WeChat with {BATCH_MAX} at a time)",
                    list.len()
                ),
            ));
        }
        let mut seen = std::collections::HashSet::with_capacity(list.len());
        let mut openids = Vec::with_capacity(list.len());
        for (i, raw) in list.iter().enumerate() {
            let openid = OpenId::parse(raw).map_err(|e| {
                InvalidAt::new(format!("openid_list[{i}]"), "invalid_openid", e.reason)
            })?;
            if seen.insert(openid.clone()) {
                openids.push(openid);
            }
        }
        Ok(OpenIdList(openids))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The list in WeChat's batches of at most 50, in order.
    pub fn batches(&self) -> impl Iterator<Item = &[OpenId]> {
        self.0.chunks(BATCH_MAX)
    }
}

/// A follower's remark (备注名): at most 30 characters; empty clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remark(String);

impl Remark {
    pub fn parse(remark: &str) -> Result<Self, InvalidAt> {
        let chars = remark.chars().count();
        if chars > REMARK_MAX_CHARS {
            return Err(InvalidAt::new(
                "remark",
                "too_long",
                format!("has {chars} characters; a remark has at most {REMARK_MAX_CHARS}"),
            ));
        }
        Ok(Remark(remark.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page of a tag's followers (WeChat's `user/tag/get`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFollowers {
    pub openids: Vec<String>,
    /// Ask again with this to read on; `None` at the end.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn tag(id: u32, name: &str, followers: u64) -> Tag {
        Tag {
            id: TagId(id),
            name: name.into(),
            followers,
        }
    }

    fn list(tags: Vec<Tag>) -> TagList {
        TagList {
            tags,
            synced_at: Utc.timestamp_opt(0, 0).single().expect("time"),
        }
    }

    fn name(s: &str) -> TagName {
        TagName::parse(s).expect("name")
    }

    #[test]
    fn tag_names_are_at_most_30_bytes_and_not_blank() {
        assert!(TagName::parse(&"a".repeat(30)).is_ok());
        assert!(TagName::parse(&"广".repeat(10)).is_ok(), "10 × 3 bytes");
        let long = TagName::parse(&"广".repeat(11)).expect_err("33 bytes");
        assert_eq!((long.field.as_str(), long.rule), ("name", "too_long"));
        assert!(long.reason.contains("33 bytes"), "{}", long.reason);
        assert!(TagName::parse(&"a".repeat(31)).is_err());
        assert_eq!(TagName::parse("  ").map_err(|e| e.rule), Err("required"));
        assert!(TagName::parse("").is_err());
    }

    #[test]
    fn an_account_creates_at_most_100_tags_not_counting_wechats_own() {
        let mut tags = vec![tag(2, "星标组", 0)];
        tags.extend((100..199).map(|i| tag(i, &format!("t{i}"), 0)));
        let ninety_nine = list(tags.clone());
        assert_eq!(ninety_nine.own(), 99);
        assert_eq!(ninety_nine.check_create(&name("new")), Ok(()));
        tags.push(tag(199, "t199", 0));
        assert_eq!(
            list(tags).check_create(&name("new")),
            Err(TagRefusal::TooMany)
        );
    }

    #[test]
    fn tag_names_are_unique_on_create_and_rename() {
        let tags = list(vec![tag(100, "广东", 0), tag(101, "北京", 0)]);
        assert_eq!(
            tags.check_create(&name("广东")),
            Err(TagRefusal::NameTaken("广东".into(), TagId(100)))
        );
        assert_eq!(
            tags.check_rename(TagId(101), &name("广东")),
            Err(TagRefusal::NameTaken("广东".into(), TagId(100)))
        );
        assert_eq!(
            tags.check_rename(TagId(100), &name("广东")),
            Ok(()),
            "own name"
        );
        assert_eq!(
            tags.check_rename(TagId(105), &name("上海")),
            Err(TagRefusal::NotFound(TagId(105)))
        );
    }

    #[test]
    fn wechats_own_tags_0_1_2_are_neither_renamed_nor_deleted() {
        let tags = list(vec![tag(2, "星标组", 0)]);
        for id in [0, 1, 2] {
            assert_eq!(
                tags.check_rename(TagId(id), &name("x")),
                Err(TagRefusal::Reserved(TagId(id)))
            );
            assert_eq!(
                tags.check_delete(TagId(id)),
                Err(TagRefusal::Reserved(TagId(id)))
            );
        }
    }

    #[test]
    fn a_tag_with_more_than_100000_followers_is_not_deleted() {
        let tags = list(vec![tag(100, "big", 100_001), tag(101, "edge", 100_000)]);
        assert_eq!(
            tags.check_delete(TagId(100)),
            Err(TagRefusal::TooManyFollowers {
                id: TagId(100),
                followers: 100_001
            })
        );
        assert_eq!(tags.check_delete(TagId(101)), Ok(()));
        assert_eq!(
            tags.check_delete(TagId(102)),
            Err(TagRefusal::NotFound(TagId(102)))
        );
    }

    #[test]
    fn openid_lists_split_into_batches_of_50_without_repeats() {
        let raw: Vec<String> = (0..120).map(|i| format!("o_user_{i:03}")).collect();
        let mut with_repeats = raw.clone();
        with_repeats.push(raw[0].clone());
        let list = OpenIdList::parse(&with_repeats).expect("list");
        assert_eq!(list.len(), 120);
        let sizes: Vec<usize> = list.batches().map(<[OpenId]>::len).collect();
        assert_eq!(sizes, [50, 50, 20]);
        let first: Vec<&str> = list.batches().flatten().map(OpenId::as_str).collect();
        assert_eq!(first, raw.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn openid_lists_name_the_bad_entry() {
        let empty = OpenIdList::parse(&[]).expect_err("empty");
        assert_eq!(
            (empty.field.as_str(), empty.rule),
            ("openid_list", "required")
        );
        let bad = OpenIdList::parse(&["o_ok".into(), "not ok!".into()]).expect_err("bad");
        assert_eq!(
            (bad.field.as_str(), bad.rule),
            ("openid_list[1]", "invalid_openid")
        );
        let many: Vec<String> = (0..=REQUEST_OPENIDS_MAX).map(|i| format!("o{i}")).collect();
        let many = OpenIdList::parse(&many).expect_err("too many");
        assert_eq!(
            (many.field.as_str(), many.rule),
            ("openid_list", "too_many")
        );
    }

    #[test]
    fn remarks_are_at_most_30_characters() {
        assert!(Remark::parse(&"胖".repeat(30)).is_ok());
        assert!(Remark::parse("").is_ok(), "clears the remark");
        let long = Remark::parse(&"胖".repeat(31)).expect_err("31");
        assert_eq!((long.field.as_str(), long.rule), ("remark", "too_long"));
    }

    #[test]
    fn tag_ids_fit_wechats_range() {
        assert_eq!(TagId::new(134).map(TagId::get), Ok(134));
        assert!(TagId::new(-1).is_err());
        assert!(TagId::new(i64::from(u32::MAX) + 1).is_err());
    }
}
