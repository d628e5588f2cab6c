//! Admin scopes (seed 002 §3.2, §4.3, §4.7's `isAll`): which departments a member may
//! manage, view, or only pass through. WeCom has no API saying which departments an admin
//! manages, so the hub keeps role assignments of its own: a member, a level, and (for a
//! tiered admin) the departments it manages.
//!
//! # What a member may see
//!
//! | who | manage (`is_all` 0) | view (`is_all` 1) | path only (`is_all` 2) |
//! |---|---|---|---|
//! | level 1 (system super-admin), level 2 (super-admin) | every department | — | — |
//! | level 3 (tiered admin) | its managed departments and their subtrees | its own departments (where it is a member) and their subtrees, where not managed | the ancestors of those, up to the root |
//! | a member without a role | — | its own departments and their subtrees | their ancestors |
//!
//! Everything else is hidden: listed for nobody but levels 1 and 2. Manage wins over view,
//! view over path-only. A department on the path only shows the way down to what the
//! member may see; its other children stay hidden.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::directory::{DepartmentId, DepartmentPath};
use crate::core::{CorpUserId, InvalidAt};

/// At most this many managed departments per tiered admin.
pub const MAX_MANAGED: usize = 1_000;

/// An admin's level, as seed 002 §3.2's `roleLevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum RoleLevel {
    /// 1: 系统超级管理员, sees the whole directory.
    SystemSuperAdmin,
    /// 2: 超级管理员, sees the whole directory.
    SuperAdmin,
    /// 3: 分级管理员, manages its departments' subtrees.
    TieredAdmin,
}

impl RoleLevel {
    pub fn get(self) -> u8 {
        match self {
            RoleLevel::SystemSuperAdmin => 1,
            RoleLevel::SuperAdmin => 2,
            RoleLevel::TieredAdmin => 3,
        }
    }

    /// Whether this level sees (and manages) every department.
    pub fn sees_everything(self) -> bool {
        !matches!(self, RoleLevel::TieredAdmin)
    }
}

impl TryFrom<u8> for RoleLevel {
    type Error = InvalidAt;
    fn try_from(v: u8) -> Result<Self, InvalidAt> {
        match v {
            1 => Ok(RoleLevel::SystemSuperAdmin),
            2 => Ok(RoleLevel::SuperAdmin),
            3 => Ok(RoleLevel::TieredAdmin),
            _ => Err(InvalidAt::new(
                "level",
                "unknown_level",
                "level must be 1 (system super-admin), 2 (super-admin) or 3 (tiered admin)",
            )),
        }
    }
}

impl From<RoleLevel> for u8 {
    fn from(l: RoleLevel) -> u8 {
        l.get()
    }
}

/// A member's role: its level and, for a tiered admin, the departments it manages (each
/// with its subtree), without repeats, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub userid: CorpUserId,
    pub level: RoleLevel,
    pub departments: Vec<DepartmentId>,
}

impl Role {
    /// A role from a request: levels 1 and 2 name no departments (they see everything),
    /// level 3 names 1–[`MAX_MANAGED`].
    pub fn build(userid: CorpUserId, level: u8, departments: &[u64]) -> Result<Role, InvalidAt> {
        let level = RoleLevel::try_from(level)?;
        if level.sees_everything() && !departments.is_empty() {
            return Err(InvalidAt::new(
                "departments",
                "not_for_level",
                "levels 1 and 2 see every department; leave departments empty",
            ));
        }
        if !level.sees_everything() && departments.is_empty() {
            return Err(InvalidAt::new(
                "departments",
                "required",
                "a tiered admin (level 3) manages at least one department",
            ));
        }
        if departments.len() > MAX_MANAGED {
            return Err(InvalidAt::new(
                "departments",
                "too_many",
                format!("at most {MAX_MANAGED} departments"),
            ));
        }
        let mut seen = HashSet::new();
        let mut ids = Vec::with_capacity(departments.len());
        for (i, &raw) in departments.iter().enumerate() {
            let id = DepartmentId::new(raw).map_err(|_| {
                InvalidAt::new(
                    format!("departments[{i}]"),
                    "invalid_department",
                    "must be a positive department id",
                )
            })?;
            if seen.insert(id) {
                ids.push(id);
            }
        }
        Ok(Role {
            userid,
            level,
            departments: ids,
        })
    }
}

/// What a member may do with a department: seed 002's `isAll`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "u8")]
pub enum Access {
    /// 0: manages it (it is in a managed subtree, or the member sees everything).
    Manage,
    /// 1: may view it (in the subtree of one of the member's own departments).
    View,
    /// 2: on the path to a department the member manages or views; shown for the way only.
    PathOnly,
}

impl From<Access> for u8 {
    fn from(a: Access) -> u8 {
        match a {
            Access::Manage => 0,
            Access::View => 1,
            Access::PathOnly => 2,
        }
    }
}

/// One member's scope over the directory, built from its role and its departments' paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminScope {
    everything: bool,
    managed: Vec<DepartmentPath>,
    viewed: Vec<DepartmentPath>,
    /// Strict ancestors of the managed and viewed departments.
    on_path: HashSet<DepartmentId>,
}

/// The departments a scope shows, for a query: every path in one of `subtrees` (each a
/// `[start, end)` range), and the departments in `ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visible {
    pub subtrees: Vec<(String, String)>,
    pub ids: Vec<DepartmentId>,
}

