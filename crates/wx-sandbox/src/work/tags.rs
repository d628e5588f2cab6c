//! WeCom tags: `tag/create|update|delete`, `tag/list`, `tag/get`, `tag/addtagusers` and
//! `tag/deltagusers`.
//!
//! Adding or removing members answers the unknown ones as WeCom does: `invalidlist`
//! (`a|b`) and `invalidparty` (`[2, 4]`) beside errcode 0 when some were valid; 40070
//! when none was.

use crate::auth::WorkAuth;
use crate::errors::{ok_with, WxResult};
use crate::extract::{WxJson, WxQuery};
use crate::work::directory::with_corp;
use crate::work::errors::*;
use crate::work::model::{Corp, WorkTag};
use crate::Sandbox;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// WeCom limits one add/remove call to 1,000 members and 100 departments.
const MAX_USERS_PER_CALL: usize = 1000;
const MAX_PARTIES_PER_CALL: usize = 100;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/tag/create", post(create_tag))
        .route("/cgi-bin/tag/update", post(update_tag))
        .route("/cgi-bin/tag/delete", get(delete_tag))
        .route("/cgi-bin/tag/list", get(list_tags))
        .route("/cgi-bin/tag/get", get(get_tag))
        .route("/cgi-bin/tag/addtagusers", post(add_tag_users))
        .route("/cgi-bin/tag/deltagusers", post(del_tag_users))
}

fn with_corp_mut<T>(
    sb: &Sandbox,
    auth: &WorkAuth,
    f: impl FnOnce(&mut Corp) -> Result<T, crate::errors::WxError>,
) -> Result<T, crate::errors::WxError> {
    let mut st = sb.state();
    let corp = st
        .work
        .corps
        .get_mut(&auth.corpid)
        .ok_or_else(|| werr(INVALID_CORPID))?;
    f(corp)
}

/// Creates a tag; `None` picks the next free id. Used by the driver too.
pub fn insert_tag(corp: &mut Corp, name: &str, id: Option<u64>) -> Result<u64, i32> {
    if name.is_empty() || name.chars().count() > 32 {
        return Err(INVALID_ARGS);
    }
    if corp.tags.values().any(|t| t.tagname == name) {
        return Err(TAG_NAME_EXISTS);
    }
    let id = match id {
        Some(0) => return Err(INVALID_TAGID),
        Some(id) if corp.tags.contains_key(&id) => return Err(INVALID_TAGID),
        Some(id) => id,
        None => {
            while corp.tags.contains_key(&corp.next_tag_id) {
                corp.next_tag_id += 1;
            }
            corp.next_tag_id
        }
    };
    corp.tags.insert(
        id,
        WorkTag {
            tagid: id,
            tagname: name.to_owned(),
            users: Default::default(),
            parties: Default::default(),
        },
    );
    Ok(id)
}

#[derive(Deserialize)]
struct CreateTag {
    tagname: Option<String>,
    tagid: Option<u64>,
}

async fn create_tag(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxJson(b): WxJson<CreateTag>,
) -> WxResult {
    with_corp_mut(&sb, &auth, |corp| {
        let id =
            insert_tag(corp, b.tagname.as_deref().unwrap_or_default(), b.tagid).map_err(werr)?;
        Ok(axum::Json(
            json!({"errcode": 0, "errmsg": "created", "tagid": id}),
        ))
    })
}

#[derive(Deserialize)]
struct UpdateTag {
    tagid: u64,
    tagname: String,
}

async fn update_tag(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxJson(b): WxJson<UpdateTag>,
) -> WxResult {
    with_corp_mut(&sb, &auth, |corp| {
        if b.tagname.is_empty() || b.tagname.chars().count() > 32 {
            return Err(werr(INVALID_ARGS));
        }
        if corp
            .tags
            .values()
            .any(|t| t.tagname == b.tagname && t.tagid != b.tagid)
        {
            return Err(werr(TAG_NAME_EXISTS));
        }
        let tag = corp
            .tags
            .get_mut(&b.tagid)
            .ok_or_else(|| werr(INVALID_TAGID))?;
        tag.tagname = b.tagname;
        Ok(axum::Json(json!({"errcode": 0, "errmsg": "updated"})))
    })
}

#[derive(Deserialize)]
struct TagIdQuery {
    tagid: Option<u64>,
}

