//! `/sandbox/work/corps/{corpid}/members…`: create, update and delete a member (pushing
//! create_user / update_user / delete_user), show a member and their inbox, and make a
//! member send a text to an app or tap its menu / enter it (an app callback with AgentID;
//! the passive reply lands in the member's inbox).

use crate::callbacks::Target;
use crate::driver::error::{DJson, DriverError, DriverResult};
use crate::driver::work::api::{
    ChangeResult, CreateMember, MemberEvent, MemberMessage, UpdateMember,
};
use crate::driver::work::corps::corp_mut;
use crate::driver::work::directory::finish;
use crate::ids::CorpId;
use crate::work::callback::{push_member_message, text_message};
use crate::work::model::{Corp, Member, ROOT_DEPARTMENT};
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use wx_protocol::inbound::{ContactChange, ContactUser, Event, InboundBody, InboundMessage};

pub fn routes() -> Router<Sandbox> {
    let base = "/sandbox/work/corps/{corpid}/members";
    Router::new()
        .route(base, post(create_member))
        .route(
            &format!("{base}/{{userid}}"),
            get(show_member).patch(update_member).delete(delete_member),
        )
        .route(&format!("{base}/{{userid}}/inbox"), get(show_inbox))
        .route(&format!("{base}/{{userid}}/messages"), post(send_message))
        .route(&format!("{base}/{{userid}}/events"), post(send_event))
}

/// WeCom userids: 1–64 characters of letters, digits and `_-@.`.
fn valid_userid(u: &str) -> bool {
    !u.is_empty()
        && u.len() <= 64
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-@.".contains(c))
}

fn check_departments(corp: &Corp, ids: &[u64]) -> DriverResult<()> {
    if ids.iter().all(|d| corp.departments.contains_key(d)) {
        Ok(())
    } else {
        Err(DriverError::NotFound("department"))
    }
}

/// create_user carries the member's whole profile.
fn full_contact(m: &Member) -> ContactUser {
    ContactUser {
        user_id: m.userid.clone(),
        name: Some(m.name.clone()),
        department: Some(m.department.clone()),
        main_department: Some(m.main_department),
        is_leader_in_dept: Some(m.is_leader_in_dept.clone()),
        position: Some(m.position.clone()),
        mobile: Some(m.mobile.clone()),
        gender: m.gender.parse().ok(),
        email: Some(m.email.clone()),
        status: Some(m.status),
        avatar: Some(m.avatar.clone()),
        alias: Some(m.alias.clone()),
        telephone: Some(m.telephone.clone()),
        ..ContactUser::default()
    }
}

fn gender_ok(g: &str) -> DriverResult<()> {
    if matches!(g, "0" | "1" | "2") {
        Ok(())
    } else {
        Err(DriverError::Invalid(
            "gender must be \"0\", \"1\" or \"2\"".into(),
        ))
    }
}

async fn create_member(
    State(sb): State<Sandbox>,
    Path(corpid): Path<String>,
    DJson(req): DJson<CreateMember>,
) -> DriverResult<(StatusCode, Json<ChangeResult>)> {
    if req.name.is_empty() || req.name.chars().count() > 64 {
        return Err(DriverError::Invalid("name must be 1–64 characters".into()));
    }
    if let Some(g) = &req.gender {
        gender_ok(g)?;
    }
    let m = {
        let mut st = sb.state();
        corp_mut(&mut st, &corpid)?;
        let seq = st.next_seq();
        let corp = corp_mut(&mut st, &corpid)?;
        let userid = req.userid.unwrap_or_else(|| format!("m{seq:07}"));
        if !valid_userid(&userid) {
            return Err(DriverError::Invalid(
                "userid must be 1–64 letters, digits or _-@.".into(),
            ));
        }
        if corp.members.contains_key(&userid) {
            return Err(DriverError::Conflict(format!("member {userid} exists")));
        }
        let department = if req.department.is_empty() {
            vec![ROOT_DEPARTMENT]
        } else {
            req.department
        };
        check_departments(corp, &department)?;
        let m = Member {
            userid: userid.clone(),
            name: req.name,
            order: vec![0; department.len()],
            is_leader_in_dept: vec![0; department.len()],
            main_department: department[0],
            department,
            position: req.position.unwrap_or_default(),
            mobile: req.mobile.unwrap_or_default(),
            gender: req.gender.unwrap_or_else(|| "0".to_owned()),
            email: req.email.unwrap_or_default(),
            status: 1,
            alias: String::new(),
            telephone: String::new(),
            avatar: String::new(),
            inbox: Vec::new(),
        };
        corp.members.insert(userid, m.clone());
        m
    };
    let r = finish(
        &sb,
        &corpid,
        m.to_json(),
        ContactChange::CreateUser(full_contact(&m)),
    )
    .await;
    Ok((StatusCode::CREATED, Json(r)))
}

