//! `wxhub sync followers --account ID` and `wxhub sync contacts --corp ID`: a follower sync
//! (the `followers.sync` tracked job) or a WeCom directory sync (`contacts.sync`) run in this
//! process, on the hub's store — the same config, `--data-dir` and master key as
//! `serve`, and while `serve` runs.
//!
//! The process is a lease holder of its own (`<host>:sync-followers:<account>` or
//! `<host>:sync-contacts:<corp>`, the same on
//! every run): it takes the account's unfinished sync if there is one (else queues one) and
//! steps it under its lease, beating like an instance so no hub takes it over. Killed, its
//! lease is taken back by the next run at once (or by a serving hub once the process has been
//! silent `jobs.stale_after_secs`), and the sync goes on from its last stored step. While
//! another process holds the job, this one follows its progress. Progress is a bar on a
//! terminal and plain lines otherwise; the exit status is 0 once the sync succeeded (the store
//! holds every follower WeChat lists, with their profiles).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};

use super::GlobalArgs;
use crate::accounts::model::AccountId;
use crate::contacts::service::sync::{SyncReport, SyncState as ContactsState};
use crate::identity::service::sync::{Phase, SyncState};
use crate::jobs::model::{Job, JobId, JobStatus};
use crate::jobs::{Instance, JobService, Jobs, NoSignal, Runner, RunnerSettings};
use crate::App;

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// The account's whole follower list and every follower's profile from WeChat; followers
    /// WeChat no longer lists are marked unsubscribed. Killed and run again, it goes on where
    /// it stopped.
    Followers(FollowersArgs),
    /// A WeCom corp's whole directory (departments, members, tags and tag members) with its
    /// contacts secret; what WeCom no longer lists is removed, and the run says what it
    /// changed (a reconcile). Killed and run again, it goes on where it stopped.
    Contacts(ContactsArgs),
}

#[derive(Debug, Args)]
pub struct ContactsArgs {
    /// The WeCom account (its hub id) whose corp's directory to read.
    #[arg(long)]
    pub corp: String,
    /// Plain progress lines even on a terminal.
    #[arg(long)]
    pub plain: bool,
}

#[derive(Debug, Args)]
pub struct FollowersArgs {
    /// The Official Account (its hub id).
    #[arg(long)]
    pub account: String,
    /// Plain progress lines even on a terminal.
    #[arg(long)]
    pub plain: bool,
}

pub async fn run(global: &GlobalArgs, cmd: SyncCommand) -> anyhow::Result<()> {
    let app = super::open_app(global).await?;
    let output = |plain: bool| {
        if !plain && std::io::stdout().is_terminal() {
            Output::Bar
        } else {
            Output::Lines
        }
    };
    match cmd {
        SyncCommand::Followers(args) => {
            let account = AccountId::parse(&args.account).context("--account")?;
            let summary = sync_followers(&app, &account, output(args.plain)).await?;
            println!("{summary}");
            Ok(())
        }
        SyncCommand::Contacts(args) => {
            let account = AccountId::parse(&args.corp).context("--corp")?;
            let summary = sync_contacts(&app, &account, output(args.plain)).await?;
            println!("{summary}");
            Ok(())
        }
    }
}

/// What a finished sync reports.
#[derive(Debug, Clone)]
pub struct SyncSummary {
    pub job: JobId,
    pub account: AccountId,
    pub followers: u64,
    pub removed: u64,
    pub elapsed: Duration,
}

impl std::fmt::Display for SyncSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "synced {} followers of {} ({} no longer following) in {:.1}s, job {}",
            self.followers,
            self.account,
            self.removed,
            self.elapsed.as_secs_f64(),
            self.job
        )
    }
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// A bar redrawn in place (a terminal).
    Bar,
    /// A line per change, at most a few a second.
    Lines,
    /// Nothing (benchmarks).
    Quiet,
}

/// What a finished directory sync reports.
#[derive(Debug, Clone)]
pub struct ContactsSummary {
    pub job: JobId,
    pub account: AccountId,
    pub departments: u64,
    pub members: u64,
    pub tags: u64,
    pub report: SyncReport,
    pub elapsed: Duration,
}

impl std::fmt::Display for ContactsSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let changes = |c: &crate::contacts::service::sync::Changes| {
            format!("+{} ~{} -{}", c.created, c.updated, c.removed)
        };
        write!(
            f,
            "synced the directory of {}: {} departments ({}), {} members ({}), {} tags ({}) in {:.1}s, job {}",
            self.account,
            self.departments,
            changes(&self.report.departments),
            self.members,
            changes(&self.report.members),
            self.tags,
            changes(&self.report.tags),
            self.elapsed.as_secs_f64(),
            self.job
        )
    }
}

