//! `/api/v1/accounts`: parse → authorize → call the service → map the error.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::error::AccountError;
use crate::accounts::model::{
    check_api_base, check_callback_token, check_encoding_aes_key, check_logo_url, check_name,
    check_original_id, check_secret, check_wechat_rate_limit, Account, AccountId, AccountPatch,
    AccountRegistration, CallbackMode, NewAccount,
};
use crate::accounts::service::AccountService;
use crate::core::rate::RateLimitInput;
use crate::core::InvalidField;
use crate::http::auth::account_not_found;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Page, PageParams, Path, Query};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    AccountService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(create_account, list_accounts))
        .routes(routes!(get_account, update_account, delete_account))
        .routes(routes!(rotate_secret))
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match &e {
            AccountError::NotFound(id) => account_not_found(id),
            AccountError::IdTaken(_) => ApiError::conflict("account_exists", e.to_string()),
            AccountError::AppTaken(_) => {
                ApiError::conflict("app_already_registered", e.to_string())
            }
            AccountError::Invalid(f) => ApiError::invalid_field(f.to_string()),
            AccountError::NoMasterKey => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "master_key_missing",
                e.to_string(),
            ),
            AccountError::ConcurrentUpdate(_) => {
                ApiError::conflict("concurrent_update", e.to_string())
            }
            AccountError::WrongMasterKey | AccountError::Store(_) => ApiError::internal(e),
        }
    }
}

impl From<InvalidField> for ApiError {
    fn from(f: InvalidField) -> Self {
        ApiError::invalid_field(f.to_string())
    }
}

/// An AgentID given as a number or a numeric string.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
enum AgentIdInput {
    Number(i64),
    Text(String),
}

impl AgentIdInput {
    fn number(self) -> Result<i64, InvalidField> {
        match self {
            AgentIdInput::Number(n) => Ok(n),
            AgentIdInput::Text(s) => s
                .trim()
                .parse::<i64>()
                .map_err(|_| InvalidField::new("agentid", "must be a positive integer")),
        }
    }
}

/// `POST /api/v1/accounts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    /// Slug, e.g. `demo-mp`.
    id: String,
    /// `mp` or `work`.
    kind: String,
    /// Official Account AppID (kind `mp`).
    appid: Option<String>,
    /// WeCom CorpID (kind `work`).
    corpid: Option<String>,
    /// WeCom AgentID (kind `work`).
    #[schema(value_type = Option<i64>)]
    agentid: Option<AgentIdInput>,
    /// AppSecret, or the WeCom app's secret. Never returned.
    secret: String,
    /// Callback Token (3–32 letters and digits).
    token: Option<String>,
    /// Callback EncodingAESKey (43 characters).
    encoding_aes_key: Option<String>,
    /// `plaintext`, `compatible` or `safe`. Default: `safe` when an EncodingAESKey is given
    /// (always `safe` for WeCom).
    mode: Option<String>,
    /// WeChat API base; default WeChat's host for the kind.
    api_base: Option<String>,
    name: Option<String>,
    /// `gh_…`
    original_id: Option<String>,
    logo_url: Option<String>,
    /// WeCom contacts (address book) secret.
    contacts_secret: Option<String>,
    /// The account's own limit on calls to WeChat; default `[limits] account_wechat_*`.
    wechat_rate_limit: Option<RateLimitInput>,
}

impl TryFrom<CreateAccountRequest> for AccountRegistration {
    type Error = InvalidField;

    /// Only the JSON-specific part: an AgentID may come as a string. The account's rules are
    /// [`NewAccount::parse`]'s.
    fn try_from(r: CreateAccountRequest) -> Result<Self, InvalidField> {
        Ok(AccountRegistration {
            id: r.id,
            kind: r.kind,
            appid: r.appid,
            corpid: r.corpid,
            agentid: r.agentid.map(AgentIdInput::number).transpose()?,
            secret: r.secret,
            token: r.token,
            encoding_aes_key: r.encoding_aes_key,
            mode: r.mode,
            api_base: r.api_base,
            name: r.name,
            original_id: r.original_id,
            logo_url: r.logo_url,
            contacts_secret: r.contacts_secret,
            wechat_rate_limit: r.wechat_rate_limit,
        })
    }
}

/// `PATCH /api/v1/accounts/{id}`: only the fields given change; `null` clears an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountRequest {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    original_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    logo_url: Option<Option<String>>,
    mode: Option<String>,
    api_base: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    token: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    encoding_aes_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    contacts_secret: Option<Option<String>>,
    /// The account's own limit on calls to WeChat; `null`: back to the default.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<RateLimitInput>)]
    wechat_rate_limit: Option<Option<RateLimitInput>>,
}

