//! `wxhub jobs list|show|cancel`: tracked jobs and their progress, read from the store
//! directly (any instance's jobs).

use std::io::Write;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::GlobalArgs;
use crate::jobs::model::{Job, JobFilter, JobId, JobStatus};
use crate::jobs::JobService;

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List tracked jobs, newest first.
    List(ListArgs),
    /// One job and its progress; `--watch` follows it with a progress bar until it ends.
    Show {
        id: String,
        #[arg(long)]
        watch: bool,
        /// Print the job as JSON (as `GET /api/v1/jobs/{id}` does).
        #[arg(long, conflicts_with = "watch")]
        json: bool,
    },
    /// Cancel a job (a running one stops after its current step).
    Cancel { id: String },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    kind: Option<String>,
    /// queued, running, succeeded, failed or cancelled.
    #[arg(long)]
    status: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
}

pub async fn run(global: &GlobalArgs, cmd: JobsCommand) -> anyhow::Result<()> {
    let app = super::open_app(global).await?;
    let jobs = &app.state().jobs;
    match cmd {
        JobsCommand::List(args) => list(jobs, args).await,
        JobsCommand::Show { id, watch, json } => {
            let id = JobId::parse(&id)?;
            if watch {
                return follow(jobs, &id).await;
            }
            let job = jobs.get(&id).await?;
            if json {
                let view = crate::http::jobs::JobView::from(job);
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print_job(&job);
            }
            Ok(())
        }
        JobsCommand::Cancel { id } => {
            let job = jobs.cancel(&JobId::parse(&id)?).await?;
            match job.status {
                JobStatus::Cancelled => println!("cancelled {}", job.id),
                status if status.is_finished() => {
                    println!("{} had already ended: {}", job.id, status.as_str())
                }
                _ => println!("{}: asked to stop after its current step", job.id),
            }
            Ok(())
        }
    }
}

async fn list(jobs: &JobService, args: ListArgs) -> anyhow::Result<()> {
    let status = args
        .status
        .as_deref()
        .map(|s| {
            JobStatus::parse(s).ok_or_else(|| {
                anyhow::anyhow!("--status must be queued, running, succeeded, failed or cancelled")
            })
        })
        .transpose()?;
    let filter = JobFilter {
        kind: args.kind,
        status,
        owner: None,
    };
    let found = jobs.list(&filter, None, args.limit.clamp(1, 1000)).await?;
    println!(
        "{:<31} {:<20} {:<10} {:>16}  UPDATED",
        "ID", "KIND", "STATUS", "PROGRESS"
    );
    for job in &found {
        println!(
            "{:<31} {:<20} {:<10} {:>16}  {}",
            job.id,
            job.kind,
            job.status.as_str(),
            progress_text(job),
            job.updated_at.format("%Y-%m-%d %H:%M:%S")
        );
    }
    if found.is_empty() {
        println!("(no jobs)");
    }
    Ok(())
}

fn progress_text(job: &Job) -> String {
    match (job.progress.total, job.progress.percent()) {
        (Some(total), Some(pct)) => format!("{}/{} {pct}%", job.progress.done, total),
        _ => job.progress.done.to_string(),
    }
}

fn print_job(job: &Job) {
    println!("id:        {}", job.id);
    println!("kind:      {}", job.kind);
    println!(
        "status:    {}{}",
        job.status.as_str(),
        if job.cancel_requested && !job.status.is_finished() {
            " (cancel requested)"
        } else {
            ""
        }
    );
    println!("progress:  {}", progress_text(job));
    println!("params:    {}", job.params);
    if let Some(owner) = &job.owner {
        println!("owner:     {owner}");
    }
    if let Some(instance) = &job.lease_owner {
        println!("instance:  {instance}");
    }
    if let Some(error) = &job.error {
        println!("error:     {error} (attempt {})", job.attempts);
    }
    if let Some(result) = &job.result {
        println!("result:    {result}");
    }
    println!("created:   {}", job.created_at);
    if let Some(at) = job.finished_at {
        println!("finished:  {at}");
    }
}

/// A text progress bar, redrawn in place until the job ends.
async fn follow(jobs: &JobService, id: &JobId) -> anyhow::Result<()> {
    const WIDTH: usize = 30;
    let mut out = std::io::stdout();
    loop {
        let job = jobs.get(id).await?;
        let filled = job
            .progress
            .percent()
            .map_or(0, |p| usize::from(p) * WIDTH / 100);
        write!(
            out,
            "\r{} [{}{}] {:<16} {:<10}",
            job.kind,
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            progress_text(&job),
            job.status.as_str()
        )?;
        out.flush()?;
        if job.status.is_finished() {
            writeln!(out)?;
            if let Some(error) = &job.error {
                writeln!(out, "error: {error}")?;
            }
            return match job.status {
                JobStatus::Succeeded => Ok(()),
                status => Err(anyhow::anyhow!("job {} ended {}", job.id, status.as_str())),
            };
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
