//! The tags capability's routes, one module per area: an account's tags (`tags`: list,
//! sync, create, rename, delete), a tag's followers (`members`: list, tag, untag) and a
//! follower's side (`followers`: their tags, their remark). All need the admin, or a caller
//! with the `identity` scope on the account.

use axum::extract::FromRef;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;

use super::error::TagError;
use super::model::{TagId, TagRefusal};
use super::service::TagService;
use crate::accounts::model::AccountId;
use crate::callers::model::Scope;
use crate::core::identity::OpenId;
use crate::http::auth::{account_not_found, Authenticator};
use crate::http::{ApiError, Caller};
use crate::tokens::TokenError;
use crate::wechat::CallError;

mod followers;
mod members;
mod tags;

/// Every tag route.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    TagService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .merge(tags::routes())
        .merge(members::routes())
        .merge(followers::routes())
}

/// The account, if `caller` may manage its tags: ungranted is 404, like unknown.
fn tag_manager(caller: &Caller, id: &str) -> Result<AccountId, ApiError> {
    // An id that cannot exist is simply not found.
    let account = AccountId::parse(id).map_err(|_| {
        ApiError::not_found("account_not_found", format!("account {id:?} not found"))
    })?;
    caller.require(Scope::Identity, &account)?;
    Ok(account)
}

/// A tag id from the path; one that cannot exist is not found.
fn tag_id(raw: &str) -> Result<TagId, ApiError> {
    raw.parse::<i64>()
        .ok()
        .and_then(|n| TagId::new(n).ok())
        .ok_or_else(|| ApiError::not_found("tag_not_found", format!("tag {raw:?} not found")))
}

/// An openid from the path; one that cannot exist is not found.
fn openid(raw: &str) -> Result<OpenId, ApiError> {
    OpenId::parse(raw).map_err(|_| {
        ApiError::not_found("follower_not_found", format!("follower {raw:?} not found"))
    })
}

impl From<TagError> for ApiError {
    fn from(e: TagError) -> Self {
        let message = e.to_string();
        match e {
            TagError::AccountNotFound(id) => account_not_found(&id),
            TagError::NotAnOfficialAccount(_) => {
                ApiError::bad_request("unsupported_for_account", message)
            }
            TagError::Invalid(bad) => bad.into(),
            TagError::Refused(refusal) => refused(&refusal, message),
            TagError::WeChat { doing, source } => wechat_error(doing, source),
            TagError::Store(_) | TagError::Lookup(_) => ApiError::internal(e),
        }
    }
}

fn refused(refusal: &TagRefusal, message: String) -> ApiError {
    match refusal {
        TagRefusal::TooMany => ApiError::conflict("too_many_tags", message),
        TagRefusal::NameTaken(..) => ApiError::conflict("tag_name_taken", message),
        TagRefusal::Reserved(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "tag_reserved", message)
        }
        TagRefusal::NotFound(_) => ApiError::not_found("tag_not_found", message),
        TagRefusal::TooManyFollowers { .. } => {
            ApiError::conflict("tag_has_too_many_followers", message)
        }
    }
}

/// WeChat's refusals a caller can act on get the same code (and status) as the hub's own check
/// for the same rule.
fn tag_refusals(errcode: i64) -> Option<(StatusCode, &'static str)> {
    Some(match errcode {
        45056 => (StatusCode::CONFLICT, "too_many_tags"),
        45157 => (StatusCode::CONFLICT, "tag_name_taken"),
        45057 => (StatusCode::CONFLICT, "tag_has_too_many_followers"),
        45059 => (StatusCode::CONFLICT, "follower_tag_limit"),
        45058 => (StatusCode::UNPROCESSABLE_ENTITY, "tag_reserved"),
        45158 | 40032 => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        45159 => (StatusCode::NOT_FOUND, "tag_not_found"),
        40003 | 46004 | 49003 => (StatusCode::NOT_FOUND, "follower_not_found"),
        _ => return None,
    })
}

fn wechat_error(doing: &str, e: CallError<TokenError>) -> ApiError {
    crate::http::wechat::call_error(doing, e, tag_refusals)
}
