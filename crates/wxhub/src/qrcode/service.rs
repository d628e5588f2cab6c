//! Issuing QR codes through WeChat's `qrcode/create` with the account's token, keeping them,
//! serving their images, and the admin's side: an account's expiry limit, grants of
//! permanent codes, callers' publishable keys.

use std::sync::Arc;

use chrono::Duration;
use tracing::instrument;
use wx_protocol::qrscene::QrSource;

use super::error::QrCodeError;
use super::image::{render_png, CachedImage, ImageCache};
use super::model::{
    EncodedScene, ExpireLimit, KeyDomains, PermanentSceneId, PublishableKey, PublishableKeyId,
    QrCode, QrCodeId, QrKind, QrSettings, QrStats, TemporaryScene, KEY_PREFIX,
    WECHAT_MAX_EXPIRE_SECS,
};
use crate::accounts::model::{AccountApp, AccountId};
use crate::accounts::{Account, AccountService};
use crate::callers::model::{Caller, ClientId};
use crate::callers::{CallerError, CallerService};
use crate::core::clock::SharedClock;
use crate::core::crypto::{hash_credential, random_token};
use crate::core::Secret;
use crate::jssdk::service::AllowedDomains;
use crate::store::qrcodes::{PermanentGrant, QrCodeStore, PERMANENT_SCENE_TAKEN};
use crate::store::StoreError;
use crate::tokens::TokenService;
use crate::wechat::mp::qrcode::{self as wx_qrcode, CreateQrCode, Scene};
use crate::wechat::{Api, WeChatClient};

/// A request for a temporary code, checked except for the account's own expiry limit.
#[derive(Debug, Clone)]
pub struct TemporaryRequest {
    pub account: AccountId,
    /// The caller asking (`None`: the admin).
    pub owner: Option<ClientId>,
    pub source: QrSource,
    pub scene: TemporaryScene,
    pub expire_seconds: Option<i64>,
}

/// A permanent code: asked for again, the same one (`created` false).
#[derive(Debug, Clone)]
pub struct Issued {
    pub code: QrCode,
    pub created: bool,
}

#[derive(Clone)]
pub struct QrCodeService {
    store: Arc<dyn QrCodeStore>,
    accounts: AccountService,
    callers: CallerService,
    tokens: TokenService,
    client: WeChatClient,
    clock: SharedClock,
    images: ImageCache,
    /// `http.public_url`: where browsers reach the hub, for absolute image links.
    public_url: Option<Arc<str>>,
}

impl QrCodeService {
    pub fn new(
        store: Arc<dyn QrCodeStore>,
        accounts: AccountService,
        callers: CallerService,
        tokens: TokenService,
        client: WeChatClient,
        clock: SharedClock,
    ) -> Self {
        QrCodeService {
            store,
            accounts,
            callers,
            tokens,
            client,
            clock,
            images: ImageCache::default(),
            public_url: None,
        }
    }

    /// Image links start with `url` (`https://wx.example.com`) instead of the request's
    /// own host.
    pub fn with_public_url(mut self, url: Option<String>) -> Self {
        self.public_url = url.map(|u| Arc::from(u.trim_end_matches('/')));
        self
    }

    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// The account, if it is an Official Account (WeCom apps have no scene QR codes).
    async fn official_account(&self, id: &AccountId) -> Result<Account, QrCodeError> {
        let account = self.accounts.get(id).await?;
        match account.app {
            AccountApp::Mp { .. } => Ok(account),
            AccountApp::Work { .. } => Err(QrCodeError::NotAnOfficialAccount(id.clone())),
        }
    }

    async fn create_at_wechat(
        &self,
        account: &Account,
        request: &CreateQrCode,
    ) -> Result<wx_qrcode::QrCode, QrCodeError> {
        let handle = self.tokens.handle(account.id.as_str());
        let api = Api::for_account(&self.client, &account.api_base, account.id.as_str());
        wx_qrcode::create(&api, &handle, request)
            .await
            .map_err(QrCodeError::WeChat)
    }

    /// A new temporary code of `request.source` and scene.
    #[instrument(skip_all, fields(account = %request.account, source = request.source.get()))]
    pub async fn create_temporary(&self, request: TemporaryRequest) -> Result<QrCode, QrCodeError> {
        let account = self.official_account(&request.account).await?;
        let limit = self
            .store
            .expire_limit(&request.account)
            .await?
            .unwrap_or(ExpireLimit::SEED);
        let expire = limit.expire_seconds(request.expire_seconds)?;
        let encoded = request.scene.encode(request.source)?;
        let scene = match &encoded {
            EncodedScene::Id(scene_id) => Scene::Id {
                scene_id: *scene_id,
            },
            EncodedScene::Str(scene_str) => Scene::Str {
                scene_str: scene_str.clone(),
            },
        };
        let answer = self
            .create_at_wechat(&account, &CreateQrCode::temporary(scene, expire))
            .await?;
        let now = self.clock.now();
        let lives = answer.expire_seconds.map_or(u64::from(expire), |s| {
            s.min(u64::from(WECHAT_MAX_EXPIRE_SECS))
        });
        let code = QrCode {
            id: QrCodeId::generate(),
            account: request.account,
            owner: request.owner,
            kind: QrKind::Temporary,
            source: Some(request.source.get()),
            scene: encoded.as_text(),
            scene_value: request.scene.value(),
            permanent_scene_id: None,
            ticket: answer.ticket,
            url: answer.url,
            created_at: now,
            expires_at: Some(
                now + Duration::seconds(i64::try_from(lives).unwrap_or(i64::from(expire))),
            ),
        };
        self.store.insert(&code).await?;
        tracing::info!(qrcode = %code.id, expire, "temporary QR code created");
        Ok(code)
    }

