//! `Idempotency-Key` on every state-changing `/api/v1` route (DESIGN.md's convention).
//!
//! A POST, PUT, PATCH or DELETE with the header (1–255 printable ASCII characters, else 400
//! `invalid_idempotency_key`) is claimed in the store under the caller's scope (its client id;
//! the admin bearer is a scope of its own) with a fingerprint of the request (method, path,
//! body) before it runs. Then:
//! - the first request runs under the claim (`core::effects`): each store write it makes marks
//!   the claim `acted` in the write's own transaction, and each WeChat call marks it
//!   `external` before it leaves;
//! - a 2xx/3xx answer — or any answer that reached WeChat, or came after a committed change —
//!   is stored (body sealed with the master key) and replayed for `http.idempotency_ttl_secs`
//!   with `Idempotent-Replayed: true`; any other failure frees the key, so a retry runs again;
//! - the same key with another request is 422 `idempotency_key_reused`;
//! - the same key while the first still runs is 409 `idempotency_key_in_progress` with
//!   `Retry-After`, never a second execution — across instances too (the store's primary key
//!   decides);
//! - if the instance running the first request stops before answering (or the request is cut
//!   off by the timeout): a claim that had done nothing is freed (a retry runs it); one that
//!   had acted or called WeChat is never run again blindly: 409 `idempotency_outcome_unknown`
//!   until the record expires. A request whose claim was taken from it (its instance presumed
//!   stopped) cannot commit a change any more: the store refuses the write.
//!
//! Requests without the header, reads, callbacks and the proxy pass straight through.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::core::clock::SharedClock;
use crate::core::crypto::MasterKey;
use crate::core::effects::{run_claimed, ClaimLost, Claimed, ExternalEffects};
use crate::http::auth::{bearer, Authenticated, Authenticator, Caller};
use crate::http::ApiError;
use crate::jobs::model::InstanceId;
use crate::store::idempotency::{Claim, IdempotencyStore, KeyRef, StoredAnswer};

/// The request header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// On a replayed answer.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// The answer headers stored and replayed with the body.
const KEPT_HEADERS: &[&str] = &["content-type", "location", "retry-after"];
/// Answers larger than this are not stored (the key is freed, as for a failure).
const MAX_STORED_ANSWER: usize = 1024 * 1024;

/// Marks an answer that reached WeChat (its error carries WeChat's errcode): such an answer
/// is stored even when it is a failure, since WeChat may have acted.
#[derive(Debug, Clone, Copy)]
pub struct ReachedWeChat;

