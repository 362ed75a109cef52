#![recursion_limit = "512"]
//! The Netlines server: start-up, router, form endpoints, health, CLI.
//!
//! [`Application::build`] binds the listener (port 0 in tests) and wires the router;
//! [`Application::run_until_stopped`] serves until the shutdown future resolves.

/// The acting member of account `$slug` for a form endpoint, or return the response
/// [`forms::member_actor`] chose (sign-in for visitors, the 404 page for outsiders).
macro_rules! actor_or_return {
    ($state:expr, $headers:expr, $slug:expr) => {
        match crate::forms::member_actor(&$state, &$headers, &$slug).await {
            Ok(a) => a,
            Err(r) => return r,
        }
    };
}

pub mod apps;
pub mod assets;
pub mod chat;
pub mod cli;
pub mod contact_center;
pub mod events;
pub mod files;
pub mod forms;
pub mod live;
pub mod profile;
pub mod rest;
pub mod serve;
pub mod stats;
pub mod uploads;

use app::backend::{db::connect_and_migrate, AppState, Config};
use app::{shell, App};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use leptos::config::LeptosOptions;
use leptos::prelude::Env;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

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
        assets::drop_stale(
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
        let mut background = vec![
            spawn_session_purge(state.clone()),
            spawn_presence_sweep(state.clone()),
            events::spawn(state.clone()),
            spawn_timers(state.clone()),
        ];
        background.extend(spawn_search_indexer(state.db.clone()));
        let router = router(state.clone());
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
        let served = serve::serve(
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

/// Every second: operators who have had no inbox open on any node for the presence
/// time-to-live give their unanswered conversations of "evenly" and "strictly in order"
/// queues back, and the queues dispatch them again (a closed laptop, a crashed node);
/// and conversations left unanswered past their channel's time to take pass on.
fn spawn_presence_sweep(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let grace = state.config.presence_ttl;
        let mut seen: std::collections::HashSet<app::domain::UserId> = Default::default();
        let mut absent: std::collections::HashMap<app::domain::UserId, std::time::Instant> =
            Default::default();
        let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            every.tick().await;
            let online: std::collections::HashSet<_> = state.hub.online_users().into_iter().collect();
            let departed = state.hub.take_departed();
            for gone in seen.difference(&online).chain(departed.iter()) {
                absent.entry(*gone).or_insert_with(std::time::Instant::now);
            }
            absent.retain(|u, _| !online.contains(u));
            seen = online;
            let due: Vec<_> = absent
                .iter()
                .filter(|(_, since)| since.elapsed() >= grace)
                .map(|(u, _)| *u)
                .collect();
            for user in due {
                absent.remove(&user);
                match app::backend::services::queue::operator_gone(&state.db, state.hub.as_ref(), user).await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        user_id = user.0,
                        conversations = n,
                        "an absent operator's waiting conversations went back to the queue"
                    ),
                    Err(e) => {
                        tracing::warn!(error = ?e, user_id = user.0, "re-dispatch after an operator left failed")
                    }
                }
            }
            // Time to take: unanswered assigned conversations pass to the next operator.
            match app::backend::services::queue::pass_on_untaken(
                &state.db,
                state.hub.as_ref(),
                app::backend::now_ms(),
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    conversations = n,
                    "untaken conversations passed to the next operator"
                ),
                Err(e) => tracing::warn!(error = ?e, "passing on untaken conversations failed"),
            }
        }
    })
}

/// Every two seconds: channels' automatic messages (no answer, auto-close) and handing
/// out conversations held outside working hours once a channel opens. Each timer is
/// claimed in the database, so every node may run this.
fn spawn_timers(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(2));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match app::backend::services::hours::run_timers(
                &state.db,
                state.hub.as_ref(),
                app::backend::now_ms(),
            )
            .await
            {
                Ok(f) if f == Default::default() => {}
                Ok(f) => tracing::info!(
                    no_answer = f.no_answer,
                    closed = f.closed,
                    opened = f.opened,
                    "channel timers fired"
                ),
                Err(e) => tracing::warn!(error = ?e, "channel timers failed"),
            }
        }
    })
}

