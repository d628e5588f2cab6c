//! JSONP: a JSON answer wrapped in a call of the page's `callback`, for pages that load it
//! with a `<script>` tag. The name is checked to be a JavaScript identifier path
//! (`cb`, `jQuery123_456`, `a.b_c.$d`), so nothing but a function call can be injected.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::http::ApiError;

/// Longest callback name accepted.
pub const MAX_CALLBACK_LEN: usize = 128;

/// A checked callback name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback(String);

impl Callback {
    /// `segment(.segment)*`, each segment an ASCII identifier (`[A-Za-z_$][A-Za-z0-9_$]*`),
    /// at most [`MAX_CALLBACK_LEN`] characters; anything else is 400 `invalid_callback`.
    pub fn parse(name: &str) -> Result<Self, ApiError> {
        let identifier = |segment: &str| {
            let mut bytes = segment.bytes();
            bytes
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$')
                && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        };
        if name.len() <= MAX_CALLBACK_LEN && name.split('.').all(identifier) {
            Ok(Callback(name.to_owned()))
        } else {
            Err(ApiError::bad_request(
                "invalid_callback",
                format!(
                    "callback must be a JavaScript name like cb or a.b_c.$d (letters, digits, _ and $, dot-separated, at most {MAX_CALLBACK_LEN} characters)"
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `body` as JSON, or as `callback(body);` JavaScript when a callback is given.
pub fn respond<T: Serialize>(body: &T, callback: Option<&Callback>) -> Response {
    let Some(callback) = callback else {
        return axum::Json(body).into_response();
    };
    let json = match serde_json::to_string(body) {
        Ok(json) => json,
        Err(e) => return ApiError::internal(e).into_response(),
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/javascript; charset=utf-8"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        format!("{}({json});", callback.as_str()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_names_are_javascript_identifier_paths() {
        for ok in [
            "cb",
            "a.b_c.$d",
            "jQuery1910_1700000000",
            "_",
            "$",
            "A1.b2",
            &"a".repeat(128),
        ] {
            assert!(Callback::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1cb",
            "a..b",
            ".a",
            "a.",
            "a-b",
            "a b",
            "a(b)",
            "alert(1);x",
            "a[0]",
            "a;b",
            "a/b",
            "a\u{2028}",
            "é",
            "a.1b",
            "</script>",
            &"a".repeat(129),
        ] {
            let refused = Callback::parse(bad).expect_err(bad);
            assert_eq!(refused.code(), "invalid_callback", "{bad}");
        }
    }
}
