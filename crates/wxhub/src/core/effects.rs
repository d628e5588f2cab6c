//! The `Idempotency-Key` claim a request runs under, as the layers that change things see it.
//!
//! `http::idempotency` claims a key, then runs the route inside [`run_claimed`]. Below it:
//! - a store write opens its transaction with `store::sql::WriteTx::begin_write`, which marks
//!   the claim `acted` *in that transaction* — so the mark commits exactly when the change
//!   does, and a claim whose holder stopped is known to have changed something or not;
//! - a call to WeChat first asks [`before_external`], which records (through the
//!   [`ExternalEffects`] the middleware gave) that WeChat may act, before the request leaves.
//!
//! A claim is ambient request context, like a tracing span: carried by a task-local, so the
//! services between the route and the store need not pass it along. Work a route spawns onto
//! another task runs outside the claim.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

/// Whose key, which key, and the instance that holds it.
pub struct Claimed {
    pub scope: String,
    pub key: String,
    pub holder: String,
    effects: Arc<dyn ExternalEffects>,
}

impl Claimed {
    pub fn new(
        scope: String,
        key: String,
        holder: String,
        effects: Arc<dyn ExternalEffects>,
    ) -> Self {
        Claimed {
            scope,
            key,
            holder,
            effects,
        }
    }
}

impl std::fmt::Debug for Claimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claimed")
            .field("scope", &self.scope)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

/// Records that a claimed request is about to reach outside the hub's store.
#[async_trait]
pub trait ExternalEffects: Send + Sync + 'static {
    /// Called before the request leaves; an error stops the call.
    async fn before_external(&self, claim: &Claimed) -> anyhow::Result<()>;
}

/// Why a claimed request's effect could not go ahead.
#[derive(Debug, thiserror::Error)]
pub enum ClaimLost {
    /// The claim is no longer this request's (its holder was presumed stopped): the change
    /// is not made, so the key's first request is not run twice.
    #[error("the Idempotency-Key claim of this request is no longer held by it")]
    NotHeld,
    /// Recording the effect failed.
    #[error("recording the effect of an idempotent request failed")]
    NotRecorded(#[source] anyhow::Error),
}

tokio::task_local! {
    static CLAIMED: Arc<Claimed>;
}

/// Runs `work` under `claim`.
pub async fn run_claimed<F: Future>(claim: Arc<Claimed>, work: F) -> F::Output {
    CLAIMED.scope(claim, work).await
}

/// The claim the current task runs under, if any.
pub fn current() -> Option<Arc<Claimed>> {
    CLAIMED.try_with(Arc::clone).ok()
}

/// Before a side effect outside the store (a WeChat call): records it on the current claim.
/// Without a claim, nothing to do.
pub async fn before_external() -> Result<(), ClaimLost> {
    let Some(claim) = current() else {
        return Ok(());
    };
    claim
        .effects
        .before_external(&claim)
        .await
        .map_err(|e| match e.downcast::<ClaimLost>() {
            Ok(lost) => lost,
            Err(e) => ClaimLost::NotRecorded(e),
        })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[derive(Default)]
    struct Count(AtomicUsize);

    #[async_trait]
    impl ExternalEffects for Count {
        async fn before_external(&self, _claim: &Claimed) -> anyhow::Result<()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_claim_is_seen_only_inside_its_run() {
        let count = Arc::new(Count::default());
        assert!(current().is_none());
        before_external().await.unwrap();
        let claim = Arc::new(Claimed::new(
            "c1".into(),
            "k".into(),
            "host:1".into(),
            count.clone(),
        ));
        run_claimed(claim, async {
            assert_eq!(current().unwrap().key, "k");
            before_external().await.unwrap();
        })
        .await;
        assert!(current().is_none());
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }
}
