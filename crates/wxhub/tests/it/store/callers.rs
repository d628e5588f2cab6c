//! The `CallerStore` contract.

use std::collections::BTreeSet;

use chrono::{Duration, SubsecRound, Utc};
use wxhub::accounts::model::{AccountApp, AccountId, AppId, CallbackMode};
use wxhub::callers::model::{Caller, ClientId, QrSource, Scope, SystemId};
use wxhub::core::RateLimit;
use wxhub::store::accounts::AccountRecord;
use wxhub::store::callers::CallerRecord;
use wxhub::store::{Store, StoreError};

use super::on_both_backends;

pub(crate) async fn add_account(store: &Store, id: &str) -> AccountId {
    let now = Utc::now().trunc_subsecs(3);
    let record = AccountRecord {
        id: AccountId::parse(id).expect("id"),
        app: AccountApp::Mp {
            appid: AppId::parse(&format!("wx{}", id.replace('-', ""))).expect("appid"),
        },
        name: None,
        original_id: None,
        logo_url: None,
        mode: CallbackMode::Plaintext,
        api_base: "https://api.weixin.qq.com".into(),
        secret_sealed: "v1.x".into(),
        callback_token_sealed: None,
        encoding_aes_key_sealed: None,
        contacts_secret_sealed: None,
        wechat_rate_limit: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store.accounts.insert(&record).await.expect("account");
    record.id
}

pub(crate) fn caller(
    system_id: &str,
    accounts: &[&AccountId],
    qr_source: Option<i64>,
) -> CallerRecord {
    CallerRecord {
        caller: Caller {
            client_id: ClientId::generate(),
            system_id: SystemId::parse(system_id).expect("system id"),
            name: format!("{system_id} 系统"),
            accounts: accounts.iter().map(|a| (*a).clone()).collect(),
            scopes: BTreeSet::from([Scope::Tokens, Scope::Events]),
            qr_source: qr_source.map(|q| QrSource::new(q).expect("source")),
            rsa_public_key: Some(
                "-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----".into(),
            ),
            redirect_domains: vec!["example.com".into()],
            jssdk_domains: vec!["*.example.com".into()],
            created_at: Utc::now().trunc_subsecs(3),
            rate_limit: None,
        },
        secret_hash: "ab".repeat(32),
    }
}

fn conflict_key(r: Result<(), StoreError>) -> &'static str {
    match r {
        Err(StoreError::Conflict { what }) => what,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn caller_store_contract(store: Store) {
    let callers = store.callers.clone();
    let a = add_account(&store, "acc-a").await;
    let b = add_account(&store, "acc-b").await;

    let one = caller("one", &[&a, &b], Some(3));
    callers.insert(&one).await.expect("insert");
    assert_eq!(
        callers.get(&one.caller.client_id).await.expect("get"),
        Some(one.clone())
    );
    assert_eq!(callers.get(&ClientId::generate()).await.expect("get"), None);

    assert_eq!(
        conflict_key(callers.insert(&caller("one", &[], None)).await),
        "system_id"
    );
    assert_eq!(
        conflict_key(callers.insert(&caller("two", &[&b], Some(3))).await),
        "qr_source"
    );
    // The refused insert left no partial grant behind.
    assert_eq!(callers.list(None, 10).await.expect("list").len(), 1);
    let two = caller("two", &[&b], Some(4));
    callers.insert(&two).await.expect("other source");
    let three = caller("three", &[&a], None);
    callers.insert(&three).await.expect("no source");
    let four = caller("four", &[&a], None);
    callers
        .insert(&four)
        .await
        .expect("two callers without a source");

    let ghost = AccountId::parse("ghost").expect("id");
    assert!(matches!(
        callers.insert(&caller("five", &[&ghost], None)).await,
        Err(StoreError::MissingReference)
    ));

    let all = callers.list(None, 10).await.expect("list");
    assert_eq!(all.len(), 4);
    let first_two = callers.list(None, 2).await.expect("list");
    let rest = callers
        .list(Some(&first_two[1].caller.client_id), 10)
        .await
        .expect("list");
    assert_eq!(first_two.len() + rest.len(), 4);
    assert_eq!(first_two[0], all[0]);
    assert_eq!(rest[0], all[2]);

    // Tokens.
    let now = Utc::now().trunc_subsecs(3);
    callers
        .insert_token(
            "hash-valid",
            &one.caller.client_id,
            now + Duration::hours(2),
        )
        .await
        .expect("token");
    callers
        .insert_token(
            "hash-expired",
            &one.caller.client_id,
            now - Duration::seconds(1),
        )
        .await
        .expect("token");
    let owner = callers
        .find_by_token("hash-valid", now)
        .await
        .expect("find")
        .expect("valid token found");
    assert_eq!(owner.record, one);
    assert_eq!(owner.expires_at, now + Duration::hours(2));
    assert_eq!(
        callers
            .find_by_token("hash-expired", now)
            .await
            .expect("find"),
        None
    );
    assert_eq!(
        callers
            .find_by_token("hash-unknown", now)
            .await
            .expect("find"),
        None
    );
    assert_eq!(callers.purge_expired_tokens(now).await.expect("purge"), 1);
    assert_eq!(callers.purge_expired_tokens(now).await.expect("purge"), 0);

    // Removing an account removes the grants to it.
    assert!(store.accounts.delete(&b).await.expect("delete account"));
    let reread = callers
        .get(&one.caller.client_id)
        .await
        .expect("get")
        .expect("still there");
    assert_eq!(reread.caller.accounts, BTreeSet::from([a.clone()]));

    // Removing a caller removes its tokens.
    assert!(callers.delete(&one.caller.client_id).await.expect("delete"));
    assert!(!callers
        .delete(&one.caller.client_id)
        .await
        .expect("delete again"));
    assert_eq!(
        callers
            .find_by_token("hash-valid", now)
            .await
            .expect("find"),
        None
    );
}

/// A caller's own rate limit: set, read back with the caller, reset, and only for callers
/// that exist.
async fn caller_rate_limit_contract(store: Store) {
    let callers = store.callers.clone();
    let a = add_account(&store, "acc-a").await;
    let one = caller("one", &[&a], None);
    callers.insert(&one).await.expect("insert");
    let id = &one.caller.client_id;
    assert_eq!(
        callers
            .get(id)
            .await
            .expect("get")
            .map(|r| r.caller.rate_limit),
        Some(None),
        "a new caller has no limit of its own"
    );

    let limit = RateLimit::new(2, 7, ("per_second", "burst")).expect("limit");
    assert!(callers.set_rate_limit(id, Some(limit)).await.expect("set"));
    let stored = callers.get(id).await.expect("get").expect("present");
    assert_eq!(stored.caller.rate_limit, Some(limit));
    let mut expected = one.clone();
    expected.caller.rate_limit = Some(limit);
    assert_eq!(stored, expected, "nothing else changed");
    // Bearer lookups carry it too.
    callers
        .insert_token("hash-rl", id, Utc::now() + Duration::hours(1))
        .await
        .expect("token");
    let owner = callers
        .find_by_token("hash-rl", Utc::now())
        .await
        .expect("find")
        .expect("owner");
    assert_eq!(owner.record.caller.rate_limit, Some(limit));
    let listed = callers.list(None, 10).await.expect("list");
    assert_eq!(listed[0].caller.rate_limit, Some(limit));

    assert!(callers.set_rate_limit(id, None).await.expect("reset"));
    assert_eq!(
        callers
            .get(id)
            .await
            .expect("get")
            .map(|r| r.caller.rate_limit),
        Some(None)
    );
    assert!(!callers
        .set_rate_limit(&ClientId::generate(), Some(limit))
        .await
        .expect("unknown caller"));
}

on_both_backends!(
    caller_rate_limit_on_sqlite,
    caller_rate_limit_on_postgres,
    caller_rate_limit_contract
);

on_both_backends!(
    caller_store_on_sqlite,
    caller_store_on_postgres,
    caller_store_contract
);
