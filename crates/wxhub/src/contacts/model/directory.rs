//! The directory as the hub keeps it: departments, members and tags with WeCom's fields,
//! and the materialised path that makes subtrees and ancestors index lookups.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::{CorpUserId, InvalidField};

/// A WeCom department id; 1 is the corp itself, the root.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(try_from = "u64", into = "u64")]
#[schema(value_type = u64)]
pub struct DepartmentId(u64);

/// The root department: WeCom numbers the corp itself 1.
pub const ROOT: DepartmentId = DepartmentId(1);

impl DepartmentId {
    /// WeCom's department ids are positive 32-bit integers.
    pub fn new(id: u64) -> Result<Self, InvalidField> {
        if (1..=u64::from(u32::MAX)).contains(&id) {
            Ok(DepartmentId(id))
        } else {
            Err(InvalidField::new(
                "department",
                "must be a positive department id",
            ))
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        s.trim()
            .parse::<u64>()
            .map_err(|_| InvalidField::new("department", "must be a department id (a number)"))
            .and_then(Self::new)
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// As stored (BIGINT / INTEGER).
    pub fn to_db(self) -> i64 {
        self.0 as i64
    }
}

impl TryFrom<u64> for DepartmentId {
    type Error = InvalidField;
    fn try_from(v: u64) -> Result<Self, InvalidField> {
        Self::new(v)
    }
}

impl From<DepartmentId> for u64 {
    fn from(id: DepartmentId) -> u64 {
        id.0
    }
}

impl std::fmt::Display for DepartmentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A WeCom contacts tag id (the corp's tags, not an Official Account's follower tags).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(try_from = "u64", into = "u64")]
#[schema(value_type = u64)]
pub struct ContactTagId(u64);

impl ContactTagId {
    pub fn new(id: u64) -> Result<Self, InvalidField> {
        if (1..=u64::from(u32::MAX)).contains(&id) {
            Ok(ContactTagId(id))
        } else {
            Err(InvalidField::new("tagid", "must be a positive tag id"))
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        s.trim()
            .parse::<u64>()
            .map_err(|_| InvalidField::new("tagid", "must be a tag id (a number)"))
            .and_then(Self::new)
    }

    pub fn get(self) -> u64 {
        self.0
    }

    pub fn to_db(self) -> i64 {
        self.0 as i64
    }
}

impl TryFrom<u64> for ContactTagId {
    type Error = InvalidField;
    fn try_from(v: u64) -> Result<Self, InvalidField> {
        Self::new(v)
    }
}

impl From<ContactTagId> for u64 {
    fn from(id: ContactTagId) -> u64 {
        id.0
    }
}

impl std::fmt::Display for ContactTagId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A member's gender as WeCom answers it: the strings "0" (unset), "1" (male), "2" (female).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Gender {
    #[default]
    #[serde(rename = "0")]
    Unset,
    #[serde(rename = "1")]
    Male,
    #[serde(rename = "2")]
    Female,
}

impl Gender {
    /// WeCom's string; anything else is unset (a post-2022 app is not told).
    pub fn from_wecom(s: &str) -> Self {
        match s {
            "1" => Gender::Male,
            "2" => Gender::Female,
            _ => Gender::Unset,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Unset => "0",
            Gender::Male => "1",
            Gender::Female => "2",
        }
    }
}

/// A department with WeCom's fields (`order`: a larger one sorts first among siblings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub id: DepartmentId,
    pub name: String,
    pub name_en: String,
    /// `None` for the root (WeCom's parentid 0).
    pub parentid: Option<DepartmentId>,
    pub order: u64,
    pub leaders: Vec<CorpUserId>,
}

