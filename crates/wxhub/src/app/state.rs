//! What handlers reach: [`AppState`], one `Arc` around every service, and the `FromRef`
//! impls that hand each route exactly the service it names (and the caller extractor only
//! the [`Authenticator`]).

use std::sync::Arc;

use axum::extract::FromRef;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::accounts::AccountService;
use crate::bus::SharedBus;
use crate::cache::ratelimit::RateLimiter;
use crate::callbacks::CallbackService;
use crate::callers::CallerService;
use crate::config::Config;
use crate::contacts::ContactService;
use crate::contacts::{ContactQueries, RoleService};
use crate::core::clock::{AdjustableClock, SharedClock};
use crate::core::Secret;
use crate::events::{CommitHooks, EventService};
use crate::http::auth::Authenticator;
use crate::http::idempotency::IdempotencyGuard;
use crate::http::ratelimit::{DefaultLimits, QueryTokens, RequestLimits};
use crate::identity::service::{
    BindingService, FollowerService, ProfileReader, ScanToBind, UserService,
};
use crate::jobs::{InstanceId, JobService};
use crate::menus::MenuService;
use crate::message_centre::MessageCentreService;
use crate::proxy::sdk::{SdkCredentials, SdkError};
use crate::proxy::ProxyService;
use crate::qrcode::QrCodeService;
use crate::replies::ReplyService;
use crate::store::{Db, DeliveriesReady, Store};
use crate::tags::TagService;
use crate::tokens::TokenService;
use crate::webhooks::{Dispatcher, FanOut, WebhookService};

/// Shared behind one `Arc`: axum clones the state for every request.
#[derive(Clone)]
pub struct AppState(pub(super) Arc<AppParts>);

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
    pub bindings: BindingService,
    pub users: UserService,
    /// Bind QR codes and the binding of their scans.
    pub scan_to_bind: ScanToBind,
    /// QR codes: issuing, images, statistics, grants, publishable keys.
    pub qrcodes: QrCodeService,
    /// Follower profiles and lists from WeChat (the profile fetcher, the follower sync).
    pub profiles: ProfileReader,
    /// Follower tags: the account's copy, changes, tagging, remarks.
    pub tags: TagService,
    /// The WeCom contacts directory: sync, re-reads, queries.
    pub contacts: ContactService,
    /// Custom menus: default and conditional, checked before WeChat sees them.
    pub menus: MenuService,
    /// The message centre: WeCom notices, e-mail, SMS, the send log.
    pub message_centre: MessageCentreService,
    /// The contacts directory's queries and tag-member changes.
    pub contact_queries: ContactQueries,
    /// Admin role assignments over the contacts directory.
    pub contact_roles: RoleService,
    pub jobs: JobService,
    pub idempotency: IdempotencyGuard,
    /// This instance as the holder of leases (`jobs.instance_id`, or host and port).
    pub instance: InstanceId,
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
    /// Request and WeChat call limits: in-process, or in Redis when configured.
    pub limiter: Arc<dyn RateLimiter>,
    pub metrics: PrometheusHandle,
    pub clock: SharedClock,
    /// Set only with `WXHUB_TEST_CLOCK=1`: the clock `POST /api/v1/admin/clock/advance` moves.
    pub test_clock: Option<AdjustableClock>,
    pub config: Arc<Config>,
    /// For readiness only; capability routes go through their service.
    pub(crate) store: Store,
}

impl AppState {
    /// The database, for health checks and tests.
    pub fn store_db(&self) -> &Db {
        &self.store.db
    }
}

/// `impl FromRef<AppState> for $service`, cloning the named field.
macro_rules! services_from_state {
    ($($service:ty => $field:ident),* $(,)?) => {
        $(impl FromRef<AppState> for $service {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        })*
    };
}

services_from_state! {
    AccountService => accounts,
    CallerService => callers,
    TokenService => tokens,
    ProxyService => proxy,
    EventService => events,
    FollowerService => followers,
    BindingService => bindings,
    UserService => users,
    ScanToBind => scan_to_bind,
    ProfileReader => profiles,
    QrCodeService => qrcodes,
    TagService => tags,
    ContactService => contacts,
    MenuService => menus,
    MessageCentreService => message_centre,
    ContactQueries => contact_queries,
    RoleService => contact_roles,
    JobService => jobs,
    WebhookService => webhooks,
    CallbackService => callbacks,
    ReplyService => replies,
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        Authenticator::new(Arc::new(state.callers.clone()), state.admin_token.clone())
    }
}

impl FromRef<AppState> for RequestLimits {
    fn from_ref(state: &AppState) -> Self {
        RequestLimits::new(
            Authenticator::from_ref(state),
            state.limiter.clone(),
            DefaultLimits {
                caller: state.config.limits.caller(),
                admin: state.config.limits.admin(),
                anonymous: state.config.limits.anonymous(),
            },
        )
        .with_query_tokens(Arc::new(SdkTokens(state.proxy.sdk().clone())))
    }
}

/// The rate limit's view of the proxy's SDK tokens: whose caller a token is.
struct SdkTokens(SdkCredentials);

#[async_trait::async_trait]
impl QueryTokens for SdkTokens {
    async fn caller_of(
        &self,
        account: &crate::accounts::AccountId,
        token: &str,
    ) -> anyhow::Result<Option<Arc<crate::callers::Caller>>> {
        match self.0.authorize(account, Some(token)).await {
            Ok(caller) => Ok(Some(Arc::new(caller))),
            Err(SdkError::Refused(_)) => Ok(None),
            Err(SdkError::Internal(e)) => Err(e),
        }
    }
}
