//! The event batch writer's share of QR scan statistics: the tally of the batch's inserted
//! events (`qrcode::model::scan_tally`) applied with the shared statements of
//! `store/sql/qrcodes.rs`, inside the batch's own transaction.

use rusqlite::params;

use crate::events::model::InsertOutcome;
use crate::qrcode::model::scan_tally;
use crate::store::sql::qrcodes::{ADD_DAY, ADD_SCANNER};
use crate::store::StoreError;

pub(super) fn count(
    tx: &rusqlite::Transaction<'_>,
    outcomes: &[InsertOutcome],
) -> Result<(), StoreError> {
    let tally = scan_tally(outcomes.iter().filter_map(|o| match o {
        InsertOutcome::Inserted(event) => Some(event),
        InsertOutcome::Duplicate(_) => None,
    }));
    if tally.is_empty() {
        return Ok(());
    }
    let mut add_day = tx.prepare_cached(ADD_DAY)?;
    for inc in &tally.increments {
        add_day.execute(params![
            inc.at.day,
            inc.scans,
            inc.new_follows,
            inc.at.account.as_str(),
            inc.at.ticket,
        ])?;
    }
    let mut add_scanner = tx.prepare_cached(ADD_SCANNER)?;
    for s in &tally.scanners {
        add_scanner.execute(params![
            s.at.day,
            s.openid,
            s.at.account.as_str(),
            s.at.ticket
        ])?;
    }
    Ok(())
}