/// Tells a missing field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl TryFrom<UpdateAccountRequest> for AccountPatch {
    type Error = InvalidField;

    fn try_from(r: UpdateAccountRequest) -> Result<Self, InvalidField> {
        fn each<T>(
            v: Option<Option<String>>,
            check: impl Fn(&str) -> Result<T, InvalidField>,
        ) -> Result<Option<Option<T>>, InvalidField> {
            v.map(|inner| inner.as_deref().map(check).transpose())
                .transpose()
        }
        Ok(AccountPatch {
            name: each(r.name, check_name)?,
            original_id: each(r.original_id, check_original_id)?,
            logo_url: each(r.logo_url, check_logo_url)?,
            mode: r.mode.as_deref().map(CallbackMode::parse).transpose()?,
            api_base: r.api_base.as_deref().map(check_api_base).transpose()?,
            callback_token: each(r.token, check_callback_token)?,
            encoding_aes_key: each(r.encoding_aes_key, check_encoding_aes_key)?,
            contacts_secret: each(r.contacts_secret, |s| check_secret("contacts_secret", s))?,
            wechat_rate_limit: r
                .wechat_rate_limit
                .map(|limit| limit.map(check_wechat_rate_limit).transpose())
                .transpose()?,
        })
    }
}

/// `POST /api/v1/accounts/{id}/rotate-secret`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretRequest {
    /// The new AppSecret / app secret.
    secret: String,
}

/// A page of accounts.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct AccountPage {
    items: Vec<Account>,
    next_cursor: Option<String>,
}

fn parse_id(id: &str) -> Result<AccountId, ApiError> {
    // An id that cannot exist is simply not found.
    AccountId::parse(id)
        .map_err(|_| ApiError::not_found("account_not_found", format!("account {id:?} not found")))
}

/// Register an Official Account or a WeCom app (admin).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = CreateAccountRequest,
    security(("bearer" = [])),
    responses((status = 201, body = Account), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_account(
    State(accounts): State<AccountService>,
    caller: Caller,
    Json(body): Json<CreateAccountRequest>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require_admin()?;
    let new = NewAccount::parse(AccountRegistration::try_from(body)?)?;
    let account = accounts.create(new).await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// List accounts: all of them for the admin, the granted ones for a caller.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts", params(PageParams),
    security(("bearer" = [])), responses((status = 200, body = AccountPage)))]
async fn list_accounts(
    State(accounts): State<AccountService>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<Account>>, ApiError> {
    match caller.client() {
        None => {
            let cursor = page.cursor_as(AccountId::parse)?;
            let items = accounts.list(cursor.as_ref(), page.limit()).await?;
            Ok(Json(Page::new(items, page.limit(), |a| a.id.to_string())))
        }
        Some(client) => {
            let mut items = Vec::with_capacity(client.accounts.len());
            for id in &client.accounts {
                match accounts.get(id).await {
                    Ok(a) => items.push(a),
                    Err(AccountError::NotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(Json(Page::complete(items)))
        }
    }
}

/// One account (never its secrets).
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = Account), (status = 404, body = ErrorBody)))]
async fn get_account(
    State(accounts): State<AccountService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Account>, ApiError> {
    let id = parse_id(&id)?;
    if !caller.may_use(&id) {
        return Err(account_not_found(&id));
    }
    Ok(Json(accounts.get(&id).await?))
}

/// Change an account's settings (admin).
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = String, Path)),
    request_body = UpdateAccountRequest, security(("bearer" = [])),
    responses((status = 200, body = Account), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_account(
    State(accounts): State<AccountService>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<UpdateAccountRequest>,
) -> Result<Json<Account>, ApiError> {
    caller.require_admin()?;
    let id = parse_id(&id)?;
    let patch = AccountPatch::try_from(body)?;
    Ok(Json(accounts.update(&id, patch).await?))
}

/// Replace an account's secret (admin).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/rotate-secret", tag = "accounts",
    params(("id" = String, Path)), request_body = RotateSecretRequest, security(("bearer" = [])),
    responses((status = 200, body = Account), (status = 404, body = ErrorBody)))]
async fn rotate_secret(
    State(accounts): State<AccountService>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<RotateSecretRequest>,
) -> Result<Json<Account>, ApiError> {
    caller.require_admin()?;
    let id = parse_id(&id)?;
    let secret = check_secret("secret", &body.secret)?;
    Ok(Json(accounts.rotate_secret(&id, secret).await?))
}

/// Remove an account (admin). Callers lose their grant to it; its reply rules, callback
/// settings, follower records and stored tokens go with it; webhook endpoints stop naming
/// it (one that named only it is disabled) and its undelivered deliveries are given up.
/// Its events and delivery history stay.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}", tag = "accounts", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_account(
    State(accounts): State<AccountService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let id = parse_id(&id)?;
    accounts.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
