//! The one mapping from errors to the response envelope.
//!
//! Every error body is `{"error":{"code","message","field"?,"rule"?,"wechat"?}}`. `code` is a
//! stable snake_case string clients branch on; `message` is a sentence for humans; `field`
//! names the part of the request that was refused (`button[1].sub_button[4].name`) and
//! `rule` the rule it broke (stable snake_case), where a validation knows them; `wechat`
//! carries WeChat's own `{errcode, errmsg}` when WeChat caused the failure. A 500 says only
//! `internal`: its cause chain is logged here, once, where the 500 is made.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer. Build it with the constructors; render it by returning it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    message: String,
    /// The refused field and its rule (boxed: most errors have none, and every `Result`
    /// of a route carries this type).
    refused: Option<Box<(String, &'static str)>>,
    wechat: Option<WeChatError>,
    cause: Option<anyhow::Error>,
    /// Sent as `Retry-After` (whole seconds, at least 1).
    retry_after: Option<std::time::Duration>,
}

/// WeChat's own error, passed through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WeChatError {
    pub errcode: i64,
    pub errmsg: String,
}

/// The envelope, as documented in the OpenAPI document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code.
    pub code: String,
    pub message: String,
    /// The refused part of the request, as a path (`matchrule.sex`, `openid_list[3]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The rule `field` broke, stable snake_case (`name_too_long`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wechat: Option<WeChatError>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            refused: None,
            wechat: None,
            cause: None,
            retry_after: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// A request field failed validation (422 `invalid_field`).
    pub fn invalid_field(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// Over a rate limit: 429 `rate_limited`, `Retry-After` in whole seconds (at least 1).
    pub fn rate_limited(message: impl Into<String>, retry_after: std::time::Duration) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
            .with_retry_after(retry_after)
    }

    /// A 500. The cause is logged when the response is made and never shown.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let cause = cause.into();
        if cause.chain().any(|c| {
            c.downcast_ref::<crate::core::effects::ClaimLost>()
                .is_some()
        }) {
            return ApiError::conflict(
                "idempotency_claim_lost",
                "this request's Idempotency-Key claim was taken over before it could act; nothing was changed",
            );
        }
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: Cow::Borrowed("internal"),
            message: "internal error".into(),
            refused: None,
            wechat: None,
            cause: Some(cause),
            retry_after: None,
        }
    }

    /// A request field that breaks `rule`: 422 `invalid_field` naming both.
    pub fn invalid_at(
        field: impl Into<String>,
        rule: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::invalid_field(message).with_field(field, rule)
    }

    /// Names the refused part of the request and the rule it broke.
    pub fn with_field(mut self, field: impl Into<String>, rule: &'static str) -> Self {
        self.refused = Some(Box::new((field.into(), rule)));
        self
    }

    /// Attaches WeChat's own error.
    pub fn with_wechat(mut self, errcode: i64, errmsg: impl Into<String>) -> Self {
        self.wechat = Some(WeChatError {
            errcode,
            errmsg: errmsg.into(),
        });
        self
    }

    /// Tells the client when to try again (`Retry-After`), for a 429 or 503.
    pub fn with_retry_after(mut self, after: std::time::Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What the envelope would say, for an answer that reports several failures in its
    /// body (a 500's cause is logged here, as when it is rendered).
    pub fn into_detail(self) -> ErrorDetail {
        if let Some(cause) = &self.cause {
            tracing::error!(
                error = format!("{cause:#}"),
                "part of a request failed with an internal error"
            );
        }
        ErrorDetail {
            code: self.code.into_owned(),
            message: self.message,
            field: self.refused.as_ref().map(|r| r.0.clone()),
            rule: self.refused.as_ref().map(|r| r.1.to_owned()),
            wechat: self.wechat,
        }
    }

    pub fn code(&self) -> &str {
        &self.code
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(
                error = format!("{cause:#}"),
                "request failed with an internal error"
            );
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.into_owned(),
                message: self.message,
                field: self.refused.as_ref().map(|r| r.0.clone()),
                rule: self.refused.as_ref().map(|r| r.1.to_owned()),
                wechat: self.wechat,
            },
        };
        let reached_wechat = body.error.wechat.is_some();
        let mut response = (self.status, axum::Json(body)).into_response();
        if reached_wechat {
            response
                .extensions_mut()
                .insert(crate::http::idempotency::ReachedWeChat);
        }
        if let Some(after) = self.retry_after {
            // Rounded up: a client that waits exactly this long finds the way clear.
            let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs.max(1)),
            );
        }
        response
    }
}

/// An account's limit on calls to WeChat: 429 `rate_limited` with `Retry-After`.
impl From<crate::wechat::Throttled> for ApiError {
    fn from(e: crate::wechat::Throttled) -> Self {
        ApiError::rate_limited(
            "this account's limit on calls to WeChat is reached; retry later",
            e.retry_after,
        )
    }
}

/// A refused part of a request: 422 `invalid_field` with its `field` and `rule`.
impl From<crate::core::InvalidAt> for ApiError {
    fn from(e: crate::core::InvalidAt) -> Self {
        let message = e.to_string();
        ApiError::invalid_at(e.field, e.rule, message)
    }
}

/// The fallback for paths no route matches.
pub async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such route")
}

/// The fallback for a known path with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method",
    )
}
