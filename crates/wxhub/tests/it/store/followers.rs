//! The follower store's list and settings contract, on SQLite and PostgreSQL.

use chrono::{DateTime, Utc};
use wxhub::accounts::model::AccountId;
use wxhub::identity::model::{FetchedUser, FollowerChange, FollowerProfile, UserInfo};
use wxhub::jobs::model::InstanceId;
use wxhub::store::followers::{DueProfiles, FollowerFilter};
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
    assert_eq!(got.event_scene.as_deref(), Some("scene-o2"));
    assert_eq!(got.qr_scene, None, "a non-follower has no WeChat scene");
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

fn profile(n: u32) -> FollowerProfile {
    FollowerProfile {
        nickname: format!("用户{n}"),
        sex: 2,
        language: "zh_CN".into(),
        city: "广州".into(),
        province: "广东".into(),
        country: "中国".into(),
        headimgurl: format!("http://thirdwx.qlogo.cn/mmopen/{n}/132"),
        subscribe_time: 1_768_000_000 + i64::from(n),
        unionid: Some(format!("union-{n}")),
        remark: "VIP".into(),
        groupid: 0,
        tagid_list: vec![2, 128],
        subscribe_scene: "ADD_SCENE_QR_CODE".into(),
        qr_scene: 98_765,
        qr_scene_str: String::new(),
    }
}

fn follows(openid: &str, p: FollowerProfile) -> FetchedUser {
    FetchedUser {
        openid: openid.into(),
        info: UserInfo::Follows(Box::new(p)),
    }
}

fn not_following(openid: &str) -> FetchedUser {
    FetchedUser {
        openid: openid.into(),
        info: UserInfo::DoesNotFollow { unionid: None },
    }
}

