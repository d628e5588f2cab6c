//! Scan-to-bind (seed 000's `scanCode` made into the flow it implies): a caller asks for a
//! bind QR code for a uid; the user scans it with WeChat; the hub binds that user's openid
//! to the uid and emits `bound` with seed 000's code.
//!
//! Durable in two steps: the event batch that stores the scan records the scanner on the
//! code in the same transaction (`store/sql/bindings.rs`'s `MARK_BIND_SCAN`), then
//! [`ScanToBindJob`] binds what was scanned and records the code's result. A crash between
//! the bind and that record binds again on the next step: the same pair is code 0 and changes
//! nothing, so no second `bound` event is emitted (the record then says 0).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;

use crate::accounts::model::AccountId;
use crate::callers::model::ClientId;
use crate::core::clock::SharedClock;
use crate::core::Uid;
use crate::identity::error::BindingError;
use crate::identity::model::{BindQrCode, BindQrCodeId, BindRequest, BindingType};
use crate::identity::service::BindingService;
use crate::jobs::{Next, Periodic};
use crate::qrcode::model::{QrCode, TemporaryScene};
use crate::qrcode::service::TemporaryRequest;
use crate::qrcode::{QrCodeError, QrCodeService};
use crate::store::bindings::BindingStore;
use wx_protocol::qrscene::QrSource;

/// Scans bound per step.
const STEP: u32 = 50;

#[derive(Clone)]
pub struct ScanToBind {
    bindings: BindingService,
    store: Arc<dyn BindingStore>,
    qrcodes: QrCodeService,
    clock: SharedClock,
}

/// Why a bind code could not be issued or read.
#[derive(Debug, thiserror::Error)]
pub enum ScanBindError {
    #[error(transparent)]
    QrCode(#[from] QrCodeError),
    #[error(transparent)]
    Binding(#[from] BindingError),
    #[error("bind QR code {0} not found")]
    NotFound(String),
    #[error("bind code storage failed")]
    Store(#[from] crate::store::StoreError),
}

/// What a caller asks for.
#[derive(Debug, Clone)]
pub struct BindCodeRequest {
    pub account: AccountId,
    pub kind: BindingType,
    pub uid: Uid,
    /// The caller asking (`None`: the admin).
    pub owner: Option<ClientId>,
    /// The QR source its scans carry: the caller's own.
    pub source: QrSource,
    pub expire_seconds: Option<i64>,
}

impl ScanToBind {
    pub fn new(
        bindings: BindingService,
        store: Arc<dyn BindingStore>,
        qrcodes: QrCodeService,
        clock: SharedClock,
    ) -> Self {
        ScanToBind {
            bindings,
            store,
            qrcodes,
            clock,
        }
    }

    /// A temporary QR code that binds whoever scans it to `request.uid`.
    pub async fn issue(
        &self,
        request: BindCodeRequest,
    ) -> Result<(BindQrCode, QrCode), ScanBindError> {
        let id = BindQrCodeId::generate();
        let qr = self
            .qrcodes
            .create_temporary(TemporaryRequest {
                account: request.account.clone(),
                owner: request.owner.clone(),
                source: request.source,
                // The scene names the bind code (30 characters; the scene string allows 61).
                scene: TemporaryScene::Text(id.to_string()),
                expire_seconds: request.expire_seconds,
            })
            .await?;
        let now = self.clock.now();
        let code = BindQrCode {
            id,
            account: request.account,
            kind: request.kind,
            uid: request.uid,
            qrcode_id: qr.id.to_string(),
            ticket: qr.ticket.clone(),
            owner: request
                .owner
                .map_or_else(|| "admin".to_owned(), |c| c.to_string()),
            created_at: now,
            expires_at: qr.expires_at.unwrap_or(now + Duration::seconds(1800)),
            scanned: None,
            bound: None,
        };
        self.store.insert_code(&code).await?;
        tracing::info!(scan_code = %code.id, account = %code.account, "bind QR code issued");
        Ok((code, qr))
    }

    pub async fn get(&self, id: &BindQrCodeId) -> Result<BindQrCode, ScanBindError> {
        self.store
            .get_code(id)
            .await?
            .ok_or_else(|| ScanBindError::NotFound(id.to_string()))
    }

    /// Binds up to [`STEP`] scanned codes; returns how many it finished.
    pub async fn bind_scanned(&self) -> Result<usize, ScanBindError> {
        let due = self.store.scanned_codes(STEP).await?;
        let mut finished = 0;
        for code in &due {
            let Some((openid, _)) = &code.scanned else {
                continue;
            };
            let request = BindRequest {
                account: code.account.clone(),
                kind: code.kind,
                uid: code.uid,
                openid: openid.clone(),
                scan_code: Some(code.id.to_string()),
                by: format!("scan:{}", code.owner),
            };
            let result = self.bindings.bind(&request).await?;
            if self
                .store
                .finish_code(&code.id, result.code().code(), self.clock.now())
                .await?
            {
                finished += 1;
                tracing::info!(scan_code = %code.id, code = result.code().code(), "scan bound");
            }
        }
        Ok(finished)
    }
}

/// The background step of scan-to-bind, on every instance (a code is finished once: its
/// record is written only while it has none).
pub struct ScanToBindJob(pub ScanToBind);

#[async_trait]
impl Periodic for ScanToBindJob {
    fn name(&self) -> &'static str {
        "scan-to-bind"
    }

    async fn step(&self) -> Result<Next, crate::jobs::periodic::StepError> {
        let finished = self.0.bind_scanned().await?;
        Ok(if finished >= STEP as usize {
            Next::Again
        } else {
            Next::After(std::time::Duration::from_secs(1))
        })
    }
}
