//! [`EventStore`](crate::store::events::EventStore) queries shared by both backends; `$N`
//! placeholders (and `QueryBuilder`, which writes each backend's own) work on SQLite and
//! PostgreSQL.
//!
//! A batch is one transaction: one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` per
//! chunk (SQLite ≥ 3.35 and PostgreSQL alike; rows matched by key, not by order), then one
//! lookup of the rows that were already there, then the follower changes of the inserted
//! events (the follower store's `apply_in`), the bindings an unfollow ends
//! (`sql/bindings.rs`'s `END_ON_UNFOLLOW`, with their `unbound` events) and the QR scan
//! statistics (`sql/qrcodes.rs`'s `count_scans_in!`). PostgreSQL inserts this way, and so does an
//! in-memory SQLite; a SQLite file is written by the rusqlite batch writer
//! (`store/sqlite/event_batch.rs`), one [`INSERT_ONE`] per event in the same kind of
//! transaction, with the same SQL text. What differs: the column types (through
//! [`Columns`](crate::store::sql::Columns)).

use crate::store::StoreError;

/// Rows per INSERT statement (7 parameters each, far below SQLite's 32 766 and
/// PostgreSQL's 65 535).
pub(crate) const CHUNK: usize = 500;

pub(crate) const COLUMNS: &str =
    "seq, event_id, account_id, event_type, received_at, qr_source, payload";

/// One event, ignored when its (account, dedup key) is stored already; returns its `seq`
/// when inserted. Binds event_id, account_id, event_type, dedup_key, received_at, qr_source,
/// payload, dispatched_at (NULL until fan-out has run). SQLite's batch writer
/// (`store/sqlite/event_batch.rs`) runs it once per event.
pub(crate) const INSERT_ONE: &str = "INSERT INTO events (event_id, account_id, event_type, dedup_key, received_at, qr_source, payload, dispatched_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (account_id, dedup_key) DO NOTHING RETURNING seq";

/// The stored event_id of an (account, dedup key).
pub(crate) const FIND_BY_KEY: &str =
    "SELECT event_id FROM events WHERE account_id = $1 AND dedup_key = $2";

pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}

/// Decodes an `events` row (the [`COLUMNS`]) on `$db`, through
/// [`Columns`](crate::store::sql::Columns): `event_from_row!(sqlx::Sqlite, &row)`, evaluating to
/// `Result<StoredEvent, StoreError>`. The event store and the webhook store's fan-out both read
/// events this way.
macro_rules! event_from_row {
    ($db:ty, $row:expr) => {{
        use sqlx::Row as _;
        use $crate::store::sql::events::corrupt;
        use $crate::store::sql::Columns;
        type Int = <$db as Columns>::Int;
        type Time = <$db as Columns>::Time;

        let row = $row;
        let decode = || -> Result<$crate::events::model::StoredEvent, $crate::store::StoreError> {
            let event_id: String = row.try_get("event_id")?;
            let account: String = row.try_get("account_id")?;
            let payload: String = row.try_get("payload")?;
            let received: Time = row.try_get("received_at")?;
            let qr: Option<Int> = row.try_get("qr_source")?;
            Ok($crate::events::model::StoredEvent {
                seq: row.try_get("seq")?,
                event_id: $crate::events::model::EventId::parse(&event_id)
                    .map_err(|_| corrupt("event_id"))?,
                account: $crate::accounts::model::AccountId::parse(&account)
                    .map_err(|_| corrupt("event account_id"))?,
                event_type: row.try_get("event_type")?,
                received_at: <$db as Columns>::time_from_db(received)
                    .ok_or_else(|| corrupt("event received_at"))?,
                qr_source: qr
                    .map(|q| {
                        <$db as Columns>::int_from_db(q)
                            .and_then(|q| u8::try_from(q).ok())
                            .ok_or_else(|| corrupt("event qr_source"))
                    })
                    .transpose()?,
                payload: serde_json::from_str(&payload).map_err(|_| corrupt("event payload"))?,
            })
        };
        decode()
    }};
}
pub(crate) use event_from_row;

