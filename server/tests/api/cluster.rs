//! Several nodes on one PostgreSQL database and one NATS server, each on its own port,
//! driven through HTTP and WebSockets: live chat, typing and read state across nodes,
//! a client resuming on another node, queue dispatch under arrivals split over nodes,
//! and limits that hold whichever node a request reaches.
//!
//! PostgreSQL (`TEST_DATABASE_URL`) and NATS with JetStream (`TEST_NATS_URL`, default
//! 127.0.0.1:4222) must answer: under `CI` a missing one fails the test.

use crate::harness::*;
use app::backend::config::LoginLimits;
use app::backend::messaging::Target;
use app::backend::principal::Actor;
use app::backend::principal::Customer;
use app::backend::services::accounts;
use app::backend::services::conversations as conv;
use app::backend::services::inbox;
use app::domain::channel::{Capacity, ChannelCode, Distribution};
use app::domain::conversation::{Author, ClientMsgId, MessageBody};
use app::domain::{ChannelId, ConversationId, Role, UserId};
use app::protocol::{ClientMsg, ServerMsg};
use futures::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// The PostgreSQL server to make databases on; `None` (the test does nothing) outside
/// CI when there is none. NATS is required whenever PostgreSQL is there.
fn admin_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok() => panic!("CI requires PostgreSQL: TEST_DATABASE_URL is not set"),
        _ => None,
    }
}

/// Acme (Anna, admin) serves Borealis's Cleo on "Support" with Olek and Ola.
struct World {
    nodes: Vec<TestApp>,
    anna: Actor,
    olek: Actor,
    ola: Actor,
    channel: ChannelId,
    code: ChannelCode,
    cleo: Customer,
}

async fn world(n: usize, opts: impl Fn(usize) -> Options) -> Option<World> {
    let admin = admin_url()?;
    let nodes = spawn_nodes(&admin, n, opts).await;
    let app = &nodes[0];
    let db = &app.state.db;
    let anna = app.user("anna@acme.test", "Anna").await;
    let cleo = app.user("cleo@borealis.test", "Cleo").await;
    let olek = app.user("olek@acme.test", "Olek").await;
    let ola = app.user("ola@acme.test", "Ola").await;
    new_account(db, &anna, "Acme", "acme").await;
    new_account(db, &cleo, "Borealis", "borealis").await;
    let admin = accounts::actor(db, anna.id, "acme").await.unwrap();
    for email in ["olek@acme.test", "ola@acme.test"] {
        accounts::add_member(db, &admin, email, Role::Operator)
            .await
            .unwrap();
    }
    let (channel, code) = network_channel(db, &admin, "Support", &[olek.id, ola.id], Some("20")).await;
    Some(World {
        anna: admin,
        olek: accounts::actor(db, olek.id, "acme").await.unwrap(),
        ola: accounts::actor(db, ola.id, "acme").await.unwrap(),
        channel,
        code,
        cleo: conv::customer(db, &cleo, "borealis").await.unwrap(),
        nodes,
    })
}

impl World {
    async fn customer_ws(&self, node: usize, cookie: &str) -> Ws {
        self.nodes[node]
            .ws(
                &format!("/ws?code={}&account=borealis", self.code.as_str()),
                cookie,
                None,
            )
            .await
            .unwrap()
    }

    async fn inbox_ws(&self, node: usize, cookie: &str) -> Ws {
        self.nodes[node]
            .ws("/ws/inbox?account=acme", cookie, None)
            .await
            .unwrap()
    }

    async fn queue(&self, d: Distribution, cap: i64) {
        let app = &self.nodes[0];
        inbox::set_queue(
            &app.state.db,
            app.state.hub.as_ref(),
            &self.anna,
            self.channel,
            d,
            Capacity::new(cap).unwrap(),
            app::domain::channel::TakeTime::OFF,
        )
        .await
        .unwrap();
    }

