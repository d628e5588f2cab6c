//! WeCom's data: every corp, each with its contacts secret, its apps (agents) with their callback config,
//! and its directory (departments, members, tags).
//!
//! Invariants: department 1 (the corp itself) always exists and is the root; every member
//! belongs to at least one existing department; a tag's members and parties refer to
//! existing members and departments (deletions remove them from tags).
//!
//! The members and the departments each sit in a small collection type ([`Members`],
//! [`Departments`]) whose only mutators keep an index beside the map: department → its
//! members, department → its child departments. Nothing else can change a member's
//! departments or a department's parent, so the indexes can't drift, and a department's
//! members or subtree cost what the answer costs, not a scan of a 100,000-member corp.
//! Both serialise as the plain maps (the state file is unchanged) and rebuild their index
//! when loaded.

use crate::common::InboxItem;
use crate::ids::CorpId;
use crate::tokens::Ticket;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// WeCom corps, apps and directories.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct WorkState {
    #[serde(default)]
    pub corps: BTreeMap<CorpId, Corp>,
}

/// The root department's id: WeCom numbers the corp itself 1.
pub const ROOT_DEPARTMENT: u64 = 1;

#[derive(Clone, Serialize, Deserialize)]
pub struct Corp {
    pub corpid: CorpId,
    pub name: String,
    /// The directory-sync ("通讯录同步") secret; its token reads and changes the directory.
    pub contacts_secret: String,
    /// The directory-sync event server ("设置接收事件服务器", seed 002 §4.1), if set: it
    /// gets every change_contact too, without an AgentID.
    #[serde(default)]
    pub contacts_callback: Option<ContactsCallback>,
    pub contacts_token_chain: Vec<String>,
    /// The contacts secret's trusted IPs (企业可信IP); `None`: calls from anywhere.
    #[serde(default)]
    pub contacts_trusted_ips: Option<Vec<IpAddr>>,
    /// How many access tokens `cgi-bin/gettoken` minted for this corp (all secrets).
    pub token_fetches: u64,
    /// How many successful `cgi-bin/gettoken` calls the corp had (WeCom answers the same
    /// token while it is valid, so calls and mints differ).
    #[serde(default)]
    pub token_requests: u64,
    /// The corp's jsapi_ticket (`cgi-bin/get_jsapi_ticket`).
    pub jsapi_ticket: Option<Ticket>,
    pub apps: BTreeMap<u32, App>,
    pub departments: Departments,
    pub members: Members,
    pub tags: BTreeMap<u64, WorkTag>,
    pub next_department_id: u64,
    pub next_tag_id: u64,
    /// Every callback delivery report, newest last (bounded).
    pub deliveries: Vec<Value>,
    pub created_at: i64,
}

/// Where directory changes go besides the apps: URL, Token and EncodingAESKey.
#[derive(Clone, Serialize, Deserialize)]
pub struct ContactsCallback {
    pub url: String,
    pub token: String,
    pub encoding_aes_key: String,
}

/// A self-built app (应用) of the corp, identified by its AgentID.
#[derive(Clone, Serialize, Deserialize)]
pub struct App {
    pub agentid: u32,
    pub name: String,
    pub secret: String,
    /// The callback Token (signature key).
    pub token: String,
    pub encoding_aes_key: String,
    pub callback_url: Option<String>,
    pub token_chain: Vec<String>,
    /// The app's `ticket/get?type=agent_config` ticket.
    pub agent_ticket: Option<Ticket>,
    /// The app's custom menu (`menu/create?agentid=`), as posted.
    pub menu: Option<Value>,
    /// Created on or after 2022-06-20: WeCom then leaves the sensitive member fields
    /// ([`SENSITIVE_MEMBER_FIELDS`]) out of `user/get` and `user/list` for this app. Older
    /// apps (and state files from before this field) keep the legacy answer.
    #[serde(default)]
    pub created_after_2022_06_20: bool,
    /// The app's trusted IPs (企业可信IP); `None`: calls from anywhere (legacy apps).
    #[serde(default)]
    pub trusted_ips: Option<Vec<IpAddr>>,
}

