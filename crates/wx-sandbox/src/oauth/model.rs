//! OAuth's data: pending codes and web access/refresh tokens, with their issue, exchange and
//! expiry rules. Pure: callers pass `now`.

use crate::ids::{random_alnum, AppId, CorpId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const CODE_TTL: i64 = 300;
pub const ACCESS_TTL: i64 = 7200;
pub const REFRESH_TTL: i64 = 30 * 86_400;
/// Expired codes and tokens are swept when a map grows past this.
const SWEEP_AT: usize = 4096;

/// `snsapi_base` (openid only) or `snsapi_userinfo` (profile too); WeCom adds
/// `snsapi_privateinfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    SnsapiBase,
    SnsapiUserinfo,
    SnsapiPrivateinfo,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "snsapi_base" => Some(Self::SnsapiBase),
            "snsapi_userinfo" => Some(Self::SnsapiUserinfo),
            "snsapi_privateinfo" => Some(Self::SnsapiPrivateinfo),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SnsapiBase => "snsapi_base",
            Self::SnsapiUserinfo => "snsapi_userinfo",
            Self::SnsapiPrivateinfo => "snsapi_privateinfo",
        }
    }
}

/// Who consented, and to whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "side", rename_all = "snake_case")]
pub enum Grant {
    Mp {
        appid: AppId,
        openid: String,
        scope: Scope,
    },
    Work {
        corpid: CorpId,
        agentid: Option<u32>,
        userid: String,
        scope: Scope,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Code {
    pub grant: Grant,
    pub expires_at: i64,
    pub used: bool,
}

/// A web access token or refresh token of an Official Account user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnsToken {
    pub appid: AppId,
    pub openid: String,
    pub scope: Scope,
    pub expires_at: i64,
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeError {
    /// Unknown, expired, or for another account.
    Invalid,
    /// Already exchanged once.
    Used,
}

/// OAuth codes and web tokens.
#[derive(Default, Serialize, Deserialize)]
pub struct OAuthState {
    #[serde(default)]
    pub codes: HashMap<String, Code>,
    #[serde(default)]
    pub access_tokens: HashMap<String, SnsToken>,
    #[serde(default)]
    pub refresh_tokens: HashMap<String, SnsToken>,
}

// Debug shows counts only: codes and tokens are credentials.
impl std::fmt::Debug for OAuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthState")
            .field("codes", &self.codes.len())
            .field("access_tokens", &self.access_tokens.len())
            .field("refresh_tokens", &self.refresh_tokens.len())
            .finish()
    }
}

impl OAuthState {
    /// A new single-use code for `grant`.
    pub fn issue_code(&mut self, grant: Grant, now: i64) -> String {
        if self.codes.len() >= SWEEP_AT {
            self.codes.retain(|_, c| c.expires_at > now);
        }
        let code = random_alnum(32);
        self.codes.insert(
            code.clone(),
            Code {
                grant,
                expires_at: now + CODE_TTL,
                used: false,
            },
        );
        code
    }

    /// Exchanges a code whose grant `accept`s; a refused grant leaves the code unused.
    pub fn take_code(
        &mut self,
        code: &str,
        now: i64,
        accept: impl FnOnce(&Grant) -> bool,
    ) -> Result<Grant, CodeError> {
        let c = self.codes.get_mut(code).ok_or(CodeError::Invalid)?;
        if c.expires_at <= now || !accept(&c.grant) {
            return Err(CodeError::Invalid);
        }
        if c.used {
            return Err(CodeError::Used);
        }
        c.used = true;
        Ok(c.grant.clone())
    }

    /// Mints a web access token for `t` (and, when `refresh` is `None`, a refresh token).
    /// Returns (access_token, refresh_token).
    pub fn mint_tokens(
        &mut self,
        t: SnsToken,
        refresh: Option<String>,
        now: i64,
    ) -> (String, String) {
        if self.access_tokens.len() >= SWEEP_AT {
            self.access_tokens.retain(|_, x| x.expires_at > now);
        }
        if self.refresh_tokens.len() >= SWEEP_AT {
            self.refresh_tokens.retain(|_, x| x.expires_at > now);
        }
        let access = format!("SNS_{}", random_alnum(96));
        self.access_tokens.insert(
            access.clone(),
            SnsToken {
                expires_at: now + ACCESS_TTL,
                ..t.clone()
            },
        );
        let refresh = match refresh {
            Some(r) => r,
            None => {
                let r = format!("SNSR_{}", random_alnum(96));
                self.refresh_tokens.insert(
                    r.clone(),
                    SnsToken {
                        expires_at: now + REFRESH_TTL,
                        ..t
                    },
                );
                r
            }
        };
        (access, refresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant::Mp {
            appid: AppId::from("wx1"),
            openid: "o1".into(),
            scope: Scope::SnsapiBase,
        }
    }

    #[test]
    fn code_is_single_use() {
        let mut s = OAuthState::default();
        let c = s.issue_code(grant(), 100);
        assert_eq!(s.take_code(&c, 100, |_| true), Ok(grant()));
        assert_eq!(s.take_code(&c, 100, |_| true), Err(CodeError::Used));
    }

    #[test]
    fn code_expires_after_five_minutes() {
        let mut s = OAuthState::default();
        let c = s.issue_code(grant(), 100);
        assert_eq!(s.take_code(&c, 400, |_| true), Err(CodeError::Invalid));
        let c = s.issue_code(grant(), 100);
        assert!(s.take_code(&c, 399, |_| true).is_ok());
    }

    #[test]
    fn refused_grant_leaves_code_usable() {
        let mut s = OAuthState::default();
        let c = s.issue_code(grant(), 100);
        assert_eq!(s.take_code(&c, 100, |_| false), Err(CodeError::Invalid));
        assert!(s.take_code(&c, 100, |_| true).is_ok());
        assert_eq!(s.take_code("nope", 100, |_| true), Err(CodeError::Invalid));
    }
}
