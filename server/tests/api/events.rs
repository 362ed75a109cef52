//! Apps' outgoing events over HTTP, on SQLite and PostgreSQL: `event.bind / unbind /
//! get` (OAuth apps only), events written with the change and posted form-encoded to a
//! real listener in order per conversation with a stable id, failed deliveries retried
//! with backoff (and "retry now"), and handlers on private addresses refused unless the
//! server's admin allows them.

use crate::harness::*;
use app::backend::messaging::{Append, Target};
use app::backend::principal::Party;
use app::backend::services::conversations as conv;
use app::backend::services::{accounts, app_events, apps, credentials, inbox};
use app::domain::conversation::{ClientMsgId, MessageBody};
use app::domain::{AccountName, ConversationId, Role, Slug};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Post = Vec<(String, String)>;

/// An app's HTTP listener: keeps what it is sent, answers with `status`.
struct Listener {
    url: String,
    posts: Arc<Mutex<Vec<Post>>>,
    status: Arc<AtomicU16>,
    /// How long it takes to answer (ms): a slow handler.
    delay: Arc<std::sync::atomic::AtomicU64>,
}

async fn listener() -> Listener {
    let posts: Arc<Mutex<Vec<Post>>> = Arc::default();
    let status = Arc::new(AtomicU16::new(200));
    let delay = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (p, s, d) = (posts.clone(), status.clone(), delay.clone());
    let router = axum::Router::new().route(
        "/events",
        axum::routing::post(move |axum::Form(f): axum::Form<Post>| {
            let (p, s, d) = (p.clone(), s.clone(), d.clone());
            async move {
                tokio::time::sleep(Duration::from_millis(d.load(Ordering::SeqCst))).await;
                let code = s.load(Ordering::SeqCst);
                if code == 200 {
                    p.lock().unwrap().push(f);
                }
                axum::http::StatusCode::from_u16(code).unwrap()
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
    Listener {
        url: format!("http://127.0.0.1:{port}/events"),
        posts,
        status,
        delay,
    }
}

fn field<'a>(p: &'a Post, k: &str) -> &'a str {
    p.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{k} in {p:?}"))
}

struct World {
    app: TestApp,
    http: reqwest::Client,
    anna: app::backend::principal::Actor,
    olek: app::backend::principal::Actor,
    cleo: app::backend::principal::Customer,
    code: app::domain::channel::ChannelCode,
    bot: app::backend::entities::rest_app::Model,
    token: String,
    anna_hook: String,
}

async fn world(b: &Backend, allow_private: bool, handler: &str) -> World {
    let app = spawn_with(
        b,
        Options {
            events_allow_private: allow_private,
            ..Default::default()
        },
    )
    .await;
    let db = &app.state.db;
    let anna = app.user("anna@acme.test", "Anna").await.id;
    let olek = app.user("olek@acme.test", "Olek").await.id;
    let cleo = app.user("cleo@borealis.test", "Cleo").await;
    let zed = app.user("zed@zeta.test", "Zed").await.id;
    for (who, name, slug) in [
        (anna, "Acme", "acme"),
        (cleo.id, "Borealis", "borealis"),
        (zed, "Zeta", "zeta"),
    ] {
        accounts::create(
            db,
            who,
            &AccountName::parse(name).unwrap(),
            &Slug::parse(slug).unwrap(),
        )
        .await
        .unwrap();
    }
    let anna_a = accounts::actor(db, anna, "acme").await.unwrap();
    accounts::add_member(db, &anna_a, "olek@acme.test", Role::Operator)
        .await
        .unwrap();
    let (_, code) = network_channel(db, &anna_a, "Support", &[olek], None).await;
    let (bot, secret) = apps::create(
        db,
        &anna_a,
        "Events bot",
        handler,
        &["imopenlines".to_string(), "im".to_string()],
    )
    .await
    .unwrap();
    let token = grant(&app, &bot, &secret, anna).await;
    let (_, hook_code) = credentials::create_webhook(
        db,
        anna,
        "acme",
        "hook",
        &["imopenlines".to_string(), "im".to_string()],
    )
    .await
    .unwrap();
    let anna_hook = format!("{}/rest/{}/{}/", app.base, anna.0, hook_code);
    let cleo_customer = conv::customer(db, &cleo, "borealis").await.unwrap();
    World {
        olek: accounts::actor(db, olek, "acme").await.unwrap(),
        anna: anna_a,
        cleo: cleo_customer,
        http: http_client(),
        app,
        code,
        bot,
        token,
        anna_hook,
    }
}

impl World {
    /// A REST call with the app's access token.
    async fn call(&self, method: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(self.app.url(&format!("/rest/{method}?auth={}", self.token)))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }

    async fn cleo_writes(&self, text: &str, target: Target) -> ConversationId {
        customer_send(
            &self.app.state.db,
            self.app.state.hub.as_ref(),
            &self.cleo,
            &self.code,
            target,
            &ClientMsgId::parse(&format!("ev-{}", app::backend::random_token(6))).unwrap(),
            &MessageBody::parse(text).unwrap(),
        )
        .await
        .unwrap()
        .conversation
    }

    /// Olek answers through the message writer (the batched path the sockets use).
    async fn olek_writes(&self, c: ConversationId, text: &str) {
        self.app
            .state
            .messages
            .append(Append {
                party: Party::Operator {
                    actor: self.olek.clone(),
                    name: "Olek".into(),
                },
                target: Target::Existing(c),
                client_id: ClientMsgId::parse(&format!("ev-{}", app::backend::random_token(6))).unwrap(),
                body: MessageBody::parse(text).unwrap(),
            })
            .await
            .unwrap();
    }
}

fn err(v: &(StatusCode, Value)) -> (u16, &str) {
    (v.0.as_u16(), v.1["error"].as_str().unwrap_or("<none>"))
}

/// The app's delivery log once every event in it is recorded as delivered (the handler
/// has the post a moment before the worker records its answer), or as it is after 10 s.
async fn settled_log(w: &World) -> Vec<app_events::Delivery> {
    let mut log = Vec::new();
    for _ in 0..200 {
        log = app_events::log(&w.app.state.db, w.bot.id, 50).await.unwrap();
        if log.iter().all(|d| d.status == "delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    log
}

/// Waits until the listener holds at least `n` posts.
async fn wait_for(l: &Listener, n: usize) -> Vec<Post> {
    for _ in 0..200 {
        let got = l.posts.lock().unwrap().clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected {n} events, got {:?}", l.posts.lock().unwrap());
}

#[both_databases]
async fn an_app_receives_its_events_in_order_with_stable_ids_as_bitrix24_posts_them(b: Backend) {
    let l = listener().await;
    let w = world(&b, true, &l.url).await;
    // Bind: events only; the handler defaults to the app's; again is not twice.
    for e in ["ONOPENLINEMESSAGEADD", "onSessionStart", "OnSessionFinish"] {
        let r = w.call("event.bind", json!({"event": e, "handler": l.url})).await;
        assert_eq!(
            (r.0.as_u16(), &r.1["result"]),
            (200, &json!(true)),
            "{b:?} {e} {}",
            r.1
        );
    }
    let r = w.call("event.bind", json!({"event": "ONSESSIONSTART"})).await;
    assert_eq!(r.1["result"], true);
    assert_eq!(
        err(&w
            .call("event.bind", json!({"event": "OnCrmLeadAdd", "handler": l.url}))
            .await),
        (400, "ERROR_EVENT_NOT_FOUND")
    );
    assert_eq!(
        err(&w.call("event.bind", json!({"handler": l.url})).await),
        (400, "ERROR_EVENT_NOT_FOUND")
    );
    for bad in ["ftp://x.example.com/", "https://u:p@x.example.com/", "/events"] {
        assert_eq!(
            err(&w
                .call("event.bind", json!({"event": "ONSESSIONSTART", "handler": bad}))
                .await),
            (400, "WRONG_HANDLER_URL"),
            "{bad}"
        );
    }
    let (_, got) = w.call("event.get", json!({})).await;
    let listed: Vec<&str> = got["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        ["ONOPENLINEMESSAGEADD", "ONSESSIONSTART", "ONSESSIONFINISH"],
        "{got}"
    );
    assert_eq!(got["result"][0]["handler"], json!(l.url));
    // Events are an app's: a webhook (even the admin's) cannot bind them.
    let r = w
        .http
        .post(format!("{}event.bind", w.anna_hook))
        .json(&json!({"event": "ONSESSIONSTART", "handler": l.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "WRONG_AUTH_TYPE");

    // Cleo writes (the full path), Olek answers (the batched writer) twice, finishes.
    let c = w.cleo_writes("Where is my invoice?", Target::New).await;
    w.olek_writes(c, "Looking now").await;
    w.olek_writes(c, "Sent it again").await;
    inbox::finish(&w.app.state.db, w.app.state.hub.as_ref(), &w.olek, c)
        .await
        .unwrap();
    // The channel's welcome message comes first.
    let posts = wait_for(&l, 6).await;
    let kinds: Vec<&str> = posts.iter().map(|p| field(p, "event")).collect();
    assert_eq!(
        kinds,
        [
            "ONSESSIONSTART",
            "ONOPENLINEMESSAGEADD",
            "ONOPENLINEMESSAGEADD",
            "ONOPENLINEMESSAGEADD",
            "ONOPENLINEMESSAGEADD",
            "ONSESSIONFINISH"
        ],
        "{b:?}"
    );
    let texts: Vec<&str> = posts[1..5]
        .iter()
        .map(|p| field(p, "data[DATA][0][message][text]"))
        .collect();
    assert_eq!(
        texts,
        ["Hello!", "Where is my invoice?", "Looking now", "Sent it again"]
    );
    assert_eq!(field(&posts[1], "data[DATA][0][message][author]"), "channel");
    assert_eq!(field(&posts[1], "data[DATA][0][message][user_id]"), "0");
    let ids: Vec<i64> = posts
        .iter()
        .map(|p| field(p, "event_id").parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let m = &posts[3];
    assert_eq!(field(m, "data[DATA][0][chat][id]"), c.0.to_string());
    assert_eq!(field(m, "data[DATA][0][message][author]"), "operator");
    assert_eq!(
        field(m, "data[DATA][0][message][user_id]"),
        w.olek.user.0.to_string()
    );
    assert_eq!(field(m, "data[DATA][0][connector][connector_id]"), "network");
    assert_eq!(field(&posts[2], "data[DATA][0][message][author]"), "customer");
    assert_eq!(field(m, "auth[application_token]"), w.bot.application_token);
    assert_eq!(field(m, "auth[member_id]"), apps::member_id(w.anna.account.0));
    assert!(field(m, "auth[client_endpoint]").ends_with("/rest/"));
    assert!(field(m, "ts").parse::<i64>().unwrap() > 1_700_000_000);
    let start = &posts[0];
    assert_eq!(field(start, "data[CHAT_ID]"), c.0.to_string());
    let code = format!(
        "network|{}|{}|{}",
        field(start, "data[LINE_ID]"),
        w.cleo.account.0,
        w.cleo.user.0
    );
    assert_eq!(field(start, "data[USER_CODE]"), code);
    assert_eq!(field(&posts[5], "data[STATUS]"), "closed");
    // The app's log says each was delivered once, with the handler's status.
    let log = settled_log(&w).await;
    assert_eq!(log.len(), 6);
    assert!(
        log.iter()
            .all(|d| d.status == "delivered" && d.attempts == 1 && d.last_status == Some(200)),
        "{log:?}"
    );

    // Unbound, nothing more is even recorded for it.
    let r = w
        .call("event.unbind", json!({"event": "ONOPENLINEMESSAGEADD"}))
        .await;
    assert_eq!(r.1["result"], json!({"count": 1}), "{}", r.1);
    w.cleo_writes("One more thing", Target::New).await;
    let posts = wait_for(&l, 7).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let posts_after = l.posts.lock().unwrap().clone();
    assert_eq!(posts_after.len(), posts.len(), "only the new session's start");
    assert_eq!(field(posts.last().unwrap(), "event"), "ONSESSIONSTART");
}

#[both_databases]
async fn a_failing_handler_is_retried_with_backoff_holding_the_conversations_order_and_retry_now_sends_at_once(
    b: Backend,
) {
    let l = listener().await;
    let w = world(&b, true, &l.url).await;
    let r = w
        .call("event.bind", json!({"event": "ONOPENLINEMESSAGEADD"}))
        .await;
    assert_eq!(r.1["result"], true, "{}", r.1);
    l.status.store(503, Ordering::SeqCst);
    let c = w.cleo_writes("first", Target::New).await;
    // Attempted once, refused: the next try waits (30 s), the later event waits for it.
    let mut log = Vec::new();
    for _ in 0..100 {
        log = app_events::log(&w.app.state.db, w.bot.id, 50).await.unwrap();
        if log.iter().any(|d| d.attempts == 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The channel's welcome and Cleo's message after it.
    assert_eq!(log.len(), 2, "{b:?} {log:?}");
    let first = log.iter().min_by_key(|d| d.id).unwrap().clone();
    assert_eq!(log.iter().max_by_key(|d| d.id).unwrap().attempts, 0, "{log:?}");
    assert_eq!((first.status.as_str(), first.last_status), ("pending", Some(503)));
    assert!(first.next_at - first.last_at >= 29_000, "{first:?}");
    w.olek_writes(c, "second").await;
    l.status.store(200, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(
        l.posts.lock().unwrap().is_empty(),
        "the second waits for the first"
    );
    // Through the page's route: another account's admin gets nothing done, neither
    // under their own account nor under Acme's; Olek (an operator) neither.
    let stranger = browser();
    w.app.sign_in(&stranger, "zed@zeta.test", PASSWORD).await;
    let olek = browser();
    w.app.sign_in(&olek, "olek@acme.test", PASSWORD).await;
    for (c, slug) in [(&stranger, "zeta"), (&stranger, "acme"), (&olek, "acme")] {
        let path = format!("/a/{slug}/apps/{}/events/{}/retry", w.bot.id, first.id);
        let r = w.app.post_form(c, &path, &[]).await;
        assert!(
            !r.headers()
                .get("location")
                .is_some_and(|l| l.to_str().unwrap_or("").contains("event_retried")),
            "{slug}: {:?}",
            r.headers()
        );
    }
    let still = app_events::log(&w.app.state.db, w.bot.id, 50).await.unwrap();
    let still = still.iter().find(|d| d.id == first.id).unwrap();
    assert_eq!(
        (still.attempts, still.next_at),
        (1, first.next_at),
        "nothing retried"
    );
    // Another app cannot retry it; its own admin's "retry now" (the page's route) sends
    // it at once.
    assert!(matches!(
        app_events::retry_now(&w.app.state.db, w.bot.id + 1000, first.id, app::backend::now_ms()).await,
        Err(app::error::AppError::NotFound)
    ));
    let admin = browser();
    w.app.sign_in(&admin, "anna@acme.test", PASSWORD).await;
    let r = w
        .app
        .post_form(
            &admin,
            &format!("/a/acme/apps/{}/events/{}/retry", w.bot.id, first.id),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/a/acme/apps?ok=event_retried");
    let posts = wait_for(&l, 3).await;
    let texts: Vec<&str> = posts
        .iter()
        .map(|p| field(p, "data[DATA][0][message][text]"))
        .collect();
    assert_eq!(texts, ["Hello!", "first", "second"]);
    assert_eq!(
        field(&posts[0], "event_id"),
        first.id.to_string(),
        "the same id on retry"
    );
    let log = settled_log(&w).await;
    assert!(log.iter().all(|d| d.status == "delivered"), "{log:?}");
    assert_eq!(log.iter().find(|d| d.id == first.id).unwrap().attempts, 2);
    // Delivered events stay in the log for a week, then go.
    let db = &w.app.state.db;
    let now = app::backend::now_ms();
    assert_eq!(app_events::purge(db, now).await.unwrap(), 0);
    assert_eq!(
        app_events::purge(db, now + app_events::KEEP_DELIVERED_MS + 60_000)
            .await
            .unwrap(),
        3
    );
    assert!(app_events::log(db, w.bot.id, 50).await.unwrap().is_empty());
}

#[both_databases]
async fn handlers_on_private_addresses_are_refused_unless_the_admin_allows_them(b: Backend) {
    let w = world(&b, false, "https://bot.example.com/install").await;
    for bad in [
        "http://127.0.0.1:8080/events",
        "http://localhost/events",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/x",
        "http://[::1]/x",
        "http://[fd00::1]/x",
    ] {
        let r = w
            .call("event.bind", json!({"event": "ONSESSIONSTART", "handler": bad}))
            .await;
        assert_eq!(err(&r), (400, "WRONG_HANDLER_URL"), "{b:?} {bad}");
    }
    let (_, got) = w.call("event.get", json!({})).await;
    assert_eq!(got["result"], json!([]));
    // An event already bound to a name that now points inside is not sent there:
    // the delivery checks the resolved address again.
    let l = listener().await;
    let bound = app_events::bind(
        &w.app.state.db,
        &w.bot,
        w.anna.user.0,
        app_events::SESSION_START,
        &l.url,
        app::backend::now_ms(),
    )
    .await
    .unwrap();
    assert!(matches!(bound, app_events::Bound::Bound(_)), "{bound:?}");
    w.cleo_writes("hello", Target::New).await;
    let mut log = Vec::new();
    for _ in 0..100 {
        log = app_events::log(&w.app.state.db, w.bot.id, 50).await.unwrap();
        if log.first().is_some_and(|d| d.attempts >= 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].status, "pending");
    assert!(
        log[0].last_error.as_deref().unwrap_or("").contains("non-public"),
        "{log:?}"
    );
    assert!(l.posts.lock().unwrap().is_empty());
}

#[both_databases]
async fn an_app_binds_at_most_fifty_handlers_and_unbinds_one_handler_or_all(b: Backend) {
    let l = listener().await;
    let w = world(&b, true, &l.url).await;
    let db = &w.app.state.db;
    for i in 0..app_events::MAX_BINDINGS {
        let h = format!("{}?n={i}", l.url);
        let bound = app_events::bind(
            db,
            &w.bot,
            w.anna.user.0,
            app_events::SESSION_START,
            &h,
            app::backend::now_ms(),
        )
        .await
        .unwrap();
        assert!(matches!(bound, app_events::Bound::Bound(_)), "{bound:?}");
    }
    assert_eq!(
        err(&w
            .call(
                "event.bind",
                json!({"event": "ONSESSIONFINISH", "handler": l.url})
            )
            .await),
        (400, "ERROR_EVENT_LIMIT"),
        "{b:?}"
    );
    // Binding one again is not a new one: still answered true.
    let again = w
        .call(
            "event.bind",
            json!({"event": "onsessionstart", "handler": format!("{}?n=0", l.url)}),
        )
        .await;
    assert_eq!(again.1["result"], true, "{}", again.1);
    // Unbinding one handler, then the rest of the event.
    let one = w
        .call(
            "event.unbind",
            json!({"event": "ONSESSIONSTART", "handler": format!("{}?n=7", l.url)}),
        )
        .await;
    assert_eq!(one.1["result"], json!({"count": 1}));
    let rest = w.call("event.unbind", json!({"event": "ONSESSIONSTART"})).await;
    assert_eq!(rest.1["result"], json!({"count": app_events::MAX_BINDINGS - 1}));
    assert_eq!(w.call("event.get", json!({})).await.1["result"], json!([]));
    assert_eq!(
        err(&w.call("event.unbind", json!({})).await),
        (400, "ERROR_EVENT_NOT_FOUND")
    );
}

/// An access token of `app` for `user` (who allows it on the consent page).
async fn grant(
    test_app: &TestApp,
    app: &app::backend::entities::rest_app::Model,
    secret: &str,
    user: app::domain::UserId,
) -> String {
    let db = &test_app.state.db;
    let public = test_app.state.config.public_url.clone();
    let loc = apps::allow(db, &public, user, &app.client_id, "", "s")
        .await
        .unwrap();
    let code = url::Url::parse(&loc)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .to_string();
    apps::exchange_code(db, &public, &app.client_id, secret, &code, None)
        .await
        .unwrap()
        .access_token
}

async fn call_with(w: &World, token: &str, method: &str, body: Value) -> (StatusCode, Value) {
    let r = w
        .http
        .post(w.app.url(&format!("/rest/{method}?auth={token}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

/// Outbox rows written for bindings of `user`.
async fn rows_for(w: &World, user: app::domain::UserId) -> i64 {
    w.app
        .count(&format!(
            "event_outbox WHERE binding_id IN (SELECT id FROM event_bindings WHERE user_id = {})",
            user.0
        ))
        .await
}

#[both_databases]
async fn app_events_act_with_the_grant_and_the_rights_of_the_member_behind_them(b: Backend) {
    let l = listener().await;
    let w = world(&b, true, &l.url).await;
    let db = &w.app.state.db;
    // An app granted only `im` cannot bind open-line events.
    let (im_app, im_secret) = apps::create(db, &w.anna, "Im only", &l.url, &["im".to_string()])
        .await
        .unwrap();
    let im_token = grant(&w.app, &im_app, &im_secret, w.anna.user).await;
    let r = call_with(
        &w,
        &im_token,
        "event.bind",
        json!({"event": "ONOPENLINEMESSAGEADD", "handler": l.url}),
    )
    .await;
    assert_eq!(err(&r), (403, "insufficient_scope"), "{b:?}");
    // An employee, who reads no conversation, cannot bind them either.
    let emil = w.app.user("emil@acme.test", "Emil").await.id;
    accounts::add_member(db, &w.anna, "emil@acme.test", Role::Employee)
        .await
        .unwrap();
    let (bot2, secret2) = apps::create(
        db,
        &w.anna,
        "Second bot",
        &l.url,
        &["imopenlines".to_string(), "im".to_string()],
    )
    .await
    .unwrap();
    let emil_token = grant(&w.app, &bot2, &secret2, emil).await;
    let r = call_with(
        &w,
        &emil_token,
        "event.bind",
        json!({"event": "ONOPENLINEMESSAGEADD", "handler": l.url}),
    )
    .await;
    assert_eq!(err(&r), (403, "ACCESS_DENIED"), "{b:?}");
    // Olek (an operator of Support) and Anna (the admin) bind through the same app.
    let olek_token = grant(&w.app, &bot2, &secret2, w.olek.user).await;
    let anna_token = grant(&w.app, &bot2, &secret2, w.anna.user).await;
    for t in [&olek_token, &anna_token] {
        let r = call_with(
            &w,
            t,
            "event.bind",
            json!({"event": "ONOPENLINEMESSAGEADD", "handler": l.url}),
        )
        .await;
        assert_eq!(r.1["result"], true, "{b:?} {}", r.1);
    }
    // A conversation with Sales, whose queue Olek is not in: Anna's binding gets
    // its events, Olek's does not.
    let (_, sales) = network_channel(db, &w.anna, "Sales", &[], None).await;
    let sales_c = customer_send(
        db,
        w.app.state.hub.as_ref(),
        &w.cleo,
        &sales,
        Target::New,
        &ClientMsgId::parse("ev-sales-000001").unwrap(),
        &MessageBody::parse("About pricing").unwrap(),
    )
    .await
    .unwrap()
    .conversation;
    // One event per message of it (the channel's welcome, Cleo's message).
    let in_sales = w
        .app
        .count(&format!("messages WHERE conversation_id = {}", sales_c.0))
        .await;
    assert!(in_sales >= 1);
    assert_eq!(rows_for(&w, w.olek.user).await, 0, "{b:?}");
    assert_eq!(rows_for(&w, w.anna.user).await, in_sales, "{b:?}");
    // Support's conversation: both.
    let c = w.cleo_writes("Where is my parcel?", Target::New).await;
    let in_support = w
        .app
        .count(&format!("messages WHERE conversation_id = {}", c.0))
        .await;
    assert_eq!(rows_for(&w, w.olek.user).await, in_support, "{b:?}");
    assert_eq!(rows_for(&w, w.anna.user).await, in_sales + in_support, "{b:?}");
    // The text sent is the text as it was written, captured with the change.
    let posts = wait_for(&l, (in_sales + 2 * in_support) as usize).await;
    assert!(posts
        .iter()
        .any(|p| field(p, "data[DATA][0][message][text]") == "Where is my parcel?"));
    // The admin revokes Olek's grant (the Apps page's form): his bindings stop at
    // once, with what they had not delivered yet.
    l.status.store(503, Ordering::SeqCst);
    w.olek_writes(c, "Checking").await;
    let pending_before = rows_for(&w, w.olek.user).await;
    assert_eq!(pending_before, in_support + 1, "{b:?}");
    let anna_browser = browser();
    w.app.sign_in_cookie(&anna_browser, "anna@acme.test").await;
    let r = anna_browser
        .post(w.app.url(&format!(
            "/a/acme/apps/{}/grants/{}/revoke",
            bot2.id, w.olek.user.0
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{b:?}");
    assert!(!location(&r).contains("error"), "{}", location(&r));
    assert_eq!(
        w.app
            .count(&format!("event_bindings WHERE user_id = {}", w.olek.user.0))
            .await,
        0
    );
    assert_eq!(
        w.app
            .count(
                "event_outbox WHERE status = 'pending' AND binding_id NOT IN (SELECT id FROM event_bindings)"
            )
            .await,
        0,
        "{b:?}: a revoked grant's events still wait"
    );
    w.olek_writes(c, "Found it").await;
    assert_eq!(rows_for(&w, w.olek.user).await, 0, "{b:?}");
    assert_eq!(call_with(&w, &olek_token, "event.get", json!({})).await.0, 401);
    // A removed member: every credential of theirs in the account is deleted, so
    // adding them back does not revive an old webhook or an app's token.
    let (_, olek_hook) = credentials::create_webhook(db, w.olek.user, "acme", "mine", &["im".to_string()])
        .await
        .unwrap();
    let hook = format!("{}/rest/{}/{}/profile", w.app.base, w.olek.user.0, olek_hook);
    let r = anna_browser
        .post(w.app.url(&format!("/a/acme/members/{}/remove", w.olek.user.0)))
        .send()
        .await
        .unwrap();
    assert!(!location(&r).contains("error"), "{}", location(&r));
    assert_eq!(
        w.app
            .count(&format!("rest_credentials WHERE user_id = {}", w.olek.user.0))
            .await,
        0,
        "{b:?}"
    );
    accounts::add_member(db, &w.anna, "olek@acme.test", Role::Operator)
        .await
        .unwrap();
    let r = w.http.post(&hook).send().await.unwrap();
    assert_eq!(r.status(), 401, "{b:?}: an old webhook works again");
}

#[tokio::test]
async fn one_apps_slow_handler_does_not_hold_up_another_apps_events() {
    let b = Backend::Sqlite;
    let slow = listener().await;
    slow.delay.store(4000, Ordering::SeqCst);
    let fast = listener().await;
    let w = world(&b, true, &slow.url).await;
    let db = &w.app.state.db;
    let r = w
        .call(
            "event.bind",
            json!({"event": "ONOPENLINEMESSAGEADD", "handler": slow.url}),
        )
        .await;
    assert_eq!(r.1["result"], true);
    // Twenty conversations' events wait for the slow handler…
    for i in 0..20 {
        let cleo = w.app.user(&format!("c{i}@borealis.test"), "C").await;
        let borealis = accounts::actor(db, w.cleo.user, "borealis").await.unwrap();
        accounts::add_member(db, &borealis, &format!("c{i}@borealis.test"), Role::Employee)
            .await
            .unwrap();
        let customer = conv::customer(db, &cleo, "borealis").await.unwrap();
        customer_send(
            db,
            w.app.state.hub.as_ref(),
            &customer,
            &w.code,
            Target::New,
            &ClientMsgId::parse(&format!("ev-slow-{i:06}")).unwrap(),
            &MessageBody::parse("slow").unwrap(),
        )
        .await
        .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    // …when a second app of the account binds a fast handler and a message comes.
    let (fast_app, secret) = apps::create(
        db,
        &w.anna,
        "Fast bot",
        &fast.url,
        &["imopenlines".to_string(), "im".to_string()],
    )
    .await
    .unwrap();
    let token = grant(&w.app, &fast_app, &secret, w.anna.user).await;
    let r = call_with(
        &w,
        &token,
        "event.bind",
        json!({"event": "ONOPENLINEMESSAGEADD", "handler": fast.url}),
    )
    .await;
    assert_eq!(r.1["result"], true);
    let started = std::time::Instant::now();
    w.cleo_writes("fast please", Target::New).await;
    // The channel's welcome, then Cleo's message: well before the slow handler's 4 s
    // (the rounds this replaces made it wait for every slow delivery of a round).
    let got = wait_for(&fast, 2).await;
    assert!(
        got.iter()
            .any(|p| field(p, "data[DATA][0][message][text]") == "fast please"),
        "{got:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(3500),
        "the fast app waited {:?} behind the slow one",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_now_is_capped_per_app() {
    let b = Backend::Sqlite;
    let l = listener().await;
    l.status.store(503, Ordering::SeqCst);
    let w = world(&b, true, &l.url).await;
    let r = w
        .call(
            "event.bind",
            json!({"event": "ONOPENLINEMESSAGEADD", "handler": l.url}),
        )
        .await;
    assert_eq!(r.1["result"], true);
    w.cleo_writes("will fail", Target::New).await;
    let mut log = Vec::new();
    for _ in 0..100 {
        log = app_events::log(&w.app.state.db, w.bot.id, 50).await.unwrap();
        if log.first().is_some_and(|d| d.attempts >= 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = log[0].id;
    let anna = browser();
    w.app.sign_in_cookie(&anna, "anna@acme.test").await;
    let mut refused = 0;
    // Two windows' worth and three more: however the minute turns, at least three are
    // refused.
    for _ in 0..(2 * app_events::RETRIES_PER_MINUTE + 3) {
        let r = anna
            .post(w.app.url(&format!("/a/acme/apps/{}/events/{id}/retry", w.bot.id)))
            .send()
            .await
            .unwrap();
        if location(&r).contains("rate_limited") {
            refused += 1;
        }
    }
    assert!(refused >= 3, "{refused}");
}