async fn update_member(
    State(sb): State<Sandbox>,
    Path((corpid, userid)): Path<(String, String)>,
    DJson(req): DJson<UpdateMember>,
) -> DriverResult<Json<ChangeResult>> {
    if let Some(g) = &req.gender {
        gender_ok(g)?;
    }
    let (m, change) = {
        let mut st = sb.state();
        let corp = corp_mut(&mut st, &corpid)?;
        if let Some(d) = &req.department {
            if d.is_empty() {
                return Err(DriverError::Invalid("department must not be empty".into()));
            }
            check_departments(corp, d)?;
        }
        if let Some(n) = &req.new_userid {
            if !valid_userid(n) {
                return Err(DriverError::Invalid("invalid new_userid".into()));
            }
            if *n != userid && corp.members.contains_key(n) {
                return Err(DriverError::Conflict(format!("member {n} exists")));
            }
        }
        let mut m = corp
            .members
            .remove(&userid)
            .ok_or(DriverError::NotFound("member"))?;
        // update_user carries the userid plus only what changed.
        let mut c = ContactUser {
            user_id: userid.clone(),
            ..ContactUser::default()
        };
        if let Some(n) = req.new_userid.filter(|n| *n != userid) {
            m.userid = n.clone();
            c.new_user_id = Some(n);
        }
        if let Some(v) = req.name.filter(|v| *v != m.name) {
            m.name = v.clone();
            c.name = Some(v);
        }
        if let Some(v) = req.department.filter(|v| *v != m.department) {
            m.order = vec![0; v.len()];
            m.is_leader_in_dept = vec![0; v.len()];
            m.main_department = v[0];
            m.department = v.clone();
            c.department = Some(v);
            c.main_department = Some(m.main_department);
            c.is_leader_in_dept = Some(m.is_leader_in_dept.clone());
        }
        if let Some(v) = req.position.filter(|v| *v != m.position) {
            m.position = v.clone();
            c.position = Some(v);
        }
        if let Some(v) = req.mobile.filter(|v| *v != m.mobile) {
            m.mobile = v.clone();
            c.mobile = Some(v);
        }
        if let Some(v) = req.gender.filter(|v| *v != m.gender) {
            c.gender = v.parse().ok();
            m.gender = v;
        }
        if let Some(v) = req.email.filter(|v| *v != m.email) {
            m.email = v.clone();
            c.email = Some(v);
        }
        if let Some(v) = req.status.filter(|v| *v != m.status) {
            m.status = v;
            c.status = Some(v);
        }
        if m.userid != userid {
            for t in corp.tags.values_mut() {
                if t.users.remove(&userid) {
                    t.users.insert(m.userid.clone());
                }
            }
        }
        corp.members.insert(m.userid.clone(), m.clone());
        (m, c)
    };
    let r = finish(&sb, &corpid, m.to_json(), ContactChange::UpdateUser(change)).await;
    Ok(Json(r))
}

async fn delete_member(
    State(sb): State<Sandbox>,
    Path((corpid, userid)): Path<(String, String)>,
) -> DriverResult<Json<ChangeResult>> {
    {
        let mut st = sb.state();
        corp_mut(&mut st, &corpid)?
            .remove_member(&userid)
            .ok_or(DriverError::NotFound("member"))?;
    }
    let r = finish(
        &sb,
        &corpid,
        json!({"userid": userid}),
        ContactChange::DeleteUser {
            user_id: userid.clone(),
        },
    )
    .await;
    Ok(Json(r))
}

