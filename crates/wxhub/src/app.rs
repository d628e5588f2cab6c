//! Building and running one hub instance.
//!
//! [`App::build`] validates the config, opens and migrates the store, checks the master key
//! against stored secrets, and wires the services. [`App::serve`] runs HTTP on a listener the
//! caller bound, plus the background tasks, until the instance's own shutdown token fires;
//! then HTTP drains (bounded by `http.drain_timeout_secs`) and every tracked task is awaited.
//! Nothing here is process-global, so tests and `demo` run several instances side by side.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::FromRef;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::accounts::AccountService;
use crate::bus::SharedBus;
use crate::cache::redis::RedisCache;
use crate::cache::replay::{MemoryReplays, RedisReplays, ReplayCache};
use crate::callbacks::writer::CommitHooks;
use crate::callbacks::{CallbackService, EventWriter};
use crate::callers::CallerService;
use crate::config::{Config, ConfigSource};
use crate::core::clock::{SharedClock, SystemClock};
use crate::core::secret::Secret;
use crate::events::{EventFeed, EventService};
use crate::followers::FollowerService;
use crate::http::server::ConnectionLimits;
use crate::proxy::ProxyService;
use crate::replies::ReplyService;
use crate::store::DeliveriesReady;
use crate::store::{Db, Dispatch, Store};
use crate::tokens::TokenService;
use crate::webhooks::worker::FanOutWake;
use crate::webhooks::{Dispatcher, FanOut, WebhookClient, WebhookService};

/// What handlers reach through `State`: services, never the store's traits directly.
/// Shared behind one `Arc`: axum clones the state for every request.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// The services and settings behind [`AppState`].
pub struct AppParts {
    pub accounts: AccountService,
    pub callers: CallerService,
    pub tokens: TokenService,
    pub proxy: ProxyService,
    pub events: EventService,
    /// Follower records and callback settings.
    pub followers: FollowerService,
    pub webhooks: WebhookService,
    /// Fan-out step (events → deliveries + bus); background loop or tests drive it.
    pub fan_out: FanOut,
    /// Delivery step; background workers or tests drive it.
    pub dispatcher: Dispatcher,
    /// Wakes the delivery workers when deliveries were created.
    pub deliveries_ready: DeliveriesReady,
    pub bus: SharedBus,
    pub callbacks: CallbackService,
    pub replies: ReplyService,
    /// Told after each committed batch of new events (the delivery side subscribes here).
    pub commit_hooks: Arc<CommitHooks>,
    pub admin_token: Option<Secret<String>>,
    pub metrics: PrometheusHandle,
    pub clock: SharedClock,
    pub config: Arc<Config>,
    /// For readiness only; capability routes go through their service.
    pub(crate) store: Store,
}

impl AppState {
    /// The database, for health checks and tests.
    pub fn store_db(&self) -> &crate::store::Db {
        &self.store.db
    }
}

impl FromRef<AppState> for AccountService {
    fn from_ref(state: &AppState) -> Self {
        state.accounts.clone()
    }
}

impl FromRef<AppState> for TokenService {
    fn from_ref(state: &AppState) -> Self {
        state.tokens.clone()
    }
}

impl FromRef<AppState> for ProxyService {
    fn from_ref(state: &AppState) -> Self {
        state.proxy.clone()
    }
}

impl FromRef<AppState> for CallerService {
    fn from_ref(state: &AppState) -> Self {
        state.callers.clone()
    }
}

impl FromRef<AppState> for EventService {
    fn from_ref(state: &AppState) -> Self {
        state.events.clone()
    }
}

impl FromRef<AppState> for FollowerService {
    fn from_ref(state: &AppState) -> Self {
        state.followers.clone()
    }
}

impl FromRef<AppState> for WebhookService {
    fn from_ref(state: &AppState) -> Self {
        state.webhooks.clone()
    }
}

impl FromRef<AppState> for CallbackService {
    fn from_ref(state: &AppState) -> Self {
        state.callbacks.clone()
    }
}

impl FromRef<AppState> for ReplyService {
    fn from_ref(state: &AppState) -> Self {
        state.replies.clone()
    }
}

/// One hub instance, built and not yet serving.
pub struct App {
    state: AppState,
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

/// How often expired caller tokens are deleted.
const TOKEN_PURGE_EVERY: Duration = Duration::from_secs(600);

impl App {
    /// Builds on the system clock.
    pub async fn build(config: Config, shutdown: CancellationToken) -> anyhow::Result<App> {
        Self::build_with_clock(config, Arc::new(SystemClock), shutdown).await
    }