/// A checked `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: &HeaderValue) -> Result<Self, ApiError> {
        let bytes = value.as_bytes();
        if bytes.is_empty() || bytes.len() > 255 || !bytes.iter().all(|b| (0x20..=0x7e).contains(b))
        {
            return Err(ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1-255 printable ASCII characters",
            ));
        }
        Ok(IdempotencyKey(String::from_utf8_lossy(bytes).into_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the middleware needs. Built once per instance.
#[derive(Clone)]
pub struct IdempotencyGuard {
    store: Arc<dyn IdempotencyStore>,
    auth: Authenticator,
    seal: Option<MasterKey>,
    clock: SharedClock,
    holder: InstanceId,
    ttl: chrono::Duration,
    body_limit: usize,
}

impl IdempotencyGuard {
    pub fn new(
        store: Arc<dyn IdempotencyStore>,
        auth: Authenticator,
        seal: Option<MasterKey>,
        clock: SharedClock,
        holder: InstanceId,
        ttl_secs: u64,
        body_limit: usize,
    ) -> Self {
        IdempotencyGuard {
            store,
            auth,
            seal,
            clock,
            holder,
            ttl: chrono::Duration::seconds(i64::try_from(ttl_secs).unwrap_or(86_400)),
            body_limit,
        }
    }

    /// Deletes records past their time; returns how many.
    pub async fn purge_expired(&self) -> anyhow::Result<u64> {
        Ok(self.store.purge_expired(self.clock.now()).await?)
    }

    /// The caller's scope, when the request has a bearer the hub knows (anything else goes on
    /// to the route, which refuses it). The rate limiter in front has usually authenticated
    /// the request already ([`Authenticated`]); only without it is the bearer looked up.
    async fn scope(&self, headers: &HeaderMap) -> Result<Option<String>, ApiError> {
        let Ok(token) = bearer(headers) else {
            return Ok(None);
        };
        if self.auth.is_admin(token) {
            return Ok(Some("admin".to_owned()));
        }
        match self.auth.caller_of(token).await {
            Ok(caller) => Ok(caller.map(|c| c.client_id.to_string())),
            Err(e) => Err(ApiError::internal(e)),
        }
    }
}

/// A caller's idempotency scope: its client id, or `admin`.
fn scope_of(caller: &Caller) -> String {
    match caller.client() {
        Some(client) => client.client_id.to_string(),
        None => "admin".to_owned(),
    }
}

fn writes(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// The middleware (`axum::middleware::from_fn_with_state`).
pub async fn guard(
    State(guard): State<IdempotencyGuard>,
    request: Request,
    next: Next,
) -> Response {
    if !writes(request.method()) || !request.uri().path().starts_with("/api/v1/") {
        return next.run(request).await;
    }
    let Some(value) = request.headers().get(&IDEMPOTENCY_KEY) else {
        return next.run(request).await;
    };
    match run(&guard, value.clone(), request, next).await {
        Ok(response) | Err(response) => response,
    }
}

async fn run(
    guard: &IdempotencyGuard,
    value: HeaderValue,
    request: Request,
    next: Next,
) -> Result<Response, Response> {
    let key = IdempotencyKey::parse(&value).map_err(IntoResponse::into_response)?;
    let authenticated = request
        .extensions()
        .get::<Authenticated>()
        .map(|Authenticated(caller)| scope_of(caller));
    let scope = match authenticated {
        Some(scope) => Some(scope),
        None => guard
            .scope(request.headers())
            .await
            .map_err(IntoResponse::into_response)?,
    };
    let Some(scope) = scope else {
        return Ok(next.run(request).await);
    };
    let Some(seal) = guard.seal.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "idempotency_unavailable",
            "Idempotency-Key needs the master key (answers are stored sealed); configure master_key",
        )
        .into_response());
    };
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, guard.body_limit)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is too large",
            )
            .into_response()
        })?;
    let fingerprint = fingerprint(
        &parts.method,
        parts.uri.path_and_query().map_or("", |p| p.as_str()),
        &body,
    );
    let at = KeyRef {
        scope: &scope,
        key: key.as_str(),
    };
    let now = guard.clock.now();
    let claim = guard
        .store
        .claim(at, &fingerprint, &guard.holder, now, now + guard.ttl)
        .await
        .map_err(|e| ApiError::internal(e).into_response())?;
    match claim {
        Claim::New => {}
        Claim::Answered(answer) => return Ok(replay(&seal, &scope, &key, answer)),
        Claim::OtherRequest => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request; use a new key",
            )
            .into_response())
        }
        Claim::Running => {
            return Err(ApiError::conflict(
                "idempotency_key_in_progress",
                "the first request with this Idempotency-Key is still running; retry shortly",
            )
            .with_retry_after(std::time::Duration::from_secs(1))
            .into_response())
        }
        Claim::Unknown => {
            return Err(ApiError::conflict(
                "idempotency_outcome_unknown",
                "the first request with this Idempotency-Key stopped before it answered; check its result before retrying with a new key",
            )
            .into_response())
        }
    }
    metrics::counter!("wxhub_idempotent_requests_total", "outcome" => "first").increment(1);
    let mut running = Running {
        store: guard.store.clone(),
        scope: scope.clone(),
        key: key.as_str().to_owned(),
        holder: guard.holder.clone(),
        settled: false,
    };
    let claimed = Arc::new(Claimed::new(
        scope.clone(),
        key.as_str().to_owned(),
        guard.holder.as_str().to_owned(),
        Arc::new(StoreEffects {
            store: guard.store.clone(),
            holder: guard.holder.clone(),
        }),
    ));
    let response = run_claimed(
        claimed,
        next.run(Request::from_parts(parts, Body::from(body))),
    )
    .await;
    let keep = response.status().is_success()
        || response.status().is_redirection()
        || response.extensions().get::<ReachedWeChat>().is_some();
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_STORED_ANSWER).await {
        Ok(body) => body,
        Err(_) => {
            // Too large to keep, or cut off: the outcome cannot be replayed.
            tracing::warn!(
                scope,
                "an idempotent answer could not be stored; its key is left unknown"
            );
            return Err(
                ApiError::internal(anyhow::anyhow!("reading the answer failed")).into_response(),
            );
        }
    };
    running.settled = true;
    // A failure is forgotten so a retry runs again — unless a change of it already committed.
    let keep = keep
        || match guard.store.release(at, &guard.holder).await {
            Ok(freed) => !freed,
            Err(e) => {
                tracing::error!(error = %e, scope, "freeing an idempotency key after a failure failed");
                false
            }
        };
    if keep {
        let answer = StoredAnswer {
            status: parts.status.as_u16(),
            headers: KEPT_HEADERS
                .iter()
                .filter_map(|name| {
                    let value = parts.headers.get(*name)?.to_str().ok()?;
                    Some(((*name).to_owned(), value.to_owned()))
                })
                .collect(),
            body_sealed: seal
                .seal(&seal_context(&scope, &key), &STANDARD.encode(&body))
                .map_err(|e| ApiError::internal(e).into_response())?,
        };
        if let Err(e) = guard.store.answer(at, &guard.holder, &answer).await {
            tracing::error!(error = %e, scope, "storing an idempotent answer failed; a retry will get idempotency_key_in_progress");
        }
    }
    Ok(Response::from_parts(parts, Body::from(body)))
}

