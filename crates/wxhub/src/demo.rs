//! `wxhub demo`: the sandbox and the hub in one process, wired to each other.
//!
//! [`start`] serves the sandbox and a hub (fresh SQLite store, generated admin token and master
//! key) on listeners the caller bound, registers a demo Official Account in both (the
//! sandbox's driver API, then the hub's own `/api/v1`, pointing the account's `api_base` at the
//! sandbox and the sandbox's callback URL at the hub), a demo WeCom corp and app the same way,
//! and a demo caller. [`Demo::walkthrough`] is the "what to try" text; each capability adds its steps there.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use rand::distributions::{Alphanumeric, DistString};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use wx_sandbox::client::DriverClient;
use wx_sandbox::driver::api::CreateMpAccount;
use wx_sandbox::driver::work::api::{CreateApp, CreateCorp, GenerateDirectory};

use crate::config::{Config, Dsn};
use crate::core::crypto::MasterKey;
use crate::core::secret::Secret;

pub const DEMO_MP: &str = "demo-mp";
pub const DEMO_MP_APPID: &str = "wxd0000000000demo1";
pub const DEMO_WORK: &str = "demo-work";
pub const DEMO_CORPID: &str = "wwd0000000000demo1";
pub const DEMO_AGENTID: u32 = 1_000_002;
pub const DEMO_CALLER: &str = "demo-shop";

/// Where the demo runs.
pub struct DemoOptions {
    pub hub: TcpListener,
    pub sandbox: TcpListener,
    /// The hub's data directory (a fresh SQLite store is created in it).
    pub data_dir: PathBuf,
}

/// A running demo.
pub struct Demo {
    pub hub_url: String,
    pub sandbox_url: String,
    pub admin_token: Secret<String>,
    pub caller_client_id: String,
    pub caller_client_secret: Secret<String>,
    /// The sandbox's simulated user of the demo Official Account.
    pub demo_openid: String,
    /// What the demo's scan-to-bind did at start: a user scanned a bind QR code.
    pub scanned: ScannedBind,
    /// The WeCom directory sync the demo ran at start.
    pub directory: SyncedDirectory,
    /// The message-centre notice the demo sent at start (to department 2), as answered.
    pub notice: serde_json::Value,
    hub: JoinHandle<anyhow::Result<()>>,
    sandbox: JoinHandle<std::io::Result<()>>,
}

/// The demo's scan-to-bind at start: a bind QR code for [`DEMO_UID`], scanned by a second
/// sandbox user, bound by the hub.
#[derive(Debug, Clone)]
pub struct ScannedBind {
    pub scan_code: String,
    pub image_url: String,
    pub openid: String,
    /// Seed 000's code of the bind (1: both bound for the first time).
    pub code: i64,
}

/// The demo's directory sync at start: the WeCom corp's directory copied into the hub.
#[derive(Debug, Clone)]
pub struct SyncedDirectory {
    pub job_id: String,
    pub departments: u64,
    pub members: u64,
}

/// The business uid the demo binds by scanning.
pub const DEMO_UID: i64 = 10001;

fn random(n: usize) -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), n)
}

