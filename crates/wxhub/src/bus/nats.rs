//! NATS JetStream: stream `WXHUB_EVENTS` on `wxhub.events.>`, one subject per account and
//! event type, `Nats-Msg-Id` = the event id so JetStream drops republished duplicates.

use async_nats::jetstream::{self, stream};
use async_nats::HeaderMap;
use async_trait::async_trait;
use futures::future::try_join_all;

use super::{BusError, EventBus};
use crate::events::model::StoredEvent;

pub const STREAM_NAME: &str = "WXHUB_EVENTS";
pub const STREAM_SUBJECTS: &str = "wxhub.events.>";

/// `wxhub.events.{account}.{type}`. Account ids are already subject-safe slugs; an event type
/// keeps its dots (`change_contact.create_user` becomes two tokens) and any character NATS
/// reserves (space, `*`, `>`) becomes `_`.
pub fn subject_for(event: &StoredEvent) -> String {
    let event_type: String = event
        .event_type
        .chars()
        .map(|c| match c {
            '*' | '>' => '_',
            c if c.is_whitespace() || c.is_control() => '_',
            c => c,
        })
        .collect();
    let event_type = event_type
        .split('.')
        .map(|t| if t.is_empty() { "_" } else { t })
        .collect::<Vec<_>>()
        .join(".");
    format!("wxhub.events.{}.{event_type}", event.account)
}

pub struct NatsBus {
    js: jetstream::Context,
}

impl NatsBus {
    /// Connects and makes sure the stream exists.
    pub async fn connect(url: &str) -> Result<NatsBus, BusError> {
        let client = async_nats::connect(url)
            .await
            .map_err(|e| BusError::Connect {
                url: crate::core::dsn::redact_dsn(url),
                source: Box::new(e),
            })?;
        let js = jetstream::new(client);
        js.get_or_create_stream(stream::Config {
            name: STREAM_NAME.to_string(),
            subjects: vec![STREAM_SUBJECTS.to_string()],
            ..Default::default()
        })
        .await
        .map_err(|e| BusError::Stream {
            stream: STREAM_NAME,
            source: Box::new(e),
        })?;
        Ok(NatsBus { js })
    }
}

#[async_trait]
impl EventBus for NatsBus {
    fn name(&self) -> &'static str {
        "nats"
    }

    async fn publish(&self, events: &[StoredEvent]) -> Result<(), BusError> {
        let mut acks = Vec::with_capacity(events.len());
        for event in events {
            let mut headers = HeaderMap::new();
            headers.insert("Nats-Msg-Id", event.event_id.as_str());
            let failed = |e: Box<dyn std::error::Error + Send + Sync>| BusError::Publish {
                event_id: event.event_id.to_string(),
                source: e,
            };
            let ack = self
                .js
                .publish_with_headers(
                    subject_for(event),
                    headers,
                    event.payload.to_string().into(),
                )
                .await
                .map_err(|e| failed(Box::new(e)))?;
            let id = event.event_id.to_string();
            acks.push(async move {
                ack.await.map_err(|e| BusError::Publish {
                    event_id: id,
                    source: Box::new(e),
                })
            });
        }
        try_join_all(acks).await.map(drop)
    }
}
