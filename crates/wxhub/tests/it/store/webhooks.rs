//! The `WebhookStore` contract: endpoints, the fan-out transaction, leased claims, attempts
//! with endpoint health, and replay.

use chrono::{Duration, SubsecRound, Utc};
use wxhub::jobs::model::InstanceId;
use wxhub::store::webhooks::{DeliveryUpdate, EndpointRecord};
use wxhub::store::Store;
use wxhub::webhooks::model::NewDelivery;
use wxhub::webhooks::model::{
    Attempt, AttemptId, AttemptOutcome, DeliveryId, DeliveryStatus, Endpoint, EndpointHealth,
    EndpointId, Filter,
};

use super::on_both_backends;
use crate::receiver::new_event;

fn endpoint(owner: Option<&str>) -> EndpointRecord {
    let now = Utc::now().trunc_subsecs(3);
    EndpointRecord {
        endpoint: Endpoint {
            id: EndpointId::generate(),
            url: "http://127.0.0.1:9/hook".into(),
            filter: Filter {
                accounts: ["demo-mp".parse_account()].into(),
                event_types: ["text".to_string()].into(),
                qr_sources: [].into(),
            },
            description: None,
            enabled: true,
            owner: owner.map(str::to_string),
            health: EndpointHealth::Healthy,
            consecutive_failures: 0,
            failing_since: None,
            created_at: now,
            updated_at: now,
        },
        secret_sealed: "v1.sealed".into(),
        previous_secret_sealed: None,
        previous_secret_expires_at: None,
    }
}

trait ParseAccount {
    fn parse_account(&self) -> wxhub::accounts::model::AccountId;
}

impl ParseAccount for str {
    fn parse_account(&self) -> wxhub::accounts::model::AccountId {
        wxhub::accounts::model::AccountId::parse(self).expect("account")
    }
}

fn attempt(d: &NewDelivery, no: i64, outcome: AttemptOutcome) -> Attempt {
    Attempt {
        id: AttemptId::generate(),
        delivery_id: d.id.clone(),
        endpoint_id: d.endpoint_id.clone(),
        event_id: d.event_id.clone(),
        attempt_no: no,
        at: Utc::now().trunc_subsecs(3),
        outcome,
        status_code: Some(500),
        error: Some("answered 500".into()),
        response: None,
        duration_ms: 3,
        next_attempt_at: None,
    }
}

