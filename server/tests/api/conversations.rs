//! The messaging core (service level, real database): conversation rules, the limit
//! under 50 concurrent attempts, idempotent resends, sequence numbers, resume, live
//! fan-out after commit, and isolation. SQLite always, PostgreSQL too when configured.

use crate::harness::*;
use app::api::SessionUser;
use app::backend::hub::Topic;
use app::backend::messaging::Target;
use app::backend::principal::Actor;
use app::backend::principal::Customer;
use app::backend::principal::Viewer;
use app::backend::services::accounts;
use app::backend::services::channels;
use app::backend::services::conversations as conv;
use app::domain::channel::ChannelCode;
use app::domain::conversation::{Author, ClientMsgId, ConversationStatus, MessageBody};
use app::domain::{AccountName, Role, Slug};
use app::error::{AppError, Code};
use app::protocol::ServerMsg;
use std::sync::atomic::{AtomicU32, Ordering};

struct World {
    app: TestApp,
    admin: Actor,
    operator: Actor,
    code: ChannelCode,
    cleo: Customer,
}

async fn user(app: &TestApp, email: &str, name: &str) -> SessionUser {
    app.user(email, name).await
}

fn id() -> ClientMsgId {
    static N: AtomicU32 = AtomicU32::new(0);
    ClientMsgId::parse(&format!("client-{:08}", N.fetch_add(1, Ordering::SeqCst))).unwrap()
}

fn body(s: &str) -> MessageBody {
    MessageBody::parse(s).unwrap()
}

/// Acme's channel (welcome "Hello!", limit as given or one chat at a time), Olek in its
/// queue; Cleo writes from Borealis.
async fn world(b: &Backend, limit: Option<&str>) -> World {
    let app = spawn(b).await;
    let db = &app.state.db;
    let anna = user(&app, "anna@acme.test", "Anna").await;
    let olek = user(&app, "olek@acme.test", "Olek").await;
    let cleo = user(&app, "cleo@borealis.test", "Cleo").await;
    accounts::create(
        db,
        anna.id,
        &AccountName::parse("Acme").unwrap(),
        &Slug::parse("acme").unwrap(),
    )
    .await
    .unwrap();
    accounts::create(
        db,
        cleo.id,
        &AccountName::parse("Borealis").unwrap(),
        &Slug::parse("borealis").unwrap(),
    )
    .await
    .unwrap();
    let admin = accounts::actor(db, anna.id, "acme").await.unwrap();
    accounts::add_member(db, &admin, "olek@acme.test", Role::Operator)
        .await
        .unwrap();
    let (channel, code) = network_channel(db, &admin, "Support", &[olek.id], limit).await;
    let _ = channel;

    let operator = accounts::actor(db, olek.id, "acme").await.unwrap();
    let cleo = conv::customer(db, &cleo, "borealis").await.unwrap();
    World {
        app,
        admin,
        operator,
        code,
        cleo,
    }
}

async fn send(
    w: &World,
    target: Target,
    client: &ClientMsgId,
    text: &str,
) -> Result<app::backend::messaging::Ack, AppError> {
    customer_send(
        &w.app.state.db,
        w.app.state.hub.as_ref(),
        &w.cleo,
        &w.code,
        target,
        client,
        &body(text),
    )
    .await
}

#[both_databases]
async fn the_first_message_opens_a_conversation_after_the_welcome_message(b: Backend) {
    let w = world(&b, None).await;
    let ack = send(&w, Target::New, &id(), "Where is my parcel?").await.unwrap();
    assert_eq!(ack.seq, 2, "{b:?}: welcome is 1");
    let db = &w.app.state.db;
    let all = conv::messages_since(db, &Viewer::Customer(&w.cleo), ack.conversation, 0, 50)
        .await
        .unwrap();
    let got: Vec<(i64, Author, &str)> = all.iter().map(|m| (m.seq, m.author, m.body.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (1, Author::Channel, "Hello!"),
            (2, Author::Customer, "Where is my parcel?")
        ]
    );
    assert_eq!(all[0].author_name, "Acme Support");
    assert_eq!(all[1].author_name, "Cleo");
    let reply = operator_send(
        db,
        w.app.state.hub.as_ref(),
        &w.operator,
        "Olek",
        ack.conversation,
        &id(),
        &body("On its way!"),
    )
    .await
    .unwrap();
    assert_eq!(reply.seq, 3);
    let list = conv::customer_conversations(db, &w.cleo, &w.code).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].status, ConversationStatus::Open, "answered");
    let next = send(&w, Target::Existing(ack.conversation), &id(), "Thanks")
        .await
        .unwrap();
    assert_eq!(next.seq, 4);
}