async fn show_member(
    State(sb): State<Sandbox>,
    Path((corpid, userid)): Path<(String, String)>,
) -> DriverResult<Json<Value>> {
    let mut st = sb.state();
    let m = corp_mut(&mut st, &corpid)?
        .members
        .get(&userid)
        .ok_or(DriverError::NotFound("member"))?;
    Ok(Json(m.to_json()))
}

async fn show_inbox(
    State(sb): State<Sandbox>,
    Path((corpid, userid)): Path<(String, String)>,
) -> DriverResult<Json<Value>> {
    let mut st = sb.state();
    let m = corp_mut(&mut st, &corpid)?
        .members
        .get(&userid)
        .ok_or(DriverError::NotFound("member"))?;
    Ok(Json(json!({"items": m.inbox})))
}

async fn send_message(
    State(sb): State<Sandbox>,
    Path((corpid, userid)): Path<(String, String)>,
    DJson(req): DJson<MemberMessage>,
) -> DriverResult<Json<Value>> {
    if req.kind != "text" {
        return Err(DriverError::Invalid(
            "only type \"text\" is supported".into(),
        ));
    }
    if req.content.is_empty() {
        return Err(DriverError::Invalid("content must not be empty".into()));
    }
    let now = sb.now();
    let (target, msg) = {
        let mut st = sb.state();
        let seq = st.next_seq();
        let corp = corp_mut(&mut st, &corpid)?;
        if !corp.members.contains_key(&userid) {
            return Err(DriverError::NotFound("member"));
        }
        let app = corp
            .apps
            .get(&req.agentid)
            .ok_or(DriverError::NotFound("app"))?;
        let target = Target::work(corp, app);
        let msg = text_message(&corp.corpid, &userid, req.agentid, req.content, seq, now);
        (target, msg)
    };
    let Some(target) = target else {
        return Ok(Json(json!({"reply": null, "delivery": null})));
    };
    let (reply, delivery) =
        push_member_message(&sb, &CorpId::from(corpid), &userid, target, msg).await;
    Ok(Json(json!({"reply": reply, "delivery": delivery})))
}

async fn send_event(
    State(sb): State<Sandbox>,
    Path((corpid, userid)): Path<(String, String)>,
    DJson(req): DJson<MemberEvent>,
) -> DriverResult<Json<Value>> {
    let event = match req.event.as_str() {
        "click" => Event::Click {
            event_key: req
                .key
                .ok_or_else(|| DriverError::Invalid("click needs a key".into()))?,
        },
        "view" => Event::View {
            event_key: req
                .url
                .ok_or_else(|| DriverError::Invalid("view needs a url".into()))?,
            menu_id: None,
        },
        "enter_agent" => Event::EnterAgent {
            event_key: String::new(),
        },
        _ => {
            return Err(DriverError::Invalid(
                "event must be click, view or enter_agent".into(),
            ))
        }
    };
    let now = sb.now();
    let (target, msg) = {
        let mut st = sb.state();
        let corp = corp_mut(&mut st, &corpid)?;
        if !corp.members.contains_key(&userid) {
            return Err(DriverError::NotFound("member"));
        }
        let app = corp
            .apps
            .get(&req.agentid)
            .ok_or(DriverError::NotFound("app"))?;
        let msg = InboundMessage {
            to_user_name: corp.corpid.0.clone(),
            from_user_name: userid.clone(),
            create_time: now,
            agent_id: Some(req.agentid),
            body: InboundBody::Event(event),
        };
        (Target::work(corp, app), msg)
    };
    let Some(target) = target else {
        return Ok(Json(json!({"reply": null, "delivery": null})));
    };
    let (reply, delivery) =
        push_member_message(&sb, &CorpId::from(corpid), &userid, target, msg).await;
    Ok(Json(json!({"reply": reply, "delivery": delivery})))
}
