//! Caller registration, client-credentials tokens, and bearer-token authentication.
//!
//! A caller's secret is shown once, at registration, and stored as its SHA-256. Bearer tokens
//! (`wxh_…`) are random and likewise stored hashed, so a database dump grants nothing.
//! Authenticated callers are cached in-process for a few seconds, keyed by token hash, to keep
//! the store off the hot path; removing a caller clears this instance's cache at once (other
//! instances see it within [`AUTH_CACHE_TTL`]). A changed rate limit clears the cache the same
//! way, so this instance limits by the new one from the next request on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tracing::instrument;

use crate::accounts::model::AccountId;
use crate::accounts::service::AccountRemovalListener;
use crate::callers::error::CallerError;
use crate::callers::model::{Caller, ClientId, NewCaller};
use crate::core::clock::SharedClock;
use crate::core::crypto::{constant_time_eq, hash_credential, random_token};
use crate::core::secret::Secret;
use crate::core::RateLimit;
use crate::http::auth::BearerTokens;
use crate::store::accounts::AccountStore;
use crate::store::callers::{CallerRecord, CallerStore};
use crate::store::StoreError;

/// How long an authenticated token stays cached in one process.
pub const AUTH_CACHE_TTL: Duration = Duration::seconds(5);
const AUTH_CACHE_MAX: usize = 10_000;

/// A bearer token just issued.
#[derive(Debug)]
pub struct IssuedToken {
    pub access_token: Secret<String>,
    pub expires_in: u64,
    pub expires_at: DateTime<Utc>,
}

/// Told after a caller was removed (its endpoints and reply rules went with it in the store),
/// so in-process copies of what it owned are dropped.
pub trait CallerRemovalListener: Send + Sync + 'static {
    fn caller_removed(&self, id: &ClientId);
}

#[derive(Clone)]
pub struct CallerService {
    removal_listeners: Arc<Vec<Arc<dyn CallerRemovalListener>>>,
    store: Arc<dyn CallerStore>,
    accounts: Arc<dyn AccountStore>,
    clock: SharedClock,
    token_ttl_secs: u64,
    cache: Arc<Mutex<HashMap<String, CachedAuth>>>,
    /// `[limits] caller_*`: the limit of a caller without one of its own (`None`: off).
    default_rate_limit: Option<RateLimit>,
}

/// The limit a caller's requests are held to, as its view shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveRateLimit {
    pub limit: RateLimit,
    /// Whether it is the configured default (the caller has none of its own).
    pub is_default: bool,
}

#[derive(Clone)]
struct CachedAuth {
    caller: Arc<Caller>,
    /// The cache entry is good until the earlier of `cached_at + AUTH_CACHE_TTL` and the
    /// token's own expiry.
    valid_until: DateTime<Utc>,
}

impl CallerService {
    pub fn new(
        store: Arc<dyn CallerStore>,
        accounts: Arc<dyn AccountStore>,
        clock: SharedClock,
        token_ttl_secs: u64,
        removal_listeners: Vec<Arc<dyn CallerRemovalListener>>,
    ) -> Self {
        CallerService {
            removal_listeners: Arc::new(removal_listeners),
            store,
            accounts,
            clock,
            token_ttl_secs,
            cache: Arc::new(Mutex::new(HashMap::new())),
            default_rate_limit: None,
        }
    }