/// Every quarter of a second (SQLite): adds a batch of the messages committed since to
/// the search index, off the message path. PostgreSQL keeps its own index.
fn spawn_search_indexer(db: sea_orm::DatabaseConnection) -> Option<tokio::task::JoinHandle<()>> {
    if sea_orm::ConnectionTrait::get_database_backend(&db) != sea_orm::DbBackend::Sqlite {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut every = tokio::time::interval(app::backend::services::search::INDEX_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = app::backend::services::search::index_pending(&db).await {
                tracing::warn!(error = ?e, "indexing messages for search failed");
            }
        }
    }))
}

/// Deletes expired and idle sessions, apps' expired codes and tokens, old delivered
/// events, REST uploads never sent, and attachments' bytes nothing refers to — once an
/// hour (and once at start).
fn spawn_session_purge(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let db = &state.db;
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match app::backend::auth::purge_expired_sessions(db, state.config.sessions.idle).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "expired sessions purged"),
                Err(e) => tracing::warn!(error = %e, "purging expired sessions failed"),
            }
            match app::backend::services::events::purge(db, app::backend::now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "old delivered and given-up events purged"),
                Err(e) => tracing::warn!(error = ?e, "purging old events failed"),
            }
            match app::backend::services::apps::purge_expired(db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "expired OAuth codes and tokens purged"),
                Err(e) => tracing::warn!(error = %e, "purging OAuth codes and tokens failed"),
            }
            let storage = async {
                let unsent =
                    app::backend::services::storage::purge_unsent(db, app::backend::now_ms()).await?;
                let files = app::backend::services::storage::collect(db, state.files.as_ref()).await?;
                Ok::<_, app::error::AppError>((unsent, files))
            };
            match storage.await {
                Ok((0, 0)) => {}
                Ok((unsent, files)) => {
                    tracing::info!(unsent, files, "unsent uploads and unreferenced files removed")
                }
                Err(e) => tracing::warn!(error = ?e, "collecting unreferenced files failed"),
            }
        }
    })
}

/// Hides the password part of a database URL for log lines.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Largest settings form accepted: the 5 MB picture plus the text fields, with room to
/// spare so a too-large picture gets a clear message rather than a bare 413.
const SETTINGS_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Forms of a few text fields (working hours: at most ~20 KB of valid input).
const SMALL_FORM_LIMIT: usize = 64 * 1024;