async fn every_user_info_field_round_trips_and_an_unfollow_clears_the_profile(store: Store) {
    let a = account("acct-a");
    let f = &store.followers;
    f.apply(&[followed("acct-a", "o1", 1)])
        .await
        .expect("follow");
    let fresh = f.get(&a, "o1").await.expect("get").expect("o1");
    assert!(fresh.subscribed);
    assert_eq!(fresh.nickname, None, "no profile before WeChat's answer");
    assert_eq!(fresh.profile_fetched_at, None);
    assert_eq!(
        (fresh.qr_scene, fresh.qr_scene_str.as_deref()),
        (Some(0), Some("scene-o1")),
        "the callback's scene until WeChat says: not digits, so the string scene"
    );

    let mut p = profile(1);
    p.tagid_list = vec![2, 128, 4_294_967_295];
    p.groupid = 7;
    p.qr_scene = 4_294_967_295;
    p.qr_scene_str = "s5_abc".into();
    f.store_profiles(
        &a,
        &[follows("o1", p.clone())],
        at(10),
        at(11),
        Some(at(100)),
    )
    .await
    .expect("store");
    let got = f.get(&a, "o1").await.expect("get").expect("o1");
    assert!(got.subscribed);
    assert_eq!(got.nickname.as_deref(), Some(p.nickname.as_str()));
    assert_eq!(got.sex, Some(2));
    assert_eq!(got.language.as_deref(), Some("zh_CN"));
    assert_eq!(got.city.as_deref(), Some("广州"));
    assert_eq!(got.province.as_deref(), Some("广东"));
    assert_eq!(got.country.as_deref(), Some("中国"));
    assert_eq!(got.headimgurl.as_deref(), Some(p.headimgurl.as_str()));
    assert_eq!(
        got.subscribed_at.map(|t| t.timestamp()),
        Some(p.subscribe_time),
        "subscribe_time is WeChat's"
    );
    assert_eq!(got.unionid.as_deref(), Some("union-1"));
    assert_eq!(got.remark.as_deref(), Some("VIP"));
    assert_eq!(got.groupid, Some(7));
    assert_eq!(got.tagid_list, Some(vec![2, 128, 4_294_967_295]));
    assert_eq!(got.subscribe_scene.as_deref(), Some("ADD_SCENE_QR_CODE"));
    assert_eq!(got.qr_scene, Some(4_294_967_295));
    assert_eq!(got.qr_scene_str.as_deref(), Some("s5_abc"));
    assert_eq!(got.profile_fetched_at, Some(at(11)));
    assert_eq!(
        got.scene.as_deref(),
        Some("qr_scene"),
        "the hub's own fields stay"
    );
    assert_eq!(got.qr_source, Some(5));
    let listed = f
        .list(&a, &FollowerFilter::default(), 10)
        .await
        .expect("list");
    assert_eq!(
        listed,
        std::slice::from_ref(&got),
        "a listed follower reads like get"
    );

    // An empty profile is still a profile: empty strings and lists, zeros.
    f.store_profiles(
        &a,
        &[follows("o1", FollowerProfile::default())],
        at(12),
        at(13),
        None,
    )
    .await
    .expect("store empty");
    let empty = f.get(&a, "o1").await.expect("get").expect("o1");
    assert_eq!(empty.nickname.as_deref(), Some(""));
    assert_eq!(empty.tagid_list, Some(vec![]));
    assert_eq!(empty.qr_scene, Some(0));
    assert_eq!(
        empty.unionid.as_deref(),
        Some("union-1"),
        "no unionid keeps the known one"
    );
    assert_eq!(
        empty.subscribed_at, got.subscribed_at,
        "no subscribe_time keeps the known one"
    );

    f.apply(&[unfollowed("acct-a", "o1", 20)])
        .await
        .expect("unfollow");
    let gone = f.get(&a, "o1").await.expect("get").expect("kept");
    assert!(!gone.subscribed);
    for (field, value) in [
        ("nickname", gone.nickname.is_some()),
        ("sex", gone.sex.is_some()),
        ("language", gone.language.is_some()),
        ("city", gone.city.is_some()),
        ("province", gone.province.is_some()),
        ("country", gone.country.is_some()),
        ("headimgurl", gone.headimgurl.is_some()),
        ("remark", gone.remark.is_some()),
        ("groupid", gone.groupid.is_some()),
        ("tagid_list", gone.tagid_list.is_some()),
        ("subscribe_scene", gone.subscribe_scene.is_some()),
        ("qr_scene", gone.qr_scene.is_some()),
        ("qr_scene_str", gone.qr_scene_str.is_some()),
    ] {
        assert!(!value, "{field} is cleared by the unfollow");
    }
    assert_eq!(
        gone.unionid.as_deref(),
        Some("union-1"),
        "the unionid is kept"
    );
    assert_eq!(gone.unsubscribed_at, Some(at(20)));
}
on_both_backends!(
    follower_profile_on_sqlite,
    follower_profile_on_postgres,
    every_user_info_field_round_trips_and_an_unfollow_clears_the_profile
);

async fn an_answer_never_overrides_a_callback_that_came_after_it_was_asked(store: Store) {
    let a = account("acct-a");
    let f = &store.followers;
    // Asked at 10, the unfollow came at 15: the profile answer is stale.
    f.apply(&[followed("acct-a", "o1", 1), unfollowed("acct-a", "o1", 15)])
        .await
        .expect("events");
    f.store_profiles(&a, &[follows("o1", profile(1))], at(10), at(20), None)
        .await
        .expect("store");
    let o1 = f.get(&a, "o1").await.expect("get").expect("o1");
    assert!(!o1.subscribed && o1.nickname.is_none(), "{o1:?}");

    // Asked at 10, a follow at 15: "does not follow" is stale.
    f.apply(&[followed("acct-a", "o2", 15)])
        .await
        .expect("follow");
    f.store_profiles(&a, &[not_following("o2")], at(10), at(20), None)
        .await
        .expect("store");
    assert!(f.get(&a, "o2").await.expect("get").expect("o2").subscribed);

    // Asked after the follow, "does not follow" is news: unsubscribed at the question.
    f.store_profiles(
        &a,
        &[FetchedUser {
            openid: "o2".into(),
            info: UserInfo::DoesNotFollow {
                unionid: Some("union-2".into()),
            },
        }],
        at(30),
        at(31),
        None,
    )
    .await
    .expect("store");
    let o2 = f.get(&a, "o2").await.expect("get").expect("o2");
    assert!(!o2.subscribed);
    assert_eq!(o2.unsubscribed_at, Some(at(30)));
    assert_eq!(o2.unionid.as_deref(), Some("union-2"));
    assert_eq!(o2.profile_fetched_at, Some(at(31)));

    // An answer for a record that does not exist stores nothing.
    f.store_profiles(&a, &[follows("o-none", profile(3))], at(30), at(31), None)
        .await
        .expect("store");
    assert_eq!(f.get(&a, "o-none").await.expect("get"), None);
}
on_both_backends!(
    follower_answer_order_on_sqlite,
    follower_answer_order_on_postgres,
    an_answer_never_overrides_a_callback_that_came_after_it_was_asked
);

