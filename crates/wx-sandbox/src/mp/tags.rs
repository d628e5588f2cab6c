//! User tags: `cgi-bin/tags/create|get|update|delete`, `tags/members/batchtagging|
//! batchuntagging`, `tags/getidlist` and `cgi-bin/user/tag/get` (a tag's followers, paged).
//!
//! WeChat's rules: at most 100 tags of the account's own (45056; the system's tags 0, 1, 2
//! are not created, so they do not count); a name of at most 30 bytes (45158), unique
//! (45157); tags 0, 1 and 2 are the system's (45058); at most 50 openids per batch (40032);
//! at most 20 tags on one user (45059); a tag with more than 100,000 fans can't be deleted
//! (45057).

use crate::auth::MpAuth;
use crate::errors::{code, ok, WxError, WxResult};
use crate::extract::WxJson;
use crate::ids::OpenId;
use crate::mp::model::{MpAccount, Tag};
use crate::mp::users::{page_after, page_json};
use crate::Sandbox;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

const MAX_TAGS: usize = 100;
const BATCH_MAX: usize = 50;
const USER_TAGS_MAX: usize = 20;
const DELETE_MAX_FANS: usize = 100_000;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/tags/create", post(create_tag))
        .route("/cgi-bin/tags/get", get(list_tags))
        .route("/cgi-bin/tags/update", post(update_tag))
        .route("/cgi-bin/tags/delete", post(delete_tag))
        .route("/cgi-bin/tags/members/batchtagging", post(tag_users))
        .route("/cgi-bin/tags/members/batchuntagging", post(untag_users))
        .route("/cgi-bin/tags/getidlist", post(user_tags))
        .route("/cgi-bin/user/tag/get", post(tag_followers))
}

#[derive(Deserialize)]
struct TagBody {
    tag: Option<TagFields>,
}

#[derive(Deserialize)]
struct TagFields {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    name: Option<String>,
}

