//! [`ContactsStore`](crate::store::contacts::ContactsStore), shared by both backends. Ids
//! (departments, tags, orders) are BIGINT on PostgreSQL and INTEGER on SQLite, bound as
//! `i64`; times go through [`Columns`](crate::store::sql::Columns).
//!
//! A write reads the stored digests of the rows it was given first (one `IN` list per 500),
//! then upserts only the new and changed rows with multi-row `VALUES` and confirms the rest
//! with one `UPDATE … IN (…)`: a rerun of an unchanged directory writes one short statement
//! per page. A member's department rows carry the department's path (read in the same
//! transaction), so a subtree's members are one index range.

use crate::store::StoreError;

/// Rows per multi-row statement (members have 15 columns: well within both backends'
/// parameter limits).
pub(crate) const CHUNK: usize = 500;

/// Queues one re-read: binds account, target, target_id, change_type, source, received_at
/// (also its first due time), in the order they first appear. Run by both event-batch
/// writers for the change_contact callbacks they store, and by a manual notify.
pub(crate) const QUEUE_CHANGE: &str = "INSERT INTO contact_changes \
     (account_id, target, target_id, change_type, source, received_at, due_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $6)";

/// `$first, $first+1, …` (n of them).
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    crate::store::sql::followers::placeholders(first, n)
}

/// The columns of a [`Reached`](crate::store::contacts::Reached), read by [`reached`].
pub(crate) const REACHED: &str = "m.userid, m.name, m.email, m.mobile, m.status";

/// A [`Reached`](crate::store::contacts::Reached) from a row of [`REACHED`].
pub(crate) fn reached<DB: sqlx::Database>(
    row: &DB::Row,
) -> Result<crate::store::contacts::Reached, StoreError>
where
    for<'r> String: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'r> i64: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    use sqlx::Row as _;
    let status: i64 = row.try_get(4)?;
    Ok(crate::store::contacts::Reached {
        userid: row.try_get(0)?,
        name: row.try_get(1)?,
        email: row.try_get(2)?,
        mobile: row.try_get(3)?,
        status: u8::try_from(status).map_err(|_| corrupt("member status"))?,
    })
}

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("contacts {what}"))
}

