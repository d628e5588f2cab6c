//! [`BindingStore`](crate::store::bindings::BindingStore), shared by both backends.
//!
//! A bind is one write transaction (`WriteTx`: the write lock at once on SQLite): read what
//! the uid and the openid are bound to now, decide, read whether each was ever bound, insert
//! the row and its `bound` event. On PostgreSQL two concurrent binds may both decide to
//! insert; the partial unique indexes let one win and the other is answered from what won
//! (its unique violation names the index: `bindings_current_uid` or `_openid`).

/// The columns of a binding row, in the order [`binding_from_row`] reads them.
pub(crate) const COLUMNS: &str =
    "id, account_id, kind, uid, openid, scan_code, bound_at, bound_by, ended_at, ended_by, end_reason";

/// Inserts one event (`sql::events::INSERT_ONE`'s columns), for the events a binding change
/// stores in its own transaction; fan-out delivers them (`dispatched_at` NULL).
pub(crate) const INSERT_EVENT: &str = crate::store::sql::events::INSERT_ONE;

/// The unique-violation needles of a bind's insert: which side was taken meanwhile.
pub(crate) const CURRENT_CONFLICTS: &[(&str, &str)] = &[("openid", "openid"), ("uid", "uid")];

/// Ends the `weixin` binding of an openid that unfollowed, when its account has
/// `unfollow_unbinds` on; binds at, account, openid, true (the setting, through `Columns`) —
/// numbered in the order they first appear, as rusqlite binds them by position.
/// Returns what [`ended_on_unfollow`] needs. Run inside the event batch by both writers
/// (`sql/events.rs` and SQLite's `event_batch.rs`), so the binding ends with the event.
pub(crate) const END_ON_UNFOLLOW: &str = "UPDATE bindings SET ended_at = $1, ended_by = 'wechat', end_reason = 'unfollow' \
     WHERE account_id = $2 AND kind = 'weixin' AND openid = $3 AND ended_at IS NULL \
     AND EXISTS (SELECT 1 FROM account_callback_settings s WHERE s.account_id = $2 AND s.unfollow_unbinds = $4) \
     RETURNING id, uid, scan_code, bound_at, bound_by";

/// Records the first scan of a live bind code's ticket: binds openid, at, account, ticket (in
/// the order they first appear). Run inside the event batch by both writers, so the scan is
/// recorded with its event or not at all.
pub(crate) const MARK_BIND_SCAN: &str =
    "UPDATE binding_codes SET scanned_openid = $1, scanned_at = $2 \
     WHERE account_id = $3 AND ticket = $4 AND scanned_openid IS NULL AND expires_at > $2";

pub(crate) const CODE_COLUMNS: &str =
    "id, account_id, kind, uid, qrcode_id, ticket, owner, created_at, expires_at, \
     scanned_openid, scanned_at, bound_at, result_code";

