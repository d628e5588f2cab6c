//! The follower store's list and settings contract, on SQLite and PostgreSQL.

use chrono::{DateTime, Utc};
use wxhub::accounts::model::AccountId;
use wxhub::identity::model::FollowerChange;
use wxhub::store::followers::FollowerFilter;
use wxhub::store::Store;

use super::on_both_backends;

fn account(id: &str) -> AccountId {
    AccountId::parse(id).expect("account id")
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_768_464_000_000 + ms).expect("time")
}

fn followed(acct: &str, openid: &str, ms: i64) -> FollowerChange {
    FollowerChange::Followed {
        account: account(acct),
        openid: openid.into(),
        at: at(ms),
        scene: "qr_scene".into(),
        qr_source: Some(5),
        qr_scene: Some(format!("scene-{openid}")),
    }
}

fn unfollowed(acct: &str, openid: &str, ms: i64) -> FollowerChange {
    FollowerChange::Unfollowed {
        account: account(acct),
        openid: openid.into(),
        at: at(ms),
    }
}

async fn openids(store: &Store, acct: &str, filter: FollowerFilter, limit: u32) -> Vec<String> {
    store
        .followers
        .list(&account(acct), &filter, limit)
        .await
        .expect("list")
        .into_iter()
        .map(|f| f.openid)
        .collect()
}

async fn followers_are_listed_by_openid_per_account_and_state(store: Store) {
    store
        .followers
        .apply(&[
            followed("acct-a", "o3", 1),
            followed("acct-a", "o1", 2),
            followed("acct-a", "o2", 3),
            unfollowed("acct-a", "o2", 4),
            unfollowed("acct-a", "o4", 5),
            followed("acct-b", "o0", 6),
        ])
        .await
        .expect("apply");

    let all = store
        .followers
        .list(&account("acct-a"), &FollowerFilter::default(), 10)
        .await
        .expect("list");
    let ids: Vec<&str> = all.iter().map(|f| f.openid.as_str()).collect();
    assert_eq!(
        ids,
        ["o1", "o2", "o3", "o4"],
        "openid order, one account only"
    );
    let got = store
        .followers
        .get(&account("acct-a"), "o2")
        .await
        .expect("get")
        .expect("o2");
    assert_eq!(all[1], got, "a listed follower reads like get");
    assert!(!got.subscribed);
    assert_eq!(got.account, account("acct-a"));
    assert_eq!(got.scene.as_deref(), Some("qr_scene"));
    assert_eq!(got.qr_source, Some(5));
    assert_eq!(got.qr_scene.as_deref(), Some("scene-o2"));
    assert_eq!(got.subscribed_at, Some(at(3)));
    assert_eq!(got.unsubscribed_at, Some(at(4)));
    assert!(all[0].subscribed && all[0].unsubscribed_at.is_none());

    let subscribed = |on| FollowerFilter {
        subscribed: Some(on),
        after_openid: None,
    };
    assert_eq!(
        openids(&store, "acct-a", subscribed(true), 10).await,
        ["o1", "o3"]
    );
    assert_eq!(
        openids(&store, "acct-a", subscribed(false), 10).await,
        ["o2", "o4"]
    );
    assert_eq!(
        openids(&store, "acct-b", subscribed(false), 10).await,
        Vec::<String>::new()
    );
    assert_eq!(
        openids(&store, "acct-c", FollowerFilter::default(), 10).await,
        Vec::<String>::new()
    );

    // Paging: each page starts after the last openid of the one before.
    let after = |openid: &str, on: Option<bool>| FollowerFilter {
        subscribed: on,
        after_openid: Some(openid.into()),
    };
    assert_eq!(
        openids(&store, "acct-a", FollowerFilter::default(), 2).await,
        ["o1", "o2"]
    );
    assert_eq!(
        openids(&store, "acct-a", after("o2", None), 2).await,
        ["o3", "o4"]
    );
    assert_eq!(
        openids(&store, "acct-a", after("o4", None), 2).await,
        Vec::<String>::new()
    );
    assert_eq!(
        openids(&store, "acct-a", after("o1", Some(true)), 2).await,
        ["o3"]
    );
    assert_eq!(
        openids(&store, "acct-a", after("o", Some(false)), 1).await,
        ["o2"]
    );
}
on_both_backends!(
    follower_list_on_sqlite,
    follower_list_on_postgres,
    followers_are_listed_by_openid_per_account_and_state
);

async fn unfollow_unbinds_is_per_account_and_can_be_turned_off_again(store: Store) {
    let (a, b) = (account("acct-a"), account("acct-b"));
    store
        .followers
        .set_unfollow_unbinds(&a, true)
        .await
        .expect("set");
    assert!(store.followers.unfollow_unbinds(&a).await.expect("a"));
    assert!(!store.followers.unfollow_unbinds(&b).await.expect("b"));
    store
        .followers
        .set_unfollow_unbinds(&a, false)
        .await
        .expect("unset");
    assert!(!store.followers.unfollow_unbinds(&a).await.expect("a off"));
}
on_both_backends!(
    unfollow_unbinds_on_sqlite,
    unfollow_unbinds_on_postgres,
    unfollow_unbinds_is_per_account_and_can_be_turned_off_again
);
