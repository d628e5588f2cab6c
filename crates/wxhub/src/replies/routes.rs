//! `/api/v1/accounts/{id}/reply-rules`: parse → authorize → call the service → map the error.
//! Callers need the `events` scope on the account (a rule may send events to a webhook). A rule
//! belongs to the caller that made it (or to the admin): callers list, read, change, rotate and
//! delete only their own; the admin sees all. Every enabled rule of the account is evaluated.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ReplyError;
use super::model::{ReplyRule, RuleAction, RuleId, RuleMatch};
use super::service::{NewRule, ReplyService, RulePatch, SavedRule};
use crate::accounts::model::AccountId;
use crate::callers::model::Scope;
use crate::http::auth::account_not_found;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Path};
use crate::store::replies::RuleViewer;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    ReplyService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(create_rule, list_rules))
        .routes(routes!(get_rule, update_rule, delete_rule))
        .routes(routes!(rotate_rule_secret))
}

impl From<ReplyError> for ApiError {
    fn from(e: ReplyError) -> Self {
        match &e {
            ReplyError::AccountNotFound(id) => account_not_found(id),
            ReplyError::NotFound(_) => ApiError::not_found("rule_not_found", e.to_string()),
            ReplyError::Invalid(f) => ApiError::invalid_field(f.to_string()),
            ReplyError::NotAWebhook(_) => ApiError::conflict("rule_not_webhook", e.to_string()),
            ReplyError::NoMasterKey => ApiError::conflict("master_key_required", e.to_string()),
            ReplyError::Store(_) | ReplyError::Account(_) | ReplyError::WrongMasterKey => {
                ApiError::internal(e)
            }
        }
    }
}

/// `POST /api/v1/accounts/{id}/reply-rules`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRuleRequest {
    name: Option<String>,
    /// Lower runs first; default 100.
    priority: Option<i32>,
    /// Default true.
    enabled: Option<bool>,
    #[serde(rename = "match")]
    matcher: RuleMatch,
    action: RuleAction,
}

/// `PATCH …/reply-rules/{rule_id}`: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRuleRequest {
    name: Option<String>,
    priority: Option<i32>,
    enabled: Option<bool>,
    #[serde(rename = "match")]
    matcher: Option<RuleMatch>,
    action: Option<RuleAction>,
}

/// A rule as created or changed. `webhook_secret` (`whsec_<base64>`, the key is the
/// base64-decoded part) appears only when this request gave the rule its signing secret: keep
/// it, it is never shown again (rotate to get a new one).
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct SavedRuleBody {
    #[serde(flatten)]
    rule: ReplyRule,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_secret: Option<String>,
    /// `"format": "wechat"` rules: the Token the business system's WeChat handler checks
    /// signatures with (shown with the secret it comes from, and rotated with it).
    #[serde(skip_serializing_if = "Option::is_none")]
    relay_token: Option<String>,
}

impl From<SavedRule> for SavedRuleBody {
    fn from(saved: SavedRule) -> Self {
        let wechat = saved.rule.action.is_wechat_webhook();
        SavedRuleBody {
            relay_token: saved
                .webhook_secret
                .as_ref()
                .filter(|_| wechat)
                .map(|s| s.relay_token().expose().clone()),
            webhook_secret: saved.webhook_secret.map(|s| s.expose().to_string()),
            rule: saved.rule,
        }
    }
}

/// A webhook rule's new signing secret; the old one no longer verifies.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct RotatedRuleSecret {
    webhook_secret: String,
    /// `"format": "wechat"` rules: the new relay token.
    #[serde(skip_serializing_if = "Option::is_none")]
    relay_token: Option<String>,
}

/// All rules of an account, in the order they are tried.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct RulePage {
    items: Vec<ReplyRule>,
    next_cursor: Option<String>,
}

fn parse_account(id: &str) -> Result<AccountId, ApiError> {
    AccountId::parse(id)
        .map_err(|_| ApiError::not_found("account_not_found", format!("account {id:?} not found")))
}

/// Whose rules a caller sees: the admin every rule, a caller only the rules it made.
fn viewer(caller: &Caller) -> RuleViewer<'_> {
    match caller.client() {
        None => RuleViewer::Admin,
        Some(c) => RuleViewer::Owner(c.client_id.as_str()),
    }
}

