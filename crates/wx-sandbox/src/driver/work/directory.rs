//! `/sandbox/work/corps/{corpid}/directory/generate` (a load-test directory, no callbacks)
//! and `/sandbox/work/corps/{corpid}/departments` (create / update / delete one department,
//! each pushing its `change_contact` callback: create_party, update_party, delete_party).

use crate::driver::error::{DJson, DriverError, DriverResult};
use crate::driver::work::api::{
    ChangeResult, CreateDepartment, GenerateDirectory, GeneratedDirectory, UpdateDepartment,
};
use crate::driver::work::corps::corp_mut;
use crate::ids::CorpId;
use crate::work::callback::{change_targets, push_change};
use crate::work::model::{Corp, Department, Member, ROOT_DEPARTMENT};
use crate::Sandbox;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use wx_protocol::inbound::{ContactChange, Party};

const MAX_GENERATED_MEMBERS: u32 = 500_000;
const MAX_GENERATED_DEPARTMENTS: u32 = 20_000;
/// WeCom allows 15 levels of departments.
const MAX_DEPTH: u32 = 15;

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
    let depth = g.depth.clamp(1, MAX_DEPTH) as usize;
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
        corp.departments.insert(
            id,
            Department {
                id,
                name: format!("部门{id}"),
                name_en: format!("dept{id}"),
                parentid: parent,
                order: 100_000_000 - id,
                department_leader: Vec::new(),
            },
        );
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
        corp.members.insert(
            userid.clone(),
            Member {
                userid: userid.clone(),
                name: format!("成员{}", *seq),
                department: vec![dept],
                order: vec![0],
                position: "工程师".to_owned(),
                mobile: format!("138{:08}", *seq % 100_000_000),
                gender: ((i % 2) + 1).to_string(),
                email: format!("{userid}@example.com"),
                is_leader_in_dept: vec![0],
                main_department: dept,
                status: 1,
                alias: String::new(),
                telephone: String::new(),
                avatar: String::new(),
                inbox: Vec::new(),
            },
        );
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
    if g.depth == 0 || g.depth > MAX_DEPTH {
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

fn party(d: &Department) -> Party {
    Party {
        id: d.id,
        name: Some(d.name.clone()),
        parent_id: Some(d.parentid),
        order: Some(d.order),
    }
}

/// Pushes `change` to every app of the corp and wraps the answer.
pub(crate) async fn finish(
    sb: &Sandbox,
    corpid: &str,
    result: Value,
    change: ContactChange,
) -> ChangeResult {
    let corpid = CorpId::from(corpid);
    let targets = {
        let st = sb.state();
        st.work
            .corps
            .get(&corpid)
            .map(change_targets)
            .unwrap_or_default()
    };
    let callbacks = push_change(sb, &corpid, targets, change).await;
    ChangeResult { result, callbacks }
}

async fn create_department(
    State(sb): State<Sandbox>,
    Path(corpid): Path<String>,
    DJson(req): DJson<CreateDepartment>,
) -> DriverResult<(StatusCode, Json<ChangeResult>)> {
    if req.name.is_empty() || req.name.chars().count() > 64 {
        return Err(DriverError::Invalid("name must be 1–64 characters".into()));
    }
    let d = {
        let mut st = sb.state();
        let corp = corp_mut(&mut st, &corpid)?;
        if !corp.departments.contains_key(&req.parentid) {
            return Err(DriverError::NotFound("parent department"));
        }
        let id = match req.id {
            Some(id) if id <= ROOT_DEPARTMENT || corp.departments.contains_key(&id) => {
                return Err(DriverError::Conflict(format!("department {id} exists")));
            }
            Some(id) => id,
            None => {
                while corp.departments.contains_key(&corp.next_department_id) {
                    corp.next_department_id += 1;
                }
                corp.next_department_id
            }
        };
        let d = Department {
            id,
            name: req.name,
            name_en: String::new(),
            parentid: req.parentid,
            order: req.order.unwrap_or(0),
            department_leader: Vec::new(),
        };
        corp.departments.insert(id, d.clone());
        d
    };
    let r = finish(
        &sb,
        &corpid,
        d.to_json(),
        ContactChange::CreateParty(party(&d)),
    )
    .await;
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
        if let Some(p) = req.parentid {
            if !corp.departments.contains_key(&p) {
                return Err(DriverError::NotFound("parent department"));
            }
            if id == ROOT_DEPARTMENT || corp.subtree(id).contains(&p) {
                return Err(DriverError::Invalid(
                    "a department can't move under itself".into(),
                ));
            }
        }
        let d = corp
            .departments
            .get_mut(&id)
            .ok_or(DriverError::NotFound("department"))?;
        // update_party carries the id plus only what changed.
        let mut change = Party {
            id,
            ..Party::default()
        };
        if let Some(n) = req.name.filter(|n| *n != d.name) {
            d.name = n.clone();
            change.name = Some(n);
        }
        if let Some(p) = req.parentid.filter(|p| *p != d.parentid) {
            d.parentid = p;
            change.parent_id = Some(p);
        }
        if let Some(o) = req.order.filter(|o| *o != d.order) {
            d.order = o;
            change.order = Some(o);
        }
        (d.clone(), change)
    };
    let r = finish(
        &sb,
        &corpid,
        d.to_json(),
        ContactChange::UpdateParty(change),
    )
    .await;
    Ok(Json(r))
}

async fn delete_department(
    State(sb): State<Sandbox>,
    Path((corpid, id)): Path<(String, u64)>,
) -> DriverResult<Json<ChangeResult>> {
    {
        let mut st = sb.state();
        let corp = corp_mut(&mut st, &corpid)?;
        if !corp.departments.contains_key(&id) {
            return Err(DriverError::NotFound("department"));
        }
        // WeCom refuses to delete the root, a department with sub-departments, or one with
        // members.
        if id == ROOT_DEPARTMENT
            || corp.subtree(id).len() > 1
            || !corp.members_in(id, false).is_empty()
        {
            return Err(DriverError::Conflict(
                "only an empty leaf department can be deleted".into(),
            ));
        }
        corp.departments.remove(&id);
        for t in corp.tags.values_mut() {
            t.parties.remove(&id);
        }
    }
    let r = finish(
        &sb,
        &corpid,
        json!({"id": id}),
        ContactChange::DeleteParty { id },
    )
    .await;
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
                id = c.departments[&id].parentid;
                d += 1;
            }
            d
        };
        let max = c.departments.keys().map(|id| depth_of(*id)).max();
        assert_eq!(max, Some(3));
        assert_eq!(c.members_in(ROOT_DEPARTMENT, true).len(), 100);
    }
}
