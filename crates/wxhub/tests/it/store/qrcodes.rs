//! The `QrCodeStore` contract, on SQLite and PostgreSQL: codes by id and by permanent scene
//! id (one owner each, for good), the accounts' expiry limits, grants, publishable keys, and
//! the scan statistics the event batch counts in its own transaction (the rusqlite batch
//! writer on SQLite, the shared sqlx one on PostgreSQL).

use chrono::{DateTime, Duration, SubsecRound, Utc};
use wx_protocol::inbound::{Event, InboundBody, InboundMessage};
use wx_protocol::QrEventKey;
use wxhub::accounts::model::AccountId;
use wxhub::callers::model::ClientId;
use wxhub::events::normalise::new_event;
use wxhub::events::InsertOutcome;
use wxhub::qrcode::model::{
    DayCount, ExpireLimit, KeyDomains, PermanentSceneId, PublishableKey, PublishableKeyId, QrCode,
    QrCodeId, QrKind, QrStats,
};
use wxhub::store::qrcodes::PERMANENT_SCENE_TAKEN;
use wxhub::store::{Store, StoreError};

use super::callers::{add_account, caller};
use super::on_both_backends;

on_both_backends!(
    qrcodes_are_kept_by_id_and_permanent_scene_id_on_sqlite,
    qrcodes_are_kept_by_id_and_permanent_scene_id_on_postgres,
    qrcodes_are_kept_by_id_and_permanent_scene_id
);
on_both_backends!(
    qrcode_settings_grants_and_keys_on_sqlite,
    qrcode_settings_grants_and_keys_on_postgres,
    qrcode_settings_grants_and_keys
);
on_both_backends!(
    qrcode_scans_are_counted_once_in_the_event_batch_on_sqlite,
    qrcode_scans_are_counted_once_in_the_event_batch_on_postgres,
    qrcode_scans_are_counted_once_in_the_event_batch
);

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

fn code(
    account: &AccountId,
    owner: Option<&ClientId>,
    permanent: Option<u32>,
    ticket: &str,
) -> QrCode {
    let created = now();
    QrCode {
        id: QrCodeId::generate(),
        account: account.clone(),
        owner: owner.cloned(),
        kind: if permanent.is_some() {
            QrKind::Permanent
        } else {
            QrKind::Temporary
        },
        source: permanent.is_none().then_some(7),
        scene: permanent.map_or("7:order-1".into(), |p| p.to_string()),
        scene_value: permanent.map_or("order-1".into(), |p| p.to_string()),
        permanent_scene_id: permanent.map(|p| PermanentSceneId::new(p.into()).expect("id")),
        ticket: ticket.into(),
        url: format!("http://weixin.qq.com/q/{ticket}"),
        created_at: created,
        expires_at: permanent
            .is_none()
            .then(|| created + Duration::seconds(1_200)),
    }
}

async fn qrcodes_are_kept_by_id_and_permanent_scene_id(store: Store) {
    let a = add_account(&store, "acc-a").await;
    let b = add_account(&store, "acc-b").await;
    let shop = caller("shop", &[&a, &b], Some(7));
    let crm = caller("crm", &[&a], Some(8));
    store.callers.insert(&shop).await.expect("caller");
    store.callers.insert(&crm).await.expect("caller");
    let shop_id = &shop.caller.client_id;
    let codes = store.qrcodes.as_ref();

    let temporary = code(&a, Some(shop_id), None, "T1");
    let twin = code(&a, Some(shop_id), None, "T2");
    let by_admin = code(&a, None, None, "T3");
    let permanent = code(&a, Some(shop_id), Some(100_000), "P1");
    for c in [&temporary, &twin, &by_admin, &permanent] {
        codes.insert(c).await.expect("insert");
    }
    assert_eq!(
        codes.get(&temporary.id).await.expect("get"),
        Some(temporary.clone())
    );
    assert_eq!(codes.get(&by_admin.id).await.expect("get"), Some(by_admin));
    assert_eq!(
        codes.get(&permanent.id).await.expect("get"),
        Some(permanent.clone())
    );
    assert_eq!(codes.get(&QrCodeId::generate()).await.expect("get"), None);
    let id = PermanentSceneId::new(100_000).expect("id");
    assert_eq!(
        codes.permanent(&a, id).await.expect("permanent"),
        Some(permanent.clone())
    );
    assert_eq!(
        codes.permanent(&b, id).await.expect("permanent"),
        None,
        "per account"
    );

    let taken = codes
        .insert(&code(&a, Some(&crm.caller.client_id), Some(100_000), "P2"))
        .await;
    assert!(
        matches!(
            taken,
            Err(StoreError::Conflict {
                what: PERMANENT_SCENE_TAKEN
            })
        ),
        "{taken:?}"
    );
    codes
        .insert(&code(&b, Some(&crm.caller.client_id), Some(100_000), "P3"))
        .await
        .expect("the same scene id on another account");

    // The owner goes; its scene id stays taken, never handed to another caller.
    assert!(store.callers.delete(shop_id).await.expect("delete caller"));
    assert_eq!(
        codes
            .permanent(&a, id)
            .await
            .expect("permanent")
            .and_then(|c| c.owner),
        Some(shop_id.clone())
    );
    let again = codes
        .insert(&code(&a, Some(&crm.caller.client_id), Some(100_000), "P4"))
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
}

