//! [`DirectoryReads`](crate::store::contact_queries::DirectoryReads) shared by both
//! backends. Ids, orders and levels are BIGINT on PostgreSQL and INTEGER on SQLite, bound as
//! `i64` on both; times go through [`Columns`](crate::store::sql::Columns); lists of ids are
//! `IN (…)` lists built with `QueryBuilder` (its placeholders are each backend's own).
//!
//! How each query stays an index range (migrations 0021 and 0023):
//! - a subtree is `path >= start AND path < end` on `contact_departments_path` (departments)
//!   or `contact_member_departments_path` (members, each member once: the row of its first
//!   department by path, by a `NOT EXISTS` probe on the member's few rows in
//!   `contact_member_departments_user_path`);
//! - children in WeCom's order are a page of keys read from `contact_departments_subtree`
//!   alone (the path range, or for direct children the parentid index, sorted), then the
//!   page's rows and child counts; the cursor is a keyset;
//! - search reads one posting list of `contact_search_grams` in userid order: the query's
//!   own gram when it has one or two characters, its rarest trigram otherwise (each
//!   candidate list counted up to [`RARE_ENOUGH`] rows first), probing the grams table for
//!   up to three more of its trigrams, and checks the fields with `LIKE`, so a page costs
//!   its rows, not the matches.
//!
//! The one dialect difference is the ASCII-only case folding the index uses: SQLite's
//! `lower`, and on PostgreSQL the migration's `contact_search_fold` ([`SearchDialect`]).

use crate::contacts::model::{
    ContactTagId, Department, DepartmentId, DepartmentPath, Gender, Member,
};
use crate::core::CorpUserId;
use crate::store::contact_queries::DepartmentRow;
use crate::store::StoreError;

/// A candidate posting list this short is walked without counting the others.
pub(crate) const RARE_ENOUGH: i64 = 1_000;

/// At most this many of a long query's trigrams are counted to pick the rarest.
pub(crate) const TRIGRAMS_COUNTED: usize = 8;

/// The case folding of the search index, per backend.
pub(crate) trait SearchDialect {
    /// A function folding ASCII letters to lower case and nothing else.
    const FOLD: &'static str;
}

impl SearchDialect for sqlx::Sqlite {
    const FOLD: &'static str = "lower";
}

impl SearchDialect for sqlx::Postgres {
    const FOLD: &'static str = "contact_search_fold";
}

/// The department columns, with `child_count`, of `contact_departments d`.
pub(crate) const DEPARTMENT_COLUMNS: &str =
    "d.id, d.name, d.name_en, d.parentid, d.sort_order, d.path, d.leaders, \
     (SELECT count(*) FROM contact_departments c \
      WHERE c.account_id = d.account_id AND c.parentid = d.id) AS child_count";

/// The member columns of `contact_members m`.
pub(crate) const MEMBER_COLUMNS: &str =
    "m.userid, m.name, m.main_department, m.departments, m.position, m.mobile, m.gender, \
     m.email, m.alias, m.avatar, m.telephone, m.address, m.status";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("contacts {what}"))
}

pub(crate) fn department_id(v: i64, what: &str) -> Result<DepartmentId, StoreError> {
    u64::try_from(v)
        .ok()
        .and_then(|v| DepartmentId::new(v).ok())
        .ok_or_else(|| corrupt(what))
}

pub(crate) fn tag_id(v: i64) -> Result<ContactTagId, StoreError> {
    u64::try_from(v)
        .ok()
        .and_then(|v| ContactTagId::new(v).ok())
        .ok_or_else(|| corrupt("tag id"))
}

pub(crate) fn userid(v: &str) -> Result<CorpUserId, StoreError> {
    CorpUserId::parse(v).map_err(|_| corrupt("userid"))
}

/// A department row's columns, decoded.
pub(crate) struct DepartmentColumns {
    pub id: i64,
    pub name: String,
    pub name_en: String,
    pub parentid: i64,
    pub sort_order: i64,
    pub path: String,
    pub leaders: String,
    pub child_count: i64,
}

impl DepartmentColumns {
    pub(crate) fn into_row(self) -> Result<DepartmentRow, StoreError> {
        let leaders: Vec<String> =
            serde_json::from_str(&self.leaders).map_err(|_| corrupt("department leaders"))?;
        Ok(DepartmentRow {
            department: Department {
                id: department_id(self.id, "department id")?,
                name: self.name,
                name_en: self.name_en,
                parentid: if self.parentid == 0 {
                    None
                } else {
                    Some(department_id(self.parentid, "department parentid")?)
                },
                order: u64::try_from(self.sort_order).map_err(|_| corrupt("department order"))?,
                leaders: leaders
                    .iter()
                    .map(|l| userid(l))
                    .collect::<Result<_, _>>()?,
            },
            path: DepartmentPath::parse(&self.path).ok_or_else(|| corrupt("department path"))?,
            child_count: u64::try_from(self.child_count).unwrap_or(0),
        })
    }
}

