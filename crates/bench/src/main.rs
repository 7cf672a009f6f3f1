//! `confab-bench`: seeds a fresh database, starts `confab serve` on it, measures the machine's
//! own ceilings (the HTTP floor and the database's single-row update rate), then drives each
//! scenario over keep-alive connections and reports throughput, latency and memory.
//! See docs/performance.md for the commands behind every published figure.

mod chart;
mod load;
mod report;
mod scenario;
mod target;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use confab_store::{ConnectOptions, Store};
use hyper::header::{HeaderName, HeaderValue};
use rand::Rng;

use crate::load::{Call, LoadResult, LoadSpec};
use crate::report::{Machine, RunReport, ScenarioResult, median};
use crate::scenario::{Ctx, Scenario};
use crate::target::{Confab, Database};

/// Measure Confab against the machine's own limits.
#[derive(Debug, Parser)]
#[command(name = "confab-bench", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    run: RunOpts,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Draw p99 latency against dataset size (PNG) from the JSON results of earlier runs.
    Chart {
        /// Directory of JSON results.
        #[arg(long, default_value = "bench/results")]
        results: PathBuf,
        /// The PNG to write.
        #[arg(long, default_value = "docs/bench-p99.png")]
        out: PathBuf,
        /// Use the runs made with this many connections.
        #[arg(long, default_value = "16")]
        connections: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, Args)]
struct RunOpts {
    /// Database engine of the server under test.
    #[arg(long, value_enum, default_value = "sqlite")]
    engine: Engine,
    /// Conversations to seed (messages: 1-20 each).
    #[arg(long, default_value = "10000")]
    conversations: u64,
    /// Scenarios to run, in the order given (repeat or separate with commas). Default: all.
    #[arg(long, value_enum, value_delimiter = ',')]
    scenario: Vec<Scenario>,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value = "16")]
    connections: usize,
    /// Measured seconds per scenario (after the warm-up).
    #[arg(long, default_value = "10")]
    duration: f64,
    /// Unmeasured seconds before each measurement.
    #[arg(long, default_value = "1")]
    warmup: f64,
    /// Repeat every measurement this many times and report the medians.
    #[arg(long, default_value = "1")]
    runs: usize,
    /// PostgreSQL server to create the benchmark database on (with `--engine postgres`).
    #[arg(long, env = "CONFAB_BENCH_POSTGRES_URL", value_name = "URL")]
    postgres_url: Option<String>,
    /// SQLite `synchronous=FULL` (durable against power loss) for the server and the ceiling.
    #[arg(long)]
    sqlite_full_sync: bool,
    /// The `confab` binary. Default: the one beside this program.
    #[arg(long)]
    confab: Option<PathBuf>,
    /// Where the database of the run is made.
    #[arg(long, default_value_os_t = std::env::temp_dir())]
    work_dir: PathBuf,
    /// Keep the database (and the server log) after the run.
    #[arg(long)]
    keep: bool,
    /// Directory for the JSON result.
    #[arg(long, default_value = "bench/results")]
    results: PathBuf,
    /// Do not write a JSON result.
    #[arg(long)]
    no_save: bool,
    /// Exit with failure if any request failed (the CI smoke run uses it; speed is never checked).
    #[arg(long)]
    strict: bool,
    /// Measure a server that is already running instead (needs --token and --account-id).
    #[arg(long, value_name = "URL", requires_all = ["token", "account_id"])]
    url: Option<String>,
    /// Access token of an administrator of the account (with --url).
    #[arg(long)]
    token: Option<String>,
    /// The account whose conversations 1..=N are used (with --url).
    #[arg(long)]
    account_id: Option<i64>,
    /// Its process id, to report memory (with --url).
    #[arg(long)]
    pid: Option<u32>,
    /// Its database, to measure the database ceiling (with --url).
    #[arg(long)]
    database_url: Option<String>,
    /// A word present in about 1% of messages (with --url; the seed uses `quasar`).
    #[arg(long, default_value = "quasar")]
    rare_word: String,
}