async fn qrcode_settings_grants_and_keys(store: Store) {
    let a = add_account(&store, "acc-a").await;
    let b = add_account(&store, "acc-b").await;
    let shop = caller("shop", &[&a, &b], Some(7));
    let crm = caller("crm", &[&a], Some(8));
    store.callers.insert(&shop).await.expect("caller");
    store.callers.insert(&crm).await.expect("caller");
    let (shop_id, crm_id) = (&shop.caller.client_id, &crm.caller.client_id);
    let codes = store.qrcodes.as_ref();

    assert_eq!(codes.expire_limit(&a).await.expect("limit"), None);
    let month = ExpireLimit::new(2_592_000).expect("limit");
    codes.set_expire_limit(&a, Some(month)).await.expect("set");
    codes
        .set_expire_limit(&a, Some(month))
        .await
        .expect("set again");
    assert_eq!(codes.expire_limit(&a).await.expect("limit"), Some(month));
    assert_eq!(
        codes.expire_limit(&b).await.expect("limit"),
        None,
        "per account"
    );
    codes.set_expire_limit(&a, None).await.expect("reset");
    assert_eq!(codes.expire_limit(&a).await.expect("limit"), None);

    let first = now();
    let grant = codes
        .grant_permanent(&a, shop_id, first)
        .await
        .expect("grant");
    assert_eq!((&grant.client_id, grant.granted_at), (shop_id, first));
    let again = codes
        .grant_permanent(&a, shop_id, first + Duration::seconds(5))
        .await
        .expect("grant again");
    assert_eq!(again.granted_at, first, "the first grant's time stays");
    codes
        .grant_permanent(&a, crm_id, first)
        .await
        .expect("grant");
    let mut listed: Vec<ClientId> = codes
        .permanent_grants(&a)
        .await
        .expect("grants")
        .into_iter()
        .map(|g| g.client_id)
        .collect();
    let mut expected = vec![shop_id.clone(), crm_id.clone()];
    expected.sort();
    listed.sort();
    assert_eq!(listed, expected);
    assert_eq!(
        codes.permanent_grant(&b, shop_id).await.expect("grant"),
        None
    );
    assert!(codes.revoke_permanent(&a, crm_id).await.expect("revoke"));
    assert!(!codes
        .revoke_permanent(&a, crm_id)
        .await
        .expect("revoke again"));
    assert!(matches!(
        codes
            .grant_permanent(&a, &ClientId::generate(), first)
            .await,
        Err(StoreError::MissingReference)
    ));

    let key = PublishableKey {
        id: PublishableKeyId::generate(),
        client_id: shop_id.clone(),
        domains: KeyDomains::new(&["shop.example.com".into(), "*.example.org".into()])
            .expect("domains"),
        created_at: first,
    };
    codes.insert_key(&key, "hash-1").await.expect("key");
    assert!(
        codes.insert_key(&key, "hash-2").await.is_err(),
        "one row per id"
    );
    assert_eq!(
        codes.key_by_hash("hash-1").await.expect("find"),
        Some(key.clone())
    );
    assert_eq!(codes.key_by_hash("hash-2").await.expect("find"), None);
    assert_eq!(
        codes.keys_of(shop_id).await.expect("keys"),
        vec![key.clone()]
    );
    assert!(codes.keys_of(crm_id).await.expect("keys").is_empty());
    assert!(
        !codes
            .delete_key(&key.id, Some(crm_id))
            .await
            .expect("delete"),
        "another caller's key stays"
    );
    assert!(codes
        .delete_key(&key.id, Some(shop_id))
        .await
        .expect("delete"));
    assert!(!codes.delete_key(&key.id, None).await.expect("delete again"));

    // A caller's grants and keys go with it.
    codes.insert_key(&key, "hash-1").await.expect("key");
    assert!(store.callers.delete(shop_id).await.expect("delete caller"));
    assert_eq!(
        codes.permanent_grant(&a, shop_id).await.expect("grant"),
        None
    );
    assert_eq!(codes.key_by_hash("hash-1").await.expect("find"), None);
}

