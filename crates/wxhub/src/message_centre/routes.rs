//! `/api/v1/message-centre/…` (seed 002 §5): send a notice, send an SMS, read the log. Every
//! route needs the `messages` scope (or the admin); a send also needs the app's account
//! granted (ungranted answers like unknown, 404). Parse → call the service → map the error.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{MessageCentreError, RecipientsError};
use super::model::{LogEntry, LogId, Notice, NoticeSpec, SmsNotice, SmsSpec, Unreached};
use super::service::{MessageCentreService, Sender};
use crate::callers::model::Scope;
use crate::http::auth::{account_not_found, Authenticator};
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Page, PageParams, Query};
use crate::tokens::TokenError;
use crate::wechat::CallError;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    MessageCentreService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(send_notice))
        .routes(routes!(send_sms))
        .routes(routes!(list_log))
}

/// The sender behind `caller`, once it has the `messages` scope.
fn sender(caller: &Caller) -> Result<Sender, ApiError> {
    caller.require_scope(Scope::Messages)?;
    Ok(match caller.client() {
        None => Sender {
            name: "admin".to_owned(),
            accounts: None,
        },
        Some(c) => Sender {
            name: c.client_id.to_string(),
            accounts: Some(c.accounts.clone()),
        },
    })
}

/// What an SMS could not reach.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmsSent {
    /// Users unknown to the directory, without a mobile, or refused by the provider,
    /// `|`-joined.
    invaliduser: String,
}

/// Sends a WeCom app message (`sendType` 0: text card, news or text) or an e-mail
/// (`sendType` 2) to users, departments or tags (exactly one of `toUser`, `toParty`,
/// `toTag`). Answers the receivers that could not be reached, as WeCom says them.
#[utoipa::path(post, path = "/api/v1/message-centre/send", tag = "message-centre",
    request_body = NoticeSpec, security(("bearer" = [])),
    responses((status = 200, body = Unreached), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_notice(
    State(centre): State<MessageCentreService>,
    caller: Caller,
    Json(body): Json<NoticeSpec>,
) -> Result<Json<Unreached>, ApiError> {
    let sender = sender(&caller)?;
    let notice = Notice::build(&body)?;
    Ok(Json(centre.send(&sender, notice).await?))
}

/// Sends an SMS from a template to users or departments (their mobiles from the contacts
/// directory of the message-centre app's corp).
#[utoipa::path(post, path = "/api/v1/message-centre/sms", tag = "message-centre",
    request_body = SmsSpec, security(("bearer" = [])),
    responses((status = 200, body = SmsSent), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn send_sms(
    State(centre): State<MessageCentreService>,
    caller: Caller,
    Json(body): Json<SmsSpec>,
) -> Result<Json<SmsSent>, ApiError> {
    let sender = sender(&caller)?;
    let sms = SmsNotice::build(&body)?;
    let invaliduser = centre.send_sms(&sender, sms).await?;
    Ok(Json(SmsSent { invaliduser }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogPage {
    items: Vec<LogEntry>,
    next_cursor: Option<String>,
}

/// Every send through the message centre, newest first (a caller sees its own; the admin
/// everyone's).
#[utoipa::path(get, path = "/api/v1/message-centre/log", tag = "message-centre",
    params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = LogPage), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn list_log(
    State(centre): State<MessageCentreService>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> Result<Json<Page<LogEntry>>, ApiError> {
    let sender = sender(&caller)?;
    let before = page.cursor_as(LogId::parse)?;
    let mine = sender.accounts.is_some().then_some(sender.name.as_str());
    let items = centre.log(mine, before.as_ref(), page.limit()).await?;
    Ok(Json(Page::new(items, page.limit(), |e| e.id.to_string())))
}

impl From<MessageCentreError> for ApiError {
    fn from(e: MessageCentreError) -> Self {
        let message = e.to_string();
        match e {
            MessageCentreError::NotConfigured { .. } | MessageCentreError::BadDefault { .. } => {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "message_centre_not_configured",
                    message,
                )
            }
            MessageCentreError::AgentNotFound { .. } => {
                ApiError::not_found("agent_not_found", message)
            }
            MessageCentreError::AccountNotFound(id) => account_not_found(&id),
            MessageCentreError::Invalid(bad) => bad.into(),
            MessageCentreError::WeChat { doing, source } => wechat_error(doing, source),
            MessageCentreError::Recipients(RecipientsError::NotSynced(_)) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "contacts_not_synced",
                message,
            ),
            MessageCentreError::Mail(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "mail_failed", message)
            }
            MessageCentreError::Sms(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "sms_failed", message)
            }
            MessageCentreError::Recipients(RecipientsError::Failed(_))
            | MessageCentreError::Claim(_)
            | MessageCentreError::Store(_)
            | MessageCentreError::Lookup(_) => ApiError::internal(e),
        }
    }
}

/// WeCom's refusals of `message/send` a caller can act on.
fn message_refusals(errcode: i64) -> Option<(StatusCode, &'static str)> {
    Some(match errcode {
        81013 | 82001 => (StatusCode::UNPROCESSABLE_ENTITY, "no_valid_receivers"),
        40008 | 41016 | 41017 | 41018 | 44003 | 44004 | 45002 | 45008 => {
            (StatusCode::UNPROCESSABLE_ENTITY, "message_refused")
        }
        48002 | 60020 | 301002 => (StatusCode::FORBIDDEN, "not_permitted_by_wechat"),
        45009 | 45033 => (StatusCode::TOO_MANY_REQUESTS, "wechat_limit_reached"),
        _ => return None,
    })
}

fn wechat_error(doing: &str, e: CallError<TokenError>) -> ApiError {
    crate::http::wechat::call_error(doing, e, message_refusals)
}
