//! The event, follower and reply-rule stores' contract, on SQLite and PostgreSQL.

use chrono::{DateTime, Utc};
use serde_json::json;
use wxhub::accounts::model::AccountId;
use wxhub::events::{EventId, InsertOutcome, NewEvent};
use wxhub::identity::model::FollowerChange;
use wxhub::store::events::EventFilter;
use wxhub::store::replies::{RuleRecord, SecretChange};
use wxhub::store::Store;

use super::on_both_backends;

fn account(id: &str) -> AccountId {
    AccountId::parse(id).expect("account id")
}

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_768_464_000_123).expect("time")
}

fn event(acct: &str, key: &str) -> NewEvent {
    let event_id = EventId::generate();
    NewEvent {
        payload: json!({"event_id": event_id.as_str(), "type": "text", "content": key}),
        event_id,
        account: account(acct),
        event_type: "text".into(),
        dedup_key: format!("msg:{key}"),
        received_at: at(),
        qr_source: None,
        follower: None,
        contact_rereads: Vec::new(),
    }
}

async fn batch_inserts_new_events_and_finds_the_stored_ones(store: Store) {
    let first = event("acct-a", "1");
    let out = store
        .events
        .insert_batch(vec![first.clone()])
        .await
        .expect("insert");
    let InsertOutcome::Inserted(stored) = &out[0] else {
        panic!("not inserted: {out:?}")
    };
    assert_eq!(stored.event_id, first.event_id);
    assert_eq!(stored.received_at, at());
    assert_eq!(stored.payload, first.payload);

    // A batch with: a retry of the stored one, a new one, the same new one twice, and the
    // same key on another account.
    let retry = event("acct-a", "1");
    let new = event("acct-a", "2");
    let twin = event("acct-a", "2");
    let other = event("acct-b", "1");
    let out = store
        .events
        .insert_batch(vec![retry, new.clone(), twin, other.clone()])
        .await
        .expect("insert batch");
    assert_eq!(out[0], InsertOutcome::Duplicate(first.event_id.clone()));
    assert!(matches!(&out[1], InsertOutcome::Inserted(e) if e.event_id == new.event_id));
    assert_eq!(out[2], InsertOutcome::Duplicate(new.event_id.clone()));
    assert!(matches!(&out[3], InsertOutcome::Inserted(e) if e.event_id == other.event_id));

    let all = store
        .events
        .list(&EventFilter::default(), 10)
        .await
        .expect("list");
    assert_eq!(all.len(), 3);
    assert!(
        all[0].seq > all[1].seq && all[1].seq > all[2].seq,
        "newest first"
    );
    let only_a = store
        .events
        .list(
            &EventFilter {
                accounts: Some(vec![account("acct-a")]),
                before_seq: None,
            },
            1,
        )
        .await
        .expect("list a");
    assert_eq!(only_a.len(), 1);
    assert_eq!(only_a[0].event_id, new.event_id);
    let next = store
        .events
        .list(
            &EventFilter {
                accounts: Some(vec![account("acct-a")]),
                before_seq: Some(only_a[0].seq),
            },
            10,
        )
        .await
        .expect("page 2");
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].event_id, first.event_id);

    let after = store.events.after_seq(all[2].seq, 10).await.expect("after");
    assert_eq!(after.len(), 2);
    assert!(after[0].seq < after[1].seq, "oldest first");
    assert_eq!(
        store
            .events
            .find(&new.event_id)
            .await
            .expect("find")
            .map(|e| e.event_id),
        Some(new.event_id.clone())
    );
    assert_eq!(
        store.events.find(&EventId::generate()).await.expect("find"),
        None
    );

    // Fan-out claims what is undispatched, oldest first; committing marks it dispatched.
    let fan_out = store.webhooks.begin_fan_out(10).await.expect("claim");
    assert_eq!(fan_out.events().len(), 3);
    fan_out.rollback().await.expect("rollback");
    let fan_out = store.webhooks.begin_fan_out(2).await.expect("claim");
    let claimed: Vec<EventId> = fan_out
        .events()
        .iter()
        .map(|e| e.event_id.clone())
        .collect();
    assert!(
        fan_out.events()[0].seq < fan_out.events()[1].seq,
        "oldest first"
    );
    fan_out.commit(chrono::Utc::now()).await.expect("commit");
    let fan_out = store.webhooks.begin_fan_out(10).await.expect("claim");
    let left: Vec<EventId> = fan_out
        .events()
        .iter()
        .map(|e| e.event_id.clone())
        .collect();
    let all = [&first.event_id, &other.event_id, &new.event_id];
    assert_eq!(left.len(), 1, "only the unclaimed one is left");
    assert!(all.contains(&&left[0]) && !claimed.contains(&left[0]));
}
on_both_backends!(
    events_contract_on_sqlite,
    events_contract_on_postgres,
    batch_inserts_new_events_and_finds_the_stored_ones
);

fn follow(acct: &str, key: &str, openid: &str) -> NewEvent {
    NewEvent {
        follower: Some(FollowerChange::Followed {
            account: account(acct),
            openid: openid.into(),
            at: at(),
            scene: "plain".into(),
            qr_source: None,
            qr_scene: None,
        }),
        ..event(acct, key)
    }
}

