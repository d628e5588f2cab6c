//! WeCom callbacks, pushed with the core's pusher (`crate::callbacks::deliver`): always
//! encrypted (WeCom callbacks are safe mode), signed with `msg_signature`, the envelope
//! carrying the CorpID as `ToUserName` and the app's `AgentID`, retried as WeChat does.
//!
//! - Directory changes (`Event = change_contact`, from `sys`) go to every app of the corp
//!   with a callback URL, concurrently; the driver call answers once all are done, with
//!   one delivery report per app.
//! - A member's message to an app goes to that app; its passive reply (encrypted, as WeCom
//!   requires) lands in the member's inbox.

use crate::callbacks::{deliver, new_msg_id, Outcome, Platform, Target};
use crate::common::CallbackMode;
use crate::common::InboxItem;
use crate::ids::CorpId;
use crate::work::model::{App, Corp};
use crate::Sandbox;
use serde_json::{json, Value};
use wx_protocol::inbound::{ContactChange, Event, InboundBody, InboundMessage};

/// Directory-change events come from `sys`.
const SYSTEM_SENDER: &str = "sys";

impl Target {
    /// The target for an app's callbacks, if it has a URL.
    pub fn work(corp: &Corp, app: &App) -> Option<Self> {
        Some(Self {
            platform: Platform::Work,
            url: app.callback_url.clone()?,
            token: app.token.clone(),
            mode: CallbackMode::Safe,
            encoding_aes_key: app.encoding_aes_key.clone(),
            receive_id: corp.corpid.0.clone(),
            to_user_name: corp.corpid.0.clone(),
            agent_id: Some(app.agentid.to_string()),
            openid: None,
        })
    }
}

/// Where directory changes go: every app with a callback URL, then the directory-sync
/// event server if the corp has one (`None` for its agent id). Call under the lock,
/// deliver after it.
pub fn change_targets(corp: &Corp) -> Vec<(Option<u32>, Target)> {
    let mut out: Vec<(Option<u32>, Target)> = corp
        .apps
        .values()
        .filter_map(|a| Target::work(corp, a).map(|t| (Some(a.agentid), t)))
        .collect();
    if let Some(c) = &corp.contacts_callback {
        out.push((
            None,
            Target {
                platform: Platform::Work,
                url: c.url.clone(),
                token: c.token.clone(),
                mode: CallbackMode::Safe,
                encoding_aes_key: c.encoding_aes_key.clone(),
                receive_id: corp.corpid.0.clone(),
                to_user_name: corp.corpid.0.clone(),
                agent_id: None,
                openid: None,
            },
        ));
    }
    out
}

/// The change_contact message for `change`.
pub fn change_message(corpid: &CorpId, change: ContactChange, now: i64) -> InboundMessage {
    InboundMessage {
        to_user_name: corpid.0.clone(),
        from_user_name: SYSTEM_SENDER.to_owned(),
        create_time: now,
        agent_id: None,
        body: InboundBody::Event(Event::ChangeContact(change)),
    }
}

/// Pushes a change to every target (concurrently), records each delivery on the corp and
/// returns the reports, one per target (`agentid` null for the directory-sync server).
/// Never called with the lock held.
pub async fn push_change(
    sb: &Sandbox,
    corpid: &CorpId,
    targets: Vec<(Option<u32>, Target)>,
    change: ContactChange,
) -> Vec<Value> {
    if targets.is_empty() {
        return Vec::new();
    }
    let what = format!("change_contact/{}", change.change_type());
    let xml = change_message(corpid, change, sb.now()).to_xml();
    let deliveries =
        futures::future::join_all(targets.iter().map(|(_, t)| deliver(sb, t, &xml))).await;
    let now = sb.now();
    let reports: Vec<Value> = targets
        .iter()
        .zip(deliveries)
        .map(|((agentid, _), d)| {
            let mut r = d.report(&what, now);
            if let Some(o) = r.as_object_mut() {
                o.insert("agentid".into(), json!(agentid));
            }
            r
        })
        .collect();
    if let Some(corp) = sb.state().work.corps.get_mut(corpid) {
        for r in &reports {
            corp.record_delivery(r.clone());
        }
    }
    reports
}

/// Pushes `change` to everyone the corp's directory changes go to ([`change_targets`]) and
/// returns one delivery report per target. Never called with the lock held.
pub async fn announce(sb: &Sandbox, corpid: &CorpId, change: ContactChange) -> Vec<Value> {
    let targets = {
        let st = sb.state();
        st.work
            .corps
            .get(corpid)
            .map(change_targets)
            .unwrap_or_default()
    };
    push_change(sb, corpid, targets, change).await
}

/// A member's message to an app: delivers it and puts the passive reply in the member's
/// inbox. Returns (reply as JSON, delivery report); `None` when the app has no URL.
pub async fn push_member_message(
    sb: &Sandbox,
    corpid: &CorpId,
    userid: &str,
    target: Target,
    message: InboundMessage,
) -> (Option<Value>, Value) {
    let d = deliver(sb, &target, &message.to_xml()).await;
    let now = sb.now();
    let mut report = d.report(message.msg_type(), now);
    if let (Some(o), Some(a)) = (report.as_object_mut(), message.agent_id) {
        o.insert("agentid".into(), json!(a));
    }
    let reply = d.reply_json();
    let mut st = sb.state();
    if let Some(corp) = st.work.corps.get_mut(corpid) {
        corp.record_delivery(report.clone());
        if let (Outcome::Replied(_), Some(r), Some(inbox)) =
            (&d.outcome, &reply, corp.members.inbox_mut(userid))
        {
            inbox.push(InboxItem {
                kind: "reply".to_owned(),
                at: now,
                message: r.clone(),
            });
        }
    }
    (reply, report)
}

/// A text message from a member to an app.
pub fn text_message(
    corpid: &CorpId,
    userid: &str,
    agentid: u32,
    content: String,
    seq: u64,
    now: i64,
) -> InboundMessage {
    InboundMessage {
        to_user_name: corpid.0.clone(),
        from_user_name: userid.to_owned(),
        create_time: now,
        agent_id: Some(agentid),
        body: InboundBody::Text {
            content,
            msg_id: new_msg_id(seq),
        },
    }
}
