//! Security, through the real entry points (HTTP pages, server functions, form
//! endpoints, both WebSockets, REST), on SQLite and PostgreSQL:
//!
//! - the **authorization matrix**: every entry point that reads or follows a
//!   conversation × {anonymous, employee, operator outside the queue, operator, admin,
//!   admin of another account, the customer, another customer} → allowed or denied as
//!   `docs/security.md` says; for every denied live request, later traffic in that
//!   conversation must not reach the denied socket;
//! - rights that change while sockets are open (role change, removal, queue change);
//! - abuse: deep REST brackets, oversized frames, resume floods, frame floods, parallel
//!   wrong passwords, registrations;
//! - hostile text in raw-text elements, security headers, sessions;
//! - the messaging core under a customer and an operator writing at once.

use crate::harness::*;
use app::backend::config::{AbuseLimits, LiveLimits, LoginLimits};
use app::backend::messaging::Target;
use app::backend::principal::Actor;
use app::backend::principal::Customer;
use app::backend::services::accounts;
use app::backend::services::channels;
use app::backend::services::conversations as conv;
use app::backend::services::credentials;
use app::domain::channel::{ChannelCode, ChannelName};
use app::domain::conversation::{ClientMsgId, MessageBody};
use app::domain::{AccountName, ChannelId, ConversationId, Role, Slug, UserId};
use app::protocol::{ClientMsg, ServerMsg};
use futures::{SinkExt, StreamExt};
use reqwest::{Client, StatusCode};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn cid() -> ClientMsgId {
    static N: AtomicU32 = AtomicU32::new(0);
    ClientMsgId::parse(&format!("sec-{:08}", N.fetch_add(1, Ordering::SeqCst))).unwrap()
}

/// The people of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    /// Emil: an employee of Acme (with a stale queue row, as old data could have).
    Employee,
    /// Ida: an operator of Acme's "Sales", not of "Support".
    OtherOperator,
    /// Olek: an operator of "Support".
    Operator,
    /// Anna: Acme's admin.
    Admin,
    /// Zed: admin of Zeta, another account.
    OtherAdmin,
    /// Cleo, writing from Borealis: the conversation's customer.
    Customer,
    /// Dana, writing from Delta: another customer of the same channel.
    OtherCustomer,
}

const EVERYONE: [Who; 8] = [
    Who::Anonymous,
    Who::Employee,
    Who::OtherOperator,
    Who::Operator,
    Who::Admin,
    Who::OtherAdmin,
    Who::Customer,
    Who::OtherCustomer,
];

impl Who {
    fn email(self) -> Option<&'static str> {
        Some(match self {
            Who::Anonymous => return None,
            Who::Employee => "emil@acme.test",
            Who::OtherOperator => "ida@acme.test",
            Who::Operator => "olek@acme.test",
            Who::Admin => "anna@acme.test",
            Who::OtherAdmin => "zed@zeta.test",
            Who::Customer => "cleo@borealis.test",
            Who::OtherCustomer => "dana@delta.test",
        })
    }

    /// The account they act in.
    fn slug(self) -> &'static str {
        match self {
            Who::Anonymous | Who::Employee | Who::OtherOperator | Who::Operator | Who::Admin => "acme",
            Who::OtherAdmin => "zeta",
            Who::Customer => "borealis",
            Who::OtherCustomer => "delta",
        }
    }
}

struct World {
    app: TestApp,
    anna: Actor,
    users: Vec<(Who, UserId)>,
    channel: ChannelId,
    code: ChannelCode,
    cleo: Customer,
    dana: Customer,
    /// Cleo's conversation with Acme Support.
    c: ConversationId,
}

impl World {
    fn id(&self, who: Who) -> UserId {
        self.users.iter().find(|(w, _)| *w == who).unwrap().1
    }

    async fn client(&self, who: Who) -> (Client, String) {
        let c = browser();
        let cookie = match who.email() {
            Some(e) => self.app.sign_in_cookie(&c, e).await,
            None => String::new(),
        };
        (c, cookie)
    }

    async fn customer_says(&self, text: &str) -> i64 {
        customer_send(
            &self.app.state.db,
            self.app.state.hub.as_ref(),
            &self.cleo,
            &self.code,
            Target::Existing(self.c),
            &cid(),
            &MessageBody::parse(text).unwrap(),
        )
        .await
        .unwrap()
        .seq
    }
}

async fn world_with(b: &Backend, opts: Options) -> World {
    let app = spawn_with(b, opts).await;
    let db = &app.state.db;
    let mut users = Vec::new();
    for who in EVERYONE.into_iter().skip(1) {
        let name = who.email().unwrap().split('@').next().unwrap().to_string();
        users.push((who, app.user(who.email().unwrap(), &name).await.id));
    }
    let id = |w: Who| users.iter().find(|(x, _)| *x == w).unwrap().1;
    for (who, name, slug) in [
        (Who::Admin, "Acme", "acme"),
        (Who::OtherAdmin, "Zeta", "zeta"),
        (Who::Customer, "Borealis", "borealis"),
        (Who::OtherCustomer, "Delta", "delta"),
    ] {
        accounts::create(
            db,
            id(who),
            &AccountName::parse(name).unwrap(),
            &Slug::parse(slug).unwrap(),
        )
        .await
        .unwrap();
    }
    let anna = accounts::actor(db, id(Who::Admin), "acme").await.unwrap();
    for (who, role) in [
        (Who::Operator, Role::Operator),
        (Who::OtherOperator, Role::Operator),
        (Who::Employee, Role::Employee),
    ] {
        accounts::add_member(db, &anna, who.email().unwrap(), role)
            .await
            .unwrap();
    }
    let (channel, code) = network_channel(db, &anna, "Support", &[id(Who::Operator)], Some("5")).await;
    let sales = channels::create_channel(db, &anna, &ChannelName::parse("Sales").unwrap())
        .await
        .unwrap();
    channels::set_operators(
        db,
        app.state.hub.as_ref(),
        &anna,
        ChannelId(sales.id),
        &[id(Who::OtherOperator)],
    )
    .await
    .unwrap();
    // Old data may hold an employee in a queue: it must give them nothing.
    db.execute_unprepared(&format!(
        "INSERT INTO channel_operators (channel_id, user_id, last_assigned_at) VALUES ({}, {}, 0)",
        channel.0,
        id(Who::Employee).0
    ))
    .await
    .unwrap();
    let su = |w: Who| app::api::SessionUser {
        id: id(w),
        email: w.email().unwrap().into(),
        name: w.email().unwrap().into(),
        time_zone: None,
    };
    let cleo = conv::customer(db, &su(Who::Customer), "borealis").await.unwrap();
    let dana = conv::customer(db, &su(Who::OtherCustomer), "delta")
        .await
        .unwrap();
    let c = customer_send(
        db,
        app.state.hub.as_ref(),
        &cleo,
        &code,
        Target::New,
        &cid(),
        &MessageBody::parse("Cleo's first message").unwrap(),
    )
    .await
    .unwrap()
    .conversation;
    // Dana has a conversation of her own with the same channel.
    customer_send(
        db,
        app.state.hub.as_ref(),
        &dana,
        &code,
        Target::New,
        &cid(),
        &MessageBody::parse("Dana's message").unwrap(),
    )
    .await
    .unwrap();
    World {
        app,
        anna,
        users,
        channel,
        code,
        cleo,
        dana,
        c,
    }
}

use sea_orm::ConnectionTrait;

async fn next_msg(ws: &mut Ws, within: Duration) -> Option<ServerMsg> {
    loop {
        match tokio::time::timeout(within, ws.next()).await {
            Err(_) => return None,
            Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(Message::Text(t)))) => return Some(serde_json::from_str(&t).unwrap()),
            Ok(Some(Ok(Message::Close(_)))) => return None,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

async fn say(ws: &mut Ws, m: &ClientMsg) {
    let _ = ws
        .send(Message::Text(serde_json::to_string(m).unwrap().into()))
        .await;
}

/// Everything the socket receives within `within`, as text.
async fn drain(ws: &mut Ws, within: Duration) -> Vec<String> {
    let mut out = Vec::new();
    let until = tokio::time::Instant::now() + within;
    loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return out;
        }
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => out.push(t.to_string()),
            Ok(Some(Ok(_))) => {}
            _ => return out,
        }
    }
}