/// What a claimed request's WeChat calls record before they leave (`core::effects`).
struct StoreEffects {
    store: Arc<dyn IdempotencyStore>,
    holder: InstanceId,
}

#[async_trait::async_trait]
impl ExternalEffects for StoreEffects {
    async fn before_external(&self, claim: &Claimed) -> anyhow::Result<()> {
        let at = KeyRef {
            scope: &claim.scope,
            key: &claim.key,
        };
        if self.store.mark_external(at, &self.holder).await? {
            Ok(())
        } else {
            Err(ClaimLost::NotHeld.into())
        }
    }
}

/// A claim being run: if the request is dropped before it settles (the timeout, a client gone
/// mid-way on HTTP/1 does not drop it, a panic), the claim is freed when the request had done
/// nothing yet, and its outcome is unknown when it had (`IdempotencyStore::abandon`).
struct Running {
    store: Arc<dyn IdempotencyStore>,
    scope: String,
    key: String,
    holder: InstanceId,
    settled: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let (store, scope, key, holder) = (
            self.store.clone(),
            std::mem::take(&mut self.scope),
            std::mem::take(&mut self.key),
            self.holder.clone(),
        );
        tracing::warn!(
            scope,
            "an idempotent request stopped before it answered; its outcome is unknown"
        );
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = store
                    .abandon(
                        KeyRef {
                            scope: &scope,
                            key: &key,
                        },
                        &holder,
                    )
                    .await
                {
                    tracing::error!(error = %e, "marking an abandoned idempotency key failed");
                }
            });
        }
    }
}

fn replay(seal: &MasterKey, scope: &str, key: &IdempotencyKey, answer: StoredAnswer) -> Response {
    match replayed_answer(seal, scope, key, answer) {
        Ok(response) => {
            metrics::counter!("wxhub_idempotent_requests_total", "outcome" => "replayed")
                .increment(1);
            response
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

fn replayed_answer(
    seal: &MasterKey,
    scope: &str,
    key: &IdempotencyKey,
    answer: StoredAnswer,
) -> anyhow::Result<Response> {
    let encoded = seal.open(&seal_context(scope, key), &answer.body_sealed)?;
    let body = STANDARD.decode(encoded.expose())?;
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(answer.status)?;
    for (name, value) in &answer.headers {
        response.headers_mut().insert(
            HeaderName::try_from(name.as_str())?,
            HeaderValue::try_from(value.as_str())?,
        );
    }
    response
        .headers_mut()
        .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    Ok(response)
}

/// What a stored body is sealed under: it opens only for this scope and key.
fn seal_context(scope: &str, key: &IdempotencyKey) -> String {
    format!("idempotency:{scope}:{}", key.as_str())
}

/// SHA-256 of method, path with query, and body.
fn fingerprint(method: &Method, path_and_query: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_str().as_bytes());
    hash.update([0]);
    hash.update(path_and_query.as_bytes());
    hash.update([0]);
    hash.update(body);
    hex::encode(hash.finalize())
}

/// Adds the optional `Idempotency-Key` header to every state-changing `/api/v1` operation of
/// the OpenAPI document.
pub fn document(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ObjectBuilder, Required, Type};
    let parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "1-255 printable ASCII characters. A retry with the same key and request gets the first answer \
             (with Idempotent-Replayed: true) for 24 hours; nothing is done twice.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String).max_length(Some(255))))
        .build();
    for (path, item) in openapi.paths.paths.iter_mut() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for operation in [
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            operation
                .parameters
                .get_or_insert_with(Vec::new)
                .push(parameter.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_printable_ascii_characters() {
        for good in ["a", "order-42:retry", &"k".repeat(255), "with space ~"] {
            assert!(
                IdempotencyKey::parse(&HeaderValue::from_str(good).expect("value")).is_ok(),
                "{good}"
            );
        }
        for bad in [&"k".repeat(256), "tab\there"] {
            let value = HeaderValue::from_str(bad).expect("value");
            assert_eq!(
                IdempotencyKey::parse(&value).expect_err(bad).code(),
                "invalid_idempotency_key"
            );
        }
        let utf8 = HeaderValue::from_bytes("订单".as_bytes()).expect("value");
        assert!(IdempotencyKey::parse(&utf8).is_err());
        assert!(IdempotencyKey::parse(&HeaderValue::from_static("")).is_err());
    }

    #[test]
    fn the_fingerprint_covers_method_path_and_body() {
        let base = fingerprint(&Method::POST, "/api/v1/callers", b"{}");
        assert_eq!(base, fingerprint(&Method::POST, "/api/v1/callers", b"{}"));
        assert_ne!(base, fingerprint(&Method::PATCH, "/api/v1/callers", b"{}"));
        assert_ne!(base, fingerprint(&Method::POST, "/api/v1/webhooks", b"{}"));
        assert_ne!(base, fingerprint(&Method::POST, "/api/v1/callers", b"{ }"));
    }
}
