//! Storage of the contacts directory's queries (seed 002 §4.3–4.12): members, departments
//! and tags read from each `work` account's copy, the admin role assignments, and the
//! hub's copy of a tag's members after a change made at WeCom. The trait only; no SQL
//! (that is `store/sql/contact_queries.rs`). The copy itself is written by the directory
//! sync (`store/contacts.rs`); [`DirectoryReads::insert_directory`] writes one directly, for
//! tests and `wxhub bench contacts-queries` only.
//!
//! Every list is keyset-paged: the caller passes the cursor of the last row it has and a
//! limit, and the store answers at most that many rows after it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::AccountId;
use crate::contacts::model::{
    ContactTag, ContactTagId, Department, DepartmentId, DepartmentPath, Member, Role, TagMembers,
    Visible,
};
use crate::core::CorpUserId;
use crate::store::StoreError;

/// A department as the queries answer it: WeCom's fields, its path and its number of
/// direct children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentRow {
    pub department: Department,
    pub path: DepartmentPath,
    pub child_count: u64,
}

impl DepartmentRow {
    /// Where a list of children goes on after this row.
    pub fn cursor(&self) -> ChildCursor {
        ChildCursor {
            depth: self.path.depth() as u64,
            parentid: self.department.parentid.map_or(0, DepartmentId::get),
            order: self.department.order,
            id: self.department.id,
        }
    }
}

/// A member with the tags it carries (tag id order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub member: Member,
    pub tags: Vec<ContactTagId>,
}

/// The position in a list of departments, which runs level by level (`depth`), each
/// parent's children together (`parentid`), siblings in WeCom's order (a larger `order`
/// first, then the id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildCursor {
    pub depth: u64,
    pub parentid: u64,
    pub order: u64,
    pub id: DepartmentId,
}

/// The position in a department's member list, which runs by department path, then by
/// userid (the path of the department the member was listed in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberCursor {
    pub path: DepartmentPath,
    pub userid: CorpUserId,
}

/// Which departments a children query lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Below {
    /// The direct children.
    Children,
    /// The whole subtree below (the department itself excluded).
    Subtree,
}

/// A search text: trimmed, ASCII letters folded to lower case, as the index keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    /// Characters beyond this are not searched.
    pub const MAX_CHARS: usize = 64;

    /// `None` for a text with nothing to search.
    pub fn new(raw: &str) -> Option<SearchText> {
        let text: String = raw
            .trim()
            .chars()
            .take(Self::MAX_CHARS)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        (!text.is_empty()).then_some(SearchText(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// One or two characters: matched against names and aliases only (a one- or
    /// two-digit mobile or userid fragment would match nearly everyone).
    pub fn is_short(&self) -> bool {
        self.0.chars().count() < 3
    }

    /// The distinct three-character substrings, in order of first appearance.
    pub fn trigrams(&self) -> Vec<String> {
        let chars: Vec<char> = self.0.chars().collect();
        let mut out: Vec<String> = Vec::new();
        for w in chars.windows(3) {
            let g: String = w.iter().collect();
            if !out.contains(&g) {
                out.push(g);
            }
        }
        out
    }

    /// The `LIKE` pattern matching the text anywhere, `\` escaping.
    pub fn like_pattern(&self) -> String {
        let mut p = String::with_capacity(self.0.len() + 2);
        p.push('%');
        for c in self.0.chars() {
            if matches!(c, '%' | '_' | '\\') {
                p.push('\\');
            }
            p.push(c);
        }
        p.push('%');
        p
    }
}

/// A tag with its members' and departments' names from the copy (an empty name where the
/// copy does not have the member or department).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagMembersRow {
    pub tag: ContactTag,
    pub users: Vec<(CorpUserId, String)>,
    pub parties: Vec<(DepartmentId, String)>,
}

/// A role as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRole {
    pub role: Role,
    pub updated_at: DateTime<Utc>,
}

/// Add to a tag, or remove from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagChange {
    Add,
    Remove,
}