/// `Resume` then: did the replay arrive (allowed) or an error (denied)?
async fn resume_answer(ws: &mut Ws, c: ConversationId) -> bool {
    say(
        ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 0,
        },
    )
    .await;
    loop {
        match next_msg(ws, Duration::from_secs(10)).await {
            Some(ServerMsg::Message { message }) if message.conversation == c => return true,
            Some(ServerMsg::Error { .. }) => return false,
            Some(_) => continue,
            None => return false,
        }
    }
}

fn allowed_to_read(who: Who) -> bool {
    matches!(who, Who::Operator | Who::Admin | Who::Customer)
}

#[both_databases]
async fn the_authorization_matrix_holds_at_every_entry_point(b: Backend) {
    let w = world_with(&b, Options::default()).await;
    let app = &w.app;
    let c = w.c.0.to_string();
    let mut checked = 0;
    // Sockets that were refused the conversation, kept open: later traffic must not
    // reach them.
    let mut denied_sockets: Vec<(Who, &str, Ws)> = Vec::new();
    let mut allowed_sockets: Vec<(Who, &str, Ws)> = Vec::new();
    for who in EVERYONE {
        let (client, cookie) = w.client(who).await;
        let expect = allowed_to_read(who);

        // 1. The inbox socket: Resume of the conversation.
        let inbox = app
            .ws(&format!("/ws/inbox?account={}", who.slug()), &cookie, None)
            .await;
        match (who, inbox) {
            (Who::Anonymous, r) => assert_eq!(r.err(), Some(401), "{b:?} anonymous inbox socket"),
            (Who::Employee, r) => assert_eq!(r.err(), Some(403), "{b:?} employee inbox socket"),
            (Who::Customer | Who::OtherCustomer | Who::OtherAdmin, Ok(mut ws)) => {
                // Admins of their own accounts: a socket, but nothing of Acme's.
                assert!(!resume_answer(&mut ws, w.c).await, "{b:?} {who:?} inbox resume");
                denied_sockets.push((who, "inbox", ws));
            }
            (_, Ok(mut ws)) => {
                let got = resume_answer(&mut ws, w.c).await;
                assert_eq!(
                    got,
                    matches!(who, Who::Operator | Who::Admin),
                    "{b:?} {who:?} inbox resume"
                );
                if got {
                    allowed_sockets.push((who, "inbox", ws));
                } else {
                    denied_sockets.push((who, "inbox", ws));
                }
            }
            (_, Err(s)) => panic!("{b:?} {who:?} inbox socket refused: {s}"),
        }
        checked += 1;

        // 2. The customer socket of the channel, writing from their own account.
        let path = format!("/ws?code={}&account={}", w.code.as_str(), who.slug());
        match app.ws(&path, &cookie, None).await {
            Err(s) => {
                assert_eq!(who, Who::Anonymous, "{b:?} {who:?} customer socket refused: {s}");
                assert_eq!(s, 401);
            }
            Ok(mut ws) => {
                let got = resume_answer(&mut ws, w.c).await;
                assert_eq!(got, who == Who::Customer, "{b:?} {who:?} customer resume");
                if got {
                    allowed_sockets.push((who, "customer", ws));
                } else {
                    denied_sockets.push((who, "customer", ws));
                }
            }
        }
        checked += 1;

        // 3. Server functions that read the conversation.
        for (f, args) in [
            (
                "inbox_conversation",
                vec![("slug", "acme"), ("conversation", c.as_str())],
            ),
            (
                "inbox_older",
                vec![
                    ("slug", "acme"),
                    ("conversation", c.as_str()),
                    ("before_seq", "100"),
                ],
            ),
            ("split_rule", vec![("slug", "acme"), ("conversation", c.as_str())]),
        ] {
            let r = app.server_fn(&client, f, &args).await;
            assert_eq!(
                r.is_ok(),
                matches!(who, Who::Operator | Who::Admin),
                "{b:?} {who:?} {f}: {r:?}"
            );
            checked += 1;
        }
        let code = w.code.as_str().to_string();
        let r = app
            .server_fn(
                &client,
                "older_messages",
                &[
                    ("code", code.as_str()),
                    ("slug", who.slug()),
                    ("conversation", c.as_str()),
                    ("before_seq", "100"),
                ],
            )
            .await;
        let got = r.as_ref().is_ok_and(|v| !v.as_array().unwrap().is_empty());
        assert_eq!(got, who == Who::Customer, "{b:?} {who:?} older_messages: {r:?}");
        checked += 1;

        // 4. Writes through server functions: refused for everyone who may not, and
        // nothing is stored.
        if !matches!(who, Who::Operator | Who::Admin) {
            let before = app.count("messages").await;
            for (f, args) in [
                (
                    "operator_reply",
                    vec![
                        ("slug", "acme"),
                        ("conversation", c.as_str()),
                        ("client_id", "sec-write-00"),
                        ("body", "intruder"),
                    ],
                ),
                (
                    "finish_conversation",
                    vec![("slug", "acme"), ("conversation", c.as_str())],
                ),
                (
                    "start_new_conversation",
                    vec![("slug", "acme"), ("conversation", c.as_str()), ("seq", "2")],
                ),
                (
                    "transfer_conversation",
                    vec![("slug", "acme"), ("conversation", c.as_str()), ("operator", "1")],
                ),
            ] {
                assert!(
                    app.server_fn(&client, f, &args).await.is_err(),
                    "{b:?} {who:?} {f}"
                );
                checked += 1;
            }
            assert_eq!(
                app.count("messages").await,
                before,
                "{b:?} {who:?} stored nothing"
            );
        }

        // 5. REST: im.dialog.messages.get with a webhook of their own account.
        let url = match who {
            Who::Anonymous => format!("{}/rest/im.dialog.messages.get", app.base),
            _ => {
                let (_, secret) = credentials::create_webhook(
                    &app.state.db,
                    w.id(who),
                    who.slug(),
                    "t",
                    &["im".to_string()],
                )
                .await
                .unwrap();
                format!(
                    "{}/rest/{}/{}/im.dialog.messages.get",
                    app.base,
                    w.id(who).0,
                    secret
                )
            }
        };
        let r = http_client()
            .post(&url)
            .form(&[("DIALOG_ID", format!("chat{}", w.c.0))])
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap();
        if expect {
            assert_eq!(status, StatusCode::OK, "{b:?} {who:?} REST: {body}");
            assert!(
                body.to_string().contains("Cleo's first message"),
                "{b:?} {who:?} REST"
            );
        } else {
            assert!(status.is_client_error(), "{b:?} {who:?} REST: {status} {body}");
            assert!(!body.to_string().contains("Cleo's first message"));
        }
        checked += 1;

        // 6. Pages: the inbox, the channel settings.
        let (status, html) = app.get_html(&client, "/a/acme/inbox").await;
        match who {
            Who::Anonymous => assert!(status.is_redirection(), "{b:?} anonymous inbox page: {status}"),
            Who::Admin | Who::Operator | Who::OtherOperator => {
                assert_eq!(status, StatusCode::OK, "{b:?} {who:?} inbox page");
                assert_eq!(
                    html.contains("Cleo"),
                    who != Who::OtherOperator,
                    "{b:?} {who:?} sees Cleo's conversation in the inbox list"
                );
            }
            Who::Employee => assert!(html.contains("Access denied"), "{b:?} employee inbox page"),
            _ => {
                assert!(!html.contains("Cleo"), "{b:?} {who:?} inbox page leaks");
                assert_eq!(status, StatusCode::NOT_FOUND, "{b:?} {who:?} inbox page");
            }
        }
        checked += 1;
        let settings = format!("/a/acme/contact-center/network/settings/{}", w.channel.0);
        let (status, html) = app.get_html(&client, &settings).await;
        let sees_code = html.contains(w.code.as_str());
        assert_eq!(
            sees_code,
            who == Who::Admin,
            "{b:?} {who:?} settings page ({status})"
        );
        checked += 1;
    }

    // Traffic after the checks: allowed sockets get it, denied ones never do.
    w.customer_says("after-the-matrix secret").await;
    for (who, kind, ws) in allowed_sockets.iter_mut() {
        let seen = drain(ws, Duration::from_millis(1500)).await;
        assert!(
            seen.iter().any(|t| t.contains("after-the-matrix secret")),
            "{b:?} {who:?} {kind} socket should see the new message"
        );
    }
    for (who, kind, ws) in denied_sockets.iter_mut() {
        let seen = drain(ws, Duration::from_millis(300)).await;
        assert!(
            !seen
                .iter()
                .any(|t| t.contains("after-the-matrix secret") || t.contains("Cleo")),
            "{b:?} {who:?} {kind} socket leaked: {seen:?}"
        );
        checked += 1;
    }
    eprintln!("authorization matrix ({b:?}): {checked} checks");
    assert!(checked >= 100, "{checked}");
    let _ = (&w.anna, &w.dana);
}

