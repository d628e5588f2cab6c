//! The sandbox's whole in-memory state, and the access-token registry shared by every side.
//!
//! One `State` sits behind one mutex in [`crate::Sandbox`]. Methods here are plain,
//! synchronous and quick: callers lock, call, unlock. Anything slow (callbacks, file I/O)
//! happens outside the lock. `State` serialises to JSON for the optional state file.

use crate::errors::{code, WxError};
use crate::ids::{AppId, CorpId};
use crate::mp::account::MpAccount;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Everything the sandbox knows. New areas add a field with `#[serde(default)]`.
#[derive(Default, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub mp: BTreeMap<AppId, MpAccount>,
    #[serde(default)]
    pub tokens: HashMap<String, TokenRecord>,
    #[serde(default)]
    pub work: crate::work::WorkState,
    #[serde(default)]
    pub oauth: crate::oauth::OAuthState,
    #[serde(default)]
    pub pay: crate::pay::PayState,
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

/// Who an access_token belongs to. On paths both sides share (`cgi-bin/user/get`,
/// `cgi-bin/menu/create`, …) this tells which side is being asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "side", rename_all = "snake_case")]
pub enum TokenOwner {
    Mp {
        appid: AppId,
    },
    /// A WeCom token: `agentid` is `None` for the contacts (directory) secret.
    Work {
        corpid: CorpId,
        agentid: Option<u32>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRecord {
    pub owner: TokenOwner,
    /// Natural end of life (issue time + expires_in); past it the token answers 42001.
    pub expires_at: i64,
    /// Set when a newer token replaced this one; from then on it answers 40001.
    pub invalid_from: Option<i64>,
}

/// At most this many tokens of one chain are remembered; older ones answer 40001 as
/// unknown tokens do (which is what WeChat answers for a replaced token anyway).
const CHAIN_KEEP: usize = 4;

impl State {
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Checks a token: missing 41001, unknown or replaced 40001, expired 42001.
    pub fn check_token(&self, token: Option<&str>, now: i64) -> Result<&TokenOwner, WxError> {
        let token = match token {
            Some(t) if !t.is_empty() => t,
            _ => return Err(WxError::new(code::ACCESS_TOKEN_MISSING)),
        };
        let rec = self
            .tokens
            .get(token)
            .ok_or_else(|| WxError::new(code::INVALID_CREDENTIAL))?;
        if rec.invalid_from.is_some_and(|t| now >= t) {
            return Err(WxError::new(code::INVALID_CREDENTIAL));
        }
        if now >= rec.expires_at {
            return Err(WxError::new(code::ACCESS_TOKEN_EXPIRED));
        }
        Ok(&rec.owner)
    }

    /// Mints a token for `owner` at the end of `chain`. Every older token in the chain stays
    /// valid until `old_valid_until` at the latest (WeChat: 5 more minutes for
    /// `cgi-bin/token`; at once for a forced stable-token refresh).
    pub fn mint_token(
        &mut self,
        chain: &mut Vec<String>,
        owner: TokenOwner,
        prefix: &str,
        now: i64,
        ttl: i64,
        old_valid_until: i64,
    ) -> String {
        for old in chain.iter() {
            if let Some(rec) = self.tokens.get_mut(old) {
                let until = rec
                    .invalid_from
                    .map_or(old_valid_until, |t| t.min(old_valid_until));
                rec.invalid_from = Some(until);
            }
        }
        let token = crate::ids::new_access_token(prefix);
        self.tokens.insert(
            token.clone(),
            TokenRecord {
                owner,
                expires_at: now + ttl,
                invalid_from: None,
            },
        );
        chain.push(token.clone());
        while chain.len() > CHAIN_KEEP {
            let dropped = chain.remove(0);
            self.tokens.remove(&dropped);
        }
        token
    }

    /// The newest token of a chain if it is still usable, with its remaining life.
    pub fn current_token(&self, chain: &[String], now: i64) -> Option<(String, i64)> {
        let last = chain.last()?;
        let rec = self.tokens.get(last)?;
        if rec.invalid_from.is_some_and(|t| now >= t) || now >= rec.expires_at {
            return None;
        }
        Some((last.clone(), rec.expires_at - now))
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> TokenOwner {
        TokenOwner::Mp {
            appid: AppId::from("wx1"),
        }
    }

    #[test]
    fn token_answers_missing_invalid_expired() {
        let mut s = State::default();
        let mut chain = Vec::new();
        let t = s.mint_token(&mut chain, owner(), "MP", 1000, 7200, 1000 + 300);
        assert_eq!(
            s.check_token(None, 1000).err().map(|e| e.errcode),
            Some(41001)
        );
        assert_eq!(
            s.check_token(Some("nope"), 1000).err().map(|e| e.errcode),
            Some(40001)
        );
        assert!(s.check_token(Some(&t), 1000).is_ok());
        assert_eq!(
            s.check_token(Some(&t), 8200).err().map(|e| e.errcode),
            Some(42001)
        );
    }

    #[test]
    fn replaced_token_lives_five_more_minutes() {
        let mut s = State::default();
        let mut chain = Vec::new();
        let old = s.mint_token(&mut chain, owner(), "MP", 1000, 7200, 1300);
        let new = s.mint_token(&mut chain, owner(), "MP", 2000, 7200, 2300);
        assert!(s.check_token(Some(&old), 2299).is_ok());
        assert_eq!(
            s.check_token(Some(&old), 2300).err().map(|e| e.errcode),
            Some(40001)
        );
        assert!(s.check_token(Some(&new), 2300).is_ok());
        assert_eq!(s.current_token(&chain, 2300).map(|(t, _)| t), Some(new));
    }

    #[test]
    fn old_chain_entries_are_forgotten() {
        let mut s = State::default();
        let mut chain = Vec::new();
        for i in 0..10 {
            s.mint_token(&mut chain, owner(), "MP", i, 7200, i + 300);
        }
        assert_eq!(chain.len(), CHAIN_KEEP);
        assert_eq!(s.tokens.len(), CHAIN_KEEP);
    }
}