/// All routes: Leptos pages and server functions, form endpoints, health.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    // The customer link is `/oauth/select/?…` (with the slash, as Bitrix24 writes it);
    // Leptos registers `/oauth/select`, so the slashed form gets the same page here.
    let link_page = leptos_axum::render_app_async_with_context(
        {
            let state = state.clone();
            move || leptos::prelude::provide_context(state.clone())
        },
        {
            let options = options.clone();
            move || shell(options.clone())
        },
    );
    let consent_page = link_page.clone();
    Router::new()
        .route("/oauth/select/", get(move |req: Request| link_page(req)))
        .route(
            "/oauth/authorize/",
            get(move |req: Request| consent_page(req)).post(apps::decide),
        )
        .route("/oauth/authorize", post(apps::decide))
        .route("/oauth/token/", get(apps::token).post(apps::token))
        .route("/oauth/token", get(apps::token).post(apps::token))
        .route("/a/{slug}/apps", post(apps::create))
        .route("/a/{slug}/apps/{id}/delete", post(apps::delete))
        .route("/a/{slug}/apps/{id}/grants/{user_id}/revoke", post(apps::revoke))
        .route(
            "/a/{slug}/apps/{id}/events/{event_id}/retry",
            post(apps::retry_event),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/auth/login", post(forms::login))
        .route("/auth/register", post(forms::register))
        .route("/auth/logout", post(forms::logout))
        .route("/auth/logout-everywhere", post(forms::logout_everywhere))
        .route("/lang", post(forms::set_lang))
        .route("/accounts", post(forms::create_account))
        .route("/a/{slug}/members", post(forms::add_member))
        .route(
            "/a/{slug}/invitations/{id}/cancel",
            post(forms::cancel_invitation),
        )
        .route("/invitations/{id}/accept", post(forms::accept_invitation))
        .route("/invitations/{id}/decline", post(forms::decline_invitation))
        .route("/a/{slug}/members/{user_id}/role", post(forms::change_role))
        .route("/a/{slug}/members/{user_id}/remove", post(forms::remove_member))
        .route(
            "/a/{slug}/contact-center/channels",
            post(contact_center::create_channel),
        )
        .route(
            "/a/{slug}/contact-center/channels/{id}/rename",
            post(contact_center::rename_channel),
        )
        .route(
            "/a/{slug}/contact-center/channels/{id}/active",
            post(contact_center::set_active),
        )
        .route(
            "/a/{slug}/contact-center/channels/{id}/operators",
            post(contact_center::set_operators),
        )
        .route(
            "/a/{slug}/contact-center/channels/{id}/queue",
            post(contact_center::set_queue),
        )
        .route(
            "/a/{slug}/contact-center/network/connect",
            post(contact_center::connect),
        )
        .route(
            "/a/{slug}/contact-center/network/disconnect/{id}",
            post(contact_center::disconnect),
        )
        .route(
            "/a/{slug}/contact-center/network/settings/{id}",
            post(contact_center::save_settings).layer(DefaultBodyLimit::max(SETTINGS_BODY_LIMIT)),
        )
        .route("/a/{slug}/statistics.csv", get(stats::csv))
        .route(
            "/a/{slug}/contact-center/network/hours/{id}",
            post(contact_center::save_hours).layer(DefaultBodyLimit::max(SMALL_FORM_LIMIT)),
        )
        .route(
            "/a/{slug}/contact-center/quick-answers/add",
            post(contact_center::create_quick_answer),
        )
        .route(
            "/a/{slug}/contact-center/quick-answers/{id}",
            post(contact_center::update_quick_answer),
        )
        .route(
            "/a/{slug}/contact-center/quick-answers/{id}/delete",
            post(contact_center::delete_quick_answer),
        )
        .route(
            "/a/{slug}/contact-center/channels/{id}/order",
            post(contact_center::move_operator),
        )
        .route("/avatars/{key}/{file}", get(contact_center::avatar))
        .route("/ws", get(live::ws))
        .route("/ws/inbox", get(live::inbox_ws))
        .route("/chat/{code}/{slug}/send", post(chat::send))
        .route("/chat/{code}/{slug}/finish", post(chat::finish))
        .route("/chat/{code}/{slug}/rate", post(chat::rate))
        .route(
            "/chat/{code}/{slug}/files",
            post(files::customer_upload)
                .layer(DefaultBodyLimit::max(files::body_limit(&state.config.files)))
                .layer(axum::middleware::from_fn_with_state(
                    state.config.serve,
                    uploads::enforce_min_rate,
                )),
        )
        .route(
            "/a/{slug}/inbox/files",
            post(files::operator_upload)
                .layer(DefaultBodyLimit::max(files::body_limit(&state.config.files)))
                .layer(axum::middleware::from_fn_with_state(
                    state.config.serve,
                    uploads::enforce_min_rate,
                )),
        )
        .route("/files/{id}", get(files::open))
        .route("/files/{id}/thumb", get(files::thumb))
        .route("/profile/webhooks", post(profile::create_webhook))
        .route("/profile/tokens", post(profile::issue_token))
        .route(
            "/profile/time-zone",
            post(profile::set_time_zone).layer(DefaultBodyLimit::max(SMALL_FORM_LIMIT)),
        )
        .route("/profile/credentials/{id}/revoke", post(profile::revoke))
        .merge(rest::routes())
        // The wasm, JS and CSS: pre-compressed copies when the build made them.
        .nest_service(
            &format!("/{}", state.leptos_options.site_pkg_dir),
            tower_http::services::ServeDir::new(format!(
                "{}/{}",
                state.leptos_options.site_root, state.leptos_options.site_pkg_dir
            ))
            .precompressed_br()
            .precompressed_gzip(),
        )
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), attach_user))
        .layer(axum::middleware::from_fn(hardening))
        .layer(axum::middleware::from_fn(server_fn_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            same_origin_posts,
        ))
        // No request may hang forever: a stalled response becomes a 503 the client can
        // retry. (Leptos 0.8 has had rare races where a server-rendered page never
        // finishes; see the README's known issues.) Uploads get longer: their handler
        // reads the whole body, which on a slow link takes minutes.
        .layer(axum::middleware::from_fn(bounded_in_time))
        // Everything else is compressed on the fly (quickly: pages are small), unless it
        // already is (pre-compressed assets, images).
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Precise(4)),
        )
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `GET /healthz`: 200 when the database answers (and, with several nodes, the node is
/// connected to NATS), 503 otherwise — a load balancer then sends its clients to the
/// other nodes, where they resume.
async fn healthz(State(state): State<AppState>) -> Response {
    let database = state.db.ping().await;
    if let Err(e) = &database {
        tracing::error!(error = %e, "health check: database unavailable");
    }
    let broker = state.cluster.as_ref().map(|c| c.connected());
    if broker == Some(false) {
        tracing::error!("health check: NATS unavailable");
    }
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let healthy = database.is_ok() && broker != Some(false);
    let mut body = serde_json::json!({ "status": word(healthy), "database": word(database.is_ok()) });
    if let Some(b) = broker {
        body["broker"] = serde_json::json!(word(b));
    }
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// `GET /metrics`: the node's metrics in the Prometheus text format, for a scraper that
/// bears `NETLINES_METRICS_TOKEN` (unset: 404, as if there were no such page).
async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let offered = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !app::backend::auth::same_secret(offered.as_bytes(), token.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(axum::http::header::WWW_AUTHENTICATE, "Bearer")],
            "a valid bearer token is required",
        )
            .into_response();
    }
    let m = app::backend::metrics::get();
    match app::backend::services::queue::waiting_per_channel(&state.db).await {
        Ok(waiting) => {
            m.waiting.clear();
            for (channel, n) in waiting {
                m.waiting
                    .get_or_create(&app::backend::metrics::ChannelLabels { channel })
                    .set(n);
            }
        }
        Err(e) => tracing::warn!(error = ?e, "metrics: waiting conversations unavailable"),
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.encode(),
    )
        .into_response()
}