#[both_databases]
async fn open_sockets_lose_what_their_owner_may_no_longer_see(b: Backend) {
    let w = world_with(&b, Options::default()).await;
    let app = &w.app;
    // Olek follows the conversation and takes it.
    let (_, olek) = w.client(Who::Operator).await;
    let mut ws = app.ws("/ws/inbox?account=acme", &olek, None).await.unwrap();
    assert!(resume_answer(&mut ws, w.c).await);
    let (ida_client, ida) = w.client(Who::OtherOperator).await;
    let _ = ida_client;
    let mut ida_ws = app.ws("/ws/inbox?account=acme", &ida, None).await.unwrap();
    let olek_actor = accounts::actor(&app.state.db, w.id(Who::Operator), "acme")
        .await
        .unwrap();
    operator_send(
        &app.state.db,
        app.state.hub.as_ref(),
        &olek_actor,
        "Olek",
        w.c,
        &cid(),
        &MessageBody::parse("Olek here").unwrap(),
    )
    .await
    .unwrap();
    w.customer_says("before the change").await;
    let seen = drain(&mut ws, Duration::from_millis(800)).await;
    assert!(seen.iter().any(|t| t.contains("before the change")), "{b:?}");

    // Anna demotes Olek to employee through the members form.
    let (anna, _) = w.client(Who::Admin).await;
    let r = app
        .post_form(
            &anna,
            &format!("/a/acme/members/{}/role", w.id(Who::Operator).0),
            &[("role", "employee")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // His queue rows are gone and the conversation went back to the queue.
    let d = app::backend::services::inbox::detail(&app.state.db, &w.anna, w.c)
        .await
        .unwrap();
    assert_eq!(d.conversation.operator, None, "{b:?}: released");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    w.customer_says("after the demotion").await;
    let seen = drain(&mut ws, Duration::from_millis(800)).await;
    assert!(
        !seen.iter().any(|t| t.contains("after the demotion")),
        "{b:?}: a demoted operator's socket still receives: {seen:?}"
    );
    // Ida (another channel) never saw either.
    let seen = drain(&mut ida_ws, Duration::from_millis(200)).await;
    assert!(!seen
        .iter()
        .any(|t| t.contains("before the change") || t.contains("after the demotion")));
    // A new inbox socket is refused.
    assert_eq!(
        app.ws("/ws/inbox?account=acme", &olek, None).await.err(),
        Some(403)
    );
    // Employees cannot be put in a queue.
    let err = channels::set_operators(
        &app.state.db,
        app.state.hub.as_ref(),
        &w.anna,
        w.channel,
        &[w.id(Who::Operator)],
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), app::error::Code::NotOperator, "{b:?}");
    // …and the queue form does not offer them.
    let cc = channels::contact_center(&app.state.db, &w.anna).await.unwrap();
    assert!(
        !cc.members.iter().any(|m| m.user_id == w.id(Who::Operator)),
        "{b:?}"
    );
    assert!(
        cc.members.iter().any(|m| m.user_id == w.id(Who::OtherOperator)),
        "{b:?}"
    );

    // Ida leaves Sales' queue through the form: her socket stops getting Sales.
    let sales_id = {
        let cc = channels::contact_center(&app.state.db, &w.anna).await.unwrap();
        cc.channels.iter().find(|c| c.name == "Sales").unwrap().id
    };
    let r = app
        .post_form(
            &anna,
            &format!("/a/acme/contact-center/channels/{}/operators", sales_id.0),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Removing a member closes their socket.
    let r = app
        .post_form(
            &anna,
            &format!("/a/acme/members/{}/remove", w.id(Who::OtherOperator).0),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut closed = false;
    for _ in 0..50 {
        match tokio::time::timeout(Duration::from_millis(100), ida_ws.next()).await {
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => {
                closed = true;
                break;
            }
            _ => {}
        }
    }
    if !closed {
        // Any frame now is refused and ends the socket.
        say(
            &mut ida_ws,
            &ClientMsg::Resume {
                conversation: w.c,
                since_seq: 0,
            },
        )
        .await;
        let m = next_msg(&mut ida_ws, Duration::from_secs(2)).await;
        assert!(!matches!(m, Some(ServerMsg::Message { .. })), "{b:?}: {m:?}");
    }

    // A customer removed from the account they write from loses their socket too.
    let bob = app.user("bob@borealis.test", "Bob").await;
    let cleo_admin = accounts::actor(&app.state.db, w.id(Who::Customer), "borealis")
        .await
        .unwrap();
    accounts::add_member(&app.state.db, &cleo_admin, "bob@borealis.test", Role::Employee)
        .await
        .unwrap();
    let bob_client = browser();
    let bob_cookie = app.sign_in_cookie(&bob_client, "bob@borealis.test").await;
    let path = format!("/ws?code={}&account=borealis", w.code.as_str());
    let mut bob_ws = app.ws(&path, &bob_cookie, None).await.unwrap();
    accounts::remove_member(&app.state.db, app.state.hub.as_ref(), &cleo_admin, bob.id)
        .await
        .unwrap();
    say(
        &mut bob_ws,
        &ClientMsg::Send {
            client_id: "bob-after-removal".into(),
            conversation: None,
            body: "should not be stored".into(),
        },
    )
    .await;
    let m = next_msg(&mut bob_ws, Duration::from_secs(2)).await;
    assert!(!matches!(m, Some(ServerMsg::Ack { .. })), "{b:?}: {m:?}");
    assert_eq!(
        app.count("messages WHERE body = 'should not be stored'").await,
        0,
        "{b:?}"
    );
}

/// Writes into an existing conversation go through the batched writer
/// (`services/messages.rs`). A stranger's `send` into Cleo's conversation, through
/// each socket a stranger can open, is refused with an error for that client id, and
/// nothing is stored.
#[both_databases]
async fn strangers_cannot_write_into_a_conversation_through_the_sockets(b: Backend) {
    let w = world_with(&b, Options::default()).await;
    let app = &w.app;
    let before = app.count("messages").await;
    let sockets = [
        (
            Who::OtherCustomer,
            format!("/ws?code={}&account=delta", w.code.as_str()),
        ),
        (
            Who::Employee,
            format!("/ws?code={}&account=acme", w.code.as_str()),
        ),
        (Who::OtherOperator, "/ws/inbox?account=acme".to_string()),
        (Who::OtherAdmin, "/ws/inbox?account=zeta".to_string()),
    ];
    for (i, (who, path)) in sockets.into_iter().enumerate() {
        let (_c, cookie) = w.client(who).await;
        let mut ws = app
            .ws(&path, &cookie, None)
            .await
            .unwrap_or_else(|s| panic!("{b:?} {who:?}: upgrade refused ({s})"));
        let client_id = format!("intruder-{i:04}");
        say(
            &mut ws,
            &ClientMsg::Send {
                client_id: client_id.clone(),
                conversation: Some(w.c),
                body: "intruder".into(),
            },
        )
        .await;
        loop {
            match next_msg(&mut ws, Duration::from_secs(5)).await {
                Some(ServerMsg::Error {
                    client_id: Some(c), ..
                }) if c == client_id => break,
                Some(ServerMsg::Ack { .. }) | None => panic!("{b:?} {who:?}: not refused"),
                Some(_) => continue,
            }
        }
    }
    assert_eq!(app.count("messages").await, before, "{b:?}: nothing stored");
    assert_eq!(app.count("messages WHERE body = 'intruder'").await, 0, "{b:?}");
}

#[both_databases]
async fn sockets_are_bounded_under_abuse(b: Backend) {
    let live = LiveLimits {
        frames_per_sec: 100_000.0,
        frames_burst: 100_000,
        max_followed: 50,
        ..LiveLimits::default()
    };
    let w = world_with(
        &b,
        Options {
            live: Some(live),
            ..Default::default()
        },
    )
    .await;
    let app = &w.app;
    let (_, zed) = w.client(Who::OtherAdmin).await;
    let topics_before = app.state.hub.topic_count();
    // A resume flood of made-up ids: every one refused, no topic made, memory flat.
    let mut ws = app.ws("/ws/inbox?account=zeta", &zed, None).await.unwrap();
    for i in 0..20_000i64 {
        say(
            &mut ws,
            &ClientMsg::Resume {
                conversation: ConversationId(1_000_000 + i),
                since_seq: 0,
            },
        )
        .await;
    }
    let mut errors = 0;
    while errors < 20_000 {
        match next_msg(&mut ws, Duration::from_secs(20)).await {
            Some(ServerMsg::Error { .. }) => errors += 1,
            Some(other) => panic!("{b:?}: {other:?}"),
            None => panic!("{b:?}: socket ended after {errors} errors"),
        }
    }
    assert!(
        app.state.hub.topic_count() <= topics_before + 2,
        "{b:?}: {} topics",
        app.state.hub.topic_count()
    );
    drop(ws);

    // The follow cap: Anna may follow, but not more than the limit at once.
    let (_, anna) = w.client(Who::Admin).await;
    let mut ws = app.ws("/ws/inbox?account=acme", &anna, None).await.unwrap();
    assert!(resume_answer(&mut ws, w.c).await);
    drop(ws);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        app.state.hub.topic_count() <= topics_before + 2,
        "{b:?}: topics are freed when sockets close ({})",
        app.state.hub.topic_count()
    );

    // Frames over 64 KiB close the socket; the server stays up.
    let (_, cleo) = w.client(Who::Customer).await;
    let path = format!("/ws?code={}&account=borealis", w.code.as_str());
    let mut ws = app.ws(&path, &cleo, None).await.unwrap();
    let big = format!(
        r#"{{"type":"send","client_id":"big-frame-1","conversation":null,"body":"{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let _ = ws.send(Message::Text(big.into())).await;
    assert!(next_msg(&mut ws, Duration::from_secs(5)).await.is_none(), "{b:?}");
    assert_eq!(app.count("messages WHERE client_id = 'big-frame-1'").await, 0);
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_socket_s_frames_are_rate_limited_and_followed_conversations_capped() {
    let b = Backend::Sqlite;
    let live = LiveLimits {
        frames_per_sec: 0.2,
        frames_burst: 10,
        max_followed: 1,
        ..LiveLimits::default()
    };
    let w = world_with(
        &b,
        Options {
            live: Some(live),
            ..Default::default()
        },
    )
    .await;
    let app = &w.app;
    let (_, anna) = w.client(Who::Admin).await;
    let mut ws = app.ws("/ws/inbox?account=acme", &anna, None).await.unwrap();
    assert!(resume_answer(&mut ws, w.c).await);
    // A second conversation is over the cap of one.
    let dana_c = conv::customer_conversations(&app.state.db, &w.dana, &w.code)
        .await
        .unwrap()[0]
        .id;
    say(
        &mut ws,
        &ClientMsg::Resume {
            conversation: dana_c,
            since_seq: 0,
        },
    )
    .await;
    loop {
        match next_msg(&mut ws, Duration::from_secs(5)).await {
            // The rest of the first conversation's replay.
            Some(ServerMsg::Message { message }) if message.conversation == w.c => continue,
            Some(ServerMsg::Error { error, .. }) => {
                assert_eq!(error.code(), app::error::Code::FollowLimit);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    // Typing frames past the burst: `rate_limited`, nothing else happens.
    for _ in 0..20 {
        say(&mut ws, &ClientMsg::Typing { conversation: w.c }).await;
    }
    let seen = drain(&mut ws, Duration::from_millis(800)).await;
    assert!(
        seen.iter().filter(|t| t.contains("rate_limited")).count() >= 8,
        "{seen:?}"
    );
    let before = app.count("messages").await;
    say(
        &mut ws,
        &ClientMsg::Send {
            client_id: "limited-send-1".into(),
            conversation: Some(w.c),
            body: "over the limit".into(),
        },
    )
    .await;
    match next_msg(&mut ws, Duration::from_secs(5)).await {
        Some(ServerMsg::Error { client_id, error }) => {
            assert_eq!(client_id.as_deref(), Some("limited-send-1"));
            assert_eq!(error.code(), app::error::Code::RateLimited);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(app.count("messages").await, before);
}

#[both_databases]
async fn rest_decoding_is_bounded_and_guessing_is_limited(b: Backend) {
    let app = spawn_with(
        &b,
        Options {
            abuse: Some(AbuseLimits {
                bad_auth_burst: 5,
                bad_auth_per_sec: 0.01,
                ..AbuseLimits::default()
            }),
            ..Default::default()
        },
    )
    .await;
    let http = http_client();
    // What crashed the server: a deep bracket name, unauthenticated.
    for body in [
        format!("a{}=1", "[".repeat(2_000_000)),
        format!("a{}=1", "[]".repeat(1_000_000)),
        format!("a{}=1", "[]".repeat(65)),
    ] {
        let r = http
            .post(app.url("/rest/1/abc/imopenlines.config.list.get"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{b:?}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"], "INVALID_REQUEST");
    }
    let deep_json = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
    let r = http
        .post(app.url("/rest/1/abc/imopenlines.config.list.get"))
        .header("content-type", "application/json")
        .body(deep_json)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{b:?}");
    assert_eq!(
        reqwest::get(app.url("/healthz")).await.unwrap().status(),
        StatusCode::OK
    );
    // Guessing credentials: after the burst, the IP waits.
    let mut codes = Vec::new();
    for i in 0..8 {
        let r = http
            .get(app.url(&format!("/rest/1/wrong{i}/imopenlines.config.list.get")))
            .send()
            .await
            .unwrap();
        codes.push(r.status().as_u16());
    }
    assert_eq!(&codes[..3], &[401, 401, 401], "{b:?}: {codes:?}");
    assert_eq!(codes[7], 503, "{b:?}: {codes:?}");
}

#[both_databases]
async fn sign_in_limits_hold_under_parallel_guesses_and_sessions_rotate(b: Backend) {
    let app = spawn_with(
        &b,
        Options {
            login_limits: LoginLimits {
                per_email: 5,
                per_ip: 1000,
                window: Duration::from_secs(600),
            },
            abuse: Some(AbuseLimits {
                registrations_per_ip_hour: 3,
                ..AbuseLimits::default()
            }),
            ..Default::default()
        },
    )
    .await;
    app.user("ada@example.com", "Ada").await;
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let app_url = app.url("/auth/login");
        tasks.push(tokio::spawn(async move {
            let r = browser()
                .post(app_url)
                .form(&[("email", "ada@example.com"), ("password", "wrong password")])
                .send()
                .await
                .unwrap();
            location(&r)
        }));
    }
    let mut bad = 0;
    let mut limited = 0;
    for t in tasks {
        let to = t.await.unwrap();
        if to.contains("bad_credentials") {
            bad += 1;
        } else if to.contains("too_many_attempts") {
            limited += 1;
        }
    }
    assert_eq!(
        (bad, limited),
        (5, 25),
        "{b:?}: the limit holds under parallel guesses"
    );

    // Sessions: rotated at sign-in, deleted at sign-out, "everywhere" ends all.
    app.user("eve@example.com", "Eve").await;
    let one = browser();
    let first = app.sign_in_cookie(&one, "eve@example.com").await;
    let second = app.sign_in_cookie(&one, "eve@example.com").await;
    assert_ne!(first, second, "{b:?}: a new session id at every sign-in");
    let sessions = app.count("sessions").await;
    assert_eq!(sessions, 1, "{b:?}: the old session was ended");
    let two = browser();
    app.sign_in_cookie(&two, "eve@example.com").await;
    assert_eq!(app.count("sessions").await, 2);
    let r = app.post_form(&one, "/auth/logout-everywhere", &[]).await;
    assert_eq!(location(&r), "/login");
    assert_eq!(app.count("sessions").await, 0, "{b:?}");
    let (status, _) = app.get_html(&two, "/profile").await;
    assert!(
        status.is_redirection(),
        "{b:?}: the other device is signed out ({status})"
    );

    // Registration is limited per IP.
    let mut last = String::new();
    for i in 0..4 {
        let r = app
            .post_form(
                &browser(),
                "/auth/register",
                &[
                    ("email", &format!("new{i}@example.com")),
                    ("name", "New"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        last = location(&r);
    }
    assert!(last.contains("too_many_attempts"), "{b:?}: {last}");
    assert_eq!(app.count("users WHERE email LIKE 'new%'").await, 3);
}

/// Behind a load balancer every request comes from the proxy's address: per-IP limits
/// then follow `X-Forwarded-For`, but only from proxies named in
/// `NETLINES_TRUSTED_PROXIES`, and only its nearest untrusted hop.
#[both_databases]
async fn per_ip_limits_follow_forwarded_addresses_only_from_trusted_proxies(b: Backend) {
    for trusted in [None, Some("127.0.0.0/8")] {
        let app = spawn_with(
            &b,
            Options {
                abuse: Some(AbuseLimits {
                    registrations_per_ip_hour: 2,
                    ..AbuseLimits::default()
                }),
                trusted_proxies: trusted,
                ..Default::default()
            },
        )
        .await;
        let mut n = 0;
        let mut register = |forwarded: &'static str| {
            n += 1;
            let email = format!("fwd{n}@example.com");
            let app = &app;
            async move {
                let r = browser()
                    .post(app.url("/auth/register"))
                    .header("accept", "text/html")
                    .header("x-forwarded-for", forwarded)
                    .form(&[("email", email.as_str()), ("name", "New"), ("password", PASSWORD)])
                    .send()
                    .await
                    .unwrap();
                !location(&r).contains("too_many_attempts")
            }
        };
        let outcomes = vec![
            register("1.1.1.1").await,
            register("1.1.1.1").await,
            // The third from 1.1.1.1; a client-written address at the left changes nothing.
            register("9.9.9.9, 1.1.1.1").await,
            register("2.2.2.2").await,
        ];
        match trusted {
            // Not trusted: everything is the peer 127.0.0.1, two in all.
            None => assert_eq!(outcomes, [true, true, false, false], "{b:?}: header ignored"),
            Some(_) => assert_eq!(outcomes, [true, true, false, true], "{b:?}: per forwarded client"),
        }
    }
}

#[both_databases]
async fn hostile_text_never_becomes_markup_and_round_trips_byte_for_byte(b: Backend) {
    let hostile =
        "</textarea><img src=x onerror=alert(1)><script>alert(2)</script> a &amp; b &lt;c&gt; \"q\" 'a'";
    let w = world_with(&b, Options::default()).await;
    let app = &w.app;
    let (anna, _) = w.client(Who::Admin).await;
    let path = format!("/a/acme/contact-center/network/settings/{}", w.channel.0);
    let form = reqwest::multipart::Form::new()
        .text("name", "Acme Support")
        .text("description", hostile)
        .text("welcome_message", hostile);
    let r = anna.post(app.url(&path)).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{b:?}");
    let s = channels::settings(&app.state.db, &w.anna, w.channel, "http://x")
        .await
        .unwrap();
    assert_eq!(s.welcome_message, hostile, "{b:?}: stored as typed");
    let r = app.get_page(&anna, &path).await;
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = r.text().await.unwrap();
    assert!(
        !html.contains("<img src=x"),
        "{b:?}: raw markup in the settings page"
    );
    assert!(!html.contains("<script>alert(2)"), "{b:?}");
    assert!(html.contains("&lt;/textarea&gt;&lt;img src=x"), "{b:?}");
    assert!(
        html.contains("a &amp;amp; b &amp;lt;c&amp;gt;"),
        "{b:?}: entities kept, not decoded"
    );
    // The page's policy: only nonced inline scripts; Leptos' own carry the nonce.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap()
        .to_string();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{b:?}");
    assert!(csp.contains("frame-ancestors 'none'"));

    // A refused send comes back with its text in the composer — through the server.
    let (cleo, _) = w.client(Who::Customer).await;
    let chat = format!("/chat/{}/borealis", w.code.as_str());
    let too_long = format!("{hostile}{}", "z".repeat(4000));
    let r = app
        .post_form(
            &cleo,
            &format!("{chat}/send"),
            &[
                ("current", "new"),
                ("client_id", "c-hostile-1"),
                ("body", &too_long),
            ],
        )
        .await;
    let to = location(&r);
    assert!(to.contains("error=too_long&field=body"), "{b:?}: {to}");
    assert!(!to.contains("body="), "{b:?}: typed text never in the URL: {to}");
    let r = app.get_page(&cleo, &to).await;
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let html = r.text().await.unwrap();
    assert!(!html.contains("<img src=x"), "{b:?}: raw markup in the chat page");
    assert!(!html.contains("<script>alert(2)"), "{b:?}");
    assert!(
        html.contains("&lt;/textarea&gt;&lt;img src=x"),
        "{b:?}: refilled as text"
    );

    // Stored text shown elsewhere (the customer's history, the card) stays text.
    w.customer_says(hostile).await;
    let (_, html) = app
        .get_html(&cleo, &format!("/chat/{}/borealis", w.code.as_str()))
        .await;
    assert!(
        !html.contains("<img src=x") && !html.contains("<script>alert(2)"),
        "{b:?}"
    );
    let (_, html) = app
        .get_html(
            &cleo,
            &format!(
                "/oauth/select/?preset=im&IM_DIALOG=networkLines{}",
                w.code.as_str()
            ),
        )
        .await;
    assert!(
        !html.contains("<img src=x") && !html.contains("<script>alert(2)"),
        "{b:?}"
    );
}

#[both_databases]
async fn a_customer_and_the_assigned_operator_writing_at_once_both_succeed(b: Backend) {
    let w = world_with(&b, Options::default()).await;
    let app = &w.app;
    let olek = accounts::actor(&app.state.db, w.id(Who::Operator), "acme")
        .await
        .unwrap();
    let db = &app.state.db;
    let hub = app.state.hub.as_ref();
    // Olek takes the conversation with a first reply.
    operator_send(
        db,
        hub,
        &olek,
        "Olek",
        w.c,
        &cid(),
        &MessageBody::parse("hi").unwrap(),
    )
    .await
    .unwrap();
    for round in 0..20 {
        let body = MessageBody::parse("at once").unwrap();
        let (ca, co) = (cid(), cid());
        let (a, o) = tokio::join!(
            customer_send(db, hub, &w.cleo, &w.code, Target::Existing(w.c), &ca, &body),
            operator_send(db, hub, &olek, "Olek", w.c, &co, &body),
        );
        let (a, o) = (a.unwrap(), o.unwrap());
        assert_eq!((a.seq - o.seq).abs(), 1, "{b:?} round {round}: consecutive seqs");
    }
    let d = app::backend::services::inbox::detail(db, &w.anna, w.c)
        .await
        .unwrap();
    assert_eq!(d.conversation.last_seq, 1 + 1 + 1 + 40, "{b:?}");
    // A client id of one side never answers for the other side's message.
    let shared = ClientMsgId::parse("same-id-both-sides").unwrap();
    let o = operator_send(
        db,
        hub,
        &olek,
        "Olek",
        w.c,
        &shared,
        &MessageBody::parse("op").unwrap(),
    )
    .await
    .unwrap();
    let c = customer_send(
        db,
        hub,
        &w.cleo,
        &w.code,
        Target::Existing(w.c),
        &shared,
        &MessageBody::parse("cu").unwrap(),
    )
    .await
    .unwrap();
    assert_ne!(
        o.seq, c.seq,
        "{b:?}: the customer's message is stored, not answered with the operator's"
    );
    // Server-made ids cannot be sent by clients.
    assert!(ClientMsgId::parse("sys:welcome:1").is_err());
}

#[tokio::test]
async fn the_origin_check_trusts_the_public_url_and_this_host_only() {
    let b = Backend::Sqlite;
    let w = world_with(&b, Options::default()).await;
    let app = &w.app;
    let (client, cookie) = w.client(Who::Customer).await;
    let path = format!("/ws?code={}&account=borealis", w.code.as_str());
    // Behind a proxy that rewrites `Host`, the page's origin is NETLINES_PUBLIC_URL's.
    assert!(app.ws(&path, &cookie, Some("http://127.0.0.1")).await.is_ok());
    assert!(app.ws(&path, &cookie, None).await.is_ok(), "this host");
    assert_eq!(
        app.ws(&path, &cookie, Some("http://evil.example")).await.err(),
        Some(403)
    );
    assert_eq!(app.ws(&path, &cookie, Some("null")).await.err(), Some(403));
    // The scheme counts: this site is served over http://, so an https:// or wss://
    // page of the same host is another site.
    let port = app.base.rsplit(':').next().unwrap();
    for other in [
        format!("https://127.0.0.1:{port}"),
        format!("wss://127.0.0.1:{port}"),
        "https://127.0.0.1".to_string(),
    ] {
        assert_eq!(
            app.ws(&path, &cookie, Some(&other)).await.err(),
            Some(403),
            "{other}"
        );
        let r = client
            .post(app.url("/lang"))
            .header("origin", &other)
            .form(&[("lang", "pl")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{other}");
    }
    let r = client
        .post(app.url("/auth/logout-everywhere"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        app.count("sessions").await > 0,
        "a foreign page cannot sign anyone out"
    );
}

#[both_databases]
async fn replaced_avatars_are_deleted_and_expired_sessions_purged(b: Backend) {
    use app::backend::services::channels::AvatarChange;
    use app::domain::channel::{RawSettings, Settings};
    let w = world_with(&b, Options::default()).await;
    let app = &w.app;
    let db = &app.state.db;
    let png = |r: u8| {
        let img = image::RgbImage::from_fn(64, 64, |x, _| image::Rgb([r, x as u8, 10]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let settings = Settings::parse(&RawSettings {
        name: "Acme Support".into(),
        ..Default::default()
    })
    .unwrap();
    let first = app::backend::images::process(&png(1), true).unwrap();
    let first_key = first.key.clone();
    channels::save_settings(db, &w.anna, w.channel, &settings, AvatarChange::Replace(first))
        .await
        .unwrap();
    let rows = |k: String| async move { app.count(&format!("avatar_images WHERE key = '{k}'")).await };
    assert!(rows(first_key.clone()).await > 0, "{b:?}");
    let second = app::backend::images::process(&png(200), true).unwrap();
    let second_key = second.key.clone();
    channels::save_settings(db, &w.anna, w.channel, &settings, AvatarChange::Replace(second))
        .await
        .unwrap();
    assert_eq!(rows(first_key).await, 0, "{b:?}: the unused rendition is gone");
    assert!(rows(second_key.clone()).await > 0);
    channels::save_settings(db, &w.anna, w.channel, &settings, AvatarChange::Remove)
        .await
        .unwrap();
    assert_eq!(rows(second_key).await, 0, "{b:?}: a removed avatar is deleted");

    // Expired sessions are purged; live ones stay.
    let (_, _) = w.client(Who::Admin).await;
    db.execute_unprepared(&format!(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ('expired', {}, 0, 1)",
        w.id(Who::Admin).0
    ))
    .await
    .unwrap();
    let before = app.count("sessions").await;
    let n = app::backend::auth::purge_expired_sessions(db, app.state.config.sessions.idle)
        .await
        .unwrap();
    assert_eq!(n, 1, "{b:?}");
    assert_eq!(app.count("sessions").await, before - 1);
}

/// Waits for the socket to be told its session ended (`unauthorized`) and closed.
async fn closes_as_signed_out(ws: &mut Ws, within: Duration) -> bool {
    let until = tokio::time::Instant::now() + within;
    let mut told = false;
    loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return false;
        }
        match tokio::time::timeout(left, ws.next()).await {
            Err(_) => return false,
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return told,
            Ok(Some(Ok(Message::Text(t)))) => {
                if t.contains("\"Unauthorized\"") {
                    told = true;
                }
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

#[both_databases]
async fn signing_out_closes_that_sessions_sockets_within_seconds_and_no_other(b: Backend) {
    let w = world_with(&b, Options::default()).await;
    let app = &w.app;
    let chat = format!("/ws?code={}&account=borealis", w.code.as_str());
    // Cleo on two devices, Olek on one.
    let (phone, phone_cookie) = w.client(Who::Customer).await;
    let (_laptop, laptop_cookie) = w.client(Who::Customer).await;
    let (olek, olek_cookie) = w.client(Who::Operator).await;
    let mut on_phone = app.ws(&chat, &phone_cookie, None).await.unwrap();
    let mut on_laptop = app.ws(&chat, &laptop_cookie, None).await.unwrap();
    let mut inbox = app
        .ws("/ws/inbox?account=acme", &olek_cookie, None)
        .await
        .unwrap();
    // Signing out on the phone closes the phone's socket, not the laptop's.
    let r = phone.post(app.url("/auth/logout")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        closes_as_signed_out(&mut on_phone, Duration::from_secs(5)).await,
        "{b:?}"
    );
    assert!(
        resume_answer(&mut on_laptop, w.c).await,
        "{b:?}: the laptop still reads"
    );
    // A socket opened with a session that has ended is refused.
    assert_eq!(app.ws(&chat, &phone_cookie, None).await.err(), Some(401));
    // "Sign out everywhere" from Olek's browser closes his inbox…
    let r = olek
        .post(app.url("/auth/logout-everywhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        closes_as_signed_out(&mut inbox, Duration::from_secs(5)).await,
        "{b:?}"
    );
    // …and a stolen cookie's socket cannot send any more: Cleo's laptop, signed out
    // everywhere from another browser of hers.
    let (elsewhere, _) = w.client(Who::Customer).await;
    let before = app.count("messages").await;
    elsewhere
        .post(app.url("/auth/logout-everywhere"))
        .send()
        .await
        .unwrap();
    assert!(
        closes_as_signed_out(&mut on_laptop, Duration::from_secs(5)).await,
        "{b:?}"
    );
    say(
        &mut on_laptop,
        &ClientMsg::Send {
            client_id: "after-0000000001".into(),
            conversation: Some(w.c),
            body: "sent after sign-out".into(),
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.count("messages").await, before, "{b:?}");
}

/// The usual world (SQLite) whose sessions end after 3 s without use.
async fn world_idle_3s() -> World {
    world_with(
        &Backend::Sqlite,
        Options {
            sessions: Some(app::backend::config::SessionLimits {
                idle: Duration::from_secs(3),
            }),
            ..Default::default()
        },
    )
    .await
}

#[tokio::test]
async fn idle_and_expired_sessions_end_with_their_sockets() {
    let w = world_idle_3s().await;
    let app = &w.app;
    let chat = format!("/ws?code={}&account=borealis", w.code.as_str());
    let (client, cookie) = w.client(Who::Customer).await;
    let mut ws = app.ws(&chat, &cookie, None).await.unwrap();
    let started = std::time::Instant::now();
    // Nobody uses the session: it ends after 3 s idle, and its socket with it.
    assert!(closes_as_signed_out(&mut ws, Duration::from_secs(8)).await);
    assert!(
        started.elapsed() >= Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    let r = client
        .post(app.url("/accounts"))
        .form(&[("slug", "")])
        .send()
        .await
        .unwrap();
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
    assert_eq!(app.ws(&chat, &cookie, None).await.err(), Some(401));
}

#[tokio::test]
async fn pings_are_answered_but_do_not_keep_an_idle_session_alive() {
    let w = world_idle_3s().await;
    let chat = format!("/ws?code={}&account=borealis", w.code.as_str());
    let (_client, cookie) = w.client(Who::Customer).await;
    let mut ws = w.app.ws(&chat, &cookie, None).await.unwrap();
    let started = std::time::Instant::now();
    // A page left open pings every 600 ms: each ping is answered while the session
    // stands, and the session still ends when its idle time is up.
    let (mut pongs, mut signed_out) = (0, false);
    while !signed_out {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the idle session never ended"
        );
        say(&mut ws, &ClientMsg::Ping).await;
        let until = tokio::time::Instant::now() + Duration::from_millis(600);
        loop {
            match tokio::time::timeout_at(until, ws.next()).await {
                Err(_) => break,
                Ok(Some(Ok(Message::Text(t)))) if t == r#"{"type":"pong"}"# => pongs += 1,
                Ok(Some(Ok(Message::Text(t)))) if t.contains("\"Unauthorized\"") => {
                    signed_out = true;
                    break;
                }
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => {
                    signed_out = true;
                    break;
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }
    assert!(
        started.elapsed() >= Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert!(pongs >= 3, "{pongs} pongs");
    assert_eq!(w.app.ws(&chat, &cookie, None).await.err(), Some(401));
}

#[tokio::test]
async fn an_expiring_session_closes_its_sockets_when_it_expires() {
    let b = Backend::Sqlite;
    let w = world_with(&b, Options::default()).await;
    let app = &w.app;
    let chat = format!("/ws?code={}&account=borealis", w.code.as_str());
    let (client, cookie) = w.client(Who::Customer).await;
    // A session in its last seconds (as on its 30th day).
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE sessions SET expires_at = {} WHERE user_id = {}",
            app::backend::now_ms() + 2000,
            w.id(Who::Customer).0
        ))
        .await
        .unwrap();
    let mut ws = app.ws(&chat, &cookie, None).await.unwrap();
    // Using the socket does not stretch it past its expiry.
    say(&mut ws, &ClientMsg::Typing { conversation: w.c }).await;
    assert!(closes_as_signed_out(&mut ws, Duration::from_secs(6)).await);
    let r = client
        .post(app.url("/accounts"))
        .form(&[("slug", "")])
        .send()
        .await
        .unwrap();
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
}

#[tokio::test]
async fn over_https_the_session_cookie_is_host_only_and_the_plain_name_is_ignored() {
    let b = Backend::Sqlite;
    let w = world_with(
        &b,
        Options {
            public_url: Some("https://chat.example.com".into()),
            ..Default::default()
        },
    )
    .await;
    let app = &w.app;
    let c = browser();
    let r = c
        .post(app.url("/auth/login"))
        .form(&[("email", "cleo@borealis.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set.starts_with("__Host-netlines_session="), "{set}");
    assert!(
        set.contains("; Path=/") && set.contains("; Secure") && !set.contains("Domain"),
        "{set}"
    );
    let token = set
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_string();
    // The same token under the plain name (a cookie planted by an http:// page or a
    // sibling host) is no session here.
    let planted = browser();
    let r = planted
        .post(app.url("/accounts"))
        .header("cookie", format!("netlines_session={token}"))
        .form(&[("slug", "")])
        .send()
        .await
        .unwrap();
    assert!(
        location(&r).starts_with("/login"),
        "planted cookie accepted: {}",
        location(&r)
    );
    let r = planted
        .post(app.url("/accounts"))
        .header("cookie", format!("__Host-netlines_session={token}"))
        .form(&[("slug", "")])
        .send()
        .await
        .unwrap();
    assert!(location(&r).starts_with("/accounts/new"), "{}", location(&r));
}

#[tokio::test]
async fn half_sent_requests_are_closed_and_one_address_cannot_hold_every_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let b = Backend::Sqlite;
    let w = world_with(
        &b,
        Options {
            serve: Some(app::backend::config::ServeLimits {
                header_timeout: Duration::from_secs(1),
                per_ip: 40,
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await;
    let addr = w.app.base.trim_start_matches("http://").to_string();
    // 60 requests whose header never ends (no credential needed): 40 are held at most…
    let mut conns = Vec::new();
    for _ in 0..60 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let _ = s
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await;
        conns.push(s);
    }
    // …and every one is closed once the header timeout passes.
    let started = std::time::Instant::now();
    let mut closed = 0;
    for s in conns.iter_mut() {
        let mut buf = [0u8; 1024];
        loop {
            match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => {
                    closed += 1;
                    break;
                }
                Ok(Ok(_)) => continue,
                Err(_) => break,
            }
        }
    }
    assert_eq!(
        closed,
        60,
        "half-sent requests still open after {:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    // An idle kept-alive connection is closed too, after the same time.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let idle = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(idle.is_ok(), "an idle keep-alive connection stayed open");
    // While one address holds its 40, the 41st is closed at once, and the site still
    // answers (here: once the held ones are gone).
    let mut held = Vec::new();
    for _ in 0..40 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let _ = s.write_all(b"GET / HTTP/1.1\r\n").await;
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut b1 = [0u8; 64];
    let got = tokio::time::timeout(Duration::from_millis(800), extra.read(&mut b1)).await;
    assert!(
        matches!(got, Ok(Ok(0)) | Ok(Err(_))),
        "the 41st connection was served: {got:?}"
    );
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = reqwest::get(w.app.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn malformed_server_function_arguments_answer_400_without_the_parsers_words() {
    let w = world_with(&Backend::Sqlite, Options::default()).await;
    let (client, _) = w.client(Who::Operator).await;
    for (name, form) in [
        (
            "inbox_conversation",
            vec![("slug", "acme"), ("conversation", "not a number")],
        ),
        ("inbox_conversation", vec![("slug", "acme")]),
        (
            "inbox_older",
            vec![("slug", "acme"), ("conversation", "1"), ("before_seq", "1e999")],
        ),
    ] {
        let (status, body) = w.app.server_fn_status(&client, name, &form).await;
        assert_eq!(status, 400, "{name} {form:?}: {body}");
        let text = body.to_string();
        assert!(
            text.contains("malformed request")
                && !text.contains("invalid digit")
                && !text.contains("missing field"),
            "{text}"
        );
    }
    // A body that is no form at all.
    let r = client
        .post(w.app.url("/api/inbox_conversation"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'%', b'%'])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[both_databases]
async fn caps_hold_when_requests_race_for_the_last_places(b: Backend) {
    let w = world_with(&b, Options::default()).await;
    let app = &w.app;
    // 61 apps registered at once against a cap of 50: exactly 50.
    let (anna, _) = w.client(Who::Admin).await;
    let anna_id = w.id(Who::Admin).0;
    let mut tasks = Vec::new();
    for i in 0..61 {
        let (c, url) = (anna.clone(), app.url("/a/acme/apps"));
        tasks.push(tokio::spawn(async move {
            c.post(url)
                .form(&[
                    ("name", format!("App {i}")),
                    ("handler_url", "https://app.example/h".to_string()),
                    ("scopes", "im".to_string()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(app.count("rest_apps").await, 50, "{b:?}");
    // Pins: 47 already, then four conversations pinned at once from four windows:
    // three fit.
    let db = &app.state.db;
    let borealis = accounts::actor(db, w.id(Who::Customer), "borealis")
        .await
        .unwrap();
    let mut conversations = Vec::new();
    for u in 0..11 {
        let email = format!("pin{u}@borealis.test");
        let user = app.user(&email, "P").await;
        accounts::add_member(db, &borealis, &email, Role::Employee)
            .await
            .unwrap();
        let customer = conv::customer(db, &user, "borealis").await.unwrap();
        for _ in 0..5 {
            conversations.push(
                customer_send(
                    db,
                    app.state.hub.as_ref(),
                    &customer,
                    &w.code,
                    Target::New,
                    &cid(),
                    &MessageBody::parse("a question").unwrap(),
                )
                .await
                .unwrap()
                .conversation,
            );
        }
    }
    for c in conversations.drain(..47) {
        app::backend::services::inbox::pin(db, &w.anna, c, true)
            .await
            .unwrap();
    }
    conversations.truncate(4);
    let mut tasks = Vec::new();
    for c in conversations {
        let (client, url) = (anna.clone(), app.url("/api/pin_conversation"));
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .form(&[
                    ("slug", "acme".to_string()),
                    ("conversation", c.0.to_string()),
                    ("on", "true".to_string()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        app.count(&format!("conversation_pins WHERE user_id = {anna_id}"))
            .await,
        50,
        "{b:?}"
    );
}

#[both_databases]
async fn strangers_guesses_do_not_lock_the_user_out_of_their_own_browsers(b: Backend) {
    let app = spawn_with(
        &b,
        Options {
            login_limits: LoginLimits {
                per_email: 5,
                per_ip: 1000,
                window: Duration::from_secs(600),
            },
            ..Default::default()
        },
    )
    .await;
    app.user("ada@example.com", "Ada").await;
    // Ada has signed in from her laptop before: it is a known device now.
    let laptop = browser();
    app.sign_in_cookie(&laptop, "ada@example.com").await;
    app.post_form(&laptop, "/auth/logout", &[]).await;
    // Strangers (no device cookie) guess her password until they are stopped.
    for i in 0..8 {
        let r = browser()
            .post(app.url("/auth/login"))
            .form(&[("email", "ada@example.com"), ("password", "wrong password")])
            .send()
            .await
            .unwrap();
        let want = if i < 5 {
            "bad_credentials"
        } else {
            "too_many_attempts"
        };
        assert!(location(&r).contains(want), "{b:?} {i}: {}", location(&r));
    }
    // A new browser of hers is a stranger too, for now…
    let r = browser()
        .post(app.url("/auth/login"))
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(
        location(&r).contains("too_many_attempts"),
        "{b:?}: {}",
        location(&r)
    );
    // …but her laptop still signs in.
    let r = laptop
        .post(app.url("/auth/login"))
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/network", "{b:?}: signed in");
    // Her laptop's own wrong guesses are limited on their own.
    app.post_form(&laptop, "/auth/logout", &[]).await;
    let mut limited = false;
    for _ in 0..6 {
        let r = laptop
            .post(app.url("/auth/login"))
            .form(&[("email", "ada@example.com"), ("password", "wrong password")])
            .send()
            .await
            .unwrap();
        limited |= location(&r).contains("too_many_attempts");
    }
    assert!(limited, "{b:?}");
    // A device cookie of someone else's counts for nothing.
    let r = browser()
        .post(app.url("/auth/login"))
        .header("cookie", format!("netlines_device={}", "ab".repeat(32)))
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(location(&r).contains("too_many_attempts"), "{b:?}");
}

#[both_databases]
async fn more_accounts_are_neither_more_accounts_than_allowed_nor_more_conversations(b: Backend) {
    let w = world_with(&b, Options::default()).await;
    let app = &w.app;
    let db = &app.state.db;
    // Cleo works in Borealis; she creates accounts until the cap (20 by default).
    let (cleo, _) = w.client(Who::Customer).await;
    let mut refused = None;
    for i in 0..25 {
        let r = app
            .post_form(
                &cleo,
                "/accounts",
                &[
                    ("account_name", &format!("Shell {i}")),
                    ("slug", &format!("shell-{i}")),
                ],
            )
            .await;
        if location(&r).contains("account_limit") {
            refused = Some(i);
            break;
        }
    }
    assert_eq!(refused, Some(19), "{b:?}: 1 + 19 accounts, then refused");
    assert_eq!(
        app.count(&format!("memberships WHERE user_id = {}", w.id(Who::Customer).0))
            .await,
        20
    );
    // The channel allows 5 conversations at once with a person: writing from her
    // other accounts does not make it more.
    let open_before = app
        .count(&format!(
            "conversations WHERE customer_user_id = {} AND status <> 'closed'",
            w.id(Who::Customer).0
        ))
        .await;
    let mut opened = open_before;
    let mut limited = false;
    for i in 0..8 {
        let su = app::api::SessionUser {
            id: w.id(Who::Customer),
            email: "cleo@borealis.test".into(),
            name: "Cleo".into(),
            time_zone: None,
        };
        let customer = conv::customer(db, &su, &format!("shell-{i}")).await.unwrap();
        let r = customer_send(
            db,
            app.state.hub.as_ref(),
            &customer,
            &w.code,
            Target::New,
            &cid(),
            &MessageBody::parse("from another account").unwrap(),
        )
        .await;
        match r {
            Ok(_) => opened += 1,
            Err(e) => {
                assert_eq!(e.code(), app::error::Code::ConversationLimit, "{b:?}");
                limited = true;
            }
        }
    }
    assert!(limited && opened == 5, "{b:?}: {opened} open");
}

#[tokio::test]
async fn admins_see_their_accounts_storage_and_nobody_else_does() {
    let w = world_with(&Backend::Sqlite, Options::default()).await;
    let (anna, _) = w.client(Who::Admin).await;
    let (_, html) = w.app.get_html(&anna, "/a/acme").await;
    assert!(
        html.contains("Storage for files") && html.contains("<meter"),
        "{html}"
    );
    let (olek, _) = w.client(Who::Operator).await;
    let (_, html) = w.app.get_html(&olek, "/a/acme").await;
    assert!(!html.contains("Storage for files"));
    let v = w
        .app
        .server_fn(&anna, "account_page", &[("slug", "acme")])
        .await
        .unwrap();
    assert_eq!(v["storage"]["used"], 0);
    assert!(v["storage"]["quota"].as_i64().unwrap() > 0);
    let v = w
        .app
        .server_fn(&olek, "account_page", &[("slug", "acme")])
        .await
        .unwrap();
    assert!(v["storage"].is_null(), "{v}");
}

#[both_databases]
async fn refused_forms_come_back_filled_in_from_the_server_never_through_the_url(b: Backend) {
    use app::backend::services::refills::{MAX_VALUE_CHARS, WRITES_BURST};
    let app = spawn(&b).await;
    let rita = browser();
    app.register(&rita, "rita@example.com", "Rita").await;
    // A 1.5 MB field: refused, and the address carries the error only.
    let huge = "q".repeat(1_500_000);
    let r = app
        .post_form(
            &rita,
            "/accounts",
            &[("account_name", &huge), ("slug", "kept-slug")],
        )
        .await;
    let to = location(&r);
    assert_eq!(to, "/accounts/new?error=too_long&field=account_name", "{b:?}");
    // The page shows what was typed (as much as a refill keeps), from the server.
    let (_, html) = app.get_html(&rita, &to).await;
    assert!(html.contains(r#"value="kept-slug""#), "{b:?}: slug refilled");
    assert!(
        html.contains(&"q".repeat(MAX_VALUE_CHARS)) && !html.contains(&"q".repeat(MAX_VALUE_CHARS + 1)),
        "{b:?}: the name refilled up to the bound"
    );
    assert_eq!(app.count("form_refills").await, 1, "{b:?}");
    // Only this browser, only on the page showing the error.
    let (_, html) = app.get_html(&browser(), &to).await;
    assert!(!html.contains("kept-slug"), "{b:?}: another browser sees nothing");
    let (_, html) = app.get_html(&rita, "/accounts/new").await;
    assert!(!html.contains("kept-slug"), "{b:?}: not without the error");
    // Values in the address fill nothing.
    let (_, html) = app
        .get_html(&rita, "/accounts/new?error=required&field=slug&slug=planted-slug")
        .await;
    assert!(
        !html.contains(r#"value="planted-slug""#),
        "{b:?}: ?slug= is ignored"
    );
    // A second refusal from the same browser replaces the first.
    let r = app
        .post_form(
            &rita,
            "/accounts",
            &[("account_name", "Fine"), ("slug", "Bad Slug!")],
        )
        .await;
    let to = location(&r);
    assert!(to.starts_with("/accounts/new?error=slug_chars"), "{b:?}: {to}");
    // …and renews the cookie's life with the row's.
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("netlines_refill=")),
        "{b:?}: the refill cookie is set again"
    );
    let (_, html) = app.get_html(&rita, &to).await;
    assert!(html.contains(r#"value="Bad Slug!""#), "{b:?}");
    assert!(!html.contains("kept-slug"), "{b:?}");
    assert_eq!(app.count("form_refills").await, 1, "{b:?}");
    // Signing out forgets it: the next person at this browser sees nothing.
    app.post_form(&rita, "/auth/logout", &[]).await;
    assert_eq!(app.count("form_refills").await, 0, "{b:?}");
    // Strangers without cookies cannot fill the table: writes are limited per address.
    for i in 0..(WRITES_BURST + 15) {
        let r = app
            .post_form(
                &browser(),
                "/auth/login",
                &[("email", &format!("nobody{i}@example.com")), ("password", "x")],
            )
            .await;
        assert!(
            location(&r).starts_with("/login?error="),
            "{b:?}: {}",
            location(&r)
        );
        assert!(!location(&r).contains("nobody"), "{b:?}");
    }
    let rows = app.count("form_refills").await;
    assert!(
        rows <= WRITES_BURST as i64,
        "{b:?}: {rows} refills kept from one address"
    );
    assert!(rows >= 5, "{b:?}: {rows}");
}
