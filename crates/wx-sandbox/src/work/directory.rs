//! The directory, read side: `department/list`, `department/simplelist`, `department/get`,
//! `user/get` (routed through `crate::shared`, as Official Accounts use the same path),
//! `user/list`, `user/simplelist` and `user/list_id`.
//!
//! Any token of the corp reads the whole directory (the sandbox's apps see every member).
//! Apps created after 2022-06-20 (`App::created_after_2022_06_20`) get `user/get` and
//! `user/list` without the sensitive fields (mobile, gender, email, biz_mail, avatar,
//! thumb_avatar, qr_code, address, telephone: absent, not empty); the contacts secret and
//! older apps get them all. Every list costs what it answers: a department's members come
//! from the department index, a subtree from the children index (see `work::model`).

use crate::auth::WorkAuth;
use crate::errors::{ok_with, WxError, WxResult};
use crate::extract::WxQuery;
use crate::work::errors::*;
use crate::work::model::Corp;
use crate::Sandbox;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/department/list", get(list_departments))
        .route("/cgi-bin/department/simplelist", get(list_department_ids))
        .route("/cgi-bin/department/get", get(get_department))
        .route("/cgi-bin/user/list", get(list_members))
        .route("/cgi-bin/user/simplelist", get(list_members_simple))
        .route("/cgi-bin/user/list_id", post(list_member_ids))
}

/// Runs `f` on the token's corp.
pub(crate) fn with_corp<T>(
    sb: &Sandbox,
    auth: &WorkAuth,
    f: impl FnOnce(&Corp) -> Result<T, WxError>,
) -> Result<T, WxError> {
    let st = sb.state();
    let corp = st
        .work
        .corps
        .get(&auth.corpid)
        .ok_or_else(|| werr(INVALID_CORPID))?;
    f(corp)
}

#[derive(Deserialize)]
struct DepartmentQuery {
    id: Option<String>,
}

/// The departments `id` names (all when absent): `id` and its subtree.
fn department_ids(corp: &Corp, id: Option<&str>) -> Result<Vec<u64>, WxError> {
    match id.filter(|s| !s.is_empty()) {
        None => Ok(corp.departments.keys().copied().collect()),
        Some(id) => {
            let id: u64 = id.parse().map_err(|_| werr(INVALID_PARTY))?;
            if !corp.departments.contains_key(&id) {
                return Err(werr(INVALID_PARTY));
            }
            Ok(corp.subtree(id))
        }
    }
}

async fn list_departments(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<DepartmentQuery>,
) -> WxResult {
    with_corp(&sb, &auth, |corp| {
        let list: Vec<Value> = department_ids(corp, q.id.as_deref())?
            .iter()
            .filter_map(|id| corp.departments.get(id))
            .map(|d| d.to_json())
            .collect();
        ok_with(json!({"department": list}))
    })
}

/// `department/simplelist?id=`: `department_id: [{id, parentid, order}]`, `id` and its
/// subtree (every department without `id`).
async fn list_department_ids(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<DepartmentQuery>,
) -> WxResult {
    with_corp(&sb, &auth, |corp| {
        let list: Vec<Value> = department_ids(corp, q.id.as_deref())?
            .iter()
            .filter_map(|id| corp.departments.get(id))
            .map(|d| json!({"id": d.id, "parentid": d.parentid, "order": d.order}))
            .collect();
        ok_with(json!({"department_id": list}))
    })
}

/// `department/get?id=`: one department.
async fn get_department(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<DepartmentQuery>,
) -> WxResult {
    let id =
        q.id.filter(|s| !s.is_empty())
            .ok_or_else(|| werr(PARTY_ID_MISSING))?;
    let id: u64 = id.parse().map_err(|_| werr(INVALID_PARTY))?;
    with_corp(&sb, &auth, |corp| {
        let d = corp
            .departments
            .get(&id)
            .ok_or_else(|| werr(INVALID_PARTY))?;
        ok_with(json!({"department": d.to_json()}))
    })
}

#[derive(Deserialize)]
struct GetMemberQuery {
    userid: Option<String>,
}

