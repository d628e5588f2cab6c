//! The access-token registry and the tickets: issuing, validating and expiring the
//! credentials every side hands out.
//!
//! One [`Tokens`] registry holds every access_token the sandbox minted, Official Account and
//! WeCom alike, keyed by the token string; the [`TokenOwner`] of a token tells which side a
//! request on a shared path (`cgi-bin/user/get`, `cgi-bin/menu/*`, …) is for. Each credential
//! (an AppSecret, a stable-token chain, a WeCom app or contacts secret) keeps its own *chain*
//! of token strings, newest last, in its area's data; the registry keeps the records.
//! A [`Ticket`] (JS-SDK `jsapi_ticket`, `wx_card`, WeCom `agent_config`) lives in its owner's
//! data and is issued and expired by the functions here.
//!
//! Pure and synchronous: no clock of its own (callers pass `now`), no I/O.

use crate::errors::{code, WxError};
use crate::ids::{AppId, CorpId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
pub const CHAIN_KEEP: usize = 4;

/// Every live (or recently replaced) access_token, by its string. Serialises as a plain map,
/// the state file's `tokens` object.
#[derive(Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tokens(HashMap<String, TokenRecord>);

/// Counts only: token strings never appear in Debug output.
impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("len", &self.0.len())
            .finish_non_exhaustive()
    }
}

impl Tokens {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks a token: missing 41001, unknown or replaced 40001, expired 42001.
    pub fn check(&self, token: Option<&str>, now: i64) -> Result<&TokenOwner, WxError> {
        let token = match token {
            Some(t) if !t.is_empty() => t,
            _ => return Err(WxError::new(code::ACCESS_TOKEN_MISSING)),
        };
        let rec = self
            .0
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
    pub fn mint(
        &mut self,
        chain: &mut Vec<String>,
        owner: TokenOwner,
        prefix: &str,
        now: i64,
        ttl: i64,
        old_valid_until: i64,
    ) -> String {
        for old in chain.iter() {
            if let Some(rec) = self.0.get_mut(old) {
                let until = rec
                    .invalid_from
                    .map_or(old_valid_until, |t| t.min(old_valid_until));
                rec.invalid_from = Some(until);
            }
        }
        let token = crate::ids::new_access_token(prefix);
        self.0.insert(
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
            self.0.remove(&dropped);
        }
        token
    }

    /// The newest token of a chain if it is still usable, with its remaining life.
    pub fn current(&self, chain: &[String], now: i64) -> Option<(String, i64)> {
        let last = chain.last()?;
        let rec = self.0.get(last)?;
        if rec.invalid_from.is_some_and(|t| now >= t) || now >= rec.expires_at {
            return None;
        }
        Some((last.clone(), rec.expires_at - now))
    }
}

/// A ticket (`jsapi_ticket`, `wx_card`, WeCom `agent_config`): one value, the same on every
/// call until it expires.
#[derive(Clone, Serialize, Deserialize)]
pub struct Ticket {
    pub ticket: String,
    pub expires_at: i64,
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Ticket {
    /// The ticket's value and remaining life, while it lives.
    pub fn live(&self, now: i64) -> Option<(String, i64)> {
        (self.expires_at > now).then(|| (self.ticket.clone(), self.expires_at - now))
    }
}

/// The ticket in `slot` while it lives, else a new one made by `fresh`, valid `ttl` seconds.
/// Returns the value and its remaining life.
pub fn current_ticket(
    slot: &mut Option<Ticket>,
    now: i64,
    ttl: i64,
    fresh: impl FnOnce() -> String,
) -> (String, i64) {
    if let Some(live) = slot.as_ref().and_then(|t| t.live(now)) {
        return live;
    }
    let ticket = fresh();
    *slot = Some(Ticket {
        ticket: ticket.clone(),
        expires_at: now + ttl,
    });
    (ticket, ttl)
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
        let mut s = Tokens::default();
        let mut chain = Vec::new();
        let t = s.mint(&mut chain, owner(), "MP", 1000, 7200, 1000 + 300);
        assert_eq!(s.check(None, 1000).err().map(|e| e.errcode), Some(41001));
        assert_eq!(
            s.check(Some("nope"), 1000).err().map(|e| e.errcode),
            Some(40001)
        );
        assert!(s.check(Some(&t), 1000).is_ok());
        assert_eq!(
            s.check(Some(&t), 8200).err().map(|e| e.errcode),
            Some(42001)
        );
    }

    #[test]
    fn replaced_token_lives_five_more_minutes() {
        let mut s = Tokens::default();
        let mut chain = Vec::new();
        let old = s.mint(&mut chain, owner(), "MP", 1000, 7200, 1300);
        let new = s.mint(&mut chain, owner(), "MP", 2000, 7200, 2300);
        assert!(s.check(Some(&old), 2299).is_ok());
        assert_eq!(
            s.check(Some(&old), 2300).err().map(|e| e.errcode),
            Some(40001)
        );
        assert!(s.check(Some(&new), 2300).is_ok());
        assert_eq!(s.current(&chain, 2300).map(|(t, _)| t), Some(new));
    }

    #[test]
    fn old_chain_entries_are_forgotten() {
        let mut s = Tokens::default();
        let mut chain = Vec::new();
        for i in 0..10 {
            s.mint(&mut chain, owner(), "MP", i, 7200, i + 300);
        }
        assert_eq!(chain.len(), CHAIN_KEEP);
        assert_eq!(s.len(), CHAIN_KEEP);
    }

    #[test]
    fn ticket_is_reused_until_it_expires() {
        let mut slot = None;
        let (a, left) = current_ticket(&mut slot, 1000, 7200, || "t1".into());
        assert_eq!((a.as_str(), left), ("t1", 7200));
        let (b, left) = current_ticket(&mut slot, 8199, 7200, || "t2".into());
        assert_eq!((b.as_str(), left), ("t1", 1));
        let (c, _) = current_ticket(&mut slot, 8200, 7200, || "t3".into());
        assert_eq!(c, "t3");
    }
}