fn out(text: &str) {
    let _ = writeln!(std::io::stdout(), "{text}");
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "confab-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Sub::Chart {
            results,
            out: png,
            connections,
        }) => chart::draw(&results, &png, connections).map(|n| {
            out(&format!("{} (from {n} results)", png.display()));
        }),
        None => runtime.block_on(run(cli.run)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "confab-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Whether `GET /api` answers 200 on a new connection.
pub(crate) async fn probe_api(addr: SocketAddr) -> bool {
    let Ok(Ok(mut sender)) =
        tokio::time::timeout(Duration::from_millis(200), load::connect(addr)).await
    else {
        return false;
    };
    let Ok(req) = hyper::Request::get("/api")
        .header(hyper::header::HOST, addr.to_string())
        .body(http_body_util::Full::new(bytes::Bytes::new()))
    else {
        return false;
    };
    matches!(sender.send_request(req).await, Ok(r) if r.status().is_success())
}

fn confab_binary(opts: &RunOpts) -> anyhow::Result<PathBuf> {
    if let Some(p) = &opts.confab {
        return Ok(p.clone());
    }
    let me = std::env::current_exe()?;
    let beside = me.with_file_name(format!("confab{}", std::env::consts::EXE_SUFFIX));
    if beside.exists() {
        return Ok(beside);
    }
    bail!(
        "no confab binary beside {}; build it (cargo build --release -p confab-server) or pass --confab",
        me.display()
    )
}

/// The server under test, however it came to be.
struct Under {
    addr: SocketAddr,
    pid: Option<u32>,
    ctx: Ctx,
    token: String,
    database_url: Option<String>,
    seeded: Option<target::Seeded>,
    startup_ms: f64,
}

async fn run(opts: RunOpts) -> anyhow::Result<()> {
    let scenarios = if opts.scenario.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        opts.scenario.clone()
    };
    if opts.connections == 0 || opts.duration <= 0.0 || opts.runs == 0 {
        bail!("--connections, --duration and --runs must be positive");
    }
    let started_at = wall_clock();

    let mut _server = None;
    let mut database = None;
    let under = if let Some(url) = &opts.url {
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse::<SocketAddr>()
            .context("--url must be http://IP:PORT")?;
        Under {
            addr,
            pid: opts.pid,
            ctx: Ctx {
                account_id: opts.account_id.unwrap_or(1),
                conversations: opts.conversations as i64,
                rare_word: opts.rare_word.clone(),
                customer_paths: Default::default(),
            },
            token: opts.token.clone().unwrap_or_default(),
            database_url: opts.database_url.clone(),
            seeded: None,
            startup_ms: 0.0,
        }
    } else {
        let confab = Confab {
            binary: confab_binary(&opts)?,
            full_sync: opts.sqlite_full_sync,
            secret: format!("confab-bench-{:032x}", rand::rng().random::<u128>()),
        };
        let db = match opts.engine {
            Engine::Sqlite => Database::sqlite(&opts.work_dir, opts.keep)?,
            Engine::Postgres => {
                let admin = opts.postgres_url.as_deref().context(
                    "--engine postgres needs --postgres-url (or CONFAB_BENCH_POSTGRES_URL)",
                )?;
                Database::postgres(admin, &opts.work_dir, opts.keep).await?
            }
        };
        out(&format!(
            "seeding {} conversations on {} ...",
            opts.conversations, db.url
        ));
        let seeded = confab.seed(&db, opts.conversations)?;
        out(&format!(
            "seeded {} conversations, {} messages in {:.1} s",
            seeded.conversations, seeded.messages, seeded.seconds
        ));
        let server = confab.serve(&db).await?;
        let under = Under {
            addr: server.addr,
            pid: Some(server.pid()),
            ctx: Ctx {
                account_id: seeded.account_id,
                conversations: seeded.conversations as i64,
                rare_word: seeded.rare_word.clone(),
                customer_paths: Default::default(),
            },
            token: seeded.admin_token.clone(),
            database_url: Some(db.url.clone()),
            startup_ms: server.startup.as_secs_f64() * 1000.0,
            seeded: Some(seeded),
        };
        _server = Some(server);
        database = Some(db);
        under
    };
    let result = measure(&opts, &under, &scenarios, started_at).await;
    drop(_server);
    if let Some(db) = database {
        db.remove().await;
    }
    let report = result?;
    out(&report.table());
    if !opts.no_save {
        let path = report.save(&opts.results)?;
        out(&format!("\nsaved {}", path.display()));
    }
    let failed: u64 = report.scenarios.iter().map(|s| s.errors).sum();
    if opts.strict && failed > 0 {
        bail!("{failed} requests failed");
    }
    Ok(())
}

