//! `loadgen`: the Netlines load generator (`make bench`; see docs/benchmarks.md).
//!
//! It starts a `netlines serve` (or targets one by `--url`), makes customer/operator
//! pairs through the real entry points, and drives real WebSockets: flat out (one
//! message in flight per customer) or at a fixed total rate. It prints one figure a
//! line and, with `--json FILE`, writes the same figures for comparing runs.
//!
//! An acknowledgement counts only when it arrives, and the server sends it only after
//! the commit. At the end every acknowledged message is read back from the store and
//! checked: stored exactly once, in seq order, seen exactly once by both sides.
//!
//! Chaos: `--kill-every S` SIGKILLs the server every S seconds and starts it again;
//! `--storm N` forces N client disconnects during the run. Clients reconnect, resend
//! what was not acknowledged and resume from the last seq they saw.

mod idle;
mod proc;
mod report;
mod setup;
mod traffic;

use anyhow::{bail, Context, Result};
use clap::Parser;
use proc::{Meter, Server};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use traffic::{Ctx, PairState, DRAIN, MEASURE, STOP, WARMUP};

#[derive(Parser, Debug, Clone)]
#[command(name = "loadgen", about = "Netlines load generator")]
pub struct Args {
    /// Customer/operator pairs.
    #[arg(long, default_value_t = 100)]
    pairs: usize,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of traffic before measuring.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Total messages per second over all customers; 0 = flat out (one in flight each).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Message size in bytes.
    #[arg(long, default_value_t = 64)]
    body_bytes: usize,
    /// The operator sends a read receipt after every this many messages (0: never).
    #[arg(long, default_value_t = 0)]
    read_every: i64,
    /// Idle mode: open this many quiet customer sockets instead of sending.
    #[arg(long)]
    idle: Option<usize>,
    /// SIGKILL the server every this many seconds and start it again.
    #[arg(long)]
    kill_every: Option<f64>,
    /// Force this many client disconnects (customer or operator sockets) during the run.
    #[arg(long, default_value_t = 0)]
    storm: usize,
    /// Target a running server instead of starting one (no kills then).
    #[arg(long)]
    url: Option<String>,
    /// With --url: the server's pid, for CPU and memory figures.
    #[arg(long)]
    server_pid: Option<u32>,
    /// The `netlines` binary (default: next to this one).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Database of the started server: a fresh SQLite file by default; a
    /// `postgres://…/db` URL makes a fresh database on that server.
    #[arg(long)]
    database_url: Option<String>,
    /// Start this many nodes on one database (PostgreSQL: --database-url) joined by
    /// NATS (--nats-url); each pair's customer and operator are on different nodes.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// The NATS server of several nodes.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
    /// Write the figures as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// A name for this run in the output.
    #[arg(long, default_value = "run")]
    label: String,
    /// Exit with failure unless at least this many messages were acknowledged (smoke runs).
    #[arg(long, default_value_t = 1)]
    min_acked: u64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> Result<()> {
    let tmp = std::env::temp_dir().join(format!("netlines-loadgen-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let mut pg_db: Option<(String, String)> = None;
    if args.nodes > 1 && !args.database_url.as_deref().unwrap_or("").starts_with("postgres") {
        bail!("--nodes needs --database-url postgres://… (nodes share one PostgreSQL database)");
    }
    let mut servers = match &args.url {
        Some(u) => vec![Server::external(
            u.trim_end_matches('/').to_string(),
            args.server_pid,
        )],
        None => {
            let bin = match &args.server_bin {
                Some(b) => b.clone(),
                None => std::env::current_exe()?
                    .parent()
                    .context("loadgen's folder")?
                    .join("netlines"),
            };
            let url = match &args.database_url {
                Some(u) if u.starts_with("postgres") => {
                    let (url, admin, name) = fresh_pg(u).await?;
                    pg_db = Some((admin, name));
                    url
                }
                Some(u) => u.clone(),
                None => format!("sqlite://{}/bench.db?mode=rwc", tmp.display()),
            };
            eprintln!("starting {} (database {url})", bin.display());
            let mut nodes = Vec::new();
            if args.nodes > 1 {
                let prefix = format!("loadgen{:x}", rand::random::<u32>());
                for i in 0..args.nodes {
                    let env = vec![
                        ("NATS_URL".to_string(), args.nats_url.clone()),
                        ("NETLINES_NATS_PREFIX".to_string(), prefix.clone()),
                        ("NETLINES_NODE_ID".to_string(), format!("node{i}")),
                    ];
                    let log = tmp.join(format!("server{i}.log"));
                    nodes.push(Server::start_with(bin.clone(), &url, log, env).await?);
                }
                eprintln!("{} nodes joined by NATS at {}", nodes.len(), args.nats_url);
            } else {
                nodes.push(Server::start(bin, &url, tmp.join("server.log")).await?);
            }
            nodes
        }
    };
    let server = &servers[0];
    if args.kill_every.is_some() && !server.managed() {
        bail!("--kill-every needs a server started by loadgen (no --url)");
    }
    let run_id = format!("{:x}", rand::random::<u32>());
    let n_pairs = match args.idle {
        Some(c) => c.clamp(1, 10),
        None => args.pairs.max(1),
    };
    let t = Instant::now();
    let pairs = setup::pairs(&server.base, &run_id, n_pairs).await?;
    eprintln!("made {} pairs in {:.1} s", pairs.len(), t.elapsed().as_secs_f64());

    let result = if let Some(c) = args.idle {
        let f = idle::run(server, &pairs, &run_id, c).await?;
        let r = report::idle(&args, &f);
        r.print();
        r
    } else {
        traffic_run(&args, &mut servers, &pairs).await?
    };
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&result.json())?)?;
    }
    for s in &mut servers {
        s.stop();
    }
    if let Some((admin, name)) = pg_db {
        drop_pg(&admin, &name).await;
    }
    if std::env::var_os("LOADGEN_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    } else {
        eprintln!("kept {}", tmp.display());
    }
    if let Some(problem) = result.failure(args.min_acked) {
        bail!("{problem}");
    }
    Ok(())
}