/// A member row's columns, decoded.
pub(crate) struct MemberColumns {
    pub userid: String,
    pub name: String,
    pub main_department: i64,
    pub departments: String,
    pub position: String,
    pub mobile: String,
    pub gender: String,
    pub email: String,
    pub alias: String,
    pub avatar: String,
    pub telephone: String,
    pub address: String,
    pub status: i64,
}

impl MemberColumns {
    /// The member, its `order` in each department taken from `orders` (0 when missing).
    pub(crate) fn into_member(
        self,
        orders: &std::collections::HashMap<(String, i64), i64>,
    ) -> Result<Member, StoreError> {
        let ids: Vec<i64> =
            serde_json::from_str(&self.departments).map_err(|_| corrupt("member departments"))?;
        let department = ids
            .iter()
            .map(|&d| department_id(d, "member department"))
            .collect::<Result<Vec<_>, _>>()?;
        let order = ids
            .iter()
            .map(|&d| {
                let o = orders.get(&(self.userid.clone(), d)).copied().unwrap_or(0);
                u64::try_from(o).unwrap_or(0)
            })
            .collect();
        Ok(Member {
            userid: userid(&self.userid)?,
            name: self.name,
            department,
            order,
            main_department: department_id(self.main_department, "member main department")?,
            position: self.position,
            mobile: self.mobile,
            gender: Gender::from_wecom(&self.gender),
            email: self.email,
            alias: self.alias,
            avatar: self.avatar,
            telephone: self.telephone,
            address: self.address,
            status: u8::try_from(self.status).map_err(|_| corrupt("member status"))?,
        })
    }
}

/// The paths of `departments` (each parent among them), root first; a department whose
/// parent is missing, or a cycle, is refused.
pub(crate) fn paths_of(
    departments: &[Department],
) -> Result<std::collections::HashMap<DepartmentId, DepartmentPath>, StoreError> {
    use std::collections::HashMap;
    let by_id: HashMap<DepartmentId, &Department> = departments.iter().map(|d| (d.id, d)).collect();
    let mut paths: HashMap<DepartmentId, DepartmentPath> = HashMap::new();
    for d in departments {
        // Up from `d` to the first department with a known path (or past the root).
        let mut chain = Vec::new();
        let mut at = d;
        let mut base: Option<DepartmentPath> = None;
        loop {
            if let Some(p) = paths.get(&at.id) {
                base = Some(p.clone());
                break;
            }
            chain.push(at.id);
            if chain.len() > departments.len() {
                return Err(StoreError::Corrupt("department cycle".into()));
            }
            match at.parentid {
                None => break,
                Some(parent) => {
                    at = by_id.get(&parent).ok_or_else(|| {
                        StoreError::Corrupt(format!("department {parent} missing"))
                    })?;
                }
            }
        }
        // Then down again, naming each path.
        for id in chain.into_iter().rev() {
            let path = match &base {
                None => DepartmentPath::root(id),
                Some(p) => p.child(id),
            };
            paths.insert(id, path.clone());
            base = Some(path);
        }
    }
    Ok(paths)
}

