//! Template messages: `template/api_set_industry`, `template/get_industry`,
//! `template/api_add_template`, `template/get_all_private_template`,
//! `template/del_private_template` and `message/template/send` (43004 when the user doesn't
//! follow; a TEMPLATESENDJOBFINISH callback follows every accepted send).

use crate::auth::MpAuth;
use crate::common::InboxItem;
use crate::errors::{code, ok, ok_with, WxError, WxResult};
use crate::extract::WxJson;
use crate::ids::random_alnum;
use crate::mp::model::{MpAccount, Template};
use crate::Sandbox;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// WeChat allows 25 private templates per account.
const MAX_TEMPLATES: usize = 25;
/// The industry may change once a month.
const INDUSTRY_CHANGE_INTERVAL: i64 = 30 * 86_400;
/// One message per (openid, client_msg_id) within this window.
const CLIENT_MSG_ID_WINDOW: i64 = 600;
/// WeChat's industry codes run from 1 to 41.
const INDUSTRY_IDS: std::ops::RangeInclusive<u32> = 1..=41;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/template/api_set_industry", post(set_industry))
        .route("/cgi-bin/template/get_industry", get(get_industry))
        .route("/cgi-bin/template/api_add_template", post(add_template))
        .route(
            "/cgi-bin/template/get_all_private_template",
            get(list_templates),
        )
        .route(
            "/cgi-bin/template/del_private_template",
            post(delete_template),
        )
        .route("/cgi-bin/message/template/send", post(send_template))
}

/// Adds a template to the account's private list; 45026 past 25.
pub fn insert_template(
    acct: &mut MpAccount,
    title: String,
    content: String,
    example: String,
) -> Result<String, WxError> {
    if acct.templates.len() >= MAX_TEMPLATES {
        return Err(WxError::new(code::TEMPLATE_SIZE_OUT_OF_LIMIT));
    }
    let (primary, deputy) = acct
        .industry
        .clone()
        .map(|(a, b)| (industry_name(&a), industry_name(&b)))
        .unwrap_or_else(|| ("IT科技".to_owned(), "互联网|电子商务".to_owned()));
    let id = format!("{}-{}", random_alnum(20), random_alnum(22));
    acct.templates.push(Template {
        template_id: id.clone(),
        title,
        primary_industry: primary,
        deputy_industry: deputy,
        content,
        example,
    });
    Ok(id)
}

fn industry_name(id: &str) -> String {
    match id {
        "1" => "IT科技|互联网/电子商务",
        "2" => "IT科技|IT软件与服务",
        "4" => "IT科技|电子技术",
        _ => "其它|其它",
    }
    .to_owned()
}

#[derive(Deserialize)]
struct SetIndustry {
    industry_id1: Value,
    industry_id2: Value,
}

fn industry_id(v: &Value) -> Option<String> {
    let n: u32 = match v {
        Value::String(s) => s.parse().ok()?,
        Value::Number(n) => u32::try_from(n.as_u64()?).ok()?,
        _ => return None,
    };
    INDUSTRY_IDS.contains(&n).then(|| n.to_string())
}

async fn set_industry(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<SetIndustry>,
) -> WxResult {
    let (Some(a), Some(b)) = (industry_id(&b.industry_id1), industry_id(&b.industry_id2)) else {
        return Err(WxError::new(code::INVALID_INDUSTRY_ID));
    };
    let now = sb.now();
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    if acct
        .industry_set_at
        .is_some_and(|t| now - t < INDUSTRY_CHANGE_INTERVAL)
        && acct.industry.as_ref() != Some(&(a.clone(), b.clone()))
    {
        return Err(WxError::with_msg(
            code::INVALID_INDUSTRY_ID,
            "industry can be changed once a month",
        ));
    }
    acct.industry = Some((a, b));
    acct.industry_set_at = Some(now);
    ok()
}

async fn get_industry(State(sb): State<Sandbox>, MpAuth(appid): MpAuth) -> WxResult {
    let st = sb.state();
    let acct = st.mp_account(&appid)?;
    let (a, b) = acct
        .industry
        .clone()
        .unwrap_or_else(|| ("1".to_owned(), "2".to_owned()));
    let split = |id: &str| {
        let name = industry_name(id);
        let mut parts = name.splitn(2, '|');
        json!({"first_class": parts.next().unwrap_or_default(), "second_class": parts.next().unwrap_or_default()})
    };
    Ok(Json(
        json!({"primary_industry": split(&a), "secondary_industry": split(&b)}),
    ))
}

#[derive(Deserialize)]
struct AddTemplate {
    template_id_short: Option<String>,
}