    /// Callers without a limit of their own are held to `limit` (`None`: not limited).
    pub fn with_default_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.default_rate_limit = limit;
        self
    }

    /// The limit `caller`'s requests are held to: its own, else the default; `None`: none.
    pub fn effective_rate_limit(&self, caller: &Caller) -> Option<EffectiveRateLimit> {
        match (caller.rate_limit, self.default_rate_limit) {
            (Some(limit), _) => Some(EffectiveRateLimit {
                limit,
                is_default: false,
            }),
            (None, Some(limit)) => Some(EffectiveRateLimit {
                limit,
                is_default: true,
            }),
            (None, None) => None,
        }
    }

    /// Sets the caller's own request limit (`None`: back to the default). Takes effect on
    /// this instance's next request, on the others within [`AUTH_CACHE_TTL`].
    #[instrument(skip_all, fields(client_id = %id))]
    pub async fn set_rate_limit(
        &self,
        id: &ClientId,
        limit: Option<RateLimit>,
    ) -> Result<Caller, CallerError> {
        if !self.store.set_rate_limit(id, limit).await? {
            return Err(CallerError::NotFound(id.to_string()));
        }
        self.lock_cache().retain(|_, c| &c.caller.client_id != id);
        tracing::info!(
            per_second = limit.map(RateLimit::per_second),
            burst = limit.map(RateLimit::burst),
            "caller rate limit set"
        );
        self.get(id).await
    }

    /// Registers a caller; returns it with its secret (shown once).
    #[instrument(skip_all, fields(system_id = %new.system_id))]
    pub async fn create(&self, new: NewCaller) -> Result<(Caller, Secret<String>), CallerError> {
        for account in &new.accounts {
            if self.accounts.get(account).await?.is_none() {
                return Err(CallerError::UnknownAccount(account.clone()));
            }
        }
        let secret = random_token("wxs_");
        let caller = Caller {
            client_id: ClientId::generate(),
            system_id: new.system_id,
            name: new.name,
            accounts: new.accounts,
            scopes: new.scopes,
            qr_source: new.qr_source,
            rsa_public_key: new.rsa_public_key,
            redirect_domains: new.redirect_domains,
            jssdk_domains: new.jssdk_domains,
            created_at: self.clock.now(),
            rate_limit: None,
        };
        let record = CallerRecord {
            caller,
            secret_hash: hash_credential(secret.expose()),
        };
        match self.store.insert(&record).await {
            Ok(()) => {}
            Err(StoreError::Conflict { what: "qr_source" }) => {
                return Err(CallerError::QrSourceTaken(
                    record.caller.qr_source.map(|s| s.get()).unwrap_or(0),
                ))
            }
            Err(StoreError::Conflict { .. }) => {
                return Err(CallerError::SystemIdTaken(
                    record.caller.system_id.to_string(),
                ))
            }
            Err(StoreError::MissingReference) => {
                // An account was removed between the check above and the insert.
                let first = record.caller.accounts.iter().next().cloned();
                return match first {
                    Some(a) => Err(CallerError::UnknownAccount(a)),
                    None => Err(StoreError::MissingReference.into()),
                };
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(client_id = %record.caller.client_id, "caller registered");
        Ok((record.caller, secret))
    }

    pub async fn get(&self, id: &ClientId) -> Result<Caller, CallerError> {
        self.store
            .get(id)
            .await?
            .map(|r| r.caller)
            .ok_or_else(|| CallerError::NotFound(id.to_string()))
    }

    pub async fn list(
        &self,
        cursor: Option<&ClientId>,
        limit: u32,
    ) -> Result<Vec<Caller>, CallerError> {
        Ok(self
            .store
            .list(cursor, limit)
            .await?
            .into_iter()
            .map(|r| r.caller)
            .collect())
    }

    #[instrument(skip_all, fields(client_id = %id))]
    pub async fn delete(&self, id: &ClientId) -> Result<(), CallerError> {
        if !self.store.delete(id).await? {
            return Err(CallerError::NotFound(id.to_string()));
        }
        self.lock_cache().retain(|_, c| &c.caller.client_id != id);
        for listener in self.removal_listeners.iter() {
            listener.caller_removed(id);
        }
        tracing::info!("caller removed");
        Ok(())
    }

    /// Checks a client id and secret pair; the caller it names when they match.
    #[instrument(skip_all)]
    pub async fn verify_secret(
        &self,
        client_id: &str,
        client_secret: &Secret<String>,
    ) -> Result<Caller, CallerError> {
        let Ok(id) = ClientId::parse(client_id) else {
            tracing::info!("credentials refused: malformed client id");
            return Err(CallerError::InvalidClient);
        };
        let Some(record) = self.store.get(&id).await? else {
            tracing::info!(client_id = %id, "credentials refused: unknown client");
            return Err(CallerError::InvalidClient);
        };
        let presented = hash_credential(client_secret.expose());
        if !constant_time_eq(presented.as_bytes(), record.secret_hash.as_bytes()) {
            tracing::info!(client_id = %id, "credentials refused: wrong secret");
            return Err(CallerError::InvalidClient);
        }
        Ok(record.caller)
    }

    /// The client-credentials grant: checks the pair and issues a bearer token.
    #[instrument(skip_all)]
    pub async fn issue_token(
        &self,
        client_id: &str,
        client_secret: &Secret<String>,
    ) -> Result<IssuedToken, CallerError> {
        let id = self
            .verify_secret(client_id, client_secret)
            .await?
            .client_id;
        let token = random_token("wxh_");
        let ttl = i64::try_from(self.token_ttl_secs).unwrap_or(i64::MAX / 2);
        let expires_at = self.clock.now() + Duration::seconds(ttl);
        self.store
            .insert_token(&hash_credential(token.expose()), &id, expires_at)
            .await?;
        tracing::info!(client_id = %id, "caller token issued");
        Ok(IssuedToken {
            access_token: token,
            expires_in: self.token_ttl_secs,
            expires_at,
        })
    }

    /// The caller a bearer token belongs to, if it is valid now.
    pub async fn authenticate(&self, bearer: &str) -> Result<Option<Arc<Caller>>, CallerError> {
        let hash = hash_credential(bearer);
        let now = self.clock.now();
        if let Some(hit) = self.lock_cache().get(&hash) {
            if now < hit.valid_until {
                return Ok(Some(hit.caller.clone()));
            }
        }
        let Some(owner) = self.store.find_by_token(&hash, now).await? else {
            self.lock_cache().remove(&hash);
            return Ok(None);
        };
        let caller = Arc::new(owner.record.caller);
        let valid_until = owner.expires_at.min(now + AUTH_CACHE_TTL);
        let mut cache = self.lock_cache();
        if cache.len() >= AUTH_CACHE_MAX {
            cache.clear();
        }
        cache.insert(
            hash,
            CachedAuth {
                caller: caller.clone(),
                valid_until,
            },
        );
        Ok(Some(caller))
    }

    /// One step of the token janitor: deletes expired tokens, returns how many.
    pub async fn purge_expired_tokens(&self) -> Result<u64, CallerError> {
        Ok(self.store.purge_expired_tokens(self.clock.now()).await?)
    }

    /// Whether `account` is registered (for request validation).
    pub async fn account_exists(&self, account: &AccountId) -> Result<bool, CallerError> {
        Ok(self.accounts.get(account).await?.is_some())
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedAuth>> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Drops this instance's cached authentications of callers granted a removed account, so an
/// account deleted (and perhaps registered again for another app) is not used through a
/// grant cached before. Other instances forget within [`AUTH_CACHE_TTL`].
impl AccountRemovalListener for CallerService {
    fn account_removed(&self, account: &AccountId) {
        self.lock_cache()
            .retain(|_, c| !c.caller.accounts.contains(account));
    }
}

#[async_trait::async_trait]
impl BearerTokens for CallerService {
    async fn caller_of(&self, bearer: &str) -> anyhow::Result<Option<Arc<Caller>>> {
        Ok(self.authenticate(bearer).await?)
    }
}
