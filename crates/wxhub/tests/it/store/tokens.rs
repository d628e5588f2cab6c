//! The token store contract: fenced writes, compare-and-expire, the due list, long values.

use chrono::{TimeZone, Utc};
use wxhub::store::tokens::StoredToken;
use wxhub::store::Store;

use super::on_both_backends;

on_both_backends!(
    token_store_keeps_the_contract_on_sqlite,
    token_store_keeps_the_contract_on_postgres,
    token_store_contract
);

fn row(key: &str, value: &str, fence: u64, at_secs: i64) -> StoredToken {
    let at = Utc
        .timestamp_opt(1_800_000_000 + at_secs, 0)
        .single()
        .expect("time");
    StoredToken {
        cache_key: key.into(),
        account_id: "demo-mp".into(),
        kind: "access_token".into(),
        value: value.into(),
        expires_at: at + chrono::Duration::seconds(7200),
        refresh_at: at + chrono::Duration::seconds(6900),
        fetched_at: at,
        fence,
    }
}

pub async fn token_store_contract(store: Store) {
    let store = store.tokens.as_ref();
    assert_eq!(store.get("p:mp:wx1:access_token").await.expect("get"), None);

    // long values fit (WeChat asks for at least 512 characters)
    let long = "x".repeat(2048);
    let first = row("p:mp:wx1:access_token", &long, 10, 0);
    assert!(store.put_fenced(&first).await.expect("put"));
    assert_eq!(
        store.get("p:mp:wx1:access_token").await.expect("get"),
        Some(first.clone())
    );

    // fenced: an older write never replaces a newer one; equal or newer does
    let newer = row("p:mp:wx1:access_token", "tok-new", 20, 60);
    assert!(store.put_fenced(&newer).await.expect("put"));
    assert!(!store.put_fenced(&first).await.expect("put"));
    assert_eq!(
        store.get("p:mp:wx1:access_token").await.expect("get"),
        Some(newer.clone())
    );

    // compare-and-expire
    assert!(!store
        .expire_if("p:mp:wx1:access_token", &long)
        .await
        .expect("expire"));
    assert!(store
        .expire_if("p:mp:wx1:access_token", "tok-new")
        .await
        .expect("expire"));
    let expired = store
        .get("p:mp:wx1:access_token")
        .await
        .expect("get")
        .expect("kept");
    let epoch = Utc.timestamp_opt(0, 0).single().expect("epoch");
    assert!(expired.expires_at <= epoch);
    assert!(expired.refresh_at <= epoch, "an expired row is due at once");
    assert_eq!(expired.fence, 20, "the fence survives expiry");
    assert!(!store.put_fenced(&first).await.expect("put"));

    // due list: valid rows past refresh_at, soonest first
    let a = row("p:mp:wxa:access_token", "a", 1, 0);
    let b = row("p:mp:wxb:access_token", "b", 1, 100);
    let c = row("p:mp:wxc:access_token", "c", 1, 5000);
    for r in [&a, &b, &c] {
        assert!(store.put_fenced(r).await.expect("put"));
    }
    let now = a.refresh_at + chrono::Duration::seconds(200);
    let due = store.list_due(now, now, 10).await.expect("due");
    let keys: Vec<&str> = due.iter().map(|r| r.cache_key.as_str()).collect();
    assert_eq!(keys, vec!["p:mp:wxa:access_token", "p:mp:wxb:access_token"]);
    assert_eq!(store.list_due(now, now, 1).await.expect("due").len(), 1);

    let mut other = row("p:work:ww1:1000002:access_token", "w", 1, 0);
    other.account_id = "demo-work".into();
    assert!(store.put_fenced(&other).await.expect("put"));
    assert_eq!(store.delete_account("demo-mp").await.expect("delete"), 4);
    assert_eq!(store.get("p:mp:wxa:access_token").await.expect("get"), None);
    assert!(store
        .get("p:work:ww1:1000002:access_token")
        .await
        .expect("get")
        .is_some());
}