    async fn operator_of(&self, c: ConversationId) -> Option<UserId> {
        inbox::detail(&self.nodes[0].state.db, &self.anna, c)
            .await
            .unwrap()
            .conversation
            .operator
    }

    /// Waits until every node sees `who` online (presence crosses nodes through NATS).
    async fn seen_online_everywhere(&self, who: UserId) {
        for _ in 0..100 {
            if self.nodes.iter().all(|n| n.state.hub.is_online(who)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{who:?} is not seen online on every node");
    }
}

async fn say(ws: &mut Ws, m: &ClientMsg) {
    ws.send(Message::Text(serde_json::to_string(m).unwrap().into()))
        .await
        .unwrap();
}

async fn next_msg(ws: &mut Ws) -> ServerMsg {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// Reads until `pick` returns something.
async fn until<T>(ws: &mut Ws, mut pick: impl FnMut(ServerMsg) -> Option<T>) -> T {
    loop {
        if let Some(t) = pick(next_msg(ws).await) {
            return t;
        }
    }
}

/// Reads messages of `c` until seq `last`; returns their seqs in arrival order.
async fn seqs_until(ws: &mut Ws, c: ConversationId, last: i64) -> Vec<i64> {
    let mut seen = Vec::new();
    while seen.last().is_none_or(|s| *s < last) {
        if let ServerMsg::Message { message } = next_msg(ws).await {
            if message.conversation == c {
                seen.push(message.seq);
            }
        }
    }
    seen
}

fn send(client_id: &str, c: Option<ConversationId>, body: &str) -> ClientMsg {
    ClientMsg::Send {
        client_id: client_id.into(),
        conversation: c,
        body: body.into(),
    }
}

fn ack_of(client: &str) -> impl FnMut(ServerMsg) -> Option<(ConversationId, i64)> + '_ {
    move |m| match m {
        ServerMsg::Ack {
            client_id,
            conversation,
            seq,
            ..
        } if client_id == client => Some((conversation, seq)),
        ServerMsg::Error {
            client_id: Some(id),
            error,
        } if id == client => panic!("{client}: {error:?}"),
        _ => None,
    }
}

#[tokio::test]
async fn a_customer_and_an_operator_on_different_nodes_chat_live_with_typing_and_read_state() {
    let Some(w) = world(2, |_| Options::default()).await else {
        return;
    };
    let (cleo_c, olek_c) = (browser(), browser());
    let cleo = w.nodes[0].sign_in_cookie(&cleo_c, "cleo@borealis.test").await;
    // A session made on one node is valid on the other (both read the same database).
    let olek = w.nodes[1].sign_in_cookie(&olek_c, "olek@acme.test").await;
    let mut inbox_ws = w.inbox_ws(1, &olek).await;
    let mut cleo_ws = w.customer_ws(0, &cleo).await;

    say(&mut cleo_ws, &send("cross-0001", None, "Hello from node 0")).await;
    let (c, seq) = until(&mut cleo_ws, ack_of("cross-0001")).await;
    assert_eq!(seq, 2, "after the welcome message");
    // The new conversation reaches the inbox on the other node.
    let seen = until(&mut inbox_ws, |m| match m {
        ServerMsg::Conversation { conversation } => Some(conversation.id),
        _ => None,
    })
    .await;
    assert_eq!(seen, c);
    say(
        &mut inbox_ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 0,
        },
    )
    .await;
    assert_eq!(seqs_until(&mut inbox_ws, c, 2).await, vec![1, 2]);
    say(
        &mut cleo_ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 0,
        },
    )
    .await;
    assert_eq!(seqs_until(&mut cleo_ws, c, 2).await, vec![1, 2]);

    // The operator answers on node 1: live on node 0.
    say(&mut inbox_ws, &send("cross-0002", Some(c), "Olek here")).await;
    until(&mut inbox_ws, ack_of("cross-0002")).await;
    let got = until(&mut cleo_ws, |m| match m {
        ServerMsg::Message { message } => Some((message.seq, message.body, message.author)),
        _ => None,
    })
    .await;
    assert_eq!(got, (3, "Olek here".to_string(), Author::Operator));