async fn webhook_store_contract(store: Store) {
    let w = &store.webhooks;
    // Endpoints: insert, get, list by owner, update, delete.
    let a = endpoint(Some("cli_a"));
    let b = endpoint(None);
    w.insert_endpoint(&a).await.expect("insert a");
    w.insert_endpoint(&b).await.expect("insert b");
    assert_eq!(
        w.get_endpoint(&a.endpoint.id).await.expect("get"),
        Some(a.clone())
    );
    let mine = w
        .list_endpoints(Some("cli_a"), None, 10)
        .await
        .expect("list");
    assert_eq!(mine, vec![a.clone()]);
    assert_eq!(
        w.list_endpoints(None, None, 10).await.expect("all").len(),
        2
    );
    let mut changed = a.clone();
    changed.endpoint.url = "https://example.com/hook".into();
    changed.endpoint.enabled = false;
    changed.previous_secret_sealed = Some("v1.old".into());
    changed.previous_secret_expires_at = Some(Utc::now().trunc_subsecs(3));
    assert!(w.update_endpoint(&changed).await.expect("update"));
    assert_eq!(
        w.get_endpoint(&a.endpoint.id).await.expect("get"),
        Some(changed.clone())
    );
    assert!(w.delete_endpoint(&a.endpoint.id).await.expect("delete"));
    assert!(!w
        .delete_endpoint(&a.endpoint.id)
        .await
        .expect("delete again"));

    // Fan-out: a dropped transaction leaves events undispatched; a committed one marks them.
    store
        .events
        .insert_batch(vec![
            new_event("demo-mp", "text", None),
            new_event("demo-mp", "click", None),
        ])
        .await
        .expect("events");
    let tx = w.begin_fan_out(10).await.expect("begin");
    assert_eq!(tx.events().len(), 2);
    tx.rollback().await.expect("rollback");
    let mut tx = w.begin_fan_out(10).await.expect("begin again");
    assert_eq!(tx.events().len(), 2, "rolled back: still undispatched");
    let endpoints = tx.endpoints().await.expect("endpoints");
    assert_eq!(
        endpoints.iter().map(|e| &e.id).collect::<Vec<_>>(),
        vec![&b.endpoint.id],
        "only enabled ones"
    );
    let now = Utc::now().trunc_subsecs(3);
    let deliveries: Vec<NewDelivery> = tx
        .events()
        .iter()
        .map(|e| NewDelivery {
            id: DeliveryId::generate(),
            endpoint_id: b.endpoint.id.clone(),
            event_id: e.event_id.clone(),
            event_type: e.event_type.clone(),
            account: e.account.clone(),
            created_at: now,
        })
        .collect();
    tx.insert_deliveries(&deliveries).await.expect("deliveries");
    let mut again = deliveries[0].clone();
    again.id = DeliveryId::generate();
    tx.insert_deliveries(&[again])
        .await
        .expect("a second delivery of the same event is skipped");
    tx.commit(now).await.expect("commit");
    assert!(w
        .begin_fan_out(10)
        .await
        .expect("begin")
        .events()
        .is_empty());

    // Claims lease: a claimed delivery is not claimed again until its lease ends.
    let holder = InstanceId::parse("hub-a:8080").expect("instance");
    let lease = now + Duration::seconds(60);
    let claimed = w.claim_due(&holder, now, lease, 1).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert!(
        claimed[0].payload.contains("\"type\""),
        "the stored payload comes along"
    );
    let first = claimed[0].delivery.id.clone();
    let second = w.claim_due(&holder, now, lease, 5).await.expect("claim");
    assert_eq!(second.len(), 1);
    assert_ne!(second[0].delivery.id, first);
    assert!(w
        .claim_due(&holder, now, lease, 5)
        .await
        .expect("claim")
        .is_empty());
    assert_eq!(
        w.claim_due(&holder, lease, lease + Duration::seconds(60), 5)
            .await
            .expect("expired")
            .len(),
        2
    );
    // Leases are freed by holder: another's release leaves them, the holder's frees them.
    let leases = store
        .leases
        .iter()
        .find(|l| l.what() == "webhook deliveries")
        .expect("the webhook store leases");
    let later = lease + Duration::seconds(1);
    let other = InstanceId::parse("hub-b:8080").expect("instance");
    assert_eq!(
        leases
            .release_held_by(std::slice::from_ref(&other))
            .await
            .expect("release"),
        0
    );
    assert!(w
        .claim_due(&other, later, later + Duration::seconds(60), 5)
        .await
        .expect("claim")
        .is_empty());
    assert_eq!(
        leases
            .release_held_by(&[other.clone(), holder.clone()])
            .await
            .expect("release"),
        2
    );
    let retaken = w
        .claim_due(&other, later, later + Duration::seconds(600), 5)
        .await
        .expect("claim");
    assert_eq!(retaken.len(), 2, "due again at once, leases free");
    assert_eq!(
        leases
            .release_held_by(std::slice::from_ref(&other))
            .await
            .expect("release"),
        2
    );

    // Attempts move the delivery on and the endpoint's health.
    let d = deliveries
        .iter()
        .find(|d| d.id == first)
        .expect("first")
        .clone();
    let retry_at = now + Duration::seconds(5);
    let health = w
        .record_attempt(
            &attempt(&d, 1, AttemptOutcome::HttpError),
            &DeliveryUpdate {
                status: DeliveryStatus::Failing,
                step: 1,
                next_attempt_at: Some(retry_at),
            },
            2,
        )
        .await
        .expect("attempt 1");
    assert_eq!(
        (health.before, health.after, health.consecutive_failures),
        (EndpointHealth::Healthy, EndpointHealth::Healthy, 1)
    );
    let health = w
        .record_attempt(
            &attempt(&d, 2, AttemptOutcome::Timeout),
            &DeliveryUpdate {
                status: DeliveryStatus::Dead,
                step: 1,
                next_attempt_at: None,
            },
            2,
        )
        .await
        .expect("attempt 2");
    assert_eq!(health.after, EndpointHealth::Failing);
    let got = w
        .get_delivery(&b.endpoint.id, &first)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        (got.status, got.attempts, got.next_attempt_at),
        (DeliveryStatus::Dead, 2, None)
    );
    let attempts = w
        .list_attempts(&b.endpoint.id, Some(&first), None, 10)
        .await
        .expect("attempts");
    assert_eq!(
        attempts.iter().map(|a| a.attempt_no).collect::<Vec<_>>(),
        vec![2, 1]
    );
    let dead = w
        .list_deliveries(&b.endpoint.id, Some(DeliveryStatus::Dead), None, 10)
        .await
        .expect("dead");
    assert_eq!(dead.len(), 1);
    let ep = w
        .get_endpoint(&b.endpoint.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(ep.endpoint.health, EndpointHealth::Failing);
    assert!(ep.endpoint.failing_since.is_some());

    // Replay: every failing or dead delivery since a time, due now, schedule restarted.
    assert_eq!(
        w.replay_failed(&b.endpoint.id, now + Duration::hours(1), now)
            .await
            .expect("none"),
        0
    );
    assert_eq!(
        w.replay_failed(&b.endpoint.id, now - Duration::hours(1), lease)
            .await
            .expect("one"),
        1
    );
    let got = w
        .get_delivery(&b.endpoint.id, &first)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        (got.status, got.step, got.next_attempt_at),
        (DeliveryStatus::Pending, 0, Some(lease))
    );
    // The other delivery is still pending from fan-out, due at `now`.
    assert_eq!(w.next_due().await.expect("next due"), Some(now));
    assert!(!w
        .replay_delivery(&b.endpoint.id, &DeliveryId::generate(), now)
        .await
        .expect("unknown"));

    // A success heals the endpoint.
    let health = w
        .record_attempt(
            &attempt(&d, 3, AttemptOutcome::Success),
            &DeliveryUpdate {
                status: DeliveryStatus::Delivered,
                step: 0,
                next_attempt_at: None,
            },
            2,
        )
        .await
        .expect("attempt 3");
    assert_eq!(
        (health.before, health.after, health.consecutive_failures),
        (EndpointHealth::Failing, EndpointHealth::Healthy, 0)
    );

    // Several attempts in one transaction: health changes in order, each delivery moved on.
    let other = deliveries
        .iter()
        .find(|x| x.id != first)
        .expect("the other delivery");
    let failing = |at| DeliveryUpdate {
        status: DeliveryStatus::Failing,
        step: 1,
        next_attempt_at: Some(at),
    };
    let changes = w
        .record_attempts(
            &[
                (
                    attempt(other, 1, AttemptOutcome::HttpError),
                    failing(retry_at),
                ),
                (attempt(&d, 4, AttemptOutcome::Network), failing(retry_at)),
            ],
            2,
        )
        .await
        .expect("two attempts");
    assert_eq!(
        changes
            .iter()
            .map(|h| (h.before, h.after, h.consecutive_failures))
            .collect::<Vec<_>>(),
        vec![
            (EndpointHealth::Healthy, EndpointHealth::Healthy, 1),
            (EndpointHealth::Healthy, EndpointHealth::Failing, 2),
        ]
    );
    for (id, attempts) in [(&other.id, 1), (&first, 4)] {
        let got = w
            .get_delivery(&b.endpoint.id, id)
            .await
            .expect("get")
            .expect("found");
        assert_eq!(
            (got.status, got.attempts, got.next_attempt_at),
            (DeliveryStatus::Failing, attempts, Some(retry_at))
        );
    }
    assert!(w
        .record_attempts(&[], 2)
        .await
        .expect("nothing to store")
        .is_empty());
}

on_both_backends!(
    webhook_store_contract_on_sqlite,
    webhook_store_contract_on_postgres,
    webhook_store_contract
);
