//! Runtime configuration, read from the environment (see README "Configuration").

use std::time::Duration;

/// Default database: an SQLite file under `./data/`, created on first run.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/netlines.db?mode=rwc";

/// Limits for failed sign-ins.
#[derive(Clone, Debug)]
pub struct LoginLimits {
    /// Failed attempts allowed per email address within `window`.
    pub per_email: u32,
    /// Failed attempts allowed per client IP within `window`.
    pub per_ip: u32,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_email: 5,
            per_ip: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Limits of the REST API.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RestLimits {
    /// Leaky bucket per caller: requests drained per second…
    pub rate_per_sec: f64,
    /// …and how many may queue up (more: HTTP 503 `QUERY_LIMIT_EXCEEDED`).
    pub burst: u32,
    /// `imopenlines.network.message.add`: messages per user and channel…
    pub network_messages: u32,
    /// …per this many seconds (Bitrix24: one per week).
    pub network_window_secs: u64,
    /// Seconds one credential's calls of one method may take per ten minutes
    /// (Bitrix24: 480) → HTTP 429 `OPERATION_TIME_LIMIT`.
    pub operating_limit_secs: f64,
}

impl Default for RestLimits {
    fn default() -> Self {
        Self {
            rate_per_sec: 2.0,
            burst: 50,
            network_messages: 1,
            network_window_secs: 7 * 24 * 3600,
            operating_limit_secs: 480.0,
        }
    }
}

/// Attachments: where their bytes are kept and how many and how large they may be.
#[derive(Clone, Debug, PartialEq)]
pub struct FileLimits {
    /// `NETLINES_FILES_DIR`; by default `files` beside an SQLite database file, else
    /// `data/files`.
    pub dir: std::path::PathBuf,
    /// `NETLINES_MAX_FILE_MB` (default 25): the largest file, in bytes.
    pub max_bytes: usize,
    /// Files in one message.
    pub max_per_message: usize,
}

impl FileLimits {
    fn for_database(database_url: &str) -> Self {
        let dir = crate::backend::db::sqlite_file_path(database_url)
            .and_then(|p| std::path::Path::new(&p).parent().map(|d| d.join("files")))
            .unwrap_or_else(|| std::path::PathBuf::from("data/files"));
        Self {
            dir,
            max_bytes: 25 * 1024 * 1024,
            max_per_message: 10,
        }
    }
}

/// Limits of the live WebSockets (per socket) and of anonymous abuse.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiveLimits {
    /// Largest frame or message a socket accepts; larger ones close the socket.
    pub max_frame_bytes: usize,
    /// Token bucket per socket for `send` / `typing` / `read` / `resume`: frames per
    /// second refilled…
    pub frames_per_sec: f64,
    /// …and how many may come at once. Past it: an `Error` with code `rate_limited`,
    /// nothing stored.
    pub frames_burst: u32,
    /// Conversations one socket may follow at once (`resume`); past it: `follow_limit`.
    pub max_followed: usize,
}

impl Default for LiveLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: 64 * 1024,
            frames_per_sec: 20.0,
            frames_burst: 60,
            max_followed: 200,
        }
    }
}

/// Bounds of the connection loop (`server/src/serve.rs`) against slow and hoarding
/// clients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServeLimits {
    /// `NETLINES_HEADER_TIMEOUT_SECS` (default 10): a request's header must arrive whole
    /// within this; an idle kept-alive connection is closed after it.
    pub header_timeout: Duration,
    /// `NETLINES_MAX_CONNECTIONS_PER_IP` (default 256): open HTTP connections from one
    /// peer address (trusted proxies exempt); more are closed at once.
    pub per_ip: usize,
    /// `NETLINES_MAX_CONNECTIONS` (default 10,000): open connections in all; past it the
    /// server waits before accepting more.
    pub max_connections: usize,
    /// Uploads one user may send at once (more: `too_many_uploads`).
    pub uploads_per_user: usize,
    /// An upload's body must bring at least this many bytes in every
    /// [`ServeLimits::upload_window`] (16 KiB/s by default), else it is cut off.
    pub upload_min_bytes: usize,
    pub upload_window: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            per_ip: 256,
            max_connections: 10_000,
            uploads_per_user: 2,
            upload_min_bytes: 160 * 1024,
            upload_window: Duration::from_secs(10),
        }
    }
}