    // Typing crosses both ways.
    say(&mut inbox_ws, &ClientMsg::Typing { conversation: c }).await;
    let by = until(&mut cleo_ws, |m| match m {
        ServerMsg::Typing { by, conversation, .. } if conversation == c => Some(by),
        _ => None,
    })
    .await;
    assert_eq!(by, Author::Operator);
    say(&mut cleo_ws, &ClientMsg::Typing { conversation: c }).await;
    let (by, name) = until(&mut inbox_ws, |m| match m {
        ServerMsg::Typing {
            by,
            name,
            conversation,
        } if conversation == c => Some((by, name)),
        _ => None,
    })
    .await;
    assert_eq!((by, name.as_str()), (Author::Customer, "Cleo"));

    // Read state crosses both ways.
    say(
        &mut cleo_ws,
        &ClientMsg::Read {
            conversation: c,
            seq: 3,
        },
    )
    .await;
    let read = until(&mut inbox_ws, |m| match m {
        ServerMsg::Read {
            by: Author::Customer,
            seq,
            ..
        } => Some(seq),
        _ => None,
    })
    .await;
    assert_eq!(read, 3);
    say(
        &mut inbox_ws,
        &ClientMsg::Read {
            conversation: c,
            seq: 2,
        },
    )
    .await;
    let read = until(&mut cleo_ws, |m| match m {
        ServerMsg::Read {
            by: Author::Operator,
            seq,
            ..
        } => Some(seq),
        _ => None,
    })
    .await;
    assert_eq!(read, 2);
}

#[tokio::test]
async fn both_sides_writing_at_once_from_two_nodes_see_every_message_once_and_in_order() {
    let Some(w) = world(2, |_| Options::default()).await else {
        return;
    };
    let (cleo_c, olek_c) = (browser(), browser());
    let cleo = w.nodes[0].sign_in_cookie(&cleo_c, "cleo@borealis.test").await;
    let olek = w.nodes[1].sign_in_cookie(&olek_c, "olek@acme.test").await;
    let mut cleo_ws = w.customer_ws(0, &cleo).await;
    say(&mut cleo_ws, &send("burst-0000", None, "Start")).await;
    let (c, _) = until(&mut cleo_ws, ack_of("burst-0000")).await;
    // The operator takes it ("to everyone": the first answer), then both follow it.
    let mut inbox_ws = w.inbox_ws(1, &olek).await;
    say(
        &mut inbox_ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 0,
        },
    )
    .await;
    say(&mut inbox_ws, &send("burst-op-000", Some(c), "Taken")).await;
    until(&mut inbox_ws, ack_of("burst-op-000")).await;
    say(
        &mut cleo_ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 0,
        },
    )
    .await;

    // 40 messages from each side at once, without waiting for acks: the seqs of the
    // two nodes interleave, and their events may cross on the way.
    const EACH: usize = 40;
    for i in 0..EACH {
        say(
            &mut cleo_ws,
            &send(&format!("burst-c-{i:03}"), Some(c), &format!("c{i}")),
        )
        .await;
        say(
            &mut inbox_ws,
            &send(&format!("burst-o-{i:03}"), Some(c), &format!("o{i}")),
        )
        .await;
    }
    let last = 3 + 2 * EACH as i64;
    let everything: Vec<i64> = (1..=last).collect();
    assert_eq!(
        seqs_until(&mut cleo_ws, c, last).await,
        everything,
        "the customer, on node 0"
    );
    let mut op: Vec<i64> = seqs_until(&mut inbox_ws, c, last).await;
    // The inbox saw 1..3 before the burst.
    op.retain(|s| *s > 3);
    assert_eq!(op, everything[3..].to_vec(), "the operator, on node 1");
    assert_eq!(w.nodes[1].count("messages").await, last);
}

