//! SQLite's event batch writer: the callbacks' hot write, on rusqlite instead of sqlx.
//!
//! Why a second driver: sqlx runs each SQLite statement on its connection's worker thread
//! and hands every bound value and returned row across a channel, which costs several times
//! what SQLite itself spends on a row (issue 6 measured 16 µs against rusqlite's 2.2 µs per
//! row in batches; in the whole callback path it bought about 4 % more requests/s). Here one
//! blocking task owns one connection to the same file and runs the
//! whole batch — one prepared, cached INSERT per event, the follower changes, the QR scan
//! statistics (`qrcode_scans`), the commit —
//! without leaving its thread. Both drivers link the same `libsqlite3-sys`, so it is one
//! SQLite library and one file lock.
//!
//! The SQL is the shared text of `store/sql/events.rs`, `store/sql/followers.rs`,
//! `store/sql/bindings.rs` (an unfollow ends a binding) and `store/sql/webhooks.rs`, with times bound as [`Columns`] has them on SQLite (UTC
//! milliseconds), so the contract tests of both backends prove it. The connection takes the same settings as the
//! pool's (`synchronous = NORMAL`, foreign keys, busy timeout; WAL is a property of the
//! file), and the transaction starts `IMMEDIATE` after the [`WriteGate`] turn, like every
//! other hot writer of this process.
//!
//! With [`Dispatch::InEventBatch`] (the outbox bus) the same transaction also fans the new
//! events out: it reads the enabled endpoints' filters (`ENABLED_ENDPOINTS`, fan-out's own
//! query), creates one delivery per match (`webhooks::model::deliveries_for`, as fan-out's own
//! step does) and stores the events
//! already dispatched. Events and their deliveries then commit together, and there is no
//! second write transaction per batch.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::events::model::{EventId, InsertOutcome, NewEvent, StoredEvent};
use crate::identity::model::FollowerChange;
use crate::store::sql::bindings::{ended_on_unfollow, END_ON_UNFOLLOW, MARK_BIND_SCAN};
use crate::store::sql::contacts::QUEUE_CHANGE;
use crate::store::sql::events::{corrupt, FIND_BY_KEY, INSERT_ONE};
use crate::store::sql::followers::{FOLLOW, UNFOLLOW};
use crate::store::sql::webhooks::{ENABLED_ENDPOINTS, EVENT_GRANTS, INSERT_DELIVERY};
use crate::store::sql::Columns;
use crate::store::webhooks::{filter_from_columns, EventGrants};
use crate::store::{Dispatch, StoreError, WriteGate};
use crate::webhooks::model::deliveries_for;
use crate::webhooks::model::{EndpointId, Filter};

type Db = sqlx::Sqlite;

/// Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct EventBatchWriter {
    path: Arc<PathBuf>,
    /// Opened on first use (after migrations ran on the pool).
    conn: Arc<Mutex<Option<Connection>>>,
    gate: WriteGate,
    dispatch: Dispatch,
}

/// What one committed batch did.
struct Written {
    outcomes: Vec<InsertOutcome>,
    /// Deliveries created when the batch fanned out itself.
    deliveries: usize,
}

impl EventBatchWriter {
    pub fn new(path: PathBuf, gate: WriteGate, dispatch: Dispatch) -> Self {
        EventBatchWriter {
            path: Arc::new(path),
            conn: Arc::new(Mutex::new(None)),
            gate,
            dispatch,
        }
    }

    pub fn fans_out_in_batch(&self) -> bool {
        matches!(self.dispatch, Dispatch::InEventBatch { .. })
    }

    /// Stores `events` in one transaction; one outcome per input, in input order.
    pub async fn insert_batch(
        &self,
        events: Vec<NewEvent>,
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let _turn = self.gate.enter().await;
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.insert_blocking(events))
            .await
            .map_err(|_| StoreError::Corrupt("the event batch writer panicked".into()))?
    }

    fn insert_blocking(&self, events: Vec<NewEvent>) -> Result<Vec<InsertOutcome>, StoreError> {
        let mut slot = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let conn = match slot.as_mut() {
            Some(conn) => conn,
            None => slot.insert(open(&self.path)?),
        };
        let dispatch_at = match &self.dispatch {
            Dispatch::InEventBatch { clock, .. } => Some(clock.now()),
            Dispatch::Separate => None,
        };
        let written = match write_batch(conn, events, dispatch_at) {
            Ok(written) => written,
            Err(e) => {
                // A fresh connection next time: nothing of a failed batch is left open.
                *slot = None;
                return Err(e);
            }
        };
        drop(slot);
        if let Dispatch::InEventBatch { ready, .. } = &self.dispatch {
            let inserted = written
                .outcomes
                .iter()
                .filter(|o| matches!(o, InsertOutcome::Inserted(_)))
                .count();
            metrics::counter!("wxhub_events_dispatched_total", "bus" => "outbox")
                .increment(inserted as u64);
            if written.deliveries > 0 {
                ready.notify();
            }
        }
        Ok(written.outcomes)
    }
}

