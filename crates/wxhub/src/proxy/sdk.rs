//! Existing WeChat SDKs behind the hub with nothing but a base URL and credentials.
//!
//! An SDK configured with `http://HUB/wx/{account}` as its API base and a caller's
//! `client_id` / `client_secret` in place of AppID / AppSecret (WeCom: corpid / corpsecret)
//! asks `cgi-bin/token` (or `stable_token`, or WeCom's `gettoken`) as it would ask WeChat and
//! gets a token the hub issued, in WeChat's shape with `expires_in`. That token in the
//! `access_token` query parameter then authorises its calls to that account, and to no other;
//! the proxy swaps in the account's real token. The real AppSecret never leaves the hub, and
//! every refusal is WeChat's own JSON (HTTP 200, as WeChat answers), so the SDK's own error
//! handling and its refetch on 40001 work unchanged.

use std::sync::Arc;

use chrono::Duration;

use crate::accounts::model::AccountId;
use crate::callers::model::{Caller, Scope};
use crate::callers::{CallerError, CallerService};
use crate::core::clock::SharedClock;
use crate::core::crypto::{hash_credential, random_token};
use crate::core::Secret;
use crate::store::proxy_tokens::{ProxyGrant, ProxyTokenStore};
use crate::tokens::AppIdentity;

/// A refusal as WeChat words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeChatRefusal {
    pub errcode: i64,
    pub errmsg: &'static str,
}

impl WeChatRefusal {
    const fn new(errcode: i64, errmsg: &'static str) -> Self {
        WeChatRefusal { errcode, errmsg }
    }

    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({"errcode": self.errcode, "errmsg": self.errmsg})
    }
}

const ACCESS_TOKEN_MISSING: WeChatRefusal = WeChatRefusal::new(41001, "access_token missing");
const INVALID_TOKEN: WeChatRefusal = WeChatRefusal::new(
    40001,
    "invalid credential, access_token is invalid or not latest",
);
const UNAUTHORIZED: WeChatRefusal = WeChatRefusal::new(48001, "api unauthorized");

#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    #[error("refused: {} {}", .0.errcode, .0.errmsg)]
    Refused(WeChatRefusal),
    #[error("checking SDK credentials failed")]
    Internal(#[source] anyhow::Error),
}

impl From<WeChatRefusal> for SdkError {
    fn from(r: WeChatRefusal) -> Self {
        SdkError::Refused(r)
    }
}

/// The credential call an SDK makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialCall {
    /// `GET cgi-bin/token?grant_type=client_credential&appid=&secret=`.
    Token,
    /// `POST cgi-bin/stable_token` with `{"grant_type", "appid", "secret"}`.
    StableToken,
    /// WeCom's `GET cgi-bin/gettoken?corpid=&corpsecret=`.
    WorkToken,
}

impl CredentialCall {
    /// The credential call `path` is for this kind of account, if it is one.
    pub fn of(app: &AppIdentity, path: &str) -> Option<CredentialCall> {
        match (app, path.trim_matches('/')) {
            (AppIdentity::Mp { .. }, "cgi-bin/token") => Some(CredentialCall::Token),
            (AppIdentity::Mp { .. }, "cgi-bin/stable_token") => Some(CredentialCall::StableToken),
            (AppIdentity::Work { .. }, "cgi-bin/gettoken") => Some(CredentialCall::WorkToken),
            _ => None,
        }
    }

    fn is_work(self) -> bool {
        self == CredentialCall::WorkToken
    }
}

/// What an SDK presented in a credential call.
#[derive(Debug, Default)]
pub struct Presented {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub secret: Option<Secret<String>>,
}

impl Presented {
    /// From the query of `cgi-bin/token` or WeCom's `gettoken`.
    pub fn from_query(call: CredentialCall, query: Option<&str>) -> Self {
        let (id_key, secret_key) = if call.is_work() {
            ("corpid", "corpsecret")
        } else {
            ("appid", "secret")
        };
        let mut presented = Presented::default();
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match key.as_ref() {
                "grant_type" => presented.grant_type = Some(value.into_owned()),
                k if k == id_key => presented.client_id = Some(value.into_owned()),
                k if k == secret_key => presented.secret = Some(Secret::new(value.into_owned())),
                _ => {}
            }
        }
        presented
    }

    /// From the JSON body of `stable_token`; a body that is no JSON object presents nothing.
    pub fn from_json(body: &[u8]) -> Self {
        let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        Presented {
            grant_type: text("grant_type"),
            client_id: text("appid"),
            secret: text("secret").map(Secret::new),
        }
    }
}

/// A token issued to an SDK.
#[derive(Debug)]
pub struct IssuedProxyToken {
    pub access_token: Secret<String>,
    pub expires_in: u64,
}

/// Issues and checks the tokens SDKs use through the proxy.
#[derive(Clone)]
pub struct SdkCredentials {
    callers: CallerService,
    store: Arc<dyn ProxyTokenStore>,
    clock: SharedClock,
    ttl_secs: u64,
}

impl SdkCredentials {
    pub fn new(
        callers: CallerService,
        store: Arc<dyn ProxyTokenStore>,
        clock: SharedClock,
        ttl_secs: u64,
    ) -> Self {
        SdkCredentials {
            callers,
            store,
            clock,
            ttl_secs: ttl_secs.max(60),
        }
    }