/// How long browser sessions last.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SessionLimits {
    /// `NETLINES_SESSION_IDLE_SECS` (default 7 days): a session not used for this long
    /// ends (its open sockets close within seconds).
    pub idle: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Limits against anonymous abuse.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AbuseLimits {
    /// Registrations per client IP per hour.
    pub registrations_per_ip_hour: u32,
    /// REST requests with a wrong or missing credential per client IP: a leaky bucket
    /// draining this many per second…
    pub bad_auth_per_sec: f64,
    /// …with this burst (more: HTTP 503 `QUERY_LIMIT_EXCEEDED`).
    pub bad_auth_burst: u32,
}

impl Default for AbuseLimits {
    fn default() -> Self {
        Self {
            registrations_per_ip_hour: 20,
            bad_auth_per_sec: 1.0,
            bad_auth_burst: 30,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    pub database_url: String,
    /// Base URL used in links shown to users (e.g. `https://chat.example.com`), without a
    /// trailing slash.
    pub public_url: String,
    pub login_limits: LoginLimits,
    pub rest: RestLimits,
    pub live: LiveLimits,
    pub abuse: AbuseLimits,
    pub serve: ServeLimits,
    pub sessions: SessionLimits,
    /// `NETLINES_MAX_ACCOUNTS_PER_USER` (default 20): accounts one person may create
    /// while working in that many.
    pub max_accounts_per_user: usize,
    /// `NETLINES_QUOTA_USER_MB`, `NETLINES_QUOTA_ACCOUNT_MB`: storage for attachments.
    pub quotas: StorageQuotas,
    /// `NETLINES_METRICS_TOKEN`: `/metrics` answers only requests that bear it
    /// (`Authorization: Bearer …`); unset, `/metrics` is off (404).
    pub metrics_token: Option<String>,
    /// `NATS_URL` (with `NETLINES_NATS_PREFIX`): several nodes share live events,
    /// presence and limits through this NATS server (JetStream on). Unset: one node.
    pub nats: Option<NatsConfig>,
    /// `NETLINES_PRESENCE_TTL_SECS` (default 10): a node not heard from for this long
    /// counts as having nobody online, and an operator absent for this long gives their
    /// unanswered conversations of "evenly" queues back.
    pub presence_ttl: std::time::Duration,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`NETLINES_TRUSTED_PROXIES`);
    /// empty: the client is the TCP peer.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Attachments ([`FileLimits`]).
    pub files: FileLimits,
    /// `NETLINES_EVENTS_ALLOW_PRIVATE=1`: apps' event handlers may be on loopback, private
    /// and link-local addresses (an admin's choice for a closed network; off by default,
    /// so nobody aims the server at the machines behind it).
    pub events_allow_private: bool,
}

/// How several nodes meet.
#[derive(Clone, Debug)]
pub struct NatsConfig {
    pub url: String,
    /// The first token of every subject and the buckets' name prefix (several
    /// installations can share one NATS server): letters, digits, `-` and `_`.
    pub prefix: String,
    /// This node's id (`NETLINES_NODE_ID`, or host name and process id).
    pub node: String,
}

impl Config {
    /// Reads `DATABASE_URL`, `NETLINES_PUBLIC_URL` (default `http://{site_addr}`),
    /// `NETLINES_LOGIN_MAX_FAILURES_PER_EMAIL`, `NETLINES_LOGIN_MAX_FAILURES_PER_IP`,
    /// `NETLINES_REST_RATE`, `NETLINES_REST_BURST`, `NETLINES_NETWORK_MESSAGE_LIMIT`,
    /// `NETLINES_NETWORK_MESSAGE_WINDOW_SECS`, `NETLINES_REST_OPERATING_LIMIT_SECS`,
    /// `NETLINES_WS_FRAMES_PER_SEC`, `NETLINES_WS_FRAMES_BURST`, `NETLINES_WS_MAX_FOLLOWED`,
    /// `NETLINES_REGISTRATIONS_PER_IP_HOUR`, `NETLINES_METRICS_TOKEN`, `NATS_URL`,
    /// `NETLINES_NATS_PREFIX`, `NETLINES_PRESENCE_TTL_SECS`.
    pub fn from_env(site_addr: std::net::SocketAddr) -> Result<Self, String> {
        let database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_string());
        let public_url = match std::env::var("NETLINES_PUBLIC_URL") {
            Ok(u) if !u.trim().is_empty() => u,
            _ => format!("http://{site_addr}"),
        };
        let mut login_limits = LoginLimits::default();
        if let Some(n) = env_u32("NETLINES_LOGIN_MAX_FAILURES_PER_EMAIL")? {
            login_limits.per_email = n;
        }
        if let Some(n) = env_u32("NETLINES_LOGIN_MAX_FAILURES_PER_IP")? {
            login_limits.per_ip = n;
        }
        let mut c = Self::new(database_url, public_url, login_limits)?;
        if let Some(n) = env_u32("NETLINES_REST_RATE")? {
            c.rest.rate_per_sec = n.max(1) as f64;
        }
        if let Some(n) = env_u32("NETLINES_REST_BURST")? {
            c.rest.burst = n.max(1);
        }
        if let Some(n) = env_u32("NETLINES_NETWORK_MESSAGE_LIMIT")? {
            c.rest.network_messages = n;
        }
        if let Some(n) = env_u32("NETLINES_NETWORK_MESSAGE_WINDOW_SECS")? {
            c.rest.network_window_secs = n as u64;
        }
        if let Some(n) = env_u32("NETLINES_REST_OPERATING_LIMIT_SECS")? {
            c.rest.operating_limit_secs = n as f64;
        }
        if let Some(n) = env_u32("NETLINES_WS_FRAMES_PER_SEC")? {
            c.live.frames_per_sec = n.max(1) as f64;
        }
        if let Some(n) = env_u32("NETLINES_WS_FRAMES_BURST")? {
            c.live.frames_burst = n.max(1);
        }
        if let Some(n) = env_u32("NETLINES_WS_MAX_FOLLOWED")? {
            c.live.max_followed = n.max(1) as usize;
        }
        if let Some(n) = env_u32("NETLINES_REGISTRATIONS_PER_IP_HOUR")? {
            c.abuse.registrations_per_ip_hour = n;
        }
        if let Ok(t) = std::env::var("NETLINES_METRICS_TOKEN") {
            let t = t.trim().to_string();
            if !t.is_empty() {
                if t.len() < 16 {
                    return Err("NETLINES_METRICS_TOKEN must be at least 16 characters".into());
                }
                c.metrics_token = Some(t);
            }
        }
        if let Ok(url) = std::env::var("NATS_URL") {
            if !url.trim().is_empty() {
                let prefix = std::env::var("NETLINES_NATS_PREFIX").unwrap_or_else(|_| "netlines".into());
                let prefix = prefix.trim().to_string();
                if prefix.is_empty()
                    || prefix.len() > 32
                    || !prefix
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
                {
                    return Err("NETLINES_NATS_PREFIX must be 1-32 letters, digits, - or _".into());
                }
                c.nats = Some(NatsConfig {
                    url: url.trim().to_string(),
                    prefix,
                    node: crate::backend::cluster::node_id().to_string(),
                });
            }
        }
        if let Some(n) = env_u32("NETLINES_PRESENCE_TTL_SECS")? {
            c.presence_ttl = std::time::Duration::from_secs(n.clamp(1, 3600) as u64);
        }
        if let Ok(list) = std::env::var("NETLINES_TRUSTED_PROXIES") {
            c.trusted_proxies = parse_proxies(&list)?;
        }
        if let Ok(dir) = std::env::var("NETLINES_FILES_DIR") {
            if !dir.trim().is_empty() {
                c.files.dir = dir.trim().into();
            }
        }
        if let Some(n) = env_u32("NETLINES_MAX_FILE_MB")? {
            c.files.max_bytes = (n.clamp(1, 1024) as usize) * 1024 * 1024;
        }
        if let Some(n) = env_u32("NETLINES_HEADER_TIMEOUT_SECS")? {
            c.serve.header_timeout = Duration::from_secs(n.clamp(1, 300) as u64);
        }
        if let Some(n) = env_u32("NETLINES_MAX_CONNECTIONS_PER_IP")? {
            c.serve.per_ip = n.max(1) as usize;
        }
        if let Some(n) = env_u32("NETLINES_MAX_CONNECTIONS")? {
            c.serve.max_connections = n.max(16) as usize;
        }
        if let Some(n) = env_u32("NETLINES_MAX_ACCOUNTS_PER_USER")? {
            c.max_accounts_per_user = n.max(1) as usize;
        }
        if let Some(n) = env_u32("NETLINES_QUOTA_USER_MB")? {
            c.quotas.per_user_bytes = i64::from(n) * 1024 * 1024;
        }
        if let Some(n) = env_u32("NETLINES_QUOTA_ACCOUNT_MB")? {
            c.quotas.per_account_bytes = i64::from(n) * 1024 * 1024;
        }
        if let Some(n) = env_u32("NETLINES_SESSION_IDLE_SECS")? {
            c.sessions.idle = Duration::from_secs(n.max(60) as u64);
        }
        if let Ok(v) = std::env::var("NETLINES_EVENTS_ALLOW_PRIVATE") {
            c.events_allow_private = match v.trim() {
                "1" | "true" | "yes" => true,
                "" | "0" | "false" | "no" => false,
                _ => return Err("NETLINES_EVENTS_ALLOW_PRIVATE must be 1 or 0".into()),
            };
        }
        Ok(c)
    }