fn open(path: &std::path::Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(
        None,
        "wal_autocheckpoint",
        super::checkpoint::BACKSTOP_PAGES,
    )?;
    Ok(conn)
}

/// Writes the batch in one transaction; with `dispatch_at`, fans it out too (the module doc).
fn write_batch(
    conn: &mut Connection,
    events: Vec<NewEvent>,
    dispatch_at: Option<DateTime<Utc>>,
) -> Result<Written, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let dispatched_at = dispatch_at.map(<Db as Columns>::time_to_db);
    let mut outcomes = Vec::with_capacity(events.len());
    // Events the batch's own changes imply (a binding an unfollow ended).
    let mut derived = Vec::new();
    {
        let mut insert = tx.prepare_cached(INSERT_ONE)?;
        let mut find = tx.prepare_cached(FIND_BY_KEY)?;
        let mut follow = tx.prepare_cached(FOLLOW)?;
        let mut unfollow = tx.prepare_cached(UNFOLLOW)?;
        let mut unbind = tx.prepare_cached(END_ON_UNFOLLOW)?;
        let mut reread = tx.prepare_cached(QUEUE_CHANGE)?;
        for event in events {
            let payload = event.payload.to_string();
            let seq: Option<i64> = insert
                .query_row(
                    params![
                        event.event_id.as_str(),
                        event.account.as_str(),
                        event.event_type,
                        event.dedup_key,
                        <Db as Columns>::time_to_db(event.received_at),
                        event.qr_source.map(i64::from),
                        payload,
                        dispatched_at,
                    ],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(seq) = seq else {
                // Stored before, or earlier in this batch: the first one's id.
                let id: String = find
                    .query_row(params![event.account.as_str(), event.dedup_key], |row| {
                        row.get(0)
                    })
                    .optional()?
                    .ok_or_else(|| corrupt("event neither inserted nor found"))?;
                outcomes.push(InsertOutcome::Duplicate(
                    EventId::parse(&id).map_err(|_| corrupt("event_id"))?,
                ));
                continue;
            };
            match &event.follower {
                Some(FollowerChange::Followed {
                    account,
                    openid,
                    at,
                    scene,
                    qr_source,
                    qr_scene,
                }) => {
                    let at = <Db as Columns>::time_to_db(*at);
                    follow.execute(params![
                        account.as_str(),
                        openid,
                        <Db as Columns>::bool_to_db(true),
                        scene,
                        qr_source.map(i64::from),
                        qr_scene,
                        at,
                        at,
                    ])?;
                }
                Some(FollowerChange::Unfollowed {
                    account,
                    openid,
                    at,
                }) => {
                    let stored_at = <Db as Columns>::time_as_stored(*at);
                    let at = <Db as Columns>::time_to_db(*at);
                    unfollow.execute(params![
                        account.as_str(),
                        openid,
                        <Db as Columns>::bool_to_db(false),
                        at,
                        at,
                    ])?;
                    let ended = unbind
                        .query_map(
                            params![
                                at,
                                account.as_str(),
                                openid,
                                <Db as Columns>::bool_to_db(true)
                            ],
                            |row| {
                                Ok((
                                    row.get::<_, String>(0)?,
                                    row.get::<_, i64>(1)?,
                                    row.get::<_, Option<String>>(2)?,
                                    row.get::<_, i64>(3)?,
                                    row.get::<_, String>(4)?,
                                ))
                            },
                        )?
                        .collect::<Result<Vec<_>, _>>()?;
                    for (id, uid, scan_code, bound_at, bound_by) in ended {
                        let bound_at = <Db as Columns>::time_from_db(bound_at)
                            .ok_or_else(|| corrupt("binding bound_at"))?;
                        let event = ended_on_unfollow(
                            account, openid, &id, uid, scan_code, bound_at, bound_by, stored_at,
                        )?;
                        let payload = event.payload.to_string();
                        let seq: i64 = insert.query_row(
                            params![
                                event.event_id.as_str(),
                                event.account.as_str(),
                                event.event_type,
                                event.dedup_key,
                                <Db as Columns>::time_to_db(event.received_at),
                                None::<i64>,
                                payload,
                                dispatched_at,
                            ],
                            |row| row.get(0),
                        )?;
                        derived.push(StoredEvent {
                            seq,
                            event_id: event.event_id,
                            account: event.account,
                            event_type: event.event_type,
                            received_at: event.received_at,
                            qr_source: None,
                            payload: event.payload,
                        });
                    }
                }
                None => {}
            }
            for change in &event.contact_rereads {
                reread.execute(params![
                    change.account.as_str(),
                    change.target.kind(),
                    change.target.id(),
                    change.change_type,
                    change.source.as_str(),
                    <Db as Columns>::time_to_db(change.received_at),
                ])?;
            }
            outcomes.push(InsertOutcome::Inserted(StoredEvent {
                seq,
                event_id: event.event_id,
                account: event.account,
                event_type: event.event_type,
                received_at: <Db as Columns>::time_as_stored(event.received_at),
                qr_source: event.qr_source,
                payload: event.payload,
            }));
        }
    }
    super::qrcode_scans::count(&tx, &outcomes)?;
    mark_bind_scans(&tx, &outcomes)?;
    let mut deliveries = 0;
    if let Some(now) = dispatch_at {
        let inserted = outcomes
            .iter()
            .filter_map(|o| match o {
                InsertOutcome::Inserted(event) => Some(event),
                InsertOutcome::Duplicate(_) => None,
            })
            .chain(&derived);
        let endpoints = enabled_filters(&tx)?;
        let new = deliveries_for(inserted, endpoints.iter().map(|(id, f)| (id, f)), now);
        let mut insert = tx.prepare_cached(INSERT_DELIVERY)?;
        let at = <Db as Columns>::time_to_db(now);
        for d in &new {
            insert.execute(params![
                d.id.as_str(),
                d.endpoint_id.as_str(),
                d.event_id.as_str(),
                d.event_type,
                d.account.as_str(),
                at,
            ])?;
        }
        deliveries = new.len();
    }
    tx.commit()?;
    Ok(Written {
        outcomes,
        deliveries,
    })
}

