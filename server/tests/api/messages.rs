//! The message writer (`services/messages.rs`, group commit): many concurrent appends
//! from both sides of one conversation get gapless seqs, resends are answered with the
//! first seq, the conversation's counters add up, and whatever the full path refuses
//! (closed conversation, a channel switched off, somebody else's conversation, an
//! operator it is not assigned to) is refused too. SQLite, and PostgreSQL when set.

use crate::harness::*;
use app::backend::entities::conversation;
use app::backend::messaging::{Append, Target};
use app::backend::principal::Actor;
use app::backend::principal::Customer;
use app::backend::principal::Party;
use app::backend::services::accounts;
use app::backend::services::channels;
use app::backend::services::conversations as conv;
use app::backend::services::inbox;
use app::domain::channel::ChannelCode;
use app::domain::conversation::{ClientMsgId, MessageBody};
use app::domain::{ChannelId, ConversationId, Role};
use app::error::{AppError, Code};
use sea_orm::EntityTrait;
use std::collections::HashSet;

struct World {
    app: TestApp,
    admin: Actor,
    olek: Actor,
    ola: Actor,
    channel: ChannelId,
    code: ChannelCode,
    cleo: Customer,
}

async fn world(b: &Backend) -> World {
    let app = spawn(b).await;
    let db = &app.state.db;
    let anna = app.user("anna@acme.test", "Anna").await;
    let olek = app.user("olek@acme.test", "Olek").await;
    let ola = app.user("ola@acme.test", "Ola").await;
    let cleo = app.user("cleo@borealis.test", "Cleo").await;
    for (u, name, slug) in [(&anna, "Acme", "acme"), (&cleo, "Borealis", "borealis")] {
        new_account(db, u, name, slug).await;
    }
    let admin = accounts::actor(db, anna.id, "acme").await.unwrap();
    for email in ["olek@acme.test", "ola@acme.test"] {
        accounts::add_member(db, &admin, email, Role::Operator)
            .await
            .unwrap();
    }
    let (channel, code) = network_channel(db, &admin, "Support", &[olek.id, ola.id], Some("5")).await;
    World {
        olek: accounts::actor(db, olek.id, "acme").await.unwrap(),
        ola: accounts::actor(db, ola.id, "acme").await.unwrap(),
        cleo: conv::customer(db, &cleo, "borealis").await.unwrap(),
        admin,
        channel,
        code,
        app,
    }
}

fn cid(s: &str) -> ClientMsgId {
    ClientMsgId::parse(s).unwrap()
}

fn from_cleo(w: &World, c: ConversationId, id: &str, text: &str) -> Append {
    Append {
        party: Party::Customer {
            customer: w.cleo.clone(),
            code: w.code.clone(),
        },
        target: Target::Existing(c),
        client_id: cid(id),
        body: MessageBody::parse(text).unwrap(),
    }
}

fn from_operator(a: &Actor, c: ConversationId, id: &str, text: &str) -> Append {
    Append {
        party: Party::Operator {
            actor: a.clone(),
            name: "Operator".into(),
        },
        target: Target::Existing(c),
        client_id: cid(id),
        body: MessageBody::parse(text).unwrap(),
    }
}

/// Cleo opens a conversation and Olek answers it (so it is open and his).
async fn open_conversation(w: &World) -> ConversationId {
    let (db, hub) = (&w.app.state.db, w.app.state.hub.as_ref());
    let body = MessageBody::parse("hello").unwrap();
    let ack = customer_send(
        db,
        hub,
        &w.cleo,
        &w.code,
        Target::New,
        &cid("first-message"),
        &body,
    )
    .await
    .unwrap();
    operator_send(
        db,
        hub,
        &w.olek,
        "Olek",
        ack.conversation,
        &cid("first-answer"),
        &body,
    )
    .await
    .unwrap();
    ack.conversation
}

