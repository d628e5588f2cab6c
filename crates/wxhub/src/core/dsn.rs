//! Connection strings: which backend a URL selects, and a form of it fit for logs.

use std::fmt;

use serde::Deserialize;

/// A connection string whose `Debug` hides any password in it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Dsn(String);

impl Dsn {
    pub fn new(s: impl Into<String>) -> Self {
        Dsn(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Dsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", redact_dsn(&self.0))
    }
}

/// `scheme://user:password@host/…` → `scheme://user:***@host/…`.
pub fn redact_dsn(dsn: &str) -> String {
    match url::Url::parse(dsn) {
        Ok(mut u) if u.password().is_some() => {
            // set_password only fails for cannot-be-a-base URLs, which have no password.
            if u.set_password(Some("***")).is_err() {
                return "[unparseable dsn]".into();
            }
            u.to_string()
        }
        Ok(_) => dsn.to_string(),
        Err(_) => "[unparseable dsn]".into(),
    }
}

/// The store backend chosen by `database_url`'s scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

/// A database URL whose scheme selects no backend.
#[derive(Debug, Clone, thiserror::Error)]
#[error("database_url has scheme {scheme:?}; accepted forms are sqlite://PATH, sqlite:PATH, postgres://USER@HOST:PORT/DB and postgresql://…")]
pub struct UnknownScheme {
    pub scheme: String,
}

/// The part of a URL before its first `:`.
pub fn scheme_of(url: &str) -> &str {
    url.split_once(':').map(|(s, _)| s).unwrap_or(url)
}

/// The backend a database URL selects.
pub fn database_kind(url: &str) -> Result<DatabaseKind, UnknownScheme> {
    match scheme_of(url) {
        "sqlite" => Ok(DatabaseKind::Sqlite),
        "postgres" | "postgresql" => Ok(DatabaseKind::Postgres),
        other => Err(UnknownScheme {
            scheme: other.to_string(),
        }),
    }
}
