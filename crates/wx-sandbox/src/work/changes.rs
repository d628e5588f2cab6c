//! Directory changes as pure operations on a [`Corp`]: create, update and delete a member
//! or a department. One piece serves both doors into the directory: WeCom's write APIs
//! (`user/create`, `department/update`, … in [`crate::work::contacts`]) and the driver's
//! `/sandbox/work/corps/{corpid}/members|departments` routes. Each operation checks what
//! WeCom checks, applies the change through the indexed collections, and returns the
//! changed object plus the `change_contact` event to push (the caller pushes it after the
//! lock is released, [`crate::work::callback::announce`]).
//!
//! A refusal carries WeCom's errcode (for the API) and a kind and sentence (for the
//! driver's 400/404/409).

use crate::work::errors::*;
use crate::work::model::{Corp, Department, Member, ROOT_DEPARTMENT};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use wx_protocol::inbound::{ContactChange, ContactUser, Party};

/// WeCom allows 15 levels of departments below the root.
pub const MAX_DEPTH: usize = 15;
/// A member belongs to at most 100 departments.
const MAX_MEMBER_DEPARTMENTS: usize = 100;

/// How the driver answers a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Invalid(String),
    NotFound(&'static str),
    Conflict(String),
}

/// A refused change: WeCom's errcode and the driver's view of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeError {
    pub errcode: i32,
    pub refusal: Refusal,
}

impl ChangeError {
    fn invalid(errcode: i32, msg: impl Into<String>) -> Self {
        Self {
            errcode,
            refusal: Refusal::Invalid(msg.into()),
        }
    }

    fn not_found(errcode: i32, what: &'static str) -> Self {
        Self {
            errcode,
            refusal: Refusal::NotFound(what),
        }
    }

    fn conflict(errcode: i32, msg: impl Into<String>) -> Self {
        Self {
            errcode,
            refusal: Refusal::Conflict(msg.into()),
        }
    }
}

type Changed<T> = Result<(T, ContactChange), ChangeError>;

/// A member's fields as `user/create` and `user/update` take them (WeCom's JSON names);
/// absent fields are left as they are (update) or empty (create). The driver fills the
/// same struct.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MemberFields {
    #[serde(default)]
    pub userid: Option<String>,
    /// `user/update` only: the member's new userid.
    #[serde(default)]
    pub new_userid: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub department: Option<Vec<u64>>,
    #[serde(default)]
    pub order: Option<Vec<u64>>,
    #[serde(default)]
    pub position: Option<String>,
    /// "1" male, "2" female ("0" unset); WeCom takes the string, numbers are accepted.
    #[serde(default, deserialize_with = "string_or_number")]
    pub gender: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub biz_mail: Option<String>,
    #[serde(default)]
    pub telephone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub is_leader_in_dept: Option<Vec<u8>>,
    #[serde(default)]
    pub main_department: Option<u64>,
    /// WeCom's `enable`: 1 active, 0 disabled.
    #[serde(default)]
    pub enable: Option<u8>,
    /// The driver's status (1 active, 2 disabled, 4 not activated, 5 quit).
    #[serde(skip)]
    pub status: Option<u8>,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// WeCom userids: 1–64 bytes of letters, digits and `_-@.`, starting with a letter or digit.
pub fn valid_userid(u: &str) -> bool {
    !u.is_empty()
        && u.len() <= 64
        && u.starts_with(|c: char| c.is_ascii_alphanumeric())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-@.".contains(c))
}

fn check_name(name: &str) -> Result<(), ChangeError> {
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ChangeError::invalid(
            INVALID_USERNAME,
            "name must be 1–64 characters",
        ));
    }
    Ok(())
}

fn check_gender(g: &str) -> Result<(), ChangeError> {
    if matches!(g, "0" | "1" | "2") {
        Ok(())
    } else {
        Err(ChangeError::invalid(
            INVALID_ARGS,
            "gender must be \"0\", \"1\" or \"2\"",
        ))
    }
}