fn scan(openid: &str, ticket: &str, follows: bool, create_time: i64) -> InboundMessage {
    let event = if follows {
        Event::Subscribe {
            scene: Some(QrEventKey::for_scene("7:order-1")),
            ticket: Some(ticket.into()),
        }
    } else {
        Event::Scan {
            event_key: "7:order-1".into(),
            ticket: ticket.into(),
        }
    };
    InboundMessage {
        to_user_name: "gh_0123456789ab".into(),
        from_user_name: openid.into(),
        create_time,
        agent_id: None,
        body: InboundBody::Event(event),
    }
}

async fn qrcode_scans_are_counted_once_in_the_event_batch(store: Store) {
    let a = add_account(&store, "acc-a").await;
    let codes = store.qrcodes.as_ref();
    let counted = code(&a, None, None, "T1");
    let other = code(&a, None, None, "T2");
    codes.insert(&counted).await.expect("insert");
    codes.insert(&other).await.expect("insert");
    let day1 = DateTime::parse_from_rfc3339("2026-01-15T23:00:00Z")
        .expect("time")
        .with_timezone(&Utc);
    let day2 = day1 + Duration::hours(2);
    let follow = scan("o1", "T1", true, 1);
    let batch = vec![
        new_event(&a, &follow, day1),
        new_event(&a, &follow, day1), // WeChat's retry in the same batch
        new_event(&a, &scan("o1", "T1", false, 2), day1),
        new_event(&a, &scan("o2", "T1", true, 3), day2),
        new_event(&a, &scan("o9", "T-not-ours", true, 4), day2),
    ];
    let outcomes = store.events.insert_batch(batch).await.expect("batch");
    assert!(matches!(outcomes[1], InsertOutcome::Duplicate(_)));
    // WeChat's retry in a later batch.
    let retry = store
        .events
        .insert_batch(vec![new_event(&a, &follow, day2)])
        .await
        .expect("retry");
    assert!(matches!(retry[0], InsertOutcome::Duplicate(_)));

    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day");
    assert_eq!(
        codes.stats(&counted.id).await.expect("stats"),
        QrStats {
            scans: 3,
            new_follows: 2,
            unique_users: 2,
            by_day: vec![
                DayCount {
                    day: d("2026-01-15"),
                    scans: 2,
                    new_follows: 1,
                    unique_users: 1
                },
                DayCount {
                    day: d("2026-01-16"),
                    scans: 1,
                    new_follows: 1,
                    unique_users: 1
                },
            ],
        }
    );
    assert_eq!(
        codes.stats(&other.id).await.expect("stats"),
        QrStats::default()
    );
    // A later batch adds to the same day.
    store
        .events
        .insert_batch(vec![new_event(&a, &scan("o1", "T1", false, 5), day2)])
        .await
        .expect("batch");
    let stats = codes.stats(&counted.id).await.expect("stats");
    assert_eq!((stats.scans, stats.unique_users), (4, 2));
    assert_eq!(stats.by_day[1].scans, 2);
    assert_eq!(stats.by_day[1].unique_users, 2);
}
