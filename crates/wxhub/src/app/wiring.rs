//! Building one hub's services from its config, in dependency order: the store, the bus and
//! the caches first; then each capability's service from the ones below it. Nothing is built
//! in two phases: what a service is told about (removal listeners, the late-reply sender) is
//! built before it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::state::AppParts;
use crate::accounts::limits::WeChatCallLimits;
use crate::accounts::AccountService;
use crate::cache::ratelimit::{LocalLimiter, RateLimiter, RedisLimiter};
use crate::cache::redis::RedisCache;
use crate::cache::replay::{MemoryReplays, RedisReplays, ReplayCache};
use crate::callbacks::{CallbackService, EventWriter};
use crate::callers::CallerService;
use crate::config::Config;
use crate::core::clock::{AdjustableClock, SharedClock};
use crate::core::dsn::redact_dsn;
use crate::events::{CommitHooks, EventFeed, EventService};
use crate::identity::service::{
    BindingService, FollowerService, FollowerSync, ProfileReader, ScanToBind, UserService,
};
use crate::jobs::JobService;
use crate::menus::MenuService;
use crate::message_centre::service::MessageCentreParts;
use crate::message_centre::MessageCentreService;
use crate::proxy::ProxyService;
use crate::qrcode::QrCodeService;
use crate::replies::{ReplyService, TokenCentreSender};
use crate::store::{Db, DeliveriesReady, Dispatch, Store};
use crate::tags::TagService;
use crate::tokens::TokenService;
use crate::webhooks::{Dispatcher, FanOut, WebhookClient, WebhookService};

