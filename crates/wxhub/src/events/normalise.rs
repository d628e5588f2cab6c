//! From a parsed callback to what is stored: the normalised type, the dedup key, the QR
//! source and the normalised JSON payload.
//!
//! **Dedup key.** WeChat retries a callback with the same bytes, so the key must be equal
//! for a retry and different for any two real events. Messages carry a `MsgId`: `msg:<id>`.
//! Events have none (job-finish events aside), and keys built from FromUserName, CreateTime
//! and Event alone silently drop real events — two menu clicks in one second, a contact change
//! of two members. So an event's key is `evt:<from>:<create_time>:<event>:<event_key>`,
//! then the explicit discriminators (`ChangeType` and the member/department/tag id of a
//! WeCom contact change, `MsgID` of a job-finish event) and, last, a hash of every parsed
//! field: two events differ in their key exactly when they differ in content.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use wx_protocol::{ContactChange, Event, InboundBody, InboundMessage, ScanTrigger};

use super::model::{EventId, NewEvent};
use crate::accounts::model::AccountId;
use crate::identity::model::FollowerChange;

/// `text`, `image` …, events by lower-cased Event name, contact changes as
/// `change_contact.<change_type>`.
pub fn event_type(message: &InboundMessage) -> String {
    match &message.body {
        InboundBody::Event(Event::ChangeContact(change)) => {
            format!("change_contact.{}", change.change_type())
        }
        InboundBody::Event(event) => event.name().to_ascii_lowercase(),
        other => other.msg_type().to_ascii_lowercase(),
    }
}

/// The event-aware dedup key (see the module docs).
pub fn dedup_key(message: &InboundMessage) -> String {
    let event = match &message.body {
        InboundBody::Event(event) => event,
        _ => {
            if let Some(id) = message.msg_id() {
                return format!("msg:{id}");
            }
            return format!(
                "raw:{}:{}:{}",
                message.from_user_name,
                message.create_time,
                content_hash(message)
            );
        }
    };
    let mut key = format!(
        "evt:{}:{}:{}:{}",
        message.from_user_name,
        message.create_time,
        event.name().to_ascii_lowercase(),
        event.event_key().unwrap_or("")
    );
    if let Event::ChangeContact(change) = event {
        key.push(':');
        key.push_str(change.change_type());
        key.push(':');
        key.push_str(&contact_subject(change));
    }
    if let Some(id) = event.msg_id() {
        key.push_str(&format!(":{id}"));
    }
    key.push(':');
    key.push_str(&content_hash(message));
    key
}

fn contact_subject(change: &ContactChange) -> String {
    match change {
        ContactChange::CreateUser(u) | ContactChange::UpdateUser(u) => u.user_id.clone(),
        ContactChange::DeleteUser { user_id } => user_id.clone(),
        ContactChange::CreateParty(p) | ContactChange::UpdateParty(p) => p.id.to_string(),
        ContactChange::DeleteParty { id } => id.to_string(),
        ContactChange::UpdateTag(t) => t.tag_id.to_string(),
        ContactChange::Other { .. } => String::new(),
    }
}

/// 16 hex digits of SHA-256 over the parsed message as JSON: equal for a retry's identical
/// bytes, different as soon as any field differs.
fn content_hash(message: &InboundMessage) -> String {
    let json = serde_json::to_vec(message).unwrap_or_default();
    let digest = Sha256::digest(&json);
    hex::encode(&digest[..8])
}

/// The normalised event, ready for the batch writer.
pub fn new_event(
    account: &AccountId,
    message: &InboundMessage,
    received_at: DateTime<Utc>,
) -> NewEvent {
    let event_id = EventId::generate();
    let event_type = event_type(message);
    let scan = message.event().and_then(Event::scan_info);
    let qr_source = scan.as_ref().map(|s| s.scene.source);
    let mut payload = Map::new();
    payload.insert("event_id".into(), Value::String(event_id.to_string()));
    payload.insert("account".into(), Value::String(account.to_string()));
    payload.insert("type".into(), Value::String(event_type.clone()));
    payload.insert(
        "received_at".into(),
        Value::String(received_at.to_rfc3339_opts(SecondsFormat::Millis, true)),
    );
    payload.insert(
        "openid".into(),
        Value::String(message.from_user_name.clone()),
    );
    payload.insert(
        "to_user_name".into(),
        Value::String(message.to_user_name.clone()),
    );
    payload.insert("create_time".into(), Value::from(message.create_time));
    if let Some(agent) = message.agent_id {
        payload.insert("agent_id".into(), Value::from(agent));
    }
    if let Ok(Value::Object(fields)) = serde_json::to_value(&message.body) {
        for (k, v) in fields {
            match k.as_str() {
                "msg_type" => {
                    payload.insert("msg_type".into(), v);
                }
                "event" => {
                    // The event's name as WeChat spelled it; `type` is the normalised one.
                    payload.insert("event".into(), Value::String(event_name(message)));
                }
                _ => {
                    payload.entry(k).or_insert(v);
                }
            }
        }
    }
    if let Some(scan) = scan {
        payload.insert("scancode".into(), Value::String(scan.scancode));
        payload.insert("source".into(), Value::from(scan.scene.source));
        payload.insert("srcvalue".into(), Value::String(scan.scene.value));
        let trigger = match scan.trigger {
            ScanTrigger::Subscribe => "subscribe",
            ScanTrigger::Scan => "scan",
        };
        payload.insert("trigger".into(), Value::String(trigger.into()));
    }
    NewEvent {
        event_id,
        account: account.clone(),
        event_type,
        dedup_key: dedup_key(message),
        received_at,
        qr_source,
        payload: Value::Object(payload),
        follower: follower_change(account, message, qr_source, received_at),
        contact_rereads: crate::contacts::model::rereads_for(account, message, received_at),
    }
}

