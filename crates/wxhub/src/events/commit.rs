//! Who hears about committed events: the callbacks' writer tells a [`CommitListener`] after
//! each batch it committed; the event feed (streams, fan-out) is one. Defined here, below the
//! writer, so the writer depends on events and not the other way round.

use std::sync::Arc;

use crate::events::model::StoredEvent;

/// Told after every committed batch that inserted something.
pub trait CommitListener: Send + Sync + 'static {
    fn committed(&self, events: &[&StoredEvent]);
}

/// Every listener registered so far; listeners may be added after the writer started.
#[derive(Default)]
pub struct CommitHooks {
    listeners: std::sync::RwLock<Vec<Arc<dyn CommitListener>>>,
}

impl CommitHooks {
    pub fn add(&self, listener: Arc<dyn CommitListener>) {
        self.listeners
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(listener);
    }
}

impl CommitListener for CommitHooks {
    fn committed(&self, events: &[&StoredEvent]) {
        for l in self
            .listeners
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            l.committed(events);
        }
    }
}
