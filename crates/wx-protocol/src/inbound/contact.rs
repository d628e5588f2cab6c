//! WeCom directory changes (`Event = change_contact`), tagged by `ChangeType`.

use serde::{Deserialize, Serialize};

use super::HEADER;
use crate::xml::{Element, Fields, XmlError, XmlWriter};

/// One directory change. Fields that `update_*` changes leave out are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change_type", rename_all = "snake_case")]
pub enum ContactChange {
    CreateUser(ContactUser),
    UpdateUser(ContactUser),
    DeleteUser {
        user_id: String,
    },
    CreateParty(Party),
    UpdateParty(Party),
    DeleteParty {
        id: u64,
    },
    UpdateTag(TagChange),
    /// A change type this crate does not know, with all its non-header fields.
    Other {
        #[serde(rename = "raw_change_type")]
        change_type: String,
        fields: Vec<Element>,
    },
}

/// A member as `create_user` / `update_user` describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactUser {
    pub user_id: String,
    /// `update_user` only: the member's new userid, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Department ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<Vec<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_department: Option<u64>,
    /// One flag per department, 1 = leader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_leader_in_dept: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct_leader: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// 0 unset, 1 male, 2 female.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_mail: Option<String>,
    /// 1 active, 2 disabled, 4 not yet activated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The `Item`s of `ExtAttr`, kept as a tree.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ext_attr: Vec<Element>,
}

/// A department as `create_party` / `update_party` describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<u64>,
}

/// `update_tag`: members and departments added to or removed from a tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagChange {
    pub tag_id: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_user_items: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub del_user_items: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_party_items: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub del_party_items: Vec<u64>,
}

impl ContactChange {
    /// `create_user`, `update_tag` …, or the unknown change type as received.
    pub fn change_type(&self) -> &str {
        match self {
            Self::CreateUser(_) => "create_user",
            Self::UpdateUser(_) => "update_user",
            Self::DeleteUser { .. } => "delete_user",
            Self::CreateParty(_) => "create_party",
            Self::UpdateParty(_) => "update_party",
            Self::DeleteParty { .. } => "delete_party",
            Self::UpdateTag(_) => "update_tag",
            Self::Other { change_type, .. } => change_type,
        }
    }

    pub(super) fn read(f: Fields<'_>) -> Result<Self, XmlError> {
        let change_type = f.req_str("ChangeType")?;
        Ok(match change_type.as_str() {
            "create_user" => Self::CreateUser(ContactUser::read(f)?),
            "update_user" => Self::UpdateUser(ContactUser::read(f)?),
            "delete_user" => Self::DeleteUser {
                user_id: f.req_str("UserID")?,
            },
            "create_party" => Self::CreateParty(Party::read(f)?),
            "update_party" => Self::UpdateParty(Party::read(f)?),
            "delete_party" => Self::DeleteParty {
                id: f.req_parse("Id")?,
            },
            "update_tag" => Self::UpdateTag(TagChange::read(f)?),
            _ => {
                let mut skip = HEADER.to_vec();
                skip.extend(["Event", "ChangeType"]);
                Self::Other {
                    change_type,
                    fields: f.rest(&skip),
                }
            }
        })
    }

    pub(super) fn write(&self, w: &mut XmlWriter) {
        w.cdata("ChangeType", self.change_type());
        match self {
            Self::CreateUser(user) | Self::UpdateUser(user) => user.write(w),
            Self::DeleteUser { user_id } => w.cdata("UserID", user_id),
            Self::CreateParty(party) | Self::UpdateParty(party) => party.write(w),
            Self::DeleteParty { id } => w.bare("Id", id),
            Self::UpdateTag(tag) => tag.write(w),
            Self::Other { fields, .. } => {
                for field in fields {
                    w.element(field);
                }
            }
        }
    }
}

impl ContactUser {
    fn read(f: Fields<'_>) -> Result<Self, XmlError> {
        Ok(Self {
            user_id: f.req_str("UserID")?,
            new_user_id: f.opt_str("NewUserID"),
            name: f.opt_str("Name"),
            department: f.opt_list("Department")?,
            main_department: f.opt_parse_nonempty("MainDepartment")?,
            is_leader_in_dept: f.opt_list("IsLeaderInDept")?,
            direct_leader: f.opt_list("DirectLeader")?,
            position: f.opt_str("Position"),
            mobile: f.opt_str("Mobile"),
            gender: f.opt_parse_nonempty("Gender")?,
            email: f.opt_str("Email"),
            biz_mail: f.opt_str("BizMail"),
            status: f.opt_parse_nonempty("Status")?,
            avatar: f.opt_str("Avatar"),
            alias: f.opt_str("Alias"),
            telephone: f.opt_str("Telephone"),
            address: f.opt_str("Address"),
            ext_attr: f
                .child("ExtAttr")
                .map(|c| c.element().children.clone())
                .unwrap_or_default(),
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.cdata("UserID", &self.user_id);
        w.opt_cdata("NewUserID", self.new_user_id.as_deref());
        w.opt_cdata("Name", self.name.as_deref());
        if let Some(department) = &self.department {
            w.list("Department", department);
        }
        w.opt_bare("MainDepartment", self.main_department);
        if let Some(flags) = &self.is_leader_in_dept {
            w.list("IsLeaderInDept", flags);
        }
        if let Some(leaders) = &self.direct_leader {
            w.list("DirectLeader", leaders);
        }
        w.opt_cdata("Position", self.position.as_deref());
        w.opt_cdata("Mobile", self.mobile.as_deref());
        w.opt_bare("Gender", self.gender);
        w.opt_cdata("Email", self.email.as_deref());
        w.opt_cdata("BizMail", self.biz_mail.as_deref());
        w.opt_bare("Status", self.status);
        w.opt_cdata("Avatar", self.avatar.as_deref());
        w.opt_cdata("Alias", self.alias.as_deref());
        w.opt_cdata("Telephone", self.telephone.as_deref());
        w.opt_cdata("Address", self.address.as_deref());
        if !self.ext_attr.is_empty() {
            w.open("ExtAttr");
            for item in &self.ext_attr {
                w.element(item);
            }
            w.close("ExtAttr");
        }
    }
}

impl Party {
    fn read(f: Fields<'_>) -> Result<Self, XmlError> {
        Ok(Self {
            id: f.req_parse("Id")?,
            name: f.opt_str("Name"),
            parent_id: f.opt_parse_nonempty("ParentId")?,
            order: f.opt_parse_nonempty("Order")?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.bare("Id", self.id);
        w.opt_cdata("Name", self.name.as_deref());
        w.opt_bare("ParentId", self.parent_id);
        w.opt_bare("Order", self.order);
    }
}

impl TagChange {
    fn read(f: Fields<'_>) -> Result<Self, XmlError> {
        Ok(Self {
            tag_id: f.req_parse("TagId")?,
            add_user_items: f.list_or_empty("AddUserItems")?,
            del_user_items: f.list_or_empty("DelUserItems")?,
            add_party_items: f.list_or_empty("AddPartyItems")?,
            del_party_items: f.list_or_empty("DelPartyItems")?,
        })
    }

    fn write(&self, w: &mut XmlWriter) {
        w.bare("TagId", self.tag_id);
        for (name, items) in [
            ("AddUserItems", &self.add_user_items),
            ("DelUserItems", &self.del_user_items),
        ] {
            if !items.is_empty() {
                w.list(name, items);
            }
        }
        for (name, items) in [
            ("AddPartyItems", &self.add_party_items),
            ("DelPartyItems", &self.del_party_items),
        ] {
            if !items.is_empty() {
                w.list(name, items);
            }
        }
    }
}