fn check_departments(corp: &Corp, ids: &[u64]) -> Result<(), ChangeError> {
    if ids.is_empty() {
        return Err(ChangeError::invalid(
            INVALID_DEPARTMENT_LIST,
            "department must not be empty",
        ));
    }
    if ids.len() > MAX_MEMBER_DEPARTMENTS {
        return Err(ChangeError::invalid(
            TOO_MANY_DEPARTMENTS,
            "a member belongs to at most 100 departments",
        ));
    }
    if ids.iter().all(|d| corp.departments.contains_key(d)) {
        Ok(())
    } else {
        Err(ChangeError::not_found(DEPARTMENT_NOT_FOUND, "department"))
    }
}

/// Mobile: digits, `+` and `-`, at most 32; unique in the corp (apart from `except`).
fn check_mobile(corp: &Corp, mobile: &str, except: Option<&str>) -> Result<(), ChangeError> {
    if mobile.is_empty() {
        return Ok(());
    }
    if mobile.len() > 32
        || !mobile
            .chars()
            .all(|c| c.is_ascii_digit() || c == '+' || c == '-')
    {
        return Err(ChangeError::invalid(INVALID_MOBILE, "invalid mobile"));
    }
    // A scan, but only on a write that sets a mobile (reads stay indexed).
    if corp
        .members
        .values()
        .any(|m| m.mobile == mobile && Some(m.userid.as_str()) != except)
    {
        return Err(ChangeError::conflict(MOBILE_EXISTS, "mobile existed"));
    }
    Ok(())
}

/// Email: one `@` with text both sides, at most 64; unique in the corp (apart from `except`).
fn check_email(corp: &Corp, email: &str, except: Option<&str>) -> Result<(), ChangeError> {
    if email.is_empty() {
        return Ok(());
    }
    let ok = email.len() <= 64
        && matches!(email.split_once('@'), Some((a, b)) if !a.is_empty() && b.contains('.') && !b.contains('@'));
    if !ok {
        return Err(ChangeError::invalid(INVALID_EMAIL, "invalid email"));
    }
    if corp
        .members
        .values()
        .any(|m| m.email == email && Some(m.userid.as_str()) != except)
    {
        return Err(ChangeError::conflict(EMAIL_EXISTS, "email existed"));
    }
    Ok(())
}

fn check_address(a: &str) -> Result<(), ChangeError> {
    if a.chars().count() > 128 {
        return Err(ChangeError::invalid(
            INVALID_ARGS,
            "address is at most 128 characters",
        ));
    }
    Ok(())
}

/// The flags and orders of a member's department list: the given ones when they match
/// its length, else zeros.
fn per_department<T: Clone + Default>(given: Option<Vec<T>>, len: usize) -> Vec<T> {
    match given {
        Some(v) if v.len() == len => v,
        _ => vec![T::default(); len],
    }
}

/// create_user carries the member's whole profile.
pub fn full_contact(m: &Member) -> ContactUser {
    ContactUser {
        user_id: m.userid.clone(),
        name: Some(m.name.clone()),
        department: Some(m.department.clone()),
        main_department: Some(m.main_department),
        is_leader_in_dept: Some(m.is_leader_in_dept.clone()),
        position: Some(m.position.clone()),
        mobile: Some(m.mobile.clone()),
        gender: m.gender.parse().ok(),
        email: Some(m.email.clone()),
        biz_mail: Some(m.biz_mail.clone()).filter(|b| !b.is_empty()),
        status: Some(m.status),
        avatar: Some(m.avatar.clone()),
        alias: Some(m.alias.clone()),
        telephone: Some(m.telephone.clone()),
        address: Some(m.address.clone()),
        ..ContactUser::default()
    }
}