/// Starts sandbox and hub and registers the demo data. Both stop when `shutdown` fires.
pub async fn start(opts: DemoOptions, shutdown: CancellationToken) -> anyhow::Result<Demo> {
    let hub_addr: SocketAddr = opts.hub.local_addr()?;
    let sandbox_addr: SocketAddr = opts.sandbox.local_addr()?;
    let hub_url = format!("http://{hub_addr}");
    let sandbox_url = format!("http://{sandbox_addr}");

    let sandbox = wx_sandbox::Sandbox::new(wx_sandbox::SandboxConfig::default());
    let sandbox_task = tokio::spawn(wx_sandbox::serve(opts.sandbox, sandbox, shutdown.clone()));

    let admin_token = Secret::new(format!("demo-admin-{}", random(24)));
    let mut config = Config::defaults()?;
    config.listen = hub_addr;
    config.data_dir = opts.data_dir.clone();
    config.database_url = Some(Dsn::new(format!(
        "sqlite://{}",
        opts.data_dir.join("wxhub-demo.db").display()
    )));
    config.admin_token = Some(admin_token.clone());
    config.master_key = Some(MasterKey::generate().to_hex());
    // The demo WeCom app is the message centre's default app.
    config.message_centre.default_account = Some(DEMO_WORK.to_owned());
    let app = crate::App::build(config, shutdown.clone()).await?;
    let hub_task = tokio::spawn(app.serve(opts.hub));

    // The same secrets on both sides, as an operator would copy them from WeChat's console.
    let mp_secret = random(32);
    let mp_token = random(16);
    let mp_aes_key = random(43);
    let driver = DriverClient::new(sandbox_url.clone());
    driver
        .create_mp_account(&CreateMpAccount {
            appid: DEMO_MP_APPID.into(),
            secret: mp_secret.clone(),
            token: mp_token.clone(),
            encoding_aes_key: mp_aes_key.clone(),
            callback_url: Some(format!("{hub_url}/callback/{DEMO_MP}")),
            mode: wx_sandbox::callbacks::CallbackMode::Safe,
            ..CreateMpAccount::default()
        })
        .await
        .context("registering the demo Official Account in the sandbox")?;

    let http = reqwest::Client::new();
    let admin = |req: reqwest::RequestBuilder| req.bearer_auth(admin_token.expose());
    let post = |path: &str, body: serde_json::Value| {
        admin(http.post(format!("{hub_url}{path}")))
            .json(&body)
            .send()
    };
    expect_created(
        post(
            "/api/v1/accounts",
            json!({
                "id": DEMO_MP, "kind": "mp", "appid": DEMO_MP_APPID, "secret": mp_secret,
                "token": mp_token, "encoding_aes_key": mp_aes_key, "mode": "safe",
                "api_base": sandbox_url, "name": "Demo Official Account",
            }),
        )
        .await,
        "registering the demo Official Account in the hub",
    )
    .await?;
    // The WeCom side: a corp (with its contacts secret and a small directory) and one app.
    let work_secret = random(32);
    let work_token = random(16);
    let work_aes_key = random(43);
    let contacts_secret = random(32);
    let sandbox_post = |path: String, body: serde_json::Value| {
        http.post(format!("{sandbox_url}{path}")).json(&body).send()
    };
    expect_success(
        sandbox_post(
            "/sandbox/work/corps".into(),
            serde_json::to_value(CreateCorp {
                corpid: DEMO_CORPID.into(),
                contacts_secret: contacts_secret.clone(),
                name: Some("Demo Corp".into()),
                ..CreateCorp::default()
            })?,
        )
        .await,
        "registering the demo WeCom corp in the sandbox",
    )
    .await?;
    expect_success(
        sandbox_post(
            format!("/sandbox/work/corps/{DEMO_CORPID}/apps"),
            serde_json::to_value(CreateApp {
                agentid: DEMO_AGENTID,
                secret: work_secret.clone(),
                token: work_token.clone(),
                encoding_aes_key: work_aes_key.clone(),
                callback_url: Some(format!("{hub_url}/callback/{DEMO_WORK}")),
                name: Some("Demo app".into()),
            })?,
        )
        .await,
        "registering the demo WeCom app in the sandbox",
    )
    .await?;
    expect_success(
        sandbox_post(
            format!("/sandbox/work/corps/{DEMO_CORPID}/directory/generate"),
            serde_json::to_value(GenerateDirectory {
                members: 20,
                departments: 3,
                depth: 1,
            })?,
        )
        .await,
        "generating the demo WeCom directory in the sandbox",
    )
    .await?;
    expect_created(
        post(
            "/api/v1/accounts",
            json!({
                "id": DEMO_WORK, "kind": "work", "corpid": DEMO_CORPID, "agentid": DEMO_AGENTID,
                "secret": work_secret, "token": work_token, "encoding_aes_key": work_aes_key,
                "contacts_secret": contacts_secret, "api_base": sandbox_url, "name": "Demo WeCom app",
            }),
        )
        .await,
        "registering the demo WeCom app in the hub",
    )
    .await?;
    let caller = expect_created(
        post(
            "/api/v1/callers",
            json!({
                "system_id": DEMO_CALLER, "name": "Demo shop",
                "accounts": [DEMO_MP, DEMO_WORK],
                "scopes": ["tokens", "messages", "qrcodes", "identity", "oauth", "contacts", "events", "bindings"],
                "qr_source": 1, "redirect_domains": ["localhost"], "jssdk_domains": ["localhost"],
            }),
        )
        .await,
        "registering the demo caller",
    )
    .await?;
    let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    // A simulated user who can follow, scan and send once callbacks are handled.
    let user = driver
        .create_user(
            DEMO_MP_APPID,
            &wx_sandbox::driver::api::CreateUser {
                nickname: Some("Demo user".into()),
                ..Default::default()
            },
        )
        .await
        .context("creating the demo user in the sandbox")?;

    let scanned = scan_to_bind(&http, &hub_url, &admin_token, &driver).await?;
    let directory = sync_directory(&http, &hub_url, &admin_token).await?;
    let notice = expect_status(
        http.post(format!("{hub_url}/api/v1/message-centre/send"))
            .bearer_auth(admin_token.expose())
            .json(&json!({
                "toParty": "2", "sendType": "0", "msgType": "01", "agentName": "演示系统",
                "title": "欢迎使用 wxhub", "content": "这是一条消息中心的文本卡片消息",
                "url": "https://example.com/welcome"
            }))
            .send()
            .await,
        "sending the demo's message-centre notice",
        reqwest::StatusCode::OK,
    )
    .await?;

    Ok(Demo {
        scanned,
        directory,
        notice,
        hub_url,
        sandbox_url,
        admin_token,
        caller_client_id: text(&caller, "client_id"),
        caller_client_secret: Secret::new(text(&caller, "client_secret")),
        demo_openid: user.openid.to_string(),
        hub: hub_task,
        sandbox: sandbox_task,
    })
}

