//! `cgi-bin/message/send`: app messages (text, textcard, news, mpnews) to members,
//! departments and tags.
//!
//! - text: `text.content`; textcard: `textcard.title`, `description`, `url` (required),
//!   `btntxt` (optional); news: `news.articles` (1–8, each with `title` and a `url` or a
//!   mini-program `appid`; `description` and `picurl` optional); mpnews: `mpnews.articles`
//!   with `content`.
//! - `touser` at most 1,000 ids (else 40058), `toparty` and `totag` at most 100 (82002,
//!   82003).
//!
//! Receivers are `|`-separated (`touser` also takes `@all`); a department reaches everyone in
//! it and below it, a tag its members and departments. Unknown receivers are answered in
//! `invaliduser` / `invalidparty` / `invalidtag` while the rest still get the message; when
//! nobody valid is left the call fails with 81013. Every reached member finds the message in
//! their inbox (`GET /sandbox/work/corps/{corpid}/members/{userid}/inbox`).

use crate::auth::WorkAuth;
use crate::common::InboxItem;
use crate::errors::{ok_with, WxResult};
use crate::extract::WxJson;
use crate::ids::random_alnum;
use crate::work::errors::*;
use crate::work::model::Corp;
use crate::Sandbox;
use axum::extract::State;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// At most this many articles in a news or mpnews message.
const MAX_ARTICLES: usize = 8;
/// WeCom: `touser` names at most 1,000 members, `toparty` and `totag` at most 100 ids.
/// Over 100 parties answers 82002 and over 100 tags 82003 (documented); WeCom documents
/// no code of its own for over 1,000 users, so the sandbox answers 40058 (invalid
/// parameter) for that.
const MAX_TOUSER: usize = 1000;
const MAX_TOPARTY: usize = 100;
const MAX_TOTAG: usize = 100;

pub fn routes() -> Router<Sandbox> {
    Router::new().route("/cgi-bin/message/send", post(send_message))
}

/// The receivers of one send, split into the members reached and the unknown ids.
#[derive(Debug, Default, PartialEq)]
pub struct Receivers {
    pub reached: BTreeSet<String>,
    pub invalid_users: Vec<String>,
    pub invalid_parties: Vec<String>,
    pub invalid_tags: Vec<String>,
}