/// Adds a member (`userid` required; departments default to the root).
pub fn create_member(corp: &mut Corp, f: MemberFields) -> Changed<Member> {
    let userid = f
        .userid
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ChangeError::invalid(USERID_MISSING, "userid is required"))?;
    if !valid_userid(&userid) {
        return Err(ChangeError::invalid(
            INVALID_USERID,
            "userid must be 1–64 letters, digits or _-@., starting with a letter or digit",
        ));
    }
    let name = f.name.unwrap_or_default();
    check_name(&name)?;
    if corp.members.contains_key(&userid) {
        return Err(ChangeError::conflict(
            USERID_EXISTS,
            format!("member {userid} exists"),
        ));
    }
    let department = f
        .department
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| vec![ROOT_DEPARTMENT]);
    check_departments(corp, &department)?;
    if let Some(g) = &f.gender {
        check_gender(g)?;
    }
    let mobile = f.mobile.unwrap_or_default();
    check_mobile(corp, &mobile, None)?;
    let email = f.email.unwrap_or_default();
    check_email(corp, &email, None)?;
    let address = f.address.unwrap_or_default();
    check_address(&address)?;
    let mut m = Member::new(userid, name, department);
    m.order = per_department(f.order, m.department.len());
    m.is_leader_in_dept = per_department(f.is_leader_in_dept, m.department.len());
    if let Some(main) = f.main_department.filter(|d| m.department.contains(d)) {
        m.main_department = main;
    }
    m.position = f.position.unwrap_or_default();
    m.mobile = mobile;
    m.gender = f.gender.unwrap_or_else(|| "0".to_owned());
    m.email = email;
    m.biz_mail = f.biz_mail.unwrap_or_default();
    m.alias = f.alias.unwrap_or_default();
    m.telephone = f.telephone.unwrap_or_default();
    m.address = address;
    m.status = match (f.status, f.enable) {
        (Some(s), _) => s,
        (None, Some(0)) => 2,
        _ => 1,
    };
    corp.members.insert(m.clone());
    let change = ContactChange::CreateUser(full_contact(&m));
    Ok((m, change))
}

/// Changes what `f` gives of member `userid`; update_user carries the userid plus only
/// what changed.
pub fn update_member(corp: &mut Corp, userid: &str, f: MemberFields) -> Changed<Member> {
    let Some(old) = corp.members.get(userid) else {
        return Err(ChangeError::not_found(USERID_NOT_FOUND, "member"));
    };
    if let Some(d) = &f.department {
        check_departments(corp, d)?;
    }
    if let Some(n) = &f.name {
        check_name(n)?;
    }
    if let Some(g) = &f.gender {
        check_gender(g)?;
    }
    if let Some(n) = f.new_userid.as_deref().filter(|n| *n != userid) {
        if !valid_userid(n) {
            return Err(ChangeError::invalid(INVALID_USERID, "invalid new_userid"));
        }
        if corp.members.contains_key(n) {
            return Err(ChangeError::conflict(
                USERID_EXISTS,
                format!("member {n} exists"),
            ));
        }
    }
    if let Some(v) = f.mobile.as_deref().filter(|v| *v != old.mobile) {
        check_mobile(corp, v, Some(userid))?;
    }
    if let Some(v) = f.email.as_deref().filter(|v| *v != old.email) {
        check_email(corp, v, Some(userid))?;
    }
    if let Some(a) = &f.address {
        check_address(a)?;
    }
    let mut c = ContactUser {
        user_id: userid.to_owned(),
        ..ContactUser::default()
    };
    let new_userid = f.new_userid.clone().filter(|n| n != userid);
    let m = corp
        .members
        .update(userid, |m| {
            if let Some(n) = new_userid.clone() {
                m.userid = n.clone();
                c.new_user_id = Some(n);
            }
            macro_rules! text {
                ($field:ident) => {
                    if let Some(v) = f.$field.filter(|v| *v != m.$field) {
                        m.$field = v.clone();
                        c.$field = Some(v);
                    }
                };
            }
            text!(name);
            text!(position);
            text!(mobile);
            text!(email);
            text!(biz_mail);
            text!(alias);
            text!(telephone);
            text!(address);
            if let Some(v) = f.gender.filter(|v| *v != m.gender) {
                c.gender = v.parse().ok();
                m.gender = v;
            }
            let departments_changed = f.department.as_ref().is_some_and(|d| *d != m.department);
            if let Some(v) = f.department.filter(|_| departments_changed) {
                m.department = v.clone();
                c.department = Some(v);
            }
            let len = m.department.len();
            if departments_changed || f.is_leader_in_dept.is_some() {
                let flags = per_department(f.is_leader_in_dept, len);
                if departments_changed || flags != m.is_leader_in_dept {
                    m.is_leader_in_dept = flags.clone();
                    c.is_leader_in_dept = Some(flags);
                }
            }
            if departments_changed || f.order.is_some() {
                m.order = per_department(f.order, len);
            }
            let main = f
                .main_department
                .filter(|d| m.department.contains(d))
                .or_else(|| (!m.department.contains(&m.main_department)).then(|| m.department[0]));
            if let Some(main) = main.filter(|d| *d != m.main_department) {
                m.main_department = main;
                c.main_department = Some(main);
            }
            let status = f.status.or(match f.enable {
                Some(0) => Some(2),
                Some(_) => Some(1),
                None => None,
            });
            if let Some(s) = status.filter(|s| *s != m.status) {
                m.status = s;
                c.status = Some(s);
            }
            m.clone()
        })
        .ok_or_else(|| ChangeError::not_found(USERID_NOT_FOUND, "member"))?;
    if m.userid != userid {
        for t in corp.tags.values_mut() {
            if t.users.remove(userid) {
                t.users.insert(m.userid.clone());
            }
        }
    }
    Ok((m, ContactChange::UpdateUser(c)))
}

