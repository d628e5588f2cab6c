//! What a simulated user does: follow, unfollow, scan a QR ticket, send a message, tap a
//! menu button, report a location. Each action changes the state (under the lock), then
//! pushes the callback WeChat would send (after the lock), then puts the passive reply — or
//! WeChat's failure notice — in the user's inbox.
//!
//! The 48-hour customer-service window opens on exactly the triggers seed 004 lists that
//! the sandbox can play: a user message, a menu tap of type click / scancode_push /
//! scancode_waitmsg, a subscribe, a QR scan.

use crate::callbacks::{deliver, land_in_inbox, new_msg_id, Target};
use crate::driver::api::{ActionResult, MenuClick, Scan, UserMessage};
use crate::driver::error::{DJson, DriverError, DriverResult};
use crate::driver::users::account_mut;
use crate::ids::{random_alnum, AppId};
use crate::mp::menu::{find_button, menu_for_user};
use crate::mp::model::{Media, MpAccount};
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use wx_protocol::inbound::{
    Event, InboundBody, InboundMessage, ScanCodeInfo, SendLocationInfo, SendPicsInfo,
};
use wx_protocol::QrEventKey;

pub fn routes() -> Router<Sandbox> {
    let base = "/sandbox/mp/accounts/{appid}/users/{openid}";
    Router::new()
        .route(&format!("{base}/follow"), post(follow))
        .route(&format!("{base}/unfollow"), post(unfollow))
        .route(&format!("{base}/scan"), post(scan))
        .route(&format!("{base}/messages"), post(send_message))
        .route(&format!("{base}/menu/click"), post(click_menu))
        .route(&format!("{base}/location"), post(report_location))
}

/// A prepared action: the callback to push (if the account has a URL) and whether its
/// reply reaches the user's chat.
struct Action {
    appid: AppId,
    openid: String,
    target: Option<Target>,
    message: InboundMessage,
    /// False for events after which the user is not in the chat (unsubscribe, VIEW): their
    /// replies and failures never reach the user.
    user_sees_reply: bool,
}

async fn run(sb: &Sandbox, a: Action) -> Json<ActionResult> {
    let Some(target) = a.target else {
        return Json(ActionResult {
            reply: None,
            delivery: None,
        });
    };
    let what = match a.message.event_name() {
        Some(e) => e.to_owned(),
        None => a.message.msg_type().to_owned(),
    };
    let d = deliver(sb, &target, &a.message.to_xml()).await;
    let now = sb.now();
    let report = d.report(&what, now);
    let mut st = sb.state();
    let reply = match st.mp.get_mut(&a.appid) {
        Some(acct) => {
            acct.record_delivery(report.clone());
            if a.user_sees_reply {
                land_in_inbox(acct, &a.openid, &d, now)
            } else {
                None
            }
        }
        None => None,
    };
    Json(ActionResult {
        reply,
        delivery: Some(report),
    })
}

fn message(acct: &MpAccount, openid: &str, now: i64, body: InboundBody) -> InboundMessage {
    InboundMessage {
        to_user_name: acct.original_id.clone(),
        from_user_name: openid.to_owned(),
        create_time: now,
        agent_id: None,
        body,
    }
}

fn action(acct: &MpAccount, openid: &str, msg: InboundMessage, sees: bool) -> Action {
    Action {
        appid: acct.appid.clone(),
        openid: openid.to_owned(),
        target: Target::mp(acct, Some(openid)),
        message: msg,
        user_sees_reply: sees,
    }
}

fn user_exists(acct: &MpAccount, openid: &str) -> DriverResult<()> {
    acct.user(openid)
        .map(|_| ())
        .ok_or(DriverError::NotFound("user"))
}

async fn follow(
    State(sb): State<Sandbox>,
    Path((appid, openid)): Path<(String, String)>,
) -> DriverResult<Json<ActionResult>> {
    let now = sb.now();
    let a = {
        let mut st = sb.state();
        let acct = account_mut(&mut st, &appid)?;
        let u = acct
            .user_mut(&openid)
            .ok_or(DriverError::NotFound("user"))?;
        if u.subscribe {
            return Err(DriverError::Conflict("user already follows".into()));
        }
        u.subscribe = true;
        u.subscribe_time = now;
        u.subscribe_scene = "ADD_SCENE_SEARCH".to_owned();
        u.qr_scene = 0;
        u.qr_scene_str.clear();
        u.open_cs_window(now);
        let body = InboundBody::Event(Event::Subscribe {
            scene: None,
            ticket: None,
        });
        action(acct, &openid, message(acct, &openid, now, body), true)
    };
    Ok(run(&sb, a).await)
}

