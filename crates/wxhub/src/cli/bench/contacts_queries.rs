//! `wxhub bench contacts-queries`: p50/p99 of the contacts directory's queries on a large
//! directory (issue 16: 100,000 members in 5,000 departments 10 levels deep; target p99
//! < 10 ms for recursive children and fuzzy search), on SQLite (a temporary file) or on
//! the PostgreSQL of `--database-url`.
//!
//! The directory is written straight into the copy (`DirectoryReads::insert_directory`,
//! the search index filled by migration 0023's triggers), not through WeCom; then each
//! kind of query runs `--queries` times, one at a time, with arguments drawn from the
//! directory (a fixed seed, so every run asks the same). Timed is the store's work that
//! the route's service does — the HTTP layer and the account lookup are not included.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::accounts::model::{AccountApp, AccountId, AgentId, CallbackMode, CorpId};
use crate::contacts::model::{
    AdminScope, Department, DepartmentId, DepartmentPath, Gender, Member, Role, RoleLevel, ROOT,
};
use crate::core::CorpUserId;
use crate::store::accounts::AccountRecord;
use crate::store::contact_queries::{Below, DepartmentRow, DirectoryReads, SearchText};
use crate::store::{Db, Store};

#[derive(Debug, Args)]
pub struct ContactsQueriesArgs {
    /// Members in the directory.
    #[arg(long, default_value_t = 100_000)]
    pub members: usize,
    /// Departments, the root included.
    #[arg(long, default_value_t = 5_000)]
    pub departments: usize,
    /// Levels below the root.
    #[arg(long, default_value_t = 10)]
    pub depth: usize,
    /// Runs of each kind of query.
    #[arg(long, default_value_t = 500)]
    pub queries: usize,
    /// Store (default: a temporary SQLite file). On a PostgreSQL URL the bench's account is
    /// removed at the end (its directory with it).
    #[arg(long)]
    pub database_url: Option<String>,
}

const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("高", "gao"),
    ("林", "lin"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
];

const GIVEN: &str = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕飞鹏\
    辉建国宇浩然欣怡子轩梓涵一诺思远嘉怡俊杰博文天佑雨泽晨阳家豪晓东海波春梅志强文静立新";

const ALIASES: &[&str] = &["Tom", "Amy", "Jack", "Lucy", "Kevin", "Grace", "Leo", "Mia"];

pub async fn run(args: ContactsQueriesArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.departments >= 2, "--departments must be at least 2");
    anyhow::ensure!(args.depth >= 1, "--depth must be at least 1");
    let dir = std::env::temp_dir().join(format!("wxhub-bench-{}", ulid::Ulid::new()));
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", dir.join("bench.db").display()),
    };
    let result = async {
        let db = Db::connect(&url).await.context("opening the bench store")?;
        db.migrate().await.context("migrating the bench store")?;
        let backend = match db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        };
        let store = Store::new(db.clone());
        let outcome = bench(&args, &store, backend).await;
        db.close().await;
        outcome
    }
    .await;
    if args.database_url.is_none() {
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::debug!(error = %e, "removing the bench directory failed");
        }
    }
    result
}