/// Removes member `userid` everywhere.
pub fn delete_member(corp: &mut Corp, userid: &str) -> Result<ContactChange, ChangeError> {
    corp.remove_member(userid)
        .ok_or_else(|| ChangeError::not_found(USERID_NOT_FOUND, "member"))?;
    Ok(ContactChange::DeleteUser {
        user_id: userid.to_owned(),
    })
}

/// A department's fields as `department/create` and `department/update` take them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DepartmentFields {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub name_en: Option<String>,
    #[serde(default)]
    pub parentid: Option<u64>,
    #[serde(default)]
    pub order: Option<u64>,
}

/// The party of create_party: every field.
pub fn party(d: &Department) -> Party {
    Party {
        id: d.id,
        name: Some(d.name.clone()),
        parent_id: Some(d.parentid),
        order: Some(d.order),
    }
}

fn check_department_name(name: &str) -> Result<(), ChangeError> {
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ChangeError::invalid(
            INVALID_PARTY_NAME,
            "name must be 1–64 characters",
        ));
    }
    if name.contains(|c| "\\:*?\"<>|".contains(c)) {
        return Err(ChangeError::invalid(
            PARTY_NAME_CHARS,
            "a department name can't contain \\:*?\"<>|",
        ));
    }
    Ok(())
}

/// A department's name is unique among its siblings.
fn check_sibling_name(
    corp: &Corp,
    parent: u64,
    name: &str,
    except: Option<u64>,
) -> Result<(), ChangeError> {
    let taken = corp
        .departments
        .children(parent)
        .filter(|id| Some(*id) != except)
        .filter_map(|id| corp.departments.get(&id))
        .any(|d| d.name == name);
    if taken {
        return Err(ChangeError::conflict(
            DEPARTMENT_EXISTS,
            format!("a department named {name} exists under {parent}"),
        ));
    }
    Ok(())
}

/// Levels from the root to `id` (the root is 0).
fn level_of(corp: &Corp, mut id: u64) -> usize {
    let mut level = 0;
    while id != ROOT_DEPARTMENT && level <= corp.departments.len() {
        match corp.departments.get(&id) {
            Some(d) => id = d.parentid,
            None => break,
        }
        level += 1;
    }
    level
}

