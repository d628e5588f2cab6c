//! Seed 000 §3.3: `GET /sns/qrcode/{source}?scenestr=…` → `{"imgurl": ["…"]}`, JSONP with
//! `callback=`. A temporary code of the caller's `source`: `scenestr` in canonical digits
//! 1–99,999,999 becomes a numeric scene, anything else a scene string. `/sns/grcode/…` is
//! the spelling of the seed's own demo.
//!
//! Authorised by the caller's bearer, or, for a page that cannot send one, by a publishable
//! key of the caller (`key=`), good only for the caller's own `source` and from the key's
//! page domains, checked against `Origin` (else `Referer`). `account=` names the account;
//! it may be left out when the caller has exactly one.

use axum::extract::{FromRef, State};
use axum::http::header::{ORIGIN, REFERER};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::jsonp::{self, Callback};
use crate::accounts::model::AccountId;
use crate::callers::model::{Caller as CallerInfo, Scope};
use crate::http::auth::{Authenticator, Caller};
use crate::http::{ApiError, Path, Query};
use crate::qrcode::model::TemporaryScene;
use crate::qrcode::routes::{image_url, source_for};
use crate::qrcode::service::TemporaryRequest;
use crate::qrcode::{QrCodeError, QrCodeService};

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    QrCodeService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    Router::new()
        .route("/sns/qrcode/{source}", get(temporary_code))
        .route("/sns/grcode/{source}", get(temporary_code))
}

#[derive(Debug, Deserialize)]
struct SnsQuery {
    scenestr: Option<String>,
    callback: Option<String>,
    key: Option<String>,
    account: Option<String>,
    expire_seconds: Option<i64>,
}

#[derive(Debug, Serialize)]
struct ImgUrl {
    imgurl: Vec<String>,
}

/// The page a request comes from: `Origin`'s host (and port), else `Referer`'s.
fn page_host(headers: &HeaderMap) -> Option<(String, Option<u16>)> {
    [ORIGIN, REFERER].into_iter().find_map(|name| {
        let value = headers.get(name)?.to_str().ok()?;
        let url = url::Url::parse(value).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        Some((url.host_str()?.to_owned(), url.port()))
    })
}

async fn temporary_code(
    State(qrcodes): State<QrCodeService>,
    bearer: Option<Caller>,
    Path(source): Path<String>,
    Query(q): Query<SnsQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let callback = q.callback.as_deref().map(Callback::parse).transpose()?;
    let source = source
        .parse::<i64>()
        .map_err(|_| ApiError::invalid_field("source: must be between 1 and 31"))?;
    let caller = match (bearer, q.key.as_deref()) {
        (Some(caller), _) => caller,
        (None, Some(key)) => {
            let page = page_host(&headers);
            let page = page.as_ref().map(|(host, port)| (host.as_str(), *port));
            let source = u8::try_from(source).map_err(|_| QrCodeError::KeyRefused)?;
            let found = qrcodes.caller_of_key(key, source, page).await?;
            Caller::Client(Arc::new(found))
        }
        (None, None) => {
            return Err(ApiError::unauthorized(
                "unauthenticated",
                "send Authorization: Bearer <token>, or key=<the caller's publishable key> from a page on its domains",
            ))
        }
    };
    let source = source_for(&caller, Some(source))?;
    let account = match (&q.account, caller.client()) {
        (Some(id), _) => AccountId::parse(id).map_err(|_| {
            ApiError::not_found("account_not_found", format!("account {id:?} not found"))
        })?,
        (None, Some(client)) => only_account(client)?,
        (None, None) => {
            return Err(ApiError::invalid_field(
                "account: the admin names the account",
            ))
        }
    };
    caller.require(Scope::Qrcodes, &account)?;
    let scenestr = q
        .scenestr
        .as_deref()
        .ok_or_else(|| ApiError::invalid_field("scenestr: is required"))?;
    let request = TemporaryRequest {
        scene: TemporaryScene::from_scenestr(scenestr).map_err(QrCodeError::from)?,
        owner: caller.client().map(|c| c.client_id.clone()),
        source,
        account,
        expire_seconds: q.expire_seconds,
    };
    let code = qrcodes.create_temporary(request).await?;
    let body = ImgUrl {
        imgurl: vec![image_url(&qrcodes, &headers, &code.id)],
    };
    Ok(jsonp::respond(&body, callback.as_ref()).into_response())
}

/// The caller's one account; with several it must name one.
fn only_account(client: &CallerInfo) -> Result<AccountId, ApiError> {
    let mut accounts = client.accounts.iter();
    match (accounts.next(), accounts.next()) {
        (Some(only), None) => Ok(only.clone()),
        _ => Err(ApiError::invalid_field(
            "account: this caller uses several accounts (or none); name one with account=",
        )),
    }
}