#[tokio::test]
async fn a_client_that_reconnects_to_another_node_resumes_with_nothing_missing_and_nothing_twice() {
    let Some(w) = world(3, |_| Options::default()).await else {
        return;
    };
    let (cleo_c, olek_c) = (browser(), browser());
    let cleo = w.nodes[0].sign_in_cookie(&cleo_c, "cleo@borealis.test").await;
    let olek = w.nodes[2].sign_in_cookie(&olek_c, "olek@acme.test").await;
    let mut cleo_ws = w.customer_ws(0, &cleo).await;
    say(&mut cleo_ws, &send("move-0001", None, "Where is my parcel?")).await;
    let (c, _) = until(&mut cleo_ws, ack_of("move-0001")).await;
    say(
        &mut cleo_ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 0,
        },
    )
    .await;
    assert_eq!(seqs_until(&mut cleo_ws, c, 2).await, vec![1, 2]);
    let mut inbox_ws = w.inbox_ws(2, &olek).await;
    say(
        &mut inbox_ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 0,
        },
    )
    .await;
    say(&mut inbox_ws, &send("move-op-01", Some(c), "Checking")).await;
    until(&mut inbox_ws, ack_of("move-op-01")).await;
    assert_eq!(seqs_until(&mut cleo_ws, c, 3).await, vec![3]);

    // Node 0's socket goes away; the operator writes twice meanwhile.
    drop(cleo_ws);
    for (i, text) in ["On its way", "Tomorrow"].iter().enumerate() {
        say(&mut inbox_ws, &send(&format!("move-op-1{i}"), Some(c), text)).await;
        until(&mut inbox_ws, ack_of(&format!("move-op-1{i}"))).await;
    }
    // Back on node 1, from seq 3: exactly 4 and 5, then live again without repeats.
    let mut cleo_ws = w.customer_ws(1, &cleo).await;
    say(
        &mut cleo_ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 3,
        },
    )
    .await;
    assert_eq!(seqs_until(&mut cleo_ws, c, 5).await, vec![4, 5]);
    say(&mut inbox_ws, &send("move-op-20", Some(c), "Anything else?")).await;
    until(&mut inbox_ws, ack_of("move-op-20")).await;
    assert_eq!(seqs_until(&mut cleo_ws, c, 6).await, vec![6]);
    // And a resend of an acknowledged message through the new node is the same message.
    say(&mut cleo_ws, &send("move-0001", Some(c), "Where is my parcel?")).await;
    let again = until(&mut cleo_ws, ack_of("move-0001")).await;
    assert_eq!(again, (c, 2));
    assert_eq!(w.nodes[0].count("messages").await, 6);
}

#[tokio::test]
async fn arrivals_split_over_nodes_are_dispatched_evenly_within_capacity() {
    let Some(w) = world(2, |_| Options::default()).await else {
        return;
    };
    w.queue(Distribution::Even, 3).await;
    let (olek_c, ola_c) = (browser(), browser());
    let olek = w.nodes[0].sign_in_cookie(&olek_c, "olek@acme.test").await;
    let ola = w.nodes[1].sign_in_cookie(&ola_c, "ola@acme.test").await;
    let _olek_ws = w.inbox_ws(0, &olek).await;
    let _ola_ws = w.inbox_ws(1, &ola).await;
    w.seen_online_everywhere(w.olek.user).await;
    w.seen_online_everywhere(w.ola.user).await;

    // 16 conversations arrive at once, half through each node.
    let arrivals = (0..16).map(|i| {
        let node = &w.nodes[i % 2];
        let cleo = w.cleo.clone();
        let code = w.code.clone();
        async move {
            customer_send(
                &node.state.db,
                node.state.hub.as_ref(),
                &cleo,
                &code,
                Target::New,
                &ClientMsgId::parse(&format!("split-{i:04}")).unwrap(),
                &MessageBody::parse("Hello").unwrap(),
            )
            .await
            .unwrap()
            .conversation
        }
    });
    let cs = futures::future::join_all(arrivals).await;
    let mut per = std::collections::HashMap::new();
    for c in &cs {
        *per.entry(w.operator_of(*c).await).or_insert(0) += 1;
    }
    assert_eq!(per.get(&Some(w.olek.user)), Some(&3), "{per:?}");
    assert_eq!(per.get(&Some(w.ola.user)), Some(&3), "{per:?}");
    assert_eq!(per.get(&None), Some(&10), "the rest waits: {per:?}");
}

