//! The `ProxyTokenStore` contract: tokens by hash, for one account, until they expire, gone
//! with their caller or account.

use chrono::{Duration, SubsecRound, Utc};
use wxhub::store::proxy_tokens::ProxyGrant;
use wxhub::store::Store;

use super::callers::{add_account, caller};
use super::on_both_backends;

on_both_backends!(
    proxy_token_store_keeps_the_contract_on_sqlite,
    proxy_token_store_keeps_the_contract_on_postgres,
    proxy_token_store_contract
);

async fn proxy_token_store_contract(store: Store) {
    let a = add_account(&store, "acc-a").await;
    let b = add_account(&store, "acc-b").await;
    let owner = caller("legacy", &[&a, &b], None);
    store.callers.insert(&owner).await.expect("caller");
    let tokens = store.proxy_tokens.as_ref();
    let now = Utc::now().trunc_subsecs(3);
    let grant = ProxyGrant {
        client_id: owner.caller.client_id.clone(),
        account: a.clone(),
        expires_at: now + Duration::seconds(7200),
    };
    tokens.insert("hash-1", &grant).await.expect("insert");
    assert!(
        tokens.insert("hash-1", &grant).await.is_err(),
        "one row per token"
    );
    assert_eq!(
        tokens.find("hash-1", now).await.expect("find"),
        Some(grant.clone())
    );
    assert_eq!(tokens.find("hash-2", now).await.expect("find"), None);
    let later = now + Duration::seconds(7200);
    assert_eq!(
        tokens.find("hash-1", later).await.expect("find"),
        None,
        "expired"
    );

    let for_b = ProxyGrant {
        account: b.clone(),
        ..grant.clone()
    };
    tokens.insert("hash-b", &for_b).await.expect("insert");
    let short = ProxyGrant {
        expires_at: now + Duration::seconds(10),
        ..grant.clone()
    };
    tokens.insert("hash-short", &short).await.expect("insert");
    assert_eq!(
        tokens
            .purge_expired(now + Duration::seconds(10))
            .await
            .expect("purge"),
        1
    );
    assert!(tokens.find("hash-1", now).await.expect("find").is_some());

    // An account's tokens go with it; a caller's with it.
    store.accounts.delete(&b).await.expect("delete account");
    assert_eq!(tokens.find("hash-b", now).await.expect("find"), None);
    store
        .callers
        .delete(&owner.caller.client_id)
        .await
        .expect("delete caller");
    assert_eq!(tokens.find("hash-1", now).await.expect("find"), None);
}