/// Inside the event batch's `$tx` on `$db`: queues the re-reads of the inserted events'
/// change_contact callbacks (`$changes`: `&[NewContactChange]`).
macro_rules! queue_rereads_in {
    ($db:ty, $tx:expr, $changes:expr) => {{
        use $crate::store::sql::Columns;
        for change in $changes {
            sqlx::query($crate::store::sql::contacts::QUEUE_CHANGE)
                .bind(change.account.as_str())
                .bind(change.target.kind())
                .bind(change.target.id())
                .bind(&change.change_type)
                .bind(change.source.as_str())
                .bind(<$db as Columns>::time_to_db(change.received_at))
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use queue_rereads_in;

/// Declares a contacts store over one `sqlx::Database`:
/// `contacts_store! { /// doc  pub struct PgContactsStore(sqlx::Postgres); }`.
macro_rules! contacts_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }

            /// The stored digest of each of `ids` in `table` (keyed by `key`).
            async fn digests(
                tx: &mut sqlx::Transaction<'static, $db>,
                table: &str,
                key: &str,
                account: &$crate::accounts::model::AccountId,
                ids: &[String],
                numeric: bool,
            ) -> Result<std::collections::HashMap<String, (String, Option<String>)>, $crate::store::StoreError> {
                use sqlx::Row as _;
                let mut out = std::collections::HashMap::new();
                let path = if table == "contact_departments" { ", path" } else { ", NULL AS path" };
                for chunk in ids.chunks($crate::store::sql::contacts::CHUNK) {
                    let sql = format!(
                        "SELECT {key}, digest{path} FROM {table} WHERE account_id = $1 AND {key} IN ({})",
                        $crate::store::sql::contacts::placeholders(2, chunk.len())
                    );
                    let mut q = sqlx::query(&sql).bind(account.as_str());
                    for id in chunk {
                        q = if numeric {
                            q.bind(id.parse::<i64>().map_err(|_| $crate::store::sql::contacts::corrupt("id"))?)
                        } else {
                            q.bind(id.as_str())
                        };
                    }
                    for row in q.fetch_all(&mut **tx).await? {
                        let id = if numeric {
                            row.try_get::<i64, _>(0)?.to_string()
                        } else {
                            row.try_get::<String, _>(0)?
                        };
                        out.insert(id, (row.try_get::<String, _>(1)?, row.try_get::<Option<String>, _>(2)?));
                    }
                }
                Ok(out)
            }

            /// Sets `confirmed_at` of the rows `ids` of `table`.
            async fn confirm(
                tx: &mut sqlx::Transaction<'static, $db>,
                table: &str,
                key: &str,
                account: &$crate::accounts::model::AccountId,
                ids: &[String],
                numeric: bool,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                for chunk in ids.chunks($crate::store::sql::contacts::CHUNK) {
                    let sql = format!(
                        "UPDATE {table} SET confirmed_at = $2 WHERE account_id = $1 AND {key} IN ({})",
                        $crate::store::sql::contacts::placeholders(3, chunk.len())
                    );
                    let mut q = sqlx::query(&sql)
                        .bind(account.as_str())
                        .bind(<$db as Columns>::time_to_db(at));
                    for id in chunk {
                        q = if numeric {
                            q.bind(id.parse::<i64>().map_err(|_| $crate::store::sql::contacts::corrupt("id"))?)
                        } else {
                            q.bind(id.as_str())
                        };
                    }
                    q.execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Writes the department rows of `members` (already written), first removing those
            /// of `replaced` (members the copy held before). A new member has no rows to remove:
            /// skipping the delete keeps a first sync from reading the table once per page (on a
            /// fresh PostgreSQL table the planner scans the account's rows for it).
            async fn place_members(
                tx: &mut sqlx::Transaction<'static, $db>,
                account: &$crate::accounts::model::AccountId,
                members: &[&$crate::contacts::model::Member],
                replaced: &[String],
            ) -> Result<(), $crate::store::StoreError> {
                use sqlx::Row as _;
                for chunk in replaced.chunks($crate::store::sql::contacts::CHUNK) {
                    let sql = format!(
                        "DELETE FROM contact_member_departments WHERE account_id = $1 AND userid IN ({})",
                        $crate::store::sql::contacts::placeholders(2, chunk.len())
                    );
                    let mut q = sqlx::query(&sql).bind(account.as_str());
                    for u in chunk {
                        q = q.bind(u.as_str());
                    }
                    q.execute(&mut **tx).await?;
                }
                let mut departments: Vec<i64> = members
                    .iter()
                    .flat_map(|m| m.department.iter().map(|d| d.to_db()))
                    .collect();
                departments.sort_unstable();
                departments.dedup();
                let mut paths: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
                for chunk in departments.chunks($crate::store::sql::contacts::CHUNK) {
                    let sql = format!(
                        "SELECT id, path FROM contact_departments WHERE account_id = $1 AND id IN ({})",
                        $crate::store::sql::contacts::placeholders(2, chunk.len())
                    );
                    let mut q = sqlx::query(&sql).bind(account.as_str());
                    for d in chunk {
                        q = q.bind(*d);
                    }
                    for row in q.fetch_all(&mut **tx).await? {
                        paths.insert(row.try_get(0)?, row.try_get(1)?);
                    }
                }
                let rows: Vec<(&str, i64, i64, &str)> = members
                    .iter()
                    .flat_map(|m| {
                        let paths = &paths;
                        m.department.iter().enumerate().filter_map(move |(i, d)| {
                            let path = paths.get(&d.to_db())?;
                            let order = m.order.get(i).copied().unwrap_or(0);
                            Some((m.userid.as_str(), d.to_db(), order as i64, path.as_str()))
                        })
                    })
                    .collect();
                let mut seen = std::collections::HashSet::new();
                let rows: Vec<_> = rows.into_iter().filter(|r| seen.insert((r.0, r.1))).collect();
                for chunk in rows.chunks($crate::store::sql::contacts::CHUNK) {
                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                        "INSERT INTO contact_member_departments (account_id, department_id, userid, sort_order, path) ",
                    );
                    qb.push_values(chunk, |mut b, (userid, dept, order, path)| {
                        b.push_bind(account.as_str())
                            .push_bind(*dept)
                            .push_bind(*userid)
                            .push_bind(*order)
                            .push_bind(*path);
                    });
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Deletes rows of `table` whose `key` is one of `ids`.
            async fn delete_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                table: &str,
                key: &str,
                account: &$crate::accounts::model::AccountId,
                ids: &[String],
                numeric: bool,
            ) -> Result<(), $crate::store::StoreError> {
                for chunk in ids.chunks($crate::store::sql::contacts::CHUNK) {
                    let sql = format!(
                        "DELETE FROM {table} WHERE account_id = $1 AND {key} IN ({})",
                        $crate::store::sql::contacts::placeholders(2, chunk.len())
                    );
                    let mut q = sqlx::query(&sql).bind(account.as_str());
                    for id in chunk {
                        q = if numeric {
                            q.bind(id.parse::<i64>().map_err(|_| $crate::store::sql::contacts::corrupt("id"))?)
                        } else {
                            q.bind(id.as_str())
                        };
                    }
                    q.execute(&mut **tx).await?;
                }
                Ok(())
            }

            async fn remove_members_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                account: &$crate::accounts::model::AccountId,
                userids: &[String],
            ) -> Result<(), $crate::store::StoreError> {
                Self::delete_in(tx, "contact_member_departments", "userid", account, userids, false).await?;
                Self::delete_in(tx, "contact_tag_members", "userid", account, userids, false).await?;
                Self::delete_in(tx, "contact_members", "userid", account, userids, false).await
            }

            async fn remove_tags_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                account: &$crate::accounts::model::AccountId,
                tagids: &[String],
            ) -> Result<(), $crate::store::StoreError> {
                Self::delete_in(tx, "contact_tag_members", "tagid", account, tagids, true).await?;
                Self::delete_in(tx, "contact_tag_parties", "tagid", account, tagids, true).await?;
                Self::delete_in(tx, "contact_tags", "tagid", account, tagids, true).await
            }

            async fn remove_departments_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                account: &$crate::accounts::model::AccountId,
                ids: &[String],
            ) -> Result<(), $crate::store::StoreError> {
                Self::delete_in(tx, "contact_member_departments", "department_id", account, ids, true).await?;
                Self::delete_in(tx, "contact_tag_parties", "department_id", account, ids, true).await?;
                Self::delete_in(tx, "contact_departments", "id", account, ids, true).await
            }

            /// Ids of `table` not confirmed since `since`, at most `limit`.
            async fn unconfirmed(
                tx: &mut sqlx::Transaction<'static, $db>,
                table: &str,
                key: &str,
                account: &$crate::accounts::model::AccountId,
                since: chrono::DateTime<chrono::Utc>,
                limit: u32,
                numeric: bool,
            ) -> Result<Vec<String>, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::Columns;
                let sql = format!(
                    "SELECT {key} FROM {table} WHERE account_id = $1 AND confirmed_at < $2 ORDER BY {key} LIMIT $3"
                );
                let rows = sqlx::query(&sql)
                    .bind(account.as_str())
                    .bind(<$db as Columns>::time_to_db(since))
                    .bind(i64::from(limit))
                    .fetch_all(&mut **tx)
                    .await?;
                rows.iter()
                    .map(|row| {
                        Ok(if numeric {
                            row.try_get::<i64, _>(0)?.to_string()
                        } else {
                            row.try_get::<String, _>(0)?
                        })
                    })
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::contacts::ContactsStore for $name {
            async fn put_departments(
                &self,
                account: &$crate::accounts::model::AccountId,
                departments: &[$crate::store::contacts::PlacedDepartment],
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::store::contacts::Applied, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let ids: Vec<String> = departments.iter().map(|d| d.department.id.to_string()).collect();
                let stored = Self::digests(&mut tx, "contact_departments", "id", account, &ids, true).await?;
                let mut applied = $crate::store::contacts::Applied::default();
                let mut unchanged = Vec::new();
                let at_db = <$db as Columns>::time_to_db(at);
                for placed in departments {
                    let d = &placed.department;
                    let digest = d.digest();
                    let id = d.id.to_string();
                    let old = stored.get(&id);
                    let fields_changed = old.map_or(true, |(old, _)| *old != digest);
                    let old_path = old.and_then(|(_, p)| p.clone());
                    let moved = old_path.as_deref().is_some_and(|p| p != placed.path.as_str());
                    if !fields_changed && !moved {
                        unchanged.push(id);
                        continue;
                    }
                    let leaders = serde_json::to_string(&d.leaders)
                        .map_err(|_| $crate::store::sql::contacts::corrupt("leaders"))?;
                    sqlx::query(
                        "INSERT INTO contact_departments (account_id, id, name, name_en, parentid, sort_order, \
                         path, depth, leaders, digest, confirmed_at, created_at, changed_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11) \
                         ON CONFLICT (account_id, id) DO UPDATE SET name = excluded.name, \
                         name_en = excluded.name_en, parentid = excluded.parentid, \
                         sort_order = excluded.sort_order, path = excluded.path, depth = excluded.depth, \
                         leaders = excluded.leaders, confirmed_at = excluded.confirmed_at, \
                         changed_at = CASE WHEN contact_departments.digest = excluded.digest \
                             THEN contact_departments.changed_at ELSE excluded.changed_at END, \
                         digest = excluded.digest",
                    )
                    .bind(account.as_str())
                    .bind(d.id.to_db())
                    .bind(&d.name)
                    .bind(&d.name_en)
                    .bind(d.parentid.map_or(0, |p| p.to_db()))
                    .bind(d.order as i64)
                    .bind(placed.path.as_str())
                    .bind(placed.path.depth() as i64)
                    .bind(leaders)
                    .bind(&digest)
                    .bind(at_db)
                    .execute(&mut *tx)
                    .await?;
                    if let Some(old_path) = old_path.filter(|_| moved) {
                        // The subtree below moves with it (a sync lists the whole tree and
                        // rewrites those rows too; a single re-read relies on this).
                        let (start, end) = $crate::contacts::model::DepartmentPath::parse(&old_path)
                            .ok_or_else(|| $crate::store::sql::contacts::corrupt("path"))?
                            .subtree_range();
                        let shift = placed.path.depth() as i64
                            - $crate::contacts::model::DepartmentPath::parse(&old_path)
                                .map_or(0, |p| p.depth() as i64);
                        sqlx::query(
                            "UPDATE contact_departments SET path = CAST($1 AS TEXT) || substr(path, CAST($2 AS INTEGER)), \
                             depth = depth + $3 WHERE account_id = $4 AND path >= $5 AND path < $6 AND id <> $7",
                        )
                        .bind(placed.path.as_str())
                        .bind(old_path.len() as i64 + 1)
                        .bind(shift)
                        .bind(account.as_str())
                        .bind(&start)
                        .bind(&end)
                        .bind(d.id.to_db())
                        .execute(&mut *tx)
                        .await?;
                        sqlx::query(
                            "UPDATE contact_member_departments SET path = CAST($1 AS TEXT) || substr(path, CAST($2 AS INTEGER)) \
                             WHERE account_id = $3 AND path >= $4 AND path < $5",
                        )
                        .bind(placed.path.as_str())
                        .bind(old_path.len() as i64 + 1)
                        .bind(account.as_str())
                        .bind(&start)
                        .bind(&end)
                        .execute(&mut *tx)
                        .await?;
                    }
                    match old {
                        None => applied.created.push(id),
                        Some(_) if fields_changed || moved => applied.updated.push(id),
                        Some(_) => {}
                    }
                }
                Self::confirm(&mut tx, "contact_departments", "id", account, &unchanged, true, at).await?;
                tx.commit().await?;
                Ok(applied)
            }

            async fn department_path(
                &self,
                account: &$crate::accounts::model::AccountId,
                id: $crate::contacts::model::DepartmentId,
            ) -> Result<Option<$crate::contacts::model::DepartmentPath>, $crate::store::StoreError> {
                let path: Option<String> = sqlx::query_scalar(
                    "SELECT path FROM contact_departments WHERE account_id = $1 AND id = $2",
                )
                .bind(account.as_str())
                .bind(id.to_db())
                .fetch_optional(&self.pool)
                .await?;
                path.map(|p| {
                    $crate::contacts::model::DepartmentPath::parse(&p)
                        .ok_or_else(|| $crate::store::sql::contacts::corrupt("path"))
                })
                .transpose()
            }

            async fn departments_confirmed_since(
                &self,
                account: &$crate::accounts::model::AccountId,
                since: chrono::DateTime<chrono::Utc>,
                after: Option<$crate::contacts::model::DepartmentId>,
                limit: u32,
            ) -> Result<Vec<$crate::contacts::model::DepartmentId>, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM contact_departments WHERE account_id = $1 AND confirmed_at >= $2 \
                     AND id > $3 ORDER BY id LIMIT $4",
                )
                .bind(account.as_str())
                .bind(<$db as Columns>::time_to_db(since))
                .bind(after.map_or(0, |d| d.to_db()))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                ids.into_iter()
                    .map(|id| {
                        u64::try_from(id)
                            .ok()
                            .and_then(|id| $crate::contacts::model::DepartmentId::new(id).ok())
                            .ok_or_else(|| $crate::store::sql::contacts::corrupt("department id"))
                    })
                    .collect()
            }

            async fn put_members(
                &self,
                account: &$crate::accounts::model::AccountId,
                members: &[$crate::contacts::model::Member],
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::store::contacts::Applied, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                // A member listed twice (in two departments of one page) is written once.
                let mut by_id: std::collections::BTreeMap<&str, &$crate::contacts::model::Member> =
                    std::collections::BTreeMap::new();
                for m in members {
                    by_id.insert(m.userid.as_str(), m);
                }
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let ids: Vec<String> = by_id.keys().map(|k| (*k).to_owned()).collect();
                let stored = Self::digests(&mut tx, "contact_members", "userid", account, &ids, false).await?;
                let mut applied = $crate::store::contacts::Applied::default();
                let mut unchanged = Vec::new();
                let mut write: Vec<(&$crate::contacts::model::Member, String)> = Vec::new();
                for (id, m) in &by_id {
                    let digest = m.digest();
                    match stored.get(*id) {
                        Some((old, _)) if *old == digest => unchanged.push((*id).to_owned()),
                        Some(_) => {
                            applied.updated.push((*id).to_owned());
                            write.push((m, digest));
                        }
                        None => {
                            applied.created.push((*id).to_owned());
                            write.push((m, digest));
                        }
                    }
                }
                let at_db = <$db as Columns>::time_to_db(at);
                for chunk in write.chunks($crate::store::sql::contacts::CHUNK) {
                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                        "INSERT INTO contact_members (account_id, userid, name, main_department, departments, \
                         position, mobile, gender, email, alias, avatar, telephone, address, status, digest, \
                         confirmed_at, created_at, changed_at) ",
                    );
                    let mut failed = None;
                    qb.push_values(chunk, |mut b, (m, digest)| {
                        let departments = serde_json::to_string(&m.department).unwrap_or_else(|e| {
                            failed = Some(e.to_string());
                            "[]".to_owned()
                        });
                        b.push_bind(account.as_str())
                            .push_bind(m.userid.as_str())
                            .push_bind(m.name.as_str())
                            .push_bind(m.main_department.to_db())
                            .push_bind(departments)
                            .push_bind(m.position.as_str())
                            .push_bind(m.mobile.as_str())
                            .push_bind(m.gender.as_str())
                            .push_bind(m.email.as_str())
                            .push_bind(m.alias.as_str())
                            .push_bind(m.avatar.as_str())
                            .push_bind(m.telephone.as_str())
                            .push_bind(m.address.as_str())
                            .push_bind(i64::from(m.status))
                            .push_bind(digest.as_str())
                            .push_bind(at_db)
                            .push_bind(at_db)
                            .push_bind(at_db);
                    });
                    if let Some(e) = failed {
                        return Err($crate::store::sql::contacts::corrupt(&format!("departments: {e}")));
                    }
                    qb.push(
                        " ON CONFLICT (account_id, userid) DO UPDATE SET name = excluded.name, \
                         main_department = excluded.main_department, departments = excluded.departments, \
                         position = excluded.position, mobile = excluded.mobile, gender = excluded.gender, \
                         email = excluded.email, alias = excluded.alias, avatar = excluded.avatar, \
                         telephone = excluded.telephone, address = excluded.address, status = excluded.status, \
                         digest = excluded.digest, confirmed_at = excluded.confirmed_at, \
                         changed_at = excluded.changed_at",
                    );
                    qb.build().execute(&mut *tx).await?;
                }
                let written: Vec<&$crate::contacts::model::Member> = write.iter().map(|(m, _)| *m).collect();
                Self::place_members(&mut tx, account, &written, &applied.updated).await?;
                Self::confirm(&mut tx, "contact_members", "userid", account, &unchanged, false, at).await?;
                tx.commit().await?;
                Ok(applied)
            }

            async fn put_tag(
                &self,
                account: &$crate::accounts::model::AccountId,
                tag: &$crate::contacts::model::TagMembers,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::store::contacts::Applied, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let id = tag.tag.tagid.to_string();
                let stored = Self::digests(&mut tx, "contact_tags", "tagid", account, std::slice::from_ref(&id), true).await?;
                let digest = tag.digest();
                let mut applied = $crate::store::contacts::Applied::default();
                match stored.get(&id) {
                    Some((old, _)) if *old == digest => {
                        Self::confirm(&mut tx, "contact_tags", "tagid", account, &[id], true, at).await?;
                        tx.commit().await?;
                        return Ok(applied);
                    }
                    Some(_) => applied.updated.push(id.clone()),
                    None => applied.created.push(id.clone()),
                }
                let at_db = <$db as Columns>::time_to_db(at);
                sqlx::query(
                    "INSERT INTO contact_tags (account_id, tagid, tagname, digest, confirmed_at, created_at, changed_at) \
                     VALUES ($1, $2, $3, $4, $5, $5, $5) ON CONFLICT (account_id, tagid) DO UPDATE SET \
                     tagname = excluded.tagname, digest = excluded.digest, \
                     confirmed_at = excluded.confirmed_at, changed_at = excluded.changed_at",
                )
                .bind(account.as_str())
                .bind(tag.tag.tagid.to_db())
                .bind(&tag.tag.tagname)
                .bind(&digest)
                .bind(at_db)
                .execute(&mut *tx)
                .await?;
                for table in ["contact_tag_members", "contact_tag_parties"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE account_id = $1 AND tagid = $2"))
                        .bind(account.as_str())
                        .bind(tag.tag.tagid.to_db())
                        .execute(&mut *tx)
                        .await?;
                }
                let mut users: Vec<&str> = tag.userids.iter().map(|u| u.as_str()).collect();
                users.sort_unstable();
                users.dedup();
                for chunk in users.chunks($crate::store::sql::contacts::CHUNK) {
                    let mut qb: sqlx::QueryBuilder<$db> =
                        sqlx::QueryBuilder::new("INSERT INTO contact_tag_members (account_id, tagid, userid) ");
                    qb.push_values(chunk, |mut b, u| {
                        b.push_bind(account.as_str()).push_bind(tag.tag.tagid.to_db()).push_bind(*u);
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                let mut parties: Vec<i64> = tag.departments.iter().map(|d| d.to_db()).collect();
                parties.sort_unstable();
                parties.dedup();
                for chunk in parties.chunks($crate::store::sql::contacts::CHUNK) {
                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                        "INSERT INTO contact_tag_parties (account_id, tagid, department_id) ",
                    );
                    qb.push_values(chunk, |mut b, p| {
                        b.push_bind(account.as_str()).push_bind(tag.tag.tagid.to_db()).push_bind(*p);
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(applied)
            }

            async fn sweep(
                &self,
                account: &$crate::accounts::model::AccountId,
                since: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> Result<$crate::store::contacts::Swept, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let members = Self::unconfirmed(&mut tx, "contact_members", "userid", account, since, limit, false).await?;
                Self::remove_members_in(&mut tx, account, &members).await?;
                let tags = Self::unconfirmed(&mut tx, "contact_tags", "tagid", account, since, limit, true).await?;
                Self::remove_tags_in(&mut tx, account, &tags).await?;
                let departments = Self::unconfirmed(&mut tx, "contact_departments", "id", account, since, limit, true).await?;
                Self::remove_departments_in(&mut tx, account, &departments).await?;
                tx.commit().await?;
                Ok($crate::store::contacts::Swept { members, tags, departments })
            }

            async fn remove(
                &self,
                account: &$crate::accounts::model::AccountId,
                target: &$crate::contacts::model::ChangeTarget,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::contacts::model::ChangeTarget;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let ids = vec![target.id()];
                let (table, key, numeric) = match target {
                    ChangeTarget::User(_) => ("contact_members", "userid", false),
                    ChangeTarget::Party(_) => ("contact_departments", "id", true),
                    ChangeTarget::Tag(_) => ("contact_tags", "tagid", true),
                };
                let had = Self::digests(&mut tx, table, key, account, &ids, numeric).await?;
                match target {
                    ChangeTarget::User(_) => Self::remove_members_in(&mut tx, account, &ids).await?,
                    ChangeTarget::Party(_) => Self::remove_departments_in(&mut tx, account, &ids).await?,
                    ChangeTarget::Tag(_) => Self::remove_tags_in(&mut tx, account, &ids).await?,
                }
                tx.commit().await?;
                Ok(!had.is_empty())
            }

            async fn reach_users(
                &self,
                account: &$crate::accounts::model::AccountId,
                userids: &[String],
            ) -> Result<Vec<$crate::store::contacts::Reached>, $crate::store::StoreError> {
                let mut out = Vec::new();
                for chunk in userids.chunks($crate::store::sql::contacts::CHUNK) {
                    let sql = format!(
                        "SELECT {} FROM contact_members m WHERE m.account_id = $1 AND m.userid IN ({})",
                        $crate::store::sql::contacts::REACHED,
                        $crate::store::sql::contacts::placeholders(2, chunk.len())
                    );
                    let mut q = sqlx::query(&sql).bind(account.as_str());
                    for u in chunk {
                        q = q.bind(u.as_str());
                    }
                    for row in q.fetch_all(&self.pool).await? {
                        out.push($crate::store::sql::contacts::reached::<$db>(&row)?);
                    }
                }
                Ok(out)
            }

            async fn reach_subtree(
                &self,
                account: &$crate::accounts::model::AccountId,
                path: &$crate::contacts::model::DepartmentPath,
            ) -> Result<Vec<$crate::store::contacts::Reached>, $crate::store::StoreError> {
                let (start, end) = path.subtree_range();
                let sql = format!(
                    "SELECT {} FROM contact_members m WHERE m.account_id = $1 AND m.userid IN \
                     (SELECT md.userid FROM contact_member_departments md WHERE md.account_id = $1 \
                      AND md.path >= $2 AND md.path < $3) ORDER BY m.userid",
                    $crate::store::sql::contacts::REACHED
                );
                let rows = sqlx::query(&sql)
                    .bind(account.as_str())
                    .bind(&start)
                    .bind(&end)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::store::sql::contacts::reached::<$db>).collect()
            }

            async fn reach_all(
                &self,
                account: &$crate::accounts::model::AccountId,
            ) -> Result<Vec<$crate::store::contacts::Reached>, $crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM contact_members m WHERE m.account_id = $1 ORDER BY m.userid",
                    $crate::store::sql::contacts::REACHED
                );
                let rows = sqlx::query(&sql).bind(account.as_str()).fetch_all(&self.pool).await?;
                rows.iter().map($crate::store::sql::contacts::reached::<$db>).collect()
            }

            async fn tag_targets(
                &self,
                account: &$crate::accounts::model::AccountId,
                tag: $crate::contacts::model::ContactTagId,
            ) -> Result<Option<(Vec<String>, Vec<$crate::contacts::model::DepartmentId>)>, $crate::store::StoreError> {
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT tagid FROM contact_tags WHERE account_id = $1 AND tagid = $2",
                )
                .bind(account.as_str())
                .bind(tag.to_db())
                .fetch_optional(&self.pool)
                .await?;
                if found.is_none() {
                    return Ok(None);
                }
                let users: Vec<String> = sqlx::query_scalar(
                    "SELECT userid FROM contact_tag_members WHERE account_id = $1 AND tagid = $2 ORDER BY userid",
                )
                .bind(account.as_str())
                .bind(tag.to_db())
                .fetch_all(&self.pool)
                .await?;
                let parties: Vec<i64> = sqlx::query_scalar(
                    "SELECT department_id FROM contact_tag_parties WHERE account_id = $1 AND tagid = $2 ORDER BY department_id",
                )
                .bind(account.as_str())
                .bind(tag.to_db())
                .fetch_all(&self.pool)
                .await?;
                let parties = parties
                    .into_iter()
                    .filter_map(|p| u64::try_from(p).ok())
                    .filter_map(|p| $crate::contacts::model::DepartmentId::new(p).ok())
                    .collect();
                Ok(Some((users, parties)))
            }

            async fn counts(
                &self,
                account: &$crate::accounts::model::AccountId,
            ) -> Result<$crate::store::contacts::DirectoryCounts, $crate::store::StoreError> {
                let mut counts = [0u64; 3];
                for (i, table) in ["contact_departments", "contact_members", "contact_tags"].iter().enumerate() {
                    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE account_id = $1"))
                        .bind(account.as_str())
                        .fetch_one(&self.pool)
                        .await?;
                    counts[i] = u64::try_from(n).unwrap_or(0);
                }
                Ok($crate::store::contacts::DirectoryCounts {
                    departments: counts[0],
                    members: counts[1],
                    tags: counts[2],
                })
            }

            async fn queue_change(
                &self,
                change: &$crate::contacts::model::NewContactChange,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                $crate::store::sql::contacts::queue_rereads_in!($db, tx, std::iter::once(change));
                tx.commit().await?;
                Ok(())
            }

            async fn lease_changes(
                &self,
                owner: &$crate::jobs::model::InstanceId,
                now: chrono::DateTime<chrono::Utc>,
                until: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> Result<Vec<$crate::store::contacts::QueuedChange>, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::{stored_time, Columns, Time};
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                // `due_at` is also a lease's end: a killed holder's rows come due again.
                let rows = sqlx::query(
                    "UPDATE contact_changes SET lease_owner = $1, due_at = $2, attempts = attempts + 1 \
                     WHERE seq IN (SELECT seq FROM contact_changes WHERE due_at <= $3 ORDER BY seq LIMIT $4) \
                     AND due_at <= $3 \
                     RETURNING seq, account_id, target, target_id, change_type, received_at, attempts",
                )
                .bind(owner.as_str())
                .bind(<$db as Columns>::time_to_db(until))
                .bind(<$db as Columns>::time_to_db(now))
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let kind: String = row.try_get("target")?;
                    let id: String = row.try_get("target_id")?;
                    let account: String = row.try_get("account_id")?;
                    let received: Time<$db> = row.try_get("received_at")?;
                    let attempts: i64 = row.try_get("attempts")?;
                    out.push($crate::store::contacts::QueuedChange {
                        seq: row.try_get("seq")?,
                        account: $crate::accounts::model::AccountId::parse(&account)
                            .map_err(|_| $crate::store::sql::contacts::corrupt("change account"))?,
                        target: $crate::contacts::model::ChangeTarget::from_columns(&kind, &id)
                            .ok_or_else(|| $crate::store::sql::contacts::corrupt("change target"))?,
                        change_type: row.try_get("change_type")?,
                        received_at: stored_time::<$db>(received, "change received_at")?,
                        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                    });
                }
                out.sort_by_key(|c| c.seq);
                Ok(out)
            }

            async fn finish_change(&self, seq: i64) -> Result<(), $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                sqlx::query("DELETE FROM contact_changes WHERE seq = $1")
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn retry_change(
                &self,
                seq: i64,
                error: &str,
                due_at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                sqlx::query(
                    "UPDATE contact_changes SET lease_owner = NULL, due_at = $1, last_error = $2 WHERE seq = $3",
                )
                .bind(<$db as Columns>::time_to_db(due_at))
                .bind(error)
                .bind(seq)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn pending_changes(
                &self,
                account: &$crate::accounts::model::AccountId,
            ) -> Result<u64, $crate::store::StoreError> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contact_changes WHERE account_id = $1")
                    .bind(account.as_str())
                    .fetch_one(&self.pool)
                    .await?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            async fn record_sync(
                &self,
                record: &$crate::store::contacts::SyncRecord,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                sqlx::query(
                    "INSERT INTO contact_syncs (job_id, account_id, started_at, finished_at, report) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id) DO UPDATE SET \
                     finished_at = excluded.finished_at, report = excluded.report",
                )
                .bind(&record.job_id)
                .bind(record.account.as_str())
                .bind(<$db as Columns>::time_to_db(record.started_at))
                .bind(<$db as Columns>::time_to_db(record.finished_at))
                .bind(record.report.to_string())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn recent_syncs(
                &self,
                account: &$crate::accounts::model::AccountId,
                limit: u32,
            ) -> Result<Vec<$crate::store::contacts::SyncRecord>, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::{stored_time, Time};
                let rows = sqlx::query(
                    "SELECT job_id, started_at, finished_at, report FROM contact_syncs \
                     WHERE account_id = $1 ORDER BY finished_at DESC, job_id DESC LIMIT $2",
                )
                .bind(account.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        let started: Time<$db> = row.try_get("started_at")?;
                        let finished: Time<$db> = row.try_get("finished_at")?;
                        let report: String = row.try_get("report")?;
                        Ok($crate::store::contacts::SyncRecord {
                            job_id: row.try_get("job_id")?,
                            account: account.clone(),
                            started_at: stored_time::<$db>(started, "sync started_at")?,
                            finished_at: stored_time::<$db>(finished, "sync finished_at")?,
                            report: serde_json::from_str(&report)
                                .map_err(|_| $crate::store::sql::contacts::corrupt("sync report"))?,
                        })
                    })
                    .collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::jobs::Leases for $name {
            fn what(&self) -> &'static str {
                "directory re-reads"
            }

            async fn release_held_by(
                &self,
                owners: &[$crate::jobs::model::InstanceId],
            ) -> Result<u64, $crate::store::StoreError> {
                if owners.is_empty() {
                    return Ok(0);
                }
                let sql = format!(
                    "UPDATE contact_changes SET due_at = received_at, lease_owner = NULL \
                     WHERE lease_owner IN ({})",
                    $crate::store::sql::contacts::placeholders(1, owners.len())
                );
                let mut query = sqlx::query(&sql);
                for owner in owners {
                    query = query.bind(owner.as_str());
                }
                Ok(query.execute(&self.pool).await?.rows_affected())
            }
        }
    };
}
pub(crate) use contacts_store;
