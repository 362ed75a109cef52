//! The one shared state: given to axum handlers as `State` and to server functions
//! and SSR through Leptos context.

use super::config::Config;
use super::hub::{Hub, LocalHub};
use super::ratelimit::{FailureLimiter, LeakyBuckets, OperatingBudget};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub login_failures: Arc<FailureLimiter>,
    /// Registrations per client IP (one hour).
    pub registrations: Arc<FailureLimiter>,
    /// REST requests with a bad or missing credential, per client IP.
    pub rest_bad_auth: Arc<LeakyBuckets<std::net::IpAddr>>,
    /// Live fan-out of committed events.
    pub hub: Arc<dyn Hub>,
    /// The message writer (group commit of the common appends).
    pub messages: Arc<crate::backend::messaging::Writer>,
    /// REST calls per caller.
    pub rest_buckets: Arc<LeakyBuckets>,
    /// REST processing time per caller and method.
    pub rest_operating: Arc<OperatingBudget>,
    /// The link to the other nodes (`NATS_URL`); `None` for a single node.
    pub cluster: Option<crate::backend::cluster::Cluster>,
    /// Attachments' bytes.
    pub files: Arc<dyn crate::backend::files::FileStore>,
    /// Uploads in progress per user.
    pub upload_slots: crate::backend::ratelimit::Slots,
    /// "Retry now" presses per app (a minute).
    pub retry_presses: Arc<FailureLimiter>,
    /// Refused forms' refills written per client IP.
    pub refill_writes: Arc<LeakyBuckets<std::net::IpAddr>>,
}

impl AppState {
    /// One node: the hub and the limits live in this process.
    pub fn new(leptos_options: LeptosOptions, db: DatabaseConnection, config: Config) -> Self {
        Self::with_cluster(leptos_options, db, config, None)
    }

    /// With `cluster`, the hub, presence and limits are shared with the other nodes
    /// through NATS.
    pub fn with_cluster(
        leptos_options: LeptosOptions,
        db: DatabaseConnection,
        config: Config,
        cluster: Option<crate::backend::cluster::Cluster>,
    ) -> Self {
        let window = config.login_limits.window;
        let rest = config.rest;
        let abuse = config.abuse;
        let operating_window = std::time::Duration::from_secs(600);
        let hub: Arc<dyn Hub> = match (&cluster, &config.nats) {
            (Some(c), Some(n)) => {
                crate::backend::hub::nats::NatsHub::start(c.clone(), &n.prefix, config.presence_ttl)
            }
            _ => Arc::new(LocalHub::default()),
        };
        let messages = Arc::new(crate::backend::messaging::Writer::new(
            db.clone(),
            hub.clone(),
            &config.database_url,
        ));
        let hour = std::time::Duration::from_secs(3600);
        let limits = cluster.as_ref().map(|c| c.limits.clone());
        Self {
            rest_buckets: Arc::new(match &limits {
                Some(kv) => LeakyBuckets::shared(rest.rate_per_sec, rest.burst, kv.clone(), "rest"),
                None => LeakyBuckets::new(rest.rate_per_sec, rest.burst),
            }),
            rest_operating: Arc::new(match &limits {
                Some(kv) => OperatingBudget::shared(
                    rest.operating_limit_secs,
                    operating_window,
                    kv.clone(),
                    "operating",
                ),
                None => OperatingBudget::new(rest.operating_limit_secs, operating_window),
            }),
            login_failures: Arc::new(match &limits {
                Some(kv) => FailureLimiter::shared(window, kv.clone(), "signin"),
                None => FailureLimiter::new(window),
            }),
            registrations: Arc::new(match &limits {
                Some(kv) => FailureLimiter::shared(hour, kv.clone(), "register"),
                None => FailureLimiter::new(hour),
            }),
            rest_bad_auth: Arc::new(match &limits {
                Some(kv) => LeakyBuckets::shared(
                    abuse.bad_auth_per_sec,
                    abuse.bad_auth_burst,
                    kv.clone(),
                    "badauth",
                ),
                None => LeakyBuckets::new(abuse.bad_auth_per_sec, abuse.bad_auth_burst),
            }),
            retry_presses: Arc::new(match &limits {
                Some(kv) => FailureLimiter::shared(std::time::Duration::from_secs(60), kv.clone(), "retry"),
                None => FailureLimiter::new(std::time::Duration::from_secs(60)),
            }),
            refill_writes: Arc::new({
                use crate::backend::services::refills::{WRITES_BURST, WRITES_PER_SEC};
                match &limits {
                    Some(kv) => LeakyBuckets::shared(WRITES_PER_SEC, WRITES_BURST, kv.clone(), "refill"),
                    None => LeakyBuckets::new(WRITES_PER_SEC, WRITES_BURST),
                }
            }),
            upload_slots: Default::default(),
            files: Arc::new(crate::backend::files::DirStore::new(config.files.dir.clone())),
            leptos_options,
            db,
            config: Arc::new(config),
            messages,
            hub,
            cluster,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
