//! Re-reads: what a change_contact callback or seed 002's manual notify names — one member,
//! department or tag — queued so the hub reads it again from WeCom and writes what WeCom
//! answers (or removes it when WeCom no longer knows it). One path for both, so a callback
//! and a notify of the same change end the same way, and a callback stored but not yet
//! applied when the hub stops is applied by the next instance.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use wx_protocol::{ContactChange, Event, InboundMessage};

use super::directory::{ContactTagId, DepartmentId};
use crate::accounts::model::AccountId;
use crate::core::{CorpUserId, InvalidField};

/// What is to be read again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "target", content = "id", rename_all = "snake_case")]
pub enum ChangeTarget {
    User(CorpUserId),
    Party(DepartmentId),
    Tag(ContactTagId),
}

impl ChangeTarget {
    /// The stored `target` column.
    pub fn kind(&self) -> &'static str {
        match self {
            ChangeTarget::User(_) => "user",
            ChangeTarget::Party(_) => "party",
            ChangeTarget::Tag(_) => "tag",
        }
    }

    /// The stored `target_id` column.
    pub fn id(&self) -> String {
        match self {
            ChangeTarget::User(u) => u.to_string(),
            ChangeTarget::Party(p) => p.to_string(),
            ChangeTarget::Tag(t) => t.to_string(),
        }
    }

    /// From the stored columns.
    pub fn from_columns(kind: &str, id: &str) -> Option<Self> {
        match kind {
            "user" => CorpUserId::parse(id).ok().map(ChangeTarget::User),
            "party" => DepartmentId::parse(id).ok().map(ChangeTarget::Party),
            "tag" => ContactTagId::parse(id).ok().map(ChangeTarget::Tag),
            _ => None,
        }
    }
}

/// Where a re-read was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    Callback,
    Notify,
}

impl ChangeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSource::Callback => "callback",
            ChangeSource::Notify => "notify",
        }
    }
}

/// A re-read to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContactChange {
    pub account: AccountId,
    pub target: ChangeTarget,
    /// WeCom's ChangeType (`create_user` … `delete_party`, `update_tag`).
    pub change_type: String,
    pub source: ChangeSource,
    pub received_at: DateTime<Utc>,
}

/// Seed 002 §4.2's change types, in the order the seed lists them.
pub const NOTIFY_CHANGE_TYPES: [&str; 6] = [
    "create_user",
    "update_user",
    "delete_user",
    "create_party",
    "update_party",
    "delete_party",
];

/// The re-read a stored change_contact callback asks for (`None` for any other message).
/// A renamed member (`update_user` with a NewUserID) is read under the new id; the old
/// one is gone from WeCom, so reading it removes it.
pub fn rereads_for(
    account: &AccountId,
    message: &InboundMessage,
    at: DateTime<Utc>,
) -> Vec<NewContactChange> {
    let Some(Event::ChangeContact(change)) = message.event() else {
        return Vec::new();
    };
    let new = |target| NewContactChange {
        account: account.clone(),
        target,
        change_type: change.change_type().to_owned(),
        source: ChangeSource::Callback,
        received_at: at,
    };
    let user = |id: &str| CorpUserId::parse(id).ok().map(ChangeTarget::User);
    let targets: Vec<ChangeTarget> = match change {
        ContactChange::CreateUser(u) | ContactChange::UpdateUser(u) => {
            let mut t: Vec<ChangeTarget> = user(&u.user_id).into_iter().collect();
            if let Some(renamed) = u.new_user_id.as_deref().and_then(user) {
                t.push(renamed);
            }
            t
        }
        ContactChange::DeleteUser { user_id } => user(user_id).into_iter().collect(),
        ContactChange::CreateParty(p) | ContactChange::UpdateParty(p) => DepartmentId::new(p.id)
            .ok()
            .map(ChangeTarget::Party)
            .into_iter()
            .collect(),
        ContactChange::DeleteParty { id } => DepartmentId::new(*id)
            .ok()
            .map(ChangeTarget::Party)
            .into_iter()
            .collect(),
        ContactChange::UpdateTag(t) => ContactTagId::new(t.tag_id)
            .ok()
            .map(ChangeTarget::Tag)
            .into_iter()
            .collect(),
        ContactChange::Other { .. } => Vec::new(),
    };
    targets.into_iter().map(new).collect()
}