async fn delete_tag(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<TagIdQuery>,
) -> WxResult {
    with_corp_mut(&sb, &auth, |corp| {
        let id = q.tagid.ok_or_else(|| werr(INVALID_TAGID))?;
        corp.tags.remove(&id).ok_or_else(|| werr(INVALID_TAGID))?;
        Ok(axum::Json(json!({"errcode": 0, "errmsg": "deleted"})))
    })
}

async fn list_tags(State(sb): State<Sandbox>, auth: WorkAuth) -> WxResult {
    with_corp(&sb, &auth, |corp| {
        let list: Vec<Value> = corp
            .tags
            .values()
            .map(|t| json!({"tagid": t.tagid, "tagname": t.tagname}))
            .collect();
        ok_with(json!({"taglist": list}))
    })
}

async fn get_tag(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<TagIdQuery>,
) -> WxResult {
    with_corp(&sb, &auth, |corp| {
        let tag = q
            .tagid
            .and_then(|id| corp.tags.get(&id))
            .ok_or_else(|| werr(INVALID_TAGID))?;
        let users: Vec<Value> = tag
            .users
            .iter()
            .filter_map(|u| corp.members.get(u))
            .map(|m| json!({"userid": m.userid, "name": m.name}))
            .collect();
        ok_with(json!({"tagname": tag.tagname, "userlist": users, "partylist": tag.parties}))
    })
}

#[derive(Deserialize)]
struct TagUsers {
    tagid: Option<u64>,
    #[serde(default)]
    userlist: Vec<String>,
    #[serde(default)]
    partylist: Vec<u64>,
}

/// What an add/remove call changed, for the driver's update_tag callback too.
pub struct TagUsersOutcome {
    pub users: Vec<String>,
    pub parties: Vec<u64>,
    pub invalid_users: Vec<String>,
    pub invalid_parties: Vec<u64>,
}

/// Adds (`add`) or removes members and departments; unknown ones are reported, not fatal.
pub fn change_tag_users(
    corp: &mut Corp,
    tagid: u64,
    users: Vec<String>,
    parties: Vec<u64>,
    add: bool,
) -> Result<TagUsersOutcome, i32> {
    if users.len() > MAX_USERS_PER_CALL || parties.len() > MAX_PARTIES_PER_CALL {
        return Err(INVALID_ARGS);
    }
    if !corp.tags.contains_key(&tagid) {
        return Err(INVALID_TAGID);
    }
    let (valid_users, invalid_users): (Vec<String>, Vec<String>) = users
        .into_iter()
        .partition(|u| corp.members.contains_key(u));
    let (valid_parties, invalid_parties): (Vec<u64>, Vec<u64>) = parties
        .into_iter()
        .partition(|p| corp.departments.contains_key(p));
    if valid_users.is_empty() && valid_parties.is_empty() {
        return Err(ALL_LIST_INVALID);
    }
    let tag = corp.tags.get_mut(&tagid).ok_or(INVALID_TAGID)?;
    for u in &valid_users {
        if add {
            tag.users.insert(u.clone());
        } else {
            tag.users.remove(u);
        }
    }
    for p in &valid_parties {
        if add {
            tag.parties.insert(*p);
        } else {
            tag.parties.remove(p);
        }
    }
    Ok(TagUsersOutcome {
        users: valid_users,
        parties: valid_parties,
        invalid_users,
        invalid_parties,
    })
}

/// WeCom answers addtagusers with "ok" and deltagusers with "deleted".
fn tag_users(sb: &Sandbox, auth: &WorkAuth, b: TagUsers, add: bool) -> WxResult {
    with_corp_mut(sb, auth, |corp| {
        let tagid = b.tagid.ok_or_else(|| werr(INVALID_TAGID))?;
        let out = change_tag_users(corp, tagid, b.userlist, b.partylist, add).map_err(werr)?;
        let mut extra = Map::new();
        extra.insert("errcode".into(), json!(0));
        extra.insert("errmsg".into(), json!(if add { "ok" } else { "deleted" }));
        if !out.invalid_users.is_empty() {
            extra.insert("invalidlist".into(), json!(out.invalid_users.join("|")));
        }
        if !out.invalid_parties.is_empty() {
            extra.insert("invalidparty".into(), json!(out.invalid_parties));
        }
        Ok(axum::Json(Value::Object(extra)))
    })
}

async fn add_tag_users(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxJson(b): WxJson<TagUsers>,
) -> WxResult {
    tag_users(&sb, &auth, b, true)
}

async fn del_tag_users(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxJson(b): WxJson<TagUsers>,
) -> WxResult {
    tag_users(&sb, &auth, b, false)
}
