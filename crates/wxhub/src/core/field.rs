//! [`InvalidField`]: a bad value, naming the field it came in.

/// A bad value in a request, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidField {
    pub field: &'static str,
    pub reason: String,
}

impl InvalidField {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        InvalidField {
            field,
            reason: reason.into(),
        }
    }
}

/// A refused part of a request, named by its path in the request (`button[1].sub_button[4].name`,
/// `openid_list[3]`), with the rule it broke (stable snake_case, such as `name_too_long`)
/// and a sentence saying what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidAt {
    pub field: String,
    pub rule: &'static str,
    pub reason: String,
}

impl InvalidAt {
    pub fn new(field: impl Into<String>, rule: &'static str, reason: impl Into<String>) -> Self {
        InvalidAt {
            field: field.into(),
            rule,
            reason: reason.into(),
        }
    }
}