/// What WeCom stopped answering to self-built apps created after 2022-06-20 (user/get,
/// user/list): the fields its 2022-06-20 notice lists (avatar, gender, mobile, email,
/// biz_mail, qr_code, address) plus thumb_avatar (the avatar's thumbnail) and telephone.
pub const SENSITIVE_MEMBER_FIELDS: &[&str] = &[
    "mobile",
    "gender",
    "email",
    "biz_mail",
    "avatar",
    "thumb_avatar",
    "qr_code",
    "address",
    "telephone",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Department {
    pub id: u64,
    pub name: String,
    pub name_en: String,
    /// 0 for the root.
    pub parentid: u64,
    pub order: u64,
    pub department_leader: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub userid: String,
    pub name: String,
    pub department: Vec<u64>,
    pub order: Vec<u64>,
    pub position: String,
    pub mobile: String,
    /// WeCom answers gender as a string: "0" unset, "1" male, "2" female.
    pub gender: String,
    pub email: String,
    pub is_leader_in_dept: Vec<u8>,
    pub main_department: u64,
    /// 1 active, 2 disabled, 4 not yet activated, 5 quit.
    pub status: u8,
    pub alias: String,
    pub telephone: String,
    pub avatar: String,
    /// The member's address (地址), at most 128 characters.
    #[serde(default)]
    pub address: String,
    /// The member's corporate mailbox (企业邮箱).
    #[serde(default)]
    pub biz_mail: String,
    /// What the member received: app messages, passive replies of apps.
    pub inbox: Vec<InboxItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkTag {
    pub tagid: u64,
    pub tagname: String,
    pub users: BTreeSet<String>,
    pub parties: BTreeSet<u64>,
}

// Debug never shows a secret, a callback key or a token.
impl std::fmt::Debug for Corp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Corp")
            .field("corpid", &self.corpid)
            .field("apps", &self.apps)
            .field("departments", &self.departments.len())
            .field("members", &self.members.len())
            .field("tags", &self.tags.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("agentid", &self.agentid)
            .field("name", &self.name)
            .field("callback_url", &self.callback_url)
            .field("created_after_2022_06_20", &self.created_after_2022_06_20)
            .field("trusted_ips", &self.trusted_ips)
            .finish_non_exhaustive()
    }
}

impl Corp {
    pub fn new(corpid: CorpId, contacts_secret: String, name: String, now: i64) -> Self {
        let mut departments = Departments::default();
        departments.insert(Department {
            id: ROOT_DEPARTMENT,
            name: name.clone(),
            name_en: String::new(),
            parentid: 0,
            order: 100_000_000,
            department_leader: Vec::new(),
        });
        Self {
            corpid,
            name,
            contacts_secret,
            contacts_callback: None,
            contacts_token_chain: Vec::new(),
            contacts_trusted_ips: None,
            token_fetches: 0,
            token_requests: 0,
            jsapi_ticket: None,
            apps: BTreeMap::new(),
            departments,
            members: Members::default(),
            tags: BTreeMap::new(),
            next_department_id: 2,
            next_tag_id: 1,
            deliveries: Vec::new(),
            created_at: now,
        }
    }

    /// `id` and every department below it, `id` first, then breadth-first (children by
    /// id). Costs the size of the subtree (the children index).
    pub fn subtree(&self, id: u64) -> Vec<u64> {
        let mut out = vec![id];
        let mut i = 0;
        // The bound guards against a cycle in a hand-edited state file.
        while i < out.len() && out.len() <= self.departments.len() {
            out.extend(self.departments.children(out[i]));
            i += 1;
        }
        out
    }

    /// Members directly in `department`, or anywhere below it with `fetch_child`, by
    /// userid. Costs the members reached (the department index), not the corp's size.
    pub fn members_in(&self, department: u64, fetch_child: bool) -> Vec<&Member> {
        if !fetch_child {
            return self.members.in_department(department).collect();
        }
        let mut ids: BTreeSet<&str> = BTreeSet::new();
        for d in self.subtree(department) {
            ids.extend(self.members.userids_in(d));
        }
        ids.into_iter()
            .filter_map(|u| self.members.get(u))
            .collect()
    }

    /// Whether a token of `agentid` (`None`: the contacts secret) sees the sensitive member
    /// fields: the contacts secret and apps created before 2022-06-20 do.
    pub fn sees_sensitive_fields(&self, agentid: Option<u32>) -> bool {
        match agentid {
            None => true,
            Some(a) => self
                .apps
                .get(&a)
                .is_none_or(|app| !app.created_after_2022_06_20),
        }
    }

    /// The trusted IPs of the secret behind `agentid` (`None`: the contacts secret), if a
    /// list is set.
    pub fn trusted_ips(&self, agentid: Option<u32>) -> Option<&[IpAddr]> {
        match agentid {
            None => self.contacts_trusted_ips.as_deref(),
            Some(a) => self.apps.get(&a)?.trusted_ips.as_deref(),
        }
    }

    /// The userids a tag reaches: its members plus everyone in (and below) its parties.
    pub fn tag_reach(&self, tag: &WorkTag) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = tag.users.clone();
        for p in &tag.parties {
            out.extend(
                self.members_in(*p, true)
                    .into_iter()
                    .map(|m| m.userid.clone()),
            );
        }
        out
    }

    /// Records a callback delivery report, keeping the last 1,000.
    pub fn record_delivery(&mut self, report: Value) {
        self.deliveries.push(report);
        if self.deliveries.len() > 1000 {
            let excess = self.deliveries.len() - 1000;
            self.deliveries.drain(..excess);
        }
    }

    /// Removes a member everywhere (tags, department leaders).
    pub fn remove_member(&mut self, userid: &str) -> Option<Member> {
        let m = self.members.remove(userid)?;
        for t in self.tags.values_mut() {
            t.users.remove(userid);
        }
        for d in &m.department {
            self.departments
                .update(*d, |d| d.department_leader.retain(|u| u != userid));
        }
        Some(m)
    }
}

