//! The `AccountStore` contract.

use chrono::{Duration, SubsecRound, Utc};
use wxhub::accounts::model::{AccountApp, AccountId, AgentId, AppId, CallbackMode, CorpId};
use wxhub::store::accounts::AccountRecord;
use wxhub::store::{Store, StoreError};

use super::on_both_backends;

fn mp(id: &str, appid: &str) -> AccountRecord {
    let now = Utc::now().trunc_subsecs(3);
    AccountRecord {
        id: AccountId::parse(id).expect("id"),
        app: AccountApp::Mp {
            appid: AppId::parse(appid).expect("appid"),
        },
        name: Some("名称".into()),
        original_id: Some("gh_abc".into()),
        logo_url: None,
        mode: CallbackMode::Safe,
        api_base: "https://api.weixin.qq.com".into(),
        secret_sealed: "v1.sealed-secret".into(),
        callback_token_sealed: Some("v1.sealed-token".into()),
        encoding_aes_key_sealed: None,
        contacts_secret_sealed: None,
        wechat_rate_limit: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

fn work(id: &str, corpid: &str, agentid: i64) -> AccountRecord {
    AccountRecord {
        app: AccountApp::Work {
            corpid: CorpId::parse(corpid).expect("corpid"),
            agentid: AgentId::new(agentid).expect("agentid"),
        },
        contacts_secret_sealed: Some("v1.contacts".into()),
        wechat_rate_limit: None,
        ..mp(id, "unused")
    }
}

fn conflict_key(r: Result<(), StoreError>) -> &'static str {
    match r {
        Err(StoreError::Conflict { what }) => what,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn account_store_contract(store: Store) {
    let accounts = store.accounts.clone();
    let a = mp("b-account", "wxb");
    accounts.insert(&a).await.expect("insert");
    assert_eq!(accounts.get(&a.id).await.expect("get"), Some(a.clone()));
    assert_eq!(
        accounts
            .get(&AccountId::parse("nope").expect("id"))
            .await
            .expect("get"),
        None
    );

    assert_eq!(
        conflict_key(accounts.insert(&mp("b-account", "wxother")).await),
        "id"
    );
    assert_eq!(
        conflict_key(accounts.insert(&mp("c-account", "wxb")).await),
        "appid"
    );

    let w = work("a-work", "wwcorp", 1000002);
    accounts.insert(&w).await.expect("insert work");
    assert_eq!(accounts.get(&w.id).await.expect("get"), Some(w.clone()));
    assert_eq!(
        conflict_key(accounts.insert(&work("z-work", "wwcorp", 1000002)).await),
        "agentid"
    );
    accounts
        .insert(&work("d-work", "wwcorp", 1000003))
        .await
        .expect("another agent of the corp");
    assert_eq!(accounts.count().await.expect("count"), 3);

    let ids = |v: Vec<AccountRecord>| v.into_iter().map(|r| r.id.to_string()).collect::<Vec<_>>();
    assert_eq!(
        ids(accounts.list(None, 10).await.expect("list")),
        ["a-work", "b-account", "d-work"]
    );
    assert_eq!(
        ids(accounts.list(None, 2).await.expect("list")),
        ["a-work", "b-account"]
    );
    assert_eq!(
        ids(accounts.list(Some(&w.id), 10).await.expect("list")),
        ["b-account", "d-work"]
    );

    let mut changed = a.clone();
    changed.name = None;
    changed.secret_sealed = "v1.rotated".into();
    changed.wechat_rate_limit =
        Some(wxhub::core::RateLimit::new(5, 20, ("per_second", "burst")).expect("limit"));
    changed.version = 2;
    changed.updated_at = a.updated_at + Duration::seconds(5);
    assert!(accounts.update(&changed, 1).await.expect("update"));
    assert_eq!(
        accounts.get(&a.id).await.expect("get"),
        Some(changed.clone())
    );
    // A stale version changes nothing.
    let mut stale = changed.clone();
    stale.name = Some("stale".into());
    stale.version = 3;
    assert!(!accounts.update(&stale, 1).await.expect("stale update"));
    assert_eq!(accounts.get(&a.id).await.expect("get"), Some(changed));

    assert!(accounts.delete(&a.id).await.expect("delete"));
    assert!(!accounts.delete(&a.id).await.expect("delete again"));
    assert_eq!(accounts.count().await.expect("count"), 2);
}

on_both_backends!(
    account_store_on_sqlite,
    account_store_on_postgres,
    account_store_contract
);