async fn measure(
    opts: &RunOpts,
    under: &Under,
    scenarios: &[Scenario],
    started_at: String,
) -> anyhow::Result<RunReport> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss_kb = under.pid.map_or(0, |p| target::memory(p).rss_kb);
    let plain = LoadSpec {
        addr: under.addr,
        headers: vec![],
        connections: opts.connections,
        warmup: Duration::from_secs_f64(opts.warmup),
        duration: Duration::from_secs_f64(opts.duration),
    };
    let authed = LoadSpec {
        headers: vec![(
            HeaderName::from_static("api_access_token"),
            HeaderValue::from_str(&under.token)?,
        )],
        ..plain.clone()
    };
    let ceiling_store = match &under.database_url {
        Some(url) => Some(
            Store::connect(
                url,
                &ConnectOptions {
                    sqlite_full_sync: opts.sqlite_full_sync,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        ),
        None => None,
    };

    let mut ctx = under.ctx.clone();
    if scenarios.contains(&Scenario::PublicMessage) {
        let paths = scenario::open_customer_conversations(
            under.addr,
            &authed.headers,
            ctx.account_id,
            scenario::CUSTOMERS,
        )
        .await?;
        out(&format!(
            "{} customers opened a conversation through the Public API",
            paths.len()
        ));
        ctx.customer_paths = Arc::new(paths);
    }

    let mut floors = Vec::new();
    let mut ceilings = Vec::new();
    let mut per_scenario: Vec<Vec<(LoadResult, u64)>> = vec![Vec::new(); scenarios.len()];
    for run in 0..opts.runs {
        let floor = load::run(&plain, Arc::new(|_| Call::get("/api".into()))).await?;
        floors.push(floor.rps());
        let ceiling = match &ceiling_store {
            Some(store) => db_ceiling(store, opts, under.ctx.conversations).await?,
            None => 0.0,
        };
        ceilings.push(ceiling);
        out(&format!(
            "run {}: HTTP floor {:.0} req/s, database ceiling {:.0} tx/s",
            run + 1,
            floor.rps(),
            ceiling
        ));
        for (i, s) in scenarios.iter().enumerate() {
            let (result, peak) = with_peak_memory(under.pid, async {
                load::run(&authed, scenario::workload(*s, ctx.clone())).await
            })
            .await;
            let result = result?;
            out(&format!(
                "  {:<15} {:>8.0} req/s  p99 {:>7.2} ms  errors {}",
                s.name(),
                result.rps(),
                result.quantile_ms(0.99),
                result.errors
            ));
            per_scenario[i].push((result, peak));
        }
    }
    if let Some(store) = ceiling_store {
        store.close().await;
    }
    let http_floor_rps = median(floors);
    let db_ceiling_tps = median(ceilings);
    let results = scenarios
        .iter()
        .zip(per_scenario)
        .map(|(s, runs)| {
            let m =
                |f: &dyn Fn(&LoadResult) -> f64| median(runs.iter().map(|(r, _)| f(r)).collect());
            let rps = m(&|r| r.rps());
            ScenarioResult {
                scenario: *s,
                requests: runs.iter().map(|(r, _)| r.requests).sum(),
                rps,
                p50_ms: m(&|r| r.quantile_ms(0.50)),
                p95_ms: m(&|r| r.quantile_ms(0.95)),
                p99_ms: m(&|r| r.quantile_ms(0.99)),
                max_ms: m(&|r| r.max_ms()),
                errors: runs.iter().map(|(r, _)| r.errors).sum(),
                error_statuses: runs.iter().fold(Default::default(), |mut acc, (r, _)| {
                    for (k, v) in &r.statuses {
                        *acc.entry(*k).or_default() += v;
                    }
                    acc
                }),
                first_error: runs.iter().find_map(|(r, _)| r.first_error.clone()),
                peak_rss_kb: runs.iter().map(|(_, p)| *p).max().unwrap_or(0),
                vs_http_floor: ratio(rps, http_floor_rps),
                vs_db_ceiling: ratio(rps, db_ceiling_tps),
                runs_rps: runs.iter().map(|(r, _)| r.rps()).collect(),
            }
        })
        .collect();
    let engine = match (&under.database_url, opts.engine) {
        (Some(u), _) if u.starts_with("postgres") => "postgres",
        (Some(_), _) => "sqlite",
        (None, Engine::Sqlite) => "sqlite",
        (None, Engine::Postgres) => "postgres",
    };
    Ok(RunReport {
        started_at,
        machine: Machine::current(),
        engine: engine.into(),
        durability: if opts.sqlite_full_sync && engine == "sqlite" {
            "full".into()
        } else {
            "normal".into()
        },
        conversations: under
            .seeded
            .as_ref()
            .map_or(opts.conversations, |s| s.conversations),
        open_conversations: under.seeded.as_ref().map_or(0, |s| s.open_conversations),
        messages: under.seeded.as_ref().map_or(0, |s| s.messages),
        connections: opts.connections,
        duration_s: opts.duration,
        runs: opts.runs,
        seed_seconds: under.seeded.as_ref().map_or(0.0, |s| s.seconds),
        startup_ms: under.startup_ms,
        idle_rss_kb,
        http_floor_rps,
        db_ceiling_tps,
        scenarios: results,
    })
}

/// The date of a run, for its result file (the benchmark measures real time, not a test clock).
#[expect(
    clippy::disallowed_methods,
    reason = "a benchmark run is dated by the wall clock"
)]
fn wall_clock() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Runs `work` while sampling the server's resident memory; returns its peak.
async fn with_peak_memory<T>(pid: Option<u32>, work: impl Future<Output = T>) -> (T, u64) {
    let Some(pid) = pid else {
        return (work.await, 0);
    };
    target::reset_peak(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(target::memory(pid).rss_kb, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let result = work.await;
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    let m = target::memory(pid);
    (result, peak.load(Ordering::Relaxed).max(m.peak_kb))
}

/// Single-row update transactions per second, straight to the database with the server's own
/// pool settings and durability: from one task on SQLite (one writer at a time: more writers only
/// add lock waits), from as many tasks as there are connections on PostgreSQL.
async fn db_ceiling(store: &Store, opts: &RunOpts, rows: i64) -> anyhow::Result<f64> {
    let warmup = Duration::from_secs_f64(opts.warmup);
    let duration = Duration::from_secs_f64(opts.duration);
    let start = Instant::now();
    let (from, until) = (start + warmup, start + warmup + duration);
    let count = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let writers = match store.engine() {
        confab_store::Engine::Sqlite => 1,
        confab_store::Engine::Postgres => opts.connections,
    };
    for _ in 0..writers {
        let (store, count) = (store.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(rand::random());
            loop {
                let now = Instant::now();
                if now >= until {
                    return Ok::<(), anyhow::Error>(());
                }
                let id = rng.random_range(1..=rows.max(1));
                store
                    .probe_update(id, rng.random_range(1..i64::MAX / 2))
                    .await
                    .map_err(|e| anyhow::anyhow!("database ceiling: {e}"))?;
                if now >= from && Instant::now() <= until {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(count.load(Ordering::Relaxed) as f64 / duration.as_secs_f64())
}
