//! The `MessageLogStore` contract, on SQLite and PostgreSQL: sends come back newest first,
//! every field as written, paged by id, and scoped to one caller when asked.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use wxhub::message_centre::model::{LogChannel, LogEntry, LogId, LogOutcome};
use wxhub::store::Store;

use super::on_both_backends;

on_both_backends!(
    the_message_log_lists_newest_first_per_caller_on_sqlite,
    the_message_log_lists_newest_first_per_caller_on_postgres,
    the_message_log_lists_newest_first_per_caller
);

fn entry(caller: &str, at: DateTime<Utc>, channel: LogChannel) -> LogEntry {
    LogEntry {
        id: LogId::generate(),
        at,
        caller: caller.into(),
        agent_name: "OA系统".into(),
        channel,
        account: Some("mc-app".into()),
        msg_type: (channel == LogChannel::Wecom).then(|| "textcard".to_owned()),
        subject: "【OA系统】审批".into(),
        to_user: "zhangsan|lisi".into(),
        to_party: String::new(),
        to_tag: String::new(),
        delivered: (channel != LogChannel::Wecom).then_some(2),
        invaliduser: "nobody".into(),
        invalidparty: String::new(),
        invalidtag: String::new(),
        outcome: LogOutcome::Sent,
        error: None,
    }
}

async fn the_message_log_lists_newest_first_per_caller(store: Store) {
    let log = &store.message_log;
    assert!(log.list(None, None, 10).await.expect("list").is_empty());
    let t0 = Utc::now().trunc_subsecs(3);
    let first = entry("admin", t0, LogChannel::Wecom);
    let mut second = entry("cli_a", t0 + Duration::seconds(1), LogChannel::Email);
    second.account = None;
    let mut third = entry("cli_a", t0 + Duration::seconds(2), LogChannel::Sms);
    third.outcome = LogOutcome::Failed;
    third.error = Some("the SMS provider failed: down".into());
    third.delivered = None;
    for e in [&first, &second, &third] {
        log.record(e).await.expect("recorded");
    }

    let all = log.list(None, None, 10).await.expect("list");
    assert_eq!(
        all,
        vec![third.clone(), second.clone(), first.clone()],
        "newest first, as written"
    );

    let page = log.list(None, None, 2).await.expect("page");
    assert_eq!(page, vec![third.clone(), second.clone()]);
    let rest = log
        .list(None, Some(&page[1].id), 2)
        .await
        .expect("next page");
    assert_eq!(rest, vec![first.clone()]);

    let mine = log.list(Some("cli_a"), None, 10).await.expect("mine");
    assert_eq!(mine, vec![third.clone(), second.clone()]);
    let mine_after = log
        .list(Some("cli_a"), Some(&third.id), 10)
        .await
        .expect("mine, paged");
    assert_eq!(mine_after, vec![second]);
    assert!(log
        .list(Some("cli_b"), None, 10)
        .await
        .expect("none")
        .is_empty());
}
