//! Caller domain types: the business systems that call the hub.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::model::AccountId;
use crate::core::{InvalidField, RateLimit};

crate::ulid_id!(
    /// A caller's public id: `cli_` + a lowercase ULID (sortable by creation time).
    ClientId, "cli_", "client_id"
);

crate::slug_id!(
    /// A business system's own identifier (seed 000's `systemId`): 1–64 of `A-Za-z0-9_.-`.
    SystemId,
    "system_id",
    |s| crate::core::ids::made_of(s, 64, |b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')),
    "must be 1-64 characters of A-Z, a-z, 0-9, '_', '.' and '-'"
);

/// What a caller may do. Each `/api/v1` route names the scope it needs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Tokens,
    Messages,
    Qrcodes,
    Identity,
    Oauth,
    Redpacket,
    Contacts,
    Events,
    /// Binding uids to openids (seed 000 gives it a password of its own).
    Bindings,
}

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::Tokens,
        Scope::Messages,
        Scope::Qrcodes,
        Scope::Identity,
        Scope::Oauth,
        Scope::Redpacket,
        Scope::Contacts,
        Scope::Events,
        Scope::Bindings,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Tokens => "tokens",
            Scope::Messages => "messages",
            Scope::Qrcodes => "qrcodes",
            Scope::Identity => "identity",
            Scope::Oauth => "oauth",
            Scope::Redpacket => "redpacket",
            Scope::Contacts => "contacts",
            Scope::Events => "events",
            Scope::Bindings => "bindings",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| {
                InvalidField::new(
                    "scopes",
                    format!(
                        "unknown scope {s:?}; known scopes are {}",
                        Scope::ALL.map(Scope::as_str).join(", ")
                    ),
                )
            })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A caller's QR `source` number (seed 000): 1–31, unique among the callers of one account.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(try_from = "i64", into = "i64")]
#[schema(value_type = i64)]
pub struct QrSource(u8);

impl QrSource {
    pub fn new(v: i64) -> Result<Self, InvalidField> {
        match u8::try_from(v) {
            Ok(n @ 1..=31) => Ok(QrSource(n)),
            _ => Err(InvalidField::new("qr_source", "must be between 1 and 31")),
        }
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

impl From<QrSource> for i64 {
    fn from(s: QrSource) -> i64 {
        i64::from(s.0)
    }
}

impl TryFrom<i64> for QrSource {
    type Error = InvalidField;
    fn try_from(v: i64) -> Result<Self, InvalidField> {
        QrSource::new(v)
    }
}

/// A host name a caller may redirect to or sign JS-SDK pages for (`example.com`, `*.example.com`).
pub fn check_domain(field: &'static str, s: &str) -> Result<String, InvalidField> {
    let host = s.strip_prefix("*.").unwrap_or(s);
    let ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && !host.starts_with('-');
    // An optional port, e.g. `localhost:3000`, is allowed for development.
    let ok = ok
        || s.rsplit_once(':')
            .is_some_and(|(h, port)| port.parse::<u16>().is_ok() && check_domain(field, h).is_ok());
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(InvalidField::new(
            field,
            format!("{s:?} is not a host name (example.com or *.example.com)"),
        ))
    }
}

/// The public face of a caller (its secret hash stays in the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Caller {
    pub client_id: ClientId,
    pub system_id: SystemId,
    pub name: String,
    pub accounts: BTreeSet<AccountId>,
    pub scopes: BTreeSet<Scope>,
    pub qr_source: Option<QrSource>,
    pub rsa_public_key: Option<String>,
    pub redirect_domains: Vec<String>,
    pub jssdk_domains: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// The caller's own request limit; `None`: the default (`[limits] caller_*`). Shown as
    /// the effective limit by the routes' view, never as stored.
    #[serde(skip)]
    pub rate_limit: Option<RateLimit>,
}

/// The fields a `rate_limit` is checked under.
pub const RATE_LIMIT_FIELDS: (&str, &str) = ("rate_limit.per_second", "rate_limit.burst");