    /// Answers a credential call: a token for `account` when the client id and secret match
    /// a caller with the `tokens` scope on it.
    pub async fn issue(
        &self,
        account: &AccountId,
        call: CredentialCall,
        presented: Presented,
    ) -> Result<IssuedProxyToken, SdkError> {
        let work = call.is_work();
        if !work && presented.grant_type.as_deref() != Some("client_credential") {
            return Err(WeChatRefusal::new(40002, "invalid grant_type").into());
        }
        let Some(client_id) = presented.client_id.filter(|s| !s.is_empty()) else {
            let missing = if work {
                "corpid missing"
            } else {
                "appid missing"
            };
            return Err(WeChatRefusal::new(41002, missing).into());
        };
        let Some(secret) = presented.secret.filter(|s| !s.expose().is_empty()) else {
            let missing = if work {
                "corpsecret missing"
            } else {
                "appsecret missing"
            };
            return Err(WeChatRefusal::new(41004, missing).into());
        };
        let caller = match self.callers.verify_secret(&client_id, &secret).await {
            Ok(caller) => caller,
            Err(CallerError::InvalidClient) => {
                return Err(if work {
                    WeChatRefusal::new(40001, "invalid credential")
                } else {
                    WeChatRefusal::new(40125, "invalid appsecret")
                }
                .into())
            }
            Err(e) => return Err(SdkError::Internal(e.into())),
        };
        if !may_proxy(&caller, account) {
            tracing::info!(client_id = %caller.client_id, %account, "SDK token refused: no tokens scope on the account");
            let invalid = if work {
                "invalid corpid"
            } else {
                "invalid appid"
            };
            return Err(WeChatRefusal::new(40013, invalid).into());
        }
        let token = random_token("wxp_");
        let ttl = i64::try_from(self.ttl_secs).unwrap_or(7200);
        let grant = ProxyGrant {
            client_id: caller.client_id.clone(),
            account: account.clone(),
            expires_at: self.clock.now() + Duration::seconds(ttl),
        };
        self.store
            .insert(&hash_credential(token.expose()), &grant)
            .await
            .map_err(|e| SdkError::Internal(e.into()))?;
        tracing::info!(client_id = %caller.client_id, %account, "SDK proxy token issued");
        Ok(IssuedProxyToken {
            access_token: token,
            expires_in: self.ttl_secs,
        })
    }

    /// The caller an SDK's `access_token` stands for, if it was issued for `account`, is
    /// unexpired, and the caller still has the `tokens` scope on the account.
    pub async fn authorize(
        &self,
        account: &AccountId,
        token: Option<&str>,
    ) -> Result<Caller, SdkError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(ACCESS_TOKEN_MISSING)?;
        let grant = self
            .store
            .find(&hash_credential(token), self.clock.now())
            .await
            .map_err(|e| SdkError::Internal(e.into()))?
            .filter(|g| &g.account == account)
            .ok_or(INVALID_TOKEN)?;
        let caller = match self.callers.get(&grant.client_id).await {
            Ok(caller) => caller,
            Err(CallerError::NotFound(_)) => return Err(INVALID_TOKEN.into()),
            Err(e) => return Err(SdkError::Internal(e.into())),
        };
        if !may_proxy(&caller, account) {
            return Err(UNAUTHORIZED.into());
        }
        Ok(caller)
    }

    /// Deletes expired SDK tokens; returns how many.
    pub async fn purge_expired(&self) -> anyhow::Result<u64> {
        Ok(self.store.purge_expired(self.clock.now()).await?)
    }
}

fn may_proxy(caller: &Caller, account: &AccountId) -> bool {
    caller.scopes.contains(&Scope::Tokens) && caller.accounts.contains(account)
}

/// The `access_token` query parameter, decoded.
pub fn access_token_of(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_read_where_each_call_puts_them() {
        let q = Presented::from_query(
            CredentialCall::Token,
            Some("grant_type=client_credential&appid=cli_1&secret=s%2B1"),
        );
        assert_eq!(q.grant_type.as_deref(), Some("client_credential"));
        assert_eq!(q.client_id.as_deref(), Some("cli_1"));
        assert_eq!(q.secret.as_ref().map(|s| s.expose().as_str()), Some("s+1"));
        let w = Presented::from_query(
            CredentialCall::WorkToken,
            Some("corpid=cli_2&corpsecret=x&appid=no"),
        );
        assert_eq!(w.client_id.as_deref(), Some("cli_2"));
        let j = Presented::from_json(
            br#"{"grant_type":"client_credential","appid":"cli_3","secret":"y"}"#,
        );
        assert_eq!(j.client_id.as_deref(), Some("cli_3"));
        assert!(Presented::from_json(b"not json").client_id.is_none());
        assert_eq!(
            access_token_of(Some("a=1&access_token=wxp_%2Fx")).as_deref(),
            Some("wxp_/x")
        );
    }

    #[test]
    fn only_the_account_kinds_own_credential_paths_are_credential_calls() {
        let mp = AppIdentity::Mp {
            appid: "wx1".into(),
        };
        let work = AppIdentity::Work {
            corpid: "ww1".into(),
            agentid: "1".into(),
        };
        assert_eq!(
            CredentialCall::of(&mp, "cgi-bin/token"),
            Some(CredentialCall::Token)
        );
        assert_eq!(
            CredentialCall::of(&mp, "cgi-bin/stable_token"),
            Some(CredentialCall::StableToken)
        );
        assert_eq!(CredentialCall::of(&mp, "cgi-bin/gettoken"), None);
        assert_eq!(
            CredentialCall::of(&work, "cgi-bin/gettoken"),
            Some(CredentialCall::WorkToken)
        );
        assert_eq!(CredentialCall::of(&work, "cgi-bin/token"), None);
    }
}