/// Every service of one hub, wired.
pub(super) async fn build(
    config: Config,
    clock: SharedClock,
    test_clock: Option<AdjustableClock>,
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
) -> anyhow::Result<AppParts> {
    config.validate().context("invalid configuration")?;
    let master_key = config.master_key()?;
    let url = config.database_url();
    let db = Db::connect(&url)
        .await
        .with_context(|| format!("opening the store at {}", redact_dsn(&url)))?;
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
    let store = Store::with_dispatch(db, dispatch);
    let instance = crate::jobs::instance::instance_id(&config.jobs, config.listen)
        .context("naming this instance")?;
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
    // Request limits and WeChat call limits share one limiter: Redis when configured.
    let limiter: Arc<dyn RateLimiter> = match &redis {
        Some(redis) => Arc::new(RedisLimiter::new(
            redis.connection(),
            format!("{}:rl", config.tokens.key_prefix),
        )),
        None => Arc::new(LocalLimiter::new()),
    };
    tracing::info!(backend = limiter.backend(), "rate limiter ready");

    // Callers are told when an account goes, reply rules when a caller goes.
    let replies = ReplyService::new(
        store.reply_rules.clone(),
        store.accounts.clone(),
        master_key.clone(),
        clock.clone(),
        config.webhooks.allow_private_urls,
    );
    let callers = CallerService::new(
        store.callers.clone(),
        store.accounts.clone(),
        clock.clone(),
        config.http.caller_token_ttl_secs,
        vec![Arc::new(replies.clone())],
    )
    .with_default_rate_limit(config.limits.caller());
    let call_limits = Arc::new(WeChatCallLimits::new(
        limiter.clone(),
        config.limits.account_wechat(),
        store.accounts.clone(),
    ));
    let accounts = AccountService::new(
        store.accounts.clone(),
        master_key.clone(),
        clock.clone(),
        vec![Arc::new(callers.clone())],
    )
    .with_call_limits(call_limits.clone());
    accounts
        .check_master_key()
        .await
        .context("refusing to start: account secrets are stored")?;
    let (tokens, proxy) = build_tokens(&config, redis, &store, &accounts, &callers, &clock).await?;
    let proxy = proxy.with_gate(call_limits.clone());

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
        instance.clone(),
    );
    let commit_hooks = Arc::new(CommitHooks::default());
    let bindings = BindingService::new(
        store.bindings.clone(),
        accounts.clone(),
        feed.clone(),
        clock.clone(),
    );
    commit_hooks.add(Arc::new(feed));
    let writer = EventWriter::spawn(
        store.events.clone(),
        Some(commit_hooks.clone()),
        &config.callbacks,
        tracker,
        shutdown.clone(),
    );
    let jobs = JobService::new(store.jobs.clone(), clock.clone());
    let followers = FollowerService::new(store.followers.clone(), accounts.clone(), jobs.clone());
    // Follower profiles and the follower sync: WeChat calls counted against the account's limit.
    let profile_client = crate::wechat::WeChatClient::new(Duration::from_secs(
        config.tokens.upstream_timeout_secs.max(1),
    ))
    .context("building the WeChat client for follower profiles")?
    .with_gate(call_limits.clone());
    let profiles = ProfileReader::new(
        store.followers.clone(),
        accounts.clone(),
        tokens.clone(),
        profile_client,
        clock.clone(),
        config.followers.clone(),
    );
    jobs.register(Arc::new(FollowerSync {
        reader: profiles.clone(),
    }));
    let users = UserService::new(
        bindings.clone(),
        followers.clone(),
        profiles.clone(),
        store.users.clone(),
        master_key.clone(),
        clock.clone(),
    );
    // Replies that miss WeChat's deadline go out as customer-service messages.
    let late_client = crate::wechat::WeChatClient::new(Duration::from_secs(
        config.tokens.upstream_timeout_secs.max(1),
    ))
    .context("building the WeChat client for late replies")?
    .with_gate(call_limits.clone());
    let late = Arc::new(TokenCentreSender {
        tokens: tokens.clone(),
        accounts: accounts.clone(),
        client: late_client,
    });
    let callbacks = CallbackService::new(
        accounts.clone(),
        replies.clone(),
        writer,
        clock.clone(),
        tracker.clone(),
        replays,
        webhook_client,
        late,
    );
    let qrcodes = QrCodeService::new(
        store.qrcodes.clone(),
        accounts.clone(),
        callers.clone(),
        tokens.clone(),
        crate::wechat::WeChatClient::new(Duration::from_secs(
            config.tokens.upstream_timeout_secs.max(1),
        ))
        .context("building the WeChat client for QR codes")?
        .with_gate(call_limits.clone()),
        clock.clone(),
    )
    .with_public_url(config.http.public_url.clone());
    let scan_to_bind = ScanToBind::new(
        bindings.clone(),
        store.bindings.clone(),
        qrcodes.clone(),
        clock.clone(),
    );
    let tags = TagService::new(
        store.tags.clone(),
        accounts.clone(),
        tokens.clone(),
        wechat_client(&config, "tags")?.with_gate(call_limits.clone()),
        clock.clone(),
    );
    let directory = crate::contacts::Directory::new(
        store.contacts.clone(),
        accounts.clone(),
        tokens.clone(),
        wechat_client(&config, "the contacts directory")?.with_gate(call_limits.clone()),
        clock.clone(),
    );
    jobs.register(Arc::new(crate::contacts::service::ContactsSync {
        directory: directory.clone(),
    }));
    let contacts = crate::contacts::ContactService::new(directory.clone(), jobs.clone());
    let menus = MenuService::new(
        accounts.clone(),
        tokens.clone(),
        tags.clone(),
        wechat_client(&config, "menus")?.with_gate(call_limits.clone()),
    );
    let contact_queries = crate::contacts::ContactQueries::new(
        store.contact_queries.clone(),
        accounts.clone(),
        tokens.clone(),
        wechat_client(&config, "contacts")?.with_gate(call_limits.clone()),
    );
    let contact_roles = crate::contacts::RoleService::new(
        store.contact_queries.clone(),
        accounts.clone(),
        clock.clone(),
    );
    let message_centre = MessageCentreService::new(MessageCentreParts {
        accounts: accounts.clone(),
        tokens: tokens.clone(),
        client: wechat_client(&config, "the message centre")?.with_gate(call_limits),
        log: store.message_log.clone(),
        // E-mail and SMS reach members through the synced contacts directory.
        recipients: Arc::new(directory),
        mailer: crate::message_centre::mail::Mailer::from_config(&config.message_centre.smtp)
            .context("setting up the message centre's SMTP server")?,
        sms: Arc::new(crate::message_centre::sms::LogOnlySms),
        default_account: config.message_centre.default_account.clone(),
        clock: clock.clone(),
    });
    let idempotency = crate::http::idempotency::IdempotencyGuard::new(
        store.idempotency.clone(),
        crate::http::auth::Authenticator::new(
            Arc::new(callers.clone()),
            config.admin_token.clone(),
        ),
        master_key.clone(),
        clock.clone(),
        instance.clone(),
        config.http.idempotency_ttl_secs,
        config.http.body_limit_bytes,
    );
    Ok(AppParts {
        jobs,
        idempotency,
        instance,
        accounts,
        callers,
        events,
        followers,
        bindings,
        users,
        qrcodes,
        scan_to_bind,
        profiles,
        tags,
        contacts,
        menus,
        message_centre,
        contact_queries,
        contact_roles,
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
        limiter,
        metrics: crate::telemetry::metrics_handle(),
        clock,
        test_clock,
        config: Arc::new(config),
        store,
    })
}

/// A client for a capability's calls to WeChat, with the configured upstream timeout.
fn wechat_client(config: &Config, purpose: &str) -> anyhow::Result<crate::wechat::WeChatClient> {
    crate::wechat::WeChatClient::new(Duration::from_secs(
        config.tokens.upstream_timeout_secs.max(1),
    ))
    .with_context(|| format!("building the WeChat client for {purpose}"))
}

/// The token centre and the pass-through proxy: cache chosen once (Redis when configured).
async fn build_tokens(
    config: &Config,
    redis: Option<RedisCache>,
    store: &Store,
    accounts: &AccountService,
    callers: &CallerService,
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
    let sdk = crate::proxy::SdkCredentials::new(
        callers.clone(),
        store.proxy_tokens.clone(),
        clock.clone(),
        config.http.caller_token_ttl_secs,
    );
    let proxy = ProxyService::new(
        tokens.clone(),
        proxy_http,
        settings.proxy_replay_limit_bytes,
        sdk,
    );
    Ok((tokens, proxy))
}
