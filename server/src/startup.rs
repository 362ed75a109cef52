//! Start-up: options from the environment, [`Application::build`] (database and
//! migrations, listener, cluster link, the node's workers, the router) and
//! [`Application::run_until_stopped`].

use crate::{routes, workers};
use app::backend::{db::connect_and_migrate, AppState, Config};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::Env;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Leptos options from the cargo-leptos environment variables, with defaults that fit
/// running from the workspace root (`target/site`). Built explicitly so the binary does
/// not depend on values baked in at compile time.
pub fn leptos_options_from_env() -> anyhow::Result<LeptosOptions> {
    let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let site_addr: SocketAddr = var("LEPTOS_SITE_ADDR", "127.0.0.1:3000")
        .parse()
        .map_err(|e| anyhow::anyhow!("LEPTOS_SITE_ADDR is not an address like 127.0.0.1:3000: {e}"))?;
    let env = match var("LEPTOS_ENV", "PROD").to_ascii_uppercase().as_str() {
        "DEV" | "DEVELOPMENT" => Env::DEV,
        _ => Env::PROD,
    };
    Ok(LeptosOptions::builder()
        .output_name(var("LEPTOS_OUTPUT_NAME", "netlines"))
        .site_root(var("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(site_addr)
        .env(env)
        .build())
}

pub struct Application {
    listener: TcpListener,
    port: u16,
    state: AppState,
    router: Router,
    /// The node's periodic work (session purge, presence sweep, search indexer): stopped
    /// when serving stops, so a stopped application leaves nothing running.
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects to the database (running migrations), binds `leptos_options.site_addr`
    /// and builds the router.
    pub async fn build(leptos_options: LeptosOptions, config: Config) -> anyhow::Result<Self> {
        let db = connect_and_migrate(&config.database_url)
            .await
            .map_err(|e| anyhow::anyhow!("database {}: {e}", redact(&config.database_url)))?;
        let listener = TcpListener::bind(leptos_options.site_addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", leptos_options.site_addr))?;
        let port = listener.local_addr()?.port();
        crate::assets::drop_stale(
            &std::path::Path::new(&*leptos_options.site_root).join(&*leptos_options.site_pkg_dir),
        );
        let cluster = match &config.nats {
            Some(n) => {
                let longest = config
                    .login_limits
                    .window
                    .max(std::time::Duration::from_secs(3600));
                let c = app::backend::cluster::Cluster::connect(&n.url, &n.node, &n.prefix, longest)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                tracing::info!(nats = %redact(&n.url), node = %n.node, "several nodes: live events, presence and limits go through NATS");
                Some(c)
            }
            None => None,
        };
        let state = AppState::with_cluster(leptos_options, db, config, cluster);
        let background = workers::spawn_all(&state);
        let router = routes::router(state.clone());
        Ok(Self {
            listener,
            port,
            state,
            router,
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets running requests finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served = crate::serve::serve(
            self.listener,
            self.router,
            self.state.config.serve,
            self.state.config.trusted_proxies.clone(),
            shutdown,
        )
        .await;
        for task in &self.background {
            task.abort();
        }
        served
    }
}

/// Hides the password part of a database URL for log lines.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received, finishing requests");
}