impl AdminScope {
    /// The scope of a member with `level` (none: no role) managing the departments at
    /// `managed` and belonging to those at `own` (paths of departments the directory has;
    /// managed ones of a level 1 or 2 are ignored).
    pub fn new(
        level: Option<RoleLevel>,
        managed: Vec<DepartmentPath>,
        own: Vec<DepartmentPath>,
    ) -> AdminScope {
        if level.is_some_and(RoleLevel::sees_everything) {
            return AdminScope::everything();
        }
        let managed = if level.is_some() { managed } else { Vec::new() };
        let mut on_path = HashSet::new();
        for path in managed.iter().chain(own.iter()) {
            let ids = path.ids();
            on_path.extend(ids.iter().take(ids.len().saturating_sub(1)).copied());
        }
        AdminScope {
            everything: false,
            managed,
            viewed: own,
            on_path,
        }
    }

    /// Levels 1 and 2: every department managed.
    pub fn everything() -> AdminScope {
        AdminScope {
            everything: true,
            managed: Vec::new(),
            viewed: Vec::new(),
            on_path: HashSet::new(),
        }
    }

    /// What the member may do with the department at `path`; `None`: hidden.
    pub fn access(&self, path: &DepartmentPath) -> Option<Access> {
        if self.everything {
            return Some(Access::Manage);
        }
        let within = |subtrees: &[DepartmentPath]| {
            subtrees
                .iter()
                .any(|s| path.as_str().starts_with(s.as_str()))
        };
        if within(&self.managed) {
            Some(Access::Manage)
        } else if within(&self.viewed) {
            Some(Access::View)
        } else {
            let id = path.ids().last().copied()?;
            self.on_path.contains(&id).then_some(Access::PathOnly)
        }
    }

    /// The departments shown, for filtering in the store; `None`: every one.
    pub fn visible(&self) -> Option<Visible> {
        if self.everything {
            return None;
        }
        let mut ids: Vec<DepartmentId> = self.on_path.iter().copied().collect();
        ids.sort();
        Some(Visible {
            subtrees: self
                .managed
                .iter()
                .chain(self.viewed.iter())
                .map(DepartmentPath::subtree_range)
                .collect(),
            ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> DepartmentPath {
        DepartmentPath::parse(s).expect("path")
    }

    fn user() -> CorpUserId {
        CorpUserId::parse("zhangsan").expect("userid")
    }

    #[test]
    fn roles_are_checked_for_their_level() {
        let role = Role::build(user(), 3, &[5, 9, 5]).expect("tiered");
        assert_eq!(role.level, RoleLevel::TieredAdmin);
        assert_eq!(role.departments.len(), 2, "repeats count once");
        assert_eq!(Role::build(user(), 3, &[]).unwrap_err().rule, "required");
        assert_eq!(
            Role::build(user(), 1, &[2]).unwrap_err().rule,
            "not_for_level"
        );
        assert_eq!(Role::build(user(), 4, &[]).unwrap_err().field, "level");
        assert_eq!(
            Role::build(user(), 3, &[2, 0]).unwrap_err().field,
            "departments[1]"
        );
        assert!(Role::build(user(), 2, &[]).is_ok());
    }

    #[test]
    fn a_tiered_admin_manages_its_subtrees_views_its_own_and_passes_through_their_ancestors() {
        let scope = AdminScope::new(
            Some(RoleLevel::TieredAdmin),
            vec![path("/1/2/5/")],
            vec![path("/1/3/"), path("/1/2/5/7/")],
        );
        assert_eq!(scope.access(&path("/1/2/5/")), Some(Access::Manage));
        assert_eq!(
            scope.access(&path("/1/2/5/7/8/")),
            Some(Access::Manage),
            "managed wins"
        );
        assert_eq!(scope.access(&path("/1/3/")), Some(Access::View));
        assert_eq!(scope.access(&path("/1/3/4/")), Some(Access::View));
        assert_eq!(scope.access(&path("/1/2/")), Some(Access::PathOnly));
        assert_eq!(scope.access(&path("/1/")), Some(Access::PathOnly));
        assert_eq!(
            scope.access(&path("/1/2/6/")),
            None,
            "a sibling on the way stays hidden"
        );
        assert_eq!(
            scope.access(&path("/1/25/")),
            None,
            "a path prefix is not a subtree"
        );
        let visible = scope.visible().expect("filtered");
        assert_eq!(visible.subtrees.len(), 3);
        let on_path: Vec<u64> = visible.ids.iter().map(|d| d.get()).collect();
        assert_eq!(
            on_path,
            [1, 2, 5],
            "every strict ancestor (5 is managed as well)"
        );
    }

    #[test]
    fn super_admins_manage_everything_and_members_without_a_role_only_view() {
        let all = AdminScope::new(Some(RoleLevel::SuperAdmin), vec![], vec![]);
        assert_eq!(all.access(&path("/1/9/")), Some(Access::Manage));
        assert_eq!(all.visible(), None);
        let member = AdminScope::new(None, vec![path("/1/2/")], vec![path("/1/3/")]);
        assert_eq!(
            member.access(&path("/1/2/")),
            None,
            "no role, nothing managed"
        );
        assert_eq!(member.access(&path("/1/3/")), Some(Access::View));
        assert_eq!(serde_json::to_string(&Access::PathOnly).unwrap(), "2");
    }
}
