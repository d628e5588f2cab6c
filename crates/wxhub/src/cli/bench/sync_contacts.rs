//! `wxhub bench sync-contacts --members 20000,100000`: a full sync of a sandbox WeCom
//! directory of that many members (in members/20 departments, 10 levels deep) — seconds,
//! members per second, and the hub process's peak memory, to show that memory does not grow
//! with the directory.
//!
//! Each size runs in processes of its own (the sandbox, which holds the directory in memory,
//! and a worker: this command again with a hidden `--sandbox-url`), as `bench sync-followers`
//! does. The worker generates the directory over the sandbox's driver, builds a hub on a fresh
//! store (a temporary SQLite file, or `--database-url`), and runs the same sync `wxhub sync
//! contacts` runs (`cli::sync::sync_contacts`).

use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::sync_followers::{bench_config, in_fresh_processes, peak_kib};
use crate::accounts::model::{AccountId, AccountRegistration, NewAccount};
use crate::cli::sync::{sync_contacts, Output};
use crate::App;

const CONTACTS_SECRET: &str = "bench-contacts-secret";
const APP_SECRET: &str = "bench-app-secret";

#[derive(Debug, Args)]
pub struct SyncContactsArgs {
    /// Directory sizes (members), comma-separated; each is synced in fresh processes.
    #[arg(long, value_delimiter = ',', default_values_t = [20_000u64, 100_000])]
    pub members: Vec<u64>,
    /// Members per department (100,000 members: 5,000 departments).
    #[arg(long, default_value_t = 20)]
    pub per_department: u64,
    /// Levels of departments below the root.
    #[arg(long, default_value_t = 10)]
    pub depth: u32,
    /// Store for the hub (default: a temporary SQLite file per size). A PostgreSQL URL is
    /// used as is: each run registers an account of its own there and leaves its rows.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Worker mode: sync one size against this running sandbox, print one result line.
    #[arg(long, hide = true)]
    pub sandbox_url: Option<String>,
}

/// One size's measurement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measured {
    pub members: u64,
    pub departments: u64,
    pub seconds: f64,
    pub peak_before_kib: u64,
    pub peak_kib: u64,
    #[serde(default)]
    pub sandbox_peak_kib: u64,
}

impl std::fmt::Display for Measured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>7} members {:>6} departments  {:>6.1} s  {:>7.0} members/s  hub peak {:>6.1} MiB (before the sync {:.1} MiB, growth {:+.1} MiB)  sandbox peak {:.1} MiB",
            self.members,
            self.departments,
            self.seconds,
            self.members as f64 / self.seconds.max(f64::EPSILON),
            self.peak_kib as f64 / 1024.0,
            self.peak_before_kib as f64 / 1024.0,
            (self.peak_kib as f64 - self.peak_before_kib as f64) / 1024.0,
            self.sandbox_peak_kib as f64 / 1024.0,
        )
    }
}

fn departments_for(members: u64, per_department: u64) -> u64 {
    (members / per_department.max(1)).max(1)
}

pub async fn run(args: SyncContactsArgs) -> anyhow::Result<()> {
    if let Some(url) = &args.sandbox_url {
        let members = *args
            .members
            .first()
            .context("--members: one size in worker mode")?;
        let departments = departments_for(members, args.per_department);
        let measured = worker(
            url,
            members,
            departments,
            args.depth,
            args.database_url.clone(),
        )
        .await?;
        println!("RESULT {}", serde_json::to_string(&measured)?);
        return Ok(());
    }
    anyhow::ensure!(!args.members.is_empty(), "--members: at least one size");
    println!(
        "directory sync of a sandbox WeCom corp ({} members a department, {} levels, WeChat call limit off)",
        args.per_department, args.depth
    );
    let mut all: Vec<Measured> = Vec::new();
    for &members in &args.members {
        anyhow::ensure!(members >= 1, "--members: sizes are at least 1");
        let mut extra = vec![
            "--members".to_owned(),
            members.to_string(),
            "--per-department".to_owned(),
            args.per_department.to_string(),
            "--depth".to_owned(),
            args.depth.to_string(),
        ];
        if let Some(db) = &args.database_url {
            extra.extend(["--database-url".to_owned(), db.clone()]);
        }
        let (mut measured, sandbox_peak): (Measured, u64) =
            in_fresh_processes("sync-contacts", &extra).await?;
        measured.sandbox_peak_kib = sandbox_peak;
        println!("{measured}");
        all.push(measured);
    }
    if let (Some(small), Some(large)) = (
        all.iter().min_by_key(|m| m.members),
        all.iter().max_by_key(|m| m.members),
    ) {
        if large.members > small.members {
            println!(
                "{}x the members: {:.2}x the hub's peak memory, {:.2}x the time",
                large.members / small.members.max(1),
                large.peak_kib as f64 / small.peak_kib.max(1) as f64,
                large.seconds / small.seconds.max(f64::EPSILON)
            );
        }
    }
    Ok(())
}

/// Generates the directory, builds a hub, syncs, measures.
async fn worker(
    sandbox: &str,
    members: u64,
    departments: u64,
    depth: u32,
    database_url: Option<String>,
) -> anyhow::Result<Measured> {
    crate::telemetry::init_logging(crate::config::LogFormat::Human, "error");
    let http = reqwest::Client::new();
    let corpid = format!(
        "wwbench{}",
        &ulid::Ulid::new().to_string().to_lowercase()[..10]
    );
    for (path, body) in [
        (
            "/sandbox/work/corps".to_owned(),
            serde_json::json!({"corpid": corpid, "contacts_secret": CONTACTS_SECRET}),
        ),
        (
            format!("/sandbox/work/corps/{corpid}/apps"),
            serde_json::json!({"agentid": 1000002, "secret": APP_SECRET}),
        ),
        (
            format!("/sandbox/work/corps/{corpid}/directory/generate"),
            serde_json::json!({"members": members, "departments": departments, "depth": depth}),
        ),
    ] {
        let answered = http
            .post(format!("{sandbox}{path}"))
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(
            answered.status().is_success(),
            "{path}: {}",
            answered.status()
        );
    }

    let dir = tempfile::tempdir().context("a temp dir for the bench store")?;
    let config = bench_config(database_url, dir.path())?;
    let app = App::build(config, CancellationToken::new())
        .await
        .context("building the hub")?;
    let id = format!("bench-{}", ulid::Ulid::new().to_string().to_lowercase());
    let account = AccountId::parse(&id)?;
    app.state()
        .accounts
        .create(NewAccount::parse(AccountRegistration {
            id,
            kind: "work".to_owned(),
            corpid: Some(corpid),
            agentid: Some(1000002),
            secret: APP_SECRET.to_owned(),
            contacts_secret: Some(CONTACTS_SECRET.to_owned()),
            api_base: Some(sandbox.to_owned()),
            ..AccountRegistration::default()
        })?)
        .await
        .context("registering the bench corp")?;

    let peak_before_kib = peak_kib("self").unwrap_or(0);
    let started = Instant::now();
    let summary = sync_contacts(&app, &account, Output::Quiet).await?;
    let seconds = started.elapsed().as_secs_f64();
    let peak_kib = peak_kib("self").unwrap_or(0);
    anyhow::ensure!(
        summary.members == members,
        "synced {} of {members} members",
        summary.members
    );
    app.state().store_db().close().await;
    Ok(Measured {
        members,
        departments: summary.departments,
        seconds,
        peak_before_kib,
        peak_kib,
        sandbox_peak_kib: 0,
    })
}