/// The filters of the enabled endpoints, each caller-owned one narrowed to the accounts its
/// owner may receive events of now: all that matching needs.
fn enabled_filters(
    tx: &rusqlite::Transaction<'_>,
) -> Result<Vec<(EndpointId, Filter)>, StoreError> {
    let mut grants = tx.prepare_cached(EVENT_GRANTS)?;
    let grants = grants
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let grants = EventGrants::new(grants);
    let mut select = tx.prepare_cached(ENABLED_ENDPOINTS)?;
    let rows = select.query_map(params![<Db as Columns>::bool_to_db(true)], |row| {
        Ok((
            row.get::<_, String>("id")?,
            row.get::<_, Option<String>>("owner")?,
            row.get::<_, String>("accounts")?,
            row.get::<_, String>("event_types")?,
            row.get::<_, String>("qr_sources")?,
        ))
    })?;
    let mut endpoints = Vec::new();
    for row in rows {
        let (id, owner, accounts, event_types, qr_sources) = row?;
        let id = EndpointId::parse(&id).map_err(|_| corrupt("webhook endpoint id"))?;
        let mut filter = filter_from_columns(&accounts, &event_types, &qr_sources)?;
        grants.restrict(owner.as_deref(), &mut filter);
        endpoints.push((id, filter));
    }
    Ok(endpoints)
}

/// Records the bind-code scans among the batch's inserted events (`sql/bindings.rs`'s
/// `MARK_BIND_SCAN`), in the batch's own transaction.
fn mark_bind_scans(
    tx: &rusqlite::Transaction<'_>,
    outcomes: &[InsertOutcome],
) -> Result<(), StoreError> {
    let scans =
        crate::identity::model::bindings::bind_scans(outcomes.iter().filter_map(|o| match o {
            InsertOutcome::Inserted(event) => Some(event),
            InsertOutcome::Duplicate(_) => None,
        }));
    if scans.is_empty() {
        return Ok(());
    }
    let mut mark = tx.prepare_cached(MARK_BIND_SCAN)?;
    for scan in &scans {
        mark.execute(params![
            scan.openid,
            <Db as Columns>::time_to_db(scan.at),
            scan.account.as_str(),
            scan.ticket,
        ])?;
    }
    Ok(())
}