/// Declares the directory query store over one `sqlx::Database`:
/// `contact_query_store! { /// doc  pub struct PgDirectoryReads(sqlx::Postgres); }`.
macro_rules! contact_query_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }

            fn department_row(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::store::contact_queries::DepartmentRow, $crate::store::StoreError> {
                use sqlx::Row as _;
                $crate::store::sql::contact_queries::DepartmentColumns {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    name_en: row.try_get("name_en")?,
                    parentid: row.try_get("parentid")?,
                    sort_order: row.try_get("sort_order")?,
                    path: row.try_get("path")?,
                    leaders: row.try_get("leaders")?,
                    child_count: row.try_get("child_count")?,
                }
                .into_row()
            }

            fn member_columns(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::store::sql::contact_queries::MemberColumns, $crate::store::StoreError> {
                use sqlx::Row as _;
                Ok($crate::store::sql::contact_queries::MemberColumns {
                    userid: row.try_get("userid")?,
                    name: row.try_get("name")?,
                    main_department: row.try_get("main_department")?,
                    departments: row.try_get("departments")?,
                    position: row.try_get("position")?,
                    mobile: row.try_get("mobile")?,
                    gender: row.try_get("gender")?,
                    email: row.try_get("email")?,
                    alias: row.try_get("alias")?,
                    avatar: row.try_get("avatar")?,
                    telephone: row.try_get("telephone")?,
                    address: row.try_get("address")?,
                    status: row.try_get("status")?,
                })
            }

            /// Members with their orders and tags, read for the whole page at once.
            async fn records(
                &self,
                account: &$crate::accounts::model::AccountId,
                members: Vec<$crate::store::sql::contact_queries::MemberColumns>,
            ) -> Result<Vec<$crate::store::contact_queries::MemberRecord>, $crate::store::StoreError> {
                use sqlx::Row as _;
                use std::collections::HashMap;
                if members.is_empty() {
                    return Ok(Vec::new());
                }
                let mut orders: HashMap<(String, i64), i64> = HashMap::new();
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT userid, department_id, sort_order FROM contact_member_departments \
                     WHERE account_id = ",
                );
                q.push_bind(account.as_str()).push(" AND userid IN (");
                let mut list = q.separated(", ");
                for m in &members {
                    list.push_bind(m.userid.clone());
                }
                q.push(")");
                for row in q.build().fetch_all(&self.pool).await? {
                    orders.insert(
                        (row.try_get("userid")?, row.try_get("department_id")?),
                        row.try_get("sort_order")?,
                    );
                }
                let mut tags: HashMap<String, Vec<$crate::contacts::model::ContactTagId>> =
                    HashMap::new();
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT userid, tagid FROM contact_tag_members WHERE account_id = ",
                );
                q.push_bind(account.as_str()).push(" AND userid IN (");
                let mut list = q.separated(", ");
                for m in &members {
                    list.push_bind(m.userid.clone());
                }
                q.push(") ORDER BY tagid");
                for row in q.build().fetch_all(&self.pool).await? {
                    let tag = $crate::store::sql::contact_queries::tag_id(row.try_get("tagid")?)?;
                    tags.entry(row.try_get("userid")?).or_default().push(tag);
                }
                members
                    .into_iter()
                    .map(|m| {
                        let tags = tags.remove(&m.userid).unwrap_or_default();
                        Ok($crate::store::contact_queries::MemberRecord {
                            member: m.into_member(&orders)?,
                            tags,
                        })
                    })
                    .collect()
            }

            fn stored_role(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::store::contact_queries::StoredRole, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::{stored_time, Time};
                let corrupt = |what: &str| {
                    $crate::store::StoreError::Corrupt(format!("contact role {what}"))
                };
                let level: i64 = row.try_get("level")?;
                let departments: String = row.try_get("departments")?;
                let departments: Vec<u64> =
                    serde_json::from_str(&departments).map_err(|_| corrupt("departments"))?;
                let level = u8::try_from(level)
                    .ok()
                    .and_then(|l| $crate::contacts::model::RoleLevel::try_from(l).ok())
                    .ok_or_else(|| corrupt("level"))?;
                let departments = departments
                    .into_iter()
                    .map(|d| $crate::contacts::model::DepartmentId::new(d).map_err(|_| corrupt("department")))
                    .collect::<Result<Vec<_>, _>>()?;
                let updated: Time<$db> = row.try_get("updated_at")?;
                Ok($crate::store::contact_queries::StoredRole {
                    role: $crate::contacts::model::Role {
                        userid: $crate::store::sql::contact_queries::userid(row.try_get("userid")?)?,
                        level,
                        departments,
                    },
                    updated_at: stored_time::<$db>(updated, "contact role updated_at")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::contact_queries::DirectoryReads for $name {
            async fn member(
                &self,
                account: &$crate::accounts::model::AccountId,
                userid: &$crate::core::CorpUserId,
            ) -> Result<Option<$crate::store::contact_queries::MemberRecord>, $crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM contact_members m WHERE m.account_id = $1 AND m.userid = $2",
                    $crate::store::sql::contact_queries::MEMBER_COLUMNS
                );
                let row = sqlx::query(&sql)
                    .bind(account.as_str())
                    .bind(userid.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let columns = Self::member_columns(&row)?;
                Ok(self.records(account, vec![columns]).await?.pop())
            }

            async fn search_members(
                &self,
                account: &$crate::accounts::model::AccountId,
                text: Option<&$crate::store::contact_queries::SearchText>,
                after: Option<&$crate::core::CorpUserId>,
                limit: u32,
            ) -> Result<Vec<$crate::store::contact_queries::MemberRecord>, $crate::store::StoreError> {
                use $crate::store::sql::contact_queries::{
                    SearchDialect, MEMBER_COLUMNS, RARE_ENOUGH, TRIGRAMS_COUNTED,
                };
                let after = after.map_or("", |u| u.as_str());
                let rows = match text {
                    None => {
                        let sql = format!(
                            "SELECT {MEMBER_COLUMNS} FROM contact_members m \
                             WHERE m.account_id = $1 AND m.userid > $2 ORDER BY m.userid LIMIT $3"
                        );
                        sqlx::query(&sql)
                            .bind(account.as_str())
                            .bind(after)
                            .bind(i64::from(limit))
                            .fetch_all(&self.pool)
                            .await?
                    }
                    Some(text) => {
                        let fold = <$db as SearchDialect>::FOLD;
                        let (gram, fields) = if text.is_short() {
                            (text.as_str().to_owned(), &["name", "alias"][..])
                        } else {
                            // The rarest of the first trigrams drives; an absent one means
                            // no member matches.
                            let mut best: Option<(i64, String)> = None;
                            for gram in text.trigrams().into_iter().take(TRIGRAMS_COUNTED) {
                                let n: i64 = sqlx::query_scalar(
                                    "SELECT count(*) FROM (SELECT 1 FROM contact_search_grams \
                                     WHERE account_id = $1 AND gram = $2 LIMIT $3) AS t",
                                )
                                .bind(account.as_str())
                                .bind(&gram)
                                .bind(RARE_ENOUGH)
                                .fetch_one(&self.pool)
                                .await?;
                                if n == 0 {
                                    return Ok(Vec::new());
                                }
                                if best.as_ref().is_none_or(|(m, _)| n < *m) {
                                    best = Some((n, gram));
                                }
                                if n < RARE_ENOUGH {
                                    break;
                                }
                            }
                            let Some((_, gram)) = best else { return Ok(Vec::new()) };
                            (gram, &["name", "alias", "mobile", "userid"][..])
                        };
                        // Other trigrams a candidate must have too: index probes, cheaper
                        // than reading the member to check it.
                        let probes: Vec<String> = if text.is_short() {
                            Vec::new()
                        } else {
                            let others: Vec<String> =
                                text.trigrams().into_iter().filter(|g| *g != gram).collect();
                            let n = others.len();
                            let mut picked: Vec<String> = [n.wrapping_sub(1), n / 2, 0]
                                .into_iter()
                                .filter_map(|i| others.get(i).cloned())
                                .collect();
                            picked.dedup();
                            picked
                        };
                        let exists = (0..probes.len())
                            .map(|i| {
                                format!(
                                    " AND EXISTS (SELECT 1 FROM contact_search_grams h \
                                     WHERE h.account_id = g.account_id AND h.gram = ${} \
                                     AND h.userid = g.userid)",
                                    6 + i
                                )
                            })
                            .collect::<String>();
                        let check = fields
                            .iter()
                            .map(|f| format!("{fold}(m.{f}) LIKE $3 ESCAPE '\\'"))
                            .collect::<Vec<_>>()
                            .join(" OR ");
                        let sql = format!(
                            "SELECT {MEMBER_COLUMNS} FROM contact_search_grams g \
                             JOIN contact_members m ON m.account_id = g.account_id AND m.userid = g.userid \
                             WHERE g.account_id = $1 AND g.gram = $2 AND g.userid > $4{exists} \
                             AND ({check}) ORDER BY g.userid LIMIT $5"
                        );
                        let mut query = sqlx::query(&sql)
                            .bind(account.as_str())
                            .bind(gram)
                            .bind(text.like_pattern())
                            .bind(after)
                            .bind(i64::from(limit));
                        for probe in probes {
                            query = query.bind(probe);
                        }
                        query.fetch_all(&self.pool).await?
                    }
                };
                let columns = rows
                    .iter()
                    .map(Self::member_columns)
                    .collect::<Result<Vec<_>, _>>()?;
                self.records(account, columns).await
            }

            async fn department(
                &self,
                account: &$crate::accounts::model::AccountId,
                id: $crate::contacts::model::DepartmentId,
            ) -> Result<Option<$crate::store::contact_queries::DepartmentRow>, $crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM contact_departments d WHERE d.account_id = $1 AND d.id = $2",
                    $crate::store::sql::contact_queries::DEPARTMENT_COLUMNS
                );
                sqlx::query(&sql)
                    .bind(account.as_str())
                    .bind(id.to_db())
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(Self::department_row)
                    .transpose()
            }

            async fn departments(
                &self,
                account: &$crate::accounts::model::AccountId,
                ids: &[$crate::contacts::model::DepartmentId],
            ) -> Result<Vec<$crate::store::contact_queries::DepartmentRow>, $crate::store::StoreError> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} FROM contact_departments d WHERE d.account_id = ",
                    $crate::store::sql::contact_queries::DEPARTMENT_COLUMNS
                ));
                q.push_bind(account.as_str()).push(" AND d.id IN (");
                let mut list = q.separated(", ");
                for id in ids {
                    list.push_bind(id.to_db());
                }
                q.push(")");
                q.build()
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(Self::department_row)
                    .collect()
            }

            async fn children(
                &self,
                account: &$crate::accounts::model::AccountId,
                parent: &$crate::store::contact_queries::DepartmentRow,
                below: $crate::store::contact_queries::Below,
                visible: Option<&$crate::contacts::model::Visible>,
                after: Option<&$crate::store::contact_queries::ChildCursor>,
                limit: u32,
            ) -> Result<Vec<$crate::store::contact_queries::DepartmentRow>, $crate::store::StoreError> {
                use $crate::store::contact_queries::Below;
                if visible.is_some_and(|v| v.subtrees.is_empty() && v.ids.is_empty()) {
                    return Ok(Vec::new());
                }
                // The page's keys first (an index-only scan and sort of the range), then
                // its rows and child counts: 50 subqueries, not one per department below.
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} FROM (SELECT d.account_id, d.id FROM contact_departments d \
                     WHERE d.account_id = ",
                    $crate::store::sql::contact_queries::DEPARTMENT_COLUMNS
                ));
                q.push_bind(account.as_str());
                match below {
                    Below::Children => {
                        q.push(" AND d.parentid = ").push_bind(parent.department.id.to_db());
                    }
                    Below::Subtree => {
                        let (start, end) = parent.path.subtree_range();
                        q.push(" AND d.path > ").push_bind(start);
                        q.push(" AND d.path < ").push_bind(end);
                    }
                }
                if let Some(visible) = visible {
                    q.push(" AND (");
                    let mut any = q.separated(" OR ");
                    for (start, end) in &visible.subtrees {
                        any.push("(d.path >= ");
                        any.push_bind_unseparated(start.clone());
                        any.push_unseparated(" AND d.path < ");
                        any.push_bind_unseparated(end.clone());
                        any.push_unseparated(")");
                    }
                    if !visible.ids.is_empty() {
                        any.push("d.id IN (");
                        for (i, id) in visible.ids.iter().enumerate() {
                            if i > 0 {
                                any.push_unseparated(", ");
                            }
                            any.push_bind_unseparated(id.to_db());
                        }
                        any.push_unseparated(")");
                    }
                    q.push(")");
                }
                if let Some(c) = after {
                    let depth = i64::try_from(c.depth).unwrap_or(i64::MAX);
                    let parentid = i64::try_from(c.parentid).unwrap_or(i64::MAX);
                    let order = i64::try_from(c.order).unwrap_or(i64::MAX);
                    q.push(" AND (d.depth > ").push_bind(depth);
                    q.push(" OR (d.depth = ").push_bind(depth);
                    q.push(" AND (d.parentid > ").push_bind(parentid);
                    q.push(" OR (d.parentid = ").push_bind(parentid);
                    q.push(" AND (d.sort_order < ").push_bind(order);
                    q.push(" OR (d.sort_order = ").push_bind(order);
                    q.push(" AND d.id > ").push_bind(c.id.to_db());
                    q.push("))))))");
                }
                // Direct children share depth and parentid: the children index's order.
                let order = match below {
                    Below::Children => "d.sort_order DESC, d.id",
                    Below::Subtree => "d.depth, d.parentid, d.sort_order DESC, d.id",
                };
                q.push(format!(" ORDER BY {order} LIMIT "));
                q.push_bind(i64::from(limit));
                q.push(format!(
                    ") AS page JOIN contact_departments d \
                     ON d.account_id = page.account_id AND d.id = page.id ORDER BY {order}"
                ));
                q.build()
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(Self::department_row)
                    .collect()
            }

            async fn direct_members(
                &self,
                account: &$crate::accounts::model::AccountId,
                departments: &[$crate::contacts::model::DepartmentId],
            ) -> Result<Vec<($crate::contacts::model::DepartmentId, $crate::store::contact_queries::MemberRecord)>, $crate::store::StoreError> {
                use sqlx::Row as _;
                if departments.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT md.department_id, {} FROM contact_member_departments md \
                     JOIN contact_members m ON m.account_id = md.account_id AND m.userid = md.userid \
                     WHERE md.account_id = ",
                    $crate::store::sql::contact_queries::MEMBER_COLUMNS
                ));
                q.push_bind(account.as_str()).push(" AND md.department_id IN (");
                let mut list = q.separated(", ");
                for id in departments {
                    list.push_bind(id.to_db());
                }
                q.push(") ORDER BY md.department_id, md.userid");
                let rows = q.build().fetch_all(&self.pool).await?;
                let mut in_department = Vec::with_capacity(rows.len());
                let mut columns = Vec::with_capacity(rows.len());
                for row in &rows {
                    in_department.push($crate::store::sql::contact_queries::department_id(
                        row.try_get("department_id")?,
                        "member department",
                    )?);
                    columns.push(Self::member_columns(row)?);
                }
                // A member of two of the departments is read twice; one record each.
                let records = self.records(account, columns).await?;
                Ok(in_department.into_iter().zip(records).collect())
            }

            async fn department_members(
                &self,
                account: &$crate::accounts::model::AccountId,
                department: &$crate::store::contact_queries::DepartmentRow,
                below: $crate::store::contact_queries::Below,
                after: Option<&$crate::store::contact_queries::MemberCursor>,
                limit: u32,
            ) -> Result<Vec<($crate::contacts::model::DepartmentPath, $crate::store::contact_queries::MemberRecord)>, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::contact_queries::Below;
                use $crate::store::sql::contact_queries::MEMBER_COLUMNS;
                let after_user = after.map_or("", |c| c.userid.as_str());
                let rows = match below {
                    Below::Children => {
                        let sql = format!(
                            "SELECT md.path AS member_path, {MEMBER_COLUMNS} FROM contact_member_departments md \
                             JOIN contact_members m ON m.account_id = md.account_id AND m.userid = md.userid \
                             WHERE md.account_id = $1 AND md.department_id = $2 AND md.userid > $3 \
                             ORDER BY md.userid LIMIT $4"
                        );
                        sqlx::query(&sql)
                            .bind(account.as_str())
                            .bind(department.department.id.to_db())
                            .bind(after_user)
                            .bind(i64::from(limit))
                            .fetch_all(&self.pool)
                            .await?
                    }
                    Below::Subtree => {
                        let (start, end) = department.path.subtree_range();
                        // Without a cursor, from the subtree's start: the row-value bound is
                        // then as tight as `path >= start` (SQLite seeks by it).
                        let after_path = after.map_or(start.clone(), |c| c.path.as_str().to_owned());
                        let sql = format!(
                            "SELECT md.path AS member_path, {MEMBER_COLUMNS} FROM contact_member_departments md \
                             JOIN contact_members m ON m.account_id = md.account_id AND m.userid = md.userid \
                             WHERE md.account_id = $1 AND md.path >= $2 AND md.path < $3 \
                             AND (md.path, md.userid) > ($4, $5) \
                             AND NOT EXISTS (SELECT 1 FROM contact_member_departments o \
                                 WHERE o.account_id = md.account_id AND o.userid = md.userid \
                                 AND o.path >= $2 AND o.path < md.path) \
                             ORDER BY md.path, md.userid LIMIT $6"
                        );
                        sqlx::query(&sql)
                            .bind(account.as_str())
                            .bind(start)
                            .bind(end)
                            .bind(after_path)
                            .bind(after_user)
                            .bind(i64::from(limit))
                            .fetch_all(&self.pool)
                            .await?
                    }
                };
                let mut paths = Vec::with_capacity(rows.len());
                let mut columns = Vec::with_capacity(rows.len());
                for row in &rows {
                    let path: String = row.try_get("member_path")?;
                    paths.push($crate::contacts::model::DepartmentPath::parse(&path).ok_or_else(|| {
                        $crate::store::StoreError::Corrupt("contacts member path".into())
                    })?);
                    columns.push(Self::member_columns(row)?);
                }
                let records = self.records(account, columns).await?;
                Ok(paths.into_iter().zip(records).collect())
            }

            async fn member_paths(
                &self,
                account: &$crate::accounts::model::AccountId,
                userid: &$crate::core::CorpUserId,
            ) -> Result<Vec<$crate::contacts::model::DepartmentPath>, $crate::store::StoreError> {
                let paths: Vec<String> = sqlx::query_scalar(
                    "SELECT path FROM contact_member_departments \
                     WHERE account_id = $1 AND userid = $2 ORDER BY path",
                )
                .bind(account.as_str())
                .bind(userid.as_str())
                .fetch_all(&self.pool)
                .await?;
                paths
                    .iter()
                    .map(|p| {
                        $crate::contacts::model::DepartmentPath::parse(p).ok_or_else(|| {
                            $crate::store::StoreError::Corrupt("contacts member path".into())
                        })
                    })
                    .collect()
            }

            async fn tags(
                &self,
                account: &$crate::accounts::model::AccountId,
            ) -> Result<Vec<$crate::contacts::model::ContactTag>, $crate::store::StoreError> {
                use sqlx::Row as _;
                sqlx::query(
                    "SELECT tagid, tagname FROM contact_tags WHERE account_id = $1 ORDER BY tagid",
                )
                .bind(account.as_str())
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| {
                    Ok($crate::contacts::model::ContactTag {
                        tagid: $crate::store::sql::contact_queries::tag_id(row.try_get("tagid")?)?,
                        tagname: row.try_get("tagname")?,
                    })
                })
                .collect()
            }

            async fn tag_members(
                &self,
                account: &$crate::accounts::model::AccountId,
                tag: $crate::contacts::model::ContactTagId,
            ) -> Result<Option<$crate::store::contact_queries::TagMembersRow>, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::contact_queries::{department_id, userid};
                let name: Option<String> = sqlx::query_scalar(
                    "SELECT tagname FROM contact_tags WHERE account_id = $1 AND tagid = $2",
                )
                .bind(account.as_str())
                .bind(tag.to_db())
                .fetch_optional(&self.pool)
                .await?;
                let Some(tagname) = name else { return Ok(None) };
                let users = sqlx::query(
                    "SELECT t.userid, COALESCE(m.name, '') AS name FROM contact_tag_members t \
                     LEFT JOIN contact_members m ON m.account_id = t.account_id AND m.userid = t.userid \
                     WHERE t.account_id = $1 AND t.tagid = $2 ORDER BY t.userid",
                )
                .bind(account.as_str())
                .bind(tag.to_db())
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| Ok((userid(row.try_get("userid")?)?, row.try_get("name")?)))
                .collect::<Result<Vec<_>, $crate::store::StoreError>>()?;
                let parties = sqlx::query(
                    "SELECT t.department_id, COALESCE(d.name, '') AS name FROM contact_tag_parties t \
                     LEFT JOIN contact_departments d ON d.account_id = t.account_id AND d.id = t.department_id \
                     WHERE t.account_id = $1 AND t.tagid = $2 ORDER BY t.department_id",
                )
                .bind(account.as_str())
                .bind(tag.to_db())
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| {
                    Ok((
                        department_id(row.try_get("department_id")?, "tag party")?,
                        row.try_get("name")?,
                    ))
                })
                .collect::<Result<Vec<_>, $crate::store::StoreError>>()?;
                Ok(Some($crate::store::contact_queries::TagMembersRow {
                    tag: $crate::contacts::model::ContactTag { tagid: tag, tagname },
                    users,
                    parties,
                }))
            }

            async fn change_tag_members(
                &self,
                account: &$crate::accounts::model::AccountId,
                tag: $crate::contacts::model::ContactTagId,
                change: $crate::store::contact_queries::TagChange,
                userids: &[$crate::core::CorpUserId],
                parties: &[$crate::contacts::model::DepartmentId],
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::contact_queries::TagChange;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let known: Option<i64> = sqlx::query_scalar(
                    "SELECT tagid FROM contact_tags WHERE account_id = $1 AND tagid = $2",
                )
                .bind(account.as_str())
                .bind(tag.to_db())
                .fetch_optional(&mut *tx)
                .await?;
                if known.is_none() {
                    return Ok(false);
                }
                let (user_sql, party_sql) = match change {
                    TagChange::Add => (
                        "INSERT INTO contact_tag_members (account_id, tagid, userid) \
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        "INSERT INTO contact_tag_parties (account_id, tagid, department_id) \
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    ),
                    TagChange::Remove => (
                        "DELETE FROM contact_tag_members \
                         WHERE account_id = $1 AND tagid = $2 AND userid = $3",
                        "DELETE FROM contact_tag_parties \
                         WHERE account_id = $1 AND tagid = $2 AND department_id = $3",
                    ),
                };
                for u in userids {
                    sqlx::query(user_sql)
                        .bind(account.as_str())
                        .bind(tag.to_db())
                        .bind(u.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                for p in parties {
                    sqlx::query(party_sql)
                        .bind(account.as_str())
                        .bind(tag.to_db())
                        .bind(p.to_db())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn put_role(
                &self,
                account: &$crate::accounts::model::AccountId,
                role: &$crate::contacts::model::Role,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::store::contact_queries::StoredRole, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let departments: Vec<u64> = role.departments.iter().map(|d| d.get()).collect();
                let departments = serde_json::to_string(&departments)
                    .map_err(|e| $crate::store::StoreError::Corrupt(e.to_string()))?;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                sqlx::query(
                    "INSERT INTO contact_roles (account_id, userid, level, departments, updated_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (account_id, userid) DO UPDATE SET level = excluded.level, \
                     departments = excluded.departments, updated_at = excluded.updated_at",
                )
                .bind(account.as_str())
                .bind(role.userid.as_str())
                .bind(i64::from(role.level.get()))
                .bind(departments)
                .bind(<$db as Columns>::time_to_db(at))
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::error::classify_write(e, &[]))?;
                tx.commit().await?;
                Ok($crate::store::contact_queries::StoredRole {
                    role: role.clone(),
                    updated_at: <$db as Columns>::time_as_stored(at),
                })
            }

            async fn role(
                &self,
                account: &$crate::accounts::model::AccountId,
                userid: &$crate::core::CorpUserId,
            ) -> Result<Option<$crate::store::contact_queries::StoredRole>, $crate::store::StoreError> {
                sqlx::query(
                    "SELECT userid, level, departments, updated_at FROM contact_roles \
                     WHERE account_id = $1 AND userid = $2",
                )
                .bind(account.as_str())
                .bind(userid.as_str())
                .fetch_optional(&self.pool)
                .await?
                .as_ref()
                .map(Self::stored_role)
                .transpose()
            }

            async fn delete_role(
                &self,
                account: &$crate::accounts::model::AccountId,
                userid: &$crate::core::CorpUserId,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let done = sqlx::query("DELETE FROM contact_roles WHERE account_id = $1 AND userid = $2")
                    .bind(account.as_str())
                    .bind(userid.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn roles(
                &self,
                account: &$crate::accounts::model::AccountId,
                after: Option<&$crate::core::CorpUserId>,
                limit: u32,
            ) -> Result<Vec<$crate::store::contact_queries::StoredRole>, $crate::store::StoreError> {
                sqlx::query(
                    "SELECT userid, level, departments, updated_at FROM contact_roles \
                     WHERE account_id = $1 AND userid > $2 ORDER BY userid LIMIT $3",
                )
                .bind(account.as_str())
                .bind(after.map_or("", |u| u.as_str()))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(Self::stored_role)
                .collect()
            }

            async fn insert_directory(
                &self,
                account: &$crate::accounts::model::AccountId,
                departments: &[$crate::contacts::model::Department],
                members: &[$crate::contacts::model::Member],
                tags: &[$crate::contacts::model::TagMembers],
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let paths = $crate::store::sql::contact_queries::paths_of(departments)?;
                let path_of = |id: &$crate::contacts::model::DepartmentId| {
                    paths.get(id).cloned().ok_or_else(|| {
                        $crate::store::StoreError::Corrupt(format!("department {id} missing"))
                    })
                };
                let now = <$db as Columns>::time_to_db(at);
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                for chunk in departments.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO contact_departments (account_id, id, name, name_en, parentid, \
                         sort_order, path, depth, leaders, digest, confirmed_at, created_at, changed_at) ",
                    );
                    let mut rows = Vec::with_capacity(chunk.len());
                    for d in chunk {
                        let path = path_of(&d.id)?;
                        let leaders: Vec<&str> = d.leaders.iter().map(|l| l.as_str()).collect();
                        rows.push((d, path, serde_json::to_string(&leaders).unwrap_or_else(|_| "[]".into())));
                    }
                    q.push_values(rows, |mut b, (d, path, leaders)| {
                        b.push_bind(account.as_str())
                            .push_bind(d.id.to_db())
                            .push_bind(d.name.clone())
                            .push_bind(d.name_en.clone())
                            .push_bind(d.parentid.map_or(0, |p| p.to_db()))
                            .push_bind(i64::try_from(d.order).unwrap_or(i64::MAX))
                            .push_bind(path.as_str().to_owned())
                            .push_bind(path.depth() as i64)
                            .push_bind(leaders)
                            .push_bind("fixture")
                            .push_bind(now.clone())
                            .push_bind(now.clone())
                            .push_bind(now.clone());
                    });
                    q.build().execute(&mut *tx).await?;
                }
                for chunk in members.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO contact_members (account_id, userid, name, main_department, \
                         departments, position, mobile, gender, email, alias, avatar, telephone, \
                         address, status, digest, confirmed_at, created_at, changed_at) ",
                    );
                    q.push_values(chunk, |mut b, m| {
                        let ids: Vec<u64> = m.department.iter().map(|d| d.get()).collect();
                        b.push_bind(account.as_str())
                            .push_bind(m.userid.as_str().to_owned())
                            .push_bind(m.name.clone())
                            .push_bind(m.main_department.to_db())
                            .push_bind(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
                            .push_bind(m.position.clone())
                            .push_bind(m.mobile.clone())
                            .push_bind(m.gender.as_str())
                            .push_bind(m.email.clone())
                            .push_bind(m.alias.clone())
                            .push_bind(m.avatar.clone())
                            .push_bind(m.telephone.clone())
                            .push_bind(m.address.clone())
                            .push_bind(i64::from(m.status))
                            .push_bind("fixture")
                            .push_bind(now.clone())
                            .push_bind(now.clone())
                            .push_bind(now.clone());
                    });
                    q.build().execute(&mut *tx).await?;
                    let mut rows = Vec::new();
                    for m in chunk {
                        for (i, d) in m.department.iter().enumerate() {
                            let order = m.order.get(i).copied().unwrap_or(0);
                            rows.push((m.userid.as_str(), *d, order, path_of(d)?));
                        }
                    }
                    for rows in rows.chunks(1000) {
                        let mut q = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO contact_member_departments (account_id, department_id, \
                             userid, sort_order, path) ",
                        );
                        q.push_values(rows, |mut b, (userid, d, order, path)| {
                            b.push_bind(account.as_str())
                                .push_bind(d.to_db())
                                .push_bind(userid.to_string())
                                .push_bind(i64::try_from(*order).unwrap_or(i64::MAX))
                                .push_bind(path.as_str().to_owned());
                        });
                        q.build().execute(&mut *tx).await?;
                    }
                }
                for t in tags {
                    sqlx::query(
                        "INSERT INTO contact_tags (account_id, tagid, tagname, digest, confirmed_at, \
                         created_at, changed_at) VALUES ($1, $2, $3, 'fixture', $4, $4, $4)",
                    )
                    .bind(account.as_str())
                    .bind(t.tag.tagid.to_db())
                    .bind(&t.tag.tagname)
                    .bind(now.clone())
                    .execute(&mut *tx)
                    .await?;
                    for u in &t.userids {
                        sqlx::query(
                            "INSERT INTO contact_tag_members (account_id, tagid, userid) VALUES ($1, $2, $3)",
                        )
                        .bind(account.as_str())
                        .bind(t.tag.tagid.to_db())
                        .bind(u.as_str())
                        .execute(&mut *tx)
                        .await?;
                    }
                    for d in &t.departments {
                        sqlx::query(
                            "INSERT INTO contact_tag_parties (account_id, tagid, department_id) VALUES ($1, $2, $3)",
                        )
                        .bind(account.as_str())
                        .bind(t.tag.tagid.to_db())
                        .bind(d.to_db())
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use contact_query_store;
