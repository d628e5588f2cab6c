//! `/api/v1/callers` and `/api/v1/auth/token`.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::callers::error::CallerError;
use crate::callers::model::{Caller, CallerRegistration, ClientId, NewCaller, RATE_LIMIT_FIELDS};
use crate::callers::service::CallerService;
use crate::core::rate::RateLimitInput;
use crate::core::secret::Secret;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller as Authed, Json, JsonOrForm, Page, PageParams, Path, Query};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    CallerService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(create_caller, list_callers))
        .routes(routes!(get_caller, update_caller, delete_caller))
        .routes(routes!(issue_token))
        .routes(routes!(get_me))
}

impl From<CallerError> for ApiError {
    fn from(e: CallerError) -> Self {
        match &e {
            CallerError::NotFound(_) => ApiError::not_found("caller_not_found", e.to_string()),
            CallerError::SystemIdTaken(_) => ApiError::conflict("system_id_taken", e.to_string()),
            CallerError::QrSourceTaken(_) => ApiError::conflict("qr_source_taken", e.to_string()),
            CallerError::UnknownAccount(_) => ApiError::invalid_field(format!("accounts: {e}")),
            CallerError::Invalid(f) => ApiError::invalid_field(f.to_string()),
            CallerError::InvalidClient => ApiError::unauthorized("invalid_client", e.to_string()),
            CallerError::Store(_) => ApiError::internal(e),
        }
    }
}

/// `POST /api/v1/callers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCallerRequest {
    system_id: String,
    name: String,
    /// Account ids this caller may use.
    #[serde(default)]
    accounts: Vec<String>,
    /// Any of tokens, messages, qrcodes, identity, oauth, redpacket, contacts, events.
    #[serde(default)]
    scopes: Vec<String>,
    /// QR `source` number 1–31, unique among the callers of each account.
    qr_source: Option<i64>,
    /// PEM public key that OAuth results are encrypted to.
    rsa_public_key: Option<String>,
    #[serde(default)]
    redirect_domains: Vec<String>,
    #[serde(default)]
    jssdk_domains: Vec<String>,
}

impl From<CreateCallerRequest> for CallerRegistration {
    fn from(r: CreateCallerRequest) -> Self {
        CallerRegistration {
            system_id: r.system_id,
            name: r.name,
            accounts: r.accounts,
            scopes: r.scopes,
            qr_source: r.qr_source,
            rsa_public_key: r.rsa_public_key,
            redirect_domains: r.redirect_domains,
            jssdk_domains: r.jssdk_domains,
        }
    }
}

/// A caller as the API shows it: its fields and the request limit it is held to.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallerView {
    #[serde(flatten)]
    caller: Caller,
    /// The effective limit (`null`: not limited).
    rate_limit: Option<RateLimitView>,
}

/// A request limit as shown: `per_second` on average, up to `burst` at once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateLimitView {
    per_second: u32,
    burst: u32,
    /// Whether this is the configured default (the caller has no limit of its own).
    default: bool,
}

impl CallerView {
    fn of(callers: &CallerService, caller: Caller) -> Self {
        let rate_limit = callers
            .effective_rate_limit(&caller)
            .map(|e| RateLimitView {
                per_second: e.limit.per_second(),
                burst: e.limit.burst(),
                default: e.is_default,
            });
        CallerView { caller, rate_limit }
    }
}

/// The new caller's credentials; the secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedCaller {
    client_id: ClientId,
    client_secret: String,
    caller: CallerView,
}

/// A page of callers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallerPage {
    items: Vec<CallerView>,
    next_cursor: Option<String>,
}

/// `PATCH /api/v1/callers/{client_id}`: only the fields given change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCallerRequest {
    /// The caller's own request limit; `null` goes back to the default.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<RateLimitInput>)]
    rate_limit: Option<Option<RateLimitInput>>,
}

/// Tells a missing field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `POST /api/v1/auth/token`, JSON or form-encoded.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    grant_type: String,
    client_id: String,
    client_secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds, 7200 by default.
    expires_in: u64,
}

fn parse_client_id(id: &str) -> Result<ClientId, ApiError> {
    ClientId::parse(id)
        .map_err(|_| ApiError::not_found("caller_not_found", format!("caller {id:?} not found")))
}

