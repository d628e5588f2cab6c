//! Reading stored events: pages (newest first), one by id, and a live stream that resumes
//! after a given event.
//!
//! Which accounts a reader may see is decided by the routes and passed in as an
//! [`AccountScope`]; the service only applies it.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::Stream;
use tokio_util::sync::CancellationToken;

use crate::accounts::model::AccountId;
use crate::events::feed::{EventFeed, FeedListener};
use crate::events::model::{EventId, StoredEvent};
use crate::store::events::{EventFilter, EventStore};
use crate::store::StoreError;

/// Events read from the store per query while streaming.
const STREAM_BATCH: u32 = 200;
/// A stream re-reads the store at least this often (events stored by another instance).
const STREAM_POLL: Duration = Duration::from_secs(2);
/// How long a stream waits for a hole in the seqs to fill before passing over it.
const GAP_WAIT: Duration = Duration::from_secs(2);

/// Which accounts' events a reader sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountScope {
    /// The admin: every account.
    All,
    /// These accounts only.
    Only(BTreeSet<AccountId>),
}

impl AccountScope {
    pub fn allows(&self, account: &AccountId) -> bool {
        match self {
            AccountScope::All => true,
            AccountScope::Only(set) => set.contains(account),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("event {0} not found")]
    NotFound(String),
    #[error("event storage failed")]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct EventService {
    store: Arc<dyn EventStore>,
    feed: EventFeed,
    shutdown: CancellationToken,
}

impl EventService {
    pub fn new(store: Arc<dyn EventStore>, feed: EventFeed, shutdown: CancellationToken) -> Self {
        EventService {
            store,
            feed,
            shutdown,
        }
    }

    /// The feed the callbacks side notifies after each committed batch.
    pub fn feed(&self) -> &EventFeed {
        &self.feed
    }

    /// A page, newest first, strictly before `before_seq`.
    pub async fn list(
        &self,
        scope: &AccountScope,
        account: Option<&AccountId>,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, EventError> {
        let accounts = match (account, scope) {
            (Some(a), _) => Some(vec![a.clone()]),
            (None, AccountScope::All) => None,
            (None, AccountScope::Only(set)) => Some(set.iter().cloned().collect()),
        };
        let filter = EventFilter {
            accounts,
            before_seq,
        };
        Ok(self.store.list(&filter, limit).await?)
    }

    /// One event, if the reader may see its account.
    pub async fn get(&self, scope: &AccountScope, id: &EventId) -> Result<StoredEvent, EventError> {
        match self.store.find(id).await? {
            Some(e) if scope.allows(&e.account) => Ok(e),
            _ => Err(EventError::NotFound(id.to_string())),
        }
    }

    /// Where a stream starts: after `last_event_id` when given (it must exist and be visible),
    /// otherwise after the newest stored event (only what arrives from now on).
    pub async fn resume_point(
        &self,
        scope: &AccountScope,
        last_event_id: Option<&EventId>,
    ) -> Result<i64, EventError> {
        match last_event_id {
            Some(id) => Ok(self.get(scope, id).await?.seq),
            None => Ok(self
                .store
                .list(&EventFilter::default(), 1)
                .await?
                .first()
                .map_or(0, |e| e.seq)),
        }
    }

    /// Every visible event after `after_seq`, in order, then each new one as it is stored.
    /// Ends when the hub shuts down; a store error ends it with that error.
    pub fn stream(
        &self,
        scope: AccountScope,
        after_seq: i64,
    ) -> impl Stream<Item = Result<StoredEvent, EventError>> + Send + 'static {
        let state = StreamState {
            service: self.clone(),
            listener: self.feed.subscribe(),
            scope,
            cursor: after_seq,
            buffered: VecDeque::new(),
            gap_since: None,
            failed: false,
        };
        futures::stream::unfold(state, |mut s| async move {
            let item = s.next().await?;
            Some((item, s))
        })
    }
}

struct StreamState {
    service: EventService,
    listener: FeedListener,
    scope: AccountScope,
    /// Every event up to this seq has been passed on (or was invisible, or given up on).
    cursor: i64,
    buffered: VecDeque<StoredEvent>,
    /// Since when the stream has been waiting for a missing seq (see [`GAP_WAIT`]).
    gap_since: Option<Instant>,
    failed: bool,
}

/// What to do with a batch read after the cursor.
#[derive(Debug, PartialEq, Eq)]
enum Take {
    /// Pass on the first `n` events of the batch.
    Upto(usize),
}

/// How many events of `batch` (seqs ascending, all above `cursor`) may go out now: the run
/// that continues the cursor without a hole, or all of them once a hole has been waited on
/// long enough. A hole is a seq that is allocated but not (yet) visible: on PostgreSQL a
/// transaction that took its seq earlier may commit after a later one, so passing over the hole
/// at once could skip that event forever; it can also be a seq burnt by a duplicate insert,
/// which never fills, hence the bounded wait.
fn take(cursor: i64, batch: &[StoredEvent], gap_expired: bool) -> Take {
    if gap_expired {
        return Take::Upto(batch.len());
    }
    let run = (cursor + 1..)
        .zip(batch)
        .take_while(|(expect, e)| e.seq == *expect)
        .count();
    Take::Upto(run)
}

impl StreamState {
    async fn next(&mut self) -> Option<Result<StoredEvent, EventError>> {
        if self.failed {
            return None;
        }
        loop {
            if let Some(e) = self.buffered.pop_front() {
                return Some(Ok(e));
            }
            let batch = match self
                .service
                .store
                .after_seq(self.cursor, STREAM_BATCH)
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e.into()));
                }
            };
            let expired = self.gap_since.is_some_and(|t| t.elapsed() >= GAP_WAIT);
            let Take::Upto(n) = take(self.cursor, &batch, expired);
            if n > 0 {
                self.gap_since = None;
                let mut batch = batch;
                batch.truncate(n);
                if let Some(last) = batch.last() {
                    self.cursor = last.seq;
                }
                self.buffered
                    .extend(batch.into_iter().filter(|e| self.scope.allows(&e.account)));
                continue;
            }
            let wait = if batch.is_empty() {
                STREAM_POLL
            } else {
                let since = *self.gap_since.get_or_insert_with(Instant::now);
                GAP_WAIT.saturating_sub(since.elapsed())
            };
            tokio::select! {
                () = self.service.shutdown.cancelled() => return None,
                () = self.listener.changed() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(seqs: &[i64]) -> Vec<StoredEvent> {
        seqs.iter()
            .map(|&seq| StoredEvent {
                seq,
                event_id: EventId::generate(),
                account: AccountId::parse("a").expect("id"),
                event_type: "text".into(),
                received_at: chrono::DateTime::from_timestamp(0, 0).unwrap_or_default(),
                qr_source: None,
                payload: serde_json::json!({}),
            })
            .collect()
    }

    #[test]
    fn a_contiguous_run_goes_out_and_stops_at_a_hole() {
        assert_eq!(take(4, &events(&[5, 6, 7]), false), Take::Upto(3));
        assert_eq!(take(4, &events(&[5, 6, 8, 9]), false), Take::Upto(2));
        assert_eq!(take(4, &events(&[6, 7]), false), Take::Upto(0));
        assert_eq!(take(4, &events(&[]), false), Take::Upto(0));
    }

    #[test]
    fn a_hole_waited_on_long_enough_is_passed_over() {
        assert_eq!(take(4, &events(&[6, 7]), true), Take::Upto(2));
    }
}