    /// The permanent code `scene_id` of `owner` on `account`: created the first time,
    /// the same code every later time. Needs the admin's grant; an id another caller holds
    /// is never given out.
    #[instrument(skip_all, fields(account = %account, caller = %owner, scene_id = scene_id.get()))]
    pub async fn permanent(
        &self,
        account: &AccountId,
        owner: &ClientId,
        scene_id: PermanentSceneId,
    ) -> Result<Issued, QrCodeError> {
        let found = self.official_account(account).await?;
        if self.store.permanent_grant(account, owner).await?.is_none() {
            tracing::info!("refused: no grant of permanent QR codes");
            return Err(QrCodeError::NotGranted {
                account: account.clone(),
                caller: owner.clone(),
            });
        }
        if let Some(existing) = self.store.permanent(account, scene_id).await? {
            return Self::owned_by(existing, owner, scene_id);
        }
        let answer = self
            .create_at_wechat(
                &found,
                &CreateQrCode::permanent(Scene::Id {
                    scene_id: scene_id.get(),
                }),
            )
            .await?;
        let code = QrCode {
            id: QrCodeId::generate(),
            account: account.clone(),
            owner: Some(owner.clone()),
            kind: QrKind::Permanent,
            source: None,
            scene: scene_id.get().to_string(),
            scene_value: scene_id.get().to_string(),
            permanent_scene_id: Some(scene_id),
            ticket: answer.ticket,
            url: answer.url,
            created_at: self.clock.now(),
            expires_at: None,
        };
        match self.store.insert(&code).await {
            Ok(()) => {
                tracing::info!(qrcode = %code.id, "permanent QR code created");
                Ok(Issued {
                    code,
                    created: true,
                })
            }
            // Another request took the id between the look-up and the insert.
            Err(StoreError::Conflict {
                what: PERMANENT_SCENE_TAKEN,
            }) => match self.store.permanent(account, scene_id).await? {
                Some(existing) => Self::owned_by(existing, owner, scene_id),
                None => Err(StoreError::Corrupt("permanent QR code vanished".into()).into()),
            },
            Err(e) => Err(e.into()),
        }
    }

    fn owned_by(
        existing: QrCode,
        owner: &ClientId,
        scene_id: PermanentSceneId,
    ) -> Result<Issued, QrCodeError> {
        if existing.owner.as_ref() == Some(owner) {
            Ok(Issued {
                code: existing,
                created: false,
            })
        } else {
            tracing::info!("refused: the permanent scene id is another caller's");
            Err(QrCodeError::SceneIdTaken(scene_id.get()))
        }
    }

    pub async fn get(&self, id: &QrCodeId) -> Result<QrCode, QrCodeError> {
        self.store
            .get(id)
            .await?
            .ok_or_else(|| QrCodeError::NotFound(id.to_string()))
    }

    /// The code's PNG, rendered once and then cached; an expired code has none.
    pub async fn image(&self, id: &QrCodeId) -> Result<Arc<Vec<u8>>, QrCodeError> {
        let now = self.clock.now();
        let image = match self.images.get(id) {
            Some(image) => image,
            None => {
                let code = self.get(id).await?;
                let png = render_png(&code.url).ok_or(QrCodeError::Render)?;
                let image = CachedImage {
                    png: Arc::new(png),
                    expires_at: code.expires_at,
                };
                self.images.put(id.clone(), image.clone());
                image
            }
        };
        if image.expires_at.is_some_and(|t| now >= t) {
            return Err(QrCodeError::Expired(id.to_string()));
        }
        Ok(image.png)
    }

    pub async fn stats(&self, id: &QrCodeId) -> Result<QrStats, QrCodeError> {
        Ok(self.store.stats(id).await?)
    }

    pub async fn settings(&self, account: &AccountId) -> Result<QrSettings, QrCodeError> {
        self.accounts.get(account).await?;
        let limit = self
            .store
            .expire_limit(account)
            .await?
            .unwrap_or(ExpireLimit::SEED);
        Ok(QrSettings {
            max_expire_seconds: limit.get(),
        })
    }

    /// Sets the account's limit on temporary codes' life (`None`: back to seed 000's).
    #[instrument(skip_all, fields(account = %account))]
    pub async fn set_expire_limit(
        &self,
        account: &AccountId,
        limit: Option<ExpireLimit>,
    ) -> Result<QrSettings, QrCodeError> {
        self.accounts.get(account).await?;
        self.store.set_expire_limit(account, limit).await?;
        tracing::info!(
            max_expire_seconds = limit.map(ExpireLimit::get),
            "QR expiry limit set"
        );
        self.settings(account).await
    }