#[tokio::test]
async fn an_operator_gone_from_every_node_gives_waiting_conversations_back() {
    let Some(w) = world(2, |_| Options {
        presence_ttl: Some(Duration::from_secs(1)),
        ..Default::default()
    })
    .await
    else {
        return;
    };
    w.queue(Distribution::Even, 5).await;
    let (olek_c, ola_c) = (browser(), browser());
    let olek = w.nodes[0].sign_in_cookie(&olek_c, "olek@acme.test").await;
    let olek_ws = w.inbox_ws(0, &olek).await;
    w.seen_online_everywhere(w.olek.user).await;
    let c = customer_send(
        &w.nodes[1].state.db,
        w.nodes[1].state.hub.as_ref(),
        &w.cleo,
        &w.code,
        Target::New,
        &ClientMsgId::parse("gone-0001").unwrap(),
        &MessageBody::parse("Hello?").unwrap(),
    )
    .await
    .unwrap()
    .conversation;
    assert_eq!(
        w.operator_of(c).await,
        Some(w.olek.user),
        "dispatched across nodes"
    );
    // Ola opens her inbox on node 1; Olek closes his on node 0 and stays away.
    let ola = w.nodes[1].sign_in_cookie(&ola_c, "ola@acme.test").await;
    let mut ola_ws = w.inbox_ws(1, &ola).await;
    w.seen_online_everywhere(w.ola.user).await;
    drop(olek_ws);
    let to = until(&mut ola_ws, |m| match m {
        // Live previews may still name Olek; the change is to someone else.
        ServerMsg::Conversation { conversation } if conversation.id == c => {
            conversation.operator.filter(|o| *o != w.olek.user)
        }
        _ => None,
    })
    .await;
    assert_eq!(to, w.ola.user, "re-dispatched to the operator who is online");
    assert_eq!(w.operator_of(c).await, Some(w.ola.user));
}

#[tokio::test]
async fn sign_in_limits_hold_whichever_node_the_guesses_reach() {
    let Some(w) = world(2, |_| Options {
        login_limits: LoginLimits {
            per_email: 5,
            per_ip: 1000,
            window: Duration::from_secs(600),
        },
        ..Default::default()
    })
    .await
    else {
        return;
    };
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let url = w.nodes[i % 2].url("/auth/login");
            tokio::spawn(async move {
                let r = browser()
                    .post(url)
                    .form(&[("email", "olek@acme.test"), ("password", "wrong password")])
                    .send()
                    .await
                    .unwrap();
                location(&r)
            })
        })
        .collect();
    let (mut bad, mut limited) = (0, 0);
    for t in tasks {
        let to = t.await.unwrap();
        if to.contains("bad_credentials") {
            bad += 1;
        } else if to.contains("too_many_attempts") {
            limited += 1;
        }
    }
    assert_eq!((bad, limited), (5, 25), "one limit across both nodes");
}

#[tokio::test]
async fn the_rest_leaky_bucket_is_one_bucket_across_nodes() {
    let Some(w) = world(2, |_| Options {
        abuse: Some(app::backend::config::AbuseLimits {
            bad_auth_burst: 5,
            bad_auth_per_sec: 0.01,
            ..Default::default()
        }),
        ..Default::default()
    })
    .await
    else {
        return;
    };
    let http = http_client();
    let mut codes = Vec::new();
    for i in 0..10 {
        let r = http
            .get(w.nodes[i % 2].url(&format!("/rest/1/wrong{i}/imopenlines.config.list.get")))
            .send()
            .await
            .unwrap();
        codes.push(r.status().as_u16());
    }
    // Per node it would be five on each (ten 401s).
    assert_eq!(codes, [401, 401, 401, 401, 401, 503, 503, 503, 503, 503]);
}

