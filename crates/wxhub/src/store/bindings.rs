//! Storage of bindings (`identity::service::bindings`): the trait, no SQL.
//!
//! Every binding ever made is a row; a current one has no end. The store decides a bind in
//! one transaction (what is bound now, what was ever bound, the new row) and stores the
//! `bound` or `unbound` event in that same transaction, so a binding and its event are
//! written together or not at all. Two current bindings of one uid or one openid are refused
//! by unique indexes, whatever runs concurrently.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::AccountId;
use crate::events::model::StoredEvent;
use crate::identity::model::{
    BindCode, BindQrCode, BindQrCodeId, BindRequest, Binding, BindingKey, BindingType, EndReason,
};
use crate::store::StoreError;

/// What a bind did.
#[derive(Debug, Clone, PartialEq)]
pub enum BindOutcome {
    /// A new binding (code 0–3), with its stored `bound` event.
    Bound {
        binding: Binding,
        code: BindCode,
        event: StoredEvent,
    },
    /// This exact pair is bound now: code 0, nothing changed.
    AlreadyBound(Binding),
    /// The openid is bound to another uid now (code −1).
    OpenIdTaken(Binding),
    /// The uid is bound to another openid now (code −2).
    UidTaken(Binding),
}

impl BindOutcome {
    pub fn code(&self) -> BindCode {
        match self {
            BindOutcome::Bound { code, .. } => *code,
            BindOutcome::AlreadyBound(_) => BindCode::NotFirst,
            BindOutcome::OpenIdTaken(_) => BindCode::OpenIdTaken,
            BindOutcome::UidTaken(_) => BindCode::UidTaken,
        }
    }
}

/// Which bindings a history read returns.
#[derive(Debug, Clone)]
pub struct HistoryFilter {
    pub account: AccountId,
    pub kind: Option<BindingType>,
    pub key: BindingKey,
}

#[async_trait]
pub trait BindingStore: Send + Sync + 'static {
    /// Binds `request` at `at`, or says why not.
    async fn bind(
        &self,
        request: &BindRequest,
        at: DateTime<Utc>,
    ) -> Result<BindOutcome, StoreError>;

    /// Ends the current binding of `key`, by `by` for `reason`; returns it with its stored
    /// `unbound` event, or `None` when nothing was bound.
    async fn unbind(
        &self,
        account: &AccountId,
        kind: BindingType,
        key: &BindingKey,
        by: &str,
        reason: EndReason,
        at: DateTime<Utc>,
    ) -> Result<Option<(Binding, StoredEvent)>, StoreError>;

    /// The current binding of `key`.
    async fn current(
        &self,
        account: &AccountId,
        kind: BindingType,
        key: &BindingKey,
    ) -> Result<Option<Binding>, StoreError>;

    /// Every binding `key` ever had, newest first, at most `limit`.
    async fn history(&self, filter: &HistoryFilter, limit: u32)
        -> Result<Vec<Binding>, StoreError>;

    /// Stores a new bind QR code.
    async fn insert_code(&self, code: &BindQrCode) -> Result<(), StoreError>;

    async fn get_code(&self, id: &BindQrCodeId) -> Result<Option<BindQrCode>, StoreError>;

    /// Codes scanned but not bound yet, oldest scan first, at most `limit`.
    async fn scanned_codes(&self, limit: u32) -> Result<Vec<BindQrCode>, StoreError>;

    /// Records that `id`'s scan was bound at `at` with seed 000's `code`; `false` when it
    /// was recorded already (another instance).
    async fn finish_code(
        &self,
        id: &BindQrCodeId,
        code: i32,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
