//! Our own `Json`, `Query`, `Path`, `JsonOrForm` and `RawBody` extractors.
//!
//! axum's rejections are plain text; these answer with the error envelope and name the field
//! that failed (`field accounts[0]: …`), so a malformed request is a clear 4xx.

use axum::extract::rejection::{BytesRejection, FormRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::http::error::ApiError;

/// A JSON body. As a response, serializes `T` with status 200.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

fn is_json(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

fn content_type(headers: &axum::http::HeaderMap) -> &str {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn body_rejection(r: BytesRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "request body is larger than the configured limit",
        )
    } else {
        ApiError::bad_request("unreadable_body", "request body could not be read")
    }
}

/// The body's bytes; over the body limit (or unreadable) it is refused in the envelope
/// (413 `body_too_large`), not with axum's plain text.
#[derive(Debug, Clone, Default)]
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(body_rejection)
    }
}

/// Parses JSON bytes, naming the failing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        json_error(&path, &inner)
    })?;
    de.end().map_err(|e| json_error(".", &e))?;
    Ok(value)
}

fn json_error(path: &str, e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::bad_request(
            "malformed_json",
            format!("request body is not valid JSON: {e}"),
        ),
        Category::Data if path == "." || path.is_empty() => {
            ApiError::invalid_field(format!("request body: {e}"))
        }
        Category::Data => ApiError::invalid_field(format!("field {path}: {e}")),
    }
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(content_type(req.headers())) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected a body with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(Json)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A JSON body, or an `application/x-www-form-urlencoded` one (OAuth-style token requests).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonOrForm<T>(pub T);

impl<T, S> FromRequest<S> for JsonOrForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = content_type(req.headers()).to_ascii_lowercase();
        let is_form = ct.starts_with("application/x-www-form-urlencoded");
        if !is_form && !ct.is_empty() && !is_json(&ct) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected application/json or application/x-www-form-urlencoded",
            ));
        }
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(body_rejection)?;
        // `curl -d '{…}'` labels JSON as a form; a body that opens with `{` is JSON either way.
        let looks_like_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if !is_form || looks_like_json {
            return parse_json(&bytes).map(JsonOrForm);
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        let axum::Form(value) = axum::Form::<T>::from_request(req, state)
            .await
            .map_err(form_rejection)?;
        Ok(JsonOrForm(value))
    }
}

fn form_rejection(r: FormRejection) -> ApiError {
    match r {
        FormRejection::FailedToDeserializeForm(e) => {
            ApiError::invalid_field(format!("form body: {}", e.body_text()))
        }
        FormRejection::FailedToDeserializeFormBody(e) => {
            ApiError::invalid_field(format!("form body: {}", e.body_text()))
        }
        FormRejection::BytesRejection(e) => body_rejection(e),
        other => ApiError::bad_request("malformed_form", other.body_text()),
    }
}

/// Query-string parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|r: QueryRejection| {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", r.body_text())
            })
    }
}

/// Path parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|r: PathRejection| match r {
                PathRejection::FailedToDeserializePathParams(e) => {
                    ApiError::bad_request("invalid_path", e.body_text())
                }
                other => {
                    ApiError::internal(anyhow::anyhow!("path extraction: {}", other.body_text()))
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[allow(dead_code)]
        items: Vec<u32>,
    }

    #[test]
    fn json_errors_name_the_field() {
        let err = parse_json::<Body>(br#"{"items":[1,"x"]}"#).expect_err("bad item");
        assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.code(), "invalid_field");
        assert!(err.to_string().contains("items[1]"), "{err}");
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        let err = parse_json::<Body>(b"{\"items\":").expect_err("truncated");
        assert_eq!(err.code(), "malformed_json");
        let err = parse_json::<Body>(br#"{"items":[]} trailing"#).expect_err("trailing");
        assert_eq!(err.code(), "malformed_json");
    }

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
    }
}