/// Seed 002 §4.2's manual notify: `changeType` and the `userId` (user changes) or `partyId`
/// (department changes) it names.
pub fn notify_target(
    change_type: &str,
    user_id: Option<&str>,
    party_id: Option<&str>,
) -> Result<ChangeTarget, InvalidField> {
    match change_type {
        "create_user" | "update_user" | "delete_user" => {
            let id = nonempty(user_id).ok_or_else(|| {
                InvalidField::new("userId", "a user change names the member in userId")
            })?;
            CorpUserId::parse(id)
                .map(ChangeTarget::User)
                .map_err(|e| InvalidField::new("userId", e.reason))
        }
        "create_party" | "update_party" | "delete_party" => {
            let id = nonempty(party_id).ok_or_else(|| {
                InvalidField::new("partyId", "a department change names it in partyId")
            })?;
            DepartmentId::parse(id)
                .map(ChangeTarget::Party)
                .map_err(|e| InvalidField::new("partyId", e.reason))
        }
        _ => Err(InvalidField::new(
            "changeType",
            "must be one of create_user, update_user, delete_user, create_party, update_party, delete_party",
        )),
    }
}

fn nonempty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wx_protocol::inbound::{ContactUser, InboundBody, Party, TagChange};

    fn change(c: ContactChange) -> InboundMessage {
        InboundMessage {
            to_user_name: "ww1".into(),
            from_user_name: "sys".into(),
            create_time: 1_700_000_000,
            agent_id: None,
            body: InboundBody::Event(Event::ChangeContact(c)),
        }
    }

    #[test]
    fn every_change_type_names_its_target() {
        let account = AccountId::parse("corp").unwrap();
        let at = Utc::now();
        let targets = |c| {
            rereads_for(&account, &change(c), at)
                .into_iter()
                .map(|r| (r.change_type, r.target.kind(), r.target.id()))
                .collect::<Vec<_>>()
        };
        let renamed = ContactUser {
            user_id: "old".into(),
            new_user_id: Some("new".into()),
            ..Default::default()
        };
        assert_eq!(
            targets(ContactChange::UpdateUser(renamed)),
            vec![
                ("update_user".into(), "user", "old".into()),
                ("update_user".into(), "user", "new".into())
            ]
        );
        assert_eq!(
            targets(ContactChange::DeleteParty { id: 7 }),
            vec![("delete_party".into(), "party", "7".into())]
        );
        let party = Party {
            id: 9,
            ..Default::default()
        };
        assert_eq!(targets(ContactChange::CreateParty(party))[0].2, "9");
        let tag = TagChange {
            tag_id: 3,
            ..Default::default()
        };
        assert_eq!(targets(ContactChange::UpdateTag(tag))[0].1, "tag");
    }

    #[test]
    fn a_notify_names_a_member_or_a_department() {
        assert_eq!(
            notify_target("update_user", Some("zhangsan"), None),
            Ok(ChangeTarget::User(CorpUserId::parse("zhangsan").unwrap()))
        );
        assert_eq!(
            notify_target("delete_party", None, Some("12")),
            Ok(ChangeTarget::Party(DepartmentId::new(12).unwrap()))
        );
        assert_eq!(
            notify_target("create_user", None, Some("1"))
                .unwrap_err()
                .field,
            "userId"
        );
        assert_eq!(
            notify_target("rename", Some("a"), None).unwrap_err().field,
            "changeType"
        );
        assert!(NOTIFY_CHANGE_TYPES.contains(&"create_party"));
    }
}
