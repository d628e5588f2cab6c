//! `/sandbox/mp/accounts/{appid}/users…`: create simulated users, seed followers, and make a
//! user act (follow, unfollow, scan, send, click). Each action pushes its callback to the
//! account's URL (see `crate::callbacks`) and answers with the decoded passive reply.

use crate::driver::api::{CreateUser, Inbox, SeedResult, SeedUsers, UserView};
use crate::driver::error::{DJson, DriverError, DriverResult};
use crate::ids::{new_openid, new_unionid, AppId, OpenId};
use crate::mp::model::{MpAccount, MpUser};
use crate::state::State as SbState;
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

/// The largest seed batch, so one request can't exhaust memory.
const MAX_SEED: u32 = 1_000_000;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/sandbox/mp/accounts/{appid}/users", post(create_user))
        .route("/sandbox/mp/accounts/{appid}/users/seed", post(seed_users))
        .route(
            "/sandbox/mp/accounts/{appid}/users/{openid}",
            get(show_user),
        )
        .route(
            "/sandbox/mp/accounts/{appid}/users/{openid}/inbox",
            get(show_inbox),
        )
        .route(
            "/sandbox/mp/accounts/{appid}/users/{openid}/template_block",
            post(block_templates),
        )
}

pub(crate) fn user_view(u: &MpUser) -> UserView {
    UserView {
        openid: u.openid.0.clone(),
        unionid: u.unionid.clone(),
        nickname: u.nickname.clone(),
        subscribe: u.subscribe,
        subscribe_time: u.subscribe_time,
        subscribe_scene: u.subscribe_scene.clone(),
        remark: u.remark.clone(),
        tagid_list: u.tagid_list.clone(),
        cs_window_until: u.cs_window_until,
    }
}

pub(crate) fn account_mut<'a>(st: &'a mut SbState, appid: &str) -> DriverResult<&'a mut MpAccount> {
    st.mp
        .get_mut(&AppId::from(appid))
        .ok_or(DriverError::NotFound("account"))
}

fn new_user(seq: u64, req: CreateUser) -> MpUser {
    MpUser {
        openid: new_openid(seq),
        unionid: req.unionid.unwrap_or_else(|| new_unionid(seq)),
        nickname: req.nickname.unwrap_or_else(|| format!("用户{seq}")),
        sex: req.sex.unwrap_or(0),
        language: req.language.unwrap_or_else(|| "zh_CN".to_owned()),
        city: req.city.unwrap_or_default(),
        province: req.province.unwrap_or_default(),
        country: req.country.unwrap_or_else(|| "中国".to_owned()),
        headimgurl: String::new(),
        subscribe: false,
        subscribe_time: 0,
        subscribe_scene: String::new(),
        qr_scene: 0,
        qr_scene_str: String::new(),
        remark: String::new(),
        tagid_list: Vec::new(),
        cs_window_until: 0,
        inbox: Vec::new(),
        blocks_templates: false,
    }
}

async fn create_user(
    State(sb): State<Sandbox>,
    Path(appid): Path<String>,
    DJson(req): DJson<CreateUser>,
) -> DriverResult<(StatusCode, Json<UserView>)> {
    let mut st = sb.state();
    account_mut(&mut st, &appid)?;
    let seq = st.next_seq();
    let user = new_user(seq, req);
    let v = user_view(&user);
    account_mut(&mut st, &appid)?
        .users
        .insert(user.openid.clone(), user);
    Ok((StatusCode::CREATED, Json(v)))
}

/// Users made per turn of the state lock while seeding.
const SEED_CHUNK: u64 = 10_000;

/// Seeds `count` users (followers with `follow`). Their sequence numbers are taken at once;
/// the users are built outside the state lock and inserted a chunk at a time, so a large seed
/// (250,000) neither blocks the simulator's API for long nor holds the users twice in memory.
async fn seed_users(
    State(sb): State<Sandbox>,
    Path(appid): Path<String>,
    DJson(req): DJson<SeedUsers>,
) -> DriverResult<(StatusCode, Json<SeedResult>)> {
    if req.count == 0 || req.count > MAX_SEED {
        return Err(DriverError::Invalid(format!(
            "count must be 1..={MAX_SEED}"
        )));
    }
    let now = sb.now();
    let first = {
        let mut st = sb.state();
        account_mut(&mut st, &appid)?;
        let first = st.seq + 1;
        st.seq += u64::from(req.count);
        first
    };
    let end = first + u64::from(req.count);
    let (mut first_openid, mut last_openid) = (None, None);
    let mut start = first;
    while start < end {
        let stop = (start + SEED_CHUNK).min(end);
        let users: Vec<MpUser> = (start..stop)
            .map(|seq| {
                let mut u = new_user(seq, CreateUser::default());
                if req.follow {
                    u.subscribe = true;
                    u.subscribe_time = now;
                    u.subscribe_scene = "ADD_SCENE_OTHERS".to_owned();
                }
                u
            })
            .collect();
        if first_openid.is_none() {
            first_openid = users.first().map(|u| u.openid.0.clone());
        }
        last_openid = users.last().map(|u| u.openid.0.clone());
        {
            let mut st = sb.state();
            let acct = account_mut(&mut st, &appid)?;
            acct.users
                .extend(users.into_iter().map(|u| (u.openid.clone(), u)));
        }
        start = stop;
        tokio::task::yield_now().await;
    }
    Ok((
        StatusCode::CREATED,
        Json(SeedResult {
            created: req.count,
            first_openid,
            last_openid,
        }),
    ))
}

async fn show_user(
    State(sb): State<Sandbox>,
    Path((appid, openid)): Path<(String, String)>,
) -> DriverResult<Json<UserView>> {
    let mut st = sb.state();
    let acct = account_mut(&mut st, &appid)?;
    let u = acct
        .users
        .get(&OpenId::from(openid))
        .ok_or(DriverError::NotFound("user"))?;
    Ok(Json(user_view(u)))
}

async fn show_inbox(
    State(sb): State<Sandbox>,
    Path((appid, openid)): Path<(String, String)>,
) -> DriverResult<Json<Inbox>> {
    let mut st = sb.state();
    let acct = account_mut(&mut st, &appid)?;
    let u = acct
        .users
        .get(&OpenId::from(openid))
        .ok_or(DriverError::NotFound("user"))?;
    Ok(Json(Inbox {
        items: u.inbox.clone(),
    }))
}

#[derive(serde::Deserialize)]
struct TemplateBlock {
    blocked: bool,
}

/// The user refuses (or accepts again) the account's template messages.
async fn block_templates(
    State(sb): State<Sandbox>,
    Path((appid, openid)): Path<(String, String)>,
    DJson(req): DJson<TemplateBlock>,
) -> DriverResult<Json<UserView>> {
    let mut st = sb.state();
    let acct = account_mut(&mut st, &appid)?;
    let u = acct
        .users
        .get_mut(&OpenId::from(openid))
        .ok_or(DriverError::NotFound("user"))?;
    u.blocks_templates = req.blocked;
    Ok(Json(user_view(u)))
}
