//! Test harness: starts the real application on port 0 with a fresh database
//! (an SQLite temp file always; a new PostgreSQL database when TEST_DATABASE_URL is set)
//! and speaks HTTP to it like a browser would.
#![allow(dead_code)]

use app::backend::config::LoginLimits;
use app::backend::{AppState, Config};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use server::Application;
use std::net::SocketAddr;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

#[allow(unused_imports)] // not by metrics.rs, which includes this file too
pub use test_macros::both_databases;

/// The SQLite run of a `#[both_databases]` test.
pub fn on_sqlite() -> Backend {
    Backend::Sqlite
}

/// The PostgreSQL run of a `#[both_databases]` test: `TEST_DATABASE_URL`'s server. Without
/// it the run has nothing to do — except in CI, where its absence fails the test.
pub fn on_postgres() -> Option<Backend> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(Backend::Postgres(url)),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI runs every API test on PostgreSQL too: TEST_DATABASE_URL is not set")
        }
        _ => None,
    }
}

/// SQLite always; PostgreSQL too when `TEST_DATABASE_URL` is set (make test sets it when
/// a server answers on 127.0.0.1:5432).
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        if !url.trim().is_empty() {
            v.push(Backend::Postgres(url));
        }
    }
    v
}

pub struct TestApp {
    pub base: String,
    /// Where the server keeps attachments' bytes.
    pub files_dir: std::path::PathBuf,
    pub state: AppState,
    pub backend: Backend,
    _pg_db: Option<PgDatabase>,
    _tmp: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

#[derive(Default)]
pub struct Options {
    pub public_url: Option<String>,
    pub login_limits: LoginLimits,
    pub rest: Option<app::backend::config::RestLimits>,
    pub live: Option<app::backend::config::LiveLimits>,
    pub abuse: Option<app::backend::config::AbuseLimits>,
    pub metrics_token: Option<String>,
    /// Several nodes: NATS and this node's id.
    pub nats: Option<app::backend::config::NatsConfig>,
    pub presence_ttl: Option<std::time::Duration>,
    /// `NETLINES_TRUSTED_PROXIES`.
    pub trusted_proxies: Option<&'static str>,
    /// `NETLINES_MAX_FILE_MB`, in bytes.
    pub max_file_bytes: Option<usize>,
    /// `NETLINES_EVENTS_ALLOW_PRIVATE`.
    pub events_allow_private: bool,
    /// The connection loop's and uploads' bounds.
    pub serve: Option<app::backend::config::ServeLimits>,
    /// Sessions' idle timeout.
    pub sessions: Option<app::backend::config::SessionLimits>,
    /// Storage quotas.
    pub quotas: Option<app::backend::services::storage::StorageQuotas>,
}

/// The NATS server of the multi-node tests (`TEST_NATS_URL`, default
/// `nats://127.0.0.1:4222`).
pub fn nats_url() -> String {
    std::env::var("TEST_NATS_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "nats://127.0.0.1:4222".into())
}

/// `n` nodes on one new PostgreSQL database and one NATS server (subjects and buckets
/// of their own, so tests running at once do not meet), each on its own port; `opts`
/// gives each node's options (its `nats` is filled in).
pub async fn spawn_nodes(admin_url: &str, n: usize, opts: impl Fn(usize) -> Options) -> Vec<TestApp> {
    let db = pg_database(admin_url).await;
    let prefix = unique_name().replace("nl_test", "nlt");
    let url = db.url.clone();
    let mut pg = Some(db);
    let mut nodes = Vec::new();
    for i in 0..n {
        let mut o = opts(i);
        o.nats = Some(app::backend::config::NatsConfig {
            url: nats_url(),
            prefix: prefix.clone(),
            node: format!("node{i}"),
        });
        // The last node owns the database: it is dropped last (a Vec drops in order).
        nodes.push(
            spawn_on(
                url.clone(),
                if i + 1 == n { pg.take() } else { None },
                &Backend::Postgres(admin_url.into()),
                o,
            )
            .await,
        );
    }
    nodes
}

/// One multi-threaded runtime for every server of the test process. Leptos spawns its
/// rendering tasks on the runtime it is called from; were each test's server on that
/// test's own single-threaded runtime, a task could land on another test's runtime and
/// die with it, leaving a request unanswered.
fn server_runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime")
    })
}

/// Builds and starts the application on the shared server runtime; returns its port,
/// its state and the sender that stops it.
pub async fn start(
    leptos_options: leptos::config::LeptosOptions,
    config: Config,
) -> (u16, AppState, tokio::sync::oneshot::Sender<()>) {
    let rt = server_runtime();
    let app = rt
        .spawn(Application::build(leptos_options, config))
        .await
        .expect("build task")
        .expect("app builds");
    let port = app.port();
    let state = app.state().clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    rt.spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    (port, state, tx)
}