/// WeChat accepts tag ids as numbers or numeric strings.
fn tag_id(v: Option<&Value>) -> Result<u32, WxError> {
    let id = match v {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    id.ok_or_else(|| WxError::new(code::INVALID_TAG_ID))
}

async fn create_tag(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<TagBody>,
) -> WxResult {
    let name = b
        .tag
        .and_then(|t| t.name)
        .ok_or_else(|| WxError::new(code::INVALID_TAG_NAME))?;
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    acct.check_tag_name(&name, None)?;
    if acct.tags.keys().filter(|id| **id > 2).count() >= MAX_TAGS {
        return Err(WxError::new(code::TOO_MANY_TAGS));
    }
    let id = acct.next_tag_id;
    acct.next_tag_id += 1;
    acct.tags.insert(
        id,
        Tag {
            id,
            name: name.clone(),
        },
    );
    Ok(Json(json!({"tag": {"id": id, "name": name}})))
}

async fn list_tags(State(sb): State<Sandbox>, MpAuth(appid): MpAuth) -> WxResult {
    let st = sb.state();
    let acct = st.mp_account(&appid)?;
    let tags: Vec<Value> = acct
        .tags
        .values()
        .map(|t| json!({"id": t.id, "name": t.name, "count": acct.tag_fans(t.id)}))
        .collect();
    Ok(Json(json!({"tags": tags})))
}

async fn update_tag(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<TagBody>,
) -> WxResult {
    let t = b.tag.ok_or_else(|| WxError::new(code::INVALID_TAG_ID))?;
    let id = tag_id(t.id.as_ref())?;
    let name = t.name.unwrap_or_default();
    if id <= 2 {
        return Err(WxError::new(code::RESERVED_TAG));
    }
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    if !acct.tags.contains_key(&id) {
        return Err(WxError::new(code::INVALID_TAG_ID));
    }
    acct.check_tag_name(&name, Some(id))?;
    if let Some(tag) = acct.tags.get_mut(&id) {
        tag.name = name;
    }
    ok()
}

async fn delete_tag(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<TagBody>,
) -> WxResult {
    let t = b.tag.ok_or_else(|| WxError::new(code::INVALID_TAG_ID))?;
    let id = tag_id(t.id.as_ref())?;
    if id <= 2 {
        return Err(WxError::new(code::RESERVED_TAG));
    }
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    if !acct.tags.contains_key(&id) {
        return Err(WxError::new(code::INVALID_TAG_ID));
    }
    if acct.tag_fans(id) > DELETE_MAX_FANS {
        return Err(WxError::new(code::TAG_HAS_TOO_MANY_FANS));
    }
    acct.tags.remove(&id);
    for u in acct.users.values_mut() {
        u.tagid_list.retain(|t| *t != id);
    }
    ok()
}

#[derive(Deserialize)]
struct Members {
    openid_list: Option<Vec<String>>,
    tagid: Option<Value>,
}

/// Validates a batch: list size, tag, and that every openid belongs to the account.
fn batch(acct: &MpAccount, b: Members) -> Result<(u32, Vec<OpenId>), WxError> {
    let list = b.openid_list.unwrap_or_default();
    if list.is_empty() || list.len() > BATCH_MAX {
        return Err(WxError::new(code::INVALID_OPENID_LIST_SIZE));
    }
    let id = tag_id(b.tagid.as_ref())?;
    if !acct.tags.contains_key(&id) {
        return Err(WxError::new(code::INVALID_TAG_ID));
    }
    let ids: Vec<OpenId> = list.into_iter().map(OpenId::from).collect();
    if ids.iter().any(|o| !acct.users.contains_key(o)) {
        return Err(WxError::new(code::INVALID_OPENID));
    }
    Ok((id, ids))
}

async fn tag_users(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<Members>,
) -> WxResult {
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    let (id, ids) = batch(acct, b)?;
    let over_limit = ids.iter().any(|o| {
        acct.users
            .get(o)
            .is_some_and(|u| !u.tagid_list.contains(&id) && u.tagid_list.len() >= USER_TAGS_MAX)
    });
    if over_limit {
        return Err(WxError::new(code::USER_TAG_LIMIT));
    }
    for o in &ids {
        if let Some(u) = acct.users.get_mut(o) {
            if !u.tagid_list.contains(&id) {
                u.tagid_list.push(id);
            }
        }
    }
    ok()
}

async fn untag_users(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<Members>,
) -> WxResult {
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    let (id, ids) = batch(acct, b)?;
    for o in &ids {
        if let Some(u) = acct.users.get_mut(o) {
            u.tagid_list.retain(|t| *t != id);
        }
    }
    ok()
}

#[derive(Deserialize)]
struct OpenIdBody {
    openid: Option<String>,
}

async fn user_tags(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<OpenIdBody>,
) -> WxResult {
    let openid = b
        .openid
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WxError::new(code::OPENID_MISSING))?;
    let st = sb.state();
    let acct = st.mp_account(&appid)?;
    let u = acct
        .user(&openid)
        .ok_or_else(|| WxError::new(code::INVALID_OPENID))?;
    Ok(Json(json!({"tagid_list": u.tagid_list})))
}

#[derive(Deserialize)]
struct TagFollowers {
    tagid: Option<Value>,
    #[serde(default)]
    next_openid: Option<String>,
}

async fn tag_followers(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<TagFollowers>,
) -> WxResult {
    let id = tag_id(b.tagid.as_ref())?;
    let st = sb.state();
    let acct = st.mp_account(&appid)?;
    if !acct.tags.contains_key(&id) {
        return Err(WxError::new(code::INVALID_TAG_ID));
    }
    let start = b.next_openid.filter(|s| !s.is_empty()).map(OpenId::from);
    let page = page_after(acct, start.as_ref(), |u| {
        u.subscribe && u.tagid_list.contains(&id)
    });
    Ok(Json(page_json(None, page)))
}