/// A directory: the root, then `levels` levels, each about 1.9 times the one above (the
/// last takes the rest), each department under one of the level above, round-robin.
fn generate(
    args: &ContactsQueriesArgs,
    rng: &mut StdRng,
) -> (Vec<Department>, Vec<Vec<DepartmentId>>, Vec<Member>) {
    let id = |n: u64| DepartmentId::new(n).expect("positive");
    let mut departments = vec![Department {
        id: ROOT,
        name: "企业".into(),
        name_en: String::new(),
        parentid: None,
        order: 0,
        leaders: Vec::new(),
    }];
    let mut levels: Vec<Vec<DepartmentId>> = vec![vec![ROOT]];
    let rest = args.departments - 1;
    let weights: Vec<f64> = (0..args.depth).map(|k| 1.9f64.powi(k as i32)).collect();
    let total: f64 = weights.iter().sum();
    let mut sizes: Vec<usize> = weights
        .iter()
        .map(|w| ((w / total) * rest as f64).floor().max(1.0) as usize)
        .collect();
    let assigned: usize = sizes.iter().sum();
    if let Some(last) = sizes.last_mut() {
        *last = (*last + rest).saturating_sub(assigned).max(1);
    }
    let mut next = 2u64;
    for size in sizes {
        let parents = levels.last().cloned().unwrap_or_default();
        let mut level = Vec::with_capacity(size);
        for i in 0..size {
            let parent = parents[i % parents.len()];
            let d = id(next);
            next += 1;
            departments.push(Department {
                id: d,
                name: format!("部门{}", d.get()),
                name_en: String::new(),
                parentid: Some(parent),
                order: rng.gen_range(1..100_000),
                leaders: Vec::new(),
            });
            level.push(d);
        }
        levels.push(level);
    }
    let all: Vec<DepartmentId> = departments.iter().map(|d| d.id).collect();
    let given: Vec<char> = GIVEN.chars().filter(|c| !c.is_whitespace()).collect();
    let members = (0..args.members)
        .map(|n| {
            // Common surnames more often.
            let s = rng
                .gen_range(0..SURNAMES.len())
                .min(rng.gen_range(0..SURNAMES.len()));
            let (surname, pinyin) = SURNAMES[s];
            let mut name = surname.to_owned();
            for _ in 0..rng.gen_range(1..=2) {
                name.push(given[rng.gen_range(0..given.len())]);
            }
            let mut department = vec![all[rng.gen_range(1..all.len())]];
            if rng.gen_bool(0.1) {
                let second = all[rng.gen_range(1..all.len())];
                if second != department[0] {
                    department.push(second);
                }
            }
            let order = department.iter().map(|_| rng.gen_range(0..1000)).collect();
            Member {
                userid: CorpUserId::parse(&format!("{pinyin}{n:06}")).expect("userid"),
                name,
                main_department: department[0],
                department,
                order,
                position: String::new(),
                mobile: format!(
                    "1{}{:09}",
                    rng.gen_range(3..=9),
                    rng.gen_range(0..1_000_000_000u64)
                ),
                gender: if rng.gen_bool(0.5) {
                    Gender::Male
                } else {
                    Gender::Female
                },
                email: String::new(),
                alias: if rng.gen_bool(0.2) {
                    ALIASES[rng.gen_range(0..ALIASES.len())].to_owned()
                } else {
                    String::new()
                },
                avatar: String::new(),
                telephone: String::new(),
                address: String::new(),
                status: 1,
            }
        })
        .collect();
    (departments, levels, members)
}

/// p50 and p99 of one kind of query.
struct Timing {
    kind: &'static str,
    p50: Duration,
    p99: Duration,
    max: Duration,
    rows: usize,
}

async fn time<F, Fut>(kind: &'static str, runs: usize, mut query: F) -> anyhow::Result<Timing>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    // One warm-up run per kind.
    query(usize::MAX).await?;
    let mut took = Vec::with_capacity(runs);
    let mut rows = 0;
    for i in 0..runs {
        let started = Instant::now();
        rows += query(i).await?;
        took.push(started.elapsed());
    }
    took.sort();
    let at = |q: usize| took[(took.len() * q / 100).min(took.len() - 1)];
    Ok(Timing {
        kind,
        p50: at(50),
        p99: at(99),
        max: took.last().copied().unwrap_or_default(),
        rows: rows / runs.max(1),
    })
}

