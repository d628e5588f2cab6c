//! Fault injection per endpoint: added latency, an HTTP 5xx, or a WeChat errcode (-1 system
//! busy, 45009 quota, any other) instead of the real answer — for a number of calls or until
//! cleared. Driven by `POST /sandbox/faults`; applied by `crate::server::apply_faults`, a
//! middleware in front of every WeChat path (never the `/sandbox/` driver).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// One fault rule for one path (e.g. `/cgi-bin/token`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub path: String,
    /// Delay before answering (or before the injected error).
    #[serde(default)]
    pub latency_ms: u64,
    /// Answer with this HTTP status (5xx) and an empty body.
    #[serde(default)]
    pub http_status: Option<u16>,
    /// Answer with this WeChat errcode (HTTP 200).
    #[serde(default)]
    pub errcode: Option<i32>,
    /// How many calls the fault affects; `None` = until cleared.
    #[serde(default)]
    pub count: Option<u32>,
}

/// The fault table. A flag keeps the no-fault path to one atomic load.
#[derive(Debug, Default)]
pub struct Faults {
    any: AtomicBool,
    table: Mutex<HashMap<String, Fault>>,
}

impl Faults {
    pub fn set(&self, fault: Fault) {
        let mut t = self.lock();
        t.insert(fault.path.clone(), fault);
        self.any.store(true, Ordering::Release);
    }

    pub fn clear(&self) {
        self.lock().clear();
        self.any.store(false, Ordering::Release);
    }

    pub fn list(&self) -> Vec<Fault> {
        let mut v: Vec<Fault> = self.lock().values().cloned().collect();
        v.sort_by(|a, b| a.path.cmp(&b.path));
        v
    }

    /// Takes one use of the fault on `path`, if any.
    pub(crate) fn take(&self, path: &str) -> Option<Fault> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let mut t = self.lock();
        let f = t.get_mut(path)?;
        let out = f.clone();
        if let Some(n) = f.count.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                t.remove(path);
            }
        }
        if t.is_empty() {
            self.any.store(false, Ordering::Release);
        }
        Some(out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Fault>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_fault_is_used_up() {
        let f = Faults::default();
        f.set(Fault {
            path: "/cgi-bin/token".into(),
            latency_ms: 0,
            http_status: None,
            errcode: Some(-1),
            count: Some(2),
        });
        assert!(f.take("/cgi-bin/token").is_some());
        assert!(f.take("/cgi-bin/other").is_none());
        assert!(f.take("/cgi-bin/token").is_some());
        assert!(f.take("/cgi-bin/token").is_none());
        assert!(f.list().is_empty());
    }
}