/// Runs (or resumes, or follows) the corp's directory sync in this process until it ends.
pub async fn sync_contacts(
    app: &App,
    account: &AccountId,
    out: Output,
) -> anyhow::Result<ContactsSummary> {
    let began = Instant::now();
    let view = SyncView {
        what: "directory sync",
        holder: format!("sync-contacts:{account}"),
        line: contacts_line,
        fraction: contacts_fraction,
    };
    let contacts = &app.state().contacts;
    let finished = run_tracked(app, &view, out, || async {
        Ok(
            match contacts.unfinished_sync(account).await?.into_iter().next() {
                Some(job) => (job, true),
                None => (contacts.start_sync(account, None).await?, false),
            },
        )
    })
    .await?;
    let result = finished.result.clone().unwrap_or_default();
    Ok(ContactsSummary {
        job: finished.id.clone(),
        account: account.clone(),
        departments: result["departments"].as_u64().unwrap_or(0),
        members: result["members"].as_u64().unwrap_or(0),
        tags: result["tags"].as_u64().unwrap_or(0),
        report: serde_json::from_value(result["changes"].clone()).unwrap_or_default(),
        elapsed: began.elapsed(),
    })
}

/// The progress text of a directory sync job.
pub fn contacts_line(job: &Job) -> String {
    let state = ContactsState::of(job);
    let phase = match (&state, job.status) {
        (_, JobStatus::Queued) => "queued".to_owned(),
        (Some(s), JobStatus::Running) => s.phase.as_str().to_owned(),
        (None, JobStatus::Running) => "starting".to_owned(),
        (_, status) => status.as_str().to_owned(),
    };
    let count = match &state {
        Some(s) => format!(
            "{}/{} departments, {} members listed",
            s.departments_read, s.departments, s.members_listed
        ),
        None => String::new(),
    };
    format!("{phase}: {count}")
}

/// Departments read, of all; the tags and the sweep are the last moment.
fn contacts_fraction(job: &Job) -> f64 {
    if job.status == JobStatus::Succeeded {
        return 1.0;
    }
    ContactsState::of(job).map_or(0.0, |s| {
        0.95 * (s.departments_read as f64 / s.departments.max(1) as f64).min(1.0)
    })
}

/// How a command shows and names one kind of tracked sync.
pub struct SyncView {
    /// "follower sync", "directory sync".
    pub what: &'static str,
    /// The lease holder's name after the host (`sync-followers:<account>`).
    pub holder: String,
    pub line: fn(&Job) -> String,
    /// The share done, 0.0–1.0.
    pub fraction: fn(&Job) -> f64,
}

/// Runs (or resumes, or follows) the account's follower sync in this process until it ends.
pub async fn sync_followers(
    app: &App,
    account: &AccountId,
    out: Output,
) -> anyhow::Result<SyncSummary> {
    let began = Instant::now();
    let view = SyncView {
        what: "follower sync",
        holder: format!("sync-followers:{account}"),
        line: progress_line,
        fraction,
    };
    let state = app.state();
    let finished = run_tracked(app, &view, out, || async {
        Ok(
            match state
                .followers
                .unfinished_sync(account)
                .await?
                .into_iter()
                .next()
            {
                Some(job) => (job, true),
                None => (state.followers.start_sync(account, None).await?, false),
            },
        )
    })
    .await?;
    let result = finished.result.clone().unwrap_or_default();
    Ok(SyncSummary {
        job: finished.id.clone(),
        account: account.clone(),
        followers: result["followers"]
            .as_u64()
            .unwrap_or(finished.progress.done),
        removed: result["removed"].as_u64().unwrap_or(0),
        elapsed: began.elapsed(),
    })
}

/// Runs a tracked sync job in this process, as a lease holder of its own (the module doc),
/// until it ends: `find_or_start` answers the job and whether it was already there. The
/// job once it succeeded; an error saying how it ended otherwise.
pub async fn run_tracked<F, Fut>(
    app: &App,
    view: &SyncView,
    out: Output,
    find_or_start: F,
) -> anyhow::Result<Job>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(Job, bool)>>,
{
    let state = app.state();
    let shutdown = app.shutdown_token().clone();
    super::cancel_on_signal(shutdown.clone());
    let id = crate::jobs::instance::command_instance_id(&state.config.jobs, &view.holder)?;
    let store = &state.store;
    let instance = Instance::new(
        id.clone(),
        store.instances.clone(),
        store.leases.clone(),
        state.clock.clone(),
        &state.config.jobs,
        false,
    );
    instance
        .start()
        .await
        .context("registering this process as a lease holder")?;
    Jobs::new(app.tracker().clone(), shutdown.clone()).spawn(instance.clone(), NoSignal);
    let result = match find_or_start().await {
        Ok((job, resumed)) => {
            if out != Output::Quiet {
                if resumed {
                    println!("resuming {} {}", view.what, job.id);
                } else {
                    println!("{} {} started", view.what, job.id);
                }
            }
            step_until_done(app, view, &instance, out, job).await
        }
        Err(e) => Err(e),
    };
    // The heartbeat (and the hub's other tasks here) end; the leases go back.
    shutdown.cancel();
    app.tracker().close();
    app.tracker().wait().await;
    if let Err(e) = instance.stop().await {
        tracing::warn!(
            error = format!("{:#}", anyhow::Error::from(e)),
            "could not give this process's leases back; a hub takes them once it is silent"
        );
    }
    result
}

