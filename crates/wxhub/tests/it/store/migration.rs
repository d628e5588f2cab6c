//! SQLite's migration 0008: the TEXT times of 0001 and 0004 become INTEGER milliseconds.
//!
//! A database is built at 0007 and given rows whose times sqlx wrote as text (`DateTime<Utc>`
//! bound the way the stores did until 0008), with foreign-key children; then the hub's own
//! migration runs. Every time must read back, through the stores, as the same millisecond,
//! every child must still be there and still cascade, and the schema must be the old one
//! with only the time columns' type changed.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sqlx::migrate::Migrator;
use sqlx::{Row, SqlitePool};
use wxhub::accounts::model::AccountId;
use wxhub::callers::model::ClientId;
use wxhub::events::model::EventId;
use wxhub::store::{Db, Store};
use wxhub::webhooks::model::{AttemptId, DeliveryId, EndpointId};

use crate::helpers::TestDb;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The time columns 0008 converts, by table.
const TIME_COLUMNS: [(&str, &[&str]); 6] = [
    ("accounts", &["created_at", "updated_at"]),
    ("callers", &["created_at"]),
    ("caller_tokens", &["expires_at"]),
    (
        "webhook_endpoints",
        &[
            "previous_secret_expires_at",
            "failing_since",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "webhook_deliveries",
        &["next_attempt_at", "lease_until", "created_at", "updated_at"],
    ),
    ("webhook_attempts", &["at", "next_attempt_at"]),
];

/// Every table 0008 rebuilds (caller_accounts only to keep its references).
const REBUILT: [&str; 7] = [
    "accounts",
    "callers",
    "caller_accounts",
    "caller_tokens",
    "webhook_endpoints",
    "webhook_deliveries",
    "webhook_attempts",
];

fn up_to(version: i64) -> Migrator {
    Migrator {
        migrations: Cow::Owned(
            SQLITE_MIGRATIONS
                .iter()
                .filter(|m| m.version <= version)
                .cloned()
                .collect(),
        ),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("time")
        .with_timezone(&Utc)
}

/// What the old text becomes: the instant truncated to the millisecond.
fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).expect("in range")
}

/// What a table is made of, as SQLite reports it: columns (name, type, not null, default,
/// primary key), foreign keys (table, from, to, on update, on delete), indexes (name,
/// unique, origin, partial, their SQL) and the CHECK clauses of its SQL.
async fn table_facts(pool: &SqlitePool, table: &str) -> BTreeMap<String, Vec<String>> {
    let mut facts = BTreeMap::new();
    let columns = sqlx::query(&format!("PRAGMA table_info({table})"))
        .fetch_all(pool)
        .await
        .expect("table_info");
    facts.insert(
        "columns".into(),
        columns
            .iter()
            .map(|c| {
                format!(
                    "{} {} notnull={} default={:?} pk={}",
                    c.get::<String, _>("name"),
                    c.get::<String, _>("type"),
                    c.get::<i64, _>("notnull"),
                    c.get::<Option<String>, _>("dflt_value"),
                    c.get::<i64, _>("pk"),
                )
            })
            .collect(),
    );
    let fks = sqlx::query(&format!("PRAGMA foreign_key_list({table})"))
        .fetch_all(pool)
        .await
        .expect("foreign_key_list");
    let mut fks: Vec<String> = fks
        .iter()
        .map(|f| {
            format!(
                "{}.{} -> {}.{} on update {} on delete {}",
                table,
                f.get::<String, _>("from"),
                f.get::<String, _>("table"),
                f.get::<String, _>("to"),
                f.get::<String, _>("on_update"),
                f.get::<String, _>("on_delete"),
            )
        })
        .collect();
    fks.sort();
    facts.insert("foreign keys".into(), fks);
    let indexes = sqlx::query(&format!("PRAGMA index_list({table})"))
        .fetch_all(pool)
        .await
        .expect("index_list");
    let mut described = Vec::new();
    for i in &indexes {
        let name: String = i.get("name");
        let columns: Vec<String> = sqlx::query(&format!("PRAGMA index_info({name})"))
            .fetch_all(pool)
            .await
            .expect("index_info")
            .iter()
            .map(|c| c.get::<Option<String>, _>("name").unwrap_or_default())
            .collect();
        let sql: Option<String> =
            sqlx::query_scalar("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = $1")
                .bind(&name)
                .fetch_one(pool)
                .await
                .expect("index sql");
        described.push(format!(
            "{name} ({}) unique={} origin={} partial={} sql={sql:?}",
            columns.join(", "),
            i.get::<i64, _>("unique"),
            i.get::<String, _>("origin"),
            i.get::<i64, _>("partial"),
        ));
    }
    described.sort();
    facts.insert("indexes".into(), described);
    let sql: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = $1")
            .bind(table)
            .fetch_one(pool)
            .await
            .expect("table sql");
    facts.insert("checks".into(), check_clauses(&sql));
    facts
}

