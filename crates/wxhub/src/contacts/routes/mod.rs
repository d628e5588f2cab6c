//! The contacts capability's routes under `/api/v1/contacts/{corp}`, one module per area:
//! the directory sync, its reports and the manual notify (`sync.rs`), members (`members.rs`: one, search), departments (`departments.rs`: one, ancestors,
//! children, members), tags (`tags.rs`: list, members, add and remove) and admin scopes
//! (`roles.rs`: role assignments, seed 002's authList). Reads need the admin or a caller
//! with the `contacts` scope on the corp; role changes need the admin. Native field names
//! are WeCom's (`userid`, `main_department`, `parentid`, `order`, `child_count`, `is_all`).

use axum::extract::FromRef;
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use super::error::ContactsError;
use super::model::{ContactTagId, DepartmentId};
use super::service::{ContactQueries, ContactService, DirectoryError, RoleService};
use crate::accounts::model::AccountId;
use crate::callers::model::Scope;
use crate::core::CorpUserId;
use crate::http::auth::{account_not_found, Authenticator};
use crate::http::{ApiError, Caller};
use crate::store::contact_queries::{DepartmentRow, MemberRecord};
use crate::tokens::TokenError;
use crate::wechat::CallError;

mod departments;
mod members;
mod roles;
pub(crate) mod sync;
mod tags;

/// Every contacts route.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    ContactService: FromRef<S>,
    ContactQueries: FromRef<S>,
    RoleService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .merge(sync::routes())
        .merge(members::routes())
        .merge(departments::routes())
        .merge(tags::routes())
        .merge(roles::routes())
}

/// The corp, if `caller` may read its directory: ungranted is 404, like unknown.
fn corp(caller: &Caller, id: &str) -> Result<AccountId, ApiError> {
    let account = AccountId::parse(id).map_err(|_| {
        ApiError::not_found("account_not_found", format!("account {id:?} not found"))
    })?;
    caller.require(Scope::Contacts, &account)?;
    Ok(account)
}

fn userid(raw: &str) -> Result<CorpUserId, ApiError> {
    CorpUserId::parse(raw)
        .map_err(|_| ApiError::not_found("member_not_found", format!("member {raw:?} not found")))
}

fn department_id(raw: &str) -> Result<DepartmentId, ApiError> {
    DepartmentId::parse(raw).map_err(|_| {
        ApiError::not_found(
            "department_not_found",
            format!("department {raw:?} not found"),
        )
    })
}

fn tag_id(raw: &str) -> Result<ContactTagId, ApiError> {
    ContactTagId::parse(raw)
        .map_err(|_| ApiError::not_found("tag_not_found", format!("tag {raw:?} not found")))
}

/// A query flag: `true`/`false` or seed 002's `1`/`0`.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    match raw.as_deref() {
        None | Some("") => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(other) => Err(serde::de::Error::custom(format!(
            "{other:?} is not a flag (true, false, 1 or 0)"
        ))),
    }
}

/// A member with WeCom's fields, all its departments (`department`, with its `order` in
/// each) and its tags (`tags`: tag ids).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    userid: String,
    name: String,
    department: Vec<u64>,
    /// The member's order in each of `department` (a larger one first).
    order: Vec<u64>,
    main_department: u64,
    position: String,
    mobile: String,
    alias: String,
    avatar: String,
    /// "0" unset, "1" male, "2" female.
    gender: String,
    email: String,
    telephone: String,
    address: String,
    /// 1 active, 2 disabled, 4 not yet active, 5 left.
    status: u8,
    tags: Vec<u64>,
}

impl From<MemberRecord> for MemberResponse {
    fn from(r: MemberRecord) -> Self {
        let m = r.member;
        MemberResponse {
            userid: m.userid.as_str().to_owned(),
            name: m.name,
            department: m.department.iter().map(|d| d.get()).collect(),
            order: m.order,
            main_department: m.main_department.get(),
            position: m.position,
            mobile: m.mobile,
            alias: m.alias,
            avatar: m.avatar,
            gender: m.gender.as_str().to_owned(),
            email: m.email,
            telephone: m.telephone,
            address: m.address,
            status: m.status,
            tags: r.tags.iter().map(|t| t.get()).collect(),
        }
    }
}

