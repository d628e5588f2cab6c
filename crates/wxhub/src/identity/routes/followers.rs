//! `/api/v1/accounts/{id}/callback-settings` (admin) and `/api/v1/accounts/{id}/followers`
//! (admin, or a caller with the `identity` scope on the account): follower records under
//! WeChat's `user/info` names, and starting a follower sync. Parse → authorize → call the
//! service → map the error.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_account;
use crate::accounts::model::AccountId;
use crate::callers::model::Scope;
use crate::http::auth::account_not_found;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Page, PageParams, Path, Query};
use crate::identity::error::FollowerError;
use crate::identity::model::{CallbackSettings, SettingsPatch};
use crate::identity::service::FollowerService;
use crate::store::followers::{Follower, FollowerFilter};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    FollowerService: FromRef<S>,
    crate::identity::service::ProfileReader: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(get_callback_settings, update_callback_settings))
        .routes(routes!(list_followers))
        .routes(routes!(get_follower))
        .routes(routes!(sync_followers))
        .routes(routes!(import_followers))
}

impl From<FollowerError> for ApiError {
    fn from(e: FollowerError) -> Self {
        match &e {
            FollowerError::AccountNotFound(id) => account_not_found(id),
            FollowerError::NotFound { .. } => {
                ApiError::not_found("follower_not_found", e.to_string())
            }
            FollowerError::NotOfficialAccount(_) => {
                ApiError::invalid_field(format!("account: {e}"))
            }
            FollowerError::Job(crate::jobs::JobError::InvalidParams(field)) => {
                ApiError::invalid_field(field.to_string())
            }
            FollowerError::Store(_) | FollowerError::Account(_) | FollowerError::Job(_) => {
                ApiError::internal(e)
            }
        }
    }
}

/// `PATCH /api/v1/accounts/{id}/callback-settings`: only the settings given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCallbackSettingsRequest {
    /// An unfollow also removes the follower's binding to an internal user.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(value_type = Option<bool>)]
    unfollow_unbinds: Option<bool>,
}

/// A field that may be left out, but not set to `null`.
fn not_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// `GET …/followers` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFollowersQuery {
    /// Only followers who are (`true`) or are no longer (`false`) subscribed.
    subscribed: Option<bool>,
    /// 1–200, default 50.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A follower record: WeChat's `user/info` fields under its names (`subscribe`, `openid`,
/// `nickname` … `qr_scene_str`), beside the hub's own. For a user who does not follow (any
/// more) only `subscribe: 0` and `openid` of WeChat's fields are given, as WeChat does: the
/// profile is cleared, the record kept.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FollowerResponse {
    account: AccountId,
    /// 1: follows the account; 0: does not (any more).
    subscribe: u8,
    openid: String,
    /// `subscribe` as a boolean.
    subscribed: bool,
    /// WeChat's profile, for a follower: `null` fields until WeChat's answer is stored (a
    /// background read after the follow callback); absent for a non-follower.
    #[serde(flatten)]
    #[schema(inline)]
    profile: Option<ProfileView>,
    /// How the last follow came, as its callback said: `qr_scene` (by scanning a code) or
    /// `plain`.
    scene: Option<String>,
    /// The QR `source` of the code scanned to follow (0 for a plain follow).
    qr_source: Option<u8>,
    subscribed_at: Option<DateTime<Utc>>,
    unsubscribed_at: Option<DateTime<Utc>>,
    /// When WeChat's `user/info` for this follower was last stored (it is read again once
    /// `followers.profile_max_age_secs` old).
    profile_fetched_at: Option<DateTime<Utc>>,
}

/// WeChat's `user/info` profile fields, under its names and with its values.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView {
    nickname: Option<String>,
    /// 0 unknown, 1 male, 2 female.
    sex: Option<u8>,
    language: Option<String>,
    city: Option<String>,
    province: Option<String>,
    country: Option<String>,
    headimgurl: Option<String>,
    /// When the user followed, Unix seconds.
    subscribe_time: Option<i64>,
    unionid: Option<String>,
    remark: Option<String>,
    groupid: Option<i64>,
    tagid_list: Option<Vec<u32>>,
    /// `ADD_SCENE_QR_CODE`, `ADD_SCENE_SEARCH`, …
    subscribe_scene: Option<String>,
    /// The numeric scene of the QR code followed by (0: none).
    qr_scene: Option<u64>,
    /// The string scene of that code ("": none).
    qr_scene_str: Option<String>,
}

