//! The binding store's contract on SQLite and PostgreSQL: every seed 000 code, the history
//! ("first" means ever), unbind by either side with its event, types as separate namespaces,
//! and concurrent binds of one uid or one openid leaving exactly one current binding.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use wxhub::accounts::model::AccountId;
use wxhub::core::{OpenId, Uid};
use wxhub::identity::model::{BindCode, BindRequest, BindingKey, BindingType, EndReason};
use wxhub::store::bindings::{BindOutcome, HistoryFilter};
use wxhub::store::Store;

use super::on_both_backends;

on_both_backends!(
    binding_store_keeps_the_contract_on_sqlite,
    binding_store_keeps_the_contract_on_postgres,
    binding_contract
);

on_both_backends!(
    concurrent_binds_leave_one_current_binding_on_sqlite,
    concurrent_binds_leave_one_current_binding_on_postgres,
    concurrent_binds
);

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_768_464_000_000 + ms).expect("time")
}

fn acct() -> AccountId {
    AccountId::parse("bind-mp").expect("id")
}

fn request(kind: BindingType, uid: i64, openid: &str) -> BindRequest {
    BindRequest {
        account: acct(),
        kind,
        uid: Uid::new(uid).expect("uid"),
        openid: OpenId::parse(openid).expect("openid"),
        scan_code: None,
        by: "cli_test".into(),
    }
}

async fn bind(store: &Store, uid: i64, openid: &str, ms: i64) -> BindCode {
    store
        .bindings
        .bind(&request(BindingType::Weixin, uid, openid), at(ms))
        .await
        .expect("bind")
        .code()
}

async fn unbind(store: &Store, key: BindingKey, ms: i64) -> bool {
    store
        .bindings
        .unbind(
            &acct(),
            BindingType::Weixin,
            &key,
            "cli_test",
            EndReason::Unbind,
            at(ms),
        )
        .await
        .expect("unbind")
        .is_some()
}

fn uid(n: i64) -> BindingKey {
    BindingKey::Uid(Uid::new(n).expect("uid"))
}

fn openid(s: &str) -> BindingKey {
    BindingKey::OpenId(OpenId::parse(s).expect("openid"))
}

async fn binding_contract(store: Store) {
    // 1: both first ever; the same pair again: 0, nothing changes.
    assert_eq!(bind(&store, 1, "oA", 0).await, BindCode::BothFirst);
    assert_eq!(bind(&store, 1, "oA", 1).await, BindCode::NotFirst);
    // −1: the openid is bound to another uid; −2: the uid to another openid.
    assert_eq!(bind(&store, 2, "oA", 2).await, BindCode::OpenIdTaken);
    assert_eq!(bind(&store, 1, "oB", 3).await, BindCode::UidTaken);
    // Unbind by uid; the history keeps it, so binding again is 0.
    assert!(unbind(&store, uid(1), 4).await);
    assert!(!unbind(&store, uid(1), 5).await, "nothing bound any more");
    assert_eq!(bind(&store, 1, "oA", 6).await, BindCode::NotFirst);
    // 2: the uid's first (the openid had been bound); 3: the openid's first.
    assert!(unbind(&store, openid("oA"), 7).await);
    assert_eq!(bind(&store, 3, "oA", 8).await, BindCode::UidFirst);
    assert_eq!(bind(&store, 1, "oC", 9).await, BindCode::OpenIdFirst);

    // The current binding by either side.
    let current = store
        .bindings
        .current(&acct(), BindingType::Weixin, &openid("oA"))
        .await
        .expect("current")
        .expect("bound");
    assert_eq!(current.uid.get(), 3);
    assert_eq!(current.bound_at, at(8));
    assert!(store
        .bindings
        .current(&acct(), BindingType::Weixin, &openid("oB"))
        .await
        .expect("current")
        .is_none());

    // History of uid 1, newest first: oC (current), oA (ended by openid), oA (ended by uid).
    let history = store
        .bindings
        .history(
            &HistoryFilter {
                account: acct(),
                kind: None,
                key: uid(1),
            },
            50,
        )
        .await
        .expect("history");
    let seen: Vec<(String, Option<i64>)> = history
        .iter()
        .map(|b| {
            (
                b.openid.to_string(),
                b.ended
                    .as_ref()
                    .map(|e| e.at.timestamp_millis() - at(0).timestamp_millis()),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("oC".to_owned(), None),
            ("oA".to_owned(), Some(7)),
            ("oA".to_owned(), Some(4)),
        ]
    );
    assert!(history.iter().all(|b| b.bound_by == "cli_test"));

    // Types are separate namespaces: uid 1 binds as qq for the first time.
    let qq = store
        .bindings
        .bind(&request(BindingType::Qq, 1, "oA"), at(10))
        .await
        .expect("bind qq");
    assert_eq!(qq.code(), BindCode::BothFirst);

    // Each change stored its event in its own transaction.
    let events = store
        .events
        .list(&Default::default(), 100)
        .await
        .expect("events");
    let bound = events.iter().filter(|e| e.event_type == "bound").count();
    let unbound = events.iter().filter(|e| e.event_type == "unbound").count();
    assert_eq!((bound, unbound), (5, 2));
    let BindOutcome::Bound { event, .. } = qq else {
        panic!("a new binding");
    };
    assert_eq!(event.payload["code"], 1);
    assert_eq!(event.payload["binding_type"], "qq");
    assert_eq!(event.payload["type"], "bound");
    assert_eq!(event.payload["uid"], 1);
}

async fn concurrent_binds(store: Store) {
    let store = Arc::new(store);
    // Twenty binds of one uid to twenty openids, and twenty of twenty uids to one openid.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.bindings
                .bind(
                    &request(BindingType::Weixin, 100, &format!("oMany{i}")),
                    at(i),
                )
                .await
                .expect("bind")
                .code()
        }));
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.bindings
                .bind(&request(BindingType::Weixin, 200 + i, "oOne"), at(i))
                .await
                .expect("bind")
                .code()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.expect("join"));
    }
    let made = codes.iter().filter(|c| c.made_a_binding()).count();
    assert_eq!(
        made, 2,
        "one bind of the uid and one of the openid win: {codes:?}"
    );
    let history = store
        .bindings
        .history(
            &HistoryFilter {
                account: acct(),
                kind: Some(BindingType::Weixin),
                key: uid(100),
            },
            50,
        )
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    let history = store
        .bindings
        .history(
            &HistoryFilter {
                account: acct(),
                kind: Some(BindingType::Weixin),
                key: openid("oOne"),
            },
            50,
        )
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
}