#[both_databases]
async fn a_resent_message_is_stored_once_and_acknowledged_with_the_same_seq(b: Backend) {
    let w = world(&b, Some("3")).await;
    let first = id();
    let a = send(&w, Target::New, &first, "Hi").await.unwrap();
    let again = send(&w, Target::New, &first, "Hi").await.unwrap();
    assert_eq!(a, again, "{b:?}");
    let second = id();
    let b2 = send(&w, Target::Existing(a.conversation), &second, "More")
        .await
        .unwrap();
    assert_eq!(
        send(&w, Target::Existing(a.conversation), &second, "More")
            .await
            .unwrap(),
        b2
    );
    assert_eq!(w.app.count("conversations").await, 1);
    assert_eq!(w.app.count("messages").await, 3, "welcome + 2, no duplicates");
    // The operator's resend too.
    let db = &w.app.state.db;
    let hub = w.app.state.hub.as_ref();
    let op = id();
    let r1 = operator_send(db, hub, &w.operator, "Olek", a.conversation, &op, &body("Hello"))
        .await
        .unwrap();
    let r2 = operator_send(db, hub, &w.operator, "Olek", a.conversation, &op, &body("Hello"))
        .await
        .unwrap();
    assert_eq!(r1, r2);
    assert_eq!(w.app.count("messages").await, 4);
}

#[both_databases]
async fn with_multiple_chats_on_the_limit_refuses_one_more_conversation(b: Backend) {
    let w = world(&b, Some("2")).await;
    let a = send(&w, Target::New, &id(), "First question").await.unwrap();
    let c = send(&w, Target::New, &id(), "Second question").await.unwrap();
    assert_ne!(a.conversation, c.conversation);
    let err = send(&w, Target::New, &id(), "Third question").await.unwrap_err();
    assert_eq!(
        err,
        AppError::Limit {
            code: Code::ConversationLimit,
            retry_after_secs: 0
        },
        "{b:?}"
    );
    assert_eq!(w.app.count("conversations").await, 2);
    // Both earlier conversations stay open and writable.
    send(&w, Target::Existing(a.conversation), &id(), "still here")
        .await
        .unwrap();
}

#[both_databases]
async fn with_the_switch_off_a_new_conversation_closes_the_current_one(b: Backend) {
    let w = world(&b, None).await;
    let a = send(&w, Target::New, &id(), "First").await.unwrap();
    let c = send(&w, Target::New, &id(), "Second").await.unwrap();
    let list = conv::customer_conversations(&w.app.state.db, &w.cleo, &w.code)
        .await
        .unwrap();
    let status = |id| list.iter().find(|v| v.id == id).unwrap().status;
    assert_eq!(status(a.conversation), ConversationStatus::Closed, "{b:?}");
    assert_eq!(status(c.conversation), ConversationStatus::New);
    let err = send(&w, Target::Existing(a.conversation), &id(), "late")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ConversationClosed);
}

