//! The router (every area's `routes()` merged — reading this tells you every area), the fault
//! middleware in front of WeChat's paths, the WeChat-shaped fallbacks, and the entry points:
//! [`serve`] on a bound listener and [`spawn`] on `127.0.0.1:0` for tests and `wxhub demo`.

use crate::errors::{code, WxError};
use crate::{Sandbox, SandboxConfig};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long in-flight requests and callbacks get to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn router(sb: Sandbox) -> Router {
    Router::new()
        // WeChat's side, at WeChat's paths.
        .merge(crate::mp::routes())
        .merge(crate::shared::routes())
        .merge(crate::work::routes())
        .merge(crate::oauth::routes())
        .merge(crate::pay::routes())
        // The users' side.
        .merge(crate::driver::routes())
        // Liveness for operators and test harnesses; not a WeChat path.
        .route("/healthz", axum::routing::get(healthz))
        .fallback(unknown_path)
        .method_not_allowed_fallback(wrong_method)
        .layer(axum::middleware::from_fn_with_state(
            sb.clone(),
            apply_faults,
        ))
        .with_state(sb)
}

impl Sandbox {
    /// The axum router with every WeChat endpoint and the `/sandbox/` driver API.
    pub fn router(&self) -> Router {
        router(self.clone())
    }
}

/// Middleware: applies a fault configured for the request's path.
pub(crate) async fn apply_faults(State(sb): State<Sandbox>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/sandbox/") {
        return next.run(req).await;
    }
    let is_pay = path.starts_with("/mmpaymkttransfers/");
    let Some(fault) = sb.faults().take(path) else {
        return next.run(req).await;
    };
    if fault.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.latency_ms)).await;
    }
    if let Some(status) = fault.http_status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return status.into_response();
    }
    if let Some(errcode) = fault.errcode {
        if is_pay {
            // WeChat Pay answers in XML; any injected error is its SYSTEMERROR.
            return crate::pay::redpack::injected_error();
        }
        return WxError::new(errcode).into_response();
    }
    next.run(req).await
}

async fn healthz() -> &'static str {
    "ok"
}

/// An unknown path answers in WeChat's JSON error shape, not a framework 404 page.
async fn unknown_path() -> WxError {
    WxError::new(code::INVALID_URL).with_status(StatusCode::NOT_FOUND)
}

async fn wrong_method(method: Method) -> WxError {
    let errcode = if method == Method::GET {
        code::REQUIRE_POST
    } else {
        code::REQUIRE_GET
    };
    WxError::new(errcode).with_status(StatusCode::METHOD_NOT_ALLOWED)
}

/// Serves the sandbox on `listener` until `shutdown` is cancelled, then drains requests and
/// background callbacks (bounded by a timeout) and saves the state file if configured.
pub async fn serve(
    listener: TcpListener,
    sandbox: Sandbox,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        sandbox.set_listen_addr(addr);
    }
    let app = sandbox.router();
    let stop = shutdown.clone();
    // The peer address reaches handlers as `ConnectInfo`: WeCom's trusted-IP check needs it.
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        stop.cancelled().await;
    });
    let served = server.into_future();
    tokio::pin!(served);
    let result = tokio::select! {
        r = &mut served => r,
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        } => {
            tracing::warn!("sandbox: requests still running after drain timeout");
            Ok(())
        }
    };
    sandbox.tasks().close();
    if tokio::time::timeout(DRAIN_TIMEOUT, sandbox.tasks().wait())
        .await
        .is_err()
    {
        tracing::warn!("sandbox: background callbacks still running after drain timeout");
    }
    if let Err(e) = sandbox.save().await {
        tracing::error!(error = %e, "sandbox: saving state failed");
    }
    result
}

use std::future::IntoFuture;

/// A sandbox serving on an ephemeral loopback port. Dropping it shuts the server down;
/// [`RunningSandbox::shutdown`] does so and waits.
pub struct RunningSandbox {
    pub addr: SocketAddr,
    pub sandbox: Sandbox,
    shutdown: CancellationToken,
    handle: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningSandbox {
    /// `http://127.0.0.1:PORT`, the API base to give an SDK or the hub.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and waits for the drain to finish.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.shutdown.cancel();
        match self.handle.take() {
            Some(h) => h.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Binds `127.0.0.1:0`, starts serving in a task and returns once the address is known.
pub async fn spawn(cfg: SandboxConfig) -> std::io::Result<RunningSandbox> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let sandbox = Sandbox::new(cfg);
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(serve(listener, sandbox.clone(), shutdown.clone()));
    Ok(RunningSandbox {
        addr,
        sandbox,
        shutdown,
        handle: Some(handle),
    })
}
