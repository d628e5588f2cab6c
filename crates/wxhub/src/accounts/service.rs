//! Account registration and the decrypted-credentials accessor for the token centre.

use std::sync::Arc;

use tracing::instrument;

use crate::accounts::error::AccountError;
use crate::accounts::limits::WeChatCallLimits;
use crate::accounts::model::{
    Account, AccountCredentials, AccountId, AccountPatch, AccountSetup, NewAccount,
};
use crate::core::clock::SharedClock;
use crate::core::crypto::{CryptoError, MasterKey};
use crate::core::secret::Secret;
use crate::store::accounts::{AccountRecord, AccountStore};
use crate::store::StoreError;

/// Told after an account was removed, so in-process copies of what served it are dropped.
pub trait AccountRemovalListener: Send + Sync + 'static {
    fn account_removed(&self, id: &AccountId);
}

/// Registers, changes and reads accounts; seals and opens their secrets.
#[derive(Clone)]
pub struct AccountService {
    store: Arc<dyn AccountStore>,
    key: Option<MasterKey>,
    clock: SharedClock,
    removal_listeners: Arc<Vec<Arc<dyn AccountRemovalListener>>>,
    /// Told of each change, so a changed WeChat call limit applies at once here.
    call_limits: Option<Arc<WeChatCallLimits>>,
}

/// Which sealed field a context string names; part of the AEAD associated data.
#[derive(Clone, Copy)]
enum Field {
    Secret,
    CallbackToken,
    EncodingAesKey,
    ContactsSecret,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Secret => "secret",
            Field::CallbackToken => "callback_token",
            Field::EncodingAesKey => "encoding_aes_key",
            Field::ContactsSecret => "contacts_secret",
        }
    }
}

fn context(id: &AccountId, field: Field) -> String {
    format!("account:{id}:{}", field.name())
}

impl AccountService {
    pub fn new(
        store: Arc<dyn AccountStore>,
        key: Option<MasterKey>,
        clock: SharedClock,
        removal_listeners: Vec<Arc<dyn AccountRemovalListener>>,
    ) -> Self {
        AccountService {
            store,
            key,
            clock,
            removal_listeners: Arc::new(removal_listeners),
            call_limits: None,
        }
    }

    /// Changes and removals of accounts are told to `limits` (whose cached per-account
    /// limits they make stale).
    pub fn with_call_limits(mut self, limits: Arc<WeChatCallLimits>) -> Self {
        self.call_limits = Some(limits);
        self
    }

    fn forget_limit(&self, id: &AccountId) {
        if let Some(limits) = &self.call_limits {
            limits.forget(id);
        }
    }

    fn key(&self) -> Result<&MasterKey, AccountError> {
        self.key.as_ref().ok_or(AccountError::NoMasterKey)
    }

    fn seal(
        &self,
        id: &AccountId,
        field: Field,
        value: &Secret<String>,
    ) -> Result<String, AccountError> {
        self.key()?
            .seal(&context(id, field), value.expose())
            .map_err(|_| AccountError::WrongMasterKey)
    }

    fn seal_opt(
        &self,
        id: &AccountId,
        field: Field,
        value: Option<&Secret<String>>,
    ) -> Result<Option<String>, AccountError> {
        value.map(|v| self.seal(id, field, v)).transpose()
    }

    fn open(
        &self,
        id: &AccountId,
        field: Field,
        sealed: &str,
    ) -> Result<Secret<String>, AccountError> {
        self.key()?
            .open(&context(id, field), sealed)
            .map_err(|e| match e {
                CryptoError::WrongKey | CryptoError::BadKey => AccountError::WrongMasterKey,
                CryptoError::Malformed => AccountError::Store(StoreError::Corrupt(format!(
                    "account {id} {} is not a sealed value",
                    field.name()
                ))),
            })
    }