/// Server functions answer every error with 500; this gives an `AppError` its own
/// status (400, 401, 403, 404, 409, 422, 429) so clients, proxies and logs tell a
/// malformed request, "not yours" and "not found" from a fault. The body (the encoded
/// error) is kept as it is.
async fn server_fn_status(req: Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // An encoded AppError is a few hundred bytes; anything bigger is not one.
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(e) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Security headers on every response (`app::backend::web`).
/// How long any request may take to be answered.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long an upload may take (25 MB at 400 kbit/s).
const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Requests whose handler reads a file-sized body: the pages' upload forms and the REST
/// upload method.
fn is_upload(method: &http::Method, path: &str) -> bool {
    method == http::Method::POST
        && (path.ends_with("/files")
            || path.ends_with("/disk.folder.uploadfile")
            || path.ends_with("/disk.folder.uploadfile.json"))
}

/// Answers 503 when a request is not answered within its bound.
async fn bounded_in_time(req: Request, next: Next) -> Response {
    let limit = if is_upload(req.method(), req.uri().path()) {
        UPLOAD_TIMEOUT
    } else {
        REQUEST_TIMEOUT
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

async fn hardening(mut req: Request, next: Next) -> Response {
    let slot = app::backend::web::PageNonceSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    app::backend::web::secure_response(&slot, res.headers_mut());
    res
}

/// Resolves the session user of page requests before Leptos renders them, so the page
/// frame can show it without a `<Suspense>` (see `app::ui::RequestUser`).
async fn attach_user(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_page = req.method() == Method::GET
        && !path.starts_with("/pkg/")
        && !path.starts_with("/api/")
        && !path.starts_with("/avatars/")
        && path != "/ws"
        && path != "/healthz"
        && path != "/metrics";
    if is_page {
        let user = forms::session_user(&state, req.headers()).await.ok().flatten();
        if let Some(u) = &user {
            match app::backend::services::accounts::list_for_user(&state.db, u.id).await {
                Ok(accounts) => {
                    req.extensions_mut().insert(app::ui::RequestAccounts(accounts));
                }
                Err(e) => tracing::warn!(error = ?e, "page frame: the user's accounts are unavailable"),
            }
        }
        req.extensions_mut().insert(app::ui::RequestUser(user));
    }
    next.run(req).await
}

/// Is the request's `Origin` this site? This site is the origin of
/// `NETLINES_PUBLIC_URL` (what users open, also behind a proxy that rewrites `Host`), or
/// the `Host` the request was sent to **with the public URL's scheme**: `https://host`
/// or `wss://host` never pass for a site served over `http://`, nor the other way round.
/// A missing or opaque (`null`) `Origin` is not allowed here.
pub fn origin_allowed(public_url: &str, headers: &axum::http::HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Ok(offered) = url::Url::parse(origin) else {
        return false;
    };
    let offered = offered.origin();
    if !offered.is_tuple() {
        return false;
    }
    let Ok(public) = url::Url::parse(public_url) else {
        return false;
    };
    if offered == public.origin() {
        return true;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if host.is_empty() {
        return false;
    }
    match url::Url::parse(&format!("{}://{host}", public.scheme())) {
        Ok(by_host) => offered == by_host.origin(),
        Err(_) => false,
    }
}

/// Refuses state-changing requests whose `Origin` is another site (CSRF defence in
/// depth on top of `SameSite=Lax` cookies). Requests without `Origin` (non-browser
/// clients) pass.
async fn same_origin_posts(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // REST calls and OAuth token requests carry their own credential (never the session
    // cookie), so a foreign page cannot forge one.
    let rest = req.uri().path().starts_with("/rest/") || req.uri().path().starts_with("/oauth/token");
    if !rest
        && req.method() != Method::GET
        && req.method() != Method::HEAD
        && req.headers().contains_key(header::ORIGIN)
        && !origin_allowed(&state.config.public_url, req.headers())
    {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::warn!(%origin, "cross-origin request refused");
        return (StatusCode::FORBIDDEN, "cross-origin request refused").into_response();
    }
    next.run(req).await
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

#[cfg(test)]
mod origin_tests {
    use super::origin_allowed;

    fn with(origin: &str, host: &str) -> axum::http::HeaderMap {
        let mut h = axum::http::HeaderMap::new();
        h.insert("origin", origin.parse().unwrap());
        h.insert("host", host.parse().unwrap());
        h
    }

    #[test]
    fn the_origin_must_match_the_public_url_scheme_host_and_port_exactly() {
        let public = "http://chat.example.com";
        assert!(origin_allowed(
            public,
            &with("http://chat.example.com", "chat.example.com")
        ));
        // The Host the request was sent to, with the public URL's scheme.
        assert!(origin_allowed(
            public,
            &with("http://127.0.0.1:3000", "127.0.0.1:3000")
        ));
        for bad in [
            "https://chat.example.com",
            "wss://chat.example.com",
            "ws://chat.example.com",
            "http://chat.example.com:8080",
            "http://evil.example.com",
            "null",
            "chat.example.com",
            "http://chat.example.com.evil.test",
        ] {
            assert!(!origin_allowed(public, &with(bad, "chat.example.com")), "{bad}");
        }
        let secure = "https://chat.example.com";
        assert!(origin_allowed(
            secure,
            &with("https://chat.example.com", "internal:8080")
        ));
        assert!(origin_allowed(secure, &with("https://chat.example.com:443", "x")));
        assert!(!origin_allowed(
            secure,
            &with("http://chat.example.com", "chat.example.com")
        ));
    }
}

#[cfg(test)]
mod timeout_tests {
    use super::is_upload;
    use http::Method;

    #[test]
    fn only_uploads_get_the_long_bound() {
        assert!(is_upload(&Method::POST, "/chat/0123/acme/files"));
        assert!(is_upload(&Method::POST, "/a/acme/inbox/files"));
        assert!(is_upload(&Method::POST, "/rest/3/abc/disk.folder.uploadfile"));
        assert!(is_upload(&Method::POST, "/rest/disk.folder.uploadfile.json"));
        assert!(!is_upload(&Method::GET, "/files/7"));
        assert!(!is_upload(&Method::POST, "/chat/0123/acme/send"));
        assert!(!is_upload(&Method::POST, "/rest/3/abc/im.message.add"));
        assert!(!is_upload(&Method::GET, "/a/acme/inbox/files"));
    }
}