impl From<Follower> for FollowerResponse {
    fn from(f: Follower) -> Self {
        let profile = f.subscribed.then(|| ProfileView {
            nickname: f.nickname,
            sex: f.sex,
            language: f.language,
            city: f.city,
            province: f.province,
            country: f.country,
            headimgurl: f.headimgurl,
            subscribe_time: f.subscribed_at.map(|t| t.timestamp()),
            unionid: f.unionid,
            remark: f.remark,
            groupid: f.groupid,
            tagid_list: f.tagid_list,
            subscribe_scene: f.subscribe_scene,
            qr_scene: f.qr_scene,
            qr_scene_str: f.qr_scene_str,
        });
        FollowerResponse {
            account: f.account,
            subscribe: u8::from(f.subscribed),
            openid: f.openid,
            subscribed: f.subscribed,
            profile,
            scene: f.scene,
            qr_source: f.qr_source,
            subscribed_at: f.subscribed_at,
            unsubscribed_at: f.unsubscribed_at,
            profile_fetched_at: f.profile_fetched_at,
        }
    }
}

/// A page of followers in openid order.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowerPage {
    items: Vec<FollowerResponse>,
    next_cursor: Option<String>,
    /// How many followers match `subscribed` (all pages together).
    total: u64,
}

/// `POST …/followers/sync` answers the job that runs the sync.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncStarted {
    /// Its progress is at `GET /api/v1/jobs/{job_id}`.
    job_id: String,
}

/// The account, if `caller` may read its followers: ungranted is 404, like unknown.
fn follower_reader(caller: &Caller, id: &str) -> Result<AccountId, ApiError> {
    let account = parse_account(id)?;
    caller.require(Scope::Identity, &account)?;
    Ok(account)
}

/// An account's callback settings (admin).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/callback-settings", tag = "accounts",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CallbackSettings), (status = 404, body = ErrorBody)))]
async fn get_callback_settings(
    State(followers): State<FollowerService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CallbackSettings>, ApiError> {
    caller.require_admin()?;
    let account = parse_account(&id)?;
    Ok(Json(followers.settings(&account).await?))
}

/// Change an account's callback settings (admin); answers the settings after the change.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}/callback-settings", tag = "accounts",
    params(("id" = String, Path)), request_body = UpdateCallbackSettingsRequest,
    security(("bearer" = [])),
    responses((status = 200, body = CallbackSettings), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_callback_settings(
    State(followers): State<FollowerService>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<UpdateCallbackSettingsRequest>,
) -> Result<Json<CallbackSettings>, ApiError> {
    caller.require_admin()?;
    let account = parse_account(&id)?;
    let patch = SettingsPatch {
        unfollow_unbinds: body.unfollow_unbinds,
    };
    Ok(Json(followers.update_settings(&account, patch).await?))
}

/// An account's followers in openid order, subscribed or not.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/followers", tag = "followers",
    params(("id" = String, Path), ListFollowersQuery), security(("bearer" = [])),
    responses((status = 200, body = FollowerPage), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_followers(
    State(followers): State<FollowerService>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<ListFollowersQuery>,
) -> Result<Json<FollowerPage>, ApiError> {
    let account = follower_reader(&caller, &id)?;
    if q.cursor.as_deref() == Some("") {
        return Err(crate::http::page::invalid_cursor());
    }
    let limit = PageParams {
        limit: q.limit,
        cursor: None,
    }
    .limit();
    let filter = FollowerFilter {
        subscribed: q.subscribed,
        after_openid: q.cursor,
    };
    let found = followers.list(&account, &filter, limit).await?;
    let total = followers.count(&account, q.subscribed).await?;
    let page = Page::new(found, limit, |f| f.openid.clone());
    Ok(Json(FollowerPage {
        items: page.items.into_iter().map(FollowerResponse::from).collect(),
        next_cursor: page.next_cursor,
        total,
    }))
}

/// One follower of an account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/followers/{openid}", tag = "followers",
    params(("id" = String, Path), ("openid" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = FollowerResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_follower(
    State(followers): State<FollowerService>,
    caller: Caller,
    Path((id, openid)): Path<(String, String)>,
) -> Result<Json<FollowerResponse>, ApiError> {
    let account = follower_reader(&caller, &id)?;
    Ok(Json(followers.get(&account, &openid).await?.into()))
}

/// Starts a follower sync of the account: the whole follower list and every profile from
/// WeChat, followers it no longer lists marked unsubscribed. Answers the job (202); its
/// progress is at `GET /api/v1/jobs/{job_id}`. A sync the same caller started that has not
/// finished is answered instead of a second one.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/followers/sync", tag = "followers",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 202, body = SyncStarted), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn sync_followers(
    State(followers): State<FollowerService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<SyncStarted>), ApiError> {
    let account = follower_reader(&caller, &id)?;
    let owner = caller.client().map(|c| c.client_id.to_string());
    let job = followers.start_sync(&account, owner).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SyncStarted {
            job_id: job.id.to_string(),
        }),
    ))
}

/// One follower of an import, under `user/info`'s names (seed 001's addFans fans).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ImportedFollower {
    openid: String,
    /// 1 follows (default), 0 does not.
    #[serde(default = "one")]
    subscribe: u8,
    #[serde(default)]
    nickname: String,
    #[serde(default)]
    sex: u8,
    #[serde(default)]
    language: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    headimgurl: String,
    /// Unix seconds.
    #[serde(default)]
    subscribe_time: i64,
    unionid: Option<String>,
    #[serde(default)]
    remark: String,
    #[serde(default)]
    groupid: i64,
    #[serde(default)]
    tagid_list: Vec<u32>,
    #[serde(default)]
    subscribe_scene: String,
    #[serde(default)]
    qr_scene: u64,
    #[serde(default)]
    qr_scene_str: String,
}

