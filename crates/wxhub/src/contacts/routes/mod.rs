//! The contacts capability's routes, one module per area: the directory sync, re-reads and
//! sync reports (`sync`). All need the admin, or a caller with the `contacts` scope on the
//! corp's account.

use axum::extract::FromRef;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;

use super::error::ContactsError;
use super::service::ContactService;
use crate::accounts::model::AccountId;
use crate::callers::model::Scope;
use crate::http::auth::{account_not_found, Authenticator};
use crate::http::wechat::call_error;
use crate::http::{ApiError, Caller};

pub(crate) mod sync;

/// Every contacts route.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    ContactService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new().merge(sync::routes())
}

/// The corp's account, if `caller` may use its directory: ungranted is 404, like unknown.
pub(crate) fn directory_user(caller: &Caller, id: &str) -> Result<AccountId, ApiError> {
    let account = AccountId::parse(id).map_err(|_| {
        ApiError::not_found("account_not_found", format!("account {id:?} not found"))
    })?;
    caller.require(Scope::Contacts, &account)?;
    Ok(account)
}

/// WeCom's refusals a caller can act on.
fn contacts_refusals(errcode: i64) -> Option<(StatusCode, &'static str)> {
    Some(match errcode {
        60011 | 48009 => (StatusCode::FORBIDDEN, "wecom_no_privilege"),
        60020 => (StatusCode::FORBIDDEN, "wecom_ip_not_trusted"),
        60111 => (StatusCode::NOT_FOUND, "member_not_found"),
        60123 => (StatusCode::NOT_FOUND, "department_not_found"),
        40068 => (StatusCode::NOT_FOUND, "tag_not_found"),
        _ => return None,
    })
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
            ContactsError::WeChat { doing, source } => call_error(doing, source, contacts_refusals),
            ContactsError::Jobs(_) | ContactsError::Store(_) | ContactsError::Lookup(_) => {
                ApiError::internal(e)
            }
        }
    }
}