/// Inside the event batch's `$tx` on `$db`: records the bind-code scans among `$inserted`
/// (stored events).
macro_rules! mark_bind_scans_in {
    ($db:ty, $tx:expr, $inserted:expr) => {{
        use $crate::store::sql::Columns;
        for scan in $crate::identity::model::bindings::bind_scans($inserted) {
            sqlx::query($crate::store::sql::bindings::MARK_BIND_SCAN)
                .bind(&scan.openid)
                .bind(<$db as Columns>::time_to_db(scan.at))
                .bind(scan.account.as_str())
                .bind(&scan.ticket)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use mark_bind_scans_in;

/// The binding [`END_ON_UNFOLLOW`] ended, from its returned columns, and its `unbound` event.
#[allow(clippy::too_many_arguments)]
pub(crate) fn ended_on_unfollow(
    account: &crate::accounts::model::AccountId,
    openid: &str,
    id: &str,
    uid: i64,
    scan_code: Option<String>,
    bound_at: chrono::DateTime<chrono::Utc>,
    bound_by: String,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<crate::events::model::NewEvent, crate::store::StoreError> {
    use crate::identity::model::{Binding, BindingId, BindingType, EndReason, Ended};
    let corrupt = |what: &str| crate::store::StoreError::Corrupt(format!("binding {what}"));
    let binding = Binding {
        id: BindingId::parse(id).map_err(|_| corrupt("id"))?,
        account: account.clone(),
        kind: BindingType::Weixin,
        uid: crate::core::Uid::new(uid).map_err(|_| corrupt("uid"))?,
        openid: crate::core::OpenId::parse(openid).map_err(|_| corrupt("openid"))?,
        scan_code,
        bound_at,
        bound_by,
        ended: None,
    };
    let ended = Ended {
        at,
        by: "wechat".into(),
        reason: EndReason::Unfollow,
    };
    Ok(crate::identity::model::bindings::unbound_event(
        &binding, &ended,
    ))
}

/// Inside the event batch's `$tx` on `$db`: ends the bindings the `$changes` (follower
/// changes of newly inserted events) end, storing their `unbound` events; evaluates to the
/// stored events.
macro_rules! end_on_unfollow_in {
    ($db:ty, $tx:expr, $changes:expr) => {{
        use sqlx::Row as _;
        use $crate::store::sql::Columns;
        let mut ended = Vec::new();
        for change in $changes {
            let $crate::identity::model::FollowerChange::Unfollowed {
                account,
                openid,
                at,
            } = change
            else {
                continue;
            };
            let rows = sqlx::query($crate::store::sql::bindings::END_ON_UNFOLLOW)
                .bind(<$db as Columns>::time_to_db(*at))
                .bind(account.as_str())
                .bind(openid)
                .bind(<$db as Columns>::bool_to_db(true))
                .fetch_all(&mut *$tx)
                .await?;
            for row in rows {
                let id: String = row.try_get("id")?;
                let bound_at: <$db as Columns>::Time = row.try_get("bound_at")?;
                let event = $crate::store::sql::bindings::ended_on_unfollow(
                    account,
                    openid,
                    &id,
                    row.try_get("uid")?,
                    row.try_get("scan_code")?,
                    $crate::store::sql::stored_time::<$db>(bound_at, "binding bound_at")?,
                    row.try_get("bound_by")?,
                    <$db as Columns>::time_as_stored(*at),
                )?;
                ended.push($crate::store::sql::bindings::insert_event_in!(
                    $db, $tx, event
                ));
            }
        }
        ended
    }};
}
pub(crate) use end_on_unfollow_in;

/// Decodes a `bindings` row on `$db`, evaluating to `Result<Binding, StoreError>`.
macro_rules! binding_from_row {
    ($db:ty, $row:expr) => {{
        use sqlx::Row as _;
        use $crate::store::sql::Columns;
        let row = $row;
        let corrupt = |what: &str| $crate::store::StoreError::Corrupt(format!("binding {what}"));
        let decode = || -> Result<$crate::identity::model::Binding, $crate::store::StoreError> {
            let id: String = row.try_get("id")?;
            let account: String = row.try_get("account_id")?;
            let kind: String = row.try_get("kind")?;
            let uid: i64 = row.try_get("uid")?;
            let openid: String = row.try_get("openid")?;
            let bound_at: <$db as Columns>::Time = row.try_get("bound_at")?;
            let ended_at: Option<<$db as Columns>::Time> = row.try_get("ended_at")?;
            let ended_by: Option<String> = row.try_get("ended_by")?;
            let end_reason: Option<String> = row.try_get("end_reason")?;
            let ended = match (ended_at, ended_by, end_reason) {
                (None, _, _) => None,
                (Some(at), Some(by), Some(reason)) => Some($crate::identity::model::Ended {
                    at: $crate::store::sql::stored_time::<$db>(at, "binding ended_at")?,
                    by,
                    reason: $crate::identity::model::EndReason::parse(&reason)
                        .ok_or_else(|| corrupt("end_reason"))?,
                }),
                _ => return Err(corrupt("end")),
            };
            Ok($crate::identity::model::Binding {
                id: $crate::identity::model::BindingId::parse(&id).map_err(|_| corrupt("id"))?,
                account: $crate::accounts::model::AccountId::parse(&account)
                    .map_err(|_| corrupt("account_id"))?,
                kind: $crate::identity::model::BindingType::parse(&kind)
                    .map_err(|_| corrupt("kind"))?,
                uid: $crate::core::Uid::new(uid).map_err(|_| corrupt("uid"))?,
                openid: $crate::core::OpenId::parse(&openid).map_err(|_| corrupt("openid"))?,
                scan_code: row.try_get("scan_code")?,
                bound_at: $crate::store::sql::stored_time::<$db>(bound_at, "binding bound_at")?,
                bound_by: row.try_get("bound_by")?,
                ended,
            })
        };
        decode()
    }};
}
pub(crate) use binding_from_row;

/// Stores `event` inside `$tx` and returns it as stored (its `seq`), on `$db`.
macro_rules! insert_event_in {
    ($db:ty, $tx:expr, $event:expr) => {{
        use $crate::store::sql::Columns;
        let event: $crate::events::model::NewEvent = $event;
        let payload = event.payload.to_string();
        let seq: i64 = sqlx::query_scalar($crate::store::sql::bindings::INSERT_EVENT)
            .bind(event.event_id.as_str())
            .bind(event.account.as_str())
            .bind(&event.event_type)
            .bind(&event.dedup_key)
            .bind(<$db as Columns>::time_to_db(event.received_at))
            .bind(None::<<$db as Columns>::Int>)
            .bind(&payload)
            .bind(None::<<$db as Columns>::Time>)
            .fetch_one(&mut *$tx)
            .await?;
        $crate::events::model::StoredEvent {
            seq,
            event_id: event.event_id,
            account: event.account,
            event_type: event.event_type,
            received_at: <$db as Columns>::time_as_stored(event.received_at),
            qr_source: None,
            payload: event.payload,
        }
    }};
}
pub(crate) use insert_event_in;

/// Decodes a `binding_codes` row on `$db`.
macro_rules! code_from_row {
    ($db:ty, $row:expr) => {{
        use sqlx::Row as _;
        use $crate::store::sql::{stored_time, Columns};
        let row = $row;
        let corrupt = |what: &str| $crate::store::StoreError::Corrupt(format!("bind code {what}"));
        let decode =
            || -> Result<$crate::identity::model::BindQrCode, $crate::store::StoreError> {
                type Time = <$db as Columns>::Time;
                let id: String = row.try_get("id")?;
                let account: String = row.try_get("account_id")?;
                let kind: String = row.try_get("kind")?;
                let scanned_openid: Option<String> = row.try_get("scanned_openid")?;
                let scanned_at: Option<Time> = row.try_get("scanned_at")?;
                let bound_at: Option<Time> = row.try_get("bound_at")?;
                let result: Option<<$db as Columns>::Int> = row.try_get("result_code")?;
                let scanned = match (scanned_openid, scanned_at) {
                    (Some(openid), Some(at)) => Some((
                        $crate::core::OpenId::parse(&openid)
                            .map_err(|_| corrupt("scanned_openid"))?,
                        stored_time::<$db>(at, "bind code scanned_at")?,
                    )),
                    _ => None,
                };
                let bound = match (bound_at, result) {
                    (Some(at), Some(code)) => Some((
                        stored_time::<$db>(at, "bind code bound_at")?,
                        <$db as Columns>::int_from_db(code)
                            .ok_or_else(|| corrupt("result_code"))?,
                    )),
                    _ => None,
                };
                Ok($crate::identity::model::BindQrCode {
                    id: $crate::identity::model::BindQrCodeId::parse(&id)
                        .map_err(|_| corrupt("id"))?,
                    account: $crate::accounts::model::AccountId::parse(&account)
                        .map_err(|_| corrupt("account_id"))?,
                    kind: $crate::identity::model::BindingType::parse(&kind)
                        .map_err(|_| corrupt("kind"))?,
                    uid: $crate::core::Uid::new(row.try_get("uid")?).map_err(|_| corrupt("uid"))?,
                    qrcode_id: row.try_get("qrcode_id")?,
                    ticket: row.try_get("ticket")?,
                    owner: row.try_get("owner")?,
                    created_at: stored_time::<$db>(
                        row.try_get::<Time, _>("created_at")?,
                        "bind code created_at",
                    )?,
                    expires_at: stored_time::<$db>(
                        row.try_get::<Time, _>("expires_at")?,
                        "bind code expires_at",
                    )?,
                    scanned,
                    bound,
                })
            };
        decode()
    }};
}
pub(crate) use code_from_row;

/// Declares a binding store over one `sqlx::Database`:
/// `binding_store! { /// doc  pub struct SqliteBindingStore(sqlx::Sqlite); }`.
macro_rules! binding_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }

            /// The current binding of one side, inside `tx`.
            async fn current_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                account: &str,
                kind: &str,
                column: &str,
                value: $crate::store::sql::bindings::KeyValue<'_>,
            ) -> Result<Option<$crate::identity::model::Binding>, $crate::store::StoreError> {
                let sql = format!(
                    "SELECT {} FROM bindings WHERE account_id = $1 AND kind = $2 AND {column} = $3 \
                     AND ended_at IS NULL",
                    $crate::store::sql::bindings::COLUMNS
                );
                let query = value.bind_to(sqlx::query(&sql).bind(account).bind(kind));
                match query.fetch_optional(&mut **tx).await? {
                    Some(row) => Ok(Some($crate::store::sql::bindings::binding_from_row!($db, &row)?)),
                    None => Ok(None),
                }
            }

            /// Whether one side was ever bound (now or before), inside `tx`.
            async fn ever_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                account: &str,
                kind: &str,
                column: &str,
                value: $crate::store::sql::bindings::KeyValue<'_>,
            ) -> Result<bool, $crate::store::StoreError> {
                let sql = format!(
                    "SELECT COUNT(*) FROM bindings WHERE account_id = $1 AND kind = $2 AND {column} = $3"
                );
                let query = sqlx::query_scalar::<_, i64>(&sql).bind(account).bind(kind);
                let query = match value {
                    $crate::store::sql::bindings::KeyValue::Uid(uid) => query.bind(uid),
                    $crate::store::sql::bindings::KeyValue::OpenId(openid) => query.bind(openid),
                };
                Ok(query.fetch_one(&mut **tx).await? > 0)
            }

            /// One attempt at a bind; `Err(Conflict)` when a concurrent bind won meanwhile.
            async fn try_bind(
                &self,
                request: &$crate::identity::model::BindRequest,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::store::bindings::BindOutcome, $crate::store::StoreError> {
                use $crate::identity::model::{BindCode, Binding, BindingId};
                use $crate::store::bindings::BindOutcome;
                use $crate::store::sql::bindings::KeyValue;
                use $crate::store::sql::Columns;

                let (account, kind) = (request.account.as_str(), request.kind.as_str());
                let uid = KeyValue::Uid(request.uid.get());
                let openid = KeyValue::OpenId(request.openid.as_str());
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let of_uid = Self::current_in(&mut tx, account, kind, "uid", uid).await?;
                let of_openid = Self::current_in(&mut tx, account, kind, "openid", openid).await?;
                match (of_uid, of_openid) {
                    (Some(current), _) if current.openid == request.openid => {
                        return Ok(BindOutcome::AlreadyBound(current));
                    }
                    (_, Some(current)) => return Ok(BindOutcome::OpenIdTaken(current)),
                    (Some(current), None) => return Ok(BindOutcome::UidTaken(current)),
                    (None, None) => {}
                }
                let code = BindCode::for_new(
                    Self::ever_in(&mut tx, account, kind, "uid", uid).await?,
                    Self::ever_in(&mut tx, account, kind, "openid", openid).await?,
                );
                let binding = Binding {
                    id: BindingId::generate(),
                    account: request.account.clone(),
                    kind: request.kind,
                    uid: request.uid,
                    openid: request.openid.clone(),
                    scan_code: request.scan_code.clone(),
                    bound_at: <$db as Columns>::time_as_stored(at),
                    bound_by: request.by.clone(),
                    ended: None,
                };
                sqlx::query(&format!(
                    "INSERT INTO bindings ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL)",
                    $crate::store::sql::bindings::COLUMNS
                ))
                .bind(binding.id.as_str())
                .bind(account)
                .bind(kind)
                .bind(binding.uid.get())
                .bind(binding.openid.as_str())
                .bind(&binding.scan_code)
                .bind(<$db as Columns>::time_to_db(at))
                .bind(&binding.bound_by)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    $crate::store::error::classify_write(
                        e,
                        $crate::store::sql::bindings::CURRENT_CONFLICTS,
                    )
                })?;
                let event = $crate::store::sql::bindings::insert_event_in!(
                    $db,
                    tx,
                    $crate::identity::model::bindings::bound_event(&binding, code)
                );
                tx.commit().await?;
                Ok(BindOutcome::Bound { binding, code, event })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::bindings::BindingStore for $name {
            async fn bind(
                &self,
                request: &$crate::identity::model::BindRequest,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::store::bindings::BindOutcome, $crate::store::StoreError> {
                match self.try_bind(request, at).await {
                    // A concurrent bind of the uid or the openid committed first: decide
                    // again against what it wrote.
                    Err($crate::store::StoreError::Conflict { .. }) => self.try_bind(request, at).await,
                    other => other,
                }
            }

            async fn unbind(
                &self,
                account: &$crate::accounts::model::AccountId,
                kind: $crate::identity::model::BindingType,
                key: &$crate::identity::model::BindingKey,
                by: &str,
                reason: $crate::identity::model::EndReason,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<
                Option<($crate::identity::model::Binding, $crate::events::model::StoredEvent)>,
                $crate::store::StoreError,
            > {
                use $crate::store::sql::bindings::KeyValue;
                use $crate::store::sql::Columns;

                let (column, value) = KeyValue::of(key);
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let Some(mut binding) =
                    Self::current_in(&mut tx, account.as_str(), kind.as_str(), column, value).await?
                else {
                    return Ok(None);
                };
                sqlx::query(
                    "UPDATE bindings SET ended_at = $2, ended_by = $3, end_reason = $4 \
                     WHERE id = $1 AND ended_at IS NULL",
                )
                .bind(binding.id.as_str())
                .bind(<$db as Columns>::time_to_db(at))
                .bind(by)
                .bind(reason.as_str())
                .execute(&mut *tx)
                .await?;
                let ended = $crate::identity::model::Ended {
                    at: <$db as Columns>::time_as_stored(at),
                    by: by.to_owned(),
                    reason,
                };
                let event = $crate::store::sql::bindings::insert_event_in!(
                    $db,
                    tx,
                    $crate::identity::model::bindings::unbound_event(&binding, &ended)
                );
                tx.commit().await?;
                binding.ended = Some(ended);
                Ok(Some((binding, event)))
            }

            async fn current(
                &self,
                account: &$crate::accounts::model::AccountId,
                kind: $crate::identity::model::BindingType,
                key: &$crate::identity::model::BindingKey,
            ) -> Result<Option<$crate::identity::model::Binding>, $crate::store::StoreError> {
                let (column, value) = $crate::store::sql::bindings::KeyValue::of(key);
                let sql = format!(
                    "SELECT {} FROM bindings WHERE account_id = $1 AND kind = $2 AND {column} = $3 \
                     AND ended_at IS NULL",
                    $crate::store::sql::bindings::COLUMNS
                );
                let query = sqlx::query(&sql).bind(account.as_str()).bind(kind.as_str());
                let query = value.bind_to(query);
                match query.fetch_optional(&self.pool).await? {
                    Some(row) => Ok(Some($crate::store::sql::bindings::binding_from_row!($db, &row)?)),
                    None => Ok(None),
                }
            }

            async fn history(
                &self,
                filter: &$crate::store::bindings::HistoryFilter,
                limit: u32,
            ) -> Result<Vec<$crate::identity::model::Binding>, $crate::store::StoreError> {
                let (column, value) = $crate::store::sql::bindings::KeyValue::of(&filter.key);
                let sql = format!(
                    "SELECT {} FROM bindings WHERE account_id = $1 AND {column} = $2 \
                     AND (CAST($3 AS TEXT) IS NULL OR kind = $3) ORDER BY bound_at DESC, id DESC LIMIT $4",
                    $crate::store::sql::bindings::COLUMNS
                );
                let query = sqlx::query(&sql).bind(filter.account.as_str());
                let query = value
                    .bind_to(query)
                    .bind(filter.kind.map($crate::identity::model::BindingType::as_str))
                    .bind(i64::from(limit));
                query
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| $crate::store::sql::bindings::binding_from_row!($db, row))
                    .collect()
            }

            async fn insert_code(
                &self,
                code: &$crate::identity::model::BindQrCode,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                sqlx::query(&format!(
                    "INSERT INTO binding_codes ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, NULL)",
                    $crate::store::sql::bindings::CODE_COLUMNS
                ))
                .bind(code.id.as_str())
                .bind(code.account.as_str())
                .bind(code.kind.as_str())
                .bind(code.uid.get())
                .bind(&code.qrcode_id)
                .bind(&code.ticket)
                .bind(&code.owner)
                .bind(<$db as Columns>::time_to_db(code.created_at))
                .bind(<$db as Columns>::time_to_db(code.expires_at))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_code(
                &self,
                id: &$crate::identity::model::BindQrCodeId,
            ) -> Result<Option<$crate::identity::model::BindQrCode>, $crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM binding_codes WHERE id = $1",
                    $crate::store::sql::bindings::CODE_COLUMNS
                ))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(row) => Ok(Some($crate::store::sql::bindings::code_from_row!($db, &row)?)),
                    None => Ok(None),
                }
            }

            async fn scanned_codes(
                &self,
                limit: u32,
            ) -> Result<Vec<$crate::identity::model::BindQrCode>, $crate::store::StoreError> {
                sqlx::query(&format!(
                    "SELECT {} FROM binding_codes WHERE scanned_openid IS NOT NULL AND bound_at IS NULL \
                     ORDER BY scanned_at LIMIT $1",
                    $crate::store::sql::bindings::CODE_COLUMNS
                ))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| $crate::store::sql::bindings::code_from_row!($db, row))
                .collect()
            }

            async fn finish_code(
                &self,
                id: &$crate::identity::model::BindQrCodeId,
                code: i32,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let done = sqlx::query(
                    "UPDATE binding_codes SET bound_at = $1, result_code = $2 WHERE id = $3 AND bound_at IS NULL",
                )
                .bind(<$db as Columns>::time_to_db(at))
                .bind(<$db as Columns>::int_to_db(code))
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
pub(crate) use binding_store;

/// A binding's side as a bound value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KeyValue<'a> {
    Uid(i64),
    OpenId(&'a str),
}

impl<'a> KeyValue<'a> {
    /// The column and value of `key`.
    pub(crate) fn of(key: &'a crate::identity::model::BindingKey) -> (&'static str, Self) {
        match key {
            crate::identity::model::BindingKey::Uid(uid) => ("uid", KeyValue::Uid(uid.get())),
            crate::identity::model::BindingKey::OpenId(openid) => {
                ("openid", KeyValue::OpenId(openid.as_str()))
            }
        }
    }

    /// Binds the value as the query's next parameter.
    pub(crate) fn bind_to<DB>(
        self,
        query: sqlx::query::Query<'a, DB, <DB as sqlx::Database>::Arguments<'a>>,
    ) -> sqlx::query::Query<'a, DB, <DB as sqlx::Database>::Arguments<'a>>
    where
        DB: sqlx::Database,
        i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    {
        match self {
            KeyValue::Uid(uid) => query.bind(uid),
            KeyValue::OpenId(openid) => query.bind(openid),
        }
    }
}