async fn unfollow(
    State(sb): State<Sandbox>,
    Path((appid, openid)): Path<(String, String)>,
) -> DriverResult<Json<ActionResult>> {
    let now = sb.now();
    let a = {
        let mut st = sb.state();
        let acct = account_mut(&mut st, &appid)?;
        let u = acct
            .user_mut(&openid)
            .ok_or(DriverError::NotFound("user"))?;
        if !u.subscribe {
            return Err(DriverError::Conflict("user does not follow".into()));
        }
        u.subscribe = false;
        u.cs_window_until = 0;
        u.tagid_list.clear();
        let body = InboundBody::Event(Event::Unsubscribe);
        action(acct, &openid, message(acct, &openid, now, body), false)
    };
    Ok(run(&sb, a).await)
}

async fn scan(
    State(sb): State<Sandbox>,
    Path((appid, openid)): Path<(String, String)>,
    DJson(req): DJson<Scan>,
) -> DriverResult<Json<ActionResult>> {
    let now = sb.now();
    let a = {
        let mut st = sb.state();
        let acct = account_mut(&mut st, &appid)?;
        user_exists(acct, &openid)?;
        let qr = acct
            .qrcodes
            .get(&req.ticket)
            .cloned()
            .ok_or(DriverError::NotFound("ticket"))?;
        if qr.expires_at.is_some_and(|t| now >= t) {
            return Err(DriverError::Invalid("the QR code has expired".into()));
        }
        // WeChat reports a scene_id past 32 bits as 4,294,967,295.
        let numeric = qr.scene_id.map(|n| n.min(u64::from(u32::MAX)));
        let scene = match (&qr.scene_str, numeric) {
            (Some(s), _) => s.clone(),
            (None, Some(n)) => n.to_string(),
            (None, None) => String::new(),
        };
        let u = acct
            .user_mut(&openid)
            .ok_or(DriverError::NotFound("user"))?;
        u.open_cs_window(now);
        let event = if u.subscribe {
            Event::Scan {
                event_key: scene,
                ticket: qr.ticket.clone(),
            }
        } else {
            u.subscribe = true;
            u.subscribe_time = now;
            u.subscribe_scene = "ADD_SCENE_QR_CODE".to_owned();
            u.qr_scene = numeric.unwrap_or(0);
            u.qr_scene_str = qr.scene_str.clone().unwrap_or_default();
            Event::Subscribe {
                scene: Some(QrEventKey::for_scene(&scene)),
                ticket: Some(qr.ticket.clone()),
            }
        };
        let body = InboundBody::Event(event);
        action(acct, &openid, message(acct, &openid, now, body), true)
    };
    Ok(run(&sb, a).await)
}

/// A media item for a picture the user sends, so the app can fetch it with `media/get`.
fn user_media(acct: &mut MpAccount, kind: &str, now: i64) -> String {
    let id = format!("{}_{}", random_alnum(32), random_alnum(30));
    let (content_type, data) = match kind {
        "image" => (
            "image/png",
            crate::mp::qrcode::render_png("sandbox image").unwrap_or_default(),
        ),
        _ => ("audio/amr", b"#!AMR\n".to_vec()),
    };
    acct.media.insert(
        id.clone(),
        Media {
            media_type: kind.to_owned(),
            content_type: content_type.to_owned(),
            filename: format!("{kind}.{}", if kind == "image" { "png" } else { "amr" }),
            data,
            created_at: now,
        },
    );
    id
}

async fn send_message(
    State(sb): State<Sandbox>,
    Path((appid, openid)): Path<(String, String)>,
    DJson(req): DJson<UserMessage>,
) -> DriverResult<Json<ActionResult>> {
    let now = sb.now();
    let a = {
        let mut st = sb.state();
        let msg_id = new_msg_id(st.next_seq());
        let acct = account_mut(&mut st, &appid)?;
        let u = acct.user(&openid).ok_or(DriverError::NotFound("user"))?;
        if !u.subscribe {
            return Err(DriverError::Conflict(
                "only a follower can send messages".into(),
            ));
        }
        let body = match req {
            UserMessage::Text { content } => InboundBody::Text { content, msg_id },
            UserMessage::Image { pic_url, media_id } => {
                let media_id = media_id.unwrap_or_else(|| user_media(acct, "image", now));
                InboundBody::Image {
                    pic_url: pic_url.unwrap_or_else(|| {
                        format!("http://mmbiz.qpic.cn/sandbox/{}/0", random_alnum(24))
                    }),
                    media_id,
                    msg_id,
                }
            }
            UserMessage::Voice {
                media_id,
                format,
                recognition,
            } => InboundBody::Voice {
                media_id: media_id.unwrap_or_else(|| user_media(acct, "voice", now)),
                format: format.unwrap_or_else(|| "amr".to_owned()),
                recognition,
                msg_id,
            },
            UserMessage::Location {
                latitude,
                longitude,
                scale,
                label,
            } => InboundBody::Location {
                location_x: latitude,
                location_y: longitude,
                scale: f64::from(scale.unwrap_or(15)),
                label: label.unwrap_or_default(),
                msg_id,
            },
            UserMessage::Link {
                title,
                description,
                url,
            } => InboundBody::Link {
                title,
                description,
                url,
                msg_id,
            },
        };
        if let Some(u) = acct.user_mut(&openid) {
            u.open_cs_window(now);
        }
        action(acct, &openid, message(acct, &openid, now, body), true)
    };
    Ok(run(&sb, a).await)
}

