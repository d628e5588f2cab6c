//! The `ReplyRuleStore` contract for the sealed webhook secret: stored with the rule, kept by
//! edits that leave it alone, replaced or cleared on request, and rotated on its own.

use chrono::{Duration, SubsecRound, Utc};
use serde_json::json;
use wxhub::accounts::model::AccountId;
use wxhub::store::replies::{RuleRecord, SecretChange};
use wxhub::store::Store;

use super::on_both_backends;

fn rule(sealed: Option<&str>) -> RuleRecord {
    let now = Utc::now().trunc_subsecs(3);
    RuleRecord {
        rule_id: format!("rule_{}", ulid::Ulid::new().to_string().to_lowercase()),
        account: AccountId::parse("demo-mp").expect("account"),
        name: Some("ask the shop".into()),
        priority: 10,
        enabled: true,
        matcher: json!({"kind": "any_text"}),
        action: json!({"kind": "webhook", "url": "http://127.0.0.1:9/reply"}),
        created_at: now,
        updated_at: now,
        webhook_secret_sealed: sealed.map(str::to_string),
        owner: None,
    }
}

async fn webhook_secrets_are_stored_kept_replaced_and_rotated(store: Store) {
    let rules = &store.reply_rules;
    let account = AccountId::parse("demo-mp").expect("account");
    let mut signed = rule(Some("v1.first"));
    let legacy = rule(None);
    rules.insert(&signed).await.expect("insert signed");
    rules.insert(&legacy).await.expect("insert legacy");
    let read = |id: String| {
        let account = account.clone();
        async move {
            rules
                .get(&account, &id)
                .await
                .expect("get")
                .expect("rule exists")
        }
    };
    assert_eq!(read(signed.rule_id.clone()).await, signed);
    assert_eq!(
        read(legacy.rule_id.clone()).await.webhook_secret_sealed,
        None
    );
    let listed = rules.list(&account).await.expect("list");
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&signed) && listed.contains(&legacy));

    // An edit that keeps the secret does not write the record's (stale) copy.
    signed.priority = 20;
    signed.webhook_secret_sealed = Some("v1.stale".into());
    assert!(rules
        .update(&signed, SecretChange::Keep)
        .await
        .expect("update"));
    let kept = read(signed.rule_id.clone()).await;
    assert_eq!(kept.priority, 20);
    assert_eq!(kept.webhook_secret_sealed.as_deref(), Some("v1.first"));

    // Rotation replaces only the secret (and the update time).
    let later = signed.updated_at + Duration::seconds(5);
    assert!(rules
        .set_webhook_secret(&account, &signed.rule_id, "v1.second", later)
        .await
        .expect("rotate"));
    let rotated = read(signed.rule_id.clone()).await;
    assert_eq!(rotated.webhook_secret_sealed.as_deref(), Some("v1.second"));
    assert_eq!(rotated.updated_at, later);
    assert_eq!(rotated.priority, 20);
    assert!(!rules
        .set_webhook_secret(&account, "rule_01arz3ndektsv4rrffq69g5fav", "v1.x", later)
        .await
        .expect("rotate a missing rule"));
    let other = AccountId::parse("other-mp").expect("account");
    assert!(!rules
        .set_webhook_secret(&other, &signed.rule_id, "v1.x", later)
        .await
        .expect("rotate in another account"));

    // Replace writes the record's secret, clearing it included.
    signed.webhook_secret_sealed = None;
    assert!(rules
        .update(&signed, SecretChange::Replace)
        .await
        .expect("update"));
    assert_eq!(
        read(signed.rule_id.clone()).await.webhook_secret_sealed,
        None
    );
    let mut legacy = legacy;
    legacy.webhook_secret_sealed = Some("v1.fresh".into());
    assert!(rules
        .update(&legacy, SecretChange::Replace)
        .await
        .expect("update"));
    assert_eq!(
        read(legacy.rule_id.clone())
            .await
            .webhook_secret_sealed
            .as_deref(),
        Some("v1.fresh")
    );
}

on_both_backends!(
    reply_rule_secrets_on_sqlite,
    reply_rule_secrets_on_postgres,
    webhook_secrets_are_stored_kept_replaced_and_rotated
);
