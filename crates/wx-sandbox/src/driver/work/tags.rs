//! `/sandbox/work/corps/{corpid}/tags…`: create a tag, and add or remove its members and
//! departments as an administrator would (pushing `update_tag` with the changed items).

use crate::driver::error::{DJson, DriverError, DriverResult};
use crate::driver::work::api::{ChangeResult, ChangeTagMembers, CreateTag};
use crate::driver::work::corps::corp_mut;
use crate::driver::work::directory::finish;
use crate::work::model::Corp;
use crate::work::tags::{change_tag_users, insert_tag};
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use wx_protocol::inbound::{ContactChange, TagChange};

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/sandbox/work/corps/{corpid}/tags", post(create_tag))
        .route(
            "/sandbox/work/corps/{corpid}/tags/{tagid}/members",
            post(change_members),
        )
}

async fn create_tag(
    State(sb): State<Sandbox>,
    Path(corpid): Path<String>,
    DJson(req): DJson<CreateTag>,
) -> DriverResult<(StatusCode, Json<serde_json::Value>)> {
    let mut st = sb.state();
    let corp = corp_mut(&mut st, &corpid)?;
    let id = insert_tag(corp, &req.tagname, req.tagid)
        .map_err(|code| DriverError::Conflict(format!("tag refused (WeCom errcode {code})")))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"tagid": id, "tagname": req.tagname})),
    ))
}

/// Applies one direction of the change; an empty or wholly unknown list changes nothing.
fn apply(
    corp: &mut Corp,
    tagid: u64,
    users: Vec<String>,
    parties: Vec<u64>,
    add: bool,
) -> DriverResult<(Vec<String>, Vec<u64>)> {
    if users.is_empty() && parties.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    match change_tag_users(corp, tagid, users, parties, add) {
        Ok(o) => Ok((o.users, o.parties)),
        Err(crate::work::errors::INVALID_TAGID) => Err(DriverError::NotFound("tag")),
        Err(crate::work::errors::ALL_LIST_INVALID) => {
            Err(DriverError::NotFound("member or department"))
        }
        Err(code) => Err(DriverError::Invalid(format!(
            "refused (WeCom errcode {code})"
        ))),
    }
}

async fn change_members(
    State(sb): State<Sandbox>,
    Path((corpid, tagid)): Path<(String, u64)>,
    DJson(req): DJson<ChangeTagMembers>,
) -> DriverResult<Json<ChangeResult>> {
    let change = {
        let mut st = sb.state();
        let corp = corp_mut(&mut st, &corpid)?;
        if !corp.tags.contains_key(&tagid) {
            return Err(DriverError::NotFound("tag"));
        }
        let (add_users, add_parties) = apply(corp, tagid, req.add_users, req.add_parties, true)?;
        let (del_users, del_parties) = apply(corp, tagid, req.del_users, req.del_parties, false)?;
        TagChange {
            tag_id: tagid,
            add_user_items: add_users,
            del_user_items: del_users,
            add_party_items: add_parties,
            del_party_items: del_parties,
        }
    };
    let result = serde_json::to_value(&change).unwrap_or_default();
    let r = finish(&sb, &corpid, result, ContactChange::UpdateTag(change)).await;
    Ok(Json(r))
}
