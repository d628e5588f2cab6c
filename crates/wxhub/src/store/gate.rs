//! The write gate: on SQLite, the hot write transactions of this process (event batches,
//! fan-out, delivery claims and attempts) take turns here before they begin.
//!
//! SQLite has one writer per file. Without the gate, a second writer meets `SQLITE_BUSY`
//! and SQLite's busy handler sleeps in steps of up to 100 ms before trying again, which is
//! what a callback waiting for its batch then pays. Queued here, it waits for exactly as long
//! as the transaction ahead of it runs. PostgreSQL has row locks and needs no gate.

use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard};

#[derive(Clone, Default)]
pub struct WriteGate(Option<Arc<Mutex<()>>>);

/// Held while a write transaction runs; dropping it lets the next one begin.
pub type GatePass = Option<OwnedMutexGuard<()>>;

impl WriteGate {
    /// One write transaction at a time (SQLite).
    pub fn serial() -> Self {
        WriteGate(Some(Arc::new(Mutex::new(()))))
    }

    /// No gate (PostgreSQL).
    pub fn open() -> Self {
        WriteGate(None)
    }

    /// Waits for this transaction's turn (fair, first come first served).
    pub async fn enter(&self) -> GatePass {
        match &self.0 {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        }
    }
}