/// The height of the subtree under `id` (a leaf is 0).
fn height_of(corp: &Corp, id: u64) -> usize {
    let mut height = 0;
    let mut level = vec![id];
    while height <= corp.departments.len() {
        let next: Vec<u64> = level
            .iter()
            .flat_map(|d| corp.departments.children(*d))
            .collect();
        if next.is_empty() {
            break;
        }
        height += 1;
        level = next;
    }
    height
}

/// Adds a department under `parentid` (`id` picked when absent); answers it.
pub fn create_department(corp: &mut Corp, f: DepartmentFields) -> Changed<Department> {
    let name = f.name.unwrap_or_default();
    check_department_name(&name)?;
    let parent = f.parentid.unwrap_or(ROOT_DEPARTMENT);
    if !corp.departments.contains_key(&parent) {
        return Err(ChangeError::not_found(
            PARENT_DEPARTMENT_NOT_FOUND,
            "parent department",
        ));
    }
    let id = match f.id {
        Some(0) => return Err(ChangeError::invalid(INVALID_ARGS, "id must be above 1")),
        Some(id) if corp.departments.contains_key(&id) => {
            return Err(ChangeError::conflict(
                DEPARTMENT_EXISTS,
                format!("department {id} exists"),
            ));
        }
        Some(id) => id,
        None => {
            while corp.departments.contains_key(&corp.next_department_id) {
                corp.next_department_id += 1;
            }
            corp.next_department_id
        }
    };
    check_sibling_name(corp, parent, &name, None)?;
    if level_of(corp, parent) + 1 > MAX_DEPTH {
        return Err(ChangeError::invalid(
            DEPARTMENT_TOO_DEEP,
            "departments nest at most 15 levels",
        ));
    }
    let d = Department {
        id,
        name,
        name_en: f.name_en.unwrap_or_default(),
        parentid: parent,
        order: f.order.unwrap_or(0),
        department_leader: Vec::new(),
    };
    corp.departments.insert(d.clone());
    let change = ContactChange::CreateParty(party(&d));
    Ok((d, change))
}

/// Changes what `f` gives of department `id`; update_party carries the id plus only what
/// changed.
pub fn update_department(corp: &mut Corp, id: u64, f: DepartmentFields) -> Changed<Department> {
    let Some(old) = corp.departments.get(&id).cloned() else {
        return Err(ChangeError::not_found(DEPARTMENT_NOT_FOUND, "department"));
    };
    if let Some(p) = f.parentid.filter(|p| *p != old.parentid) {
        if !corp.departments.contains_key(&p) {
            return Err(ChangeError::not_found(
                PARENT_DEPARTMENT_NOT_FOUND,
                "parent department",
            ));
        }
        if id == ROOT_DEPARTMENT || corp.subtree(id).contains(&p) {
            return Err(ChangeError::invalid(
                DEPARTMENT_CYCLE,
                "a department can't move under itself",
            ));
        }
        if level_of(corp, p) + 1 + height_of(corp, id) > MAX_DEPTH {
            return Err(ChangeError::invalid(
                DEPARTMENT_TOO_DEEP,
                "departments nest at most 15 levels",
            ));
        }
    }
    if let Some(n) = &f.name {
        check_department_name(n)?;
    }
    let parent = f.parentid.unwrap_or(old.parentid);
    let name = f.name.clone().unwrap_or_else(|| old.name.clone());
    if name != old.name || parent != old.parentid {
        check_sibling_name(corp, parent, &name, Some(id))?;
    }
    let mut change = Party {
        id,
        ..Party::default()
    };
    let d = corp
        .departments
        .update(id, |d| {
            if let Some(n) = f.name.filter(|n| *n != d.name) {
                d.name = n.clone();
                change.name = Some(n);
            }
            if let Some(n) = f.name_en {
                d.name_en = n;
            }
            if let Some(p) = f.parentid.filter(|p| *p != d.parentid) {
                d.parentid = p;
                change.parent_id = Some(p);
            }
            if let Some(o) = f.order.filter(|o| *o != d.order) {
                d.order = o;
                change.order = Some(o);
            }
            d.clone()
        })
        .ok_or_else(|| ChangeError::not_found(DEPARTMENT_NOT_FOUND, "department"))?;
    Ok((d, ContactChange::UpdateParty(change)))
}