fn unfollow(acct: &str, key: &str, openid: &str) -> NewEvent {
    NewEvent {
        follower: Some(FollowerChange::Unfollowed {
            account: account(acct),
            openid: openid.into(),
            at: at(),
        }),
        ..event(acct, key)
    }
}

async fn follower_changes_commit_with_their_events_and_only_once(store: Store) {
    let a = account("acct-a");
    store
        .events
        .insert_batch(vec![
            follow("acct-a", "f1", "o1"),
            follow("acct-a", "f2", "o2"),
        ])
        .await
        .expect("insert");
    let o1 = store.followers.get(&a, "o1").await.expect("get");
    assert!(o1.expect("written with the batch").subscribed);

    // In one batch: o1 unfollows; a retry of o2's follow (a duplicate) must not touch o2,
    // which has since been marked unfollowed by a later batch.
    store
        .events
        .insert_batch(vec![unfollow("acct-a", "u2", "o2")])
        .await
        .expect("insert");
    store
        .events
        .insert_batch(vec![
            unfollow("acct-a", "u1", "o1"),
            follow("acct-a", "f2", "o2"),
        ])
        .await
        .expect("insert");
    let o1 = store
        .followers
        .get(&a, "o1")
        .await
        .expect("get")
        .expect("o1");
    assert!(!o1.subscribed, "the unfollow in the batch applied");
    let o2 = store
        .followers
        .get(&a, "o2")
        .await
        .expect("get")
        .expect("o2");
    assert!(
        !o2.subscribed,
        "a duplicate follow event changed the follower again"
    );
}
on_both_backends!(
    event_followers_contract_on_sqlite,
    event_followers_contract_on_postgres,
    follower_changes_commit_with_their_events_and_only_once
);

async fn unfollow_clears_the_profile_and_keeps_the_openid(store: Store) {
    let a = account("acct-a");
    store
        .followers
        .apply(&[
            FollowerChange::Followed {
                account: a.clone(),
                openid: "o1".into(),
                at: at(),
                scene: "qr_scene".into(),
                qr_source: Some(3),
                qr_scene: Some("402665354".into()),
            },
            FollowerChange::Unfollowed {
                account: a.clone(),
                openid: "o2".into(),
                at: at(),
            },
        ])
        .await
        .expect("apply");
    let f = store
        .followers
        .get(&a, "o1")
        .await
        .expect("get")
        .expect("row");
    assert!(f.subscribed);
    assert_eq!(f.qr_source, Some(3));
    assert_eq!(f.subscribed_at, Some(at()));
    store
        .followers
        .apply(&[FollowerChange::Unfollowed {
            account: a.clone(),
            openid: "o1".into(),
            at: at(),
        }])
        .await
        .expect("apply");
    let f = store
        .followers
        .get(&a, "o1")
        .await
        .expect("get")
        .expect("kept");
    assert!(!f.subscribed);
    assert_eq!(f.unsubscribed_at, Some(at()));
    assert!(store.followers.get(&a, "o2").await.expect("get").is_some());
    assert!(!store.followers.unfollow_unbinds(&a).await.expect("flag"));
    store
        .followers
        .set_unfollow_unbinds(&a, true)
        .await
        .expect("set");
    assert!(store.followers.unfollow_unbinds(&a).await.expect("flag"));
}
on_both_backends!(
    followers_contract_on_sqlite,
    followers_contract_on_postgres,
    unfollow_clears_the_profile_and_keeps_the_openid
);

async fn reply_rules_are_listed_by_priority(store: Store) {
    let a = account("acct-a");
    let rule = |id: &str, priority| RuleRecord {
        rule_id: id.into(),
        account: a.clone(),
        name: Some(format!("rule {id}")),
        priority,
        enabled: true,
        matcher: json!({"kind": "any_text"}),
        action: json!({"kind": "reply", "reply": {"type": "text", "content": id}}),
        created_at: at(),
        updated_at: at(),
        webhook_secret_sealed: None,
        owner: None,
    };
    store
        .reply_rules
        .insert(&rule("r2", 20))
        .await
        .expect("insert");
    store
        .reply_rules
        .insert(&rule("r1", 10))
        .await
        .expect("insert");
    let list = store.reply_rules.list(&a).await.expect("list");
    assert_eq!(list, vec![rule("r1", 10), rule("r2", 20)]);
    let mut changed = rule("r2", 5);
    changed.enabled = false;
    assert!(store
        .reply_rules
        .update(&changed, SecretChange::Keep)
        .await
        .expect("update"));
    assert_eq!(
        store.reply_rules.get(&a, "r2").await.expect("get"),
        Some(changed)
    );
    assert!(store
        .reply_rules
        .list(&account("acct-b"))
        .await
        .expect("list")
        .is_empty());
    assert!(store.reply_rules.delete(&a, "r1").await.expect("delete"));
    assert!(!store.reply_rules.delete(&a, "r1").await.expect("delete"));
}
on_both_backends!(
    reply_rules_contract_on_sqlite,
    reply_rules_contract_on_postgres,
    reply_rules_are_listed_by_priority
);