/// A checked request to register a caller.
#[derive(Debug, Clone)]
pub struct NewCaller {
    pub system_id: SystemId,
    pub name: String,
    pub accounts: BTreeSet<AccountId>,
    pub scopes: BTreeSet<Scope>,
    pub qr_source: Option<QrSource>,
    pub rsa_public_key: Option<String>,
    pub redirect_domains: Vec<String>,
    pub jssdk_domains: Vec<String>,
}

/// A caller's registration as given, from the API or the CLI: each value as text, nothing
/// checked yet. [`NewCaller::parse`] checks it.
#[derive(Debug, Clone, Default)]
pub struct CallerRegistration {
    pub system_id: String,
    pub name: String,
    pub accounts: Vec<String>,
    pub scopes: Vec<String>,
    pub qr_source: Option<i64>,
    pub rsa_public_key: Option<String>,
    pub redirect_domains: Vec<String>,
    pub jssdk_domains: Vec<String>,
}

impl NewCaller {
    /// Checks every value of a registration, from the API or the CLI alike.
    pub fn parse(r: CallerRegistration) -> Result<Self, InvalidField> {
        let name = r.name.trim();
        if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
            return Err(InvalidField::new(
                "name",
                "must be 1-128 characters without control characters",
            ));
        }
        let rsa_public_key = match r.rsa_public_key {
            Some(pem) if !pem.contains("-----BEGIN") || pem.len() > 16_384 => {
                return Err(InvalidField::new(
                    "rsa_public_key",
                    "must be a PEM-encoded public key",
                ))
            }
            other => other,
        };
        Ok(NewCaller {
            system_id: SystemId::parse(&r.system_id)?,
            name: name.to_string(),
            accounts: r
                .accounts
                .iter()
                .map(|a| AccountId::parse(a).map_err(|e| InvalidField::new("accounts", e.reason)))
                .collect::<Result<BTreeSet<_>, _>>()?,
            scopes: r
                .scopes
                .iter()
                .map(|s| Scope::parse(s))
                .collect::<Result<BTreeSet<_>, _>>()?,
            qr_source: r.qr_source.map(QrSource::new).transpose()?,
            rsa_public_key,
            redirect_domains: r
                .redirect_domains
                .iter()
                .map(|d| check_domain("redirect_domains", d))
                .collect::<Result<_, _>>()?,
            jssdk_domains: r
                .jssdk_domains
                .iter()
                .map(|d| check_domain("jssdk_domains", d))
                .collect::<Result<_, _>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_round_trip() {
        let id = ClientId::generate();
        assert!(id.as_str().starts_with("cli_"));
        assert_eq!(ClientId::parse(id.as_str()).ok(), Some(id));
        assert!(ClientId::parse("cli_short").is_err());
        assert!(ClientId::parse("abc").is_err());
    }

    #[test]
    fn qr_source_is_1_to_31() {
        assert!(QrSource::new(1).is_ok());
        assert!(QrSource::new(31).is_ok());
        assert!(QrSource::new(0).is_err());
        assert!(QrSource::new(32).is_err());
        assert!(QrSource::new(-1).is_err());
        assert!(QrSource::new(300).is_err());
    }

    #[test]
    fn scopes_parse_by_name() {
        assert_eq!(Scope::parse("tokens").ok(), Some(Scope::Tokens));
        let err = Scope::parse("admin").expect_err("unknown scope");
        assert!(err.reason.contains("redpacket"), "{err}");
    }

    #[test]
    fn domains_are_host_names() {
        assert_eq!(
            check_domain("d", "Example.COM").ok().as_deref(),
            Some("example.com")
        );
        assert!(check_domain("d", "*.example.com").is_ok());
        assert!(check_domain("d", "localhost:3000").is_ok());
        assert!(check_domain("d", "https://example.com").is_err());
        assert!(check_domain("d", "exa mple.com").is_err());
        assert!(check_domain("d", "").is_err());
    }
}