/// `cgi-bin/user/get?userid=` with a WeCom token.
pub async fn get_member(sb: Sandbox, auth: WorkAuth, req: Request) -> Response {
    let r: WxResult = (|| {
        let q: GetMemberQuery = parse_query(&req)?;
        let userid = q
            .userid
            .filter(|u| !u.is_empty())
            .ok_or_else(|| werr(USERID_MISSING))?;
        with_corp(&sb, &auth, |corp| {
            let m = corp
                .members
                .get(&userid)
                .ok_or_else(|| werr(USERID_NOT_FOUND))?;
            ok_with(m.to_json_for(corp.sees_sensitive_fields(auth.agentid)))
        })
    })();
    r.into_response()
}

/// The query of a request routed through `crate::shared`.
pub(crate) fn parse_query<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, WxError> {
    axum::extract::Query::<T>::try_from_uri(req.uri())
        .map(|axum::extract::Query(t)| t)
        .map_err(|_| werr(INVALID_ARGS))
}

#[derive(Deserialize)]
struct ListQuery {
    department_id: Option<String>,
    fetch_child: Option<String>,
}

fn list(sb: &Sandbox, auth: &WorkAuth, q: ListQuery, simple: bool) -> WxResult {
    let dept: u64 = q
        .department_id
        .as_deref()
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| werr(INVALID_PARTY))?;
    let fetch_child = matches!(q.fetch_child.as_deref(), Some("1") | Some("true"));
    with_corp(sb, auth, |corp| {
        if !corp.departments.contains_key(&dept) {
            return Err(werr(INVALID_PARTY));
        }
        let sensitive = corp.sees_sensitive_fields(auth.agentid);
        let users: Vec<Value> = corp
            .members_in(dept, fetch_child)
            .into_iter()
            .map(|m| {
                if simple {
                    m.to_simple_json()
                } else {
                    m.to_json_for(sensitive)
                }
            })
            .collect();
        ok_with(json!({"userlist": users}))
    })
}

async fn list_members(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<ListQuery>,
) -> WxResult {
    list(&sb, &auth, q, false)
}

async fn list_members_simple(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<ListQuery>,
) -> WxResult {
    list(&sb, &auth, q, true)
}

/// `user/list_id`: at most this many records when `limit` is absent (WeCom documents
/// only the range; the sandbox's choice).
const DEFAULT_ID_LIMIT: usize = 1000;
const MAX_ID_LIMIT: usize = 10_000;

#[derive(Deserialize, Default)]
struct ListIdBody {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

/// Where a `user/list_id` page starts: a member and the index of its department.
fn parse_cursor(cursor: &str) -> Option<(String, usize)> {
    let bytes = hex::decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (userid, idx) = text.rsplit_once('/')?;
    Some((userid.to_owned(), idx.parse().ok()?))
}

fn make_cursor(userid: &str, idx: usize) -> String {
    hex::encode(format!("{userid}/{idx}"))
}

/// `user/list_id` (POST `{cursor, limit}`): one record per (member, department), by
/// userid then the member's department order, `limit` (1..=10000) records a page;
/// `next_cursor` is empty on the last page. A cursor is opaque; a bad one answers 40058.
async fn list_member_ids(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    body: axum::body::Bytes,
) -> WxResult {
    let b: ListIdBody = if body.iter().all(u8::is_ascii_whitespace) {
        ListIdBody::default()
    } else {
        crate::extract::parse_json(&body)?
    };
    let limit = match b.limit {
        None => DEFAULT_ID_LIMIT,
        Some(l) if (1..=MAX_ID_LIMIT as i64).contains(&l) => l as usize,
        Some(_) => return Err(werr(INVALID_ARGS)),
    };
    let start = match b.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(parse_cursor(c).ok_or_else(|| werr(INVALID_ARGS))?),
    };
    with_corp(&sb, &auth, |corp| {
        let mut out: Vec<Value> = Vec::with_capacity(limit.min(1024));
        let mut next = String::new();
        // Members from the cursor's userid on (inclusive: it may be part-way through).
        let (from, mut skip) = match &start {
            Some((u, i)) => (Some(u.as_str()), *i),
            None => (None, 0),
        };
        let first = from.and_then(|u| corp.members.get(u));
        let rest = corp.members.after(from);
        'outer: for m in first.into_iter().chain(rest) {
            if first.is_none_or(|f| f.userid != m.userid) {
                skip = 0;
            }
            for (i, d) in m.department.iter().enumerate().skip(skip) {
                if out.len() == limit {
                    next = make_cursor(&m.userid, i);
                    break 'outer;
                }
                out.push(json!({"userid": m.userid, "department": d}));
            }
        }
        ok_with(json!({"next_cursor": next, "dept_user": out}))
    })
}
