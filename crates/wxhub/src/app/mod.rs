//! The composition root: building and running one hub instance.
//!
//! [`App::build`] validates the config, opens and migrates the store and wires the services
//! ([`wiring`]); [`App::serve`] runs HTTP on a listener the caller bound, plus the background
//! tasks ([`background`]), until the instance's own shutdown token fires; then HTTP drains
//! (bounded by `http.drain_timeout_secs`) and every tracked task is awaited. Nothing here is
//! process-global, so tests and `demo` run several instances side by side. [`state`] is what
//! handlers see.

mod background;
mod state;
mod wiring;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use state::{AppParts, AppState};

use crate::config::{Config, ConfigSource};
use crate::core::clock::{AdjustableClock, SharedClock, SystemClock};
use crate::http::server::ConnectionLimits;
use crate::jobs::Instance;

/// The environment variable that turns on the test clock route (never in production).
pub const TEST_CLOCK_ENV: &str = "WXHUB_TEST_CLOCK";

/// One hub instance, built and not yet serving.
pub struct App {
    state: AppState,
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

impl App {
    /// Builds on the system clock; with `WXHUB_TEST_CLOCK=1`, on a clock that
    /// `POST /api/v1/admin/clock/advance` moves forward.
    pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<App> {
        if std::env::var(TEST_CLOCK_ENV).is_ok_and(|v| v == "1") {
            tracing::warn!(
                "{TEST_CLOCK_ENV}=1: the clock can be moved over HTTP (POST /api/v1/admin/clock/advance); never run production like this"
            );
            let clock = AdjustableClock::default();
            return Self::assemble(config, Arc::new(clock.clone()), Some(clock), shutdown).await;
        }
        Self::build_with_clock(config, Arc::new(SystemClock), shutdown).await
    }

    /// Builds with an explicit clock (tests pass a `TestClock`).
    pub async fn build_with_clock(
        config: Config,
        clock: SharedClock,
        shutdown: CancellationToken,
    ) -> anyhow::Result<App> {
        Self::assemble(config, clock, None, shutdown).await
    }

    async fn assemble(
        config: Config,
        clock: SharedClock,
        test_clock: Option<AdjustableClock>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<App> {
        let tracker = TaskTracker::new();
        let parts = wiring::build(config, clock, test_clock, &tracker, &shutdown).await?;
        Ok(App {
            state: AppState(Arc::new(parts)),
            tracker,
            shutdown,
        })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Tracks background tasks; spawn through it so shutdown awaits them.
    pub fn tracker(&self) -> &TaskTracker {
        &self.tracker
    }

    pub fn shutdown_token(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// The router with every route and layer.
    pub fn router(&self) -> Router {
        crate::http::router::router(self.state.clone(), &self.state.config.http)
    }

    /// Serves on `listener` until the shutdown token fires, then drains and waits for tasks.
    pub async fn serve(self, listener: TcpListener) -> anyhow::Result<()> {
        let addr = listener
            .local_addr()
            .context("reading the listener address")?;
        let instance = self.start_instance().await;
        let jobs = crate::jobs::Jobs::new(self.tracker.clone(), self.shutdown.clone());
        background::spawn(&self.state, &jobs, &instance);
        let router = self.router();
        let drain = Duration::from_secs(self.state.config.http.drain_timeout_secs);
        let shutdown = self.shutdown.clone();
        tracing::info!(%addr, "wxhub listening");
        let http = &self.state.config.http;
        let limits = ConnectionLimits {
            header_read_timeout: Duration::from_secs(http.header_read_timeout_secs.max(1)),
            max_connections: http.max_connections,
        };
        let mut server = tokio::spawn(crate::http::server::serve(
            listener,
            router,
            limits,
            shutdown.clone(),
        ));
        let result = tokio::select! {
            r = &mut server => r,
            () = shutdown.cancelled() => match tokio::time::timeout(drain, &mut server).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::warn!(?drain, "in-flight requests did not finish in time; closing");
                    server.abort();
                    Ok(())
                }
            },
        };
        self.tracker.close();
        self.tracker.wait().await;
        if let Err(e) = instance.stop().await {
            tracing::warn!(
                error = format!("{:#}", anyhow::Error::from(e)),
                "could not give this instance's leases back; others take them once it is silent"
            );
        }
        self.state.store.db.close().await;
        tracing::info!(%addr, "wxhub stopped");
        result.context("HTTP server task")
    }
}

impl App {
    /// Registers this instance as a lease holder and takes back what a killed predecessor
    /// held; if the store is unreachable now, the heartbeat tries again.
    async fn start_instance(&self) -> Instance {
        let config = &self.state.config.jobs;
        let store = &self.state.store;
        let instance = Instance::new(
            self.state.instance.clone(),
            store.instances.clone(),
            store.leases.clone(),
            self.state.clock.clone(),
            config,
            matches!(store.db, crate::store::Db::Sqlite(_)),
        );
        match instance.start().await {
            Ok(()) => tracing::info!(instance = %instance.id(), "instance registered"),
            Err(e) => tracing::warn!(instance = %instance.id(),
                error = format!("{:#}", anyhow::Error::from(e)),
                "registering this instance failed; its heartbeat tries again"),
        }
        instance
    }
}

/// Builds and serves one hub on `listener` until `shutdown` fires.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    App::build(config, shutdown).await?.serve(listener).await
}

/// The first log lines of `wxhub serve`: where the configuration came from.
pub fn log_startup(config: &Config, source: &ConfigSource) {
    tracing::info!(version = crate::VERSION, "wxhub starting");
    match source {
        ConfigSource::EmbeddedDefaults => tracing::info!(
            "no config file given: running on embedded defaults (see `wxhub config print-default`)"
        ),
        ConfigSource::File(path) => tracing::info!(file = %path.display(), "configuration loaded"),
    }
    tracing::info!(
        listen = %config.listen,
        data_dir = %config.data_dir.display(),
        store = %crate::config::redact_dsn(&config.database_url()),
        admin_api = config.admin_token.is_some(),
        master_key = config.master_key.is_some(),
        "effective settings"
    );
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
}
