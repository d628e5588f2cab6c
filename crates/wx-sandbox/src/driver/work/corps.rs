//! `/sandbox/work/corps`: create, show and change WeCom corps, add and change their apps,
//! and list the callbacks pushed to them.
//!
//! The restrictions WeCom added on 2022-06-20 are set here: an app's
//! `created_after_2022_06_20` (fewer member fields) and `trusted_ips` (at app creation or
//! `PATCH …/apps/{agentid}`), and the contacts secret's `trusted_ips` (at corp creation or
//! `PATCH /sandbox/work/corps/{corpid}`). `trusted_ips: null` in a PATCH removes the list.

use crate::driver::error::{DJson, DriverError, DriverResult};
use crate::driver::work::api::{
    AppView, CorpView, CreateAppRequest, CreateCorp, UpdateApp, UpdateCorp,
};
use crate::ids::CorpId;
use crate::state::State as SbState;
use crate::work::model::{App, ContactsCallback, Corp};
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/sandbox/work/corps", post(create_corp).get(list_corps))
        .route(
            "/sandbox/work/corps/{corpid}",
            get(show_corp).patch(update_corp),
        )
        .route("/sandbox/work/corps/{corpid}/apps", post(create_app))
        .route(
            "/sandbox/work/corps/{corpid}/apps/{agentid}",
            patch(update_app),
        )
        .route(
            "/sandbox/work/corps/{corpid}/callbacks",
            get(list_deliveries),
        )
}

pub(crate) fn corp_mut<'a>(st: &'a mut SbState, corpid: &str) -> DriverResult<&'a mut Corp> {
    st.work
        .corps
        .get_mut(&CorpId::from(corpid))
        .ok_or(DriverError::NotFound("corp"))
}

fn view(st: &SbState, c: &Corp, now: i64) -> CorpView {
    CorpView {
        corpid: c.corpid.0.clone(),
        name: c.name.clone(),
        token_fetches: c.token_fetches,
        token_requests: c.token_requests,
        apps: c
            .apps
            .values()
            .map(|a| AppView {
                agentid: a.agentid,
                name: a.name.clone(),
                callback_url: a.callback_url.clone(),
                access_token: st.tokens.current(&a.token_chain, now).map(|t| t.0),
                created_after_2022_06_20: a.created_after_2022_06_20,
                trusted_ips: a.trusted_ips.clone(),
            })
            .collect(),
        callback_url: c.contacts_callback.as_ref().map(|c| c.url.clone()),
        departments: c.departments.len(),
        members: c.members.len(),
        tags: c.tags.len(),
        contacts_access_token: st.tokens.current(&c.contacts_token_chain, now).map(|t| t.0),
        contacts_trusted_ips: c.contacts_trusted_ips.clone(),
        created_at: c.created_at,
    }
}

fn check_aes_key(key: &str) -> DriverResult<()> {
    if key.is_empty() || wx_protocol::EncodingAesKey::parse(key).is_ok() {
        Ok(())
    } else {
        Err(DriverError::Invalid(
            "encoding_aes_key must be 43 base64 characters".into(),
        ))
    }
}

/// The directory-sync event server from the request: a URL needs a valid key (WeCom
/// callbacks are always encrypted).
fn contacts_callback(
    url: Option<String>,
    token: Option<String>,
    key: Option<String>,
) -> DriverResult<Option<ContactsCallback>> {
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let key = key.unwrap_or_default();
    if key.is_empty() {
        return Err(DriverError::Invalid(
            "WeCom callbacks are always encrypted: a callback_url needs an encoding_aes_key".into(),
        ));
    }
    check_aes_key(&key)?;
    Ok(Some(ContactsCallback {
        url,
        token: token.unwrap_or_default(),
        encoding_aes_key: key,
    }))
}

async fn create_corp(
    State(sb): State<Sandbox>,
    DJson(req): DJson<CreateCorp>,
) -> DriverResult<(StatusCode, Json<CorpView>)> {
    if req.corpid.is_empty() || req.contacts_secret.is_empty() {
        return Err(DriverError::Invalid(
            "corpid and contacts_secret are required".into(),
        ));
    }
    let now = sb.now();
    let mut st = sb.state();
    let corpid = CorpId::from(req.corpid);
    if st.work.corps.contains_key(&corpid) {
        return Err(DriverError::Conflict(format!(
            "corp {corpid} already exists"
        )));
    }
    let name = req.name.unwrap_or_else(|| format!("企业 {corpid}"));
    let mut corp = Corp::new(corpid.clone(), req.contacts_secret, name, now);
    corp.contacts_callback = contacts_callback(req.callback_url, req.token, req.encoding_aes_key)?;
    corp.contacts_trusted_ips = req.trusted_ips;
    let v = view(&st, &corp, now);
    st.work.corps.insert(corpid, corp);
    Ok((StatusCode::CREATED, Json(v)))
}

