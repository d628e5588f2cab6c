//! The WeCom contacts directory against the sandbox's corp: a full sync (over HTTP in the hub,
//! and by `wxhub sync contacts`, killed half-way and run again), a rerun that changes nothing,
//! a reconcile that reports the drift it fixed, every change_contact callback and seed 002's
//! manual notify re-reading the member or department named. On SQLite and PostgreSQL.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use wx_sandbox::config::SandboxConfig;
use wxhub::accounts::model::AccountId;
use wxhub::jobs::model::{JobFilter, JobStatus};
use wxhub::store::contacts::DirectoryCounts;

use crate::followers::wait_for;
use crate::helpers::{
    assert_error, spawn_hub_with, test_config, Backend, TestClient, TestDb, TestHub,
};

const CORPID: &str = "wwcontacts0001";
const CONTACTS_SECRET: &str = "contacts-secret-for-the-directory";
const APP_SECRET: &str = "app-secret-1000002";
const TOKEN: &str = "callbacktoken";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const ACCOUNT: &str = "corp-a";

/// A sandbox corp with one app (its callbacks to the hub when `callbacks`) and the hub's
/// account for it, with the contacts secret.
pub(crate) struct Corp {
    _sandbox: wx_sandbox::server::RunningSandbox,
    pub driver: TestClient,
    pub hub: TestHub,
}

impl Corp {
    pub(crate) async fn start(backend: Backend, callbacks: bool) -> Corp {
        Corp::start_with(backend, callbacks, |_| {}).await
    }

    pub(crate) async fn start_with(
        backend: Backend,
        callbacks: bool,
        configure: impl FnOnce(&mut wxhub::Config),
    ) -> Corp {
        let db = Arc::new(TestDb::new(backend).await);
        let mut config = test_config(&db);
        configure(&mut config);
        let hub = spawn_hub_with(config, db).await;
        // The sandbox signs callbacks with real time; the hub's clock follows it.
        hub.clock.set(chrono::Utc::now());
        let sandbox = wx_sandbox::spawn(SandboxConfig::default())
            .await
            .expect("sandbox");
        let driver = TestClient::new(sandbox.addr);
        driver
            .post(
                "/sandbox/work/corps",
                json!({"corpid": CORPID, "contacts_secret": CONTACTS_SECRET, "name": "示例公司"}),
                StatusCode::CREATED,
            )
            .await;
        let mut app = json!({"agentid": 1000002, "secret": APP_SECRET, "token": TOKEN,
                             "encoding_aes_key": AES_KEY, "name": "消息中心"});
        if callbacks {
            app["callback_url"] = json!(format!("http://{}/callback/{ACCOUNT}", hub.addr));
        }
        driver
            .post(
                &format!("/sandbox/work/corps/{CORPID}/apps"),
                app,
                StatusCode::CREATED,
            )
            .await;
        hub.client
            .post(
                "/api/v1/accounts",
                json!({"id": ACCOUNT, "kind": "work", "corpid": CORPID, "agentid": 1000002,
                       "secret": APP_SECRET, "token": TOKEN, "encoding_aes_key": AES_KEY,
                       "contacts_secret": CONTACTS_SECRET, "api_base": sandbox.base_url()}),
                StatusCode::CREATED,
            )
            .await;
        Corp {
            _sandbox: sandbox,
            driver,
            hub,
        }
    }

    fn corp(&self, path: &str) -> String {
        format!("/sandbox/work/corps/{CORPID}{path}")
    }

    pub(crate) async fn generate(&self, members: u32, departments: u32, depth: u32) {
        self.driver
            .post(
                &self.corp("/directory/generate"),
                json!({"members": members, "departments": departments, "depth": depth}),
                StatusCode::CREATED,
            )
            .await;
    }

    /// Runs a full sync over HTTP and answers the finished job's result. The hub's clock
    /// moves on first: a sync removes what nothing confirmed since it began.
    pub(crate) async fn sync(&self) -> Value {
        self.hub.clock.advance(chrono::Duration::seconds(1));
        let started = self
            .hub
            .client
            .post(
                &format!("/api/v1/contacts/{ACCOUNT}/sync"),
                json!({}),
                StatusCode::ACCEPTED,
            )
            .await;
        let id = started["job_id"].as_str().expect("job id").to_owned();
        let job = wait_for(&self.hub.client, &format!("/api/v1/jobs/{id}"), |j| {
            j["status"] != "queued" && j["status"] != "running"
        })
        .await;
        assert_eq!(job["status"], "succeeded", "{job}");
        job["result"].clone()
    }

