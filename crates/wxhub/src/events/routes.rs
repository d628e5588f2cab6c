//! `/api/v1/events`: the list (newest first), one event, and the live stream (server-sent
//! events, resumable with `Last-Event-ID`).
//!
//! Readers are the admin, or a caller with the `events` scope, who sees its own accounts only.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::model::AccountId;
use crate::callers::model::Scope;

use crate::events::model::{EventId, StoredEvent};
use crate::events::service::{AccountScope, EventError, EventService};
use crate::http::auth::{bearer, Authenticator};
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Page, PageParams, Path, Query};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Authenticator: FromRef<S>,
    EventService: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_events))
        .routes(routes!(stream_events))
        .routes(routes!(get_event))
}

impl From<EventError> for ApiError {
    fn from(e: EventError) -> Self {
        match &e {
            EventError::NotFound(_) => ApiError::not_found("event_not_found", e.to_string()),
            EventError::Store(_) => ApiError::internal(e),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this account's events.
    account: Option<String>,
    /// 1–200, default 50.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Only this account's events.
    account: Option<String>,
    /// Resume after this event (for clients that cannot set the `Last-Event-ID` header).
    last_event_id: Option<String>,
}

/// What a reader may see, narrowed to `account` when given.
fn reader_scope(caller: &Caller, account: Option<&str>) -> Result<AccountScope, ApiError> {
    let account = account
        .map(|a| {
            AccountId::parse(a).map_err(|_| {
                ApiError::not_found("account_not_found", format!("account {a} not found"))
            })
        })
        .transpose()?;
    if let Some(a) = &account {
        caller.require(Scope::Events, a)?;
    }
    caller.require_scope(Scope::Events)?;
    Ok(match (account, caller.client()) {
        (Some(a), _) => AccountScope::Only([a].into()),
        (None, None) => AccountScope::All,
        (None, Some(c)) => AccountScope::Only(c.accounts.clone()),
    })
}

/// The normalised JSON of an event, with the envelope fields guaranteed present.
fn event_json(e: &StoredEvent) -> Value {
    let mut v = e.payload.clone();
    if let Value::Object(map) = &mut v {
        map.entry("event_id")
            .or_insert_with(|| e.event_id.to_string().into());
        map.entry("account")
            .or_insert_with(|| e.account.to_string().into());
        map.entry("type")
            .or_insert_with(|| e.event_type.clone().into());
        map.entry("received_at")
            .or_insert_with(|| e.received_at.to_rfc3339().into());
    }
    v
}

fn event_id(id: &str) -> Result<EventId, ApiError> {
    EventId::parse(id)
        .map_err(|_| ApiError::not_found("event_not_found", format!("event {id:?} not found")))
}

/// Stored events, newest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "{\"items\":[normalised event…],\"next_cursor\":string|null}"),
        (status = 404, body = ErrorBody)))]
async fn list_events(
    State(events): State<EventService>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<Value>>, ApiError> {
    let scope = reader_scope(&caller, q.account.as_deref())?;
    let before = q
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| crate::http::page::invalid_cursor())
        })
        .transpose()?;
    let limit = PageParams {
        limit: q.limit,
        cursor: None,
    }
    .limit();
    let found = events.list(&scope, None, before, limit).await?;
    let next = (u32::try_from(found.len()).unwrap_or(u32::MAX) >= limit)
        .then(|| found.last().map(|e| e.seq.to_string()))
        .flatten();
    Ok(Json(Page {
        items: found.iter().map(event_json).collect(),
        next_cursor: next,
    }))
}

/// One stored event.
#[utoipa::path(get, path = "/api/v1/events/{event_id}", tag = "events",
    params(("event_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the normalised event"), (status = 404, body = ErrorBody)))]
async fn get_event(
    State(events): State<EventService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let scope = reader_scope(&caller, None)?;
    let found = events.get(&scope, &event_id(&id)?).await?;
    Ok(Json(event_json(&found)))
}

/// Live events as server-sent events: `id` is the event id, `data` the normalised JSON.
/// Reconnect with `Last-Event-ID` (or `?last_event_id=`) to resume after that event; without
/// it the stream starts with the next event stored.
#[utoipa::path(get, path = "/api/v1/events/stream", tag = "events", params(StreamQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "text/event-stream"), (status = 404, body = ErrorBody)))]
async fn stream_events(
    State(events): State<EventService>,
    State(auth): State<Authenticator>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let scope = reader_scope(&caller, q.account.as_deref())?;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(q.last_event_id)
        .filter(|s| !s.trim().is_empty());
    let last = last
        .as_deref()
        .map(|id| {
            EventId::parse(id.trim()).map_err(|_| {
                ApiError::bad_request(
                    "invalid_last_event_id",
                    "Last-Event-ID is not an event id this hub issued",
                )
            })
        })
        .transpose()?;
    let after = events.resume_point(&scope, last.as_ref()).await?;
    let lost = match caller {
        Caller::Admin => None,
        Caller::Client(_) => Some(access_lost(
            auth,
            bearer(&headers)?.to_owned(),
            scope.clone(),
        )),
    };
    let stream = events
        .stream(scope, after)
        .take_until(async move {
            match lost {
                Some(lost) => lost.await,
                None => futures::future::pending().await,
            }
        })
        .take_while(|item| {
            let go = match item {
                Ok(_) => true,
                Err(e) => {
                    tracing::error!(error = %ErrorChain(e), "event stream ended by a store error");
                    false
                }
            };
            futures::future::ready(go)
        })
        .filter_map(|item| futures::future::ready(item.ok()))
        .map(|e| {
            Ok(Event::default()
                .id(e.event_id.to_string())
                .data(event_json(&e).to_string()))
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// How often an open stream checks that its caller may still read it (cheap: the check hits
/// the callers' in-process cache between store reads).
const STREAM_ACCESS_RECHECK: Duration = Duration::from_secs(2);

/// Resolves when the caller behind `bearer` may no longer read `scope`: the bearer expired or
/// was revoked with its caller, or the caller lost the `events` scope or an account the
/// stream covers. A store error keeps the stream open until the next check.
async fn access_lost(auth: Authenticator, bearer: String, scope: AccountScope) {
    loop {
        tokio::time::sleep(STREAM_ACCESS_RECHECK).await;
        let still_allowed = match auth.caller_of(&bearer).await {
            Ok(Some(now)) => {
                now.scopes.contains(&Scope::Events)
                    && match &scope {
                        AccountScope::All => false,
                        AccountScope::Only(accounts) => {
                            accounts.iter().all(|a| now.accounts.contains(a))
                        }
                    }
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "re-checking an event stream's caller failed"
                );
                true
            }
        };
        if !still_allowed {
            tracing::info!("event stream ended: its caller may no longer read it");
            return;
        }
    }
}

/// An error with its causes, for the one log line that ends a stream.
struct ErrorChain<'a>(&'a EventError);

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)?;
        let mut source = std::error::Error::source(self.0);
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}