fn parse_rule(id: &str) -> Result<RuleId, ApiError> {
    RuleId::parse(id)
        .map_err(|_| ApiError::not_found("rule_not_found", format!("reply rule {id:?} not found")))
}

/// Add a reply rule.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/reply-rules", tag = "replies",
    request_body = CreateRuleRequest, security(("bearer" = [])),
    responses((status = 201, body = SavedRuleBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_rule(
    State(replies): State<ReplyService>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<CreateRuleRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let account = parse_account(&id)?;
    caller.require(Scope::Events, &account)?;
    let saved = replies
        .create(
            &account,
            caller.client().map(|c| c.client_id.clone()),
            NewRule {
                name: body.name,
                priority: body.priority.unwrap_or(100),
                enabled: body.enabled.unwrap_or(true),
                matcher: body.matcher,
                action: body.action,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(SavedRuleBody::from(saved))))
}

/// List an account's reply rules in the order they are tried.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/reply-rules", tag = "replies",
    security(("bearer" = [])), responses((status = 200, body = RulePage), (status = 404, body = ErrorBody)))]
async fn list_rules(
    State(replies): State<ReplyService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RulePage>, ApiError> {
    let account = parse_account(&id)?;
    caller.require(Scope::Events, &account)?;
    Ok(Json(RulePage {
        items: replies.list(&account, viewer(&caller)).await?,
        next_cursor: None,
    }))
}

/// Show one reply rule.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/reply-rules/{rule_id}", tag = "replies",
    security(("bearer" = [])), responses((status = 200, body = ReplyRule), (status = 404, body = ErrorBody)))]
async fn get_rule(
    State(replies): State<ReplyService>,
    caller: Caller,
    Path((id, rule_id)): Path<(String, String)>,
) -> Result<Json<ReplyRule>, ApiError> {
    let account = parse_account(&id)?;
    caller.require(Scope::Events, &account)?;
    Ok(Json(
        replies
            .get(&account, &parse_rule(&rule_id)?, viewer(&caller))
            .await?,
    ))
}

/// Change a reply rule.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}/reply-rules/{rule_id}", tag = "replies",
    request_body = UpdateRuleRequest, security(("bearer" = [])),
    responses((status = 200, body = SavedRuleBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_rule(
    State(replies): State<ReplyService>,
    caller: Caller,
    Path((id, rule_id)): Path<(String, String)>,
    Json(body): Json<UpdateRuleRequest>,
) -> Result<Json<SavedRuleBody>, ApiError> {
    let account = parse_account(&id)?;
    caller.require(Scope::Events, &account)?;
    let patch = RulePatch {
        name: body.name.map(Some),
        priority: body.priority,
        enabled: body.enabled,
        matcher: body.matcher,
        action: body.action,
    };
    Ok(Json(
        replies
            .update(&account, &parse_rule(&rule_id)?, viewer(&caller), patch)
            .await?
            .into(),
    ))
}

/// Replace a webhook rule's signing secret. The new secret is in this answer only; requests
/// are signed with it alone from now on.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/reply-rules/{rule_id}/rotate-secret", tag = "replies",
    security(("bearer" = [])),
    responses((status = 200, body = RotatedRuleSecret), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn rotate_rule_secret(
    State(replies): State<ReplyService>,
    caller: Caller,
    Path((id, rule_id)): Path<(String, String)>,
) -> Result<Json<RotatedRuleSecret>, ApiError> {
    let account = parse_account(&id)?;
    caller.require(Scope::Events, &account)?;
    let rule_id = parse_rule(&rule_id)?;
    let secret = replies
        .rotate_secret(&account, &rule_id, viewer(&caller))
        .await?;
    let wechat = replies
        .get(&account, &rule_id, viewer(&caller))
        .await?
        .action
        .is_wechat_webhook();
    Ok(Json(RotatedRuleSecret {
        relay_token: wechat.then(|| secret.relay_token().expose().clone()),
        webhook_secret: secret.expose().to_string(),
    }))
}

/// Delete a reply rule.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/reply-rules/{rule_id}", tag = "replies",
    security(("bearer" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_rule(
    State(replies): State<ReplyService>,
    caller: Caller,
    Path((id, rule_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let account = parse_account(&id)?;
    caller.require(Scope::Events, &account)?;
    replies
        .delete(&account, &parse_rule(&rule_id)?, viewer(&caller))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
