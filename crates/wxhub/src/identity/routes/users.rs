//! `/api/v1/users/…`: users as business systems name them. `by-uid/{uid}` is seed 000's
//! `getWeixinUserBy58Uid`: the follower record of the openid the business uid is bound to
//! (admin, or a caller with the `identity` scope on the account).

use axum::extract::{FromRef, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::followers::FollowerResponse;
use crate::accounts::model::AccountId;
use crate::callers::model::Scope;
use crate::core::Uid;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Path, Query};
use crate::identity::model::BindingType;
use crate::identity::service::{UserError, UserService};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    UserService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new().routes(routes!(user_by_uid))
}

impl From<UserError> for ApiError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Binding(e) => e.into(),
            UserError::Follower(e) => e.into(),
        }
    }
}

/// Which account and binding type the uid is bound in.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByUidQuery {
    account: String,
    /// `weixin` (default) or `qq`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
}

/// The follower record of the openid a business uid is bound to (seed 000's
/// `getWeixinUserBy58Uid`); 404 `binding_not_found` for an unbound uid. The uid is the
/// business system's own id (bindings), not seed 001's unified `userId`.
#[utoipa::path(get, path = "/api/v1/users/by-uid/{uid}", tag = "followers",
    params(("uid" = i64, Path), ByUidQuery), security(("bearer" = [])),
    responses((status = 200, body = FollowerResponse), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn user_by_uid(
    State(users): State<UserService>,
    caller: Caller,
    Path(uid): Path<i64>,
    Query(q): Query<ByUidQuery>,
) -> Result<Json<FollowerResponse>, ApiError> {
    let account = AccountId::parse(&q.account).map_err(|_| {
        ApiError::not_found(
            "account_not_found",
            format!("account {:?} not found", q.account),
        )
    })?;
    caller.require(Scope::Identity, &account)?;
    let uid = Uid::new(uid).map_err(ApiError::from)?;
    let kind = match q.kind.as_deref() {
        None => BindingType::Weixin,
        Some(k) => BindingType::parse(k).map_err(ApiError::from)?,
    };
    Ok(Json(users.by_uid(&account, kind, uid).await?.into()))
}