async fn click_menu(
    State(sb): State<Sandbox>,
    Path((appid, openid)): Path<(String, String)>,
    DJson(req): DJson<MenuClick>,
) -> DriverResult<Json<ActionResult>> {
    if req.key.is_none() && req.url.is_none() {
        return Err(DriverError::Invalid("give the button's key or url".into()));
    }
    let now = sb.now();
    let a = {
        let mut st = sb.state();
        let acct = account_mut(&mut st, &appid)?;
        let u = acct.user(&openid).ok_or(DriverError::NotFound("user"))?;
        if !u.subscribe {
            return Err(DriverError::Conflict(
                "only a follower sees the menu".into(),
            ));
        }
        let menu = menu_for_user(acct, u).ok_or(DriverError::NotFound("menu"))?;
        let button = find_button(&menu.button, req.key.as_deref(), req.url.as_deref())
            .ok_or(DriverError::NotFound("button"))?;
        let ty = button
            .get("type")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        let key = button
            .get("key")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        let scan = || ScanCodeInfo {
            scan_type: "qrcode".to_owned(),
            scan_result: req.scan_result.clone().unwrap_or_default(),
        };
        let pics = || SendPicsInfo {
            count: 1,
            pic_md5_sums: vec![random_alnum(32).to_ascii_lowercase()],
        };
        let (event, opens_window, sees) = match ty.as_str() {
            "click" => (Event::Click { event_key: key }, true, true),
            "view" => {
                let url = button
                    .get("url")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                let view = Event::View {
                    event_key: url.to_owned(),
                    menu_id: Some(menu.menuid.to_string()),
                };
                (view, false, false)
            }
            "scancode_push" => (
                Event::ScancodePush {
                    event_key: key,
                    scan_code_info: scan(),
                },
                true,
                true,
            ),
            "scancode_waitmsg" => (
                Event::ScancodeWaitmsg {
                    event_key: key,
                    scan_code_info: scan(),
                },
                true,
                true,
            ),
            "pic_sysphoto" => (
                Event::PicSysphoto {
                    event_key: key,
                    send_pics_info: pics(),
                },
                false,
                true,
            ),
            "pic_photo_or_album" => (
                Event::PicPhotoOrAlbum {
                    event_key: key,
                    send_pics_info: pics(),
                },
                false,
                true,
            ),
            "pic_weixin" => (
                Event::PicWeixin {
                    event_key: key,
                    send_pics_info: pics(),
                },
                false,
                true,
            ),
            "location_select" => (
                Event::LocationSelect {
                    event_key: key,
                    send_location_info: SendLocationInfo {
                        location_x: 23.0,
                        location_y: 113.0,
                        scale: 15.0,
                        label: "广州市海珠区".to_owned(),
                        poiname: String::new(),
                    },
                },
                false,
                true,
            ),
            _ => {
                return Err(DriverError::Invalid(format!(
                    "a {ty} button sends no callback"
                )))
            }
        };
        if opens_window {
            if let Some(u) = acct.user_mut(&openid) {
                u.open_cs_window(now);
            }
        }
        let body = InboundBody::Event(event);
        action(acct, &openid, message(acct, &openid, now, body), sees)
    };
    Ok(run(&sb, a).await)
}

#[derive(Deserialize)]
struct LocationReport {
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    precision: Option<f64>,
}

/// The LOCATION event a follower's client reports on entering the chat. It does not open
/// the customer-service window.
async fn report_location(
    State(sb): State<Sandbox>,
    Path((appid, openid)): Path<(String, String)>,
    DJson(req): DJson<LocationReport>,
) -> DriverResult<Json<ActionResult>> {
    let now = sb.now();
    let a = {
        let mut st = sb.state();
        let acct = account_mut(&mut st, &appid)?;
        let u = acct.user(&openid).ok_or(DriverError::NotFound("user"))?;
        if !u.subscribe {
            return Err(DriverError::Conflict("user does not follow".into()));
        }
        let body = InboundBody::Event(Event::Location {
            latitude: req.latitude,
            longitude: req.longitude,
            precision: req.precision.unwrap_or(65.0),
        });
        action(acct, &openid, message(acct, &openid, now, body), true)
    };
    Ok(run(&sb, a).await)
}
