//! `/sandbox/work/corps/{corpid}/directory/generate` (a load-test directory, no callbacks)
//! and `/sandbox/work/corps/{corpid}/departments` (create / update / delete one department,
//! each pushing its `change_contact` callback: create_party, update_party, delete_party;
//! the same checks and change as WeCom's `department/*`, from [`crate::work::changes`]).

use crate::driver::error::{DJson, DriverError, DriverResult};
use crate::driver::work::api::{
    ChangeResult, CreateDepartment, GenerateDirectory, GeneratedDirectory, UpdateDepartment,
};
use crate::driver::work::corps::corp_mut;
use crate::ids::CorpId;
use crate::work::callback::announce;
use crate::work::changes::{self, ChangeError, DepartmentFields, Refusal, MAX_DEPTH};
use crate::work::model::{Corp, Department, Member, ROOT_DEPARTMENT};
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use wx_protocol::inbound::ContactChange;

const MAX_GENERATED_MEMBERS: u32 = 500_000;
const MAX_GENERATED_DEPARTMENTS: u32 = 20_000;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route(
            "/sandbox/work/corps/{corpid}/directory/generate",
            post(generate),
        )
        .route(
            "/sandbox/work/corps/{corpid}/directory",
            get(show_directory),
        )
        .route(
            "/sandbox/work/corps/{corpid}/departments",
            post(create_department),
        )
        .route(
            "/sandbox/work/corps/{corpid}/departments/{id}",
            patch(update_department).delete(delete_department),
        )
}

/// Departments are spread over `depth` levels round-robin, each under a department of the
/// level above; members are spread over the new departments (or the root when none).
fn generate_into(corp: &mut Corp, g: &GenerateDirectory, seq: &mut u64) -> GeneratedDirectory {
    let depth = (g.depth as usize).clamp(1, MAX_DEPTH);
    let mut levels: Vec<Vec<u64>> = vec![vec![ROOT_DEPARTMENT]];
    let mut created = Vec::with_capacity(g.departments as usize);
    for i in 0..g.departments as usize {
        let level = 1 + i % depth;
        let level = level.min(levels.len());
        let parents = &levels[level - 1];
        let parent = parents[(i / depth) % parents.len()];
        while corp.departments.contains_key(&corp.next_department_id) {
            corp.next_department_id += 1;
        }
        let id = corp.next_department_id;
        corp.departments.insert(Department {
            id,
            name: format!("部门{id}"),
            name_en: format!("dept{id}"),
            parentid: parent,
            order: 100_000_000 - id,
            department_leader: Vec::new(),
        });
        if levels.len() == level {
            levels.push(Vec::new());
        }
        levels[level].push(id);
        created.push(id);
    }
    let homes: Vec<u64> = if created.is_empty() {
        vec![ROOT_DEPARTMENT]
    } else {
        created.clone()
    };
    let (mut first, mut last) = (None, None);
    for i in 0..g.members as usize {
        *seq += 1;
        let userid = format!("m{:07}", *seq);
        let dept = homes[i % homes.len()];
        let mut m = Member::new(userid.clone(), format!("成员{}", *seq), vec![dept]);
        m.position = "工程师".to_owned();
        m.mobile = format!("138{:08}", *seq % 100_000_000);
        m.gender = ((i % 2) + 1).to_string();
        m.email = format!("{userid}@example.com");
        m.telephone = format!("010-{:08}", *seq % 100_000_000);
        m.address = generated_address(*seq);
        corp.members.insert(m);
        first.get_or_insert_with(|| userid.clone());
        last = Some(userid);
    }
    GeneratedDirectory {
        departments_created: g.departments,
        members_created: g.members,
        first_department_id: created.first().copied(),
        first_userid: first,
        last_userid: last,
    }
}

/// A plausible address for generated member `seq`.
fn generated_address(seq: u64) -> String {
    const CITIES: &[(&str, &str)] = &[
        ("北京市海淀区", "中关村大街"),
        ("上海市浦东新区", "世纪大道"),
        ("广东省深圳市南山区", "科技园路"),
        ("浙江省杭州市西湖区", "文三路"),
        ("四川省成都市高新区", "天府大道"),
    ];
    let (city, road) = CITIES[(seq % CITIES.len() as u64) as usize];
    format!("{city}{road}{}号", 1 + seq % 999)
}

