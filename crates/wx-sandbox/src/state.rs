//! The aggregate: the sandbox's whole in-memory state, one field per area.
//!
//! One `State` sits behind one mutex in [`crate::Sandbox`]. Methods here are plain,
//! synchronous and quick: callers lock, call, unlock. Anything slow (callbacks, file I/O)
//! happens outside the lock. `State` serialises to JSON for the optional state file.

use crate::common::InboxItem;
use crate::errors::{code, WxError};
use crate::ids::AppId;
use crate::mp::model::MpAccount;
use crate::tokens::Tokens;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything the sandbox knows. New areas add a field with `#[serde(default)]`.
#[derive(Default, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub mp: BTreeMap<AppId, MpAccount>,
    #[serde(default)]
    pub tokens: Tokens,
    #[serde(default)]
    pub work: crate::work::model::WorkState,
    #[serde(default)]
    pub oauth: crate::oauth::model::OAuthState,
    #[serde(default)]
    pub pay: crate::pay::model::PayState,
    /// A counter for ids that must be unique across the sandbox (openids, msg ids, …).
    #[serde(default)]
    pub seq: u64,
}

/// Counts only: the state holds secrets and tokens, which never appear in Debug output.
impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("mp_accounts", &self.mp.len())
            .field("tokens", &self.tokens.len())
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

impl State {
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn mp_account(&self, appid: &AppId) -> Result<&MpAccount, WxError> {
        self.mp
            .get(appid)
            .ok_or_else(|| WxError::new(code::INVALID_APPID))
    }

    pub fn mp_account_mut(&mut self, appid: &AppId) -> Result<&mut MpAccount, WxError> {
        self.mp
            .get_mut(appid)
            .ok_or_else(|| WxError::new(code::INVALID_APPID))
    }

    /// Whether `openid` is a user (following or not) of the Official Account `appid`: the
    /// lookup other areas (pay) make without reaching into the MP data.
    pub fn mp_user_known(&self, appid: &AppId, openid: &str) -> bool {
        self.mp.get(appid).is_some_and(|a| a.user(openid).is_some())
    }

    /// Puts `item` in the inbox of the Official Account user `openid`; false when there is
    /// no such account or user.
    pub fn deliver_to_mp_user(&mut self, appid: &AppId, openid: &str, item: InboxItem) -> bool {
        match self.mp.get_mut(appid).and_then(|a| a.user_mut(openid)) {
            Some(u) => {
                u.inbox.push(item);
                true
            }
            None => false,
        }
    }
}
