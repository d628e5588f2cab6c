//! Per-code scan statistics, counted in the event batch's own transaction.
//!
//! [`scan_tally`] is a pure function over the events a batch has just inserted (never over
//! its duplicates, so WeChat's retries count once): every subscribe or SCAN event that came
//! through a QR code names the code's `ticket`, and each becomes one scan of that ticket on
//! the UTC day it was received, a new follow when its `trigger` is `subscribe`, and one
//! scanner (openid) of the day. The store applies the tally in the same transaction as the
//! events (`store/sql/qrcodes.rs`'s `ADD_DAY` and `ADD_SCANNER`), matching tickets to the
//! codes the hub issued; scans of a ticket the hub did not issue change nothing. A crash
//! therefore loses a scan only together with its event, which WeChat then retries.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::model::AccountId;
use crate::events::model::StoredEvent;

/// One code's ticket on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TicketDay {
    pub account: AccountId,
    pub ticket: String,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
}

/// What a batch adds to one [`TicketDay`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayIncrement {
    pub at: TicketDay,
    pub scans: i64,
    pub new_follows: i64,
}

/// A user who scanned the ticket that day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanner {
    pub at: TicketDay,
    pub openid: String,
}

/// A batch's scans, in key order: concurrent batches then lock the same rows in the same
/// order (no deadlock on PostgreSQL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanTally {
    pub increments: Vec<DayIncrement>,
    pub scanners: Vec<Scanner>,
}

impl ScanTally {
    pub fn is_empty(&self) -> bool {
        self.increments.is_empty()
    }
}

/// The scans among `inserted` (see the module doc).
pub fn scan_tally<'a>(inserted: impl IntoIterator<Item = &'a StoredEvent>) -> ScanTally {
    let mut days: BTreeMap<TicketDay, (i64, i64)> = BTreeMap::new();
    let mut scanners: BTreeSet<(TicketDay, String)> = BTreeSet::new();
    for event in inserted {
        if !matches!(event.event_type.as_str(), "subscribe" | "scan") {
            continue;
        }
        let text = |field: &str| event.payload.get(field).and_then(|v| v.as_str());
        let Some(ticket) = text("ticket").filter(|t| !t.is_empty()) else {
            continue; // a plain follow: no code was scanned
        };
        let at = TicketDay {
            account: event.account.clone(),
            ticket: ticket.to_owned(),
            day: event
                .received_at
                .date_naive()
                .format("%Y-%m-%d")
                .to_string(),
        };
        let count = days.entry(at.clone()).or_default();
        count.0 += 1;
        if text("trigger") == Some("subscribe") {
            count.1 += 1;
        }
        if let Some(openid) = text("openid").filter(|o| !o.is_empty()) {
            scanners.insert((at, openid.to_owned()));
        }
    }
    ScanTally {
        increments: days
            .into_iter()
            .map(|(at, (scans, new_follows))| DayIncrement {
                at,
                scans,
                new_follows,
            })
            .collect(),
        scanners: scanners
            .into_iter()
            .map(|(at, openid)| Scanner { at, openid })
            .collect(),
    }
}

/// One day of a code's statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DayCount {
    /// UTC date.
    #[schema(value_type = String, example = "2026-01-15")]
    pub day: NaiveDate,
    pub scans: u64,
    pub new_follows: u64,
    pub unique_users: u64,
}

/// A code's statistics: totals and one entry per UTC day with a scan, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct QrStats {
    /// Every scan: follows through the code and scans by users who already followed.
    pub scans: u64,
    /// Scans that made the user follow the account (`trigger: subscribe`).
    pub new_follows: u64,
    /// Distinct users who scanned it.
    pub unique_users: u64,
    pub by_day: Vec<DayCount>,
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use serde_json::json;

    use super::*;
    use crate::events::model::EventId;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn event(kind: &str, openid: &str, ticket: Option<&str>, when: &str) -> StoredEvent {
        let trigger = if kind == "subscribe" {
            "subscribe"
        } else {
            "scan"
        };
        let mut payload = json!({"type": kind, "openid": openid, "trigger": trigger});
        if let Some(t) = ticket {
            payload["ticket"] = json!(t);
        }
        StoredEvent {
            seq: 1,
            event_id: EventId::generate(),
            account: AccountId::parse("demo-mp").expect("id"),
            event_type: kind.into(),
            received_at: at(when),
            qr_source: Some(3),
            payload,
        }
    }

    fn day(ticket: &str, day: &str) -> TicketDay {
        TicketDay {
            account: AccountId::parse("demo-mp").expect("id"),
            ticket: ticket.into(),
            day: day.into(),
        }
    }

    #[test]
    fn scans_count_per_ticket_and_utc_day_and_follows_apart() {
        let events = [
            event("subscribe", "o1", Some("T1"), "2026-01-15T23:59:59Z"),
            event("scan", "o1", Some("T1"), "2026-01-15T10:00:00+08:00"),
            event("scan", "o2", Some("T1"), "2026-01-16T00:00:00Z"),
            event("scan", "o2", Some("T2"), "2026-01-16T01:00:00Z"),
            event("subscribe", "o3", None, "2026-01-16T01:00:00Z"),
            event("text", "o3", Some("T1"), "2026-01-16T01:00:00Z"),
        ];
        let tally = scan_tally(&events);
        assert_eq!(
            tally.increments,
            vec![
                DayIncrement {
                    at: day("T1", "2026-01-15"),
                    scans: 2,
                    new_follows: 1
                },
                DayIncrement {
                    at: day("T1", "2026-01-16"),
                    scans: 1,
                    new_follows: 0
                },
                DayIncrement {
                    at: day("T2", "2026-01-16"),
                    scans: 1,
                    new_follows: 0
                },
            ]
        );
        let scanners: Vec<(String, String, &str)> = tally
            .scanners
            .iter()
            .map(|s| (s.at.ticket.clone(), s.at.day.clone(), s.openid.as_str()))
            .collect();
        assert_eq!(
            scanners,
            [
                ("T1".into(), "2026-01-15".into(), "o1"),
                ("T1".into(), "2026-01-16".into(), "o2"),
                ("T2".into(), "2026-01-16".into(), "o2"),
            ],
            "one scanner per ticket, day and openid"
        );
    }

    #[test]
    fn nothing_to_count_without_a_scanned_code() {
        assert!(scan_tally(&[event("subscribe", "o1", None, "2026-01-15T00:00:00Z")]).is_empty());
        assert!(scan_tally(&[event("scan", "o1", Some(""), "2026-01-15T00:00:00Z")]).is_empty());
        assert!(scan_tally(&[]).is_empty());
    }
}