impl Member {
    /// A member with the given departments and every other field empty (status active).
    pub fn new(userid: String, name: String, department: Vec<u64>) -> Self {
        let department = if department.is_empty() {
            vec![ROOT_DEPARTMENT]
        } else {
            department
        };
        Self {
            userid,
            name,
            order: vec![0; department.len()],
            is_leader_in_dept: vec![0; department.len()],
            main_department: department[0],
            department,
            position: String::new(),
            mobile: String::new(),
            gender: "0".to_owned(),
            email: String::new(),
            status: 1,
            alias: String::new(),
            telephone: String::new(),
            avatar: String::new(),
            address: String::new(),
            biz_mail: String::new(),
            inbox: Vec::new(),
        }
    }

    /// A member as `user/get` and `user/list` answer it; without `sensitive` (an app
    /// created after 2022-06-20) the [`SENSITIVE_MEMBER_FIELDS`] are absent.
    pub fn to_json_for(&self, sensitive: bool) -> Value {
        let mut v = serde_json::json!({
            "userid": self.userid,
            "name": self.name,
            "department": self.department,
            "order": self.order,
            "position": self.position,
            "mobile": self.mobile,
            "gender": self.gender,
            "email": self.email,
            "biz_mail": self.biz_mail,
            "is_leader_in_dept": self.is_leader_in_dept,
            "direct_leader": [],
            "avatar": self.avatar,
            "thumb_avatar": self.avatar,
            "telephone": self.telephone,
            "alias": self.alias,
            "address": self.address,
            "status": self.status,
            "main_department": self.main_department,
            "qr_code": format!("https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=vc{}", &open_userid(&self.userid)[2..18]),
            "open_userid": open_userid(&self.userid),
        });
        if !sensitive {
            if let Some(o) = v.as_object_mut() {
                for f in SENSITIVE_MEMBER_FIELDS {
                    o.remove(*f);
                }
            }
        }
        v
    }

    /// Every field (the contacts secret's view, and the driver's).
    pub fn to_json(&self) -> Value {
        self.to_json_for(true)
    }

    /// A member as `user/simplelist` and `tag/get` answer it.
    pub fn to_simple_json(&self) -> Value {
        serde_json::json!({
            "userid": self.userid,
            "name": self.name,
            "department": self.department,
            "open_userid": open_userid(&self.userid),
        })
    }
}

/// A stable, opaque open_userid for a member (WeCom: unique per service provider).
fn open_userid(userid: &str) -> String {
    use md5::{Digest, Md5};
    format!("wo{}", hex::encode(&Md5::digest(userid.as_bytes())[..12]))
}

