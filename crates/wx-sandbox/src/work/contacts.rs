//! The directory, write side: `user/create`, `user/update`, `user/delete?userid=`,
//! `department/create`, `department/update` and `department/delete?id=`.
//!
//! Only the directory-sync secret's token (通讯录同步 secret, `TokenOwner::Work` with no
//! agentid) may write; an app's token answers 60011 (no privilege), as WeCom answers a
//! self-built app without write access to the directory. A write changes the directory
//! through the same operations as the driver ([`crate::work::changes`]) and pushes the
//! same `change_contact` callback to every app with a callback URL and to the
//! directory-sync event server. The push runs in the background (tracked, awaited at
//! shutdown): WeCom answers the API call without waiting for callback receivers.
//!
//! Answers: `{"errcode":0,"errmsg":"created"}` (department/create adds `"id"`),
//! `"updated"`, `"deleted"`; refusals carry WeCom's errcodes (60102 userid existed, 60104
//! mobile existed, 60003 department not found, 60005/60006/60007 on delete, …).

use crate::auth::WorkAuth;
use crate::errors::{WxError, WxResult};
use crate::extract::{WxJson, WxQuery};
use crate::ids::CorpId;
use crate::work::callback::announce;
use crate::work::changes::{self, ChangeError, DepartmentFields, MemberFields};
use crate::work::errors::*;
use crate::work::model::Corp;
use crate::Sandbox;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use wx_protocol::inbound::ContactChange;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/user/create", post(create_user))
        .route("/cgi-bin/user/update", post(update_user))
        .route("/cgi-bin/user/delete", get(delete_user))
        .route("/cgi-bin/department/create", post(create_department))
        .route("/cgi-bin/department/update", post(update_department))
        .route("/cgi-bin/department/delete", get(delete_department))
}

fn werr_of(e: ChangeError) -> WxError {
    werr(e.errcode)
}

/// Runs a directory write for the contacts secret's token, then pushes its change in the
/// background. An app's token answers 60011 before anything is read.
fn write<T>(
    sb: &Sandbox,
    auth: &WorkAuth,
    f: impl FnOnce(&mut Corp) -> Result<(T, ContactChange), ChangeError>,
) -> Result<T, WxError> {
    if auth.agentid.is_some() {
        return Err(werr(NO_PRIVILEGE));
    }
    let (out, change) = {
        let mut st = sb.state();
        let corp = st
            .work
            .corps
            .get_mut(&auth.corpid)
            .ok_or_else(|| werr(INVALID_CORPID))?;
        f(corp).map_err(werr_of)?
    };
    let sb2 = sb.clone();
    let corpid: CorpId = auth.corpid.clone();
    sb.tasks().spawn(async move {
        announce(&sb2, &corpid, change).await;
    });
    Ok(out)
}

fn answer(errmsg: &str, extra: Value) -> WxResult {
    let mut v = json!({"errcode": 0, "errmsg": errmsg});
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), extra) {
        o.extend(e);
    }
    Ok(Json(v))
}

async fn create_user(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxJson(f): WxJson<MemberFields>,
) -> WxResult {
    write(&sb, &auth, |corp| {
        if f.userid.as_deref().is_none_or(str::is_empty) {
            return Err(ChangeError {
                errcode: USERID_MISSING,
                refusal: changes::Refusal::Invalid("userid is required".into()),
            });
        }
        // WeCom: mobile and email can't both be empty on user/create.
        let blank = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
        if blank(&f.mobile) && blank(&f.email) {
            return Err(ChangeError {
                errcode: MOBILE_AND_EMAIL_EMPTY,
                refusal: changes::Refusal::Invalid("mobile or email is required".into()),
            });
        }
        let f = MemberFields {
            new_userid: None,
            status: None,
            ..f
        };
        changes::create_member(corp, f).map(|(_, c)| ((), c))
    })?;
    answer("created", json!({}))
}

async fn update_user(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxJson(f): WxJson<MemberFields>,
) -> WxResult {
    write(&sb, &auth, |corp| {
        let userid = f
            .userid
            .clone()
            .filter(|u| !u.is_empty())
            .ok_or(ChangeError {
                errcode: USERID_MISSING,
                refusal: changes::Refusal::Invalid("userid is required".into()),
            })?;
        let f = MemberFields { status: None, ..f };
        changes::update_member(corp, &userid, f).map(|(_, c)| ((), c))
    })?;
    answer("updated", json!({}))
}

#[derive(Deserialize)]
struct UseridQuery {
    userid: Option<String>,
}

async fn delete_user(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<UseridQuery>,
) -> WxResult {
    let userid = q.userid.filter(|u| !u.is_empty());
    write(&sb, &auth, |corp| {
        let userid = userid.ok_or(ChangeError {
            errcode: USERID_MISSING,
            refusal: changes::Refusal::Invalid("userid is required".into()),
        })?;
        changes::delete_member(corp, &userid).map(|c| ((), c))
    })?;
    answer("deleted", json!({}))
}

async fn create_department(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxJson(f): WxJson<DepartmentFields>,
) -> WxResult {
    let d = write(&sb, &auth, |corp| {
        // WeCom requires parentid on department/create.
        if f.parentid.is_none() {
            return Err(ChangeError {
                errcode: PARENT_DEPARTMENT_NOT_FOUND,
                refusal: changes::Refusal::NotFound("parent department"),
            });
        }
        changes::create_department(corp, f)
    })?;
    answer("created", json!({"id": d.id}))
}

async fn update_department(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxJson(f): WxJson<DepartmentFields>,
) -> WxResult {
    write(&sb, &auth, |corp| {
        let id = f.id.ok_or(ChangeError {
            errcode: PARTY_ID_MISSING,
            refusal: changes::Refusal::Invalid("id is required".into()),
        })?;
        changes::update_department(corp, id, f).map(|(_, c)| ((), c))
    })?;
    answer("updated", json!({}))
}

#[derive(Deserialize)]
struct IdQuery {
    id: Option<String>,
}

async fn delete_department(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<IdQuery>,
) -> WxResult {
    let id = q.id.filter(|s| !s.is_empty());
    write(&sb, &auth, |corp| {
        let id: u64 = id
            .ok_or(ChangeError {
                errcode: PARTY_ID_MISSING,
                refusal: changes::Refusal::Invalid("id is required".into()),
            })?
            .parse()
            .map_err(|_| ChangeError {
                errcode: INVALID_PARTY,
                refusal: changes::Refusal::Invalid("id is not a number".into()),
            })?;
        changes::delete_department(corp, id).map(|c| ((), c))
    })?;
    answer("deleted", json!({}))
}