async fn list_corps(State(sb): State<Sandbox>) -> Json<Value> {
    let now = sb.now();
    let st = sb.state();
    let items: Vec<CorpView> = st.work.corps.values().map(|c| view(&st, c, now)).collect();
    Json(json!({"items": items}))
}

async fn show_corp(
    State(sb): State<Sandbox>,
    Path(corpid): Path<String>,
) -> DriverResult<Json<CorpView>> {
    let now = sb.now();
    let st = sb.state();
    let c = st
        .work
        .corps
        .get(&CorpId::from(corpid))
        .ok_or(DriverError::NotFound("corp"))?;
    Ok(Json(view(&st, c, now)))
}

/// Changes the corp: its name, its contacts secret's trusted IPs.
async fn update_corp(
    State(sb): State<Sandbox>,
    Path(corpid): Path<String>,
    DJson(req): DJson<UpdateCorp>,
) -> DriverResult<Json<CorpView>> {
    let now = sb.now();
    let mut st = sb.state();
    let corp = corp_mut(&mut st, &corpid)?;
    if let Some(n) = req.name.filter(|n| !n.is_empty()) {
        corp.name = n;
    }
    if let Some(ips) = req.trusted_ips {
        corp.contacts_trusted_ips = ips;
    }
    let corp = st
        .work
        .corps
        .get(&CorpId::from(corpid))
        .ok_or(DriverError::NotFound("corp"))?;
    Ok(Json(view(&st, corp, now)))
}

async fn create_app(
    State(sb): State<Sandbox>,
    Path(corpid): Path<String>,
    DJson(CreateAppRequest {
        app: req,
        restrictions,
    }): DJson<CreateAppRequest>,
) -> DriverResult<(StatusCode, Json<CorpView>)> {
    if req.secret.is_empty() {
        return Err(DriverError::Invalid("secret is required".into()));
    }
    check_aes_key(&req.encoding_aes_key)?;
    let callback_url = req.callback_url.filter(|u| !u.is_empty());
    if callback_url.is_some() && req.encoding_aes_key.is_empty() {
        return Err(DriverError::Invalid(
            "WeCom callbacks are always encrypted: a callback_url needs an encoding_aes_key".into(),
        ));
    }
    let now = sb.now();
    let mut st = sb.state();
    let corp = corp_mut(&mut st, &corpid)?;
    if corp.apps.contains_key(&req.agentid) {
        return Err(DriverError::Conflict(format!(
            "app {} already exists",
            req.agentid
        )));
    }
    if corp.apps.values().any(|a| a.secret == req.secret) || corp.contacts_secret == req.secret {
        return Err(DriverError::Conflict("secret already in use".into()));
    }
    corp.apps.insert(
        req.agentid,
        App {
            agentid: req.agentid,
            name: req.name.unwrap_or_else(|| format!("应用 {}", req.agentid)),
            secret: req.secret,
            token: req.token,
            encoding_aes_key: req.encoding_aes_key,
            callback_url,
            token_chain: Vec::new(),
            agent_ticket: None,
            menu: None,
            created_after_2022_06_20: restrictions.created_after_2022_06_20,
            trusted_ips: restrictions.trusted_ips,
        },
    );
    let corp = st
        .work
        .corps
        .get(&CorpId::from(corpid))
        .ok_or(DriverError::NotFound("corp"))?;
    Ok((StatusCode::CREATED, Json(view(&st, corp, now))))
}

async fn update_app(
    State(sb): State<Sandbox>,
    Path((corpid, agentid)): Path<(String, u32)>,
    DJson(req): DJson<UpdateApp>,
) -> DriverResult<Json<CorpView>> {
    if let Some(k) = &req.encoding_aes_key {
        check_aes_key(k)?;
    }
    let now = sb.now();
    let mut st = sb.state();
    let app = corp_mut(&mut st, &corpid)?
        .apps
        .get_mut(&agentid)
        .ok_or(DriverError::NotFound("app"))?;
    if let Some(u) = req.callback_url {
        app.callback_url = Some(u).filter(|u| !u.is_empty());
    }
    if let Some(t) = req.token {
        app.token = t;
    }
    if let Some(k) = req.encoding_aes_key {
        app.encoding_aes_key = k;
    }
    if let Some(v) = req.created_after_2022_06_20 {
        app.created_after_2022_06_20 = v;
    }
    if let Some(ips) = req.trusted_ips {
        app.trusted_ips = ips;
    }
    let corp = st
        .work
        .corps
        .get(&CorpId::from(corpid))
        .ok_or(DriverError::NotFound("corp"))?;
    Ok(Json(view(&st, corp, now)))
}

async fn list_deliveries(
    State(sb): State<Sandbox>,
    Path(corpid): Path<String>,
) -> DriverResult<Json<Value>> {
    let mut st = sb.state();
    let corp = corp_mut(&mut st, &corpid)?;
    Ok(Json(json!({"items": corp.deliveries})))
}
