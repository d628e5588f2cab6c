//! Shared test helpers: fresh databases, in-process hubs, and a client whose every call states
//! the status it expects.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use wxhub::config::Dsn;
use wxhub::core::clock::TestClock;
use wxhub::core::crypto::MasterKey;
use wxhub::store::{Db, Store};
use wxhub::{App, AppState, Config, Secret};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// The PostgreSQL server the tests use.
pub fn postgres_base_url() -> String {
    std::env::var("WXHUB_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// Logs to stderr when `TEST_LOG` is set; quiet otherwise.
pub fn init_test_log() {
    if std::env::var_os("TEST_LOG").is_some() {
        wxhub::telemetry::init_logging(wxhub::config::LogFormat::Human, "debug");
    }
}

/// A database of its own for one test. The SQLite file lives as long as this value; a
/// PostgreSQL schema is left in place for inspection.
pub struct TestDb {
    pub url: String,
    _dir: Option<TempDir>,
}

pub enum Backend {
    Sqlite,
    Postgres,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::sqlite(),
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("wxhub.db").display());
        TestDb {
            url,
            _dir: Some(dir),
        }
    }

    /// A fresh schema `t_<ulid>` on the test server, selected through `search_path`.
    pub async fn postgres() -> TestDb {
        let base = postgres_base_url();
        let schema = format!("t_{}", ulid::Ulid::new().to_string().to_lowercase());
        let pool = sqlx::PgPool::connect(&base).await.unwrap_or_else(|e| {
            panic!("PostgreSQL at {base} is unreachable ({e}); the store tests need it (set WXHUB_TEST_DATABASE_URL)")
        });
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&pool)
            .await
            .expect("create test schema");
        pool.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        TestDb {
            url: format!("{base}{sep}options[search_path]={schema}"),
            _dir: None,
        }
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Store {
        let db = Db::connect(&self.url).await.expect("connect test db");
        db.migrate().await.expect("migrate test db");
        Store::new(db)
    }
}

/// A config for tests: port 0, the given database, admin token and a fresh master key.
pub fn test_config(db: &TestDb) -> Config {
    let mut config = Config::defaults().expect("defaults");
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.database_url = Some(Dsn::new(db.url.clone()));
    config.admin_token = Some(Secret::new(ADMIN_TOKEN.to_string()));
    config.master_key = Some(MasterKey::generate().to_hex());
    config
}

/// A hub running in this process.
pub struct TestHub {
    pub addr: SocketAddr,
    /// Calls with the admin bearer.
    pub client: TestClient,
    pub clock: TestClock,
    pub state: AppState,
    pub config: Config,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    pub db: Arc<TestDb>,
}

pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-15T08:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

/// A hub on SQLite with the default test config.
pub async fn spawn_hub() -> TestHub {
    let db = Arc::new(TestDb::sqlite());
    let config = test_config(&db);
    spawn_hub_with(config, db).await
}

/// A hub on `db` with `config`; binds port 0 first, then serves, then returns.
pub async fn spawn_hub_with(config: Config, db: Arc<TestDb>) -> TestHub {
    init_test_log();
    let clock = TestClock::new(start_time());
    let shutdown = CancellationToken::new();
    let app = App::build_with_clock(config.clone(), Arc::new(clock.clone()), shutdown.clone())
        .await
        .expect("hub builds");
    let state = app.state().clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(app.serve(listener));
    // Served means started: the instance is registered and its predecessors' leases freed.
    let client = TestClient::new(addr);
    client.get("/healthz", StatusCode::OK).await;
    TestHub {
        addr,
        client: TestClient::new(addr).with_token(ADMIN_TOKEN),
        clock,
        state,
        config,
        shutdown,
        task: Some(task),
        db,
    }
}

impl TestHub {
    /// A client without credentials.
    pub fn anonymous(&self) -> TestClient {
        TestClient::new(self.addr)
    }

    /// Stops the hub and waits until it has drained and its tasks are done.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        match self.task.take() {
            Some(task) => task.await.expect("hub task joins"),
            None => Ok(()),
        }
    }

    /// Registers a demo Official Account `id` with AppID `appid`.
    pub async fn add_mp(&self, id: &str, appid: &str) -> Value {
        self.client
            .post(
                "/api/v1/accounts",
                serde_json::json!({
                    "id": id, "kind": "mp", "appid": appid, "secret": format!("secret-of-{id}"),
                    "token": "callbacktoken", "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                    "mode": "safe", "api_base": "http://127.0.0.1:9"
                }),
                StatusCode::CREATED,
            )
            .await
    }

    /// Registers a caller and returns (client_id, client_secret).
    pub async fn add_caller(&self, body: Value) -> (String, String) {
        let created = self
            .client
            .post("/api/v1/callers", body, StatusCode::CREATED)
            .await;
        (
            created["client_id"]
                .as_str()
                .expect("client_id")
                .to_string(),
            created["client_secret"]
                .as_str()
                .expect("client_secret")
                .to_string(),
        )
    }

    /// A client authenticated as a caller via the client-credentials grant.
    pub async fn caller_client(&self, client_id: &str, client_secret: &str) -> TestClient {
        let token = self
            .anonymous()
            .post(
                "/api/v1/auth/token",
                serde_json::json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}),
                StatusCode::OK,
            )
            .await;
        TestClient::new(self.addr).with_token(token["access_token"].as_str().expect("token"))
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// An HTTP client whose every call states the status it expects and returns the JSON body.
#[derive(Clone)]
pub struct TestClient {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl TestClient {
    pub fn new(addr: SocketAddr) -> Self {
        TestClient {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            token: None,
        }
    }

    pub fn with_token(&self, token: &str) -> Self {
        TestClient {
            token: Some(token.to_string()),
            ..self.clone()
        }
    }

    /// The same credentials against another hub (one that shares this one's store).
    pub fn at(&self, addr: SocketAddr) -> Self {
        TestClient {
            base: format!("http://{addr}"),
            ..self.clone()
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request builder with this client's credentials, for unusual requests.
    pub fn builder(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, self.url(path));
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// Sends `req`, asserts the status, returns the body as JSON (`Null` when empty).
    pub async fn send(&self, req: reqwest::RequestBuilder, expect: StatusCode) -> Value {
        let response = req.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.expect("body read");
        assert_eq!(status, expect, "unexpected status; body: {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
    }

    pub async fn get(&self, path: &str, expect: StatusCode) -> Value {
        self.send(self.builder(Method::GET, path), expect).await
    }

    pub async fn post(&self, path: &str, body: Value, expect: StatusCode) -> Value {
        self.send(self.builder(Method::POST, path).json(&body), expect)
            .await
    }

    pub async fn patch(&self, path: &str, body: Value, expect: StatusCode) -> Value {
        self.send(self.builder(Method::PATCH, path).json(&body), expect)
            .await
    }

    pub async fn delete(&self, path: &str, expect: StatusCode) -> Value {
        self.send(self.builder(Method::DELETE, path), expect).await
    }
}

/// Asserts an error envelope with `code`, and returns its message.
pub fn assert_error(body: &Value, code: &str) -> String {
    assert_eq!(body["error"]["code"], code, "body: {body}");
    body["error"]["message"]
        .as_str()
        .expect("error message")
        .to_string()
}
