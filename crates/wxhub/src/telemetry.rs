//! Logging and the metrics recorder.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global tracing subscriber (once; later calls are no-ops).
/// `RUST_LOG`, when set, wins over `filter`.
pub fn init_logging(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // try_init fails only when a subscriber is already set, which is fine.
    let _already_set = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide Prometheus recorder's handle, installed on first use.
///
/// Metrics are process-global by nature (the `metrics` facade has one recorder), so several
/// hubs in one process (tests, `demo`) share counters; labels tell them apart.
pub fn metrics_handle() -> PrometheusHandle {
    METRICS
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => handle,
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed; /metrics will be empty");
                PrometheusBuilder::new().build_recorder().handle()
            }
        })
        .clone()
}