    fn open_opt(
        &self,
        id: &AccountId,
        field: Field,
        sealed: Option<&str>,
    ) -> Result<Option<Secret<String>>, AccountError> {
        sealed.map(|s| self.open(id, field, s)).transpose()
    }

    /// Startup check: when secrets are stored, a master key must be configured and open them.
    pub async fn check_master_key(&self) -> Result<(), AccountError> {
        let sample = self.store.list(None, 1).await?;
        let Some(record) = sample.first() else {
            return Ok(());
        };
        self.key()?;
        self.open(&record.id, Field::Secret, &record.secret_sealed)?;
        Ok(())
    }

    #[instrument(skip_all, fields(account = %new.id))]
    pub async fn create(&self, new: NewAccount) -> Result<Account, AccountError> {
        let now = self.clock.now();
        let callback = new.setup.callback();
        let record = AccountRecord {
            secret_sealed: self.seal(&new.id, Field::Secret, &new.secret)?,
            callback_token_sealed: self.seal_opt(
                &new.id,
                Field::CallbackToken,
                callback.token(),
            )?,
            encoding_aes_key_sealed: self.seal_opt(
                &new.id,
                Field::EncodingAesKey,
                callback.encoding_aes_key(),
            )?,
            contacts_secret_sealed: self.seal_opt(
                &new.id,
                Field::ContactsSecret,
                new.setup.contacts_secret(),
            )?,
            mode: new.setup.mode(),
            id: new.id,
            app: new.setup.app().clone(),
            name: new.name,
            original_id: new.original_id,
            logo_url: new.logo_url,
            api_base: new.api_base,
            wechat_rate_limit: new.wechat_rate_limit,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        match self.store.insert(&record).await {
            Ok(()) => {}
            Err(StoreError::Conflict { what: "appid" }) => {
                return Err(AccountError::AppTaken("appid"))
            }
            Err(StoreError::Conflict { what: "agentid" }) => {
                return Err(AccountError::AppTaken("corpid and agentid"))
            }
            Err(StoreError::Conflict { .. }) => return Err(AccountError::IdTaken(record.id)),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(kind = record.app.kind().as_str(), "account registered");
        Ok(public(&record))
    }

    async fn record(&self, id: &AccountId) -> Result<AccountRecord, AccountError> {
        self.store
            .get(id)
            .await?
            .ok_or_else(|| AccountError::NotFound(id.clone()))
    }

    pub async fn get(&self, id: &AccountId) -> Result<Account, AccountError> {
        Ok(public(&self.record(id).await?))
    }

    pub async fn exists(&self, id: &AccountId) -> Result<bool, AccountError> {
        Ok(self.store.get(id).await?.is_some())
    }

    /// A page of accounts ordered by id, after `cursor`.
    pub async fn list(
        &self,
        cursor: Option<&AccountId>,
        limit: u32,
    ) -> Result<Vec<Account>, AccountError> {
        Ok(self
            .store
            .list(cursor, limit)
            .await?
            .iter()
            .map(public)
            .collect())
    }

    #[instrument(skip_all, fields(account = %id))]
    pub async fn update(
        &self,
        id: &AccountId,
        patch: AccountPatch,
    ) -> Result<Account, AccountError> {
        let mut record = self.record(id).await?;
        let expected = record.version;
        if let Some(name) = patch.name {
            record.name = name;
        }
        if let Some(original_id) = patch.original_id {
            record.original_id = original_id;
        }
        if let Some(logo_url) = patch.logo_url {
            record.logo_url = logo_url;
        }
        if let Some(api_base) = patch.api_base {
            record.api_base = api_base;
        }
        if let Some(limit) = patch.wechat_rate_limit {
            record.wechat_rate_limit = limit;
        }
        // The patched account is checked as a whole, by the rules a registration meets: the
        // given secrets sealed, the others as stored (the rules ask only whether each is
        // there).
        let sealed =
            |field, given: Option<Option<Secret<String>>>, stored: Option<String>| match given {
                Some(value) => self.seal_opt(id, field, value.as_ref()),
                None => Ok(stored),
            };
        let setup = AccountSetup::new(
            record.app.clone(),
            patch.mode.unwrap_or(record.mode),
            sealed(
                Field::CallbackToken,
                patch.callback_token,
                record.callback_token_sealed.take(),
            )?,
            sealed(
                Field::EncodingAesKey,
                patch.encoding_aes_key,
                record.encoding_aes_key_sealed.take(),
            )?,
            sealed(
                Field::ContactsSecret,
                patch.contacts_secret,
                record.contacts_secret_sealed.take(),
            )?,
        )?;
        record.mode = setup.mode();
        let (_, callback, contacts_secret) = setup.into_parts();
        record.callback_token_sealed = callback.token().cloned();
        record.encoding_aes_key_sealed = callback.encoding_aes_key().cloned();
        record.contacts_secret_sealed = contacts_secret;
        self.save(record, expected).await
    }

    /// Replaces the AppSecret (or WeCom app secret).
    #[instrument(skip_all, fields(account = %id))]
    pub async fn rotate_secret(
        &self,
        id: &AccountId,
        secret: Secret<String>,
    ) -> Result<Account, AccountError> {
        let mut record = self.record(id).await?;
        let expected = record.version;
        record.secret_sealed = self.seal(id, Field::Secret, &secret)?;
        let account = self.save(record, expected).await?;
        tracing::info!("account secret rotated");
        Ok(account)
    }

    async fn save(
        &self,
        mut record: AccountRecord,
        expected: i64,
    ) -> Result<Account, AccountError> {
        record.version = expected + 1;
        record.updated_at = self.clock.now();
        match self.store.update(&record, expected).await {
            Ok(true) => {
                self.forget_limit(&record.id);
                Ok(public(&record))
            }
            Ok(false) => Err(AccountError::ConcurrentUpdate(record.id)),
            Err(e) => Err(e.into()),
        }
    }

    #[instrument(skip_all, fields(account = %id))]
    pub async fn delete(&self, id: &AccountId) -> Result<(), AccountError> {
        if self.store.delete(id).await? {
            self.forget_limit(id);
            for listener in self.removal_listeners.iter() {
                listener.account_removed(id);
            }
            tracing::info!("account removed");
            Ok(())
        } else {
            Err(AccountError::NotFound(id.clone()))
        }
    }

    /// Everything needed to call WeChat for `id`, secrets decrypted. For the token centre.
    pub async fn credentials(&self, id: &AccountId) -> Result<AccountCredentials, AccountError> {
        let r = self.record(id).await?;
        Ok(AccountCredentials {
            secret: self.open(id, Field::Secret, &r.secret_sealed)?,
            callback_token: self.open_opt(
                id,
                Field::CallbackToken,
                r.callback_token_sealed.as_deref(),
            )?,
            encoding_aes_key: self.open_opt(
                id,
                Field::EncodingAesKey,
                r.encoding_aes_key_sealed.as_deref(),
            )?,
            contacts_secret: self.open_opt(
                id,
                Field::ContactsSecret,
                r.contacts_secret_sealed.as_deref(),
            )?,
            id: r.id,
            app: r.app,
            api_base: r.api_base,
            mode: r.mode,
            version: r.version,
        })
    }
}

fn public(r: &AccountRecord) -> Account {
    Account {
        id: r.id.clone(),
        app: r.app.clone(),
        name: r.name.clone(),
        original_id: r.original_id.clone(),
        logo_url: r.logo_url.clone(),
        mode: r.mode,
        api_base: r.api_base.clone(),
        has_callback_token: r.callback_token_sealed.is_some(),
        has_encoding_aes_key: r.encoding_aes_key_sealed.is_some(),
        has_contacts_secret: r.contacts_secret_sealed.is_some(),
        wechat_rate_limit: r.wechat_rate_limit,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}