impl Department {
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "name": self.name,
            "name_en": self.name_en,
            "department_leader": self.department_leader,
            "parentid": self.parentid,
            "order": self.order,
        })
    }
}

/// A corp's members by userid, with the index department → userids. The map is private:
/// every change goes through [`Members::insert`], [`Members::remove`] or
/// [`Members::update`], each of which keeps the index in step, so the index always equals
/// what a scan of every member would give.
#[derive(Clone, Default)]
pub struct Members {
    by_id: BTreeMap<String, Member>,
    by_department: HashMap<u64, BTreeSet<String>>,
}

impl Members {
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn get(&self, userid: &str) -> Option<&Member> {
        self.by_id.get(userid)
    }

    pub fn contains_key(&self, userid: &str) -> bool {
        self.by_id.contains_key(userid)
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.by_id.keys()
    }

    pub fn values(&self) -> impl Iterator<Item = &Member> {
        self.by_id.values()
    }

    /// Members from `after` (exclusive) on, by userid: the paging of `user/list_id`.
    pub fn after<'a>(&'a self, after: Option<&str>) -> impl Iterator<Item = &'a Member> + 'a {
        use std::ops::Bound;
        let lower = match after {
            Some(a) => Bound::Excluded(a.to_owned()),
            None => Bound::Unbounded,
        };
        self.by_id
            .range::<String, _>((lower, Bound::Unbounded))
            .map(|(_, m)| m)
    }

    /// The userids directly in `department`, by userid.
    pub fn userids_in(&self, department: u64) -> impl Iterator<Item = &str> {
        self.by_department
            .get(&department)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// The members directly in `department`, by userid.
    pub fn in_department(&self, department: u64) -> impl Iterator<Item = &Member> {
        self.userids_in(department)
            .filter_map(|u| self.by_id.get(u))
    }

    /// How many members are directly in `department`.
    pub fn count_in(&self, department: u64) -> usize {
        self.by_department.get(&department).map_or(0, BTreeSet::len)
    }

    /// Adds (or replaces, by userid) a member.
    pub fn insert(&mut self, m: Member) -> Option<Member> {
        let old = self.remove(&m.userid);
        for d in &m.department {
            self.by_department
                .entry(*d)
                .or_default()
                .insert(m.userid.clone());
        }
        self.by_id.insert(m.userid.clone(), m);
        old
    }

    /// Removes a member (only from here: see `Corp::remove_member` for tags and leaders).
    pub fn remove(&mut self, userid: &str) -> Option<Member> {
        let m = self.by_id.remove(userid)?;
        for d in &m.department {
            if let Some(set) = self.by_department.get_mut(d) {
                set.remove(userid);
                if set.is_empty() {
                    self.by_department.remove(d);
                }
            }
        }
        Some(m)
    }

    /// Changes a member with `f` and re-indexes it (its departments and even its userid
    /// may change; a new userid replaces any member already holding it, so check first).
    pub fn update<R>(&mut self, userid: &str, f: impl FnOnce(&mut Member) -> R) -> Option<R> {
        let mut m = self.remove(userid)?;
        let r = f(&mut m);
        self.insert(m);
        Some(r)
    }

    /// A member's inbox, the one part changeable in place (it touches no index).
    pub fn inbox_mut(&mut self, userid: &str) -> Option<&mut Vec<InboxItem>> {
        self.by_id.get_mut(userid).map(|m| &mut m.inbox)
    }
}

impl FromIterator<Member> for Members {
    fn from_iter<I: IntoIterator<Item = Member>>(iter: I) -> Self {
        let mut out = Members::default();
        for m in iter {
            out.insert(m);
        }
        out
    }
}

impl Serialize for Members {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.by_id.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, Member>::deserialize(d)?;
        Ok(map.into_values().collect())
    }
}

/// A corp's departments by id, with the index parent → children, kept in step the same
/// way as [`Members`]: only [`Departments::insert`], [`Departments::remove`] and
/// [`Departments::update`] change it.
#[derive(Clone, Default)]
pub struct Departments {
    by_id: BTreeMap<u64, Department>,
    children: HashMap<u64, BTreeSet<u64>>,
}

impl Departments {
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn get(&self, id: &u64) -> Option<&Department> {
        self.by_id.get(id)
    }