    /// A caller that exists and may use `account`.
    async fn caller_on(
        &self,
        account: &AccountId,
        client: &ClientId,
    ) -> Result<Caller, QrCodeError> {
        self.accounts.get(account).await?;
        let caller = self.caller(client).await?;
        if !caller.accounts.contains(account) {
            return Err(QrCodeError::CallerNotFound(format!(
                "{client} on account {account}"
            )));
        }
        Ok(caller)
    }

    async fn caller(&self, client: &ClientId) -> Result<Caller, QrCodeError> {
        match self.callers.get(client).await {
            Ok(caller) => Ok(caller),
            Err(CallerError::NotFound(id)) => Err(QrCodeError::CallerNotFound(id)),
            Err(e) => Err(QrCodeError::Lookup(e.into())),
        }
    }

    #[instrument(skip_all, fields(account = %account, caller = %client))]
    pub async fn grant_permanent(
        &self,
        account: &AccountId,
        client: &ClientId,
    ) -> Result<PermanentGrant, QrCodeError> {
        self.caller_on(account, client).await?;
        let grant = match self
            .store
            .grant_permanent(account, client, self.clock.now())
            .await
        {
            Err(StoreError::MissingReference) => {
                return Err(QrCodeError::CallerNotFound(client.to_string()))
            }
            other => other?,
        };
        tracing::info!("permanent QR codes granted");
        Ok(grant)
    }

    /// Whether there was a grant. The scene ids the caller owns stay its own.
    #[instrument(skip_all, fields(account = %account, caller = %client))]
    pub async fn revoke_permanent(
        &self,
        account: &AccountId,
        client: &ClientId,
    ) -> Result<bool, QrCodeError> {
        self.accounts.get(account).await?;
        let revoked = self.store.revoke_permanent(account, client).await?;
        if revoked {
            tracing::info!("permanent QR code grant revoked");
        }
        Ok(revoked)
    }

    pub async fn permanent_grants(
        &self,
        account: &AccountId,
    ) -> Result<Vec<PermanentGrant>, QrCodeError> {
        self.accounts.get(account).await?;
        Ok(self.store.permanent_grants(account).await?)
    }

    /// A new publishable key of `client` for pages on `domains`; the key is shown once.
    #[instrument(skip_all, fields(caller = %client))]
    pub async fn create_key(
        &self,
        client: &ClientId,
        domains: KeyDomains,
    ) -> Result<(PublishableKey, Secret<String>), QrCodeError> {
        let caller = self.caller(client).await?;
        if caller.qr_source.is_none() {
            return Err(QrCodeError::NoSource(client.to_string()));
        }
        let secret = random_token(KEY_PREFIX);
        let key = PublishableKey {
            id: PublishableKeyId::generate(),
            client_id: client.clone(),
            domains,
            created_at: self.clock.now(),
        };
        match self
            .store
            .insert_key(&key, &hash_credential(secret.expose()))
            .await
        {
            Err(StoreError::MissingReference) => {
                return Err(QrCodeError::CallerNotFound(client.to_string()))
            }
            other => other?,
        }
        tracing::info!(key = %key.id, "publishable key created");
        Ok((key, secret))
    }

    pub async fn keys(&self, client: &ClientId) -> Result<Vec<PublishableKey>, QrCodeError> {
        self.caller(client).await?;
        Ok(self.store.keys_of(client).await?)
    }

    /// Deletes the key (only `owner`'s, when given).
    #[instrument(skip_all, fields(key = %id))]
    pub async fn delete_key(
        &self,
        id: &PublishableKeyId,
        owner: Option<&ClientId>,
    ) -> Result<(), QrCodeError> {
        if self.store.delete_key(id, owner).await? {
            tracing::info!("publishable key deleted");
            Ok(())
        } else {
            Err(QrCodeError::KeyNotFound(id.to_string()))
        }
    }

    /// The caller whose publishable `key` is used from a page on `host` (`port` when the
    /// page's URL names one) for `source`. Every refusal is the same answer; the log says
    /// which check failed.
    pub async fn caller_of_key(
        &self,
        key: &str,
        source: u8,
        page: Option<(&str, Option<u16>)>,
    ) -> Result<Caller, QrCodeError> {
        let refused = |why: &str| {
            tracing::info!(reason = why, "refused: publishable key");
            QrCodeError::KeyRefused
        };
        let Some(found) = self.store.key_by_hash(&hash_credential(key)).await? else {
            return Err(refused("unknown key"));
        };
        let Some((host, port)) = page else {
            return Err(refused("no Origin or Referer"));
        };
        if !AllowedDomains::Only(found.domains.as_slice().to_vec()).allows(host, port) {
            return Err(refused("page domain not registered for the key"));
        }
        let caller = match self.caller(&found.client_id).await {
            Err(QrCodeError::CallerNotFound(_)) => return Err(refused("caller removed")),
            other => other?,
        };
        if caller.qr_source.map(|s| s.get()) != Some(source) {
            return Err(refused("not the caller's source"));
        }
        Ok(caller)
    }
}