/// A member with WeCom's fields; fields WeCom withholds from the reading secret are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub userid: CorpUserId,
    pub name: String,
    /// Every department the member is in, in WeCom's order.
    pub department: Vec<DepartmentId>,
    /// The member's order in each of `department`, same length.
    pub order: Vec<u64>,
    pub main_department: DepartmentId,
    pub position: String,
    pub mobile: String,
    pub gender: Gender,
    pub email: String,
    pub alias: String,
    pub avatar: String,
    pub telephone: String,
    pub address: String,
    /// 1 active, 2 disabled, 4 not yet active, 5 left.
    pub status: u8,
}

/// A contacts tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactTag {
    pub tagid: ContactTagId,
    pub tagname: String,
}

/// A tag with who it names: its members and its departments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagMembers {
    pub tag: ContactTag,
    pub userids: Vec<CorpUserId>,
    pub departments: Vec<DepartmentId>,
}

/// A department's materialised path: the ids from the root down to the department itself,
/// each followed by `/` (`/1/5/9/`). Ordered bytewise, a subtree is one range of paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DepartmentPath(String);

impl DepartmentPath {
    /// The root's path.
    pub fn root(root: DepartmentId) -> Self {
        DepartmentPath(format!("/{root}/"))
    }

    /// The path of a child of `self`.
    pub fn child(&self, id: DepartmentId) -> Self {
        DepartmentPath(format!("{}{id}/", self.0))
    }

    /// A stored path, checked.
    pub fn parse(s: &str) -> Option<Self> {
        let inner = s.strip_prefix('/')?.strip_suffix('/')?;
        inner
            .split('/')
            .all(|p| DepartmentId::parse(p).is_ok())
            .then(|| DepartmentPath(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The departments on the path, root first, the department itself last.
    pub fn ids(&self) -> Vec<DepartmentId> {
        self.0
            .split('/')
            .filter(|p| !p.is_empty())
            .filter_map(|p| DepartmentId::parse(p).ok())
            .collect()
    }

    /// Levels below the root (the root is 0).
    pub fn depth(&self) -> usize {
        self.0.matches('/').count().saturating_sub(2)
    }

    /// `[start, end)`: every path in the subtree (the department included) is `>= start`
    /// and `< end`, and no other (the path's final `/` becomes `0`, the next byte).
    pub fn subtree_range(&self) -> (String, String) {
        let mut end = self.0.clone();
        end.pop();
        end.push('0');
        (self.0.clone(), end)
    }
}

impl std::fmt::Display for DepartmentPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> DepartmentId {
        DepartmentId::new(n).unwrap()
    }

    #[test]
    fn a_path_lists_its_departments_and_bounds_its_subtree() {
        let p = DepartmentPath::root(ROOT).child(id(5)).child(id(9));
        assert_eq!(p.as_str(), "/1/5/9/");
        assert_eq!(p.ids(), vec![id(1), id(5), id(9)]);
        assert_eq!(p.depth(), 2);
        let (start, end) = DepartmentPath::root(ROOT).child(id(2)).subtree_range();
        for inside in ["/1/2/", "/1/2/3/", "/1/2/30/7/"] {
            assert!(
                inside >= start.as_str() && inside < end.as_str(),
                "{inside}"
            );
        }
        for outside in ["/1/", "/1/20/", "/1/21/2/", "/1/3/"] {
            assert!(
                !(outside >= start.as_str() && outside < end.as_str()),
                "{outside}"
            );
        }
        assert_eq!(
            DepartmentPath::parse("/1/5/"),
            Some(DepartmentPath("/1/5/".into()))
        );
        assert_eq!(DepartmentPath::parse("/1/x/"), None);
        assert_eq!(DepartmentPath::parse("1/5"), None);
    }

    #[test]
    fn ids_and_gender_read_wecom_values() {
        assert!(DepartmentId::parse("0").is_err());
        assert_eq!(DepartmentId::parse(" 7 ").map(DepartmentId::get), Ok(7));
        assert_eq!(Gender::from_wecom("2"), Gender::Female);
        assert_eq!(Gender::from_wecom(""), Gender::Unset);
        assert_eq!(serde_json::to_string(&Gender::Male).unwrap(), "\"1\"");
    }
}