async fn traffic_run(args: &Args, servers: &mut [Server], pairs: &[setup::Pair]) -> Result<report::Report> {
    let ctx = Arc::new(Ctx {
        bases: servers.iter().map(|s| s.base.clone()).collect(),
        phase: AtomicU8::new(WARMUP),
        interval: (args.rate > 0.0).then(|| Duration::from_secs_f64(pairs.len() as f64 / args.rate)),
        body_bytes: args.body_bytes,
        read_every: args.read_every,
        forced: AtomicUsize::new(0),
        reconnects: AtomicUsize::new(0),
    });
    let mut states = Vec::new();
    let mut kicks = Vec::new();
    let mut tasks = Vec::new();
    for p in pairs {
        let st = Arc::new(Mutex::new(PairState::default()));
        let (kc, ko) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(tokio::sync::Notify::new()),
        );
        // The operator first, so the inbox is open when the conversation starts.
        tasks.push(tokio::spawn(traffic::operator(
            ctx.clone(),
            p.clone(),
            st.clone(),
            ko.clone(),
        )));
        tokio::time::sleep(Duration::from_millis(2)).await;
        tasks.push(tokio::spawn(traffic::customer(
            ctx.clone(),
            p.clone(),
            st.clone(),
            kc.clone(),
        )));
        states.push(st);
        kicks.push(kc);
        kicks.push(ko);
    }
    // Warm-up: every conversation exists, then a little traffic.
    let t = Instant::now();
    while states.iter().any(|s| s.lock().unwrap().conversation.is_none()) {
        if t.elapsed() > Duration::from_secs(120) {
            bail!("conversations did not start within 2 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;

    ctx.phase.store(MEASURE, Ordering::SeqCst);
    let mut meter = Meter::start(servers);
    let t0 = Instant::now();
    let window = Duration::from_secs_f64(args.duration);
    let kill_every = args.kill_every.map(Duration::from_secs_f64);
    let mut next_kill = kill_every.map(|k| t0 + k);
    let storm_gap = (args.storm > 0).then(|| window.div_f64(args.storm as f64 + 1.0));
    let mut next_storm = storm_gap.map(|g| t0 + g);
    let mut kills = 0usize;
    while t0.elapsed() < window {
        tokio::time::sleep(Duration::from_millis(10)).await;
        meter.sample(servers);
        if let Some(k) = next_kill {
            if Instant::now() >= k {
                // The first node (with several, its clients move to the others).
                servers[0].kill_and_restart().await?;
                kills += 1;
                next_kill = Some(Instant::now() + kill_every.unwrap());
            }
        }
        while let Some(s) = next_storm {
            if Instant::now() < s || ctx.forced.load(Ordering::Relaxed) >= args.storm {
                break;
            }
            let i = rand::random::<usize>() % kicks.len();
            kicks[i].notify_one();
            ctx.forced.fetch_add(1, Ordering::Relaxed);
            next_storm = Some(s + storm_gap.unwrap());
        }
    }
    let measured = t0.elapsed().as_secs_f64();
    let cpu = if kills == 0 {
        meter.cpu_percent(servers)
    } else {
        None
    };
    ctx.phase.store(DRAIN, Ordering::SeqCst);

    // Drain: everything sent is acknowledged, and the operators have seen every
    // acknowledged message.
    let t = Instant::now();
    loop {
        let pending: usize = states
            .iter()
            .map(|s| {
                let s = s.lock().unwrap();
                s.acked
                    .values()
                    .filter(|seq| !s.operator_seen.contains_key(seq))
                    .count()
            })
            .sum();
        // Customers end once nothing of theirs is waiting for an ack.
        let customers_done = tasks.iter().skip(1).step_by(2).all(|t| t.is_finished());
        if pending == 0 && customers_done {
            break;
        }
        if t.elapsed() > Duration::from_secs(60) {
            eprintln!("drain: {pending} acknowledged messages not seen by operators after 60 s");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ctx.phase.store(STOP, Ordering::SeqCst);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }

    // Read every conversation back from the store.
    let mut check = report::Check::default();
    for (p, st) in pairs.iter().zip(&states) {
        let (conv, last) = {
            let s = st.lock().unwrap();
            (s.conversation, s.acked.values().copied().max().unwrap_or(0))
        };
        let Some(conv) = conv else { continue };
        let stored = traffic::read_back(&servers[0].base, p, conv, last).await?;
        check.add(&st.lock().unwrap(), &stored);
    }
    let r = report::traffic(
        args,
        pairs.len(),
        measured,
        &states,
        check,
        cpu,
        meter.peak_rss,
        kills,
        ctx.forced.load(Ordering::Relaxed),
        ctx.reconnects.load(Ordering::Relaxed),
    );
    r.print();
    Ok(r)
}

/// A new database on the PostgreSQL server of `url`; returns its URL, the admin URL and
/// its name.
async fn fresh_pg(url: &str) -> Result<(String, String, String)> {
    use sea_orm::ConnectionTrait;
    let name = format!("netlines_bench_{}", std::process::id());
    let admin = sea_orm::Database::connect(url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    admin.close().await?;
    let mut u = url::Url::parse(url)?;
    u.set_path(&format!("/{name}"));
    Ok((u.to_string(), url.to_string(), name))
}

async fn drop_pg(admin: &str, name: &str) {
    use sea_orm::ConnectionTrait;
    if let Ok(db) = sea_orm::Database::connect(admin).await {
        let _ = db
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
}
