//! The jobs harness end to end: a tracked job runs to the end on a hub, its progress reads by
//! API and CLI, a caller sees only its own jobs, cancel stops it, and work a killed instance
//! held is taken over — at once by the next instance to start (SQLite, or the same instance
//! id on PostgreSQL) and by the others once it is silent.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use wxhub::core::InvalidField;
use wxhub::jobs::model::{InstanceId, JobId, JobStatus, NewJob, Progress, StepRecord};
use wxhub::jobs::{Job, JobKind, JobStepError, StepOutcome};
use wxhub::Config;

use crate::helpers::{
    assert_error, spawn_hub_with, start_time, test_config, Backend, TestDb, TestHub,
};

/// Counts to `params.to`, one per step; each step first takes a permit from `gate` when
/// there is one (so a test can hold a job mid-way).
struct Count {
    steps: Arc<AtomicU32>,
    gate: Option<Arc<Semaphore>>,
    /// Steps begun (counted before the gate).
    entered: Arc<AtomicU32>,
}

impl Count {
    fn new() -> (Arc<Count>, Arc<AtomicU32>) {
        let steps = Arc::new(AtomicU32::new(0));
        (
            Arc::new(Count {
                steps: steps.clone(),
                gate: None,
                entered: Arc::default(),
            }),
            steps,
        )
    }
}

#[async_trait]
impl JobKind for Count {
    fn kind(&self) -> &'static str {
        "test.count"
    }

    fn check_params(&self, params: &Value) -> Result<(), InvalidField> {
        match params["to"].as_u64() {
            Some(1..=1000) => Ok(()),
            _ => Err(InvalidField::new("to", "must be 1-1000")),
        }
    }

    async fn step(&self, job: &Job) -> Result<StepOutcome, JobStepError> {
        self.entered.fetch_add(1, Ordering::SeqCst);
        if let Some(gate) = &self.gate {
            gate.acquire().await.expect("gate open").forget();
        }
        self.steps.fetch_add(1, Ordering::SeqCst);
        let to = job.params["to"].as_u64().expect("checked");
        let done = job
            .state
            .as_ref()
            .and_then(|s| s["done"].as_u64())
            .unwrap_or(0)
            + 1;
        Ok(if done >= to {
            StepOutcome::Done {
                progress: Progress::new(to, Some(to)),
                result: Some(json!({"counted": to})),
            }
        } else {
            StepOutcome::Continue {
                state: json!({"done": done}),
                progress: Progress::new(done, Some(to)),
            }
        })
    }
}

fn fast_config(db: &TestDb) -> Config {
    let mut config = test_config(db);
    config.jobs.heartbeat_secs = 1;
    config.jobs.stale_after_secs = 30;
    config
}