async fn add_template(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<AddTemplate>,
) -> WxResult {
    let short = b
        .template_id_short
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WxError::new(code::INVALID_TEMPLATE_ID))?;
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    let content =
        "{{first.DATA}}\n项目：{{keyword1.DATA}}\n内容：{{keyword2.DATA}}\n时间：{{keyword3.DATA}}\n{{remark.DATA}}";
    let id = insert_template(
        acct,
        format!("模板{short}"),
        content.to_owned(),
        String::new(),
    )?;
    ok_with(json!({"template_id": id}))
}

async fn list_templates(State(sb): State<Sandbox>, MpAuth(appid): MpAuth) -> WxResult {
    let st = sb.state();
    let acct = st.mp_account(&appid)?;
    let list: Vec<Value> = acct
        .templates
        .iter()
        .map(|t| {
            json!({
                "template_id": t.template_id, "title": t.title,
                "primary_industry": t.primary_industry, "deputy_industry": t.deputy_industry,
                "content": t.content, "example": t.example,
            })
        })
        .collect();
    Ok(Json(json!({"template_list": list})))
}

#[derive(Deserialize)]
struct DeleteTemplate {
    template_id: Option<String>,
}

async fn delete_template(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<DeleteTemplate>,
) -> WxResult {
    let id = b.template_id.unwrap_or_default();
    let mut st = sb.state();
    let acct = st.mp_account_mut(&appid)?;
    let before = acct.templates.len();
    acct.templates.retain(|t| t.template_id != id);
    if acct.templates.len() == before {
        return Err(WxError::new(code::INVALID_TEMPLATE_ID));
    }
    ok()
}

#[derive(Deserialize)]
struct SendTemplate {
    touser: Option<String>,
    template_id: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    miniprogram: Option<Value>,
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    client_msg_id: Option<String>,
}

/// Fills `{{name.DATA}}` placeholders from `data.name.value`.
fn render(content: &str, data: &Value) -> String {
    let mut out = content.to_owned();
    if let Some(obj) = data.as_object() {
        for (k, v) in obj {
            let value = v.get("value").and_then(Value::as_str).unwrap_or_default();
            out = out.replace(&format!("{{{{{k}.DATA}}}}"), value);
        }
    }
    out
}

async fn send_template(
    State(sb): State<Sandbox>,
    MpAuth(appid): MpAuth,
    WxJson(b): WxJson<SendTemplate>,
) -> WxResult {
    let touser = b
        .touser
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WxError::new(code::OPENID_MISSING))?;
    let template_id = b.template_id.unwrap_or_default();
    let data = b.data.unwrap_or_else(|| json!({}));
    if !data.is_object() {
        return Err(WxError::new(code::DATA_FORMAT_ERROR));
    }
    let now = sb.now();
    let mut st = sb.state();
    let msgid = 200_000_000 + st.next_seq();
    let acct = st.mp_account_mut(&appid)?;
    let dedup_key = b
        .client_msg_id
        .as_ref()
        .filter(|c| !c.is_empty())
        .map(|c| format!("{touser}\u{0}{c}"));
    if let Some(k) = &dedup_key {
        acct.template_dedup
            .retain(|_, (_, at)| now - *at < CLIENT_MSG_ID_WINDOW);
        if let Some((first, _)) = acct.template_dedup.get(k) {
            return ok_with(json!({"msgid": first}));
        }
    }
    let template = acct
        .templates
        .iter()
        .find(|t| t.template_id == template_id)
        .cloned()
        .ok_or_else(|| WxError::new(code::INVALID_TEMPLATE_ID))?;
    let user = acct
        .user_mut(&touser)
        .ok_or_else(|| WxError::new(code::INVALID_OPENID))?;
    if !user.subscribe {
        return Err(WxError::new(code::REQUIRE_SUBSCRIBE));
    }
    let blocked = user.blocks_templates;
    if !blocked {
        user.inbox.push(InboxItem {
            kind: "template".to_owned(),
            at: now,
            message: json!({
                "msgid": msgid,
                "template_id": template_id,
                "title": template.title,
                "url": b.url,
                "miniprogram": b.miniprogram,
                "data": data,
                "content": render(&template.content, &data),
                "client_msg_id": b.client_msg_id,
            }),
        });
    }
    if let Some(k) = dedup_key {
        acct.template_dedup.insert(k, (msgid, now));
    }
    drop(st);
    crate::callbacks::spawn_job_finished(
        &sb,
        &appid,
        crate::callbacks::JobFinished::Template {
            openid: touser,
            msg_id: msgid,
            status: if blocked {
                "failed:user block".to_owned()
            } else {
                "success".to_owned()
            },
        },
    );
    ok_with(json!({"msgid": msgid}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_placeholders() {
        let data =
            json!({"first": {"value": "你好"}, "remark": {"value": "再见", "color": "#000"}});
        assert_eq!(render("{{first.DATA}}/{{remark.DATA}}", &data), "你好/再见");
    }
}
