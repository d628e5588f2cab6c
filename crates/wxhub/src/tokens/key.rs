//! What a token is for: the app that owns it (an Official Account's AppID, or a WeCom
//! app's CorpID + AgentID, since each WeCom app has its own secret and token) and its kind.

use std::fmt;

use crate::cache::CacheKey;

/// The kinds of credential the token centre keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// `access_token`, for an Official Account or a WeCom app.
    AccessToken,
    /// An Official Account's `jsapi_ticket`, or a WeCom corp's (for `wx.config`).
    JsapiTicket,
    /// A WeCom app's `agent_config` ticket (for `wx.agentConfig`).
    AgentConfigTicket,
    /// The access_token of a WeCom corp's contacts secret (通讯录同步): the one that reads
    /// the whole directory with every field and changes it.
    ContactsToken,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::JsapiTicket => "jsapi_ticket",
            Self::AgentConfigTicket => "agent_config_ticket",
            Self::ContactsToken => "contacts_token",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "access_token" => Some(Self::AccessToken),
            "jsapi_ticket" => Some(Self::JsapiTicket),
            "agent_config_ticket" => Some(Self::AgentConfigTicket),
            "contacts_token" => Some(Self::ContactsToken),
            _ => None,
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The WeChat identity a token belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AppIdentity {
    Mp { appid: String },
    Work { corpid: String, agentid: String },
}

/// One cached credential: whose, and which kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenKey {
    pub app: AppIdentity,
    pub kind: TokenKind,
}

impl TokenKey {
    pub fn new(app: AppIdentity, kind: TokenKind) -> Self {
        Self { app, kind }
    }

    /// `{prefix}:mp:{appid}:{kind}` or `{prefix}:work:{corpid}:{agentid}:{kind}`.
    pub fn cache_key(&self, prefix: &str) -> CacheKey {
        CacheKey::new(match &self.app {
            AppIdentity::Mp { appid } => format!("{prefix}:mp:{appid}:{}", self.kind),
            AppIdentity::Work { corpid, agentid } => {
                format!("{prefix}:work:{corpid}:{agentid}:{}", self.kind)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_namespaced_per_appid_and_per_corp_and_agent() {
        let mp = TokenKey::new(
            AppIdentity::Mp {
                appid: "wx1".into(),
            },
            TokenKind::AccessToken,
        );
        assert_eq!(
            mp.cache_key("wxhub:tok").as_str(),
            "wxhub:tok:mp:wx1:access_token"
        );
        let a = TokenKey::new(
            AppIdentity::Work {
                corpid: "ww1".into(),
                agentid: "1000002".into(),
            },
            TokenKind::AccessToken,
        );
        let b = TokenKey::new(
            AppIdentity::Work {
                corpid: "ww1".into(),
                agentid: "1000003".into(),
            },
            TokenKind::AccessToken,
        );
        assert_ne!(a.cache_key("p"), b.cache_key("p"));
        assert_eq!(a.cache_key("p").as_str(), "p:work:ww1:1000002:access_token");
        for kind in [
            TokenKind::AccessToken,
            TokenKind::JsapiTicket,
            TokenKind::AgentConfigTicket,
        ] {
            assert_eq!(TokenKind::parse(kind.as_str()), Some(kind));
        }
    }
}