async fn bench(args: &ContactsQueriesArgs, store: &Store, backend: &str) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(16);
    let (departments, levels, members) = generate(args, &mut rng);
    let account = AccountId::parse(&format!(
        "bench-contacts-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    ))
    .context("account id")?;
    let now = chrono::Utc::now();
    store
        .accounts
        .insert(&AccountRecord {
            id: account.clone(),
            app: AccountApp::Work {
                corpid: CorpId::parse("wwbenchcontacts0").context("corpid")?,
                agentid: AgentId::new(1_000_002).context("agentid")?,
            },
            name: None,
            original_id: None,
            logo_url: None,
            mode: CallbackMode::Plaintext,
            api_base: "http://127.0.0.1:9".into(),
            secret_sealed: "v1.bench".into(),
            callback_token_sealed: None,
            encoding_aes_key_sealed: None,
            contacts_secret_sealed: None,
            wechat_rate_limit: None,
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .await
        .context("the bench account")?;
    let reads = store.contact_queries.clone();
    let started = Instant::now();
    reads
        .insert_directory(&account, &departments, &members, &[], now)
        .await
        .context("writing the directory")?;
    println!(
        "{backend}: {} members in {} departments, {} levels below the root, written (with the search index) in {:.1} s",
        members.len(),
        departments.len(),
        levels.len() - 1,
        started.elapsed().as_secs_f64()
    );
    // What autovacuum would soon do after a sync this size: fresh planner statistics.
    if let Db::Postgres(pool) = &store.db {
        sqlx::query("ANALYZE")
            .execute(pool)
            .await
            .context("ANALYZE")?;
    }
    let outcome = measure(args, &*reads, &account, &levels, &members).await;
    if let Err(e) = store.accounts.delete(&account).await {
        tracing::warn!(error = %e, "removing the bench account failed");
    }
    let timings = outcome?;
    println!(
        "{:<40} {:>9} {:>9} {:>9} {:>7}",
        "query (limit 50; search 20)", "p50 ms", "p99 ms", "max ms", "rows"
    );
    for t in timings {
        println!(
            "{:<40} {:>9.3} {:>9.3} {:>9.3} {:>7}",
            t.kind,
            t.p50.as_secs_f64() * 1000.0,
            t.p99.as_secs_f64() * 1000.0,
            t.max.as_secs_f64() * 1000.0,
            t.rows
        );
    }
    Ok(())
}

async fn measure(
    args: &ContactsQueriesArgs,
    reads: &dyn DirectoryReads,
    account: &AccountId,
    levels: &[Vec<DepartmentId>],
    members: &[Member],
) -> anyhow::Result<Vec<Timing>> {
    let runs = args.queries.max(1);
    let mut rng = StdRng::seed_from_u64(17);
    let row = |id: DepartmentId| async move {
        reads
            .department(account, id)
            .await?
            .with_context(|| format!("department {id}"))
    };
    let pick = |rng: &mut StdRng, level: usize| {
        let l = &levels[level.min(levels.len() - 1)];
        l[rng.gen_range(0..l.len())]
    };
    let root = row(ROOT).await?;
    let mut rows_of =
        |level: usize, n: usize| (0..n).map(|_| pick(&mut rng, level)).collect::<Vec<_>>();
    let load = |ids: Vec<DepartmentId>| async move {
        let mut out: Vec<DepartmentRow> = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(row(id).await?);
        }
        anyhow::Ok(out)
    };
    let any_level: Vec<DepartmentRow> = {
        let mut ids = Vec::new();
        for level in 0..levels.len() {
            ids.extend(rows_of(level, runs / levels.len() + 1));
        }
        load(ids).await?
    };
    let second: Vec<DepartmentRow> = load(rows_of(2, runs)).await?;
    let first: Vec<DepartmentRow> = load(rows_of(1, runs)).await?;
    let deep: Vec<DepartmentRow> = load(rows_of(levels.len() - 1, runs)).await?;
    let nth = |v: &[DepartmentRow], i: usize| v[i % v.len()].clone();

    // A tiered admin managing three level-2 departments, member of one level-3 one.
    let admin = members[0].userid.clone();
    let managed: Vec<DepartmentId> = (0..3).map(|i| second[i].department.id).collect();
    reads
        .put_role(
            account,
            &Role::build(
                admin.clone(),
                3,
                &managed.iter().map(|d| d.get()).collect::<Vec<_>>(),
            )?,
            chrono::Utc::now(),
        )
        .await?;

    let mut texts = StdRng::seed_from_u64(18);
    let member_at = |rng: &mut StdRng| members[rng.gen_range(0..members.len())].clone();
    let mut search_texts = |f: &mut dyn FnMut(&mut StdRng, &Member) -> String| {
        (0..=runs)
            .map(|_| {
                let m = member_at(&mut texts);
                SearchText::new(&f(&mut texts, &m)).expect("text")
            })
            .collect::<Vec<_>>()
    };
    let one_char = search_texts(&mut |_, m| m.name.chars().next().unwrap_or('王').to_string());
    let two_chars = search_texts(&mut |_, m| m.name.chars().skip(1).take(2).collect());
    let full_name = search_texts(&mut |_, m| m.name.clone());
    let mobile = search_texts(&mut |rng, m| {
        let at = rng.gen_range(3..m.mobile.len() - 4);
        m.mobile[at..at + 4].to_owned()
    });
    let userid = search_texts(&mut |rng, m| {
        let u = m.userid.as_str();
        let at = rng.gen_range(0..u.len() - 5);
        u[at..at + 5].to_owned()
    });
    let miss =
        search_texts(&mut |rng, _| format!("{}无此人", ["甲", "乙", "丙"][rng.gen_range(0..3)]));
    let wanted: Vec<CorpUserId> = (0..=runs).map(|_| member_at(&mut texts).userid).collect();
    let at = |v: &[SearchText], i: usize| v[i % v.len()].clone();

    let mut out = Vec::new();
    out.push(
        time("children (direct, any level)", runs, |i| {
            let parent = nth(&any_level, i);
            async move {
                Ok(reads
                    .children(account, &parent, Below::Children, None, None, 50)
                    .await?
                    .len())
            }
        })
        .await?,
    );
    out.push(
        time("children recursive (root)", runs, |_| {
            let root = root.clone();
            async move {
                Ok(reads
                    .children(account, &root, Below::Subtree, None, None, 50)
                    .await?
                    .len())
            }
        })
        .await?,
    );
    out.push(
        time("children recursive (level 1)", runs, |i| {
            let parent = nth(&first, i);
            async move {
                Ok(reads
                    .children(account, &parent, Below::Subtree, None, None, 50)
                    .await?
                    .len())
            }
        })
        .await?,
    );
    out.push(
        time("children recursive (root, as_user)", runs, |_| {
            let root = root.clone();
            let admin = admin.clone();
            async move {
                // As the service does: the role, the member's departments, the managed
                // departments' paths, then the filtered subtree.
                let role = reads.role(account, &admin).await?.context("role")?.role;
                let own = reads.member_paths(account, &admin).await?;
                let managed: Vec<DepartmentPath> = reads
                    .departments(account, &role.departments)
                    .await?
                    .into_iter()
                    .map(|r| r.path)
                    .collect();
                let scope = AdminScope::new(Some(RoleLevel::TieredAdmin), managed, own);
                let visible = scope.visible();
                let found = reads
                    .children(account, &root, Below::Subtree, visible.as_ref(), None, 50)
                    .await?;
                Ok(found
                    .iter()
                    .filter(|r| scope.access(&r.path).is_some())
                    .count())
            }
        })
        .await?,
    );
    for (kind, set) in [
        ("search: 1 character (a surname)", &one_char),
        ("search: 2 characters of a name", &two_chars),
        ("search: a whole name", &full_name),
        ("search: 4 digits of a mobile", &mobile),
        ("search: 5 characters of a userid", &userid),
        ("search: no match (3 characters)", &miss),
    ] {
        out.push(
            time(kind, runs, |i| {
                let text = at(set, i);
                async move {
                    Ok(reads
                        .search_members(account, Some(&text), None, 20)
                        .await?
                        .len())
                }
            })
            .await?,
        );
    }
    out.push(
        time("member by userid", runs, |i| {
            let u = wanted[i % wanted.len()].clone();
            async move { Ok(reads.member(account, &u).await?.map_or(0, |_| 1)) }
        })
        .await?,
    );
    out.push(
        time("department members recursive (level 1)", runs, |i| {
            let d = nth(&first, i);
            async move {
                Ok(reads
                    .department_members(account, &d, Below::Subtree, None, 50)
                    .await?
                    .len())
            }
        })
        .await?,
    );
    out.push(
        time("ancestors (deepest level)", runs, |i| {
            let d = nth(&deep, i);
            async move {
                let department = reads
                    .department(account, d.department.id)
                    .await?
                    .context("department")?;
                let mut ids = department.path.ids();
                ids.pop();
                Ok(reads.departments(account, &ids).await?.len())
            }
        })
        .await?,
    );
    Ok(out)
}