fn one() -> u8 {
    1
}

impl ImportedFollower {
    fn into_fetched(self) -> Result<crate::identity::model::FetchedUser, ApiError> {
        use crate::identity::model::{FetchedUser, FollowerProfile, UserInfo};
        crate::core::OpenId::parse(&self.openid).map_err(ApiError::from)?;
        if let Some(u) = &self.unionid {
            crate::core::UnionId::parse(u).map_err(ApiError::from)?;
        }
        if self.sex > 2 || self.subscribe > 1 {
            return Err(ApiError::invalid_field(
                "sex must be 0, 1 or 2 and subscribe 0 or 1",
            ));
        }
        let unionid = self.unionid.filter(|u| !u.is_empty());
        let info = if self.subscribe == 1 {
            UserInfo::Follows(Box::new(FollowerProfile {
                nickname: self.nickname,
                sex: self.sex,
                language: self.language,
                city: self.city,
                province: self.province,
                country: self.country,
                headimgurl: self.headimgurl,
                subscribe_time: self.subscribe_time,
                unionid,
                remark: self.remark,
                groupid: self.groupid,
                tagid_list: self.tagid_list,
                subscribe_scene: self.subscribe_scene,
                qr_scene: self.qr_scene,
                qr_scene_str: self.qr_scene_str,
            }))
        } else {
            UserInfo::DoesNotFollow { unionid }
        };
        Ok(FetchedUser {
            openid: self.openid,
            info,
        })
    }
}

/// `POST /api/v1/accounts/{id}/followers/import`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportFollowersBody {
    /// 1 to 1000 followers.
    followers: Vec<ImportedFollower>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowersImported {
    imported: usize,
    /// The account's followers after it.
    total: u64,
}

/// Import followers from another platform (seed 001's addFans), for organisations moving to
/// the hub: idempotent on (account, openid), so a rerun updates and never duplicates.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/followers/import", tag = "followers",
    params(("id" = String, Path)), request_body = ImportFollowersBody, security(("bearer" = [])),
    responses((status = 200, body = FollowersImported), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_followers(
    State(followers): State<FollowerService>,
    State(profiles): State<crate::identity::service::ProfileReader>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ImportFollowersBody>,
) -> Result<Json<FollowersImported>, ApiError> {
    let account = follower_reader(&caller, &id)?;
    if body.followers.is_empty()
        || body.followers.len() > crate::identity::service::profiles::MAX_IMPORT
    {
        return Err(ApiError::invalid_field(
            "an import takes 1 to 1000 followers",
        ));
    }
    let users = body
        .followers
        .into_iter()
        .map(ImportedFollower::into_fetched)
        .collect::<Result<Vec<_>, _>>()?;
    let imported = profiles
        .import(&account, &users)
        .await
        .map_err(|e| match e {
            crate::identity::service::profiles::ReadError::AccountGone(id) => {
                account_not_found(&id)
            }
            crate::identity::service::profiles::ReadError::NotMp(_) => {
                ApiError::invalid_field("followers are an Official Account's")
            }
            e => ApiError::internal(e),
        })?;
    let total = followers.count(&account, None).await?;
    Ok(Json(FollowersImported { imported, total }))
}
