//! API tests: the customer's way in (link → account picker → chat page), the chat form
//! without JavaScript, and the WebSocket (acks, idempotent resends, live delivery,
//! resume after a disconnect, Origin and session checks).

use crate::harness::*;
use app::protocol::{ClientMsg, ServerMsg};
use futures::{SinkExt, StreamExt};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

struct World {
    app: TestApp,
    admin: Client,
    operator: Client,
    cleo: Client,
    cleo_cookie: String,
    code: String,
    channel_id: i64,
}

/// Registers through a plain request and returns the session cookie (`name=value`).
async fn register_with_cookie(app: &TestApp, c: &Client, email: &str, name: &str) -> String {
    let r = app
        .post_form(
            c,
            "/auth/register",
            &[("email", email), ("name", name), ("password", PASSWORD)],
        )
        .await;
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    set.split(';').next().unwrap().to_string()
}

/// Acme (Anna admin, Olek operator in the queue) has a connected channel with a welcome
/// message; Cleo works in Borealis and, as an employee, in Acme too.
async fn world(b: &Backend) -> World {
    let app = spawn(b).await;
    let (admin, operator, cleo) = (browser(), browser(), browser());
    app.register(&admin, "anna@acme.test", "Anna").await;
    app.register(&operator, "olek@acme.test", "Olek").await;
    let cleo_cookie = register_with_cookie(&app, &cleo, "cleo@borealis.test", "Cleo").await;
    app.create_account(&admin, "Acme", "acme").await;
    app.create_account(&cleo, "Borealis", "borealis").await;
    for (email, role, invitee) in [
        ("olek@acme.test", "operator", &operator),
        ("cleo@borealis.test", "employee", &cleo),
    ] {
        app.invite_and_accept(&admin, "acme", email, role, invitee).await;
    }
    let to = location(
        &app.post_form(
            &admin,
            "/a/acme/contact-center/network/connect",
            &[("channel", "new"), ("new_channel_name", "Support")],
        )
        .await,
    );
    let id: i64 = to
        .split('/')
        .nth(6)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let form = [
        ("name", "Acme Support"),
        ("welcome_message", "Hello!"),
        ("multi_chat", "1"),
        ("chat_limit", "2"),
        ("ask_rating", "1"),
    ]
    .iter()
    .fold(reqwest::multipart::Form::new(), |f, (k, v)| {
        f.text(k.to_string(), v.to_string())
    });
    admin
        .post(app.url(&format!("/a/acme/contact-center/network/settings/{id}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let olek = app.server_fn(&operator, "current_user", &[]).await.unwrap()["id"].to_string();
    admin
        .post(app.url(&format!("/a/acme/contact-center/channels/{id}/operators")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("operator={olek}"))
        .send()
        .await
        .unwrap();
    let s = app
        .server_fn(
            &admin,
            "connector_settings",
            &[("slug", "acme"), ("channel", &id.to_string())],
        )
        .await
        .unwrap();
    let code = s["code"].as_str().unwrap().to_string();
    World {
        app,
        admin,
        operator,
        cleo,
        cleo_cookie,
        channel_id: id,
        code,
    }
}

#[both_databases]
async fn the_link_lists_the_users_accounts_with_the_channels_own_account_disabled(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let dialog = format!("networkLines{}", w.code);
    let p = app
        .server_fn(&w.cleo, "picker", &[("dialog", &dialog)])
        .await
        .unwrap();
    let accounts: Vec<(String, Value)> = p["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["slug"].as_str().unwrap().to_string(), a["disabled"].clone()))
        .collect();
    assert_eq!(
        accounts,
        vec![
            ("acme".to_string(), serde_json::json!("own_account")),
            ("borealis".to_string(), Value::Null)
        ],
        "{b:?}"
    );
    let (status, html) = app
        .get_html(&w.cleo, &format!("/oauth/select/?preset=im&IM_DIALOG={dialog}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Write from which account?"));
    assert!(
        html.contains(&format!(r#"href="/chat/{}/borealis""#, w.code)),
        "{html}"
    );
    assert!(!html.contains(&format!(r#"href="/chat/{}/acme""#, w.code)));
    assert!(
        html.contains("This is the channel&#x27;s own account")
            || html.contains("This is the channel's own account")
    );

    // Someone who works nowhere is offered to create an account.
    let lone = browser();
    app.register(&lone, "lone@example.com", "Lone").await;
    let (_, html) = app
        .get_html(&lone, &format!("/oauth/select/?preset=im&IM_DIALOG={dialog}"))
        .await;
    assert!(html.contains("You do not work in any account yet."), "{html}");

    // A visitor who is not signed in sees whom they would contact, and the way in;
    // never anyone's accounts.
    let stranger = browser();
    let p = app
        .server_fn(&stranger, "picker", &[("dialog", &dialog)])
        .await
        .unwrap();
    assert_eq!(p["signed_in"], false, "{b:?}");
    assert_eq!(p["accounts"], serde_json::json!([]));
    assert_eq!(
        (p["card"]["name"].as_str(), p["card"]["welcome"].as_str()),
        (Some("Acme Support"), Some("Hello!"))
    );
    let (status, html) = app
        .get_html(&stranger, &format!("/oauth/select/?preset=im&IM_DIALOG={dialog}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Acme Support") && html.contains("Hello!"), "{html}");
    assert!(
        html.contains("Sign in to write") && html.contains("/login?next=%2Foauth%2Fselect%2F"),
        "{html}"
    );
    assert!(!html.contains("Write from which account?"));
    // An unknown code is still a 404 for them.
    let (status, _) = app
        .get_html(
            &stranger,
            "/oauth/select/?preset=im&IM_DIALOG=networkLines0123456789abcdef0123456789abcdef",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[both_databases]
async fn the_chat_works_as_a_plain_form_and_a_resubmitted_form_is_stored_once(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let page = format!("/chat/{}/borealis", w.code);
    let (status, html) = app.get_html(&w.cleo, &page).await;
    assert_eq!(status, StatusCode::OK, "{b:?}");
    // Before the first message: the channel's card and its welcome message.
    assert!(html.contains("Acme Support") && html.contains("Hello!"));
    let form = [
        ("current", "new"),
        ("client_id", "form-0001"),
        ("body", "Where is my parcel?"),
    ];
    let r = app.post_form(&w.cleo, &format!("{page}/send"), &form).await;
    let to = location(&r);
    assert!(to.starts_with(&format!("{page}?c=")), "{to}");
    let again = app.post_form(&w.cleo, &format!("{page}/send"), &form).await;
    assert_eq!(location(&again), to, "the same form twice: one message");
    let (_, html) = app.get_html(&w.cleo, &to).await;
    assert!(
        html.contains("Hello!") && html.contains("Where is my parcel?"),
        "{html}"
    );
    assert_eq!(app.count("messages").await, 2, "welcome + one message");

    // Blank and over-long messages are refused with the reason; nothing stored.
    let conv = to
        .split("c=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    let r = app
        .post_form(
            &w.cleo,
            &format!("{page}/send"),
            &[("current", &conv), ("client_id", "form-0002"), ("body", "   ")],
        )
        .await;
    assert!(
        location(&r).contains("error=required&field=body"),
        "{}",
        location(&r)
    );
    let long = "x".repeat(4001);
    let r = app
        .post_form(
            &w.cleo,
            &format!("{page}/send"),
            &[("current", &conv), ("client_id", "form-0003"), ("body", &long)],
        )
        .await;
    assert!(location(&r).contains("error=too_long&field=body"));
    assert_eq!(app.count("messages").await, 2);

    // The limit (2) holds for new conversations started from the form.
    let r = app
        .post_form(
            &w.cleo,
            &format!("{page}/send"),
            &[
                ("current", &conv),
                ("new_conversation", "1"),
                ("client_id", "form-0004"),
                ("body", "Second topic"),
            ],
        )
        .await;
    assert!(!location(&r).contains("error"), "{}", location(&r));
    let r = app
        .post_form(
            &w.cleo,
            &format!("{page}/send"),
            &[
                ("current", &conv),
                ("new_conversation", "1"),
                ("client_id", "form-0005"),
                ("body", "Third topic"),
            ],
        )
        .await;
    assert!(
        location(&r).contains("error=conversation_limit"),
        "{}",
        location(&r)
    );
    let (_, html) = app.get_html(&w.cleo, &location(&r)).await;
    assert!(html.contains("You have reached the limit of simultaneous conversations"));

    // Another user of Borealis cannot see Cleo's conversation even with its id.
    let bob = browser();
    app.register(&bob, "bob@borealis.test", "Bob").await;
    app.invite_and_accept(&w.cleo, "borealis", "bob@borealis.test", "employee", &bob)
        .await;
    let (_, html) = app.get_html(&bob, &format!("{page}?c={conv}")).await;
    assert!(!html.contains("Where is my parcel?"));
    // Writing from the channel's own account is refused.
    let (_, html) = app.get_html(&w.cleo, &format!("/chat/{}/acme", w.code)).await;
    assert!(html.contains("This is the channel"), "{html}");
    // Writing from an account one does not work in: not found.
    let (status, _) = app.get_html(&bob, &format!("/chat/{}/acme", w.code)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[both_databases]
async fn a_customer_finishes_their_own_conversation_and_nobody_else_can(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let page = format!("/chat/{}/borealis", w.code);
    let r = app
        .post_form(
            &w.cleo,
            &format!("{page}/send"),
            &[
                ("current", "new"),
                ("client_id", "fin-0001"),
                ("body", "Thanks, that was all"),
            ],
        )
        .await;
    let to = location(&r);
    let conv = to
        .split("c=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    let closed_notice = "This conversation is closed.";
    let (_, html) = app.get_html(&w.cleo, &to).await;
    assert!(
        html.contains("Finish this conversation") && !html.contains(closed_notice),
        "{b:?}"
    );

    // Another employee of Borealis, with Cleo's conversation id: not found, nothing changes.
    let bob = browser();
    app.register(&bob, "bob@borealis.test", "Bob").await;
    app.invite_and_accept(&w.cleo, "borealis", "bob@borealis.test", "employee", &bob)
        .await;
    let r = app
        .post_form(&bob, &format!("{page}/finish"), &[("current", &conv)])
        .await;
    assert_eq!(location(&r), format!("{page}?c={conv}&error=not_found"), "{b:?}");
    // Signed out: to the sign-in page. A made-up id: not found.
    let r = app
        .post_form(&browser(), &format!("{page}/finish"), &[("current", &conv)])
        .await;
    assert!(location(&r).starts_with("/login?next="), "{}", location(&r));
    let r = app
        .post_form(&w.cleo, &format!("{page}/finish"), &[("current", "<x>")])
        .await;
    assert_eq!(location(&r), format!("{page}?error=not_found"));
    let (_, html) = app.get_html(&w.cleo, &to).await;
    assert!(!html.contains(closed_notice), "still open: {b:?}");

    // A foreign page cannot finish it with Cleo's cookie.
    let r = w
        .cleo
        .post(app.url(&format!("{page}/finish")))
        .header("origin", "http://evil.example")
        .form(&[("current", conv.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{b:?}");
    let (_, html) = app.get_html(&w.cleo, &to).await;
    assert!(
        !html.contains(closed_notice),
        "still open after a cross-origin post: {b:?}"
    );

    // Cleo finishes it: closed for her, and finishing again changes nothing.
    let r = app
        .post_form(&w.cleo, &format!("{page}/finish"), &[("current", &conv)])
        .await;
    assert_eq!(location(&r), format!("{page}?c={conv}"), "{b:?}");
    let (_, html) = app.get_html(&w.cleo, &location(&r)).await;
    assert!(
        html.contains(closed_notice) && !html.contains("Finish this conversation"),
        "{b:?}"
    );
    let r = app
        .post_form(&w.cleo, &format!("{page}/finish"), &[("current", &conv)])
        .await;
    assert_eq!(location(&r), format!("{page}?c={conv}"));
    // Nothing more can be written into it (the page posts the next message as a new one).
    let r = app
        .post_form(
            &w.cleo,
            &format!("{page}/send"),
            &[
                ("current", &conv),
                ("client_id", "fin-0002"),
                ("body", "One more thing"),
            ],
        )
        .await;
    assert!(
        location(&r).contains("error=conversation_closed"),
        "{}",
        location(&r)
    );
}

async fn ws_connect(app: &TestApp, cookie: &str, code: &str, origin: Option<&str>) -> Result<Ws, u16> {
    app.ws(&format!("/ws?code={code}&account=borealis"), cookie, origin)
        .await
}

async fn send(ws: &mut Ws, m: &ClientMsg) {
    ws.send(Message::Text(serde_json::to_string(m).unwrap().into()))
        .await
        .unwrap();
}

async fn next(ws: &mut Ws) -> ServerMsg {
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// Reads until a message with `seq` arrives; returns every message seen, in order.
async fn until_seq(ws: &mut Ws, seq: i64) -> Vec<(i64, String)> {
    let mut seen = Vec::new();
    loop {
        if let ServerMsg::Message { message } = next(ws).await {
            seen.push((message.seq, message.body.clone()));
            if message.seq >= seq {
                return seen;
            }
        }
    }
}

#[both_databases]
async fn the_websocket_acks_once_delivers_live_and_resumes_exactly_what_was_missed(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let mut ws = ws_connect(app, &w.cleo_cookie, &w.code, None).await.unwrap();
    let first = ClientMsg::Send {
        client_id: "ws-msg-0001".into(),
        conversation: None,
        body: "Hi over the socket".into(),
    };
    send(&mut ws, &first).await;
    let (conv, seq) = loop {
        if let ServerMsg::Ack {
            client_id,
            conversation,
            seq,
            ..
        } = next(&mut ws).await
        {
            assert_eq!(client_id, "ws-msg-0001");
            break (conversation, seq);
        }
    };
    assert_eq!(seq, 2, "{b:?}: after the welcome message");
    // A resend (e.g. after a lost ack) is acknowledged with the same seq, stored once.
    send(&mut ws, &first).await;
    loop {
        if let ServerMsg::Ack {
            seq: again,
            conversation,
            ..
        } = next(&mut ws).await
        {
            assert_eq!((conversation, again), (conv, seq));
            break;
        }
    }
    send(
        &mut ws,
        &ClientMsg::Resume {
            conversation: conv,
            since_seq: 0,
        },
    )
    .await;
    assert_eq!(
        until_seq(&mut ws, 2).await,
        vec![(1, "Hello!".into()), (2, "Hi over the socket".into())]
    );

    // The operator answers (through the API until the inbox exists): live.
    let reply = |n: &str| {
        let body = format!("Reply {n}");
        let cid = format!("op-reply-{n}-x");
        let conv = conv.to_string();
        let c = w.operator.clone();
        let url = app.url("/api/operator_reply");
        async move {
            let r = c
                .post(url)
                .form(&[
                    ("slug", "acme"),
                    ("conversation", conv.as_str()),
                    ("client_id", cid.as_str()),
                    ("body", body.as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        }
    };
    reply("1").await;
    assert_eq!(until_seq(&mut ws, 3).await, vec![(3, "Reply 1".into())]);

    // Disconnected while two more arrive; on resume exactly those two, in order.
    drop(ws);
    reply("2").await;
    reply("3").await;
    let mut ws = ws_connect(app, &w.cleo_cookie, &w.code, None).await.unwrap();
    send(
        &mut ws,
        &ClientMsg::Resume {
            conversation: conv,
            since_seq: 3,
        },
    )
    .await;
    assert_eq!(
        until_seq(&mut ws, 5).await,
        vec![(4, "Reply 2".into()), (5, "Reply 3".into())]
    );
    reply("4").await;
    assert_eq!(
        until_seq(&mut ws, 6).await,
        vec![(6, "Reply 4".into())],
        "then live again, no repeats"
    );
    assert_eq!(app.count("messages").await, 6);

    // An invalid message gets an error and stores nothing.
    send(
        &mut ws,
        &ClientMsg::Send {
            client_id: "ws-msg-0002".into(),
            conversation: Some(conv),
            body: "  ".into(),
        },
    )
    .await;
    loop {
        if let ServerMsg::Error { client_id, error } = next(&mut ws).await {
            assert_eq!(client_id.as_deref(), Some("ws-msg-0002"));
            assert_eq!(error.code(), app::error::Code::Required);
            break;
        }
    }
    assert_eq!(app.count("messages").await, 6);
    let _ = &w.admin;
}

#[tokio::test]
async fn the_websocket_checks_the_origin_the_session_and_whose_conversation_it_is() {
    let w = world(&Backend::Sqlite).await;
    let app = &w.app;
    assert_eq!(
        ws_connect(app, &w.cleo_cookie, &w.code, Some("https://evil.example"))
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        ws_connect(app, "netlines_session=nope", &w.code, None)
            .await
            .err(),
        Some(401)
    );
    // Cleo's conversation…
    let mut ws = ws_connect(app, &w.cleo_cookie, &w.code, None).await.unwrap();
    send(
        &mut ws,
        &ClientMsg::Send {
            client_id: "ws-msg-0100".into(),
            conversation: None,
            body: "secret".into(),
        },
    )
    .await;
    let conv = loop {
        if let ServerMsg::Ack { conversation, .. } = next(&mut ws).await {
            break conversation;
        }
    };
    // …is not Bob's, although he works in the same account.
    let bob = browser();
    let bob_cookie = register_with_cookie(app, &bob, "bob@borealis.test", "Bob").await;
    app.invite_and_accept(&w.cleo, "borealis", "bob@borealis.test", "employee", &bob)
        .await;
    let mut bob_ws = ws_connect(app, &bob_cookie, &w.code, None).await.unwrap();
    send(
        &mut bob_ws,
        &ClientMsg::Resume {
            conversation: conv,
            since_seq: 0,
        },
    )
    .await;
    match next(&mut bob_ws).await {
        ServerMsg::Error { error, .. } => assert_eq!(error, app::error::AppError::NotFound),
        other => panic!("Bob got {other:?}"),
    }
    send(
        &mut bob_ws,
        &ClientMsg::Send {
            client_id: "ws-msg-0101".into(),
            conversation: Some(conv),
            body: "intrusion".into(),
        },
    )
    .await;
    match next(&mut bob_ws).await {
        ServerMsg::Error { error, .. } => assert_eq!(error, app::error::AppError::NotFound),
        other => panic!("Bob got {other:?}"),
    }
}

#[tokio::test]
async fn long_histories_are_paged_newest_last_with_older_pages_on_request() {
    let w = world(&Backend::Sqlite).await;
    let app = &w.app;
    let page = format!("/chat/{}/borealis", w.code);
    let mut to = String::new();
    for i in 1..=60 {
        let (cur, new) = if i == 1 {
            ("new".to_string(), "1")
        } else {
            (
                to.split("c=")
                    .nth(1)
                    .unwrap()
                    .split('#')
                    .next()
                    .unwrap()
                    .to_string(),
                "",
            )
        };
        let cid = format!("page-msg-{i:04}");
        let body = format!("message number {i}");
        let mut form = vec![
            ("current", cur.as_str()),
            ("client_id", cid.as_str()),
            ("body", body.as_str()),
        ];
        if !new.is_empty() {
            form.push(("new_conversation", new));
        }
        to = location(&app.post_form(&w.cleo, &format!("{page}/send"), &form).await);
    }
    let conv = to
        .split("c=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    let v = app
        .server_fn(
            &w.cleo,
            "chat_page",
            &[("code", &w.code), ("slug", "borealis"), ("conversation", &conv)],
        )
        .await
        .unwrap();
    let seqs: Vec<i64> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (12..=61).collect::<Vec<_>>(), "the newest 50, oldest first");
    assert_eq!(v["has_older"], true);
    let older = app
        .server_fn(
            &w.cleo,
            "older_messages",
            &[
                ("code", &w.code),
                ("slug", "borealis"),
                ("conversation", &conv),
                ("before_seq", "12"),
            ],
        )
        .await
        .unwrap();
    let seqs: Vec<i64> = older
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=11).collect::<Vec<_>>());
    // Without JavaScript, the "older" link renders the earlier page.
    let (_, html) = app.get_html(&w.cleo, &format!("{page}?c={conv}&before=12")).await;
    assert!(
        html.contains("message number 1<") && !html.contains("message number 60<"),
        "{html}"
    );
    let (_, html) = app.get_html(&w.cleo, &format!("{page}?c={conv}")).await;
    assert!(html.contains("Load older messages") && html.contains("message number 60<"));
}

#[tokio::test]
async fn a_closed_conversation_is_read_only_and_writing_again_opens_a_new_one() {
    let w = world(&Backend::Sqlite).await;
    let app = &w.app;
    // One conversation at a time.
    let cc = app
        .server_fn(&w.admin, "contact_center", &[("slug", "acme")])
        .await
        .unwrap();
    let id = cc["channels"][0]["id"].as_i64().unwrap();
    let form = reqwest::multipart::Form::new()
        .text("name", "Acme Support")
        .text("welcome_message", "Hello!");
    w.admin
        .post(app.url(&format!("/a/acme/contact-center/network/settings/{id}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let page = format!("/chat/{}/borealis", w.code);
    let first = location(
        &app.post_form(
            &w.cleo,
            &format!("{page}/send"),
            &[
                ("current", "new"),
                ("client_id", "closed-0001"),
                ("body", "Topic one"),
            ],
        )
        .await,
    );
    let first_id = first
        .split("c=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    let second = location(
        &app.post_form(
            &w.cleo,
            &format!("{page}/send"),
            &[
                ("current", &first_id),
                ("new_conversation", "1"),
                ("client_id", "closed-0002"),
                ("body", "Topic two"),
            ],
        )
        .await,
    );
    assert_ne!(first, second);
    let (_, html) = app.get_html(&w.cleo, &format!("{page}?c={first_id}")).await;
    assert!(
        html.contains("This conversation is closed. Writing again starts a new conversation."),
        "{html}"
    );
    assert!(
        html.contains(r#"name="current" value="new""#),
        "the form writes to a new conversation"
    );
    assert!(html.contains("Closed"));
    // Posting to the closed one directly is refused.
    let r = app
        .post_form(
            &w.cleo,
            &format!("{page}/send"),
            &[
                ("current", &first_id),
                ("client_id", "closed-0003"),
                ("body", "Late"),
            ],
        )
        .await;
    assert!(
        location(&r).contains("error=conversation_closed"),
        "{}",
        location(&r)
    );
}

/// Cleo writes (a new conversation) and finishes it herself; returns its id.
async fn finished_conversation(w: &World, cid: &str) -> String {
    let app = &w.app;
    let page = format!("/chat/{}/borealis", w.code);
    let r = app
        .post_form(
            &w.cleo,
            &format!("{page}/send"),
            &[("current", "new"), ("client_id", cid), ("body", "Question")],
        )
        .await;
    let conv = location(&r)
        .split("c=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    let r = app
        .post_form(&w.cleo, &format!("{page}/finish"), &[("current", &conv)])
        .await;
    assert_eq!(location(&r), format!("{page}?c={conv}"));
    conv
}

#[both_databases]
async fn a_customer_rates_a_finished_conversation_once_and_operators_see_it(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let page = format!("/chat/{}/borealis", w.code);
    let rate = format!("{page}/rate");
    // An open conversation cannot be rated yet.
    let r = app
        .post_form(
            &w.cleo,
            &format!("{page}/send"),
            &[("current", "new"), ("client_id", "rate-0001"), ("body", "Hi")],
        )
        .await;
    let open = location(&r)
        .split("c=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    let r = app
        .post_form(&w.cleo, &rate, &[("current", &open), ("rating", "like")])
        .await;
    assert_eq!(
        location(&r),
        format!("{page}?c={open}&error=not_finished&field=conversation"),
        "{b:?}"
    );
    app.post_form(&w.cleo, &format!("{page}/finish"), &[("current", &open)])
        .await;

    // Finished: the page asks for a rating.
    let (_, html) = app.get_html(&w.cleo, &format!("{page}?c={open}")).await;
    assert!(html.contains("How was this conversation?"), "{b:?}");
    // Bad input: the field and the reason, nothing stored.
    for (form, expected) in [
        (vec![("current", open.as_str())], "error=required&field=rating"),
        (
            vec![("current", open.as_str()), ("rating", "meh")],
            "error=invalid_format&field=rating",
        ),
    ] {
        let r = app.post_form(&w.cleo, &rate, &form).await;
        assert!(location(&r).contains(expected), "{}", location(&r));
    }
    let long = "ż".repeat(1001);
    let r = app
        .post_form(
            &w.cleo,
            &rate,
            &[("current", &open), ("rating", "like"), ("comment", &long)],
        )
        .await;
    assert!(
        location(&r).contains("error=too_long&field=comment"),
        "{}",
        location(&r)
    );
    // Someone else (another employee of Borealis, the operator, signed out) cannot.
    let bob = browser();
    app.register(&bob, "bob@borealis.test", "Bob").await;
    app.invite_and_accept(&w.cleo, "borealis", "bob@borealis.test", "employee", &bob)
        .await;
    let r = app
        .post_form(&bob, &rate, &[("current", &open), ("rating", "dislike")])
        .await;
    assert_eq!(location(&r), format!("{page}?c={open}&error=not_found"), "{b:?}");
    let r = app
        .post_form(&w.operator, &rate, &[("current", &open), ("rating", "dislike")])
        .await;
    assert!(location(&r).contains("error=not_found"), "{}", location(&r));
    let r = app
        .post_form(&browser(), &rate, &[("current", &open), ("rating", "dislike")])
        .await;
    assert!(location(&r).starts_with("/login?next="), "{}", location(&r));
    let r = w
        .cleo
        .post(app.url(&rate))
        .header("origin", "http://evil.example")
        .form(&[("current", open.as_str()), ("rating", "dislike")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let inbox = app
        .server_fn(
            &w.operator,
            "inbox_conversation",
            &[("slug", "acme"), ("conversation", &open)],
        )
        .await
        .unwrap();
    assert_eq!(
        inbox["conversation"]["rating"],
        Value::Null,
        "nothing stored: {b:?}"
    );

    // Cleo rates it, with a comment; once.
    let r = app
        .post_form(
            &w.cleo,
            &rate,
            &[
                ("current", &open),
                ("rating", "like"),
                ("comment", "  Quick and kind <b>!</b> "),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("{page}?c={open}&ok=rated"), "{b:?}");
    let r = app
        .post_form(&w.cleo, &rate, &[("current", &open), ("rating", "dislike")])
        .await;
    assert!(location(&r).contains("error=already_rated"), "{}", location(&r));
    let inbox = app
        .server_fn(
            &w.operator,
            "inbox_conversation",
            &[("slug", "acme"), ("conversation", &open)],
        )
        .await
        .unwrap();
    assert_eq!(inbox["conversation"]["rating"], "like", "{b:?}");
    assert_eq!(inbox["conversation"]["rating_comment"], "Quick and kind <b>!</b>");
    let (_, html) = app.get_html(&w.cleo, &format!("{page}?c={open}")).await;
    assert!(html.contains("You rated this conversation") && !html.contains("How was this conversation?"));
    assert!(!html.contains("<b>!</b>"), "the comment is escaped");

    // The channel's settings switch the request off: no form, and a post is refused.
    let form = [
        ("name", "Acme Support"),
        ("welcome_message", "Hello!"),
        ("multi_chat", "1"),
        ("chat_limit", "2"),
    ]
    .iter()
    .fold(reqwest::multipart::Form::new(), |f, (k, v)| {
        f.text(k.to_string(), v.to_string())
    });
    let r = w
        .admin
        .post(app.url(&format!(
            "/a/acme/contact-center/network/settings/{}",
            w.channel_id
        )))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(location(&r).contains("ok=settings_saved"), "{}", location(&r));
    let other = finished_conversation(&w, "rate-0002").await;
    let (_, html) = app.get_html(&w.cleo, &format!("{page}?c={other}")).await;
    assert!(!html.contains("How was this conversation?"), "{b:?}");
    let r = app
        .post_form(&w.cleo, &rate, &[("current", &other), ("rating", "like")])
        .await;
    assert!(location(&r).contains("error=rating_off"), "{}", location(&r));
}