    async fn counts(&self) -> DirectoryCounts {
        let account = AccountId::parse(ACCOUNT).expect("id");
        self.hub
            .db
            .store()
            .await
            .contacts
            .counts(&account)
            .await
            .expect("counts")
    }

    /// The sandbox's directory: departments and tags in full, the member count.
    async fn wecom(&self) -> Value {
        self.driver
            .get(&self.corp("/directory"), StatusCode::OK)
            .await
    }

    /// Waits until `done` holds for the hub's copy (re-reads apply in the background).
    async fn until(&self, what: &str, done: impl Fn(&Row) -> bool, userid: &str) -> Row {
        for _ in 0..200 {
            let row = self.member_row(userid).await;
            if done(&row) {
                return row;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{what}: the copy never caught up");
    }

    /// A member as the copy holds it (`None`: not there).
    async fn member_row(&self, userid: &str) -> Row {
        let db = &self.hub.db;
        let sql = "SELECT name, mobile, email, address, main_department, departments, gender \
                   FROM contact_members WHERE account_id = $1 AND userid = $2";
        let row: Option<(String, String, String, String, i64, String, String)> =
            if db.url.starts_with("sqlite") {
                let pool = sqlx::SqlitePool::connect(&db.url).await.expect("sqlite");
                let row = sqlx::query_as(sql)
                    .bind(ACCOUNT)
                    .bind(userid)
                    .fetch_optional(&pool)
                    .await
                    .expect("row");
                pool.close().await;
                row
            } else {
                let pool = sqlx::PgPool::connect(&db.url).await.expect("pg");
                let row = sqlx::query_as(sql)
                    .bind(ACCOUNT)
                    .bind(userid)
                    .fetch_optional(&pool)
                    .await
                    .expect("row");
                pool.close().await;
                row
            };
        row.map(
            |(name, mobile, email, address, main, departments, gender)| Member {
                name,
                mobile,
                email,
                address,
                main_department: main,
                departments,
                gender,
            },
        )
    }

    /// A department's stored path (`None`: not there).
    async fn department_path(&self, id: u64) -> Option<String> {
        let account = AccountId::parse(ACCOUNT).expect("id");
        self.hub
            .db
            .store()
            .await
            .contacts
            .department_path(
                &account,
                wxhub::contacts::model::DepartmentId::new(id).expect("id"),
            )
            .await
            .expect("path")
            .map(|p| p.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    name: String,
    mobile: String,
    email: String,
    address: String,
    main_department: i64,
    departments: String,
    gender: String,
}

type Row = Option<Member>;

fn changes(result: &Value, kind: &str) -> (u64, u64, u64) {
    let c = &result["changes"][kind];
    (
        c["created"].as_u64().expect("created"),
        c["updated"].as_u64().expect("updated"),
        c["removed"].as_u64().expect("removed"),
    )
}

#[tokio::test]
async fn a_full_sync_copies_the_directory_a_rerun_changes_nothing_and_a_reconcile_reports_drift() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let corp = Corp::start(backend, false).await;
        corp.generate(300, 30, 4).await;
        let tag = corp
            .driver
            .post(
                &corp.corp("/tags"),
                json!({"tagname": "值班"}),
                StatusCode::CREATED,
            )
            .await;
        let tagid = tag["tagid"].as_u64().expect("tagid");
        corp.driver
            .post(
                &corp.corp(&format!("/tags/{tagid}/members")),
                json!({"add_users": ["m0000001", "m0000002"], "add_parties": [2]}),
                StatusCode::OK,
            )
            .await;

        let first = corp.sync().await;
        let wecom = corp.wecom().await;
        let departments = wecom["departments"].as_array().expect("departments").len() as u64;
        assert_eq!(departments, 31, "30 and the root");
        assert_eq!(first["departments"], departments);
        assert_eq!(first["members"], 300);
        assert_eq!(first["tags"], 1);
        assert_eq!(changes(&first, "members"), (300, 0, 0));
        assert_eq!(changes(&first, "departments"), (31, 0, 0));
        assert_eq!(changes(&first, "tags"), (1, 0, 0));
        let m = corp.member_row("m0000001").await.expect("synced");
        assert_eq!(m.mobile, "13800000001");
        assert_eq!(m.email, "m0000001@example.com");
        assert!(!m.address.is_empty(), "WeCom's address is copied");
        // Every department sits on its path under the root.
        for d in wecom["departments"].as_array().expect("departments") {
            let id = d["id"].as_u64().expect("id");
            let path = corp.department_path(id).await.expect("stored");
            assert!(
                path.starts_with("/1/") && path.ends_with(&format!("/{id}/")),
                "{path}"
            );
        }

        let again = corp.sync().await;
        for kind in ["members", "departments", "tags"] {
            assert_eq!(
                changes(&again, kind),
                (0, 0, 0),
                "a rerun changes nothing: {again}"
            );
        }

        // Drift made behind the hub's back (no callbacks here): one changed, one gone, one new.
        corp.driver
            .patch(
                &corp.corp("/members/m0000003"),
                json!({"name": "改名了"}),
                StatusCode::OK,
            )
            .await;
        corp.driver
            .delete(&corp.corp("/members/m0000004"), StatusCode::OK)
            .await;
        corp.driver
            .post(
                &corp.corp("/members"),
                json!({"userid": "newcomer", "name": "新人", "department": [2], "mobile": "13900000000"}),
                StatusCode::CREATED,
            )
            .await;
        let reconcile = corp.sync().await;
        assert_eq!(changes(&reconcile, "members"), (1, 1, 1), "{reconcile}");
        let members = &reconcile["changes"]["members"];
        assert_eq!(members["created_ids"], json!(["newcomer"]));
        assert_eq!(members["updated_ids"], json!(["m0000003"]));
        assert_eq!(members["removed_ids"], json!(["m0000004"]));
        assert_eq!(
            corp.member_row("m0000003").await.expect("kept").name,
            "改名了"
        );
        assert_eq!(corp.member_row("m0000004").await, None);
        assert_eq!(
            corp.counts().await,
            DirectoryCounts {
                departments: 31,
                members: 300,
                tags: 1
            }
        );
        // The report is kept.
        let syncs = corp
            .hub
            .client
            .get(&format!("/api/v1/contacts/{ACCOUNT}/syncs"), StatusCode::OK)
            .await;
        let items = syncs["items"].as_array().expect("items");
        assert_eq!(items.len(), 3);
        assert_eq!(items[0]["report"], reconcile, "newest first");
        corp.hub.stop().await.expect("stops");
    }
}

#[tokio::test]
async fn every_change_callback_rereads_what_it_names() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let corp = Corp::start(backend, true).await;
        corp.generate(20, 4, 2).await;
        corp.sync().await;

        // create_user
        corp.driver
            .post(
                &corp.corp("/members"),
                json!({"userid": "zhangsan", "name": "张三", "department": [2], "mobile": "13700000001",
                       "email": "zhangsan@example.com", "gender": "1"}),
                StatusCode::CREATED,
            )
            .await;
        let m = corp
            .until("create_user", |r| r.is_some(), "zhangsan")
            .await
            .expect("created");
        assert_eq!((m.name.as_str(), m.gender.as_str()), ("张三", "1"));
        assert_eq!(m.departments, "[2]");
        // update_user
        corp.driver
            .patch(
                &corp.corp("/members/zhangsan"),
                json!({"name": "张三丰", "department": [2, 3]}),
                StatusCode::OK,
            )
            .await;
        let m = corp
            .until(
                "update_user",
                |r| r.as_ref().is_some_and(|m| m.name == "张三丰"),
                "zhangsan",
            )
            .await
            .expect("updated");
        assert_eq!(m.departments, "[2,3]");
        // delete_user
        corp.driver
            .delete(&corp.corp("/members/zhangsan"), StatusCode::OK)
            .await;
        corp.until("delete_user", |r| r.is_none(), "zhangsan").await;

        // create_party, update_party (moved under another department: its subtree follows),
        // delete_party.
        let created = corp
            .driver
            .post(
                &corp.corp("/departments"),
                json!({"name": "新部门", "parentid": 2}),
                StatusCode::CREATED,
            )
            .await;
        let id = created["result"]["id"]
            .as_u64()
            .or_else(|| created["id"].as_u64())
            .expect("department id");
        let mut path = None;
        for _ in 0..200 {
            path = corp.department_path(id).await;
            if path.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(path.as_deref(), Some(format!("/1/2/{id}/").as_str()));
        corp.driver
            .patch(
                &corp.corp(&format!("/departments/{id}")),
                json!({"parentid": 3}),
                StatusCode::OK,
            )
            .await;
        let parent3 = corp.department_path(3).await.expect("3");
        let want = format!("{parent3}{id}/");
        for _ in 0..200 {
            if corp.department_path(id).await.as_deref() == Some(want.as_str()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(corp.department_path(id).await, Some(want));
        corp.driver
            .delete(&corp.corp(&format!("/departments/{id}")), StatusCode::OK)
            .await;
        for _ in 0..200 {
            if corp.department_path(id).await.is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(corp.department_path(id).await, None, "delete_party");

        // update_tag
        let tag = corp
            .driver
            .post(
                &corp.corp("/tags"),
                json!({"tagname": "项目组"}),
                StatusCode::CREATED,
            )
            .await;
        let tagid = tag["tagid"].as_u64().expect("tagid");
        corp.driver
            .post(
                &corp.corp(&format!("/tags/{tagid}/members")),
                json!({"add_users": ["m0000001"]}),
                StatusCode::OK,
            )
            .await;
        for _ in 0..200 {
            if corp.counts().await.tags == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(corp.counts().await.tags, 1, "update_tag read the tag");
        // Every callback was answered and stored as an event.
        let events = corp
            .hub
            .client
            .get("/api/v1/events?limit=100", StatusCode::OK)
            .await;
        let types: Vec<&str> = events["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|e| e["type"].as_str().or_else(|| e["event_type"].as_str()))
            .collect();
        for t in [
            "change_contact.create_user",
            "change_contact.update_user",
            "change_contact.delete_user",
            "change_contact.create_party",
            "change_contact.update_party",
            "change_contact.delete_party",
            "change_contact.update_tag",
        ] {
            assert!(types.contains(&t), "{t} stored: {types:?}");
        }
        let pending = corp
            .hub
            .db
            .store()
            .await
            .contacts
            .pending_changes(&AccountId::parse(ACCOUNT).expect("id"))
            .await
            .expect("pending");
        assert_eq!(pending, 0, "every re-read applied");
        corp.hub.stop().await.expect("stops");
    }
}

#[tokio::test]
async fn a_manual_notify_rereads_the_member_or_department_named() {
    let corp = Corp::start(Backend::Sqlite, false).await;
    corp.generate(10, 2, 1).await;
    corp.sync().await;
    corp.driver
        .patch(
            &corp.corp("/members/m0000001"),
            json!({"name": "通知后"}),
            StatusCode::OK,
        )
        .await;
    let path = format!("/api/v1/contacts/{ACCOUNT}/notify");
    let queued = corp
        .hub
        .client
        .post(
            &path,
            json!({"changeType": "update_user", "corpId": CORPID, "userId": "m0000001"}),
            StatusCode::ACCEPTED,
        )
        .await;
    assert_eq!(queued, json!({"target": "user", "id": "m0000001"}));
    corp.until(
        "notify",
        |r| r.as_ref().is_some_and(|m| m.name == "通知后"),
        "m0000001",
    )
    .await;
    // A department named by a number or a string.
    corp.driver
        .patch(
            &corp.corp("/departments/2"),
            json!({"name": "改名部门"}),
            StatusCode::OK,
        )
        .await;
    let queued = corp
        .hub
        .client
        .post(
            &path,
            json!({"changeType": "update_party", "partyId": 2}),
            StatusCode::ACCEPTED,
        )
        .await;
    assert_eq!(queued, json!({"target": "party", "id": "2"}));
    // A member WeCom no longer knows is removed.
    corp.driver
        .delete(&corp.corp("/members/m0000002"), StatusCode::OK)
        .await;
    corp.hub
        .client
        .post(
            &path,
            json!({"changeType": "delete_user", "userId": "m0000002"}),
            StatusCode::ACCEPTED,
        )
        .await;
    corp.until("delete notify", |r| r.is_none(), "m0000002")
        .await;

    for (body, field) in [
        (
            json!({"changeType": "rename_user", "userId": "a"}),
            "changeType",
        ),
        (json!({"changeType": "update_user"}), "userId"),
        (
            json!({"changeType": "create_party", "partyId": "x"}),
            "partyId",
        ),
    ] {
        let refused = corp
            .hub
            .client
            .post(&path, body, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
        assert_error(&refused, "invalid_field");
        assert_eq!(refused["error"]["field"], field, "{refused}");
    }
    corp.hub.stop().await.expect("stops");
}

#[tokio::test]
async fn a_corp_without_a_contacts_secret_is_told_which_setting_is_missing() {
    let db = Arc::new(TestDb::sqlite());
    let hub = spawn_hub_with(test_config(&db), db).await;
    hub.client
        .post(
            "/api/v1/accounts",
            json!({"id": "corp-b", "kind": "work", "corpid": "wwnosecret", "agentid": 1000002,
                   "secret": "app-secret-x", "api_base": "http://127.0.0.1:9"}),
            StatusCode::CREATED,
        )
        .await;
    let refused = hub
        .client
        .post(
            "/api/v1/contacts/corp-b/sync",
            json!({}),
            StatusCode::CONFLICT,
        )
        .await;
    let message = assert_error(&refused, "contacts_secret_missing");
    assert!(message.contains("contacts_secret"), "{message}");
    hub.add_mp("an-mp", "wx1234567890abcdef").await;
    let refused = hub
        .client
        .post(
            "/api/v1/contacts/an-mp/sync",
            json!({}),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_error(&refused, "unsupported_for_account");
    hub.client
        .post(
            "/api/v1/contacts/nobody/sync",
            json!({}),
            StatusCode::NOT_FOUND,
        )
        .await;
    hub.stop().await.expect("stops");
}

/// `wxhub sync contacts --corp …` on the test's store, stdout piped (so plain lines).
fn sync_command(db_url: &str, master_key: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_wxhub"));
    cmd.args(["sync", "contacts", "--corp", ACCOUNT])
        .env("WXHUB_DATABASE_URL", db_url)
        .env("WXHUB_MASTER_KEY", master_key)
        .env_remove("WXHUB_ADMIN_TOKEN")
        .env("RUST_LOG", "error")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// `N/M departments` of a progress line.
fn departments_read(line: &str) -> Option<u64> {
    let (_, rest) = line.split_once("reading members: ")?;
    rest.split('/').next()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wxhub_sync_contacts_killed_half_way_resumes_and_ends_matching_wecom() {
    let db = Arc::new(TestDb::sqlite());
    let mut config = test_config(&db);
    config.jobs.runners = 0;
    let master_key = config.master_key.as_ref().expect("key").expose().to_owned();
    let hub = spawn_hub_with(config, db.clone()).await;
    let sandbox = wx_sandbox::spawn(SandboxConfig::default())
        .await
        .expect("sandbox");
    let driver = TestClient::new(sandbox.addr);
    driver
        .post(
            "/sandbox/work/corps",
            json!({"corpid": CORPID, "contacts_secret": CONTACTS_SECRET}),
            StatusCode::CREATED,
        )
        .await;
    driver
        .post(
            &format!("/sandbox/work/corps/{CORPID}/apps"),
            json!({"agentid": 1000002, "secret": APP_SECRET}),
            StatusCode::CREATED,
        )
        .await;
    hub.client
        .post(
            "/api/v1/accounts",
            json!({"id": ACCOUNT, "kind": "work", "corpid": CORPID, "agentid": 1000002,
                   "secret": APP_SECRET, "contacts_secret": CONTACTS_SECRET,
                   "api_base": sandbox.base_url()}),
            StatusCode::CREATED,
        )
        .await;
    driver
        .post(
            &format!("/sandbox/work/corps/{CORPID}/directory/generate"),
            json!({"members": 2000, "departments": 400, "depth": 5}),
            StatusCode::CREATED,
        )
        .await;
    // Slow member lists, so the kill lands among them.
    driver
        .post(
            "/sandbox/faults",
            json!({"path": "/cgi-bin/user/list", "latency_ms": 40}),
            StatusCode::CREATED,
        )
        .await;
    let mut first = sync_command(&db.url, &master_key)
        .spawn()
        .expect("wxhub runs");
    let mut lines = BufReader::new(first.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    loop {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("progress in time")
            .expect("stdout")
            .unwrap_or_else(|| panic!("the first run ended before it was killed: {seen:?}"));
        seen.push(line.clone());
        if departments_read(&line).is_some_and(|n| n >= 100) {
            break;
        }
    }
    first.start_kill().expect("SIGKILL");
    assert!(!first.wait().await.expect("reaped").success());
    assert!(seen[0].starts_with("directory sync job_"), "{seen:?}");
    let store = db.store().await;
    let filter = JobFilter {
        kind: Some("contacts.sync".into()),
        status: None,
        owner: None,
    };
    let jobs = store.jobs.list(&filter, None, 10).await.expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, JobStatus::Running, "left mid-way");

    driver
        .delete("/sandbox/faults", StatusCode::NO_CONTENT)
        .await;
    let second = sync_command(&db.url, &master_key)
        .output()
        .await
        .expect("wxhub runs");
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(
        second.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(
        out.starts_with(&format!("resuming directory sync {}", jobs[0].id)),
        "{out}"
    );
    // Counts after the run; the changes a killed step had written before its state was saved
    // are seen again unchanged, so the created counts may be smaller.
    assert!(
        out.contains("401 departments (") && out.contains("2000 members ("),
        "{out}"
    );
    let counts = store
        .contacts
        .counts(&AccountId::parse(ACCOUNT).expect("id"))
        .await
        .expect("counts");
    assert_eq!((counts.departments, counts.members), (401, 2000));
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn the_sync_contacts_benchmark_runs_small() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_wxhub"))
        .args([
            "bench",
            "sync-contacts",
            "--members",
            "600,1200",
            "--depth",
            "3",
        ])
        .env("RUST_LOG", "error")
        .current_dir(std::env::temp_dir())
        .output()
        .await
        .expect("wxhub runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (members, departments) in [("600", "31"), ("1200", "61")] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(members))
            .unwrap_or_else(|| panic!("a line for {members}: {text}"));
        assert!(
            line.contains(&format!("{departments} departments")) && line.contains("MiB"),
            "{line}"
        );
    }
}

#[tokio::test]
async fn wecom_restrictions_are_met_or_named() {
    let corp = Corp::start(Backend::Sqlite, false).await;
    corp.generate(5, 1, 1).await;
    // The app was created after 2022-06-20: WeCom hides mobile, e-mail … from its token, but
    // the hub reads with the contacts secret, which still gets them.
    corp.driver
        .patch(
            &corp.corp("/apps/1000002"),
            json!({"created_after_2022_06_20": true}),
            StatusCode::OK,
        )
        .await;
    corp.sync().await;
    let m = corp.member_row("m0000001").await.expect("synced");
    assert_eq!(m.mobile, "13800000001");
    // The contacts secret only from trusted IPs: WeCom's 60020, named in the failed job.
    corp.driver
        .patch(
            &corp.corp(""),
            json!({"trusted_ips": ["10.9.9.9"]}),
            StatusCode::OK,
        )
        .await;
    corp.hub.clock.advance(chrono::Duration::seconds(1));
    let started = corp
        .hub
        .client
        .post(
            &format!("/api/v1/contacts/{ACCOUNT}/sync"),
            json!({}),
            StatusCode::ACCEPTED,
        )
        .await;
    let id = started["job_id"].as_str().expect("job id");
    let job = wait_for(&corp.hub.client, &format!("/api/v1/jobs/{id}"), |j| {
        j["status"] != "queued" && j["status"] != "running"
    })
    .await;
    assert_eq!(job["status"], "failed", "{job}");
    let error = job["error"].as_str().expect("error");
    assert!(
        error.contains("60020") && error.contains("not allow to access from your ip"),
        "{error}"
    );
    // Nothing was removed by the failed run.
    assert_eq!(corp.counts().await.members, 5);
    corp.hub.stop().await.expect("stops");
}

#[tokio::test]
async fn a_synced_directory_is_reconciled_once_its_last_sync_is_old_enough() {
    let db = Arc::new(TestDb::sqlite());
    let mut config = test_config(&db);
    config.contacts.reconcile_every_secs = 1;
    let hub = spawn_hub_with(config, db).await;
    hub.clock.set(chrono::Utc::now());
    let sandbox = wx_sandbox::spawn(SandboxConfig::default())
        .await
        .expect("sandbox");
    let driver = TestClient::new(sandbox.addr);
    driver
        .post(
            "/sandbox/work/corps",
            json!({"corpid": CORPID, "contacts_secret": CONTACTS_SECRET}),
            StatusCode::CREATED,
        )
        .await;
    hub.client
        .post(
            "/api/v1/accounts",
            json!({"id": ACCOUNT, "kind": "work", "corpid": CORPID, "agentid": 1000002,
                   "secret": APP_SECRET, "contacts_secret": CONTACTS_SECRET,
                   "api_base": sandbox.base_url()}),
            StatusCode::CREATED,
        )
        .await;
    // Never synced: nothing is scheduled.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let jobs = hub
        .client
        .get("/api/v1/jobs?kind=contacts.sync", StatusCode::OK)
        .await;
    assert_eq!(jobs["items"].as_array().expect("items").len(), 0);
    let started = hub
        .client
        .post(
            &format!("/api/v1/contacts/{ACCOUNT}/sync"),
            json!({}),
            StatusCode::ACCEPTED,
        )
        .await;
    let first = started["job_id"].as_str().expect("id").to_owned();
    wait_for(&hub.client, &format!("/api/v1/jobs/{first}"), |j| {
        j["status"] == "succeeded"
    })
    .await;
    // The hub's clock moves past the age: the next look starts a reconcile.
    hub.clock.advance(chrono::Duration::seconds(5));
    let jobs = wait_for(&hub.client, "/api/v1/jobs?kind=contacts.sync", |j| {
        j["items"].as_array().is_some_and(|items| {
            items.len() == 2 && items.iter().all(|job| job["status"] == "succeeded")
        })
    })
    .await;
    assert_ne!(jobs["items"][0]["id"], first.as_str(), "a second sync");
    hub.stop().await.expect("stops");
}

#[tokio::test]
async fn the_message_centre_mails_the_members_the_synced_directory_names() {
    let sink = crate::message_centre::SmtpSink::start().await;
    let port = sink.port;
    let corp = Corp::start_with(Backend::Sqlite, false, |config| {
        config.message_centre.default_account = Some(ACCOUNT.to_owned());
        config.message_centre.smtp.host = Some("127.0.0.1".to_owned());
        config.message_centre.smtp.port = port;
        config.message_centre.smtp.tls = wxhub::message_centre::config::SmtpTls::None;
        config.message_centre.smtp.from = Some("消息中心 <noreply@example.com>".to_owned());
    })
    .await;
    let body = json!({"toParty": "2|999", "sendType": "2", "agentName": "OA系统", "title": "通知",
                      "content": "今晚停电", "url": "https://oa.example.com/n/1"});
    // Not synced yet: the directory is what names the addresses.
    let refused = corp
        .hub
        .client
        .post(
            "/api/v1/message-centre/send",
            body.clone(),
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .await;
    let message = assert_error(&refused, "contacts_not_synced");
    assert!(message.contains("wxhub sync contacts"), "{message}");

    corp.generate(12, 3, 1).await;
    corp.sync().await;
    let answered = corp
        .hub
        .client
        .post("/api/v1/message-centre/send", body, StatusCode::OK)
        .await;
    assert_eq!(answered["invalidparty"], "999", "{answered}");
    // Department 2 holds every third generated member.
    let mut to: Vec<String> = sink.received().iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "<m0000001@example.com>",
            "<m0000004@example.com>",
            "<m0000007@example.com>",
            "<m0000010@example.com>"
        ]
    );
    corp.hub.stop().await.expect("stops");
}