/// Declares an event store over one `sqlx::Database`:
/// `event_store! { /// doc  pub struct PgEventStore(sqlx::Postgres); followers = PgFollowerStore; }`.
macro_rules! event_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty); followers = $followers:ty;) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
            gate: $crate::store::WriteGate,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>, gate: $crate::store::WriteGate) -> Self {
                Self { pool, gate }
            }

            fn row_to_event(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::events::model::StoredEvent, $crate::store::StoreError> {
                $crate::store::sql::events::event_from_row!($db, row)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::events::EventStore for $name {
            async fn insert_batch(
                &self,
                events: Vec<$crate::events::model::NewEvent>,
            ) -> Result<Vec<$crate::events::model::InsertOutcome>, $crate::store::StoreError> {
                let events = &events[..];
                use std::collections::HashMap;

                use sqlx::Row as _;
                use $crate::events::model::{EventId, InsertOutcome, NewEvent, StoredEvent};
                use $crate::store::sql::events::{corrupt, CHUNK};
                use $crate::store::sql::Columns;

                if events.is_empty() {
                    return Ok(Vec::new());
                }
                let _turn = self.gate.enter().await;
                let mut tx = self.pool.begin().await?;
                // (account, dedup_key) -> the row inserted by this batch.
                let mut inserted: HashMap<(String, String), (i64, String)> = HashMap::new();
                let payloads: Vec<String> = events.iter().map(|e| e.payload.to_string()).collect();
                for (chunk_no, chunk) in events.chunks(CHUNK).enumerate() {
                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                        "INSERT INTO events (event_id, account_id, event_type, dedup_key, received_at, qr_source, payload) ",
                    );
                    qb.push_values(chunk.iter().enumerate(), |mut b, (i, e)| {
                        b.push_bind(e.event_id.as_str())
                            .push_bind(e.account.as_str())
                            .push_bind(e.event_type.as_str())
                            .push_bind(e.dedup_key.as_str())
                            .push_bind(<$db as Columns>::time_to_db(e.received_at))
                            .push_bind(e.qr_source.map(|q| <$db as Columns>::int_to_db(i32::from(q))))
                            .push_bind(payloads[chunk_no * CHUNK + i].as_str());
                    });
                    qb.push(" ON CONFLICT (account_id, dedup_key) DO NOTHING RETURNING seq, event_id, account_id, dedup_key");
                    let rows = qb.build().fetch_all(&mut *tx).await?;
                    for row in rows {
                        let account: String = row.try_get("account_id")?;
                        let key: String = row.try_get("dedup_key")?;
                        inserted.insert(
                            (account, key),
                            (row.try_get("seq")?, row.try_get("event_id")?),
                        );
                    }
                }
                // Rows that were already stored before this batch.
                let mut existing: HashMap<(String, String), String> = HashMap::new();
                let missing: Vec<&NewEvent> = events
                    .iter()
                    .filter(|e| !inserted.contains_key(&(e.account.to_string(), e.dedup_key.clone())))
                    .collect();
                for e in missing {
                    let k = (e.account.to_string(), e.dedup_key.clone());
                    if existing.contains_key(&k) {
                        continue;
                    }
                    let id: Option<String> = sqlx::query_scalar($crate::store::sql::events::FIND_BY_KEY)
                    .bind(e.account.as_str())
                    .bind(e.dedup_key.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let id = id.ok_or_else(|| corrupt("event neither inserted nor found"))?;
                    existing.insert(k, id);
                }
                let outcomes = events
                    .iter()
                    .map(|e| {
                        let k = (e.account.to_string(), e.dedup_key.clone());
                        match inserted.get(&k) {
                            Some((seq, id)) if id == e.event_id.as_str() => {
                                Ok(InsertOutcome::Inserted(StoredEvent {
                                    seq: *seq,
                                    event_id: e.event_id.clone(),
                                    account: e.account.clone(),
                                    event_type: e.event_type.clone(),
                                    received_at: <$db as Columns>::time_as_stored(e.received_at),
                                    qr_source: e.qr_source,
                                    payload: e.payload.clone(),
                                }))
                            }
                            Some((_, id)) => Ok(InsertOutcome::Duplicate(
                                EventId::parse(id).map_err(|_| corrupt("event_id"))?,
                            )),
                            None => {
                                let id = existing
                                    .get(&k)
                                    .ok_or_else(|| corrupt("event neither inserted nor found"))?;
                                Ok(InsertOutcome::Duplicate(
                                    EventId::parse(id).map_err(|_| corrupt("event_id"))?,
                                ))
                            }
                        }
                    })
                    .collect::<Result<Vec<InsertOutcome>, $crate::store::StoreError>>()?;
                // Follower changes of the events this batch inserted, in input order.
                let changes: Vec<$crate::identity::model::FollowerChange> = events
                    .iter()
                    .zip(&outcomes)
                    .filter(|(_, o)| matches!(o, InsertOutcome::Inserted(_)))
                    .filter_map(|(e, _)| e.follower.clone())
                    .collect();
                if !changes.is_empty() {
                    <$followers>::apply_in(&mut tx, &changes).await?;
                    // Their `unbound` events are fanned out by fan-out's own step.
                    let _unbound = $crate::store::sql::bindings::end_on_unfollow_in!($db, tx, &changes);
                }
                // Directory re-reads the inserted change_contact callbacks ask for.
                $crate::store::sql::contacts::queue_rereads_in!(
                    $db,
                    tx,
                    events
                        .iter()
                        .zip(&outcomes)
                        .filter(|(_, o)| matches!(o, InsertOutcome::Inserted(_)))
                        .flat_map(|(e, _)| e.contact_rereads.iter())
                );
                // QR scan statistics of the inserted events.
                $crate::store::sql::qrcodes::count_scans_in!($db, &mut tx, &outcomes)?;
                $crate::store::sql::bindings::mark_bind_scans_in!(
                    $db,
                    tx,
                    outcomes.iter().filter_map(|o| match o {
                        InsertOutcome::Inserted(e) => Some(e),
                        InsertOutcome::Duplicate(_) => None,
                    })
                );
                tx.commit().await?;
                Ok(outcomes)
            }

            async fn list(
                &self,
                filter: &$crate::store::events::EventFilter,
                limit: u32,
            ) -> Result<Vec<$crate::events::model::StoredEvent>, $crate::store::StoreError> {
                let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(format!(
                    "SELECT {} FROM events WHERE 1 = 1",
                    $crate::store::sql::events::COLUMNS
                ));
                if let Some(accounts) = &filter.accounts {
                    if accounts.is_empty() {
                        return Ok(Vec::new());
                    }
                    qb.push(" AND account_id IN (");
                    let mut sep = qb.separated(", ");
                    for a in accounts {
                        sep.push_bind(a.as_str());
                    }
                    qb.push(")");
                }
                if let Some(before) = filter.before_seq {
                    qb.push(" AND seq < ").push_bind(before);
                }
                qb.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(limit));
                let rows = qb.build().fetch_all(&self.pool).await?;
                rows.iter().map(Self::row_to_event).collect()
            }

            async fn after_seq(
                &self,
                after: i64,
                limit: u32,
            ) -> Result<Vec<$crate::events::model::StoredEvent>, $crate::store::StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
                    $crate::store::sql::events::COLUMNS
                ))
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::row_to_event).collect()
            }

            async fn find(
                &self,
                id: &$crate::events::model::EventId,
            ) -> Result<Option<$crate::events::model::StoredEvent>, $crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM events WHERE event_id = $1",
                    $crate::store::sql::events::COLUMNS
                ))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::row_to_event).transpose()
            }

        }
    };
}
pub(crate) use event_store;