on_both_backends!(
    an_unfollow_ends_the_binding_in_its_event_batch_on_sqlite,
    an_unfollow_ends_the_binding_in_its_event_batch_on_postgres,
    unfollow_unbinds
);

fn unfollow_event(acct: &str, openid: &str, ms: i64) -> wxhub::events::model::NewEvent {
    let event_id = wxhub::events::model::EventId::generate();
    wxhub::events::model::NewEvent {
        payload: serde_json::json!({"event_id": event_id.as_str(), "type": "unsubscribe"}),
        event_id,
        account: AccountId::parse(acct).expect("id"),
        event_type: "unsubscribe".into(),
        dedup_key: format!("unsub:{openid}:{ms}"),
        received_at: at(ms),
        qr_source: None,
        follower: Some(wxhub::identity::model::FollowerChange::Unfollowed {
            account: AccountId::parse(acct).expect("id"),
            openid: openid.into(),
            at: at(ms),
        }),
        contact_rereads: Vec::new(),
    }
}

async fn unfollow_unbinds(store: Store) {
    let other = AccountId::parse("keep-mp").expect("id");
    store
        .followers
        .set_unfollow_unbinds(&acct(), true)
        .await
        .expect("setting");
    assert_eq!(bind(&store, 1, "oGone", 0).await, BindCode::BothFirst);
    store
        .bindings
        .bind(&request(BindingType::Qq, 1, "oGone"), at(0))
        .await
        .expect("qq");
    let mut kept = request(BindingType::Weixin, 1, "oGone");
    kept.account = other.clone();
    store
        .bindings
        .bind(&kept, at(0))
        .await
        .expect("other account");

    // The unfollow (stored twice: WeChat's retry) ends the weixin binding, once.
    let event = unfollow_event("bind-mp", "oGone", 10);
    store
        .events
        .insert_batch(vec![event.clone(), event])
        .await
        .expect("batch");
    store
        .events
        .insert_batch(vec![unfollow_event("keep-mp", "oGone", 10)])
        .await
        .expect("batch");
    assert!(store
        .bindings
        .current(&acct(), BindingType::Weixin, &openid("oGone"))
        .await
        .expect("current")
        .is_none());
    let ended = store
        .bindings
        .history(
            &HistoryFilter {
                account: acct(),
                kind: Some(BindingType::Weixin),
                key: uid(1),
            },
            10,
        )
        .await
        .expect("history");
    let end = ended[0].ended.as_ref().expect("ended");
    assert_eq!(
        (end.reason, end.by.as_str(), end.at),
        (EndReason::Unfollow, "wechat", at(10))
    );
    // The QQ namespace, and an account without the setting, keep theirs.
    for (account, kind) in [(acct(), BindingType::Qq), (other, BindingType::Weixin)] {
        assert!(store
            .bindings
            .current(&account, kind, &openid("oGone"))
            .await
            .expect("current")
            .is_some());
    }
    let events = store
        .events
        .list(&Default::default(), 100)
        .await
        .expect("events");
    let unbound: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == "unbound")
        .collect();
    assert_eq!(unbound.len(), 1, "{events:?}");
    assert_eq!(unbound[0].payload["reason"], "unfollow");
    assert_eq!(unbound[0].payload["uid"], 1);
}