#[both_databases]
async fn concurrent_appends_get_gapless_seqs_and_resends_the_first_seq(b: Backend) {
    let w = world(&b).await;
    let c = open_conversation(&w).await;
    let before = conversation::Entity::find_by_id(c.0)
        .one(&w.app.state.db)
        .await
        .unwrap()
        .unwrap();
    let writer = w.app.state.messages.clone();
    let mut tasks = Vec::new();
    for i in 0..120 {
        let a = if i % 2 == 0 {
            from_cleo(&w, c, &format!("cleo-{i:04}"), &format!("question {i}"))
        } else {
            from_operator(&w.olek, c, &format!("olek-{i:04}"), &format!("answer {i}"))
        };
        let writer = writer.clone();
        tasks.push(tokio::spawn(async move { writer.append(a).await }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap().unwrap().seq);
    }
    let distinct: HashSet<i64> = seqs.iter().copied().collect();
    assert_eq!(distinct.len(), 120, "{b:?}: every append has its own seq");
    assert_eq!(*seqs.iter().min().unwrap(), before.last_seq + 1);
    assert_eq!(*seqs.iter().max().unwrap(), before.last_seq + 120);

    // Resends, also several at once: the first seq again, nothing stored twice.
    let mut again = Vec::new();
    for i in [0, 1, 2, 3, 0, 1] {
        let a = if i % 2 == 0 {
            from_cleo(&w, c, &format!("cleo-{i:04}"), "resent")
        } else {
            from_operator(&w.olek, c, &format!("olek-{i:04}"), "resent")
        };
        let writer = writer.clone();
        again.push(tokio::spawn(
            async move { (i, writer.append(a).await.unwrap().seq) },
        ));
    }
    for t in again {
        let (i, seq) = t.await.unwrap();
        assert_eq!(seq, seqs[i], "{b:?}: resend of {i}");
    }
    let after = conversation::Entity::find_by_id(c.0)
        .one(&w.app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.last_seq, before.last_seq + 120, "{b:?}");
    assert_eq!(
        after.operator_unread,
        before.operator_unread + 60,
        "{b:?}: 60 customer messages"
    );
    assert_eq!(w.app.count("messages").await, before.last_seq + 120);
    let last = conv::messages_since(
        &w.app.state.db,
        &app::backend::principal::Viewer::Customer(&w.cleo),
        c,
        after.last_seq - 1,
        10,
    )
    .await
    .unwrap();
    assert_eq!(
        after.preview, last[0].body,
        "{b:?}: the preview is the last message"
    );
    let all = conv::messages_since(
        &w.app.state.db,
        &app::backend::principal::Viewer::Customer(&w.cleo),
        c,
        0,
        500,
    )
    .await
    .unwrap();
    let stored: Vec<i64> = all.iter().map(|m| m.seq).collect();
    assert_eq!(
        stored,
        (1..=after.last_seq).collect::<Vec<_>>(),
        "{b:?}: seq order, no gaps"
    );
}

#[both_databases]
async fn the_writer_refuses_what_the_full_path_refuses(b: Backend) {
    let w = world(&b).await;
    let (db, hub) = (&w.app.state.db, w.app.state.hub.as_ref());
    let writer = &w.app.state.messages;
    let c = open_conversation(&w).await;

    // Ola serves the channel but the conversation is Olek's.
    let e = writer
        .append(from_operator(&w.ola, c, "ola-00001", "mine?"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            AppError::Conflict {
                code: Code::ConversationTaken,
                ..
            }
        ),
        "{b:?}: {e:?}"
    );
    // A customer of another account cannot write into Cleo's conversation.
    let dana = app_customer(&w, "dana@delta.test", "Delta", "delta").await;
    let mut a = from_cleo(&w, c, "dana-00001", "let me in");
    a.party = Party::Customer {
        customer: dana,
        code: w.code.clone(),
    };
    assert!(matches!(writer.append(a).await, Err(AppError::NotFound)), "{b:?}");

    // Olek taken out of the queue: no more replies from him.
    channels::set_operators(db, hub, &w.admin, w.channel, &[w.ola.user])
        .await
        .unwrap();
    let e = writer
        .append(from_operator(&w.olek, c, "olek-00009", "still here"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Forbidden | AppError::NotFound),
        "{b:?}: {e:?}"
    );
    // The channel switched off: the customer is told so.
    channels::set_channel_active(db, &w.admin, w.channel, false)
        .await
        .unwrap();
    let e = writer
        .append(from_cleo(&w, c, "cleo-00009", "hello?"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            AppError::Invalid {
                code: Code::ChannelUnavailable,
                ..
            }
        ),
        "{b:?}: {e:?}"
    );
    channels::set_channel_active(db, &w.admin, w.channel, true)
        .await
        .unwrap();
    // Finished: closed for both sides.
    inbox::finish(db, hub, &w.admin, c).await.unwrap();
    let e = writer
        .append(from_cleo(&w, c, "cleo-00010", "one more"))
        .await
        .unwrap_err();
    assert_closed(&b, &e);
    let e = writer
        .append(from_operator(&w.admin, c, "anna-00001", "bye"))
        .await
        .unwrap_err();
    assert_closed(&b, &e);
    // Nothing of that was stored.
    assert_eq!(
        w.app.count("messages").await,
        3,
        "{b:?}: welcome, first message, first answer"
    );
}

async fn app_customer(w: &World, email: &str, name: &str, slug: &str) -> Customer {
    let db = &w.app.state.db;
    let u = w.app.user(email, name).await;
    new_account(db, &u, name, slug).await;
    conv::customer(db, &u, slug).await.unwrap()
}

fn assert_closed(b: &Backend, e: &AppError) {
    assert!(
        matches!(
            e,
            AppError::Invalid {
                code: Code::ConversationClosed,
                ..
            }
        ),
        "{b:?}: {e:?}"
    );
}