async fn a_sync_lists_reads_and_marks_the_unlisted_unsubscribed(store: Store) {
    let a = account("acct-a");
    let f = &store.followers;
    // Before the sync (started at 100): o0 followed, o9 followed and left, o7 followed by a
    // callback during the sync.
    f.apply(&[
        followed("acct-a", "o0", 1),
        followed("acct-a", "o9", 2),
        unfollowed("acct-a", "o9", 3),
        followed("acct-b", "o0", 4),
    ])
    .await
    .expect("before");
    let page: Vec<String> = (1..=5).map(|i| format!("o{i}")).collect();
    f.record_listed(&a, &page, at(110), at(5000))
        .await
        .expect("page");
    // A page read twice (a step repeated after a crash) changes nothing.
    f.record_listed(&a, &page, at(110), at(5000))
        .await
        .expect("page again");
    // o3 unfollowed after the page was asked, then the same page is recorded again.
    f.apply(&[
        unfollowed("acct-a", "o3", 120),
        followed("acct-a", "o7", 125),
    ])
    .await
    .expect("during");
    f.record_listed(&a, &page[2..3], at(115), at(5000))
        .await
        .expect("stale page");
    assert!(
        !f.get(&a, "o3").await.expect("get").expect("o3").subscribed,
        "the newer unfollow wins"
    );
    assert_eq!(
        f.count(&a, None).await.expect("count"),
        8,
        "no duplicates: o0..o5, o7, o9"
    );

    assert_eq!(
        f.unread_since(&a, at(100), None, 2).await.expect("unread"),
        ["o1", "o2"],
        "listed, subscribed, not read since the run began"
    );
    assert_eq!(
        f.unread_since(&a, at(100), Some("o2"), 10)
            .await
            .expect("unread"),
        ["o4", "o5", "o7"]
    );
    f.store_profiles(
        &a,
        &[follows("o1", profile(1)), not_following("o2")],
        at(130),
        at(131),
        None,
    )
    .await
    .expect("profiles");
    assert_eq!(
        f.unread_since(&a, at(100), None, 10).await.expect("unread"),
        ["o4", "o5", "o7"]
    );

    assert_eq!(
        f.unsubscribe_unconfirmed(&a, at(100), at(200), 10)
            .await
            .expect("sweep"),
        1,
        "only o0: never listed, followed before the run"
    );
    assert_eq!(
        f.unsubscribe_unconfirmed(&a, at(100), at(200), 10)
            .await
            .expect("sweep again"),
        0
    );
    let o0 = f.get(&a, "o0").await.expect("get").expect("kept");
    assert!(!o0.subscribed);
    assert_eq!(o0.unsubscribed_at, Some(at(200)));
    assert!(
        f.get(&account("acct-b"), "o0")
            .await
            .expect("get")
            .expect("b")
            .subscribed,
        "another account is untouched"
    );
    assert_eq!(
        f.count_confirmed_since(&a, at(100)).await.expect("count"),
        4,
        "o1, o4, o5, o7"
    );
    assert_eq!(f.count(&a, Some(true)).await.expect("count"), 4);
    assert_eq!(
        f.count(&a, Some(false)).await.expect("count"),
        4,
        "o0, o2, o3, o9"
    );
}
on_both_backends!(
    follower_sync_store_on_sqlite,
    follower_sync_store_on_postgres,
    a_sync_lists_reads_and_marks_the_unlisted_unsubscribed
);