async fn step_until_done(
    app: &App,
    view: &SyncView,
    instance: &Instance,
    out: Output,
    job: Job,
) -> anyhow::Result<Job> {
    let state = app.state();
    let shutdown = app.shutdown_token().clone();
    let settings = &state.config.jobs;
    let runner = Runner::new(
        state.jobs.store().clone(),
        state.jobs.kinds().clone(),
        state.clock.clone(),
        instance.id().clone(),
        RunnerSettings {
            lease: Duration::from_secs(settings.lease_secs),
            max_attempts: settings.max_attempts,
        },
        shutdown.clone(),
    );
    let watcher = (out != Output::Quiet).then(|| {
        tokio::spawn(watch(
            state.jobs.clone(),
            job.id.clone(),
            out,
            view.line,
            view.fraction,
        ))
    });
    let finished = loop {
        if let Some(job) = runner
            .run_job(&job.id)
            .await
            .map_err(|e| anyhow::anyhow!("{e:#}"))?
        {
            if job.status.is_finished() {
                break job;
            }
        }
        let now = state.jobs.get(&job.id).await?;
        if now.status.is_finished() {
            break now;
        }
        if shutdown.is_cancelled() {
            if let Some(watcher) = &watcher {
                watcher.abort();
            }
            anyhow::bail!(
                "interrupted: {} {} is saved at its last step; run the command again to go on",
                view.what,
                job.id
            );
        }
        // Another process holds it, or a failed step waits for its retry.
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    };
    if let Some(watcher) = watcher {
        watcher.abort();
        let _ = watcher.await;
    }
    if out == Output::Bar {
        println!();
    }
    match finished.status {
        JobStatus::Succeeded => Ok(finished),
        status => Err(anyhow::anyhow!(
            "{} {} {}: {}",
            view.what,
            finished.id,
            status.as_str(),
            finished.error.as_deref().unwrap_or("no error recorded")
        )),
    }
}

/// The progress text of a sync job.
pub fn progress_line(job: &Job) -> String {
    let state = SyncState::of(job);
    let phase = match (&state, job.status) {
        (_, JobStatus::Queued) => "queued".to_owned(),
        (Some(s), JobStatus::Running) => s.phase.as_str().to_owned(),
        (None, JobStatus::Running) => "starting".to_owned(),
        (_, status) => status.as_str().to_owned(),
    };
    let count = match &state {
        Some(s) if s.phase == Phase::List => match s.total {
            Some(total) => format!("{}/{total} listed", s.listed),
            None => format!("{} listed", s.listed),
        },
        Some(s) => format!(
            "{}/{} profiles{}",
            s.profiles,
            s.total.unwrap_or(s.listed),
            if s.removed > 0 {
                format!(", {} removed", s.removed)
            } else {
                String::new()
            }
        ),
        None => match job.progress.total {
            Some(total) => format!("{}/{total}", job.progress.done),
            None => job.progress.done.to_string(),
        },
    };
    let holder = match (&job.lease_owner, job.status) {
        (Some(owner), JobStatus::Running) => format!(" [{owner}]"),
        _ => String::new(),
    };
    format!("{phase}: {count}{holder}")
}

/// The share done, 0.0–1.0: listing is the first tenth, profiles the rest.
fn fraction(job: &Job) -> f64 {
    if job.status == JobStatus::Succeeded {
        return 1.0;
    }
    match SyncState::of(job) {
        None => 0.0,
        Some(s) => {
            let total = s.total.unwrap_or(0).max(1) as f64;
            match s.phase {
                Phase::List => 0.1 * (s.listed as f64 / total).min(1.0),
                Phase::Profiles => 0.1 + 0.9 * (s.profiles as f64 / total).min(1.0),
                Phase::Sweep => 1.0,
            }
        }
    }
}

/// Shows the job's progress until aborted.
async fn watch(
    jobs: JobService,
    id: JobId,
    out: Output,
    line_of: fn(&Job) -> String,
    fraction: fn(&Job) -> f64,
) {
    const WIDTH: usize = 30;
    let mut last = String::new();
    let mut last_at = Instant::now();
    let mut stdout = std::io::stdout();
    loop {
        if let Ok(job) = jobs.get(&id).await {
            let line = line_of(&job);
            match out {
                Output::Quiet => {}
                Output::Bar => {
                    let filled = ((fraction(&job) * WIDTH as f64) as usize).min(WIDTH);
                    let _ = write!(
                        stdout,
                        "\r[{}{}] {line:<60}",
                        "#".repeat(filled),
                        "-".repeat(WIDTH - filled)
                    );
                    let _ = stdout.flush();
                }
                Output::Lines => {
                    if line != last
                        && (last_at.elapsed() >= Duration::from_millis(200) || last.is_empty())
                    {
                        let _ = writeln!(stdout, "{line}");
                        let _ = stdout.flush();
                        last = line;
                        last_at = Instant::now();
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