    /// Builds with an explicit clock (tests pass a `TestClock`).
    pub async fn build_with_clock(
        config: Config,
        clock: SharedClock,
        shutdown: CancellationToken,
    ) -> anyhow::Result<App> {
        config.validate().context("invalid configuration")?;
        let master_key = config.master_key()?;
        let url = config.database_url();
        let db = Db::connect(&url)
            .await
            .with_context(|| format!("opening the store at {}", crate::config::redact_dsn(&url)))?;
        db.migrate().await.context("migrating the store")?;
        let bus = crate::bus::connect(config.nats_url.as_ref().map(|u| u.expose()))
            .await
            .context("connecting the event bus")?;
        tracing::info!(bus = bus.name(), "event bus ready");
        let deliveries_ready = DeliveriesReady::default();
        let dispatch = if bus.publishes() {
            Dispatch::Separate
        } else {
            Dispatch::InEventBatch {
                clock: clock.clone(),
                ready: deliveries_ready.clone(),
            }
        };
        if let Db::Sqlite(pool) = &db {
            let released = crate::store::sqlite::webhooks::release_leases(pool)
                .await
                .context("releasing the webhook delivery leases of the previous run")?;
            if released > 0 {
                tracing::info!(
                    released,
                    "deliveries claimed by the previous run are due again"
                );
            }
        }
        let store = Store::with_dispatch(db, dispatch);
        let accounts =
            AccountService::new(store.accounts.clone(), master_key.clone(), clock.clone());
        accounts
            .check_master_key()
            .await
            .context("refusing to start: account secrets are stored")?;
        let callers = CallerService::new(
            store.callers.clone(),
            store.accounts.clone(),
            clock.clone(),
            config.http.caller_token_ttl_secs,
        );
        let redis = match &config.redis_url {
            Some(url) => Some(
                RedisCache::connect(url.expose())
                    .await
                    .context("connecting to Redis (redis_url)")?,
            ),
            None => None,
        };
        let replays: Arc<dyn ReplayCache> = match &redis {
            Some(redis) => Arc::new(RedisReplays::new(
                redis.connection(),
                format!("{}:replay", config.tokens.key_prefix),
            )),
            None => Arc::new(MemoryReplays::default()),
        };
        let (tokens, proxy) = build_tokens(&config, redis, &store, &accounts, &clock).await?;
        let feed = EventFeed::new();
        let events = EventService::new(store.events.clone(), feed.clone(), shutdown.clone());
        let webhooks = WebhookService::new(
            store.webhooks.clone(),
            store.accounts.clone(),
            master_key.clone(),
            clock.clone(),
            config.webhooks.clone(),
        );
        let fan_out = FanOut::new(store.webhooks.clone(), bus.clone(), clock.clone());
        // One outbound client for event and reply webhooks.
        let webhook_client =
            WebhookClient::new(&config.webhooks).context("building the webhook HTTP client")?;
        let dispatcher = Dispatcher::new(
            store.webhooks.clone(),
            master_key.clone(),
            clock.clone(),
            config.webhooks.clone(),
            webhook_client.clone(),
        );
        let tracker = TaskTracker::new();
        let commit_hooks = Arc::new(CommitHooks::default());
        commit_hooks.add(Arc::new(feed));
        let writer = EventWriter::spawn(
            store.events.clone(),
            Some(commit_hooks.clone()),
            &tracker,
            shutdown.clone(),
        );
        let followers = FollowerService::new(store.followers.clone(), accounts.clone());
        let replies = ReplyService::new(
            store.reply_rules.clone(),
            accounts.clone(),
            master_key.clone(),
            clock.clone(),
            config.webhooks.allow_private_urls,
        );
        let callbacks = CallbackService::new(
            accounts.clone(),
            replies.clone(),
            writer,
            clock.clone(),
            tracker.clone(),
            replays,
            webhook_client,
        );
        // Replies that miss WeChat's deadline go out as customer-service messages.
        let late_client = crate::wechat::WeChatClient::new(Duration::from_secs(
            config.tokens.upstream_timeout_secs.max(1),
        ))
        .context("building the WeChat client for late replies")?;
        callbacks.set_late_sender(Arc::new(crate::replies::TokenCentreSender {
            tokens: tokens.clone(),
            accounts: accounts.clone(),
            client: late_client,
        }));
        let state = AppState(Arc::new(AppParts {
            accounts,
            callers,
            events,
            followers,
            webhooks,
            fan_out,
            dispatcher,
            deliveries_ready,
            bus,
            callbacks,
            replies,
            commit_hooks,
            tokens,
            proxy,
            admin_token: config.admin_token.clone(),
            metrics: crate::telemetry::metrics_handle(),
            clock,
            config: Arc::new(config),
            store,
        }));
        Ok(App {
            state,
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

    fn spawn_background(&self) {
        let tokens = self.state.tokens.clone();
        let every = Duration::from_secs(self.state.config.tokens.refresh_every_secs.max(1));
        self.tracker
            .spawn(tokens.run_refresher(every, self.shutdown.clone()));
        crate::webhooks::worker::spawn(
            &self.tracker,
            &self.shutdown,
            self.state.events.feed(),
            if self.state.store.events.fans_out_in_batch() {
                FanOutWake::PollOnly
            } else {
                FanOutWake::EveryBatch
            },
            self.state.fan_out.clone(),
            self.state.dispatcher.clone(),
            self.state.deliveries_ready.clone(),
            self.state.clock.clone(),
            self.state.config.webhooks.workers,
        );
        if let crate::store::Db::Sqlite(pool) = &self.state.store.db {
            self.tracker.spawn(crate::store::sqlite::checkpoint::run(
                pool.clone(),
                self.shutdown.clone(),
            ));
        }
        let callers = self.state.callers.clone();
        let shutdown = self.shutdown.clone();
        self.tracker.spawn(async move {
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(TOKEN_PURGE_EVERY) => {}
                }
                match callers.purge_expired_tokens().await {
                    Ok(n) if n > 0 => tracing::debug!(purged = n, "expired caller tokens deleted"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(
                        error = format!("{:#}", anyhow::Error::from(e)),
                        "purging expired caller tokens failed"
                    ),
                }
            }
        });
    }

    /// Serves on `listener` until the shutdown token fires, then drains and waits for tasks.
    pub async fn serve(self, listener: TcpListener) -> anyhow::Result<()> {
        let addr = listener
            .local_addr()
            .context("reading the listener address")?;
        self.spawn_background();
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
        self.state.store.db.close().await;
        tracing::info!(%addr, "wxhub stopped");
        result.context("HTTP server task")
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

/// The token centre and the pass-through proxy: cache chosen once (Redis when configured).
async fn build_tokens(
    config: &Config,
    redis: Option<RedisCache>,
    store: &Store,
    accounts: &AccountService,
    clock: &SharedClock,
) -> anyhow::Result<(TokenService, ProxyService)> {
    use crate::cache::{memory::MemoryCache, near::NearCache, TokenCache};
    use crate::tokens::{accounts::AccountsLookup, TokenEngine, WeChatTokenSource};
    use crate::wechat::WeChatClient;

    let settings = &config.tokens;
    let cache: Arc<dyn TokenCache> = match redis {
        Some(redis) => match settings.near_cache_ms {
            0 => Arc::new(redis),
            ms => Arc::new(NearCache::new(redis, Duration::from_millis(ms))),
        },
        None => Arc::new(MemoryCache::new()),
    };
    tracing::info!(cache = cache.backend(), "token cache ready");
    let client = WeChatClient::new(Duration::from_secs(settings.upstream_timeout_secs.max(1)))
        .context("building the WeChat client")?;
    let engine = TokenEngine::new(
        cache,
        store.tokens.clone(),
        Arc::new(WeChatTokenSource::new(client)),
        clock.clone(),
        settings.engine(),
    );
    let lookup = AccountsLookup {
        accounts: accounts.clone(),
        prefer_stable: settings.prefer_stable_token,
    };
    let tokens = TokenService::new(engine, Arc::new(lookup));
    // Redirects are never followed: a 3xx goes back to the caller (token removed from its
    // Location), so neither a foreign body nor the account's token crosses to another host.
    let proxy_http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(settings.proxy_timeout_secs.max(1)))
        .build()
        .context("building the proxy client")?;
    let proxy = ProxyService::new(
        tokens.clone(),
        proxy_http,
        settings.proxy_replay_limit_bytes,
    );
    Ok((tokens, proxy))
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