/// Follow and unfollow change the follower record.
fn follower_change(
    account: &AccountId,
    message: &InboundMessage,
    qr_source: Option<u8>,
    at: DateTime<Utc>,
) -> Option<FollowerChange> {
    match message.event()? {
        Event::Subscribe { scene, .. } => Some(FollowerChange::Followed {
            account: account.clone(),
            openid: message.from_user_name.clone(),
            at,
            scene: if scene.is_some() { "qr_scene" } else { "plain" }.to_owned(),
            qr_source,
            qr_scene: scene.as_ref().map(|s| s.scene().to_owned()),
        }),
        Event::Unsubscribe => Some(FollowerChange::Unfollowed {
            account: account.clone(),
            openid: message.from_user_name.clone(),
            at,
        }),
        _ => None,
    }
}

fn event_name(message: &InboundMessage) -> String {
    message.event_name().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wx_protocol::inbound::{ContactUser, MsgId};
    use wx_protocol::qrscene::QrEventKey;

    fn msg(body: InboundBody) -> InboundMessage {
        InboundMessage {
            to_user_name: "gh_1".into(),
            from_user_name: "o_user".into(),
            create_time: 1_700_000_000,
            agent_id: None,
            body,
        }
    }

    fn click(key: &str) -> InboundMessage {
        msg(InboundBody::Event(Event::Click {
            event_key: key.into(),
        }))
    }

    fn account() -> AccountId {
        AccountId::parse("demo-mp").expect("id")
    }

    #[test]
    fn messages_dedup_on_msg_id() {
        let a = msg(InboundBody::Text {
            content: "hi".into(),
            msg_id: MsgId(42),
        });
        assert_eq!(dedup_key(&a), "msg:42");
        assert_eq!(event_type(&a), "text");
    }

    #[test]
    fn two_clicks_in_one_second_are_two_events_and_a_retry_is_one() {
        assert_ne!(dedup_key(&click("A")), dedup_key(&click("B")));
        assert_eq!(dedup_key(&click("A")), dedup_key(&click("A")));
        assert_eq!(event_type(&click("A")), "click");
    }

    #[test]
    fn contact_changes_of_two_members_in_one_second_differ() {
        let user = |id: &str| {
            msg(InboundBody::Event(Event::ChangeContact(
                ContactChange::UpdateUser(ContactUser {
                    user_id: id.into(),
                    ..Default::default()
                }),
            )))
        };
        assert_ne!(dedup_key(&user("zhangsan")), dedup_key(&user("lisi")));
        assert_eq!(event_type(&user("lisi")), "change_contact.update_user");
    }

    #[test]
    fn template_job_finish_keys_on_msg_id() {
        let job = |id| {
            msg(InboundBody::Event(Event::TemplateSendJobFinish {
                msg_id: MsgId(id),
                status: "success".into(),
            }))
        };
        assert_ne!(dedup_key(&job(1)), dedup_key(&job(2)));
        assert!(dedup_key(&job(7)).contains(":7:"));
        assert_eq!(event_type(&job(1)), "templatesendjobfinish");
    }

    #[test]
    fn plain_follow_is_published_as_source_zero() {
        let e = new_event(
            &account(),
            &msg(InboundBody::Event(Event::Subscribe {
                scene: None,
                ticket: None,
            })),
            Utc::now(),
        );
        assert_eq!(e.qr_source, Some(0));
        assert_eq!(e.payload["source"], 0);
        assert_eq!(e.payload["scancode"], "0");
        assert_eq!(e.payload["srcvalue"], "0");
        assert_eq!(e.payload["trigger"], "subscribe");
        assert_eq!(e.payload["openid"], "o_user");
        assert_eq!(e.payload["type"], "subscribe");
        assert_eq!(e.payload["event_id"], e.event_id.as_str());
    }

    #[test]
    fn scan_of_a_callers_code_decodes_source_and_value() {
        let scene = wx_protocol::encode_numeric_scene(
            wx_protocol::QrSource::new(3).expect("source"),
            wx_protocol::SceneValue::new(12_345).expect("value"),
        );
        let e = new_event(
            &account(),
            &msg(InboundBody::Event(Event::Subscribe {
                scene: Some(QrEventKey::from_raw(format!("qrscene_{scene}"))),
                ticket: Some("t".into()),
            })),
            Utc::now(),
        );
        assert_eq!(e.qr_source, Some(3));
        assert_eq!(e.payload["srcvalue"], "12345");
        assert_eq!(e.payload["scancode"], scene.to_string());
        let scan = new_event(
            &account(),
            &msg(InboundBody::Event(Event::Scan {
                event_key: scene.to_string(),
                ticket: "t".into(),
            })),
            Utc::now(),
        );
        assert_eq!(scan.payload["trigger"], "scan");
        assert_eq!(scan.payload["source"], 3);
        assert_eq!(scan.payload["type"], "scan");
    }
}