/// Syncs the demo corp's directory into the hub (`POST /api/v1/contacts/{corp}/sync`) and
/// waits for the job.
async fn sync_directory(
    http: &reqwest::Client,
    hub_url: &str,
    admin_token: &Secret<String>,
) -> anyhow::Result<SyncedDirectory> {
    let started = expect_status(
        http.post(format!("{hub_url}/api/v1/contacts/{DEMO_WORK}/sync"))
            .bearer_auth(admin_token.expose())
            .send()
            .await,
        "starting the demo's directory sync",
        reqwest::StatusCode::ACCEPTED,
    )
    .await?;
    let job_id = started["job_id"].as_str().unwrap_or_default().to_owned();
    for _ in 0..200 {
        let job: serde_json::Value = http
            .get(format!("{hub_url}/api/v1/jobs/{job_id}"))
            .bearer_auth(admin_token.expose())
            .send()
            .await
            .context("reading the demo's directory sync")?
            .json()
            .await
            .context("reading the demo's directory sync")?;
        match job["status"].as_str() {
            Some("succeeded") => {
                return Ok(SyncedDirectory {
                    job_id,
                    departments: job["result"]["departments"].as_u64().unwrap_or(0),
                    members: job["result"]["members"].as_u64().unwrap_or(0),
                })
            }
            Some("failed") | Some("cancelled") => {
                anyhow::bail!("the demo's directory sync {job_id} ended: {}", job["error"])
            }
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    anyhow::bail!("the demo's directory sync {job_id} did not finish within 10 s")
}

/// A second sandbox user scans a bind QR code for [`DEMO_UID`]; waits until the hub bound it.
async fn scan_to_bind(
    http: &reqwest::Client,
    hub_url: &str,
    admin_token: &Secret<String>,
    driver: &DriverClient,
) -> anyhow::Result<ScannedBind> {
    let issued = expect_created(
        http.post(format!("{hub_url}/api/v1/bindings/qrcode"))
            .bearer_auth(admin_token.expose())
            .json(&json!({"account": DEMO_MP, "uid": DEMO_UID, "source": 1}))
            .send()
            .await,
        "issuing the demo's bind QR code",
    )
    .await?;
    let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let scan_code = text(&issued, "scan_code");
    let ticket = text(&issued["qrcode"], "ticket");
    let scanner = driver
        .create_user(
            DEMO_MP_APPID,
            &wx_sandbox::driver::api::CreateUser {
                nickname: Some("Scanning user".into()),
                ..Default::default()
            },
        )
        .await
        .context("creating the demo's scanning user in the sandbox")?;
    driver
        .scan(DEMO_MP_APPID, scanner.openid.as_str(), &ticket)
        .await
        .context("the demo's user scanning the bind QR code")?;
    for _ in 0..100 {
        let code: serde_json::Value = http
            .get(format!("{hub_url}/api/v1/bindings/qrcode/{scan_code}"))
            .bearer_auth(admin_token.expose())
            .send()
            .await
            .context("reading the demo's bind QR code")?
            .json()
            .await
            .context("reading the demo's bind QR code")?;
        if let Some(bound) = code["code"].as_i64() {
            return Ok(ScannedBind {
                scan_code,
                image_url: text(&issued["qrcode"], "image_url"),
                openid: scanner.openid.to_string(),
                code: bound,
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    anyhow::bail!("the demo's scan of bind QR code {scan_code} was not bound within 5 s")
}

async fn expect_success(
    sent: reqwest::Result<reqwest::Response>,
    what: &str,
) -> anyhow::Result<()> {
    let response = sent.with_context(|| what.to_string())?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        anyhow::bail!("{what}: sandbox answered {status}: {body}");
    }
    Ok(())
}

async fn expect_created(
    sent: reqwest::Result<reqwest::Response>,
    what: &str,
) -> anyhow::Result<serde_json::Value> {
    expect_status(sent, what, reqwest::StatusCode::CREATED).await
}

/// The JSON body of an answer with status `expected`; anything else is an error naming `what`.
async fn expect_status(
    sent: reqwest::Result<reqwest::Response>,
    what: &str,
    expected: reqwest::StatusCode,
) -> anyhow::Result<serde_json::Value> {
    let response = sent.with_context(|| what.to_string())?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.with_context(|| what.to_string())?;
    if status != expected {
        anyhow::bail!("{what}: hub answered {status}: {body}");
    }
    Ok(body)
}

impl Demo {
    /// What to try, as shell lines.
    pub fn walkthrough(&self) -> String {
        let hub = &self.hub_url;
        let sb = &self.sandbox_url;
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line("wxhub demo is running (Ctrl-C stops it).".into());
        line(format!("  hub      {hub}"));
        line(format!(
            "  sandbox  {sb}   (a simulator of WeChat's servers)"
        ));
        line(String::new());
        line("Registered:".into());
        line(format!("  {DEMO_MP:<10} Official Account  appid {DEMO_MP_APPID}  (hub and sandbox, api_base → sandbox, callbacks → hub)"));
        line(format!("  {DEMO_WORK:<10} WeCom app         corpid {DEMO_CORPID} agentid {DEMO_AGENTID}  (hub and sandbox, with a 20-member directory)"));
        line(format!(
            "  {DEMO_CALLER:<10} caller            client_id {}",
            self.caller_client_id
        ));
        line(String::new());
        line("Try:".into());
        line(format!(
            "  export HUB={hub} ADMIN='Authorization: Bearer {}'",
            self.admin_token.expose()
        ));
        line("  curl -s $HUB/healthz; curl -s $HUB/readyz".into());
        line(
            "  curl -s -H \"$ADMIN\" $HUB/api/v1/accounts            # secrets are never returned"
                .into(),
        );
        line("  curl -s -H \"$ADMIN\" $HUB/api/v1/callers".into());
        line(format!(
            "  curl -s $HUB/api/v1/auth/token -d grant_type=client_credentials -d client_id={} -d client_secret={}",
            self.caller_client_id,
            self.caller_client_secret.expose()
        ));
        line("  export CALLER='Authorization: Bearer <access_token from above>'".into());
        line(
            "  curl -s -H \"$CALLER\" $HUB/api/v1/accounts           # only the caller's accounts"
                .into(),
        );
        line(
            "  curl -s $HUB/api/v1/openapi.json | head -c 400; curl -s -H \"$ADMIN\" $HUB/metrics | grep wxhub_"
                .into(),
        );
        line(format!(
            "  curl -s {sb}/sandbox/mp/accounts/{DEMO_MP_APPID}   # the sandbox's view"
        ));
        let openid = &self.demo_openid;
        line(String::new());
        line("Token centre (the only place that fetches WeChat tokens):".into());
        line(format!(
            "  curl -s -H \"$CALLER\" $HUB/api/v1/accounts/{DEMO_MP}/token   # cached access_token + expires_at"
        ));
        line(format!(
            "  curl -s -H \"$CALLER\" \"$HUB/wx/{DEMO_MP}/cgi-bin/user/get\"   # pass-through: token injected"
        ));
        line(format!(
            "  curl -s -H \"$CALLER\" \"$HUB/api/v1/jssdk/config?account={DEMO_WORK}&url=http://localhost/page\"   # wx.config + agentConfig"
        ));
        line(format!(
            "  curl -s \"$HUB/wx/{DEMO_MP}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}\"   # an unchanged SDK: caller credentials in place of AppID/AppSecret get a hub token",
            self.caller_client_id,
            self.caller_client_secret.expose()
        ));
        line(format!(
            "  curl -s {sb}/sandbox/mp/accounts/{DEMO_MP_APPID} | grep -o '\"token_fetches\":[0-9]*'   # one fetch, however many calls"
        ));
        line(String::new());
        line("Callbacks, replies and events:".into());
        line(format!(
            "  curl -s -H \"$ADMIN\" $HUB/api/v1/accounts/{DEMO_MP}/reply-rules -H 'content-type: application/json' -d \
    '{{\"match\":{{\"kind\":\"keyword\",\"mode\":\"contains\",\"pattern\":\"hello\"}},\"action\":{{\"kind\":\"reply\",\"reply\":{{\"type\":\"text\",\"content\":\"Hi from wxhub\"}}}}}}'"
        ));
        line(format!(
            "  wxhub sandbox --url {sb} follow {DEMO_MP_APPID} {openid}   # a user follows; the sandbox calls the hub back"
        ));
        line(format!(
            "  wxhub sandbox --url {sb} send {DEMO_MP_APPID} {openid} 'hello there'   # the passive reply comes back"
        ));
        line(format!(
            "  wxhub sandbox --url {sb} inbox {DEMO_MP_APPID} {openid}   # what the user's chat shows"
        ));
        line(format!(
            "  curl -s -H \"$ADMIN\" \"$HUB/api/v1/events?account={DEMO_MP}&limit=5\"   # stored, normalised, newest first"
        ));
        line(format!(
            "  curl -s -H \"$ADMIN\" $HUB/api/v1/accounts/{DEMO_MP}/followers/{openid}   # the follower record the follow left"
        ));
        line(format!(
            "  curl -s -H \"$ADMIN\" -X PATCH $HUB/api/v1/accounts/{DEMO_MP}/callback-settings -H 'content-type: application/json' -d '{{\"unfollow_unbinds\":true}}'"
        ));
        line(format!(
            "  curl -s -H \"$ADMIN\" $HUB/api/v1/accounts/{DEMO_MP}/reply-rules -H 'content-type: application/json' -d \
    '{{\"match\":{{\"kind\":\"keyword\",\"mode\":\"exact\",\"pattern\":\"ask\"}},\"action\":{{\"kind\":\"webhook\",\"url\":\"http://127.0.0.1:9999/reply\"}}}}'   # webhook_secret: verify its Standard Webhooks signature"
        ));
        line("  curl -sN -H \"$ADMIN\" $HUB/api/v1/events/stream   # live, server-sent events (Last-Event-ID resumes)".into());
        line(format!(
            "  curl -si -H \"$ADMIN\" -H 'Idempotency-Key: demo-hook-1' $HUB/api/v1/webhooks -H 'content-type: application/json' -d '{{\"url\":\"http://127.0.0.1:9999/hook\",\"accounts\":[\"{DEMO_MP}\"]}}'   # Standard Webhooks; run it twice: Idempotent-Replayed: true, one endpoint"
        ));
        line("  curl -s -H \"$ADMIN\" $HUB/api/v1/jobs   # tracked background jobs and their progress (also: wxhub jobs list)".into());
        let scanned = &self.scanned;
        line(String::new());
        line("QR codes and bindings:".into());
        line(format!(
            "  at start a sandbox user ({}) scanned bind QR code {} — bound to uid {DEMO_UID}, code {}:",
            scanned.openid, scanned.scan_code, scanned.code
        ));
        line(format!(
            "  curl -s -H \"$ADMIN\" \"$HUB/api/v1/bindings?account={DEMO_MP}&uid={DEMO_UID}\"   # the binding the scan made"
        ));
        line(format!(
            "  curl -s -o bind.png {}   # the code's image (no bearer needed)",
            scanned.image_url
        ));
        line(format!(
            "  curl -s -H \"$ADMIN\" \"$HUB/api/v1/events?account={DEMO_MP}&limit=3\"   # the scan, the follow and the bound event (code, scan_code)"
        ));
        line(format!(
            "  curl -s -H \"$CALLER\" $HUB/api/v1/qrcodes -H 'content-type: application/json' -d '{{\"account\":\"{DEMO_MP}\",\"kind\":\"temporary\",\"scene\":\"poster\"}}'   # a temporary code of the caller's source"
        ));
        line(format!(
            "  wxhub sandbox --url {sb} scan {DEMO_MP_APPID} {openid} <ticket>   # the demo user scans it; then GET $HUB/api/v1/qrcodes/<id>/stats"
        ));
        line(format!(
            "  curl -s -H \"$CALLER\" $HUB/api/v1/bindings -H 'content-type: application/json' -d '{{\"account\":\"{DEMO_MP}\",\"uid\":42,\"openid\":\"{openid}\"}}'   # seed 000's codes: 1 first time, 0 again, -1/-2 taken"
        ));
        line(format!(
            "  curl -s -H \"$ADMIN\" \"$HUB/api/v1/bindings/history?account={DEMO_MP}&uid={DEMO_UID}\""
        ));
        line(format!(
            "  curl -s -H \"$ADMIN\" -X POST $HUB/api/v1/accounts/{DEMO_MP}/followers/sync   # the whole follower list and profiles from WeChat: a tracked job (GET $HUB/api/v1/jobs/<job_id>)"
        ));
        let directory = &self.directory;
        line(String::new());
        line("WeCom contacts directory:".into());
        line(format!(
            "  at start the hub synced the demo corp's directory (job {}): {} departments, {} members",
            directory.job_id, directory.departments, directory.members
        ));
        line(format!(
            "  curl -s -H \"$CALLER\" -X POST $HUB/api/v1/contacts/{DEMO_WORK}/sync   # again: a reconcile; its result says what changed"
        ));
        line(format!(
            "  curl -s -H \"$CALLER\" $HUB/api/v1/contacts/{DEMO_WORK}/syncs   # the latest syncs and what each changed"
        ));
        line(format!(
            "  curl -s -X POST {sb}/sandbox/work/corps/{DEMO_CORPID}/members -H 'content-type: application/json' -d '{{\"userid\":\"zhangsan\",\"name\":\"张三\",\"department\":[2]}}'   # a change in WeCom: its change_contact callback updates the hub's copy"
        ));
        line(format!(
            "  curl -s -H \"$CALLER\" $HUB/api/v1/contacts/{DEMO_WORK}/notify -H 'content-type: application/json' -d '{{\"changeType\":\"update_user\",\"userId\":\"zhangsan\"}}'   # seed 002's manual notify: read one member again"
        ));
        line("  wxhub sync contacts --corp demo-work   # the same sync in a process of its own, with a progress bar".into());
        line(String::new());
        line("Message centre (seed 002 §5):".into());
        line(format!(
            "  at start the hub sent a text card 【演示系统】欢迎使用 wxhub to department 2 through {DEMO_WORK}: {}",
            self.notice
        ));
        line(format!(
            "  curl -s {sb}/sandbox/work/corps/{DEMO_CORPID}/members/m0000001/inbox   # what a member of department 2 received"
        ));
        line(
            "  curl -s -H \"$CALLER\" $HUB/api/v1/message-centre/send -H 'content-type: application/json' -d '{\"toUser\":\"m0000001|nobody\",\"sendType\":\"0\",\"msgType\":\"03\",\"agentName\":\"OA\",\"content\":\"你好\",\"url\":\"https://example.com\"}'   # unknown ids come back in invaliduser"
                .into(),
        );
        line("  curl -s -H \"$CALLER\" $HUB/api/v1/message-centre/log   # every send with its result".into());
        out
    }

    /// Waits until hub and sandbox have stopped (after the shutdown token fired).
    pub async fn wait(self) -> anyhow::Result<()> {
        let hub = self.hub.await.context("hub task")?;
        let sandbox = self.sandbox.await.context("sandbox task")?;
        hub?;
        sandbox.context("sandbox")?;
        Ok(())
    }
}