    pub fn new(database_url: String, public_url: String, login_limits: LoginLimits) -> Result<Self, String> {
        let parsed = url::Url::parse(public_url.trim())
            .map_err(|e| format!("NETLINES_PUBLIC_URL is not a valid URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("NETLINES_PUBLIC_URL must start with http:// or https://".into());
        }
        Ok(Self {
            public_url: public_url.trim().trim_end_matches('/').to_string(),
            login_limits,
            rest: RestLimits::default(),
            live: LiveLimits::default(),
            abuse: AbuseLimits::default(),
            serve: ServeLimits::default(),
            sessions: SessionLimits::default(),
            quotas: Default::default(),
            max_accounts_per_user: 20,
            metrics_token: None,
            nats: None,
            presence_ttl: std::time::Duration::from_secs(10),
            trusted_proxies: Vec::new(),
            files: FileLimits::for_database(&database_url),
            events_allow_private: false,
            database_url,
        })
    }

    /// The client's address: the TCP peer, or — when the peer is a trusted proxy — the
    /// nearest address in `X-Forwarded-For` (read from the right) that is not one of
    /// the trusted proxies. Addresses a client wrote at the left of the header are never
    /// taken past an untrusted hop, so a client cannot choose its own address.
    pub fn client_ip(&self, peer: std::net::IpAddr, forwarded_for: Option<&str>) -> std::net::IpAddr {
        let trusted = |ip: &std::net::IpAddr| self.trusted_proxies.iter().any(|n| n.contains(ip));
        if !trusted(&peer) {
            return peer;
        }
        let Some(header) = forwarded_for else { return peer };
        let mut nearest = peer;
        for hop in header.rsplit(',') {
            match hop.trim().parse::<std::net::IpAddr>() {
                Ok(ip) if trusted(&ip) => nearest = ip,
                Ok(ip) => return ip,
                // A malformed hop: stop at the last address known to be good.
                Err(_) => return nearest,
            }
        }
        nearest
    }

    /// Cookies get the `Secure` attribute when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// `NETLINES_TRUSTED_PROXIES`: addresses or CIDR blocks, separated by commas or spaces.
pub fn parse_proxies(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    format!("NETLINES_TRUSTED_PROXIES: {p:?} is not an IP address or a CIDR block (e.g. 10.0.0.0/8)")
                })
        })
        .collect()
}

