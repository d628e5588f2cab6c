//! The idempotency store contract with the claim marks of `core::effects`: a store write made
//! under a claim marks it `acted` in the write's own transaction (rolled back with it); a
//! stopped holder's claim is freed when it had done nothing and unknown when it had; a write
//! under a claim its request no longer holds is refused and writes nothing.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use wxhub::core::effects::{before_external, run_claimed, ClaimLost, Claimed, ExternalEffects};
use wxhub::jobs::model::{InstanceId, JobId, NewJob};
use wxhub::store::idempotency::{Claim, KeyRef};
use wxhub::store::{Store, StoreError};

use super::on_both_backends;

on_both_backends!(
    claim_marks_commit_with_the_change_on_sqlite,
    claim_marks_commit_with_the_change_on_postgres,
    claim_marks_contract
);

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0)
        .single()
        .expect("time")
}

fn job(id: JobId) -> NewJob {
    NewJob {
        id,
        kind: "test".into(),
        owner: None,
        params: json!({}),
        created_at: at(0),
    }
}

/// The middleware's part, played by the store itself.
struct Marks {
    store: Arc<dyn wxhub::store::idempotency::IdempotencyStore>,
    holder: InstanceId,
}

#[async_trait]
impl ExternalEffects for Marks {
    async fn before_external(&self, claim: &Claimed) -> anyhow::Result<()> {
        let key = KeyRef {
            scope: &claim.scope,
            key: &claim.key,
        };
        match self.store.mark_external(key, &self.holder).await? {
            true => Ok(()),
            false => Err(ClaimLost::NotHeld.into()),
        }
    }
}

fn claimed(store: &Store, key: &str, holder: &InstanceId) -> Arc<Claimed> {
    Arc::new(Claimed::new(
        "c1".into(),
        key.into(),
        holder.as_str().into(),
        Arc::new(Marks {
            store: store.idempotency.clone(),
            holder: holder.clone(),
        }),
    ))
}

async fn claim(store: &Store, key: &str, holder: &InstanceId) -> Claim {
    store
        .idempotency
        .claim(
            KeyRef { scope: "c1", key },
            "fp",
            holder,
            at(0),
            at(0) + Duration::hours(24),
        )
        .await
        .expect("claim")
}

async fn release_held_by(store: &Store, holder: &InstanceId) -> u64 {
    store
        .leases
        .iter()
        .find(|l| l.what() == "idempotency claims")
        .expect("idempotency leases")
        .release_held_by(std::slice::from_ref(holder))
        .await
        .expect("release")
}

async fn claim_marks_contract(store: Store) {
    let gone = InstanceId::parse("gone:1").expect("id");
    let other = InstanceId::parse("other:1").expect("id");

    // Nothing done before the holder stopped: the key is free again.
    assert_eq!(claim(&store, "idle", &gone).await, Claim::New);
    assert_eq!(release_held_by(&store, &gone).await, 1);
    assert_eq!(
        claim(&store, "idle", &other).await,
        Claim::New,
        "free again"
    );

    // A change committed under the claim: the holder stopping leaves the outcome unknown.
    assert_eq!(claim(&store, "acted", &gone).await, Claim::New);
    let first = JobId::generate();
    run_claimed(claimed(&store, "acted", &gone), async {
        store
            .jobs
            .insert(&job(first.clone()))
            .await
            .expect("insert");
    })
    .await;
    assert_eq!(claim(&store, "acted", &other).await, Claim::Running);
    assert!(
        !store
            .idempotency
            .release(
                KeyRef {
                    scope: "c1",
                    key: "acted"
                },
                &gone
            )
            .await
            .expect("release"),
        "a claim that acted is not freed by a failure"
    );
    release_held_by(&store, &gone).await;
    assert_eq!(claim(&store, "acted", &other).await, Claim::Unknown);

    // A write that fails rolls its mark back with it: the claim had done nothing.
    assert_eq!(claim(&store, "failed", &gone).await, Claim::New);
    let failed = run_claimed(claimed(&store, "failed", &gone), async {
        store.jobs.insert(&job(first.clone())).await
    })
    .await;
    assert!(
        matches!(failed, Err(StoreError::Conflict { .. })),
        "{failed:?}"
    );
    assert!(store
        .idempotency
        .release(
            KeyRef {
                scope: "c1",
                key: "failed"
            },
            &gone
        )
        .await
        .expect("release"));

    // A claim taken from its request (holder presumed stopped): its write is refused, and
    // nothing is written.
    assert_eq!(claim(&store, "lost", &gone).await, Claim::New);
    let pending = JobId::generate();
    run_claimed(claimed(&store, "lost", &gone), async {
        before_external().await.expect("marked external");
    })
    .await;
    release_held_by(&store, &gone).await;
    let refused = run_claimed(claimed(&store, "lost", &gone), async {
        store.jobs.insert(&job(pending.clone())).await
    })
    .await;
    assert!(
        matches!(refused, Err(StoreError::ClaimLost(_))),
        "{refused:?}"
    );
    assert!(store.jobs.get(&pending).await.expect("get").is_none());
    assert_eq!(claim(&store, "lost", &other).await, Claim::Unknown);
    let external = run_claimed(claimed(&store, "lost", &gone), before_external()).await;
    assert!(matches!(external, Err(ClaimLost::NotHeld)), "{external:?}");
}
