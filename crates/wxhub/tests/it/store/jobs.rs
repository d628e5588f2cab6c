//! The jobs store contract: queue, claim under a lease, steps stored only by the holder,
//! cancel, leases freed by holder, instances and their heartbeats.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use wxhub::jobs::model::{InstanceId, JobFilter, JobId, JobStatus, NewJob, Progress, StepRecord};
use wxhub::store::Store;

use super::on_both_backends;

on_both_backends!(
    job_store_keeps_the_contract_on_sqlite,
    job_store_keeps_the_contract_on_postgres,
    job_store_contract
);

on_both_backends!(
    instance_store_keeps_the_contract_on_sqlite,
    instance_store_keeps_the_contract_on_postgres,
    instance_store_contract
);

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0)
        .single()
        .expect("time")
}

fn new_job(kind: &str, secs: i64) -> NewJob {
    NewJob {
        id: JobId::generate(),
        kind: kind.into(),
        owner: Some("cli_owner".into()),
        params: json!({"corp": "ww1", "n": 3}),
        created_at: at(secs),
    }
}

fn instance(name: &str) -> InstanceId {
    InstanceId::parse(name).expect("instance id")
}

pub async fn job_store_contract(store: Store) {
    let jobs = store.jobs.as_ref();
    let kinds = vec!["count".to_owned()];
    let (a, b) = (instance("host-a:8080"), instance("host-b:8080"));

    let first = new_job("count", 0);
    jobs.insert(&first).await.expect("insert");
    let other_kind = new_job("other", 1);
    jobs.insert(&other_kind).await.expect("insert other");
    let queued = jobs.get(&first.id).await.expect("get").expect("stored");
    assert_eq!(queued.status, JobStatus::Queued);
    assert_eq!(queued.params, json!({"corp": "ww1", "n": 3}));
    assert_eq!(queued.progress, Progress::default());
    assert_eq!(
        (queued.state.clone(), queued.lease_owner.clone()),
        (None, None)
    );
    assert_eq!(queued.created_at, at(0));
    assert!(jobs.insert(&first).await.is_err(), "ids are unique");

    // Only registered kinds are claimed; the claim leases and starts the job.
    let claimed = jobs
        .claim(&kinds, &a, at(10), at(70))
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(claimed.id, first.id);
    assert_eq!(claimed.status, JobStatus::Running);
    assert_eq!(claimed.lease_owner.as_ref(), Some(&a));
    assert_eq!(claimed.lease_until, Some(at(70)));
    assert_eq!(claimed.started_at, Some(at(10)));
    assert!(
        jobs.claim(&kinds, &b, at(20), at(80))
            .await
            .expect("claim")
            .is_none(),
        "a leased job is not claimed twice"
    );
    assert!(jobs
        .claim(&[], &b, at(20), at(80))
        .await
        .expect("none")
        .is_none());

    // The holder stores its steps; anybody else is refused.
    let step = StepRecord::Continue {
        state: json!({"cursor": "u2"}),
        progress: Progress::new(2, Some(5)),
        lease_until: at(90),
    };
    assert_eq!(
        jobs.save_step(&first.id, &b, &step, at(30))
            .await
            .expect("save"),
        None
    );
    let saved = jobs
        .save_step(&first.id, &a, &step, at(30))
        .await
        .expect("save")
        .expect("held");
    assert_eq!(saved.state, Some(json!({"cursor": "u2"})));
    assert_eq!(saved.progress, Progress::new(2, Some(5)));
    assert_eq!(saved.lease_until, Some(at(90)));

    // A lease that ran out is claimed by another, and the old holder has lost it.
    let taken = jobs
        .claim(&kinds, &b, at(91), at(151))
        .await
        .expect("claim")
        .expect("expired lease");
    assert_eq!(taken.lease_owner.as_ref(), Some(&b));
    assert_eq!(
        taken.state,
        Some(json!({"cursor": "u2"})),
        "continues where a stopped"
    );
    assert_eq!(taken.started_at, Some(at(10)), "started once");
    assert_eq!(
        jobs.save_step(&first.id, &a, &step, at(92))
            .await
            .expect("save"),
        None
    );

    // A failed step waits for its retry time, lease free; the next claim honours it.
    let failed = StepRecord::Failed {
        error: "wechat unavailable".into(),
        retry_at: Some(at(200)),
    };
    let retrying = jobs
        .save_step(&first.id, &b, &failed, at(100))
        .await
        .expect("save")
        .expect("held");
    assert_eq!(
        (retrying.status, retrying.attempts),
        (JobStatus::Running, 1)
    );
    assert_eq!(retrying.error.as_deref(), Some("wechat unavailable"));
    assert_eq!(retrying.lease_owner, None);
    assert!(jobs
        .claim(&kinds, &a, at(150), at(210))
        .await
        .expect("claim")
        .is_none());
    let again = jobs
        .claim(&kinds, &a, at(200), at(260))
        .await
        .expect("claim")
        .expect("due again");
    let done = jobs
        .save_step(
            &again.id,
            &a,
            &StepRecord::Succeeded {
                progress: Progress::new(5, Some(5)),
                result: Some(json!({"synced": 5})),
            },
            at(210),
        )
        .await
        .expect("save")
        .expect("held");
    assert_eq!(done.status, JobStatus::Succeeded);
    assert_eq!(
        (done.attempts, done.error.clone()),
        (0, None),
        "a good step resets"
    );
    assert_eq!(done.result, Some(json!({"synced": 5})));
    assert_eq!(done.finished_at, Some(at(210)));
    assert_eq!(done.lease_owner, None);
    assert!(jobs
        .claim(&kinds, &a, at(300), at(360))
        .await
        .expect("claim")
        .is_none());

    // A failure with no retry fails the job for good.
    let doomed = new_job("count", 400);
    jobs.insert(&doomed).await.expect("insert");
    jobs.claim(&kinds, &a, at(401), at(461))
        .await
        .expect("claim")
        .expect("job");
    let dead = jobs
        .save_step(
            &doomed.id,
            &a,
            &StepRecord::Failed {
                error: "account gone".into(),
                retry_at: None,
            },
            at(402),
        )
        .await
        .expect("save")
        .expect("held");
    assert_eq!((dead.status, dead.attempts), (JobStatus::Failed, 1));

    // Cancel: a queued job at once, a leased one after its step, a finished one untouched.
    let idle = new_job("count", 500);
    jobs.insert(&idle).await.expect("insert");
    let cancelled = jobs
        .request_cancel(&idle.id, at(501))
        .await
        .expect("cancel")
        .expect("job");
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    assert_eq!(cancelled.finished_at, Some(at(501)));
    let busy = new_job("count", 510);
    jobs.insert(&busy).await.expect("insert");
    jobs.claim(&kinds, &a, at(511), at(571))
        .await
        .expect("claim")
        .expect("job");
    let asked = jobs
        .request_cancel(&busy.id, at(512))
        .await
        .expect("cancel")
        .expect("job");
    assert_eq!(
        (asked.status, asked.cancel_requested),
        (JobStatus::Running, true)
    );
    let stopped = jobs
        .save_step(&busy.id, &a, &StepRecord::Cancelled, at(513))
        .await
        .expect("save")
        .expect("held");
    assert_eq!(stopped.status, JobStatus::Cancelled);
    let finished = jobs
        .request_cancel(&first.id, at(514))
        .await
        .expect("cancel")
        .expect("job");
    assert_eq!(
        finished.status,
        JobStatus::Succeeded,
        "finished jobs stay as they are"
    );
    assert_eq!(
        jobs.request_cancel(&JobId::generate(), at(515))
            .await
            .expect("cancel"),
        None
    );

    // Leases of a gone holder are freed: its job is claimable at once, with its state.
    let held = new_job("count", 600);
    jobs.insert(&held).await.expect("insert");
    jobs.claim(&kinds, &a, at(601), at(9_999))
        .await
        .expect("claim")
        .expect("job");
    let released = store.leases[0]
        .release_held_by(&[b.clone(), a.clone()])
        .await
        .expect("release");
    assert_eq!(released, 1);
    let resumed = jobs
        .claim(&kinds, &b, at(602), at(662))
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(resumed.id, held.id);
    // Released by the holder itself (the instance stops): claimable at once too.
    jobs.save_step(&held.id, &b, &StepRecord::Released, at(603))
        .await
        .expect("save")
        .expect("held");
    assert!(jobs
        .claim(&kinds, &a, at(604), at(664))
        .await
        .expect("claim")
        .is_some());

    // Lists: newest first, by kind, status and owner, paged by id.
    let all = jobs
        .list(&JobFilter::default(), None, 50)
        .await
        .expect("list");
    assert_eq!(all.len(), 6);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let by_kind = JobFilter {
        kind: Some("other".into()),
        ..JobFilter::default()
    };
    assert_eq!(jobs.list(&by_kind, None, 50).await.expect("list").len(), 1);
    let by_status = JobFilter {
        status: Some(JobStatus::Cancelled),
        ..JobFilter::default()
    };
    assert_eq!(
        jobs.list(&by_status, None, 50).await.expect("list").len(),
        2
    );
    let by_owner = JobFilter {
        owner: Some("nobody".into()),
        ..JobFilter::default()
    };
    assert!(jobs
        .list(&by_owner, None, 50)
        .await
        .expect("list")
        .is_empty());
    let page = jobs
        .list(&JobFilter::default(), None, 4)
        .await
        .expect("page 1");
    let rest = jobs
        .list(&JobFilter::default(), Some(&page[3].id), 4)
        .await
        .expect("page 2");
    assert_eq!(page.len() + rest.len(), 6);
    assert!(rest[0].id < page[3].id);
}

