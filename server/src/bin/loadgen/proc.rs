//! The server under test: started (and, in chaos runs, SIGKILLed and restarted) by the
//! load generator, or an already running one given by URL. CPU and memory are read from
//! `/proc/<pid>`.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Clock ticks per second of `/proc/<pid>/stat` (100 on every Linux this runs on).
const CLK_TCK: f64 = 100.0;

pub struct Server {
    pub base: String,
    child: Option<Child>,
    /// A server found by URL: its pid when given (for CPU and memory figures).
    external_pid: Option<u32>,
    bin: PathBuf,
    env: Vec<(String, String)>,
    log: PathBuf,
}

impl Server {
    /// Starts `netlines serve` on a free port with `database_url` and limits high enough
    /// for a benchmark (one socket sends far more than a person types).
    pub async fn start(bin: PathBuf, database_url: &str, log: PathBuf) -> Result<Self> {
        Self::start_with(bin, database_url, log, Vec::new()).await
    }

    /// [`Server::start`] with more environment (a node of several: `NATS_URL`, …).
    pub async fn start_with(
        bin: PathBuf,
        database_url: &str,
        log: PathBuf,
        extra: Vec<(String, String)>,
    ) -> Result<Self> {
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let mut env = vec![
            ("DATABASE_URL".into(), database_url.to_string()),
            ("LEPTOS_SITE_ADDR".into(), addr.clone()),
            ("NETLINES_PUBLIC_URL".into(), format!("http://{addr}")),
            ("NETLINES_WS_FRAMES_PER_SEC".into(), "1000000".into()),
            ("NETLINES_WS_FRAMES_BURST".into(), "1000000".into()),
            ("NETLINES_REGISTRATIONS_PER_IP_HOUR".into(), "1000000".into()),
            (
                "RUST_LOG".into(),
                std::env::var("LOADGEN_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
            ),
        ];
        env.extend(extra);
        let mut s = Self {
            base: format!("http://{addr}"),
            child: None,
            external_pid: None,
            bin,
            env,
            log,
        };
        s.spawn().await?;
        Ok(s)
    }

    /// A server that is already running at `base` (no restarts; figures from `pid`).
    pub fn external(base: String, pid: Option<u32>) -> Self {
        Self {
            base,
            child: None,
            external_pid: pid,
            bin: PathBuf::new(),
            env: Vec::new(),
            log: PathBuf::new(),
        }
    }

    pub fn managed(&self) -> bool {
        !self.env.is_empty()
    }

    async fn spawn(&mut self) -> Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("server log {}", self.log.display()))?;
        let child = Command::new(&self.bin)
            .arg("serve")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        self.child = Some(child);
        self.wait_healthy(Duration::from_secs(60)).await
    }

    async fn wait_healthy(&mut self, within: Duration) -> Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + within;
        loop {
            if let Some(c) = self.child.as_mut() {
                if let Some(status) = c.try_wait()? {
                    bail!("the server exited ({status}); see {}", self.log.display());
                }
            }
            if let Ok(r) = client.get(format!("{}/healthz", self.base)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("the server did not become healthy; see {}", self.log.display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL (no chance to flush anything), then start again on the same port and file.
    pub async fn kill_and_restart(&mut self) -> Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill().context("SIGKILL")?;
            c.wait()?;
        }
        self.spawn().await
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id()).or(self.external_pid)
    }

    /// CPU seconds used so far (user + system).
    pub fn cpu_secs(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()?)).ok()?;
        // Fields after the command name, which is in parentheses and may hold spaces.
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = f.get(11)?.parse().ok()?;
        let stime: f64 = f.get(12)?.parse().ok()?;
        Some((utime + stime) / CLK_TCK)
    }

    /// Resident memory now, in bytes.
    pub fn rss_bytes(&self) -> Option<u64> {
        status_kb(self.pid()?, "VmRSS:").map(|kb| kb * 1024)
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Samples CPU and RSS of the server while a run lasts.
pub struct Meter {
    cpu0: Option<f64>,
    t0: Instant,
    pub peak_rss: u64,
}

impl Meter {
    /// Starts measuring `servers` (every node, summed).
    pub fn start(servers: &[Server]) -> Self {
        Self {
            cpu0: total_cpu(servers),
            t0: Instant::now(),
            peak_rss: total_rss(servers),
        }
    }

    pub fn sample(&mut self, servers: &[Server]) {
        self.peak_rss = self.peak_rss.max(total_rss(servers));
    }

    /// Average CPU of the servers since `start`, in percent of one core.
    pub fn cpu_percent(&self, servers: &[Server]) -> Option<f64> {
        let used = total_cpu(servers)? - self.cpu0?;
        Some(100.0 * used / self.t0.elapsed().as_secs_f64())
    }
}

fn total_cpu(servers: &[Server]) -> Option<f64> {
    servers.iter().map(Server::cpu_secs).sum()
}

fn total_rss(servers: &[Server]) -> u64 {
    servers.iter().map(|s| s.rss_bytes().unwrap_or(0)).sum()
}