fn split(list: Option<&Value>) -> Vec<String> {
    let s = match list {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    s.split('|')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Resolves `touser` / `toparty` / `totag` against the directory. Only active members
/// (status 1) receive: a disabled or not-yet-activated member named in `touser` is
/// reported in `invaliduser`, and is skipped when reached through a department or tag.
pub fn resolve(corp: &Corp, touser: &[String], toparty: &[String], totag: &[String]) -> Receivers {
    let active = |u: &String| corp.members.get(u).is_some_and(|m| m.status == 1);
    let mut r = Receivers::default();
    for u in touser {
        if u == "@all" {
            r.reached
                .extend(corp.members.keys().filter(|u| active(u)).cloned());
        } else if active(u) {
            r.reached.insert(u.clone());
        } else {
            r.invalid_users.push(u.clone());
        }
    }
    for p in toparty {
        match p
            .parse::<u64>()
            .ok()
            .filter(|id| corp.departments.contains_key(id))
        {
            Some(id) => r.reached.extend(
                corp.members_in(id, true)
                    .into_iter()
                    .map(|m| m.userid.clone())
                    .filter(|u| active(u)),
            ),
            None => r.invalid_parties.push(p.clone()),
        }
    }
    for t in totag {
        match t.parse::<u64>().ok().and_then(|id| corp.tags.get(&id)) {
            Some(tag) => r
                .reached
                .extend(corp.tag_reach(tag).into_iter().filter(|u| active(u))),
            None => r.invalid_tags.push(t.clone()),
        }
    }
    r
}

/// Checks the message content by type and returns what lands in the inbox.
fn content(body: &Map<String, Value>) -> Result<(String, Value), i32> {
    let msgtype = body
        .get("msgtype")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let part = |name: &str| body.get(name).and_then(Value::as_object);
    let text = |o: &Map<String, Value>, k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .is_some()
    };
    let c = match msgtype.as_str() {
        "text" => {
            let t = part("text").ok_or(EMPTY_CONTENT)?;
            if !text(t, "content") {
                return Err(EMPTY_CONTENT);
            }
            t
        }
        "textcard" => {
            let t = part("textcard").ok_or(TITLE_MISSING)?;
            if !text(t, "title") {
                return Err(TITLE_MISSING);
            }
            if !text(t, "description") {
                return Err(DESCRIPTION_MISSING);
            }
            if !text(t, "url") {
                return Err(URL_MISSING);
            }
            t
        }
        "news" | "mpnews" => {
            let t = part(&msgtype).ok_or(EMPTY_NEWS)?;
            let articles = t
                .get("articles")
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
                .ok_or(EMPTY_NEWS)?;
            if articles.len() > MAX_ARTICLES {
                return Err(ARTICLE_SIZE);
            }
            for a in articles {
                let a = a.as_object().ok_or(EMPTY_NEWS)?;
                if !text(a, "title") {
                    return Err(TITLE_MISSING);
                }
                // A news article opens a link or a mini-program page.
                if msgtype == "news" && !text(a, "url") && !text(a, "appid") {
                    return Err(URL_MISSING);
                }
                if msgtype == "mpnews" && !text(a, "content") {
                    return Err(EMPTY_CONTENT);
                }
            }
            t
        }
        _ => return Err(INVALID_MESSAGE_TYPE),
    };
    Ok((msgtype, Value::Object(c.clone())))
}

fn agentid_of(v: Option<&Value>) -> Option<u32> {
    match v? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

async fn send_message(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxJson(body): WxJson<Map<String, Value>>,
) -> WxResult {
    let token_agent = auth.agentid.ok_or_else(|| werr(API_FORBIDDEN))?;
    let agentid = match body.get("agentid") {
        None | Some(Value::Null) => return Err(werr(AGENTID_MISSING)),
        v => agentid_of(v).ok_or_else(|| werr(INVALID_AGENTID))?,
    };
    if agentid != token_agent {
        return Err(werr(INVALID_AGENTID));
    }
    let (msgtype, content) = content(&body).map_err(werr)?;
    let (touser, toparty, totag) = (
        split(body.get("touser")),
        split(body.get("toparty")),
        split(body.get("totag")),
    );
    if touser.len() > MAX_TOUSER {
        return Err(werr(INVALID_ARGS));
    }
    if toparty.len() > MAX_TOPARTY {
        return Err(werr(INVALID_PARTY_LIST_SIZE));
    }
    if totag.len() > MAX_TOTAG {
        return Err(werr(INVALID_TAG_LIST_SIZE));
    }
    let now = sb.now();
    let msgid = random_alnum(40);
    let mut st = sb.state();
    let corp = st
        .work
        .corps
        .get_mut(&auth.corpid)
        .ok_or_else(|| werr(INVALID_CORPID))?;
    let r = resolve(corp, &touser, &toparty, &totag);
    if r.reached.is_empty() {
        return Err(werr(ALL_RECEIVERS_INVALID));
    }
    let mut message = json!({"agentid": agentid, "msgtype": msgtype, "msgid": msgid});
    if let Some(o) = message.as_object_mut() {
        o.insert(msgtype.clone(), content);
    }
    for userid in &r.reached {
        if let Some(inbox) = corp.members.inbox_mut(userid) {
            inbox.push(InboxItem {
                kind: "app_message".to_owned(),
                at: now,
                message: message.clone(),
            });
        }
    }
    let mut extra = json!({"invaliduser": r.invalid_users.join("|"), "msgid": msgid});
    if let Some(o) = extra.as_object_mut() {
        if !r.invalid_parties.is_empty() {
            o.insert("invalidparty".into(), json!(r.invalid_parties.join("|")));
        }
        if !r.invalid_tags.is_empty() {
            o.insert("invalidtag".into(), json!(r.invalid_tags.join("|")));
        }
    }
    ok_with(extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_checks_each_type() {
        let m = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert!(content(&m(json!({"msgtype": "text", "text": {"content": "hi"}}))).is_ok());
        assert_eq!(
            content(&m(json!({"msgtype": "text", "text": {"content": ""}}))).err(),
            Some(EMPTY_CONTENT)
        );
        assert_eq!(
            content(&m(
                json!({"msgtype": "textcard", "textcard": {"title": "t", "description": "d"}})
            ))
            .err(),
            Some(URL_MISSING)
        );
        assert!(content(&m(json!({"msgtype": "textcard", "textcard":
            {"title": "t", "description": "d", "url": "https://x", "btntxt": "更多"}})))
        .is_ok());
        assert!(content(&m(json!({"msgtype": "news", "news": {"articles": [
            {"title": "a", "description": "d", "url": "https://x", "picurl": "https://p"}]}})))
        .is_ok());
        assert_eq!(
            content(&m(
                json!({"msgtype": "news", "news": {"articles": [{"title": "a"}]}})
            ))
            .err(),
            Some(URL_MISSING)
        );
        let nine: Vec<Value> = (0..9)
            .map(|_| json!({"title": "a", "url": "https://x"}))
            .collect();
        assert_eq!(
            content(&m(json!({"msgtype": "news", "news": {"articles": nine}}))).err(),
            Some(ARTICLE_SIZE)
        );
        assert_eq!(
            content(&m(
                json!({"msgtype": "mpnews", "mpnews": {"articles": [{"title": "a"}]}})
            ))
            .err(),
            Some(EMPTY_CONTENT)
        );
        assert_eq!(
            content(&m(json!({"msgtype": "voice"}))).err(),
            Some(INVALID_MESSAGE_TYPE)
        );
    }

    #[test]
    fn receivers_split_on_bars() {
        assert_eq!(split(Some(&json!("a| b||c"))), vec!["a", "b", "c"]);
        assert_eq!(split(Some(&json!(3))), vec!["3"]);
        assert!(split(None).is_empty());
    }
}