/// Deletes an empty leaf department (WeCom refuses the root, a department with
/// sub-departments, and one with members).
pub fn delete_department(corp: &mut Corp, id: u64) -> Result<ContactChange, ChangeError> {
    if !corp.departments.contains_key(&id) {
        return Err(ChangeError::not_found(DEPARTMENT_NOT_FOUND, "department"));
    }
    if id == ROOT_DEPARTMENT {
        return Err(ChangeError::conflict(
            ROOT_UNDELETABLE,
            "the root department can't be deleted",
        ));
    }
    if corp.departments.children(id).next().is_some() {
        return Err(ChangeError::conflict(
            HAS_SUBDEPARTMENTS,
            "only an empty leaf department can be deleted: it has sub-departments",
        ));
    }
    if corp.members.count_in(id) > 0 {
        return Err(ChangeError::conflict(
            HAS_MEMBERS,
            "only an empty leaf department can be deleted: it has members",
        ));
    }
    corp.departments.remove(&id);
    for t in corp.tags.values_mut() {
        t.parties.remove(&id);
    }
    Ok(ContactChange::DeleteParty { id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::CorpId;
    use std::collections::BTreeSet;

    fn corp() -> Corp {
        Corp::new(CorpId::from("ww1"), "s".into(), "c".into(), 0)
    }

    fn member(userid: &str, department: Vec<u64>) -> MemberFields {
        MemberFields {
            userid: Some(userid.into()),
            name: Some(format!("名{userid}")),
            department: Some(department),
            ..MemberFields::default()
        }
    }

    fn dept(id: u64, parent: u64) -> DepartmentFields {
        DepartmentFields {
            id: Some(id),
            name: Some(format!("d{id}")),
            parentid: Some(parent),
            ..DepartmentFields::default()
        }
    }

    /// The index against a scan of every member, for every department.
    fn assert_index_agrees(c: &Corp) {
        for d in c.departments.keys() {
            let scan: BTreeSet<&str> = c
                .members
                .values()
                .filter(|m| m.department.contains(d))
                .map(|m| m.userid.as_str())
                .collect();
            let indexed: BTreeSet<&str> = c.members.userids_in(*d).collect();
            assert_eq!(indexed, scan, "department {d}");
            let children: BTreeSet<u64> = c
                .departments
                .values()
                .filter(|x| x.parentid == *d && x.id != *d)
                .map(|x| x.id)
                .collect();
            assert_eq!(
                c.departments.children(*d).collect::<BTreeSet<_>>(),
                children
            );
        }
    }

    #[test]
    fn index_agrees_with_a_full_scan_after_a_mix_of_changes() {
        let mut c = corp();
        for (id, parent) in [(2, 1), (3, 2), (4, 1), (5, 4)] {
            create_department(&mut c, dept(id, parent)).expect("dept");
        }
        for (u, d) in [
            ("a", vec![2]),
            ("b", vec![3, 4]),
            ("c", vec![4]),
            ("d", vec![1]),
        ] {
            create_member(&mut c, member(u, d)).expect("member");
        }
        assert_index_agrees(&c);
        let f = MemberFields {
            department: Some(vec![5, 2]),
            ..MemberFields::default()
        };
        update_member(&mut c, "b", f).expect("move b");
        let f = MemberFields {
            new_userid: Some("a2".into()),
            department: Some(vec![3]),
            ..MemberFields::default()
        };
        update_member(&mut c, "a", f).expect("rename a");
        delete_member(&mut c, "c").expect("delete c");
        let f = DepartmentFields {
            parentid: Some(2),
            ..DepartmentFields::default()
        };
        update_department(&mut c, 4, f).expect("move 4 under 2");
        assert_eq!(
            delete_department(&mut c, 5).map_err(|e| e.errcode),
            Err(HAS_MEMBERS)
        );
        let f = MemberFields {
            department: Some(vec![1]),
            ..MemberFields::default()
        };
        update_member(&mut c, "b", f).expect("b to root");
        delete_department(&mut c, 5).expect("5 now empty");
        assert_index_agrees(&c);
        assert_eq!(c.subtree(2), vec![2, 3, 4]);
        let names = |v: Vec<&Member>| v.iter().map(|m| m.userid.clone()).collect::<Vec<_>>();
        assert_eq!(names(c.members_in(2, true)), vec!["a2"]);
        assert_eq!(names(c.members_in(1, false)), vec!["b", "d"]);
        // A state file round trip rebuilds both indexes.
        let json = serde_json::to_string(&c).expect("ser");
        let back: Corp = serde_json::from_str(&json).expect("de");
        assert_index_agrees(&back);
        assert_eq!(back.subtree(2), vec![2, 3, 4]);
    }

    #[test]
    fn member_checks_follow_wecom() {
        let mut c = corp();
        create_member(&mut c, member("a", vec![1])).expect("a");
        let code = |r: Changed<Member>| r.map(|_| ()).map_err(|e| e.errcode);
        assert_eq!(
            code(create_member(&mut c, member("a", vec![1]))),
            Err(USERID_EXISTS)
        );
        assert_eq!(
            code(create_member(&mut c, member("_x", vec![1]))),
            Err(INVALID_USERID)
        );
        assert_eq!(
            code(create_member(&mut c, member("b", vec![9]))),
            Err(DEPARTMENT_NOT_FOUND)
        );
        let mut f = member("b", vec![1]);
        f.mobile = Some("138".into());
        create_member(&mut c, f).expect("b");
        let mut f = member("c", vec![1]);
        f.mobile = Some("138".into());
        assert_eq!(code(create_member(&mut c, f)), Err(MOBILE_EXISTS));
        let mut f = member("c", vec![1]);
        f.email = Some("nope".into());
        assert_eq!(code(create_member(&mut c, f)), Err(INVALID_EMAIL));
        let f = MemberFields {
            name: Some(String::new()),
            ..MemberFields::default()
        };
        assert_eq!(code(update_member(&mut c, "a", f)), Err(INVALID_USERNAME));
        assert_eq!(
            code(update_member(&mut c, "zz", MemberFields::default())),
            Err(USERID_NOT_FOUND)
        );
    }

    #[test]
    fn department_checks_follow_wecom() {
        let mut c = corp();
        let code = |r: Changed<Department>| r.map(|_| ()).map_err(|e| e.errcode);
        create_department(&mut c, dept(2, 1)).expect("2");
        assert_eq!(
            code(create_department(&mut c, dept(2, 1))),
            Err(DEPARTMENT_EXISTS)
        );
        assert_eq!(
            code(create_department(&mut c, dept(3, 9))),
            Err(PARENT_DEPARTMENT_NOT_FOUND)
        );
        let mut same_name = dept(3, 1);
        same_name.name = Some("d2".into());
        assert_eq!(
            code(create_department(&mut c, same_name)),
            Err(DEPARTMENT_EXISTS)
        );
        let mut parent = 2;
        for id in 3..=16 {
            create_department(&mut c, dept(id, parent)).expect("nested");
            parent = id;
        }
        assert_eq!(
            code(create_department(&mut c, dept(17, 16))),
            Err(DEPARTMENT_TOO_DEEP)
        );
        let f = DepartmentFields {
            parentid: Some(16),
            ..DepartmentFields::default()
        };
        assert_eq!(code(update_department(&mut c, 2, f)), Err(DEPARTMENT_CYCLE));
        assert_eq!(
            delete_department(&mut c, 1).map_err(|e| e.errcode),
            Err(ROOT_UNDELETABLE)
        );
        assert_eq!(
            delete_department(&mut c, 2).map_err(|e| e.errcode),
            Err(HAS_SUBDEPARTMENTS)
        );
    }
}
