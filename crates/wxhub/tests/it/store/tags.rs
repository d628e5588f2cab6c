//! The `TagStore` contract, on SQLite and PostgreSQL: an account's copy of its tags is
//! absent until a sync, replaced whole by each one, never by a sync older than the one
//! stored, and gone with its account.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use wxhub::store::Store;
use wxhub::tags::model::{Tag, TagId};

use super::callers::add_account;
use super::on_both_backends;

on_both_backends!(
    tag_copies_are_replaced_by_newer_syncs_only_on_sqlite,
    tag_copies_are_replaced_by_newer_syncs_only_on_postgres,
    tag_copies_are_replaced_by_newer_syncs_only
);

fn tag(id: i64, name: &str, followers: u64) -> Tag {
    Tag {
        id: TagId::new(id).expect("id"),
        name: name.into(),
        followers,
    }
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

async fn tag_copies_are_replaced_by_newer_syncs_only(store: Store) {
    let account = add_account(&store, "acc-tags").await;
    let other = add_account(&store, "acc-other").await;
    assert_eq!(store.tags.list(&account).await.expect("list"), None);

    let first = now();
    let tags = [
        tag(134, "广东", 5),
        tag(2, "星标组", 0),
        tag(4_000_000_000, "big", 200_000),
    ];
    assert!(store
        .tags
        .replace(&account, &tags, first)
        .await
        .expect("stored"));
    let listed = store
        .tags
        .list(&account)
        .await
        .expect("list")
        .expect("synced");
    assert_eq!(listed.synced_at, first);
    assert_eq!(
        listed.tags,
        [
            tag(2, "星标组", 0),
            tag(134, "广东", 5),
            tag(4_000_000_000, "big", 200_000)
        ],
        "in id order"
    );
    assert_eq!(store.tags.list(&other).await.expect("list"), None);

    let later = first + Duration::seconds(5);
    assert!(store
        .tags
        .replace(&account, &[tag(2, "星标组", 1)], later)
        .await
        .expect("stored"));
    // A sync that read WeChat before the stored one leaves it be.
    assert!(!store
        .tags
        .replace(&account, &[tag(9, "stale", 0)], first)
        .await
        .expect("refused"));
    let listed = store
        .tags
        .list(&account)
        .await
        .expect("list")
        .expect("synced");
    assert_eq!(listed.tags, [tag(2, "星标组", 1)]);
    assert_eq!(listed.synced_at, later);
    // An empty list is a sync too.
    let latest = later + Duration::seconds(1);
    assert!(store
        .tags
        .replace(&account, &[], latest)
        .await
        .expect("stored"));
    assert_eq!(
        store
            .tags
            .list(&account)
            .await
            .expect("list")
            .expect("synced")
            .tags,
        []
    );

    store
        .tags
        .replace(
            &account,
            &[tag(134, "广东", 5)],
            latest + Duration::seconds(1),
        )
        .await
        .expect("stored");
    assert!(store.accounts.delete(&account).await.expect("deleted"));
    assert_eq!(store.tags.list(&account).await.expect("list"), None);
}