#[async_trait]
pub trait DirectoryReads: Send + Sync + 'static {
    /// The member, with all its departments and tags.
    async fn member(
        &self,
        account: &AccountId,
        userid: &CorpUserId,
    ) -> Result<Option<MemberRecord>, StoreError>;

    /// Members whose name or alias (a short text) or name, alias, mobile or userid (three
    /// characters or more) contains `text`, in userid order after `after`; every member
    /// when `text` is `None`.
    async fn search_members(
        &self,
        account: &AccountId,
        text: Option<&SearchText>,
        after: Option<&CorpUserId>,
        limit: u32,
    ) -> Result<Vec<MemberRecord>, StoreError>;

    async fn department(
        &self,
        account: &AccountId,
        id: DepartmentId,
    ) -> Result<Option<DepartmentRow>, StoreError>;

    /// The departments of `ids` the copy has, in no particular order.
    async fn departments(
        &self,
        account: &AccountId,
        ids: &[DepartmentId],
    ) -> Result<Vec<DepartmentRow>, StoreError>;

    /// The children (or the whole subtree) of `parent`, in [`ChildCursor`] order after
    /// `after`, only those in `visible` when given.
    async fn children(
        &self,
        account: &AccountId,
        parent: &DepartmentRow,
        below: Below,
        visible: Option<&Visible>,
        after: Option<&ChildCursor>,
        limit: u32,
    ) -> Result<Vec<DepartmentRow>, StoreError>;

    /// The direct members of each of `departments`, in userid order within each.
    async fn direct_members(
        &self,
        account: &AccountId,
        departments: &[DepartmentId],
    ) -> Result<Vec<(DepartmentId, MemberRecord)>, StoreError>;

    /// The members of `department` (`Below::Children`: its own; `Below::Subtree`: its own
    /// and its subtree's, each member once, listed in its first department by path), in
    /// [`MemberCursor`] order after `after`.
    async fn department_members(
        &self,
        account: &AccountId,
        department: &DepartmentRow,
        below: Below,
        after: Option<&MemberCursor>,
        limit: u32,
    ) -> Result<Vec<(DepartmentPath, MemberRecord)>, StoreError>;

    /// The paths of the departments `userid` belongs to.
    async fn member_paths(
        &self,
        account: &AccountId,
        userid: &CorpUserId,
    ) -> Result<Vec<DepartmentPath>, StoreError>;

    /// The account's tags in id order.
    async fn tags(&self, account: &AccountId) -> Result<Vec<ContactTag>, StoreError>;

    async fn tag_members(
        &self,
        account: &AccountId,
        tag: ContactTagId,
    ) -> Result<Option<TagMembersRow>, StoreError>;

    /// Adds `userids` and `parties` to (or removes them from) the copy of `tag`'s members,
    /// in one write transaction. Whether the copy has the tag.
    async fn change_tag_members(
        &self,
        account: &AccountId,
        tag: ContactTagId,
        change: TagChange,
        userids: &[CorpUserId],
        parties: &[DepartmentId],
    ) -> Result<bool, StoreError>;

    /// Stores `role`, replacing the member's previous one.
    async fn put_role(
        &self,
        account: &AccountId,
        role: &Role,
        at: DateTime<Utc>,
    ) -> Result<StoredRole, StoreError>;

    async fn role(
        &self,
        account: &AccountId,
        userid: &CorpUserId,
    ) -> Result<Option<StoredRole>, StoreError>;

    /// Whether there was one.
    async fn delete_role(
        &self,
        account: &AccountId,
        userid: &CorpUserId,
    ) -> Result<bool, StoreError>;

    /// Roles in userid order after `after`.
    async fn roles(
        &self,
        account: &AccountId,
        after: Option<&CorpUserId>,
        limit: u32,
    ) -> Result<Vec<StoredRole>, StoreError>;

    /// Writes a directory into the copy directly, for tests and the benchmark (the sync
    /// writes through `store::contacts`): `departments` in any order (each parent among
    /// them, the root's `parentid` `None`), `members`, `tags`.
    async fn insert_directory(
        &self,
        account: &AccountId,
        departments: &[Department],
        members: &[Member],
        tags: &[TagMembers],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::SearchText;

    #[test]
    fn search_texts_fold_ascii_and_escape_like() {
        let t = SearchText::new("  Zhang_San% ").expect("text");
        assert_eq!(t.as_str(), "zhang_san%");
        assert_eq!(t.like_pattern(), "%zhang\\_san\\%%");
        assert!(!t.is_short());
        assert!(SearchText::new("张").expect("text").is_short());
        assert_eq!(SearchText::new("   "), None);
        assert_eq!(
            SearchText::new("13813813").expect("text").trigrams(),
            ["138", "381", "813"]
        );
    }
}
