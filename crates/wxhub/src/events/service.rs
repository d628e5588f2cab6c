//! Reading stored events: pages (newest first), one by id, and a live stream that resumes
//! after a given event.
//!
//! Which accounts a reader may see is decided by the routes and passed in as an
//! [`AccountScope`]; the service only applies it.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

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
    /// The highest seq read so far (visible or not).
    cursor: i64,
    buffered: VecDeque<StoredEvent>,
    failed: bool,
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
            if let Some(last) = batch.last() {
                self.cursor = last.seq;
                self.buffered
                    .extend(batch.into_iter().filter(|e| self.scope.allows(&e.account)));
                continue;
            }
            tokio::select! {
                () = self.service.shutdown.cancelled() => return None,
                () = self.listener.changed() => {}
                () = tokio::time::sleep(STREAM_POLL) => {}
            }
        }
    }
}