/// A `netlines serve` process: a node that can be killed.
struct Process {
    child: std::process::Child,
    base: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `netlines serve` on `db` as node `id`, and waits until it answers.
async fn serve(db: &str, prefix: &str, id: &str) -> Process {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_netlines"))
        .arg("serve")
        .env("DATABASE_URL", db)
        .env("NATS_URL", nats_url())
        .env("NETLINES_NATS_PREFIX", prefix)
        .env("NETLINES_NODE_ID", id)
        .env("NETLINES_PRESENCE_TTL_SECS", "1")
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("netlines starts");
    let base = format!("http://127.0.0.1:{port}");
    let p = Process { child, base };
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(format!("{}/healthz", p.base)).await {
            if r.status().is_success() {
                let health: serde_json::Value = r.json().await.unwrap();
                assert_eq!(
                    health["broker"], "ok",
                    "a node with NATS_URL reports its link: {health}"
                );
                return p;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("node {id} did not start");
}

#[tokio::test]
async fn a_killed_node_loses_no_acknowledged_message_its_clients_move_and_its_operators_work_is_redispatched()
{
    let Some(admin) = admin_url() else { return };
    let pg = pg_database(&admin).await;
    let db = app::backend::db::connect_and_migrate(&pg.url).await.unwrap();
    let hub = app::backend::hub::LocalHub::default();
    let user = |email: &'static str, name: &'static str| {
        let db = db.clone();
        async move {
            use app::domain::{DisplayName, Email, Password};
            let u = app::backend::services::users::register(
                &db,
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
    };
    let anna = user("anna@acme.test", "Anna").await;
    let cleo = user("cleo@borealis.test", "Cleo").await;
    let olek = user("olek@acme.test", "Olek").await;
    let ola = user("ola@acme.test", "Ola").await;
    new_account(&db, &anna, "Acme", "acme").await;
    new_account(&db, &cleo, "Borealis", "borealis").await;
    let admin_actor = accounts::actor(&db, anna.id, "acme").await.unwrap();
    for email in ["olek@acme.test", "ola@acme.test"] {
        accounts::add_member(&db, &admin_actor, email, Role::Operator)
            .await
            .unwrap();
    }
    let (channel, code) = network_channel(&db, &admin_actor, "Support", &[olek.id, ola.id], Some("20")).await;
    inbox::set_queue(
        &db,
        &hub,
        &admin_actor,
        channel,
        Distribution::Even,
        Capacity::new(5).unwrap(),
        app::domain::channel::TakeTime::OFF,
    )
    .await
    .unwrap();

    let prefix = format!("nlkill{}", std::process::id());
    let a = serve(&pg.url, &prefix, "a").await;
    let b = serve(&pg.url, &prefix, "b").await;
    // Olek and Cleo are on node b; Olek takes Cleo's conversation (the only one online).
    let olek_cookie = sign_in_cookie_at(&b.base, &browser(), "olek@acme.test").await;
    let mut olek_ws = ws_at(&b.base, "/ws/inbox?account=acme", &olek_cookie, None)
        .await
        .unwrap();
    let cleo_cookie = sign_in_cookie_at(&b.base, &browser(), "cleo@borealis.test").await;
    let customer_path = format!("/ws?code={}&account=borealis", code.as_str());
    let mut cleo_ws = ws_at(&b.base, &customer_path, &cleo_cookie, None).await.unwrap();
    say(&mut cleo_ws, &send("kill-0000", None, "Hello")).await;
    let (c, _) = until(&mut cleo_ws, ack_of("kill-0000")).await;
    let assigned = until(&mut olek_ws, |m| match m {
        ServerMsg::Conversation { conversation } if conversation.id == c => conversation.operator,
        _ => None,
    })
    .await;
    assert_eq!(assigned, olek.id);
    // Ola is on node a.
    let ola_cookie = sign_in_cookie_at(&a.base, &browser(), "ola@acme.test").await;
    let mut ola_ws = ws_at(&a.base, "/ws/inbox?account=acme", &ola_cookie, None)
        .await
        .unwrap();

    // Cleo writes; every acknowledged message is counted.
    let mut acked = vec![1, 2];
    for i in 1..=20 {
        let id = format!("kill-{i:04}");
        say(&mut cleo_ws, &send(&id, Some(c), &format!("m{i}"))).await;
        acked.push(until(&mut cleo_ws, ack_of(&id)).await.1);
    }
    // Node b dies with no warning, its sockets with it.
    let mut b = b;
    b.child.kill().unwrap();
    b.child.wait().unwrap();

    // Olek's presence expires with node b: his waiting conversation goes to Ola.
    let to = tokio::time::timeout(
        Duration::from_secs(15),
        until(&mut ola_ws, |m| match m {
            ServerMsg::Conversation { conversation } if conversation.id == c => {
                conversation.operator.filter(|o| *o != olek.id)
            }
            _ => None,
        }),
    )
    .await
    .expect("re-dispatched within 15 s of the kill");
    assert_eq!(to, ola.id);
    // Ola answers; Cleo reconnects to node a and catches up from the last seq she had.
    say(&mut ola_ws, &send("kill-ola-01", Some(c), "Ola here")).await;
    let (_, ola_seq) = until(&mut ola_ws, ack_of("kill-ola-01")).await;
    let mut cleo_ws = ws_at(&a.base, &customer_path, &cleo_cookie, None).await.unwrap();
    say(
        &mut cleo_ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 0,
        },
    )
    .await;
    let seen = seqs_until(&mut cleo_ws, c, ola_seq).await;
    assert_eq!(
        seen,
        (1..=ola_seq).collect::<Vec<_>>(),
        "every message once, in order"
    );
    for s in &acked {
        assert!(seen.contains(s), "acknowledged seq {s} is stored");
    }
    drop(a);
    db.close().await.ok();
}

#[tokio::test]
async fn a_message_that_arrives_before_the_one_it_follows_is_preceded_by_it_from_the_store() {
    let Some(w) = world(1, |_| Options::default()).await else {
        return;
    };
    let app = &w.nodes[0];
    let cleo_c = browser();
    let cleo = app.sign_in_cookie(&cleo_c, "cleo@borealis.test").await;
    let mut cleo_ws = w.customer_ws(0, &cleo).await;
    say(&mut cleo_ws, &send("cross-gap-01", None, "Hi")).await;
    let (c, _) = until(&mut cleo_ws, ack_of("cross-gap-01")).await;
    say(
        &mut cleo_ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 0,
        },
    )
    .await;
    assert_eq!(seqs_until(&mut cleo_ws, c, 2).await, vec![1, 2]);
    // Two answers are stored, but their events are held back (as if published by
    // another node and still on their way) …
    let quiet = app::backend::hub::LocalHub::default();
    for (i, text) in ["First", "Second"].iter().enumerate() {
        operator_send(
            &app.state.db,
            &quiet,
            &w.olek,
            "Olek",
            c,
            &ClientMsgId::parse(&format!("cross-gap-o{i}")).unwrap(),
            &MessageBody::parse(text).unwrap(),
        )
        .await
        .unwrap();
    }
    // … and the second one's event arrives first.
    let second = conv::messages_since(
        &app.state.db,
        &app::backend::principal::Viewer::Operator(&w.olek),
        c,
        3,
        1,
    )
    .await
    .unwrap()
    .remove(0);
    assert_eq!(second.seq, 4);
    app.state.hub.publish(
        &app::backend::hub::Topic::Conversation(c),
        ServerMsg::Message { message: second },
    );
    // The socket sends 3 (from the store) before 4, and each once.
    assert_eq!(seqs_until(&mut cleo_ws, c, 4).await, vec![3, 4]);
}
