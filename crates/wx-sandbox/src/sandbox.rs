//! The `Sandbox` handle: shared state, clock, fault table, HTTP client for callbacks and the
//! tracker of background deliveries. Its `router()` is defined in [`crate::server`], beside
//! the router it returns, so this module needs no area.

use crate::clock::Clock;
use crate::config::SandboxConfig;
use crate::faults::Faults;
use crate::persist::{self, PersistError};
use crate::state::State;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tokio_util::task::TaskTracker;

/// A cheap, cloneable handle to one sandbox instance.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: SandboxConfig,
    /// The one lock. Never held across an `.await` or any I/O.
    state: Mutex<State>,
    clock: Clock,
    faults: Faults,
    http: reqwest::Client,
    tasks: TaskTracker,
    base_url: OnceLock<String>,
}

impl Sandbox {
    /// A sandbox with the state file's content if `cfg.state_file` names a readable one
    /// (an unreadable file is logged and an empty state used; see [`Sandbox::open`]).
    pub fn new(cfg: SandboxConfig) -> Self {
        match Self::open(cfg.clone()) {
            Ok(sb) => sb,
            Err(e) => {
                tracing::warn!(error = %e, "starting with empty state");
                Self::with_state(cfg, State::default())
            }
        }
    }

    /// Like [`Sandbox::new`] but fails when the state file exists and can't be loaded.
    pub fn open(cfg: SandboxConfig) -> Result<Self, PersistError> {
        let state = match &cfg.state_file {
            Some(path) => persist::load(path)?,
            None => State::default(),
        };
        Ok(Self::with_state(cfg, state))
    }

    fn with_state(cfg: SandboxConfig, state: State) -> Self {
        let http = reqwest::Client::builder()
            .timeout(cfg.callback_timeout)
            .pool_max_idle_per_host(16)
            .build()
            .unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                cfg,
                state: Mutex::new(state),
                clock: Clock::default(),
                faults: Faults::default(),
                http,
                tasks: TaskTracker::new(),
                base_url: OnceLock::new(),
            }),
        }
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.inner.cfg
    }

    /// Locks the state. Keep the guard short-lived: no `.await` while holding it.
    pub fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state as it was at that point; the
        // sandbox keeps serving rather than failing every later request.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Tracks background work (asynchronous callbacks); awaited on shutdown.
    pub fn tasks(&self) -> &TaskTracker {
        &self.inner.tasks
    }

    /// The base URL the sandbox is reachable at (QR code urls, OAuth pages).
    pub fn base_url(&self) -> String {
        if let Some(u) = &self.inner.cfg.public_base_url {
            return u.trim_end_matches('/').to_owned();
        }
        self.inner
            .base_url
            .get()
            .cloned()
            .unwrap_or_else(|| "http://127.0.0.1".to_owned())
    }

    pub(crate) fn set_listen_addr(&self, addr: std::net::SocketAddr) {
        let _ = self.inner.base_url.set(format!("http://{addr}"));
    }

    /// Writes the state file, if one is configured. Returns whether a file was written.
    pub async fn save(&self) -> Result<bool, PersistError> {
        let Some(path) = self.inner.cfg.state_file.clone() else {
            return Ok(false);
        };
        let bytes = persist::to_bytes(&self.state())?;
        persist::write(&path, bytes).await?;
        Ok(true)
    }
}
