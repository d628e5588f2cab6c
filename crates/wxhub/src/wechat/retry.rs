//! The one rule for every WeChat call made with an access_token: when WeChat rejects the
//! token (40001, 42001, 40014), expire it only if it is still the cached one
//! (compare-and-expire), fetch the current token and retry exactly once. Never a loop.

use std::future::Future;

use async_trait::async_trait;

use super::error::WeChatError;
use crate::cache::TokenValue;

/// The access_token of one account, as the token centre hands it out.
#[async_trait]
pub trait TokenHandle: Send + Sync {
    type Error: Send;
    /// The current token (fetching one if needed).
    async fn token(&self) -> Result<TokenValue, Self::Error>;
    /// Expire the cached token if it is still `rejected`. `false` when the next read would
    /// yield the same token (it was expired moments ago): the call is then not repeated.
    async fn expire_if(&self, rejected: &TokenValue) -> bool;
}

/// Whether a call's error means "WeChat refused this access_token".
pub trait RejectsToken {
    fn rejects_token(&self) -> bool;
}

impl RejectsToken for WeChatError {
    fn rejects_token(&self) -> bool {
        WeChatError::rejects_token(self)
    }
}

/// Why a token-carrying call failed: getting the token, or the call itself.
#[derive(Debug, thiserror::Error)]
pub enum RetryError<T, C> {
    #[error("getting the access token failed")]
    Token(T),
    #[error("the wechat call failed")]
    Call(C),
}

/// Runs `call` with the account's token; on a token rejection, compare-and-expires it and
/// runs `call` once more with the new token. The second answer is final.
pub async fn with_token_retry<H, T, E, F, Fut>(
    handle: &H,
    mut call: F,
) -> Result<T, RetryError<H::Error, E>>
where
    H: TokenHandle + ?Sized,
    E: RejectsToken,
    F: FnMut(TokenValue) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let token = handle.token().await.map_err(RetryError::Token)?;
    match call(token.clone()).await {
        Err(err) if err.rejects_token() => {
            metrics::counter!("wxhub_wechat_token_rejections_total").increment(1);
            if !handle.expire_if(&token).await {
                return Err(RetryError::Call(err));
            }
            let fresh = handle.token().await.map_err(RetryError::Token)?;
            call(fresh).await.map_err(RetryError::Call)
        }
        other => other.map_err(RetryError::Call),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    use super::*;

    /// A token centre with one slot: `expire_if` replaces the token with the next one.
    struct FakeTokens {
        current: Mutex<u32>,
        expiries: AtomicUsize,
        /// Acts like a token expired moments ago: `expire_if` keeps it.
        keep: std::sync::atomic::AtomicBool,
    }

    #[async_trait]
    impl TokenHandle for FakeTokens {
        type Error = ();
        async fn token(&self) -> Result<TokenValue, ()> {
            let n = *self.current.lock().map_err(|_| ())?;
            Ok(TokenValue::new(format!("tok{n}")))
        }
        async fn expire_if(&self, rejected: &TokenValue) -> bool {
            self.expiries.fetch_add(1, Ordering::SeqCst);
            if self.keep.load(Ordering::SeqCst) {
                return false;
            }
            let mut n = self.current.lock().expect("lock");
            if *rejected == TokenValue::new(format!("tok{n}")) {
                *n += 1;
            }
            true
        }
    }

    fn fake() -> FakeTokens {
        FakeTokens {
            current: Mutex::new(1),
            expiries: AtomicUsize::new(0),
            keep: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn api(errcode: i64) -> WeChatError {
        WeChatError::Api {
            errcode,
            errmsg: "e".into(),
        }
    }

    #[tokio::test]
    async fn a_rejected_token_is_expired_and_the_call_retried_once_with_the_new_token() {
        let tokens = fake();
        let seen = Mutex::new(Vec::new());
        let result = with_token_retry(&tokens, |t| {
            seen.lock().expect("lock").push(t.expose().to_owned());
            let ok = t.expose() == "tok2";
            async move {
                if ok {
                    Ok(7)
                } else {
                    Err(api(40001))
                }
            }
        })
        .await;
        assert_eq!(result.ok(), Some(7));
        assert_eq!(*seen.lock().expect("lock"), vec!["tok1", "tok2"]);
        assert_eq!(tokens.expiries.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_second_rejection_is_returned_not_retried_again() {
        let tokens = fake();
        let calls = AtomicUsize::new(0);
        let result: Result<(), _> = with_token_retry(&tokens, |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(api(42001)) }
        })
        .await;
        assert!(matches!(result, Err(RetryError::Call(e)) if e.errcode() == Some(42001)));
        assert_eq!(calls.load(Ordering::SeqCst), 2, "exactly one retry");
    }

    #[tokio::test]
    async fn a_token_expired_moments_ago_is_not_retried_with() {
        let tokens = fake();
        tokens.keep.store(true, Ordering::SeqCst);
        let calls = AtomicUsize::new(0);
        let result: Result<(), _> = with_token_retry(&tokens, |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(api(40001)) }
        })
        .await;
        assert!(matches!(result, Err(RetryError::Call(e)) if e.errcode() == Some(40001)));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "the same token would fail again"
        );
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        for err in [api(45009), api(-1), WeChatError::Status(502)] {
            let tokens = fake();
            let calls = AtomicUsize::new(0);
            let result: Result<(), _> = with_token_retry(&tokens, |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                let err = err.clone();
                async move { Err(err) }
            })
            .await;
            assert!(result.is_err());
            assert_eq!(calls.load(Ordering::SeqCst), 1);
            assert_eq!(tokens.expiries.load(Ordering::SeqCst), 0);
        }
    }
}