fn env_u32(key: &str) -> Result<Option<u32>, String> {
    match std::env::var(key) {
        Ok(v) => v
            .trim()
            .parse::<u32>()
            .map(Some)
            .map_err(|_| format!("{key} must be a whole number, got {v:?}")),
        Err(_) => Ok(None),
    }
}

/// Storage one user and one account may fill with attachments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageQuotas {
    /// `NETLINES_QUOTA_USER_MB` (default 1,024 MB).
    pub per_user_bytes: i64,
    /// `NETLINES_QUOTA_ACCOUNT_MB` (default 10,240 MB).
    pub per_account_bytes: i64,
}

impl Default for StorageQuotas {
    fn default() -> Self {
        Self {
            per_user_bytes: 1024 * 1024 * 1024,
            per_account_bytes: 10 * 1024 * 1024 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_comes_from_trusted_proxies_only() {
        let mut c = Config::new(
            "sqlite::memory:".into(),
            "http://x".into(),
            LoginLimits::default(),
        )
        .unwrap();
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        // No trusted proxy: the header is ignored.
        assert_eq!(c.client_ip(ip("10.0.0.2"), Some("1.2.3.4")), ip("10.0.0.2"));
        c.trusted_proxies = parse_proxies("10.0.0.0/8, 192.168.1.7").unwrap();
        // From a trusted proxy: the nearest untrusted hop.
        assert_eq!(c.client_ip(ip("10.0.0.2"), Some("1.2.3.4")), ip("1.2.3.4"));
        assert_eq!(c.client_ip(ip("192.168.1.7"), Some("1.2.3.4")), ip("1.2.3.4"));
        // A client-written address at the left is not taken past the real one.
        assert_eq!(
            c.client_ip(ip("10.0.0.2"), Some("6.6.6.6, 1.2.3.4")),
            ip("1.2.3.4")
        );
        // Chains of trusted proxies are walked.
        assert_eq!(
            c.client_ip(ip("10.0.0.2"), Some("1.2.3.4, 10.0.0.9")),
            ip("1.2.3.4")
        );
        // From an untrusted peer, the header is ignored.
        assert_eq!(c.client_ip(ip("8.8.8.8"), Some("1.2.3.4")), ip("8.8.8.8"));
        // No header, or garbage: the last trusted address.
        assert_eq!(c.client_ip(ip("10.0.0.2"), None), ip("10.0.0.2"));
        assert_eq!(
            c.client_ip(ip("10.0.0.2"), Some("junk, 10.0.0.9")),
            ip("10.0.0.9")
        );
        assert!(parse_proxies("10.0.0.0/33").is_err());
        assert!(parse_proxies("proxy.local")
            .unwrap_err()
            .contains("NETLINES_TRUSTED_PROXIES"));
        assert_eq!(parse_proxies("  ").unwrap(), vec![]);
    }

    #[test]
    fn public_url_must_be_http_or_https_and_loses_its_trailing_slash() {
        let c = Config::new(
            "sqlite::memory:".into(),
            "https://chat.example.com/".into(),
            LoginLimits::default(),
        )
        .unwrap();
        assert_eq!(c.public_url, "https://chat.example.com");
        assert!(c.secure_cookies());
        let c = Config::new(
            "sqlite::memory:".into(),
            "http://127.0.0.1:3000".into(),
            LoginLimits::default(),
        )
        .unwrap();
        assert!(!c.secure_cookies());
        assert!(Config::new("x".into(), "ftp://x".into(), LoginLimits::default()).is_err());
        assert!(Config::new("x".into(), "not a url".into(), LoginLimits::default()).is_err());
    }
}