/// Register a business system (admin). Answers its client id and secret.
#[utoipa::path(post, path = "/api/v1/callers", tag = "callers", request_body = CreateCallerRequest,
    security(("bearer" = [])),
    responses((status = 201, body = CreatedCaller), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_caller(
    State(callers): State<CallerService>,
    caller: Authed,
    Json(body): Json<CreateCallerRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require_admin()?;
    let new = NewCaller::parse(body.into())?;
    let (created, secret) = callers.create(new).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedCaller {
            client_id: created.client_id.clone(),
            client_secret: secret.into_inner(),
            caller: CallerView::of(&callers, created),
        }),
    ))
}

/// List callers (admin).
#[utoipa::path(get, path = "/api/v1/callers", tag = "callers", params(PageParams),
    security(("bearer" = [])), responses((status = 200, body = CallerPage)))]
async fn list_callers(
    State(callers): State<CallerService>,
    caller: Authed,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<CallerView>>, ApiError> {
    caller.require_admin()?;
    let cursor = page.cursor_as(ClientId::parse)?;
    let items = callers
        .list(cursor.as_ref(), page.limit())
        .await?
        .into_iter()
        .map(|c| CallerView::of(&callers, c))
        .collect();
    Ok(Json(Page::new(items, page.limit(), |c: &CallerView| {
        c.caller.client_id.to_string()
    })))
}

/// One caller (admin).
#[utoipa::path(get, path = "/api/v1/callers/{client_id}", tag = "callers",
    params(("client_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CallerView), (status = 404, body = ErrorBody)))]
async fn get_caller(
    State(callers): State<CallerService>,
    caller: Authed,
    Path(client_id): Path<String>,
) -> Result<Json<CallerView>, ApiError> {
    caller.require_admin()?;
    let id = parse_client_id(&client_id)?;
    let found = callers.get(&id).await?;
    Ok(Json(CallerView::of(&callers, found)))
}

/// Change a caller (admin): its own request limit, `{"rate_limit": {"per_second", "burst"}}`
/// (`null`: the default again). Takes effect on the caller's next request.
#[utoipa::path(patch, path = "/api/v1/callers/{client_id}", tag = "callers",
    params(("client_id" = String, Path)), request_body = UpdateCallerRequest, security(("bearer" = [])),
    responses((status = 200, body = CallerView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_caller(
    State(callers): State<CallerService>,
    caller: Authed,
    Path(client_id): Path<String>,
    Json(body): Json<UpdateCallerRequest>,
) -> Result<Json<CallerView>, ApiError> {
    caller.require_admin()?;
    let id = parse_client_id(&client_id)?;
    let updated = match body.rate_limit {
        Some(limit) => {
            let limit = limit.map(|l| l.parse(RATE_LIMIT_FIELDS)).transpose()?;
            callers.set_rate_limit(&id, limit).await?
        }
        None => callers.get(&id).await?,
    };
    Ok(Json(CallerView::of(&callers, updated)))
}

/// Remove a caller (admin); its tokens stop working.
#[utoipa::path(delete, path = "/api/v1/callers/{client_id}", tag = "callers",
    params(("client_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_caller(
    State(callers): State<CallerService>,
    caller: Authed,
    Path(client_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let id = parse_client_id(&client_id)?;
    callers.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Trade client credentials for a bearer token (client_credentials grant).
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "callers", request_body(content = TokenRequest,
        content_type = "application/json"),
    responses((status = 200, body = TokenResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn issue_token(
    State(callers): State<CallerService>,
    JsonOrForm(body): JsonOrForm<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    if body.grant_type != "client_credentials" {
        return Err(ApiError::bad_request(
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        ));
    }
    let issued = callers
        .issue_token(&body.client_id, &Secret::new(body.client_secret))
        .await?;
    Ok(Json(TokenResponse {
        access_token: issued.access_token.into_inner(),
        token_type: "Bearer",
        expires_in: issued.expires_in,
    }))
}

/// Who am I: the authenticated caller (or `{"admin": true}`), with its request limit.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    admin: bool,
    caller: Option<CallerView>,
}

/// The caller the bearer token belongs to.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "callers", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn get_me(State(callers): State<CallerService>, caller: Authed) -> Json<Me> {
    Json(Me {
        admin: caller.is_admin(),
        caller: caller
            .client()
            .cloned()
            .map(|c| CallerView::of(&callers, c)),
    })
}
