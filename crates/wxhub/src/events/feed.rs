//! The in-process "new events were stored" signal.
//!
//! The callbacks side calls [`EventFeed::notify`] after each committed batch; the fan-out
//! worker and every open event stream [`EventFeed::subscribe`] and wake on it. It carries no
//! data (the store is the truth), so a slow listener never lags or loses anything: it is told
//! "something changed" and reads the store. Listeners also poll on a deadline, which covers
//! events stored by another hub instance.

use tokio::sync::watch;

use crate::events::commit::CommitListener;
use crate::events::model::StoredEvent;

/// Cheap to clone; clones share one signal.
#[derive(Debug, Clone)]
pub struct EventFeed {
    tx: watch::Sender<u64>,
}

/// One listener's end of the feed.
#[derive(Debug)]
pub struct FeedListener {
    rx: watch::Receiver<u64>,
}

impl Default for EventFeed {
    fn default() -> Self {
        EventFeed::new()
    }
}

impl EventFeed {
    pub fn new() -> Self {
        EventFeed {
            tx: watch::Sender::new(0),
        }
    }

    /// New events are stored (call after the commit).
    pub fn notify(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A listener that wakes on every later [`EventFeed::notify`].
    pub fn subscribe(&self) -> FeedListener {
        let mut rx = self.tx.subscribe();
        rx.mark_unchanged();
        FeedListener { rx }
    }
}

/// The callbacks writer tells the feed after every committed batch.
impl CommitListener for EventFeed {
    fn committed(&self, _events: &[&StoredEvent]) {
        self.notify();
    }
}

impl FeedListener {
    /// Waits until a notification arrives that this listener has not seen yet. Notifications
    /// made while nobody was waiting are not lost: the next call returns at once.
    pub async fn changed(&mut self) {
        // The sender lives in the feed, which outlives its listeners in the hub; if it is gone
        // there is nothing left to wait for, and returning lets the caller re-read and stop.
        let _ = self.rx.changed().await;
    }
}

/// The fan-out loop wakes on the feed.
impl crate::jobs::Signal for FeedListener {
    fn mark_seen(&mut self) {
        self.rx.borrow_and_update();
    }

    fn changed(&mut self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        crate::jobs::Signal::changed(&mut self.rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_notification_before_waiting_is_not_lost() {
        let feed = EventFeed::new();
        let mut listener = feed.subscribe();
        feed.notify();
        feed.notify();
        tokio::time::timeout(std::time::Duration::from_secs(5), listener.changed())
            .await
            .expect("wakes at once");
        let pending =
            tokio::time::timeout(std::time::Duration::from_millis(20), listener.changed()).await;
        assert!(
            pending.is_err(),
            "both notifications were consumed by one wake"
        );
    }
}