/// `CHECK (…)` clauses of a CREATE TABLE, parentheses balanced.
fn check_clauses(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = sql;
    while let Some(start) = rest.find("CHECK (") {
        let clause = &rest[start..];
        let mut depth = 0;
        let mut end = clause.len();
        for (i, ch) in clause.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push(clause[..end].to_string());
        rest = &clause[end..];
    }
    out
}

#[tokio::test]
async fn text_times_become_the_same_milliseconds_and_every_row_stays() {
    let test_db = TestDb::sqlite();
    // The hub's own connection settings (foreign keys on), as when it migrates at start.
    let db = Db::connect(&test_db.url).await.expect("connect");
    let Db::Sqlite(pool) = &db else {
        panic!("a SQLite test database")
    };
    up_to(7).run(pool).await.expect("migrate to 0007");

    // Times in every form sqlx wrote: 9, 6, 3 and no fraction digits; a fraction that
    // rounding to milliseconds would carry into the next second, and into the next day.
    let t9 = at("2026-12-03T10:00:00.123456789Z");
    let t0 = at("2026-12-03T10:00:01Z");
    let t6 = at("2026-12-03T10:00:02.999999Z");
    let t3 = at("2026-12-03T10:00:03.500Z");
    let day_end = at("2026-12-03T23:59:59.999999999Z");

    let before: BTreeMap<&str, _> = {
        let mut facts = BTreeMap::new();
        for table in REBUILT {
            facts.insert(table, table_facts(pool, table).await);
        }
        facts
    };

    let account = AccountId::parse("old-mp").expect("account id");
    let client = ClientId::generate();
    let event = EventId::generate();
    let other_event = EventId::generate();
    let endpoint = EndpointId::generate();
    let pending = DeliveryId::generate();
    let delivered = DeliveryId::generate();
    let failed = AttemptId::generate();
    let succeeded = AttemptId::generate();
    sqlx::query(
        "INSERT INTO accounts (id, kind, appid, mode, api_base, secret_sealed, version, created_at, updated_at) \
         VALUES ($1, 'mp', 'wxold', 'plaintext', 'https://api.weixin.qq.com', 'v1.x', 1, $2, $3)",
    )
    .bind(account.as_str())
    .bind(t9)
    .bind(day_end)
    .execute(pool)
    .await
    .expect("account");
    sqlx::query(
        "INSERT INTO callers (client_id, system_id, name, secret_hash, scopes, redirect_domains, jssdk_domains, created_at) \
         VALUES ($1, 'old-system', 'old', 'hash', '[\"events\"]', '[]', '[]', $2)",
    )
    .bind(client.as_str())
    .bind(t0)
    .execute(pool)
    .await
    .expect("caller");
    sqlx::query(
        "INSERT INTO caller_accounts (client_id, account_id, qr_source) VALUES ($1, $2, NULL)",
    )
    .bind(client.as_str())
    .bind(account.as_str())
    .execute(pool)
    .await
    .expect("grant");
    sqlx::query("INSERT INTO caller_tokens (token_hash, client_id, expires_at) VALUES ('token-hash', $1, $2)")
        .bind(client.as_str())
        .bind(t6)
        .execute(pool)
        .await
        .expect("token");
    for (id, key) in [(&event, "k1"), (&other_event, "k2")] {
        sqlx::query(
            "INSERT INTO events (event_id, account_id, event_type, dedup_key, received_at, payload, dispatched_at) \
             VALUES ($1, $2, 'text', $3, 1796292000000, '{}', 1796292000000)",
        )
        .bind(id.as_str())
        .bind(account.as_str())
        .bind(key)
        .execute(pool)
        .await
        .expect("event");
    }
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, owner, url, accounts, event_types, qr_sources, enabled, secret_sealed, \
         previous_secret_sealed, previous_secret_expires_at, health, consecutive_failures, failing_since, created_at, updated_at) \
         VALUES ($1, $2, 'http://127.0.0.1:9/hook', '[\"old-mp\"]', '[]', '[]', 1, 'v1.s', 'v1.p', $3, 'failing', 3, $4, $5, $6)",
    )
    .bind(endpoint.as_str())
    .bind(client.as_str())
    .bind(t3)
    .bind(t6)
    .bind(t9)
    .bind(day_end)
    .execute(pool)
    .await
    .expect("endpoint");
    for (id, event, status, next, lease) in [
        (&pending, &event, "failing", Some(t6), Some(day_end)),
        (&delivered, &other_event, "delivered", None, None),
    ] {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, account_id, status, attempts, step, \
             next_attempt_at, lease_until, created_at, updated_at) VALUES ($1, $2, $3, 'text', $4, $5, 1, 1, $6, $7, $8, $9)",
        )
        .bind(id.as_str())
        .bind(endpoint.as_str())
        .bind(event.as_str())
        .bind(account.as_str())
        .bind(status)
        .bind(next)
        .bind(lease)
        .bind(t9)
        .bind(t0)
        .execute(pool)
        .await
        .expect("delivery");
    }
    for (id, delivery, next, outcome) in [
        (&failed, &pending, Some(t6), "http_error"),
        (&succeeded, &pending, None, "success"),
    ] {
        sqlx::query(
            "INSERT INTO webhook_attempts (id, delivery_id, endpoint_id, event_id, attempt_no, at, outcome, \
             status_code, duration_ms, next_attempt_at) VALUES ($1, $2, $3, $4, 1, $5, $6, 500, 12, $7)",
        )
        .bind(id.as_str())
        .bind(delivery.as_str())
        .bind(endpoint.as_str())
        .bind(event.as_str())
        .bind(t9)
        .bind(outcome)
        .bind(next)
        .execute(pool)
        .await
        .expect("attempt");
    }
    let (stored,): (String,) = sqlx::query_as("SELECT created_at FROM accounts")
        .fetch_one(pool)
        .await
        .expect("old text");
    assert_eq!(
        stored, "2026-12-03T10:00:00.123456789+00:00",
        "the rows hold sqlx's text"
    );

    up_to(8).run(pool).await.expect("migrate through 0008");

    // Every time column holds integers (or NULL), nothing else.
    for (table, columns) in TIME_COLUMNS {
        for column in columns {
            let (other,): (i64,) = sqlx::query_as(&format!(
                "SELECT COUNT(*) FROM {table} WHERE typeof({column}) NOT IN ('integer', 'null')"
            ))
            .fetch_one(pool)
            .await
            .expect("typeof");
            assert_eq!(other, 0, "{table}.{column} is not INTEGER everywhere");
        }
    }
    let (lease,): (Option<i64>,) =
        sqlx::query_as("SELECT lease_until FROM webhook_deliveries WHERE id = $1")
            .bind(pending.as_str())
            .fetch_one(pool)
            .await
            .expect("lease");
    assert_eq!(lease, Some(day_end.timestamp_millis()));
    let violations = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .expect("foreign_key_check");
    assert!(violations.is_empty(), "foreign keys broken");

    // The schema is the old one but for the time columns' type.
    for table in REBUILT {
        let mut expected = before[table].clone();
        let times = TIME_COLUMNS
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(&[][..], |(_, c)| c);
        for column in expected.get_mut("columns").expect("columns") {
            let name = column.split(' ').next().unwrap_or_default().to_string();
            if times.contains(&name.as_str()) {
                *column = column.replacen(&format!("{name} TEXT "), &format!("{name} INTEGER "), 1);
            }
        }
        assert_eq!(table_facts(pool, table).await, expected, "{table}");
    }

    // Through the stores: the same instants, to the millisecond, and every child row.
    // Later migrations on top, as the hub runs them at start; then read through the stores.
    db.migrate().await.expect("migrate to the end");
    let store = Store::new(db.clone());
    let a = store
        .accounts
        .get(&account)
        .await
        .expect("get")
        .expect("account");
    assert_eq!((a.created_at, a.updated_at), (ms(t9), ms(day_end)));
    let c = store
        .callers
        .get(&client)
        .await
        .expect("get")
        .expect("caller");
    assert_eq!(c.caller.created_at, ms(t0));
    assert_eq!(c.caller.accounts, [account.clone()].into());
    let owner = store
        .callers
        .find_by_token("token-hash", ms(t6) - Duration::milliseconds(1))
        .await
        .expect("find")
        .expect("unexpired token");
    assert_eq!(owner.expires_at, ms(t6));
    assert!(store
        .callers
        .find_by_token("token-hash", ms(t6))
        .await
        .expect("find")
        .is_none());
    let e = store
        .webhooks
        .get_endpoint(&endpoint)
        .await
        .expect("get")
        .expect("endpoint");
    assert_eq!(e.previous_secret_expires_at, Some(ms(t3)));
    assert_eq!(e.endpoint.failing_since, Some(ms(t6)));
    assert_eq!(
        (e.endpoint.created_at, e.endpoint.updated_at),
        (ms(t9), ms(day_end))
    );
    let d = store
        .webhooks
        .get_delivery(&endpoint, &pending)
        .await
        .expect("get")
        .expect("delivery");
    assert_eq!(d.next_attempt_at, Some(ms(t6)));
    assert_eq!((d.created_at, d.updated_at), (ms(t9), ms(t0)));
    let d = store
        .webhooks
        .get_delivery(&endpoint, &delivered)
        .await
        .expect("get")
        .expect("delivered");
    assert_eq!(d.next_attempt_at, None);
    let attempts = store
        .webhooks
        .list_attempts(&endpoint, Some(&pending), None, 10)
        .await
        .expect("attempts");
    let mut attempts: Vec<_> = attempts
        .iter()
        .map(|a| (a.id.clone(), a.at, a.next_attempt_at))
        .collect();
    attempts.sort();
    let mut expected = vec![
        (failed.clone(), ms(t9), Some(ms(t6))),
        (succeeded.clone(), ms(t9), None),
    ];
    expected.sort();
    assert_eq!(attempts, expected);
    // Due once the lease has run out: the converted times compare as times.
    assert_eq!(
        store.webhooks.next_due().await.expect("next due"),
        Some(ms(t6))
    );
    assert!(store
        .webhooks
        .claim_due(
            &wxhub::jobs::InstanceId::parse("hub").expect("instance"),
            ms(day_end) - Duration::milliseconds(1),
            ms(day_end),
            5
        )
        .await
        .expect("claim while leased")
        .is_empty());

    // The rebuilt references still cascade.
    let count = |table: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(pool)
            .await
            .expect("count");
        n
    };
    assert!(store
        .webhooks
        .delete_endpoint(&endpoint)
        .await
        .expect("delete endpoint"));
    assert_eq!(
        (
            count("webhook_deliveries").await,
            count("webhook_attempts").await
        ),
        (0, 0)
    );
    assert!(store
        .accounts
        .delete(&account)
        .await
        .expect("delete account"));
    assert_eq!(count("caller_accounts").await, 0);
    assert!(store.callers.delete(&client).await.expect("delete caller"));
    assert_eq!(count("caller_tokens").await, 0);
}