#[both_databases]
async fn fifty_concurrent_attempts_never_exceed_the_limit(b: Backend) {
    for (limit, expected_open) in [(Some("3"), 3usize), (None, 1usize)] {
        let w = std::sync::Arc::new(world(&b, limit).await);
        let mut tasks = Vec::new();
        for i in 0..50 {
            let w = w.clone();
            tasks.push(tokio::spawn(async move {
                send(&w, Target::New, &id(), &format!("attempt {i}")).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(AppError::Limit {
                    code: Code::ConversationLimit,
                    ..
                }) => {}
                Err(e) => panic!("{b:?}: unexpected {e:?}"),
            }
        }
        let list = conv::customer_conversations(&w.app.state.db, &w.cleo, &w.code)
            .await
            .unwrap();
        let open = list
            .iter()
            .filter(|c| c.status != ConversationStatus::Closed)
            .count();
        assert_eq!(open, expected_open, "{b:?} limit {limit:?}");
        match limit {
            Some(_) => assert_eq!(ok, 3, "{b:?}: exactly the limit succeeds"),
            None => assert_eq!(ok, 50, "{b:?}: each opens a new one and closes the previous"),
        }
        assert_eq!(list.len(), ok);
    }
}

#[both_databases]
async fn subscribers_get_committed_messages_live_and_resume_gets_exactly_what_was_missed(b: Backend) {
    let w = world(&b, Some("3")).await;
    let db = &w.app.state.db;
    let hub = w.app.state.hub.clone();
    let a = send(&w, Target::New, &id(), "Hi").await.unwrap();
    let mut live = hub.subscribe(&Topic::Conversation(a.conversation));
    let r = operator_send(
        db,
        hub.as_ref(),
        &w.operator,
        "Olek",
        a.conversation,
        &id(),
        &body("Hello Cleo"),
    )
    .await
    .unwrap();
    let mut got = None;
    while let Ok(ev) = live.try_recv() {
        if let ServerMsg::Message { message } = ev {
            got = Some(message);
        }
    }
    let m = got.expect("the reply arrives live");
    assert_eq!(
        (m.seq, m.body.as_str(), m.author_name.as_str()),
        (r.seq, "Hello Cleo", "Olek"),
        "{b:?}"
    );

    // The customer was away after seq 3; the operator wrote three more.
    for text in ["one", "two", "three"] {
        operator_send(
            db,
            hub.as_ref(),
            &w.operator,
            "Olek",
            a.conversation,
            &id(),
            &body(text),
        )
        .await
        .unwrap();
    }
    let missed = conv::messages_since(db, &Viewer::Customer(&w.cleo), a.conversation, 3, 100)
        .await
        .unwrap();
    let seqs: Vec<i64> = missed.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![4, 5, 6]);
    assert_eq!(
        missed.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        vec!["one", "two", "three"]
    );
    let older = conv::messages_before(db, &Viewer::Operator(&w.operator), a.conversation, 4, 2)
        .await
        .unwrap();
    assert_eq!(older.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![2, 3]);
}

#[both_databases]
async fn nobody_outside_the_conversation_can_read_or_write_it(b: Backend) {
    let w = world(&b, Some("3")).await;
    let db = &w.app.state.db;
    let hub = w.app.state.hub.as_ref();
    let a = send(&w, Target::New, &id(), "private").await.unwrap();

    // Another customer of the same account cannot read it.
    let bob = user(&w.app, "bob@borealis.test", "Bob").await;
    let owner = accounts::actor(db, w.cleo.user, "borealis").await.unwrap();
    accounts::add_member(db, &owner, "bob@borealis.test", Role::Employee)
        .await
        .unwrap();
    let bob = conv::customer(db, &bob, "borealis").await.unwrap();
    let err = conv::messages_since(db, &Viewer::Customer(&bob), a.conversation, 0, 10)
        .await
        .unwrap_err();
    assert_eq!(err, AppError::NotFound, "{b:?}");
    let err = customer_send(
        db,
        hub,
        &bob,
        &w.code,
        Target::Existing(a.conversation),
        &id(),
        &body("x"),
    )
    .await
    .unwrap_err();
    assert_eq!(err, AppError::NotFound);

    // An operator of another account: not found; one of Acme outside the queue: forbidden.
    let zed = user(&w.app, "zed@zeta.test", "Zed").await;
    accounts::create(
        db,
        zed.id,
        &AccountName::parse("Zeta").unwrap(),
        &Slug::parse("zeta").unwrap(),
    )
    .await
    .unwrap();
    let zeta_admin = accounts::actor(db, zed.id, "zeta").await.unwrap();
    let err = conv::messages_since(db, &Viewer::Operator(&zeta_admin), a.conversation, 0, 10)
        .await
        .unwrap_err();
    assert_eq!(err, AppError::NotFound);
    let err = operator_send(db, hub, &zeta_admin, "Zed", a.conversation, &id(), &body("x"))
        .await
        .unwrap_err();
    assert_eq!(err, AppError::NotFound);
    let ola = user(&w.app, "ola@acme.test", "Ola").await;
    accounts::add_member(db, &w.admin, "ola@acme.test", Role::Operator)
        .await
        .unwrap();
    let ola = accounts::actor(db, ola.id, "acme").await.unwrap();
    assert_eq!(
        conv::messages_since(db, &Viewer::Operator(&ola), a.conversation, 0, 10)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
    // Acme's admin sees every channel of Acme.
    assert_eq!(
        conv::messages_since(db, &Viewer::Operator(&w.admin), a.conversation, 0, 10)
            .await
            .unwrap()
            .len(),
        2
    );

    // Customers cannot write from the channel's own account, nor to an unavailable channel.
    let anna = conv::customer(
        db,
        &SessionUser {
            id: w.admin.user,
            email: "anna@acme.test".into(),
            name: "Anna".into(),
            time_zone: None,
        },
        "acme",
    )
    .await
    .unwrap();
    let err = customer_send(db, hub, &anna, &w.code, Target::New, &id(), &body("x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::OwnAccount);
    let cc = channels::contact_center(db, &w.admin).await.unwrap();
    channels::disconnect(db, &w.admin, cc.channels[0].id)
        .await
        .unwrap();
    let err = send(&w, Target::New, &id(), "anyone?").await.unwrap_err();
    assert_eq!(err.code(), Code::ChannelUnavailable);
    // A user cannot act as a customer of an account they do not work in.
    let zed_user = SessionUser {
        id: zed.id,
        email: zed.email.clone(),
        name: zed.name.clone(),
        time_zone: None,
    };
    assert_eq!(
        conv::customer(db, &zed_user, "borealis").await.unwrap_err(),
        AppError::NotFound
    );
}
