//! The directory, read side: `department/list`, `user/get` (routed through `crate::shared`,
//! as Official Accounts use the same path), `user/list` and `user/simplelist`.
//!
//! Any token of the corp reads the whole directory (the sandbox's apps see every member).

use crate::auth::WorkAuth;
use crate::errors::{ok_with, WxError, WxResult};
use crate::extract::WxQuery;
use crate::work::errors::*;
use crate::work::model::Corp;
use crate::Sandbox;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/cgi-bin/department/list", get(list_departments))
        .route("/cgi-bin/user/list", get(list_members))
        .route("/cgi-bin/user/simplelist", get(list_members_simple))
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

async fn list_departments(
    State(sb): State<Sandbox>,
    auth: WorkAuth,
    WxQuery(q): WxQuery<DepartmentQuery>,
) -> WxResult {
    with_corp(&sb, &auth, |corp| {
        let ids: Vec<u64> = match q.id.as_deref().filter(|s| !s.is_empty()) {
            None => corp.departments.keys().copied().collect(),
            Some(id) => {
                let id: u64 = id.parse().map_err(|_| werr(INVALID_PARTY))?;
                if !corp.departments.contains_key(&id) {
                    return Err(werr(INVALID_PARTY));
                }
                corp.subtree(id)
            }
        };
        let list: Vec<Value> = ids
            .iter()
            .filter_map(|id| corp.departments.get(id))
            .map(|d| d.to_json())
            .collect();
        ok_with(json!({"department": list}))
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
            ok_with(m.to_json())
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
        let users: Vec<Value> = corp
            .members_in(dept, fetch_child)
            .into_iter()
            .map(|m| {
                if simple {
                    m.to_simple_json()
                } else {
                    m.to_json()
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