fn unique_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "nl_test_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        nanos
    )
}

pub async fn spawn(backend: &Backend) -> TestApp {
    spawn_with(backend, Options::default()).await
}

pub async fn spawn_with(backend: &Backend, opts: Options) -> TestApp {
    let tmp = tempfile::tempdir().unwrap();
    let (database_url, pg_db) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}/test.db?mode=rwc", tmp.path().display()),
            None,
        ),
        Backend::Postgres(admin_url) => {
            let db = pg_database(admin_url).await;
            (db.url.clone(), Some(db))
        }
    };
    spawn_in(tmp, database_url, pg_db, backend, opts).await
}

/// A node on an existing database (`pg_db`: dropped with this node).
pub async fn spawn_on(
    database_url: String,
    pg_db: Option<PgDatabase>,
    backend: &Backend,
    opts: Options,
) -> TestApp {
    spawn_in(tempfile::tempdir().unwrap(), database_url, pg_db, backend, opts).await
}

async fn spawn_in(
    tmp: tempfile::TempDir,
    database_url: String,
    pg_db: Option<PgDatabase>,
    backend: &Backend,
    opts: Options,
) -> TestApp {
    let leptos_options = leptos::config::LeptosOptions::builder()
        .output_name("netlines")
        .site_root("target/site")
        .site_addr("127.0.0.1:0".parse::<SocketAddr>().unwrap())
        .build();
    let public_url = opts.public_url.unwrap_or_else(|| "http://127.0.0.1".into());
    let mut config = Config::new(database_url, public_url, opts.login_limits).unwrap();
    if let Some(r) = opts.rest {
        config.rest = r;
    }
    if let Some(l) = opts.live {
        config.live = l;
    }
    if let Some(a) = opts.abuse {
        config.abuse = a;
    }
    config.metrics_token = opts.metrics_token;
    config.nats = opts.nats;
    config.events_allow_private = opts.events_allow_private;
    if let Some(t) = opts.presence_ttl {
        config.presence_ttl = t;
    }
    if let Some(p) = opts.trusted_proxies {
        config.trusted_proxies = app::backend::config::parse_proxies(p).unwrap();
    }
    if let Some(l) = opts.serve {
        config.serve = l;
    }
    if let Some(l) = opts.sessions {
        config.sessions = l;
    }
    if let Some(q) = opts.quotas {
        config.quotas = q;
    }
    config.files.dir = tmp.path().join("files");
    if let Some(n) = opts.max_file_bytes {
        config.files.max_bytes = n;
    }
    let (port, state, tx) = start(leptos_options, config).await;
    let base = format!("http://127.0.0.1:{port}");
    TestApp {
        base,
        files_dir: tmp.path().join("files"),
        state,
        backend: backend.clone(),
        _pg_db: pg_db,
        _tmp: tmp,
        shutdown: Some(tx),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A new, empty PostgreSQL database on the server of `admin_url`, dropped (with its
/// connections) when this value is dropped, so repeated runs leave nothing behind.
pub struct PgDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

pub async fn pg_database(admin_url: &str) -> PgDatabase {
    let name = unique_name();
    let admin = Database::connect(admin_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let mut u = url::Url::parse(admin_url).unwrap();
    u.set_path(&format!("/{name}"));
    PgDatabase {
        url: u.to_string(),
        admin_url: admin_url.to_string(),
        name,
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // On a thread of its own: this may run inside a test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

/// How long a test client keeps an idle connection for reuse: well under the server's
/// idle keep-alive (`ServeLimits::header_timeout`, 10 s), as browsers do. A connection
/// kept longer can be closed by the server just as a request is written on it, and the
/// request then fails with an incomplete message (browsers retry those; reqwest does not).
pub const POOL_IDLE: std::time::Duration = std::time::Duration::from_secs(4);

/// A plain HTTP client for REST and other non-browser calls (see [`POOL_IDLE`]).
pub fn http_client() -> Client {
    Client::builder()
        .pool_idle_timeout(POOL_IDLE)
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A browser-like client: keeps cookies, does not follow redirects (tests read them).
pub fn browser() -> Client {
    // A timeout turns a hang into a failure that says which request hung.
    Client::builder()
        .pool_idle_timeout(POOL_IDLE)
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post_form(&self, c: &Client, path: &str, form: &[(&str, &str)]) -> Response {
        c.post(self.url(path))
            .header("accept", "text/html")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// GET a page as a browser does. A page that stalls fails the test (no retries:
    /// see the README's known issues for the upstream Leptos race this once hid).
    pub async fn get_page(&self, c: &Client, path: &str) -> Response {
        c.get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e} ({e:?})"))
    }

    pub async fn get_html(&self, c: &Client, path: &str) -> (StatusCode, String) {
        let r = self.get_page(c, path).await;
        let status = r.status();
        (status, strip_markers(&r.text().await.unwrap()))
    }

    /// Registers (and so signs in) `c`; panics unless it succeeds.
    pub async fn register(&self, c: &Client, email: &str, name: &str) {
        let r = self
            .post_form(
                c,
                "/auth/register",
                &[("email", email), ("name", name), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/network", "registration of {email} failed");
    }

    /// Registers a network identity directly through the service (fast set-up).
    pub async fn user(&self, email: &str, name: &str) -> app::api::SessionUser {
        use app::domain::{DisplayName, Email, Password, UserId};
        let u = app::backend::services::users::register(
            &self.state.db,
            &Email::parse(email).unwrap(),
            &DisplayName::parse(name).unwrap(),
            &Password::parse(PASSWORD).unwrap(),
        )
        .await
        .unwrap();
        app::api::SessionUser {
            id: UserId(u.id),
            email: u.email,
            name: u.name,
            time_zone: None,
        }
    }

    /// Signs `c` in and returns its session cookie (`name=value`) for WebSocket requests.
    pub async fn sign_in_cookie(&self, c: &Client, email: &str) -> String {
        sign_in_cookie_at(&self.base, c, email).await
    }

    /// Opens a WebSocket at `path` with the session cookie and an `Origin` (this site's
    /// unless given); `Err(status)` when the upgrade is refused.
    pub async fn ws(&self, path: &str, cookie: &str, origin: Option<&str>) -> Result<Ws, u16> {
        ws_at(&self.base, path, cookie, origin).await
    }

    pub async fn sign_in(&self, c: &Client, email: &str, password: &str) -> String {
        let r = self
            .post_form(c, "/auth/login", &[("email", email), ("password", password)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        location(&r)
    }

    /// Creates an account as `c`; returns where the form redirected.
    pub async fn create_account(&self, c: &Client, name: &str, slug: &str) -> String {
        let r = self
            .post_form(c, "/accounts", &[("account_name", name), ("slug", slug)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        location(&r)
    }

    /// Calls a server function; `Ok(json)` or `Err(json error)`.
    pub async fn server_fn(
        &self,
        c: &Client,
        name: &str,
        form: &[(&str, &str)],
    ) -> Result<serde_json::Value, serde_json::Value> {
        let (status, body) = self.server_fn_status(c, name, form).await;
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(body)
        }
    }

    /// Calls a server function; its HTTP status and JSON body.
    pub async fn server_fn_status(
        &self,
        c: &Client,
        name: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let r = c
            .post(self.url(&format!("/api/{name}")))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = serde_json::from_str(&r.text().await.unwrap()).unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    /// The admin (`admin`'s browser) invites `email` to account `slug` with `role` on the
    /// account page's form, and the invited person (`invitee`'s browser, signed in with
    /// that email) accepts on their Network page. Returns the invitation form's redirect.
    pub async fn invite_and_accept(
        &self,
        admin: &Client,
        slug: &str,
        email: &str,
        role: &str,
        invitee: &Client,
    ) -> String {
        let r = self
            .post_form(
                admin,
                &format!("/a/{slug}/members"),
                &[("member_email", email), ("member_role", role)],
            )
            .await;
        let to = location(&r);
        let mine = self.server_fn(invitee, "my_invitations", &[]).await.unwrap();
        for i in mine.as_array().cloned().unwrap_or_default() {
            let r = self
                .post_form(invitee, &format!("/invitations/{}/accept", i["id"]), &[])
                .await;
            assert!(!location(&r).contains("error"), "{}", location(&r));
        }
        to
    }

    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.state.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}

/// Signs `c` in at the server at `base` and returns its session cookie (`name=value`).
pub async fn sign_in_cookie_at(base: &str, c: &Client, email: &str) -> String {
    let r = c
        .post(format!("{base}/auth/login"))
        .header("accept", "text/html")
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    set.split(';').next().unwrap().to_string()
}

/// Opens a WebSocket at `path` of the server at `base` with the session cookie and an
/// `Origin` (that server's unless given); `Err(status)` when the upgrade is refused.
pub async fn ws_at(base: &str, path: &str, cookie: &str, origin: Option<&str>) -> Result<Ws, u16> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}{path}", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("cookie", cookie.parse().unwrap());
    let origin = origin.unwrap_or(base);
    req.headers_mut().insert("origin", origin.parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

/// Sends a page request built by `make` once; a stalled page fails the test.
pub async fn send_page(make: impl Fn() -> reqwest::RequestBuilder) -> Response {
    make()
        .send()
        .await
        .unwrap_or_else(|e| panic!("page request: {e}"))
}

pub const PASSWORD: &str = "correct horse battery";

pub fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Removes Leptos hydration markers (`<!>`, `<!--…-->`) so raw HTML can be matched.
pub fn strip_markers(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("<!") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("<!--") {
            match tail.find("-->") {
                Some(j) => rest = &tail[j + 3..],
                None => break,
            }
        } else if let Some(after) = tail.strip_prefix("<!>") {
            rest = after;
        } else {
            out.push_str("<!");
            rest = &tail[2..];
        }
    }
    out.push_str(rest);
    out
}

/// Connects a new open channel `name` of the admin's account to the Network with the
/// given operators, welcome message and customer limit (`None`: one chat at a time);
/// returns the channel and its code.
pub async fn network_channel(
    db: &sea_orm::DatabaseConnection,
    admin: &app::backend::principal::Actor,
    name: &str,
    operators: &[app::domain::UserId],
    limit: Option<&str>,
) -> (app::domain::ChannelId, app::domain::channel::ChannelCode) {
    use app::backend::services::channels::{self, AvatarChange, ConnectTarget};
    use app::domain::channel::{ChannelCode, ChannelName, RawSettings, Settings};
    let channel = channels::connect(db, admin, ConnectTarget::New(ChannelName::parse(name).unwrap()))
        .await
        .unwrap();
    channels::set_operators(
        db,
        &app::backend::hub::LocalHub::default(),
        admin,
        channel,
        operators,
    )
    .await
    .unwrap();
    let settings = Settings::parse(&RawSettings {
        name: format!("Acme {name}"),
        welcome_message: "Hello!".into(),
        multi_chat: limit.is_some(),
        chat_limit: limit.unwrap_or("").into(),
        ask_rating: true,
        ..Default::default()
    })
    .unwrap();
    channels::save_settings(db, admin, channel, &settings, AvatarChange::Keep)
        .await
        .unwrap();
    let code = channels::settings(db, admin, channel, "http://x")
        .await
        .unwrap()
        .code;
    (channel, ChannelCode::parse(&code).unwrap())
}

/// An account named `name` at `slug`, made by `u` (its admin).
pub async fn new_account(
    db: &sea_orm::DatabaseConnection,
    u: &app::api::SessionUser,
    name: &str,
    slug: &str,
) {
    app::backend::services::accounts::create(
        db,
        u.id,
        &app::domain::AccountName::parse(name).unwrap(),
        &app::domain::Slug::parse(slug).unwrap(),
    )
    .await
    .unwrap();
}

/// A customer's message through the full path (every rule, one transaction), as the
/// form endpoint sends it.
pub async fn customer_send(
    db: &sea_orm::DatabaseConnection,
    hub: &dyn app::backend::hub::Hub,
    customer: &app::backend::principal::Customer,
    code: &app::domain::channel::ChannelCode,
    target: app::backend::messaging::Target,
    client_id: &app::domain::conversation::ClientMsgId,
    body: &app::domain::conversation::MessageBody,
) -> Result<app::backend::messaging::Ack, app::error::AppError> {
    let append = app::backend::messaging::Append {
        party: app::backend::principal::Party::Customer {
            customer: customer.clone(),
            code: code.clone(),
        },
        target,
        client_id: client_id.clone(),
        body: body.clone(),
    };
    app::backend::messaging::send(db, hub, &append, &[]).await
}

/// An operator's reply through the full path, as the server function sends it.
pub async fn operator_send(
    db: &sea_orm::DatabaseConnection,
    hub: &dyn app::backend::hub::Hub,
    actor: &app::backend::principal::Actor,
    name: &str,
    id: app::domain::ConversationId,
    client_id: &app::domain::conversation::ClientMsgId,
    body: &app::domain::conversation::MessageBody,
) -> Result<app::backend::messaging::Ack, app::error::AppError> {
    let append = app::backend::messaging::Append {
        party: app::backend::principal::Party::Operator {
            actor: actor.clone(),
            name: name.to_string(),
        },
        target: app::backend::messaging::Target::Existing(id),
        client_id: client_id.clone(),
        body: body.clone(),
    };
    app::backend::messaging::send(db, hub, &append, &[]).await
}