pub async fn instance_store_contract(store: Store) {
    let instances = store.instances.as_ref();
    let (a, b, c) = (instance("a:1"), instance("b:1"), instance("c:1"));
    instances.register(&a, at(0)).await.expect("register a");
    instances.register(&b, at(0)).await.expect("register b");
    instances
        .heartbeat(&c, at(5))
        .await
        .expect("a beat registers c too");
    instances.heartbeat(&b, at(20)).await.expect("beat");
    let silent = instances
        .others_silent_since(&a, Some(at(10)))
        .await
        .expect("silent");
    assert_eq!(
        silent,
        vec![c.clone()],
        "b beat at 20, a is asking, c beat at 5"
    );
    let others = instances
        .others_silent_since(&a, None)
        .await
        .expect("others");
    assert_eq!(others, vec![b.clone(), c.clone()]);
    instances
        .remove(std::slice::from_ref(&c))
        .await
        .expect("remove");
    instances.remove(&[]).await.expect("nothing to remove");
    assert!(
        instances
            .others_silent_since(&a, Some(at(100)))
            .await
            .expect("silent")
            == vec![b.clone()]
    );
    // Registering again is a fresh start.
    instances.register(&b, at(200)).await.expect("again");
    assert!(instances
        .others_silent_since(&a, Some(at(150)))
        .await
        .expect("silent")
        .is_empty());
}