/// A department with WeCom's fields: `parentid` 0 for the root; among siblings a larger
/// `order` comes first; `child_count` its direct children.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentResponse {
    id: u64,
    name: String,
    name_en: String,
    parentid: u64,
    order: u64,
    child_count: u64,
    /// With `as_user` (and in auth-list): 0 the user manages it, 1 may view it, 2 it is on
    /// the path to one the user manages or views.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u8>)]
    is_all: Option<u8>,
    /// With `with_members`: its direct members.
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<MemberResponse>>,
}

impl DepartmentResponse {
    fn new(row: DepartmentRow, is_all: Option<u8>, members: Option<Vec<MemberRecord>>) -> Self {
        let d = row.department;
        DepartmentResponse {
            id: d.id.get(),
            name: d.name,
            name_en: d.name_en,
            parentid: d.parentid.map_or(0, DepartmentId::get),
            order: d.order,
            child_count: row.child_count,
            is_all,
            members: members.map(|m| m.into_iter().map(MemberResponse::from).collect()),
        }
    }
}

/// `{"items": [...]}`: a whole list in one answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Items<T> {
    items: Vec<T>,
}

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> Self {
        let message = e.to_string();
        match e {
            DirectoryError::AccountNotFound(id) => account_not_found(&id),
            DirectoryError::NotAWorkAccount(_) => {
                ApiError::bad_request("unsupported_for_account", message)
            }
            DirectoryError::MemberNotFound(_) => ApiError::not_found("member_not_found", message),
            DirectoryError::DepartmentNotFound(_) => {
                ApiError::not_found("department_not_found", message)
            }
            DirectoryError::TagNotFound(_) => ApiError::not_found("tag_not_found", message),
            DirectoryError::RoleNotFound(_) => ApiError::not_found("role_not_found", message),
            DirectoryError::Invalid(bad) => bad.into(),
            DirectoryError::WeChat { doing, source } => wechat_error(doing, source),
            DirectoryError::Store(_) | DirectoryError::Lookup(_) => ApiError::internal(e),
        }
    }
}

/// WeCom's refusals a caller can act on.
fn contact_refusals(errcode: i64) -> Option<(StatusCode, &'static str)> {
    Some(match errcode {
        40068 => (StatusCode::NOT_FOUND, "tag_not_found"),
        60111 => (StatusCode::NOT_FOUND, "member_not_found"),
        60123 => (StatusCode::NOT_FOUND, "department_not_found"),
        // No privilege over the tag or the members (the secret's range).
        60011 | 48009 => (StatusCode::FORBIDDEN, "wechat_forbidden"),
        // The contacts secret called from an IP not in its trusted list.
        60020 => (StatusCode::FORBIDDEN, "wecom_ip_not_trusted"),
        _ => return None,
    })
}

fn wechat_error(doing: &str, e: CallError<TokenError>) -> ApiError {
    crate::http::wechat::call_error(doing, e, contact_refusals)
}

impl From<ContactsError> for ApiError {
    fn from(e: ContactsError) -> Self {
        let message = e.to_string();
        match e {
            ContactsError::AccountNotFound(id) => account_not_found(&id),
            ContactsError::NotAWeComAccount(_) => {
                ApiError::bad_request("unsupported_for_account", message)
            }
            ContactsError::NoContactsSecret(_) => {
                ApiError::conflict("contacts_secret_missing", message)
            }
            ContactsError::Invalid(bad) => ApiError::invalid_at(bad.field, "invalid", message),
            ContactsError::WeChat { doing, source } => wechat_error(doing, source),
            ContactsError::Jobs(_) | ContactsError::Store(_) | ContactsError::Lookup(_) => {
                ApiError::internal(e)
            }
        }
    }
}
