//! WeCom's data: every corp, each with its contacts secret, its apps (agents) with their callback config,
//! and its directory (departments, members, tags).
//!
//! Invariants: department 1 (the corp itself) always exists and is the root; every member
//! belongs to at least one existing department; a tag's members and parties refer to
//! existing members and departments (deletions remove them from tags).

use crate::common::InboxItem;
use crate::ids::CorpId;
use crate::tokens::Ticket;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    /// How many access tokens `cgi-bin/gettoken` minted for this corp (all secrets).
    pub token_fetches: u64,
    /// How many successful `cgi-bin/gettoken` calls the corp had (WeCom answers the same
    /// token while it is valid, so calls and mints differ).
    #[serde(default)]
    pub token_requests: u64,
    /// The corp's jsapi_ticket (`cgi-bin/get_jsapi_ticket`).
    pub jsapi_ticket: Option<Ticket>,
    pub apps: BTreeMap<u32, App>,
    pub departments: BTreeMap<u64, Department>,
    pub members: BTreeMap<String, Member>,
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
}

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
            .finish_non_exhaustive()
    }
}

impl Corp {
    pub fn new(corpid: CorpId, contacts_secret: String, name: String, now: i64) -> Self {
        let mut departments = BTreeMap::new();
        departments.insert(
            ROOT_DEPARTMENT,
            Department {
                id: ROOT_DEPARTMENT,
                name: name.clone(),
                name_en: String::new(),
                parentid: 0,
                order: 100_000_000,
                department_leader: Vec::new(),
            },
        );
        Self {
            corpid,
            name,
            contacts_secret,
            contacts_callback: None,
            contacts_token_chain: Vec::new(),
            token_fetches: 0,
            token_requests: 0,
            jsapi_ticket: None,
            apps: BTreeMap::new(),
            departments,
            members: BTreeMap::new(),
            tags: BTreeMap::new(),
            next_department_id: 2,
            next_tag_id: 1,
            deliveries: Vec::new(),
            created_at: now,
        }
    }

    /// `id` and every department below it, `id` first, then breadth-first. Linear in the
    /// number of departments (a children index is built first), so load-test directories
    /// of tens of thousands of departments stay cheap.
    pub fn subtree(&self, id: u64) -> Vec<u64> {
        let mut children: HashMap<u64, Vec<u64>> = HashMap::new();
        for d in self.departments.values() {
            if d.id != d.parentid {
                children.entry(d.parentid).or_default().push(d.id);
            }
        }
        let mut out = vec![id];
        let mut i = 0;
        // The bound guards against a cycle in a hand-edited state file.
        while i < out.len() && out.len() <= self.departments.len() {
            if let Some(c) = children.get(&out[i]) {
                out.extend(c.iter().copied());
            }
            i += 1;
        }
        out
    }

    /// Members directly in `department`, or anywhere below it with `fetch_child`.
    pub fn members_in(&self, department: u64, fetch_child: bool) -> Vec<&Member> {
        let depts: BTreeSet<u64> = if fetch_child {
            self.subtree(department).into_iter().collect()
        } else {
            BTreeSet::from([department])
        };
        self.members
            .values()
            .filter(|m| m.department.iter().any(|d| depts.contains(d)))
            .collect()
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
        for d in self.departments.values_mut() {
            d.department_leader.retain(|u| u != userid);
        }
        Some(m)
    }
}

impl Member {
    /// A member as `user/get` and `user/list` answer it.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "userid": self.userid,
            "name": self.name,
            "department": self.department,
            "order": self.order,
            "position": self.position,
            "mobile": self.mobile,
            "gender": self.gender,
            "email": self.email,
            "is_leader_in_dept": self.is_leader_in_dept,
            "avatar": self.avatar,
            "thumb_avatar": self.avatar,
            "telephone": self.telephone,
            "alias": self.alias,
            "status": self.status,
            "main_department": self.main_department,
            "open_userid": open_userid(&self.userid),
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn corp() -> Corp {
        let mut c = Corp::new(CorpId::from("ww1"), "cs".into(), "Corp".into(), 0);
        for (id, parent) in [(2, 1), (3, 2), (4, 1)] {
            c.departments.insert(
                id,
                Department {
                    id,
                    name: format!("d{id}"),
                    name_en: String::new(),
                    parentid: parent,
                    order: 0,
                    department_leader: Vec::new(),
                },
            );
        }
        for (u, d) in [("a", 2), ("b", 3), ("c", 4)] {
            c.members.insert(
                u.into(),
                Member {
                    userid: u.into(),
                    name: u.into(),
                    department: vec![d],
                    order: vec![0],
                    position: String::new(),
                    mobile: String::new(),
                    gender: "0".into(),
                    email: String::new(),
                    is_leader_in_dept: vec![0],
                    main_department: d,
                    status: 1,
                    alias: String::new(),
                    telephone: String::new(),
                    avatar: String::new(),
                    inbox: Vec::new(),
                },
            );
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
