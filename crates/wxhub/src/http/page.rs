//! The list envelope: `{"items":[...],"next_cursor":string|null}` with `limit` + `cursor`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// `?limit=&cursor=` on every list route.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1–200, default 50.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// The cursor parsed with `parse`; one that does not parse is 400 `invalid_cursor`.
    pub fn cursor_as<T, E>(
        &self,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ApiError> {
        self.cursor
            .as_deref()
            .map(|c| parse(c).map_err(|_| invalid_cursor()))
            .transpose()
    }
}

/// The answer to a cursor this API did not issue.
pub fn invalid_cursor() -> ApiError {
    ApiError::bad_request("invalid_cursor", "cursor is not one this API issued")
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page built from up to `limit` items; `cursor_of` gives the cursor after an item.
    /// A full page has a next cursor (possibly leading to an empty page).
    pub fn new(items: Vec<T>, limit: u32, cursor_of: impl Fn(&T) -> String) -> Self {
        let full = u32::try_from(items.len()).unwrap_or(u32::MAX) >= limit;
        let next_cursor = if full {
            items.last().map(cursor_of)
        } else {
            None
        };
        Page { items, next_cursor }
    }

    /// Everything in one page.
    pub fn complete(items: Vec<T>) -> Self {
        Page {
            items,
            next_cursor: None,
        }
    }
}
