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
    pub messages: Arc<crate::backend::services::messages::Writer>,
    /// REST calls per caller.
    pub rest_buckets: Arc<LeakyBuckets>,
    /// REST processing time per caller and method.
    pub rest_operating: Arc<OperatingBudget>,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, db: DatabaseConnection, config: Config) -> Self {
        let window = config.login_limits.window;
        let rest = config.rest;
        let abuse = config.abuse;
        let hub: Arc<dyn Hub> = Arc::new(LocalHub::default());
        let messages = Arc::new(crate::backend::services::messages::Writer::new(
            db.clone(),
            hub.clone(),
            &config.database_url,
        ));
        Self {
            rest_buckets: Arc::new(LeakyBuckets::new(rest.rate_per_sec, rest.burst)),
            rest_operating: Arc::new(OperatingBudget::new(
                rest.operating_limit_secs,
                std::time::Duration::from_secs(600),
            )),
            leptos_options,
            db,
            config: Arc::new(config),
            login_failures: Arc::new(FailureLimiter::new(window)),
            registrations: Arc::new(FailureLimiter::new(std::time::Duration::from_secs(3600))),
            rest_bad_auth: Arc::new(LeakyBuckets::new(abuse.bad_auth_per_sec, abuse.bad_auth_burst)),
            messages,
            hub,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