async fn generate(
    State(sb): State<Sandbox>,
    Path(corpid): Path<String>,
    DJson(g): DJson<GenerateDirectory>,
) -> DriverResult<(StatusCode, Json<GeneratedDirectory>)> {
    if g.members > MAX_GENERATED_MEMBERS || g.departments > MAX_GENERATED_DEPARTMENTS {
        return Err(DriverError::Invalid(format!(
            "at most {MAX_GENERATED_MEMBERS} members and {MAX_GENERATED_DEPARTMENTS} departments"
        )));
    }
    if g.depth == 0 || g.depth as usize > MAX_DEPTH {
        return Err(DriverError::Invalid(format!(
            "depth must be 1..={MAX_DEPTH}"
        )));
    }
    let mut st = sb.state();
    corp_mut(&mut st, &corpid)?;
    let mut seq = st.seq;
    let out = generate_into(corp_mut(&mut st, &corpid)?, &g, &mut seq);
    st.seq = seq;
    Ok((StatusCode::CREATED, Json(out)))
}

async fn show_directory(
    State(sb): State<Sandbox>,
    Path(corpid): Path<String>,
) -> DriverResult<Json<Value>> {
    let mut st = sb.state();
    let corp = corp_mut(&mut st, &corpid)?;
    let departments: Vec<Value> = corp.departments.values().map(Department::to_json).collect();
    let tags: Vec<Value> = corp
        .tags
        .values()
        .map(|t| json!({"tagid": t.tagid, "tagname": t.tagname, "users": t.users, "parties": t.parties}))
        .collect();
    Ok(Json(json!({
        "departments": departments,
        "members": corp.members.len(),
        "tags": tags,
    })))
}

impl From<ChangeError> for DriverError {
    fn from(e: ChangeError) -> Self {
        match e.refusal {
            Refusal::Invalid(m) => DriverError::Invalid(m),
            Refusal::NotFound(what) => DriverError::NotFound(what),
            Refusal::Conflict(m) => DriverError::Conflict(m),
        }
    }
}

/// Pushes `change` to every app of the corp (and its directory-sync server) and wraps
/// the answer.
pub(crate) async fn finish(
    sb: &Sandbox,
    corpid: &str,
    result: Value,
    change: ContactChange,
) -> ChangeResult {
    let callbacks = announce(sb, &CorpId::from(corpid), change).await;
    ChangeResult { result, callbacks }
}

async fn create_department(
    State(sb): State<Sandbox>,
    Path(corpid): Path<String>,
    DJson(req): DJson<CreateDepartment>,
) -> DriverResult<(StatusCode, Json<ChangeResult>)> {
    let (d, change) = {
        let mut st = sb.state();
        let corp = corp_mut(&mut st, &corpid)?;
        let fields = DepartmentFields {
            id: req.id,
            name: Some(req.name),
            name_en: None,
            parentid: Some(req.parentid),
            order: req.order,
        };
        changes::create_department(corp, fields)?
    };
    let r = finish(&sb, &corpid, d.to_json(), change).await;
    Ok((StatusCode::CREATED, Json(r)))
}

async fn update_department(
    State(sb): State<Sandbox>,
    Path((corpid, id)): Path<(String, u64)>,
    DJson(req): DJson<UpdateDepartment>,
) -> DriverResult<Json<ChangeResult>> {
    let (d, change) = {
        let mut st = sb.state();
        let corp = corp_mut(&mut st, &corpid)?;
        let fields = DepartmentFields {
            id: Some(id),
            name: req.name,
            name_en: None,
            parentid: req.parentid,
            order: req.order,
        };
        changes::update_department(corp, id, fields)?
    };
    let r = finish(&sb, &corpid, d.to_json(), change).await;
    Ok(Json(r))
}

async fn delete_department(
    State(sb): State<Sandbox>,
    Path((corpid, id)): Path<(String, u64)>,
) -> DriverResult<Json<ChangeResult>> {
    let change = {
        let mut st = sb.state();
        changes::delete_department(corp_mut(&mut st, &corpid)?, id)?
    };
    let r = finish(&sb, &corpid, json!({"id": id}), change).await;
    Ok(Json(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tree_respects_depth_and_counts() {
        let mut c = Corp::new(CorpId::from("ww1"), "s".into(), "c".into(), 0);
        let mut seq = 0;
        let out = generate_into(
            &mut c,
            &GenerateDirectory {
                members: 100,
                departments: 12,
                depth: 3,
            },
            &mut seq,
        );
        assert_eq!(out.members_created, 100);
        assert_eq!(c.members.len(), 100);
        assert_eq!(c.departments.len(), 13);
        let depth_of = |mut id: u64| {
            let mut d = 0;
            while id != ROOT_DEPARTMENT {
                id = c
                    .departments
                    .get(&id)
                    .map_or(ROOT_DEPARTMENT, |d| d.parentid);
                d += 1;
            }
            d
        };
        let max = c.departments.keys().map(|id| depth_of(*id)).max();
        assert_eq!(max, Some(3));
        assert_eq!(c.members_in(ROOT_DEPARTMENT, true).len(), 100);
    }
}