    pub fn contains_key(&self, id: &u64) -> bool {
        self.by_id.contains_key(id)
    }

    pub fn keys(&self) -> impl Iterator<Item = &u64> {
        self.by_id.keys()
    }

    pub fn values(&self) -> impl Iterator<Item = &Department> {
        self.by_id.values()
    }

    /// The direct children of `id`, by id.
    pub fn children(&self, id: u64) -> impl Iterator<Item = u64> + '_ {
        self.children.get(&id).into_iter().flatten().copied()
    }

    /// Adds (or replaces, by id) a department.
    pub fn insert(&mut self, d: Department) -> Option<Department> {
        let old = self.remove(&d.id);
        if d.id != d.parentid {
            self.children.entry(d.parentid).or_default().insert(d.id);
        }
        self.by_id.insert(d.id, d);
        old
    }

    pub fn remove(&mut self, id: &u64) -> Option<Department> {
        let d = self.by_id.remove(id)?;
        if let Some(set) = self.children.get_mut(&d.parentid) {
            set.remove(id);
            if set.is_empty() {
                self.children.remove(&d.parentid);
            }
        }
        Some(d)
    }

    /// Changes a department with `f` and re-indexes it (its parent may change; its id
    /// must not).
    pub fn update<R>(&mut self, id: u64, f: impl FnOnce(&mut Department) -> R) -> Option<R> {
        let mut d = self.remove(&id)?;
        let r = f(&mut d);
        d.id = id;
        self.insert(d);
        Some(r)
    }
}

impl Serialize for Departments {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.by_id.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Departments {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<u64, Department>::deserialize(d)?;
        let mut out = Departments::default();
        for d in map.into_values() {
            out.insert(d);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corp() -> Corp {
        let mut c = Corp::new(CorpId::from("ww1"), "cs".into(), "Corp".into(), 0);
        for (id, parent) in [(2, 1), (3, 2), (4, 1)] {
            c.departments.insert(Department {
                id,
                name: format!("d{id}"),
                name_en: String::new(),
                parentid: parent,
                order: 0,
                department_leader: Vec::new(),
            });
        }
        for (u, d) in [("a", 2), ("b", 3), ("c", 4)] {
            c.members.insert(Member::new(u.into(), u.into(), vec![d]));
        }
        c
    }

    #[test]
    fn debug_hides_secrets() {
        let mut c = corp();
        c.apps.insert(
            1,
            App {
                agentid: 1,
                name: "a".into(),
                secret: "app-secret-value".into(),
                token: "cb-token-value".into(),
                encoding_aes_key: "aes-key-value".into(),
                callback_url: None,
                token_chain: vec!["access-token-value".into()],
                agent_ticket: None,
                menu: None,
                created_after_2022_06_20: false,
                trusted_ips: None,
            },
        );
        c.contacts_secret = "contacts-secret-value".into();
        let d = format!("{c:?}");
        for s in ["secret-value", "cb-token", "aes-key", "access-token"] {
            assert!(!d.contains(s), "{d}");
        }
    }

    #[test]
    fn subtree_lists_descendants_root_first() {
        let c = corp();
        assert_eq!(c.subtree(2), vec![2, 3]);
        assert_eq!(c.subtree(1), vec![1, 2, 4, 3]);
    }

    #[test]
    fn fetch_child_reaches_nested_members() {
        let c = corp();
        let names = |v: Vec<&Member>| v.iter().map(|m| m.userid.clone()).collect::<Vec<_>>();
        assert_eq!(names(c.members_in(2, false)), vec!["a"]);
        assert_eq!(names(c.members_in(2, true)), vec!["a", "b"]);
        assert!(c.members_in(1, false).is_empty());
    }

    #[test]
    fn tag_reach_includes_party_members_and_removal_cleans_tags() {
        let mut c = corp();
        c.tags.insert(
            1,
            WorkTag {
                tagid: 1,
                tagname: "t".into(),
                users: BTreeSet::from(["c".to_owned()]),
                parties: BTreeSet::from([2]),
            },
        );
        let reach: Vec<String> = c.tag_reach(&c.tags[&1]).into_iter().collect();
        assert_eq!(reach, vec!["a", "b", "c"]);
        c.remove_member("c");
        assert!(c.tags[&1].users.is_empty());
    }
}
