//! This hub process as a holder of leases: it registers at start, beats every
//! `jobs.heartbeat_secs`, and gives its leases back when it stops. At start it takes back the
//! leases of its own id (a previous run of the same instance that was killed) and, on an
//! embedded SQLite file (one hub per file), those of every other id; on every beat it frees the
//! leases of instances silent for `jobs.stale_after_secs`. So work a killed instance held is
//! picked up at once by the next one to start, and by the others within the stale time,
//! instead of when each lease runs out.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::config::JobsConfig;
use super::model::InstanceId;
use super::periodic::{Next, Periodic, StepError};
use crate::core::clock::SharedClock;
use crate::core::InvalidField;
use crate::store::jobs::{InstanceStore, Leases};
use crate::store::StoreError;

/// `jobs.instance_id`, or `<hostname>:<port>` of the address the instance listens on (with a
/// random port, `listen = …:0`, a name of its own for this run).
pub fn instance_id(config: &JobsConfig, listen: SocketAddr) -> Result<InstanceId, InvalidField> {
    match &config.instance_id {
        Some(id) => {
            InstanceId::parse(id).map_err(|e| InvalidField::new("jobs.instance_id", e.reason))
        }
        None => {
            let host: String = hostname()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || ".-_".contains(*c))
                .take(100)
                .collect();
            let host = if host.is_empty() {
                "wxhub".to_owned()
            } else {
                host
            };
            match listen.port() {
                0 => InstanceId::parse(&format!(
                    "{host}:run-{}",
                    ulid::Ulid::new().to_string().to_lowercase()
                )),
                port => InstanceId::parse(&format!("{host}:{port}")),
            }
        }
    }
}

/// A lease holder of its own for a command-line process doing `name` (`wxhub sync followers`):
/// `<jobs.instance_id or hostname>:<name>`, the same on every run, so a run takes back at once
/// what a killed run of the same command held.
pub fn command_instance_id(config: &JobsConfig, name: &str) -> Result<InstanceId, InvalidField> {
    let base = match &config.instance_id {
        Some(id) => id.clone(),
        None => {
            let host: String = hostname()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || ".-_".contains(*c))
                .take(60)
                .collect();
            if host.is_empty() {
                "wxhub".to_owned()
            } else {
                host
            }
        }
    };
    InstanceId::parse(&format!("{base}:{name}"))
        .map_err(|e| InvalidField::new("jobs.instance_id", e.reason))
}

fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// The instance's life in the store.
#[derive(Clone)]
pub struct Instance {
    id: InstanceId,
    store: Arc<dyn InstanceStore>,
    leases: Vec<Arc<dyn Leases>>,
    clock: SharedClock,
    heartbeat: Duration,
    stale_after: Duration,
    /// The only hub on this store (a SQLite file): every other instance is gone.
    alone: bool,
    /// [`Instance::start`] succeeded; until then each heartbeat tries it again.
    started: Arc<AtomicBool>,
}

impl Instance {
    pub fn new(
        id: InstanceId,
        store: Arc<dyn InstanceStore>,
        leases: Vec<Arc<dyn Leases>>,
        clock: SharedClock,
        config: &JobsConfig,
        alone: bool,
    ) -> Self {
        Instance {
            id,
            store,
            leases,
            clock,
            heartbeat: Duration::from_secs(config.heartbeat_secs.max(1)),
            stale_after: Duration::from_secs(config.stale_after_secs.max(2)),
            alone,
            started: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn id(&self) -> &InstanceId {
        &self.id
    }

    /// Registers the instance and takes back what a killed predecessor held.
    pub async fn start(&self) -> Result<(), StoreError> {
        self.store.register(&self.id, self.clock.now()).await?;
        let gone = if self.alone {
            self.store.others_silent_since(&self.id, None).await?
        } else {
            self.silent_others().await?
        };
        let mut owners = gone.clone();
        owners.push(self.id.clone());
        self.release(&owners, "at start").await?;
        self.store.remove(&gone).await?;
        self.started.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Gives every lease of this instance back and leaves the store (after its loops ended).
    pub async fn stop(&self) -> Result<(), StoreError> {
        self.release(std::slice::from_ref(&self.id), "at stop")
            .await?;
        self.store.remove(std::slice::from_ref(&self.id)).await
    }

    async fn silent_others(&self) -> Result<Vec<InstanceId>, StoreError> {
        let since =
            self.clock.now() - chrono::Duration::from_std(self.stale_after).unwrap_or_default();
        self.store.others_silent_since(&self.id, Some(since)).await
    }

    async fn release(&self, owners: &[InstanceId], when: &str) -> Result<u64, StoreError> {
        let mut total = 0;
        for leases in &self.leases {
            let freed = leases.release_held_by(owners).await?;
            if freed > 0 {
                tracing::info!(
                    what = leases.what(),
                    freed,
                    ?owners,
                    when,
                    "leases of a stopped instance freed: that work is due again now"
                );
            }
            total += freed;
        }
        Ok(total)
    }
}

#[async_trait]
impl Periodic for Instance {
    fn name(&self) -> &'static str {
        "instance-heartbeat"
    }

    async fn step(&self) -> Result<Next, StepError> {
        if !self.started.load(Ordering::SeqCst) {
            self.start().await?;
            return Ok(Next::After(self.heartbeat));
        }
        self.store.heartbeat(&self.id, self.clock.now()).await?;
        let silent = self.silent_others().await?;
        if !silent.is_empty() {
            tracing::warn!(instances = ?silent, "instances stopped beating; taking over their work");
            self.release(&silent, "after silence").await?;
            self.store.remove(&silent).await?;
        }
        Ok(Next::After(self.heartbeat))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_id_is_the_host_and_port_and_a_configured_one_is_checked() {
        let serving: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
        let id = instance_id(&JobsConfig::default(), serving).expect("default id");
        assert!(id.as_str().ends_with(":8080"), "{id}");
        let named = JobsConfig {
            instance_id: Some("hub-1".into()),
            ..JobsConfig::default()
        };
        assert_eq!(
            instance_id(&named, serving).expect("named").as_str(),
            "hub-1"
        );
        let bad = JobsConfig {
            instance_id: Some("hub one".into()),
            ..JobsConfig::default()
        };
        assert_eq!(
            instance_id(&bad, serving).expect_err("space").field,
            "jobs.instance_id"
        );
    }
}