async fn wait_for_status(hub: &TestHub, id: &str, status: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let job = hub
            .client
            .get(&format!("/api/v1/jobs/{id}"), StatusCode::OK)
            .await;
        if job["status"] == status {
            return job;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "job never became {status}: {job}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_tracked_job_runs_to_the_end_and_its_progress_reads_by_api_and_cli() {
    let db = Arc::new(TestDb::sqlite());
    let config = fast_config(&db);
    let hub = spawn_hub_with(config.clone(), db.clone()).await;
    let (kind, steps) = Count::new();
    hub.state.jobs.register(kind);

    let refused = hub
        .state
        .jobs
        .enqueue("test.count", json!({"to": 0}), None)
        .await;
    assert!(refused.is_err(), "params are checked before queueing");
    assert!(hub
        .state
        .jobs
        .enqueue("test.nope", json!({}), None)
        .await
        .is_err());

    let job = hub
        .state
        .jobs
        .enqueue("test.count", json!({"to": 5}), None)
        .await
        .expect("queued");
    let done = wait_for_status(&hub, job.id.as_str(), "succeeded").await;
    assert_eq!(done["kind"], "test.count");
    assert_eq!(
        done["progress"],
        json!({"done": 5, "total": 5, "percent": 100})
    );
    assert_eq!(done["result"], json!({"counted": 5}));
    assert_eq!(done["params"], json!({"to": 5}));
    assert_eq!(
        (done["attempts"].clone(), done["error"].clone()),
        (json!(0), Value::Null)
    );
    assert_eq!(done["instance"], Value::Null, "no lease left behind");
    assert!(done["finished_at"].is_string());
    assert_eq!(steps.load(Ordering::SeqCst), 5);

    let list = hub
        .client
        .get("/api/v1/jobs?status=succeeded", StatusCode::OK)
        .await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    assert_eq!(list["next_cursor"], Value::Null);
    let none = hub
        .client
        .get("/api/v1/jobs?kind=other", StatusCode::OK)
        .await;
    assert!(none["items"].as_array().expect("items").is_empty());
    let bad = hub
        .client
        .get(
            "/api/v1/jobs?status=bogus",
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(assert_error(&bad, "invalid_field").contains("status"));
    let missing = hub
        .client
        .get(
            &format!("/api/v1/jobs/{}", JobId::generate()),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_error(&missing, "job_not_found");
    let garbage = hub
        .client
        .get("/api/v1/jobs/nope", StatusCode::NOT_FOUND)
        .await;
    assert_error(&garbage, "job_not_found");
    hub.anonymous()
        .get("/api/v1/jobs", StatusCode::UNAUTHORIZED)
        .await;

    // The CLI reads the same store.
    let key = config.master_key.as_ref().expect("key").expose().to_owned();
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_wxhub"))
            .args(args)
            .env("WXHUB_DATABASE_URL", &db.url)
            .env("WXHUB_MASTER_KEY", &key)
            .env_remove("WXHUB_ADMIN_TOKEN")
            .env_remove("RUST_LOG")
            .current_dir(std::env::temp_dir())
            .output()
            .expect("wxhub runs")
    };
    let shown = cli(&["jobs", "show", job.id.as_str()]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(
        text.contains("status:    succeeded") && text.contains("5/5 100%"),
        "{text}"
    );
    let watched = cli(&["jobs", "show", job.id.as_str(), "--watch"]);
    let text = String::from_utf8_lossy(&watched.stdout);
    assert!(
        watched.status.success() && text.contains("[##############################] 5/5 100%"),
        "{text}"
    );
    let json_out = cli(&["jobs", "show", job.id.as_str(), "--json"]);
    let shown: Value = serde_json::from_slice(&json_out.stdout).expect("json");
    assert_eq!(shown["progress"], done["progress"]);
    let listed = cli(&["jobs", "list", "--status", "succeeded"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success() && text.contains(job.id.as_str()),
        "{text}"
    );
    let bad = cli(&["jobs", "list", "--status", "bogus"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--status must be"));
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn a_caller_sees_and_cancels_only_its_own_jobs_and_a_running_one_stops_after_its_step() {
    let db = Arc::new(TestDb::sqlite());
    let hub = spawn_hub_with(fast_config(&db), db).await;
    let gate = Arc::new(Semaphore::new(0));
    let steps = Arc::new(AtomicU32::new(0));
    hub.state.jobs.register(Arc::new(Count {
        steps: steps.clone(),
        gate: Some(gate.clone()),
        entered: Arc::default(),
    }));
    hub.add_mp("demo-mp", "wx_demo").await;
    let (client_id, secret) = hub
        .add_caller(json!({"system_id": "crm", "name": "CRM", "accounts": ["demo-mp"], "scopes": ["events"]}))
        .await;
    let crm = hub.caller_client(&client_id, &secret).await;

    let admins = hub
        .state
        .jobs
        .enqueue("test.count", json!({"to": 3}), None)
        .await
        .expect("admin's");
    let own = hub
        .state
        .jobs
        .enqueue("test.count", json!({"to": 3}), Some(client_id.clone()))
        .await
        .expect("caller's");
    let listed = crm.get("/api/v1/jobs", StatusCode::OK).await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|j| j["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [own.id.as_str()]);
    crm.get(
        &format!("/api/v1/jobs/{}", admins.id),
        StatusCode::NOT_FOUND,
    )
    .await;
    crm.post(
        &format!("/api/v1/jobs/{}/cancel", admins.id),
        json!({}),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        hub.client.get("/api/v1/jobs", StatusCode::OK).await["items"]
            .as_array()
            .expect("items")
            .len(),
        2
    );

    // Both are claimed and wait in their first step; cancel asks the running one to stop.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while hub
        .client
        .get(&format!("/api/v1/jobs/{}", own.id), StatusCode::OK)
        .await["status"]
        != "running"
    {
        assert!(std::time::Instant::now() < deadline, "never claimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let asked = crm
        .post(
            &format!("/api/v1/jobs/{}/cancel", own.id),
            json!({}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        (asked["status"].clone(), asked["cancel_requested"].clone()),
        (json!("running"), json!(true))
    );
    gate.add_permits(10);
    let cancelled = wait_for_status(&hub, own.id.as_str(), "cancelled").await;
    assert_eq!(
        cancelled["progress"]["done"], 1,
        "stopped after the step it was in"
    );
    wait_for_status(&hub, admins.id.as_str(), "succeeded").await;
    let again = crm
        .post(
            &format!("/api/v1/jobs/{}/cancel", own.id),
            json!({}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        again["status"], "cancelled",
        "a finished job is answered as it is"
    );
    hub.stop().await.expect("stops");
}

/// A job `gone` claimed for an hour and left after one step (as if killed), with `gone`'s
/// heartbeat fresh.
async fn leave_a_claimed_job(db: &TestDb, gone: &InstanceId) -> JobId {
    let store = db.store().await;
    let now = start_time();
    let job = NewJob {
        id: JobId::generate(),
        kind: "test.count".into(),
        owner: None,
        params: json!({"to": 3}),
        created_at: now,
    };
    store.jobs.insert(&job).await.expect("insert");
    let kinds = ["test.count".to_owned()];
    let hour = now + chrono::Duration::hours(1);
    store
        .jobs
        .claim(&kinds, gone, now, hour)
        .await
        .expect("claim")
        .expect("job");
    let step = StepRecord::Continue {
        state: json!({"done": 1}),
        progress: Progress::new(1, Some(3)),
        lease_until: hour,
    };
    store
        .jobs
        .save_step(&job.id, gone, &step, now)
        .await
        .expect("save")
        .expect("held");
    store.instances.register(gone, now).await.expect("register");
    job.id
}

async fn hub_running_count(
    db: Arc<TestDb>,
    instance_id: Option<&str>,
) -> (TestHub, Arc<AtomicU32>) {
    let mut config = fast_config(&db);
    config.jobs.instance_id = instance_id.map(str::to_owned);
    let hub = spawn_hub_with(config, db).await;
    let (kind, steps) = Count::new();
    hub.state.jobs.register(kind);
    (hub, steps)
}

async fn status_of(hub: &TestHub, id: &JobId) -> Value {
    hub.client
        .get(&format!("/api/v1/jobs/{id}"), StatusCode::OK)
        .await
}

#[tokio::test]
async fn on_sqlite_the_next_hub_to_start_takes_over_a_killed_ones_job_at_once() {
    let db = Arc::new(TestDb::sqlite());
    let gone = InstanceId::parse("other-host:8080").expect("id");
    let id = leave_a_claimed_job(&db, &gone).await;
    let (hub, steps) = hub_running_count(db, None).await;
    let done = wait_for_status(&hub, id.as_str(), "succeeded").await;
    assert_eq!(done["progress"]["done"], 3);
    assert_eq!(
        steps.load(Ordering::SeqCst),
        2,
        "continued from the stored state"
    );
    hub.stop().await.expect("stops");
}

async fn the_same_instance_restarted_takes_its_job_back_at_once(backend: Backend) {
    let db = Arc::new(TestDb::new(backend).await);
    let me = InstanceId::parse("hub-1").expect("id");
    let id = leave_a_claimed_job(&db, &me).await;
    let (hub, steps) = hub_running_count(db, Some("hub-1")).await;
    wait_for_status(&hub, id.as_str(), "succeeded").await;
    assert_eq!(steps.load(Ordering::SeqCst), 2);
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn the_same_instance_restarted_takes_its_job_back_at_once_on_sqlite() {
    the_same_instance_restarted_takes_its_job_back_at_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_same_instance_restarted_takes_its_job_back_at_once_on_postgres() {
    the_same_instance_restarted_takes_its_job_back_at_once(Backend::Postgres).await;
}

#[tokio::test]
async fn on_postgres_another_instance_takes_over_once_the_holder_is_silent_and_not_before() {
    let db = Arc::new(TestDb::postgres().await);
    let gone = InstanceId::parse("hub-gone").expect("id");
    let id = leave_a_claimed_job(&db, &gone).await;
    let (hub, steps) = hub_running_count(db, Some("hub-2")).await;
    // hub-gone beat just now: it may be alive, so its job stays its own.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let held = status_of(&hub, &id).await;
    assert_eq!(
        (held["status"].clone(), held["instance"].clone()),
        (json!("running"), json!("hub-gone"))
    );
    assert_eq!(steps.load(Ordering::SeqCst), 0);
    // Silent for longer than jobs.stale_after_secs: the next heartbeat frees its leases.
    hub.clock.advance(chrono::Duration::seconds(31));
    let done = wait_for_status(&hub, id.as_str(), "succeeded").await;
    assert_eq!(done["progress"]["done"], 3);
    assert_eq!(steps.load(Ordering::SeqCst), 2);
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn a_stopping_hub_gives_its_running_job_back_for_the_next_instance() {
    let db = Arc::new(TestDb::postgres().await);
    let mut config = fast_config(&db);
    config.jobs.instance_id = Some("hub-a".into());
    let hub = spawn_hub_with(config, db.clone()).await;
    let gate = Arc::new(Semaphore::new(1));
    let steps = Arc::new(AtomicU32::new(0));
    let entered = Arc::new(AtomicU32::new(0));
    hub.state.jobs.register(Arc::new(Count {
        steps: steps.clone(),
        gate: Some(gate.clone()),
        entered: entered.clone(),
    }));
    let job = hub
        .state
        .jobs
        .enqueue("test.count", json!({"to": 3}), None)
        .await
        .expect("queued");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while entered.load(Ordering::SeqCst) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "second step never began"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The second step waits at the gate; the hub stops meanwhile and, once that step is
    // stored, releases the job.
    let stopping = tokio::spawn(hub.stop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    gate.add_permits(1);
    stopping.await.expect("joins").expect("stops");
    let store = db.store().await;
    let left = store.jobs.get(&job.id).await.expect("get").expect("job");
    assert_eq!(left.status, JobStatus::Running);
    assert_eq!(left.lease_owner, None, "released, not left leased");
    assert_eq!(left.progress.done, 2);

    let (next, more) = hub_running_count(db, Some("hub-b")).await;
    wait_for_status(&next, job.id.as_str(), "succeeded").await;
    assert_eq!(
        more.load(Ordering::SeqCst),
        1,
        "only the last step was left"
    );
    next.stop().await.expect("stops");
}
