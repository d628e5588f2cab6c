//! `/sandbox/work/corps/{corpid}/members…`: create, update and delete a member (pushing
//! create_user / update_user / delete_user; the same checks and change as WeCom's
//! `user/create|update|delete`, from [`crate::work::changes`]), show a member and their inbox, and make a
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
use crate::work::changes::{self, MemberFields};
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use wx_protocol::inbound::{Event, InboundBody, InboundMessage};

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

async fn create_member(
    State(sb): State<Sandbox>,
    Path(corpid): Path<String>,
    DJson(req): DJson<CreateMember>,
) -> DriverResult<(StatusCode, Json<ChangeResult>)> {
    let (m, change) = {
        let mut st = sb.state();
        corp_mut(&mut st, &corpid)?;
        let seq = st.next_seq();
        let corp = corp_mut(&mut st, &corpid)?;
        let fields = MemberFields {
            userid: Some(req.userid.unwrap_or_else(|| format!("m{seq:07}"))),
            name: Some(req.name),
            department: Some(req.department),
            position: req.position,
            mobile: req.mobile,
            gender: req.gender,
            email: req.email,
            biz_mail: req.biz_mail,
            telephone: req.telephone,
            alias: req.alias,
            address: req.address,
            ..MemberFields::default()
        };
        changes::create_member(corp, fields)?
    };
    let r = finish(&sb, &corpid, m.to_json(), change).await;
    Ok((StatusCode::CREATED, Json(r)))
}

async fn update_member(
    State(sb): State<Sandbox>,
    Path((corpid, userid)): Path<(String, String)>,
    DJson(req): DJson<UpdateMember>,
) -> DriverResult<Json<ChangeResult>> {
    let (m, change) = {
        let mut st = sb.state();
        let corp = corp_mut(&mut st, &corpid)?;
        let fields = MemberFields {
            new_userid: req.new_userid,
            name: req.name,
            department: req.department,
            position: req.position,
            mobile: req.mobile,
            gender: req.gender,
            email: req.email,
            biz_mail: req.biz_mail,
            telephone: req.telephone,
            alias: req.alias,
            address: req.address,
            status: req.status,
            ..MemberFields::default()
        };
        changes::update_member(corp, &userid, fields)?
    };
    let r = finish(&sb, &corpid, m.to_json(), change).await;
    Ok(Json(r))
}

async fn delete_member(
    State(sb): State<Sandbox>,
    Path((corpid, userid)): Path<(String, String)>,
) -> DriverResult<Json<ChangeResult>> {
    let change = {
        let mut st = sb.state();
        changes::delete_member(corp_mut(&mut st, &corpid)?, &userid)?
    };
    let r = finish(&sb, &corpid, json!({"userid": userid}), change).await;
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