async fn due_profiles_are_leased_per_account_and_freed_with_their_holder(store: Store) {
    let f = &store.followers;
    let me = InstanceId::parse("hub-1").expect("id");
    f.apply(&[
        followed("acct-b", "o1", 5),
        followed("acct-a", "o2", 1),
        followed("acct-a", "o1", 2),
    ])
    .await
    .expect("follows");
    assert_eq!(
        f.claim_due_profiles(&me, at(0), at(60), 10)
            .await
            .expect("claim"),
        None,
        "nothing is due before its follow"
    );
    let first = f
        .claim_due_profiles(&me, at(10), at(60), 10)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(
        first,
        DueProfiles {
            account: account("acct-a"),
            openids: vec!["o1".into(), "o2".into()],
        },
        "the account due longest, one account per claim"
    );
    let second = f
        .claim_due_profiles(&me, at(10), at(60), 10)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(second.account, account("acct-b"));
    assert_eq!(
        f.claim_due_profiles(&me, at(10), at(60), 10)
            .await
            .expect("claim"),
        None,
        "leased ones are not due"
    );
    // A stored profile is due again when told; one whose reader is gone is due at once.
    f.store_profiles(
        &account("acct-a"),
        &[follows("o1", profile(1))],
        at(11),
        at(12),
        Some(at(500)),
    )
    .await
    .expect("store");
    let leases = store
        .leases
        .iter()
        .find(|l| l.what() == "follower profile reads")
        .expect("the follower store gives leases back");
    let released = leases
        .release_held_by(std::slice::from_ref(&me))
        .await
        .expect("release");
    assert_eq!(released, 2, "acct-a's o2 and acct-b's o1");
    let again = f
        .claim_due_profiles(&me, at(20), at(80), 10)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(
        again.openids,
        ["o2"],
        "o1 of acct-a is read; o2 is due again"
    );
    f.set_profile_due(&again.account, &again.openids, None)
        .await
        .expect("never");
    let b = f
        .claim_due_profiles(&me, at(20), at(80), 10)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(b.account, account("acct-b"));
    assert_eq!(
        f.claim_due_profiles(&me, at(81), at(140), 10)
            .await
            .expect("claim")
            .map(|d| d.account),
        Some(account("acct-b")),
        "a lease whose read never stored is due again at its end"
    );
    f.store_profiles(
        &b.account,
        &[follows("o1", profile(2))],
        at(90),
        at(91),
        Some(at(1000)),
    )
    .await
    .expect("store b");
    assert_eq!(
        f.claim_due_profiles(&me, at(499), at(560), 10)
            .await
            .expect("claim"),
        None
    );
    let later = f
        .claim_due_profiles(&me, at(500), at(560), 10)
        .await
        .expect("claim")
        .expect("due at its age");
    assert_eq!(
        (later.account, later.openids),
        (account("acct-a"), vec!["o1".to_owned()])
    );
    // An unfollow needs no profile.
    f.apply(&[unfollowed("acct-a", "o1", 600)])
        .await
        .expect("unfollow");
    assert_eq!(
        f.claim_due_profiles(&me, at(10_000), at(10_060), 10)
            .await
            .expect("claim")
            .map(|d| d.account),
        Some(account("acct-b")),
        "acct-b's o1 at its age, nothing of acct-a"
    );
    assert_eq!(
        f.claim_due_profiles(&me, at(10_000), at(10_060), 10)
            .await
            .expect("claim"),
        None
    );
}
on_both_backends!(
    follower_profile_leases_on_sqlite,
    follower_profile_leases_on_postgres,
    due_profiles_are_leased_per_account_and_freed_with_their_holder
);
