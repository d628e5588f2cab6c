//! Storage of the QR capability (issue 15): the codes issued, their scan statistics (which
//! the event batch counts, see `qrcode::model::scan_tally`), the accounts' settings, the
//! grants of permanent codes, and publishable keys. The trait only; no SQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::AccountId;
use crate::callers::model::ClientId;
use crate::qrcode::model::{
    ExpireLimit, PermanentSceneId, PublishableKey, PublishableKeyId, QrCode, QrCodeId, QrStats,
};
use crate::store::StoreError;

/// The conflict [`QrCodeStore::insert`] reports when the account's permanent scene id is
/// taken already.
pub const PERMANENT_SCENE_TAKEN: &str = "permanent_scene_id";

/// A caller's grant of permanent codes on one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermanentGrant {
    pub client_id: ClientId,
    pub granted_at: DateTime<Utc>,
}

#[async_trait]
pub trait QrCodeStore: Send + Sync + 'static {
    /// Records an issued code. A permanent code whose (account, scene id) is stored already
    /// is `Conflict { what: PERMANENT_SCENE_TAKEN }`: each id has one owner, for good (the
    /// row outlives its caller, so the id is never handed to another).
    async fn insert(&self, code: &QrCode) -> Result<(), StoreError>;
    async fn get(&self, id: &QrCodeId) -> Result<Option<QrCode>, StoreError>;
    /// The account's permanent code with `scene_id`, whoever owns it.
    async fn permanent(
        &self,
        account: &AccountId,
        scene_id: PermanentSceneId,
    ) -> Result<Option<QrCode>, StoreError>;
    /// What the event batches counted for the code (all zero when nothing was scanned).
    async fn stats(&self, id: &QrCodeId) -> Result<QrStats, StoreError>;

    /// The account's own limit on temporary codes' life; `None`: seed 000's.
    async fn expire_limit(&self, account: &AccountId) -> Result<Option<ExpireLimit>, StoreError>;
    /// Sets it; `None` goes back to seed 000's.
    async fn set_expire_limit(
        &self,
        account: &AccountId,
        limit: Option<ExpireLimit>,
    ) -> Result<(), StoreError>;

    /// Grants `client` permanent codes on `account` (again: keeps the first grant's time);
    /// answers the grant. A caller or account that does not exist is `MissingReference`.
    async fn grant_permanent(
        &self,
        account: &AccountId,
        client: &ClientId,
        at: DateTime<Utc>,
    ) -> Result<PermanentGrant, StoreError>;
    /// Whether there was a grant to revoke. The ids the caller owns stay its own.
    async fn revoke_permanent(
        &self,
        account: &AccountId,
        client: &ClientId,
    ) -> Result<bool, StoreError>;
    async fn permanent_grant(
        &self,
        account: &AccountId,
        client: &ClientId,
    ) -> Result<Option<PermanentGrant>, StoreError>;
    /// The account's grants, by client id.
    async fn permanent_grants(
        &self,
        account: &AccountId,
    ) -> Result<Vec<PermanentGrant>, StoreError>;

    /// Records a publishable key by its hash.
    async fn insert_key(&self, key: &PublishableKey, key_hash: &str) -> Result<(), StoreError>;
    async fn key_by_hash(&self, key_hash: &str) -> Result<Option<PublishableKey>, StoreError>;
    /// A caller's keys, oldest first.
    async fn keys_of(&self, client: &ClientId) -> Result<Vec<PublishableKey>, StoreError>;
    /// Whether there was such a key (of `client`, when given).
    async fn delete_key(
        &self,
        id: &PublishableKeyId,
        client: Option<&ClientId>,
    ) -> Result<bool, StoreError>;
}
