//! The operators' inbox (real database, SQLite and PostgreSQL): both distribution modes,
//! capacity and the waiting queue with re-dispatch, transfer, finish, "Start new
//! conversation" in its three cases, read state and unread counts, paging, the queue
//! settings form, and isolation for every server function and socket message.

use crate::harness::*;
use app::api::{InboxFilter, SplitRule};
use app::backend::hub::Topic;
use app::backend::messaging::Target;
use app::backend::principal::Actor;
use app::backend::principal::Customer;
use app::backend::principal::Viewer;
use app::backend::services::accounts;
use app::backend::services::channels;
use app::backend::services::conversations as conv;
use app::backend::services::{inbox, queue, reads};
use app::domain::channel::{Capacity, ChannelCode, ChannelName, Distribution, TakeTime};
use app::domain::conversation::{Author, ClientMsgId, ConversationStatus, MessageBody};
use app::domain::{AccountName, ChannelId, ConversationId, Role, Slug, UserId};
use app::error::{AppError, Code};
use app::protocol::{ClientMsg, ServerMsg};
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio_tungstenite::tungstenite::Message;

/// Acme: Anna (admin), Olek and Ola (operators of "Support"), Emil (employee), Ida
/// (operator of another channel, "Sales"). Cleo writes from Borealis.
struct World {
    app: TestApp,
    anna: Actor,
    olek: Actor,
    ola: Actor,
    ida: Actor,
    emil: Actor,
    channel: ChannelId,
    code: ChannelCode,
    cleo: Customer,
}

fn cid() -> ClientMsgId {
    static N: AtomicU32 = AtomicU32::new(0);
    ClientMsgId::parse(&format!("inbox-{:08}", N.fetch_add(1, Ordering::SeqCst))).unwrap()
}

fn body(s: &str) -> MessageBody {
    MessageBody::parse(s).unwrap()
}

/// `limit`: the customer's limit of simultaneous conversations (`None`: one at a time).
async fn world(b: &Backend, limit: Option<&str>) -> World {
    let app = spawn(b).await;
    let db = &app.state.db;
    let anna = app.user("anna@acme.test", "Anna").await;
    let cleo = app.user("cleo@borealis.test", "Cleo").await;
    let mut staff = Vec::new();
    for (email, name) in [
        ("olek@acme.test", "Olek"),
        ("ola@acme.test", "Ola"),
        ("ida@acme.test", "Ida"),
        ("emil@acme.test", "Emil"),
    ] {
        staff.push(app.user(email, name).await.id);
    }
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
    for (email, role) in [
        ("olek@acme.test", Role::Operator),
        ("ola@acme.test", Role::Operator),
        ("ida@acme.test", Role::Operator),
        ("emil@acme.test", Role::Employee),
    ] {
        accounts::add_member(db, &admin, email, role).await.unwrap();
    }
    let mut actors = Vec::new();
    for id in staff {
        actors.push(accounts::actor(db, id, "acme").await.unwrap());
    }
    let [olek, ola, ida, emil]: [Actor; 4] = actors.try_into().unwrap();
    let (channel, code) = network_channel(db, &admin, "Support", &[olek.user, ola.user], limit).await;
    let sales = channels::create_channel(db, &admin, &ChannelName::parse("Sales").unwrap())
        .await
        .unwrap();
    channels::set_operators(
        db,
        app.state.hub.as_ref(),
        &admin,
        ChannelId(sales.id),
        &[ida.user],
    )
    .await
    .unwrap();

    let cleo = conv::customer(db, &cleo, "borealis").await.unwrap();
    World {
        app,
        anna: admin,
        olek,
        ola,
        ida,
        emil,
        channel,
        code,
        cleo,
    }
}

impl World {
    fn hub(&self) -> &dyn app::backend::hub::Hub {
        self.app.state.hub.as_ref()
    }

    async fn new_conversation(&self, text: &str) -> ConversationId {
        customer_send(
            &self.app.state.db,
            self.hub(),
            &self.cleo,
            &self.code,
            Target::New,
            &cid(),
            &body(text),
        )
        .await
        .unwrap()
        .conversation
    }

    async fn customer_says(&self, c: ConversationId, text: &str) -> i64 {
        customer_send(
            &self.app.state.db,
            self.hub(),
            &self.cleo,
            &self.code,
            Target::Existing(c),
            &cid(),
            &body(text),
        )
        .await
        .unwrap()
        .seq
    }

    async fn reply(
        &self,
        who: &Actor,
        c: ConversationId,
        text: &str,
    ) -> Result<app::backend::messaging::Ack, AppError> {
        operator_send(&self.app.state.db, self.hub(), who, "Op", c, &cid(), &body(text)).await
    }

    async fn queue(&self, d: Distribution, cap: i64) {
        self.queue_with(d, cap, TakeTime::OFF).await
    }

    async fn queue_with(&self, d: Distribution, cap: i64, take: TakeTime) {
        inbox::set_queue(
            &self.app.state.db,
            self.hub(),
            &self.anna,
            self.channel,
            d,
            Capacity::new(cap).unwrap(),
            take,
        )
        .await
        .unwrap();
    }

    async fn order(&self) -> Vec<UserId> {
        channels::contact_center(&self.app.state.db, &self.anna)
            .await
            .unwrap()
            .channels
            .into_iter()
            .find(|c| c.id == self.channel)
            .unwrap()
            .operators
    }

    async fn skips(&self, c: ConversationId) -> i64 {
        self.app
            .count(&format!("conversation_skips WHERE conversation_id = {}", c.0))
            .await
    }

    async fn list(&self, who: &Actor, f: InboxFilter) -> Vec<ConversationId> {
        inbox::inbox(&self.app.state.db, who, f, None)
            .await
            .unwrap()
            .items
            .iter()
            .map(|c| c.id)
            .collect()
    }

    async fn operator_of(&self, c: ConversationId) -> Option<UserId> {
        inbox::detail(&self.app.state.db, &self.anna, c)
            .await
            .unwrap()
            .conversation
            .operator
    }

    async fn status_of(&self, c: ConversationId) -> ConversationStatus {
        inbox::detail(&self.app.state.db, &self.anna, c)
            .await
            .unwrap()
            .conversation
            .status
    }

    fn online(&self, who: &Actor, on: bool) {
        self.hub().presence(who.user, on);
    }
}

#[both_databases]
async fn to_everyone_all_operators_see_a_new_conversation_and_the_first_to_answer_takes_it(b: Backend) {
    let w = world(&b, Some("5")).await;
    let c = w.new_conversation("Hi, anyone?").await;
    for op in [&w.olek, &w.ola, &w.anna] {
        assert_eq!(w.list(op, InboxFilter::Waiting).await, vec![c], "{b:?}");
    }
    assert_eq!(w.operator_of(c).await, None);
    w.reply(&w.olek, c, "Olek here").await.unwrap();
    assert_eq!(w.operator_of(c).await, Some(w.olek.user));
    assert_eq!(w.status_of(c).await, ConversationStatus::Open);
    let err = w.reply(&w.ola, c, "Me too").await.unwrap_err();
    assert_eq!(err.code(), Code::ConversationTaken, "{b:?}");
    assert_eq!(w.list(&w.olek, InboxFilter::Mine).await, vec![c]);
    assert!(w.list(&w.ola, InboxFilter::Mine).await.is_empty());
    assert!(w.list(&w.ola, InboxFilter::Waiting).await.is_empty());
    assert_eq!(w.list(&w.ola, InboxFilter::Open).await, vec![c]);
    // Capacity 1: Olek cannot take a second one; Ola can.
    w.queue(Distribution::All, 1).await;
    let d = w.new_conversation("Second question").await;
    let err = w.reply(&w.olek, d, "Taking it").await.unwrap_err();
    assert_eq!(err.code(), Code::OperatorFull, "{b:?}");
    w.reply(&w.ola, d, "Ola here").await.unwrap();
    assert_eq!(w.operator_of(d).await, Some(w.ola.user));
}

#[both_databases]
async fn evenly_goes_to_the_least_loaded_online_operator_and_waits_when_everyone_is_full(b: Backend) {
    let w = world(&b, Some("20")).await;
    w.queue(Distribution::Even, 2).await;
    // Nobody online: it waits.
    let first = w.new_conversation("one").await;
    assert_eq!(w.operator_of(first).await, None, "{b:?}");
    // Olek comes online: the waiting one is dispatched to him at once.
    w.online(&w.olek, true);
    queue::came_online(&w.app.state.db, w.hub(), &w.olek)
        .await
        .unwrap();
    assert_eq!(w.operator_of(first).await, Some(w.olek.user));
    w.online(&w.ola, true);
    queue::came_online(&w.app.state.db, w.hub(), &w.ola)
        .await
        .unwrap();
    // Least loaded first: Ola (0), then round-robin between equals.
    let mut got = Vec::new();
    for i in 0..3 {
        let c = w.new_conversation(&format!("c{i}")).await;
        got.push(w.operator_of(c).await.unwrap());
    }
    assert_eq!(got, vec![w.ola.user, w.olek.user, w.ola.user], "{b:?}");
    // Both at capacity 2: the next one waits in the queue.
    let waiting = w.new_conversation("waiting").await;
    assert_eq!(w.operator_of(waiting).await, None);
    assert_eq!(w.list(&w.olek, InboxFilter::Waiting).await, vec![waiting]);
    // Finishing one frees Olek: the waiting conversation goes to him.
    inbox::finish(&w.app.state.db, w.hub(), &w.olek, first)
        .await
        .unwrap();
    assert_eq!(w.status_of(first).await, ConversationStatus::Closed);
    assert_eq!(w.operator_of(waiting).await, Some(w.olek.user), "{b:?}");
    // An offline operator gets nothing.
    w.online(&w.ola, false);
    inbox::finish(&w.app.state.db, w.hub(), &w.anna, waiting)
        .await
        .unwrap();
    let next = w.new_conversation("for the online one").await;
    assert_eq!(w.operator_of(next).await, Some(w.olek.user));
}

#[both_databases]
async fn transfer_hands_a_conversation_over_within_capacity_and_frees_the_sender(b: Backend) {
    let w = world(&b, Some("20")).await;
    w.queue(Distribution::Even, 1).await;
    w.online(&w.olek, true);
    let a = w.new_conversation("a").await;
    let waiting = w.new_conversation("b").await;
    assert_eq!(w.operator_of(a).await, Some(w.olek.user));
    assert_eq!(w.operator_of(waiting).await, None);
    let db = &w.app.state.db;
    // Ola may not transfer Olek's conversation; nobody can transfer to a non-operator.
    let err = inbox::transfer(db, w.hub(), &w.ola, a, w.ola.user)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ConversationTaken, "{b:?}");
    let err = inbox::transfer(db, w.hub(), &w.olek, a, w.ida.user)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotInQueue);
    // To Ola (offline, free): allowed; Olek is freed and takes the waiting one.
    inbox::transfer(db, w.hub(), &w.olek, a, w.ola.user)
        .await
        .unwrap();
    assert_eq!(w.operator_of(a).await, Some(w.ola.user));
    assert_eq!(w.operator_of(waiting).await, Some(w.olek.user), "{b:?}");
    // Ola is full now: the admin cannot hand her another one.
    let err = inbox::transfer(db, w.hub(), &w.anna, waiting, w.ola.user)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::OperatorFull);
    // A finished conversation cannot be transferred or answered.
    inbox::finish(db, w.hub(), &w.ola, a).await.unwrap();
    let err = inbox::transfer(db, w.hub(), &w.anna, a, w.olek.user)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ConversationClosed);
    let err = w.reply(&w.ola, a, "late").await.unwrap_err();
    assert_eq!(err.code(), Code::ConversationClosed);
    // Finishing someone else's conversation: only an admin.
    let err = inbox::finish(db, w.hub(), &w.ola, waiting).await.unwrap_err();
    assert_eq!(err.code(), Code::ConversationTaken);
}

#[both_databases]
async fn capacity_holds_under_concurrent_arrivals_and_concurrent_answers(b: Backend) {
    let w = std::sync::Arc::new(world(&b, Some("20")).await);
    w.queue(Distribution::Even, 3).await;
    w.online(&w.olek, true);
    let arrivals = (0..12).map(|i| {
        let w = w.clone();
        tokio::spawn(async move { w.new_conversation(&format!("rush {i}")).await })
    });
    let ids: Vec<ConversationId> = futures::future::join_all(arrivals)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let mut olek = 0;
    for c in &ids {
        if w.operator_of(*c).await == Some(w.olek.user) {
            olek += 1;
        }
    }
    assert_eq!(olek, 3, "{b:?}: capacity 3");
    assert_eq!(w.list(&w.ola, InboxFilter::Waiting).await.len(), 9);
    // "To everyone": Ola answers all nine waiting ones at once; capacity 3 holds.
    w.queue(Distribution::All, 3).await;
    let waiting = w.list(&w.ola, InboxFilter::Waiting).await;
    let answers = waiting.iter().map(|c| {
        let (w, c) = (w.clone(), *c);
        tokio::spawn(async move { w.reply(&w.ola, c, "mine!").await })
    });
    let results = futures::future::join_all(answers).await;
    let ok = results.iter().filter(|r| r.as_ref().unwrap().is_ok()).count();
    let full = results
        .iter()
        .filter(|r| matches!(r.as_ref().unwrap(), Err(e) if e.code() == Code::OperatorFull))
        .count();
    assert_eq!((ok, full), (3, 6), "{b:?}");
}

#[both_databases]
async fn concurrent_replies_of_the_assigned_operator_all_store_with_consecutive_seqs(b: Backend) {
    let w = std::sync::Arc::new(world(&b, Some("3")).await);
    let c = w.new_conversation("Hello").await;
    w.reply(&w.olek, c, "first").await.unwrap();
    let replies = (0..10).map(|i| {
        let w = w.clone();
        tokio::spawn(async move { w.reply(&w.olek, c, &format!("reply {i}")).await })
    });
    let mut seqs: Vec<i64> = futures::future::join_all(replies)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap().seq)
        .collect();
    seqs.sort();
    assert_eq!(
        seqs,
        (4..14).collect::<Vec<i64>>(),
        "{b:?}: welcome 1, hello 2, first 3"
    );
}

#[both_databases]
async fn start_new_conversation_opens_a_parallel_one_under_the_limit_and_is_unavailable_at_it(b: Backend) {
    let w = world(&b, Some("2")).await;
    let db = &w.app.state.db;
    let a = w.new_conversation("My parcel is late").await;
    w.reply(&w.olek, a, "Looking").await.unwrap();
    let seq = w.customer_says(a, "Also: can I change my address?").await;
    assert_eq!(
        inbox::split_rule(db, &w.olek, a).await.unwrap(),
        SplitRule::Parallel
    );
    let mut customer_feed = w.hub().subscribe(&Topic::Customer {
        user: w.cleo.user,
        account: w.cleo.account,
        channel: w.channel,
    });
    // The welcome message is not the customer's.
    let err = inbox::start_new(db, w.hub(), &w.olek, a, 1).await.unwrap_err();
    assert_eq!(err.code(), Code::NotCustomerMessage, "{b:?}");
    let n = inbox::start_new(db, w.hub(), &w.olek, a, seq).await.unwrap();
    assert_ne!(n, a);
    // The customer sees the new conversation live.
    match customer_feed.recv().await.unwrap() {
        ServerMsg::Conversation { conversation } => assert_eq!(conversation.id, n),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        w.status_of(a).await,
        ConversationStatus::Open,
        "the old one stays open"
    );
    let first = conv::messages_since(db, &Viewer::Customer(&w.cleo), n, 0, 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].body, "Also: can I change my address?");
    assert_eq!(first[0].author, Author::Customer);
    assert_eq!(w.operator_of(n).await, Some(w.olek.user));
    // Held by Olek though nobody answered it yet: listed as open, not as waiting.
    assert!(w.list(&w.olek, InboxFilter::Open).await.contains(&n), "{b:?}");
    assert!(!w.list(&w.olek, InboxFilter::Waiting).await.contains(&n));
    // Asking again for the same message gives the same conversation.
    assert_eq!(inbox::start_new(db, w.hub(), &w.olek, a, seq).await.unwrap(), n);
    // Two open conversations = the limit: not available, and says why.
    let seq2 = w.customer_says(a, "And a third thing").await;
    assert_eq!(
        inbox::split_rule(db, &w.olek, a).await.unwrap(),
        SplitRule::AtLimit
    );
    let err = inbox::start_new(db, w.hub(), &w.olek, a, seq2).await.unwrap_err();
    assert_eq!(err.code(), Code::ConversationLimit, "{b:?}");
    assert_eq!(
        conv::customer_conversations(db, &w.cleo, &w.code)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[both_databases]
async fn start_new_conversation_from_an_operator_message_starts_with_that_message(b: Backend) {
    let w = world(&b, Some("3")).await;
    let db = &w.app.state.db;
    let a = w.new_conversation("Where is my parcel?").await;
    let seq = w
        .reply(&w.olek, a, "About your invoice: it is corrected.")
        .await
        .unwrap()
        .seq;
    let mut customer_feed = w.hub().subscribe(&Topic::Customer {
        user: w.cleo.user,
        account: w.cleo.account,
        channel: w.channel,
    });
    let n = inbox::start_new(db, w.hub(), &w.olek, a, seq).await.unwrap();
    assert_ne!(n, a, "{b:?}");
    let original = conv::messages_since(db, &Viewer::Customer(&w.cleo), a, 0, 10)
        .await
        .unwrap();
    let original = original.iter().find(|m| m.seq == seq).unwrap();
    let first = conv::messages_since(db, &Viewer::Customer(&w.cleo), n, 0, 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1, "{b:?}");
    assert_eq!(first[0].author, Author::Operator, "the copy keeps its author");
    assert_eq!(first[0].body, "About your invoice: it is corrected.");
    assert_eq!(first[0].author_name, original.author_name);
    assert_eq!(w.operator_of(n).await, Some(w.olek.user));
    assert_ne!(
        w.status_of(a).await,
        ConversationStatus::Closed,
        "the first one stays open"
    );
    // The customer sees the new conversation appear live (its messages then come with
    // the conversation, as read above).
    match customer_feed.recv().await.unwrap() {
        ServerMsg::Conversation { conversation } => assert_eq!(conversation.id, n),
        other => panic!("{other:?}"),
    }
    // Asking again gives the same conversation; the welcome message still cannot start one.
    assert_eq!(inbox::start_new(db, w.hub(), &w.olek, a, seq).await.unwrap(), n);
    let err = inbox::start_new(db, w.hub(), &w.olek, a, 1).await.unwrap_err();
    assert_eq!(err.code(), Code::NotCustomerMessage, "{b:?}");
    assert_eq!(
        conv::customer_conversations(db, &w.cleo, &w.code)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[both_databases]
async fn start_new_conversation_with_one_chat_at_a_time_closes_the_current_one(b: Backend) {
    let w = world(&b, None).await;
    let db = &w.app.state.db;
    let a = w.new_conversation("First topic").await;
    let seq = w.customer_says(a, "Second topic").await;
    assert_eq!(
        inbox::split_rule(db, &w.ola, a).await.unwrap(),
        SplitRule::ClosesCurrent
    );
    let n = inbox::start_new(db, w.hub(), &w.ola, a, seq).await.unwrap();
    assert_eq!(w.status_of(a).await, ConversationStatus::Closed, "{b:?}");
    assert_eq!(w.status_of(n).await, ConversationStatus::New);
    assert_eq!(inbox::split_rule(db, &w.ola, a).await.unwrap(), SplitRule::Closed);
    let open: Vec<_> = conv::customer_conversations(db, &w.cleo, &w.code)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.status != ConversationStatus::Closed)
        .collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, n);
}

#[both_databases]
async fn read_state_travels_both_ways_and_unread_counts_follow_it(b: Backend) {
    let w = world(&b, Some("3")).await;
    let db = &w.app.state.db;
    let c = w.new_conversation("one").await;
    let last = w.customer_says(c, "two").await;
    let item = inbox::inbox(db, &w.olek, InboxFilter::All, None)
        .await
        .unwrap()
        .items[0]
        .clone();
    assert_eq!((item.unread, item.preview.as_str()), (2, "two"), "{b:?}");
    let mut feed = w.hub().subscribe(&Topic::Conversation(c));
    let upto = reads::mark_read(db, w.hub(), &Viewer::Operator(&w.olek), c, 999)
        .await
        .unwrap();
    assert_eq!(upto, last, "read is capped at the last message");
    assert_eq!(
        feed.recv().await.unwrap(),
        ServerMsg::Read {
            conversation: c,
            by: Author::Operator,
            seq: last
        }
    );
    let item = inbox::detail(db, &w.olek, c).await.unwrap().conversation;
    assert_eq!((item.unread, item.operator_read_seq), (0, last));
    let r = w.reply(&w.olek, c, "answer").await.unwrap();
    reads::mark_read(db, w.hub(), &Viewer::Customer(&w.cleo), c, r.seq)
        .await
        .unwrap();
    let views = conv::customer_conversations(db, &w.cleo, &w.code).await.unwrap();
    assert_eq!(views[0].customer_read_seq, r.seq);
    assert_eq!(views[0].operator_read_seq, last);
    // Reading an earlier point never moves the mark back.
    reads::mark_read(db, w.hub(), &Viewer::Customer(&w.cleo), c, 1)
        .await
        .unwrap();
    let views = conv::customer_conversations(db, &w.cleo, &w.code).await.unwrap();
    assert_eq!(views[0].customer_read_seq, r.seq);
    // A finished conversation counts nothing unread, whatever came in before.
    w.customer_says(c, "thanks, bye").await;
    inbox::finish(db, w.hub(), &w.olek, c).await.unwrap();
    let item = inbox::detail(db, &w.olek, c).await.unwrap().conversation;
    assert_eq!(
        (item.status, item.unread),
        (ConversationStatus::Closed, 0),
        "{b:?}"
    );
    let listed = inbox::inbox(db, &w.olek, InboxFilter::Closed, None)
        .await
        .unwrap()
        .items;
    assert_eq!(
        listed.iter().map(|i| (i.id, i.unread)).collect::<Vec<_>>(),
        vec![(c, 0)]
    );
}

#[both_databases]
async fn the_inbox_pages_by_latest_activity_without_gaps_or_repeats(b: Backend) {
    let w = world(&b, Some("20")).await;
    let db = &w.app.state.db;
    // 60 conversations from three customers (the channel's limit, 20, counts each
    // person's open conversations).
    let mut all = Vec::new();
    let mut people = Vec::new();
    for i in 0..3 {
        let slug = format!("cust{i}");
        let user = w
            .app
            .user(&format!("cust{i}@customers.test"), &format!("Customer {i}"))
            .await;
        accounts::create(
            db,
            user.id,
            &AccountName::parse(&format!("Customer {i}")).unwrap(),
            &Slug::parse(&slug).unwrap(),
        )
        .await
        .unwrap();
        let customer = conv::customer(db, &user, &slug).await.unwrap();
        people.push(user);
        for j in 0..20 {
            let a = customer_send(
                db,
                w.hub(),
                &customer,
                &w.code,
                Target::New,
                &cid(),
                &body(&format!("{i}-{j}")),
            )
            .await
            .unwrap();
            all.push(a.conversation);
        }
    }
    // Activity on an old one moves it to the top.
    let bumped = all[0];
    let w_customer = conv::customer(db, &people[0], "cust0").await.unwrap();
    customer_send(
        db,
        w.hub(),
        &w_customer,
        &w.code,
        Target::Existing(bumped),
        &cid(),
        &body("bump"),
    )
    .await
    .unwrap();
    let first = inbox::inbox(db, &w.olek, InboxFilter::All, None).await.unwrap();
    assert_eq!(first.items.len(), 50, "{b:?}");
    assert_eq!(first.items[0].id, bumped);
    let second = inbox::inbox(db, &w.olek, InboxFilter::All, first.next.as_deref())
        .await
        .unwrap();
    assert_eq!(second.items.len(), 10);
    assert!(second.next.is_none());
    let mut seen: Vec<ConversationId> = first.items.iter().chain(&second.items).map(|c| c.id).collect();
    let order_ok = first
        .items
        .iter()
        .chain(&second.items)
        .collect::<Vec<_>>()
        .windows(2)
        .all(|p| (p[0].updated_at, p[0].id) > (p[1].updated_at, p[1].id));
    assert!(order_ok, "{b:?}: newest activity first");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 60);
}

#[both_databases]
async fn nobody_outside_the_queue_or_the_account_can_see_or_act(b: Backend) {
    let w = world(&b, Some("3")).await;
    let db = &w.app.state.db;
    let hub = w.hub();
    let c = w.new_conversation("private").await;
    let seq = w.customer_says(c, "more").await;
    // Ida serves another channel of the same account.
    assert!(w.list(&w.ida, InboxFilter::All).await.is_empty(), "{b:?}");
    let forbidden = |r: Result<(), AppError>| {
        assert!(
            matches!(r, Err(AppError::Forbidden | AppError::NotFound)),
            "{r:?}"
        );
    };
    forbidden(inbox::detail(db, &w.ida, c).await.map(|_| ()));
    forbidden(inbox::finish(db, hub, &w.ida, c).await);
    forbidden(inbox::transfer(db, hub, &w.ida, c, w.ida.user).await);
    forbidden(inbox::start_new(db, hub, &w.ida, c, seq).await.map(|_| ()));
    forbidden(inbox::split_rule(db, &w.ida, c).await.map(|_| ()));
    forbidden(
        reads::mark_read(db, hub, &Viewer::Operator(&w.ida), c, seq)
            .await
            .map(|_| ()),
    );
    forbidden(conv::typing(db, hub, &Viewer::Operator(&w.ida), c, "Ida").await);
    forbidden(w.reply(&w.ida, c, "x").await.map(|_| ()));
    // The employee has no inbox.
    assert!(matches!(
        inbox::inbox(db, &w.emil, InboxFilter::All, None).await,
        Err(AppError::Forbidden)
    ));
    // Only admins change queue settings.
    let err = inbox::set_queue(
        db,
        hub,
        &w.olek,
        w.channel,
        Distribution::Even,
        Capacity::new(5).unwrap(),
        app::domain::channel::TakeTime::OFF,
    )
    .await
    .unwrap_err();
    assert_eq!(err, AppError::Forbidden);
    // Another account's admin sees nothing of Acme.
    let zed = w.app.user("zed@zeta.test", "Zed").await;
    accounts::create(
        db,
        zed.id,
        &AccountName::parse("Zeta").unwrap(),
        &Slug::parse("zeta").unwrap(),
    )
    .await
    .unwrap();
    let zeta = accounts::actor(db, zed.id, "zeta").await.unwrap();
    assert!(w.list(&zeta, InboxFilter::All).await.is_empty());
    forbidden(inbox::detail(db, &zeta, c).await.map(|_| ()));
    forbidden(inbox::finish(db, hub, &zeta, c).await);
    forbidden(inbox::start_new(db, hub, &zeta, c, seq).await.map(|_| ()));
    let err = inbox::set_queue(
        db,
        hub,
        &zeta,
        w.channel,
        Distribution::Even,
        Capacity::new(5).unwrap(),
        app::domain::channel::TakeTime::OFF,
    )
    .await
    .unwrap_err();
    assert_eq!(err, AppError::NotFound);
    // Nothing changed.
    assert_eq!(w.status_of(c).await, ConversationStatus::New);
    assert_eq!(w.operator_of(c).await, None);
    assert_eq!(
        conv::customer_conversations(db, &w.cleo, &w.code)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn next_msg(ws: &mut Ws) -> ServerMsg {
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

async fn say(ws: &mut Ws, m: &ClientMsg) {
    ws.send(Message::Text(serde_json::to_string(m).unwrap().into()))
        .await
        .unwrap();
}

#[both_databases]
async fn the_inbox_socket_is_live_both_ways_and_refuses_what_the_operator_may_not_see(b: Backend) {
    let w = world(&b, Some("3")).await;
    let app = &w.app;
    let (olek_c, ida_c, emil_c, cleo_c) = (browser(), browser(), browser(), browser());
    let olek = app.sign_in_cookie(&olek_c, "olek@acme.test").await;
    let ida = app.sign_in_cookie(&ida_c, "ida@acme.test").await;
    let emil = app.sign_in_cookie(&emil_c, "emil@acme.test").await;
    let cleo = app.sign_in_cookie(&cleo_c, "cleo@borealis.test").await;
    assert_eq!(
        app.ws("/ws/inbox?account=acme", &emil, None).await.err(),
        Some(403)
    );
    assert_eq!(
        app.ws("/ws/inbox?account=zeta", &olek, None).await.err(),
        Some(404)
    );
    assert_eq!(
        app.ws("/ws/inbox?account=acme", &olek, Some("http://evil.test"))
            .await
            .err(),
        Some(403)
    );
    let mut inbox_ws = app.ws("/ws/inbox?account=acme", &olek, None).await.unwrap();
    let mut ida_ws = app.ws("/ws/inbox?account=acme", &ida, None).await.unwrap();
    // A new conversation arrives live in Olek's inbox (not in Ida's).
    let c = w.new_conversation("Hello from Cleo").await;
    match next_msg(&mut inbox_ws).await {
        ServerMsg::Conversation { conversation } => {
            assert_eq!(conversation.id, c);
            assert_eq!(conversation.customer_name, "Cleo");
            assert_eq!(conversation.customer_account, "Borealis");
            assert_eq!(conversation.channel_name, "Support");
        }
        other => panic!("{other:?}"),
    }
    // Follow it: replay, then the customer's typing and read state.
    say(
        &mut inbox_ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 0,
        },
    )
    .await;
    let mut seqs = Vec::new();
    while seqs.len() < 2 {
        if let ServerMsg::Message { message } = next_msg(&mut inbox_ws).await {
            seqs.push(message.seq);
        }
    }
    assert_eq!(seqs, vec![1, 2], "{b:?}");
    let mut cleo_ws = app
        .ws(
            &format!("/ws?code={}&account=borealis", w.code.as_str()),
            &cleo,
            None,
        )
        .await
        .unwrap();
    say(
        &mut cleo_ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 2,
        },
    )
    .await;
    say(&mut cleo_ws, &ClientMsg::Typing { conversation: c }).await;
    loop {
        match next_msg(&mut inbox_ws).await {
            ServerMsg::Typing {
                conversation,
                by,
                name,
            } => {
                assert_eq!((conversation, by, name.as_str()), (c, Author::Customer, "Cleo"));
                break;
            }
            // Live copies of the messages replayed above may still be on their way.
            ServerMsg::Conversation { .. } | ServerMsg::Message { .. } => continue,
            other => panic!("{other:?}"),
        }
    }
    // Olek types and reads; Cleo sees both.
    say(&mut inbox_ws, &ClientMsg::Typing { conversation: c }).await;
    say(
        &mut inbox_ws,
        &ClientMsg::Read {
            conversation: c,
            seq: 2,
        },
    )
    .await;
    let (mut typed, mut read) = (false, false);
    while !(typed && read) {
        match next_msg(&mut cleo_ws).await {
            ServerMsg::Typing {
                by: Author::Operator, ..
            } => typed = true,
            ServerMsg::Read {
                by: Author::Operator,
                seq: 2,
                ..
            } => read = true,
            _ => {}
        }
    }
    // Olek answers over the socket: acknowledged, and Cleo gets it live.
    say(
        &mut inbox_ws,
        &ClientMsg::Send {
            client_id: "answer-0001".into(),
            conversation: Some(c),
            body: "Hi Cleo".into(),
        },
    )
    .await;
    loop {
        match next_msg(&mut inbox_ws).await {
            ServerMsg::Ack { client_id, seq, .. } => {
                assert_eq!((client_id.as_str(), seq), ("answer-0001", 3));
                break;
            }
            ServerMsg::Error { error, .. } => panic!("{error:?}"),
            _ => {}
        }
    }
    loop {
        if let ServerMsg::Message { message } = next_msg(&mut cleo_ws).await {
            assert_eq!((message.seq, message.body.as_str()), (3, "Hi Cleo"));
            break;
        }
    }
    // Ida (another channel) gets every request about it refused, and saw nothing.
    for m in [
        ClientMsg::Resume {
            conversation: c,
            since_seq: 0,
        },
        ClientMsg::Typing { conversation: c },
        ClientMsg::Read {
            conversation: c,
            seq: 3,
        },
        ClientMsg::Send {
            client_id: "intruder-01".into(),
            conversation: Some(c),
            body: "x".into(),
        },
    ] {
        say(&mut ida_ws, &m).await;
        match next_msg(&mut ida_ws).await {
            ServerMsg::Error { error, .. } => {
                assert!(
                    matches!(error, AppError::Forbidden | AppError::NotFound),
                    "{error:?}"
                )
            }
            other => panic!("Ida got {other:?}"),
        }
    }
    let detail = inbox::detail(&app.state.db, &w.anna, c).await.unwrap();
    assert_eq!(detail.conversation.last_seq, 3, "{b:?}: nothing stored by Ida");
    assert_eq!(detail.conversation.operator_read_seq, 2);
}

#[both_databases]
async fn server_functions_and_the_queue_form_check_rights_and_input(b: Backend) {
    let w = world(&b, Some("3")).await;
    let app = &w.app;
    let c = w.new_conversation("Hello").await.0.to_string();
    let (olek, ida, emil, anna) = (browser(), browser(), browser(), browser());
    app.sign_in_cookie(&olek, "olek@acme.test").await;
    app.sign_in_cookie(&ida, "ida@acme.test").await;
    app.sign_in_cookie(&emil, "emil@acme.test").await;
    app.sign_in_cookie(&anna, "anna@acme.test").await;
    let page = app
        .server_fn(
            &olek,
            "load_inbox",
            &[("slug", "acme"), ("filter", "waiting"), ("open", &c)],
        )
        .await
        .unwrap();
    assert_eq!(page["page"]["items"].as_array().unwrap().len(), 1, "{b:?}");
    assert_eq!(page["open"]["conversation"]["customer_name"], "Cleo");
    assert_eq!(page["open"]["split"], "parallel");
    // Ida: her inbox is empty, and every call about this conversation is refused.
    let page = app
        .server_fn(
            &ida,
            "load_inbox",
            &[("slug", "acme"), ("filter", "all"), ("open", &c)],
        )
        .await
        .unwrap();
    assert!(page["page"]["items"].as_array().unwrap().is_empty());
    assert!(page["open"].is_null());
    for (f, args) in [
        (
            "inbox_conversation",
            vec![("slug", "acme"), ("conversation", c.as_str())],
        ),
        (
            "inbox_older",
            vec![("slug", "acme"), ("conversation", &c), ("before_seq", "10")],
        ),
        (
            "finish_conversation",
            vec![("slug", "acme"), ("conversation", &c)],
        ),
        (
            "transfer_conversation",
            vec![("slug", "acme"), ("conversation", &c), ("operator", "1")],
        ),
        (
            "start_new_conversation",
            vec![("slug", "acme"), ("conversation", &c), ("seq", "2")],
        ),
        ("split_rule", vec![("slug", "acme"), ("conversation", &c)]),
    ] {
        let (status, err) = app.server_fn_status(&ida, f, &args).await;
        let err = err.to_string();
        assert!(
            (err.contains("Forbidden") && status == 403) || (err.contains("NotFound") && status == 404),
            "{f}: {status} {err}"
        );
        // Signed out: 401, whatever the function.
        let (status, err) = app.server_fn_status(&browser(), f, &args).await;
        assert_eq!(status, 401, "{f}: {err}");
    }
    let (status, err) = app
        .server_fn_status(&emil, "load_inbox", &[("slug", "acme"), ("filter", "all")])
        .await;
    assert!(
        err.to_string().contains("Forbidden") && status == 403,
        "{status} {err}"
    );
    let (status, err) = app
        .server_fn_status(
            &emil,
            "load_inbox",
            &[("slug", "no-such-account"), ("filter", "all")],
        )
        .await;
    assert_eq!(status, 404, "{err}");
    // The page says so too, with the status and a way back to the account.
    let (status, html) = app.get_html(&emil, "/a/acme/inbox").await;
    assert!(
        html.contains("Access denied") && html.contains("href=\"/a/acme\""),
        "{status}"
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The queue form: both fields checked, errors next to them, nothing saved.
    let path = format!("/a/acme/contact-center/channels/{}/queue", w.channel.0);
    let r = app
        .post_form(&anna, &path, &[("distribution", "random"), ("capacity", "0")])
        .await;
    let to = location(&r);
    assert!(
        to.contains("distribution.distribution_unknown") && to.contains("capacity.capacity_range"),
        "{to}"
    );
    let (_, html) = app.get_html(&anna, &to).await;
    assert!(html.contains("Enter a number from 1 to 500."), "{b:?}");
    let q = inbox::queues(&app.state.db, w.hub(), &w.anna).await.unwrap();
    let support = q.iter().find(|q| q.id == w.channel).unwrap();
    assert_eq!((support.distribution, support.capacity), (Distribution::All, 20));
    let r = app
        .post_form(&olek, &path, &[("distribution", "even"), ("capacity", "5")])
        .await;
    assert!(location(&r).contains("error=forbidden"), "{}", location(&r));
    let r = app
        .post_form(&anna, &path, &[("distribution", "even"), ("capacity", "5")])
        .await;
    assert!(location(&r).contains("ok=queue_saved"), "{}", location(&r));
    let q = inbox::queues(&app.state.db, w.hub(), &w.anna).await.unwrap();
    let support = q.iter().find(|q| q.id == w.channel).unwrap();
    assert_eq!((support.distribution, support.capacity), (Distribution::Even, 5));
    let (_, html) = app.get_html(&olek, "/a/acme/contact-center").await;
    assert!(html.contains("Evenly"), "operators see the queue settings");
}

#[both_databases]
async fn strictly_in_order_goes_to_the_first_operator_with_room_in_the_queue_order(b: Backend) {
    let w = world(&b, Some("20")).await;
    let db = &w.app.state.db;
    w.queue(Distribution::Strict, 2).await;
    assert_eq!(w.order().await, vec![w.olek.user, w.ola.user], "{b:?}");
    w.online(&w.olek, true);
    w.online(&w.ola, true);
    // Olek is first: he gets new conversations until he is full, then Ola.
    let mut got = Vec::new();
    let mut ids = Vec::new();
    for i in 0..4 {
        let c = w.new_conversation(&format!("c{i}")).await;
        ids.push(c);
        got.push(w.operator_of(c).await.unwrap());
    }
    assert_eq!(
        got,
        vec![w.olek.user, w.olek.user, w.ola.user, w.ola.user],
        "{b:?}"
    );
    let waiting = w.new_conversation("everyone is full").await;
    assert_eq!(w.operator_of(waiting).await, None);
    // Ola moves up. Olek frees a place: the waiting one goes to him (Ola is full).
    channels::move_operator(db, &w.anna, w.channel, w.ola.user, true)
        .await
        .unwrap();
    assert_eq!(w.order().await, vec![w.ola.user, w.olek.user]);
    inbox::finish(db, w.hub(), &w.olek, ids[0]).await.unwrap();
    assert_eq!(w.operator_of(waiting).await, Some(w.olek.user), "{b:?}");
    // Ola frees a place: the next new one goes to her, the first in the order.
    inbox::finish(db, w.hub(), &w.ola, ids[2]).await.unwrap();
    let next = w.new_conversation("next").await;
    assert_eq!(w.operator_of(next).await, Some(w.ola.user));
    // An operator who is away is passed over.
    inbox::finish(db, w.hub(), &w.ola, next).await.unwrap();
    w.online(&w.ola, false);
    inbox::finish(db, w.hub(), &w.olek, ids[1]).await.unwrap();
    let later = w.new_conversation("later").await;
    assert_eq!(w.operator_of(later).await, Some(w.olek.user));

    // Moving the first up or the last down changes nothing; rights are checked.
    channels::move_operator(db, &w.anna, w.channel, w.ola.user, true)
        .await
        .unwrap();
    channels::move_operator(db, &w.anna, w.channel, w.olek.user, false)
        .await
        .unwrap();
    assert_eq!(w.order().await, vec![w.ola.user, w.olek.user]);
    let e = channels::move_operator(db, &w.olek, w.channel, w.olek.user, true)
        .await
        .unwrap_err();
    assert_eq!(e, AppError::Forbidden);
    let e = channels::move_operator(db, &w.anna, w.channel, w.ida.user, true)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotInQueue);
    // A new operator joins at the end; those who stay keep their places.
    channels::set_operators(
        db,
        w.hub(),
        &w.anna,
        w.channel,
        &[w.olek.user, w.anna.user, w.ola.user],
    )
    .await
    .unwrap();
    assert_eq!(
        w.order().await,
        vec![w.ola.user, w.olek.user, w.anna.user],
        "{b:?}"
    );

    // Through the form: a plain POST, rights first.
    let app = &w.app;
    let (anna, olek) = (browser(), browser());
    app.sign_in_cookie(&anna, "anna@acme.test").await;
    app.sign_in_cookie(&olek, "olek@acme.test").await;
    let path = format!("/a/acme/contact-center/channels/{}/order", w.channel.0);
    let anna_id = w.anna.user.0.to_string();
    let r = app
        .post_form(&olek, &path, &[("user", &anna_id), ("dir", "up")])
        .await;
    assert!(location(&r).contains("error=forbidden"), "{}", location(&r));
    let r = app
        .post_form(&anna, &path, &[("user", &anna_id), ("dir", "sideways")])
        .await;
    assert!(location(&r).contains("error=invalid_format"), "{}", location(&r));
    let r = app.post_form(&anna, &path, &[("user", "x"), ("dir", "up")]).await;
    assert!(location(&r).contains("error=not_in_queue"), "{}", location(&r));
    assert_eq!(w.order().await, vec![w.ola.user, w.olek.user, w.anna.user]);
    let r = app
        .post_form(&anna, &path, &[("user", &anna_id), ("dir", "up")])
        .await;
    assert_eq!(location(&r), "/a/acme/contact-center?ok=order_saved");
    assert_eq!(w.order().await, vec![w.ola.user, w.anna.user, w.olek.user]);
    let (_, html) = app.get_html(&anna, "/a/acme/contact-center").await;
    assert!(
        html.contains("Move up Anna") && html.contains("Strictly in order"),
        "{b:?}"
    );
}

#[both_databases]
async fn skip_gives_a_conversation_to_the_next_operator_and_never_back_to_the_one_who_skipped(b: Backend) {
    let w = world(&b, Some("20")).await;
    let db = &w.app.state.db;
    w.queue(Distribution::Even, 5).await;
    w.online(&w.olek, true);
    let c = w.new_conversation("hello").await;
    assert_eq!(w.operator_of(c).await, Some(w.olek.user), "{b:?}");
    w.online(&w.ola, true);
    // Only the one who has it may skip it; others of the channel, the admin and
    // other accounts are refused and nothing changes.
    let e = inbox::skip(db, w.hub(), &w.ola, c).await.unwrap_err();
    assert_eq!(e.code(), Code::ConversationTaken);
    let e = inbox::skip(db, w.hub(), &w.anna, c).await.unwrap_err();
    assert_eq!(e.code(), Code::NotAssigned);
    assert!(matches!(
        inbox::skip(db, w.hub(), &w.ida, c).await,
        Err(AppError::NotFound | AppError::Forbidden)
    ));
    assert!(matches!(
        inbox::skip(db, w.hub(), &w.emil, c).await,
        Err(AppError::Forbidden | AppError::NotFound)
    ));
    assert_eq!(w.operator_of(c).await, Some(w.olek.user));
    assert_eq!(w.skips(c).await, 0);
    // Olek skips: it goes to Ola.
    inbox::skip(db, w.hub(), &w.olek, c).await.unwrap();
    assert_eq!(w.operator_of(c).await, Some(w.ola.user), "{b:?}");
    // Ola skips too: nobody else may get it, so it waits — and is not handed back
    // to Olek even when he frees up or comes online again.
    inbox::skip(db, w.hub(), &w.ola, c).await.unwrap();
    assert_eq!(w.operator_of(c).await, None);
    assert_eq!(w.skips(c).await, 2);
    queue::came_online(db, w.hub(), &w.olek).await.unwrap();
    assert_eq!(w.operator_of(c).await, None);
    assert_eq!(w.list(&w.olek, InboxFilter::Waiting).await, vec![c]);
    // Other conversations are not held up by it.
    let d = w.new_conversation("another").await;
    assert!(w.operator_of(d).await.is_some(), "{b:?}");
    // A new operator of the queue gets it.
    channels::set_operators(
        db,
        w.hub(),
        &w.anna,
        w.channel,
        &[w.olek.user, w.ola.user, w.anna.user],
    )
    .await
    .unwrap();
    w.online(&w.anna, true);
    queue::came_online(db, w.hub(), &w.anna).await.unwrap();
    assert_eq!(w.operator_of(c).await, Some(w.anna.user), "{b:?}");
    // Closed ones cannot be skipped.
    inbox::finish(db, w.hub(), &w.anna, c).await.unwrap();
    let e = inbox::skip(db, w.hub(), &w.anna, c).await.unwrap_err();
    assert_eq!(e.code(), Code::ConversationClosed);

    // To everyone: whoever took it by answering gives it back to everyone.
    w.queue(Distribution::All, 5).await;
    let e2 = w.new_conversation("to everyone").await;
    w.reply(&w.olek, e2, "mine").await.unwrap();
    inbox::skip(db, w.hub(), &w.olek, e2).await.unwrap();
    assert_eq!(w.operator_of(e2).await, None);
    assert!(w.list(&w.ola, InboxFilter::Waiting).await.contains(&e2));

    // Through the server function: the same rules.
    let app = &w.app;
    let (olek, ola) = (browser(), browser());
    app.sign_in_cookie(&olek, "olek@acme.test").await;
    app.sign_in_cookie(&ola, "ola@acme.test").await;
    w.reply(&w.ola, e2, "Ola here").await.unwrap();
    let args = [("slug", "acme"), ("conversation", &e2.0.to_string()[..])];
    let (status, _) = app.server_fn_status(&olek, "skip_conversation", &args).await;
    assert_eq!(status, 409, "Olek does not have it");
    let (status, _) = app.server_fn_status(&ola, "skip_conversation", &args).await;
    assert_eq!(status, 200);
    assert_eq!(w.operator_of(e2).await, None);
}

#[both_databases]
async fn time_to_take_passes_an_unanswered_conversation_to_the_next_operator_once(b: Backend) {
    let w = world(&b, Some("20")).await;
    let db = &w.app.state.db;
    // Off: nothing ever moves.
    w.queue(Distribution::Strict, 5).await;
    w.online(&w.olek, true);
    w.online(&w.ola, true);
    let c = w.new_conversation("anyone?").await;
    assert_eq!(w.operator_of(c).await, Some(w.olek.user), "{b:?}");
    let now = app::backend::now_ms();
    assert_eq!(
        queue::pass_on_untaken(db, w.hub(), now + 3_600_000)
            .await
            .unwrap(),
        0
    );
    // 30 seconds to take it.
    w.queue_with(Distribution::Strict, 5, TakeTime::new(30).unwrap())
        .await;
    assert_eq!(
        queue::pass_on_untaken(db, w.hub(), now + 20_000).await.unwrap(),
        0,
        "not yet"
    );
    // Two nodes' sweeps at once pass it on once (Ola is away, so then it waits).
    w.online(&w.ola, false);
    let (a, b2) = tokio::join!(
        queue::pass_on_untaken(db, w.hub(), now + 31_000),
        queue::pass_on_untaken(db, w.hub(), now + 31_000)
    );
    assert_eq!(a.unwrap() + b2.unwrap(), 1, "{b:?}");
    assert_eq!(w.operator_of(c).await, None);
    assert_eq!(w.skips(c).await, 1);
    // Ola comes back and gets it (Olek passed it on); her own 30 seconds start now,
    // and when they run out too it waits in the queue.
    w.online(&w.ola, true);
    queue::came_online(db, w.hub(), &w.ola).await.unwrap();
    assert_eq!(w.operator_of(c).await, Some(w.ola.user));
    let t = app::backend::now_ms();
    assert_eq!(queue::pass_on_untaken(db, w.hub(), t + 20_000).await.unwrap(), 0);
    let later = t + 31_000;
    assert_eq!(queue::pass_on_untaken(db, w.hub(), later).await.unwrap(), 1);
    assert_eq!(w.operator_of(c).await, None);
    assert_eq!(w.skips(c).await, 2);
    // An answered conversation stays with its operator.
    let d = w.new_conversation("second").await;
    assert_eq!(w.operator_of(d).await, Some(w.olek.user));
    w.reply(&w.olek, d, "On it").await.unwrap();
    assert_eq!(
        queue::pass_on_untaken(db, w.hub(), later + 3_600_000)
            .await
            .unwrap(),
        0
    );
    assert_eq!(w.operator_of(d).await, Some(w.olek.user));

    // The server's own timer does it, without anyone calling.
    w.queue_with(Distribution::Strict, 5, TakeTime::new(10).unwrap())
        .await;
    let e = w.new_conversation("third").await;
    assert_eq!(w.operator_of(e).await, Some(w.olek.user));
    let start = std::time::Instant::now();
    while w.operator_of(e).await == Some(w.olek.user) {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "not passed on in time"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        start.elapsed() >= std::time::Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(w.operator_of(e).await, Some(w.ola.user), "{b:?}");

    // The form: the time is checked, with the field named.
    let app = &w.app;
    let anna = browser();
    app.sign_in_cookie(&anna, "anna@acme.test").await;
    let path = format!("/a/acme/contact-center/channels/{}/queue", w.channel.0);
    for (value, code) in [
        ("5", "take_time_range"),
        ("3601", "take_time_range"),
        ("soon", "not_a_number"),
    ] {
        let r = app
            .post_form(
                &anna,
                &path,
                &[
                    ("distribution", "strict"),
                    ("capacity", "5"),
                    ("take_time", value),
                ],
            )
            .await;
        assert!(
            location(&r).contains(&format!("error={code}&field=take_time")),
            "{value}: {}",
            location(&r)
        );
    }
    let r = app
        .post_form(
            &anna,
            &path,
            &[("distribution", "strict"), ("capacity", "5"), ("take_time", "0")],
        )
        .await;
    assert!(location(&r).contains("ok=queue_saved"), "{}", location(&r));
    let q = channels::contact_center(db, &w.anna).await.unwrap();
    let support = q.channels.iter().find(|c| c.id == w.channel).unwrap();
    assert_eq!(
        (support.distribution, support.take_seconds),
        (Distribution::Strict, 0)
    );
}

#[both_databases]
async fn operators_pin_conversations_for_themselves_within_their_rights(b: Backend) {
    let w = world(&b, Some("20")).await;
    let db = &w.app.state.db;
    let c = w.new_conversation("pin me").await;
    let d = w.new_conversation("not me").await;
    inbox::pin(db, &w.olek, c, true).await.unwrap();
    inbox::pin(db, &w.olek, c, true).await.unwrap();
    assert_eq!(inbox::pinned(db, &w.olek).await.unwrap(), vec![c], "{b:?}");
    assert_eq!(w.list(&w.olek, InboxFilter::Pinned).await, vec![c]);
    // Pins are each operator's own.
    assert!(inbox::pinned(db, &w.ola).await.unwrap().is_empty());
    assert!(w.list(&w.ola, InboxFilter::Pinned).await.is_empty());
    // Nobody pins what they may not see: another channel's operator, an employee,
    // another account's admin.
    assert!(matches!(
        inbox::pin(db, &w.ida, c, true).await,
        Err(AppError::NotFound | AppError::Forbidden)
    ));
    assert!(matches!(
        inbox::pin(db, &w.emil, c, true).await,
        Err(AppError::NotFound | AppError::Forbidden)
    ));
    let zed = w.app.user("zed@zeta.test", "Zed").await;
    accounts::create(
        db,
        zed.id,
        &AccountName::parse("Zeta").unwrap(),
        &Slug::parse("zeta").unwrap(),
    )
    .await
    .unwrap();
    let zeta = accounts::actor(db, zed.id, "zeta").await.unwrap();
    assert!(matches!(
        inbox::pin(db, &zeta, c, true).await,
        Err(AppError::NotFound | AppError::Forbidden)
    ));
    assert!(w.list(&zeta, InboxFilter::Pinned).await.is_empty());
    assert_eq!(w.app.count("conversation_pins").await, 1);
    // Taken out of the queue, Olek no longer sees what he pinned.
    channels::set_operators(db, w.hub(), &w.anna, w.channel, &[w.ola.user])
        .await
        .unwrap();
    assert!(inbox::pinned(db, &w.olek).await.unwrap().is_empty(), "{b:?}");
    assert!(w.list(&w.olek, InboxFilter::Pinned).await.is_empty());
    channels::set_operators(db, w.hub(), &w.anna, w.channel, &[w.olek.user, w.ola.user])
        .await
        .unwrap();
    assert_eq!(inbox::pinned(db, &w.olek).await.unwrap(), vec![c]);
    // Unpinning; unpinning again changes nothing.
    inbox::pin(db, &w.olek, c, false).await.unwrap();
    inbox::pin(db, &w.olek, c, false).await.unwrap();
    assert!(inbox::pinned(db, &w.olek).await.unwrap().is_empty());
    // At most 50 (finished ones count too).
    inbox::pin(db, &w.olek, d, true).await.unwrap();
    let mut last = d;
    for i in 0..49 {
        let x = w.new_conversation(&format!("more {i}")).await;
        inbox::finish(db, w.hub(), &w.anna, x).await.unwrap();
        inbox::pin(db, &w.olek, x, true).await.unwrap();
        last = x;
    }
    assert_eq!(inbox::pinned(db, &w.olek).await.unwrap().len(), 50);
    let e = inbox::pin(db, &w.olek, c, true).await.unwrap_err();
    assert_eq!(e.code(), Code::PinLimit, "{b:?}");
    inbox::pin(db, &w.olek, last, false).await.unwrap();
    inbox::pin(db, &w.olek, c, true).await.unwrap();

    // Through the server function.
    let app = &w.app;
    let ola = browser();
    app.sign_in_cookie(&ola, "ola@acme.test").await;
    let args = [
        ("slug", "acme"),
        ("conversation", &c.0.to_string()[..]),
        ("on", "true"),
    ];
    let (status, _) = app.server_fn_status(&ola, "pin_conversation", &args).await;
    assert_eq!(status, 200);
    let v = app
        .server_fn(&ola, "load_inbox", &[("slug", "acme"), ("filter", "pinned")])
        .await
        .unwrap();
    assert_eq!(v["pinned"], serde_json::json!([c.0]));
    assert_eq!(v["page"]["items"][0]["id"], serde_json::json!(c.0));
    let (status, _) = app.server_fn_status(&browser(), "pin_conversation", &args).await;
    assert_eq!(status, 401);
}

#[both_databases]
async fn internal_notes_reach_the_channels_operators_and_never_the_customer(b: Backend) {
    use app::backend::services::notes;
    let w = world(&b, Some("3")).await;
    let app = &w.app;
    let db = &app.state.db;
    let c = w.new_conversation("Hello, I need an invoice").await;
    let (olek_c, ola_c, cleo_c) = (browser(), browser(), browser());
    app.sign_in_cookie(&olek_c, "olek@acme.test").await;
    let ola_cookie = app.sign_in_cookie(&ola_c, "ola@acme.test").await;
    let cleo_cookie = app.sign_in_cookie(&cleo_c, "cleo@borealis.test").await;
    let mut ola_ws = app.ws("/ws/inbox?account=acme", &ola_cookie, None).await.unwrap();
    let mut cleo_ws = app
        .ws(
            &format!("/ws?code={}&account=borealis", w.code.as_str()),
            &cleo_cookie,
            None,
        )
        .await
        .unwrap();
    say(
        &mut cleo_ws,
        &ClientMsg::Resume {
            conversation: c,
            since_seq: 0,
        },
    )
    .await;
    let mut seen = 0;
    while seen < 2 {
        if let ServerMsg::Message { .. } = next_msg(&mut cleo_ws).await {
            seen += 1;
        }
    }

    // Olek writes a note through the server function; resending it stores it once.
    let cs = c.0.to_string();
    let args = [
        ("slug", "acme"),
        ("conversation", cs.as_str()),
        ("client_id", "note-00000001"),
        ("body", "VIP customer </textarea><script>alert(1)</script>"),
    ];
    let first = app.server_fn(&olek_c, "add_note", &args).await.unwrap();
    let again = app.server_fn(&olek_c, "add_note", &args).await.unwrap();
    assert_eq!(first, again, "{b:?}");
    assert_eq!(first["author_name"], "Olek");
    assert_eq!(w.app.count("conversation_notes").await, 1);
    // Ola, of the same channel, gets it live.
    loop {
        match next_msg(&mut ola_ws).await {
            ServerMsg::InternalNote { note } => {
                assert_eq!((note.conversation, note.id), (c, first["id"].as_i64().unwrap()));
                assert!(note.body.starts_with("VIP customer"));
                break;
            }
            ServerMsg::Conversation { .. } | ServerMsg::Message { .. } => continue,
            other => panic!("{other:?}"),
        }
    }
    // The customer never: her socket's next frame is Olek's reply, not the note.
    w.reply(&w.olek, c, "Sure, one moment").await.unwrap();
    loop {
        match next_msg(&mut cleo_ws).await {
            ServerMsg::Message { message } => {
                assert_eq!(message.body, "Sure, one moment", "{b:?}");
                break;
            }
            ServerMsg::InternalNote { .. } => panic!("{b:?}: the customer got a note"),
            _ => continue,
        }
    }
    // Nor in her history or on her chat page.
    let history = conv::messages_since(db, &Viewer::Customer(&w.cleo), c, 0, 100)
        .await
        .unwrap();
    assert!(history.iter().all(|m| !m.body.contains("VIP")));
    let (_, html) = app
        .get_html(&cleo_c, &format!("/chat/{}/borealis?c={}", w.code.as_str(), c.0))
        .await;
    assert!(
        html.contains("Sure, one moment") && !html.contains("VIP customer"),
        "{b:?}"
    );
    // Operators see it in the conversation, escaped.
    let detail = inbox::detail(db, &w.ola, c).await.unwrap();
    assert_eq!(detail.notes.len(), 1);
    let (_, html) = app
        .get_html(&olek_c, &format!("/a/acme/inbox?f=all&c={}", c.0))
        .await;
    assert!(
        html.contains("VIP customer &lt;/textarea&gt;&lt;script&gt;"),
        "{b:?}"
    );
    assert!(!html.contains("<script>alert(1)"));

    // Nobody else reads or writes them: another channel's operator, an employee,
    // another account's admin, and signed out.
    let zed = app.user("zed@zeta.test", "Zed").await;
    accounts::create(
        db,
        zed.id,
        &AccountName::parse("Zeta").unwrap(),
        &Slug::parse("zeta").unwrap(),
    )
    .await
    .unwrap();
    let zeta = accounts::actor(db, zed.id, "zeta").await.unwrap();
    for who in [&w.ida, &w.emil, &zeta] {
        assert!(matches!(
            notes::list(db, who, c).await,
            Err(AppError::NotFound | AppError::Forbidden)
        ));
        let r = notes::add(db, w.hub(), who, "X", c, &cid(), &body("psst")).await;
        assert!(
            matches!(r, Err(AppError::NotFound | AppError::Forbidden)),
            "{r:?}"
        );
    }
    let (ida_c, emil_c, zed_c) = (browser(), browser(), browser());
    app.sign_in_cookie(&ida_c, "ida@acme.test").await;
    app.sign_in_cookie(&emil_c, "emil@acme.test").await;
    app.sign_in_cookie(&zed_c, "zed@zeta.test").await;
    let args = [
        ("slug", "acme"),
        ("conversation", cs.as_str()),
        ("client_id", "note-intruder1"),
        ("body", "psst"),
    ];
    for (who, allowed) in [(&ida_c, [403, 404]), (&emil_c, [403, 404]), (&zed_c, [404, 404])] {
        let (status, _) = app.server_fn_status(who, "add_note", &args).await;
        assert!(allowed.contains(&status), "{status}");
    }
    let zargs = [
        ("slug", "zeta"),
        ("conversation", cs.as_str()),
        ("client_id", "note-intruder2"),
        ("body", "psst"),
    ];
    let (status, _) = app.server_fn_status(&zed_c, "add_note", &zargs).await;
    assert_eq!(
        status, 404,
        "another account's conversation through one's own slug"
    );
    let (status, _) = app.server_fn_status(&browser(), "add_note", &args).await;
    assert_eq!(status, 401);
    // Ola may not take Olek's client id.
    let (status, _) = app
        .server_fn_status(
            &ola_c,
            "add_note",
            &[
                ("slug", "acme"),
                ("conversation", cs.as_str()),
                ("client_id", "note-00000001"),
                ("body", "mine"),
            ],
        )
        .await;
    assert_eq!(status, 409);
    // Bad input: a clear error, nothing stored.
    for (client_id, text, field, code) in [
        ("note-00000002", "  ", "body", "required"),
        ("note-00000002", &"x".repeat(4001)[..], "body", "too_long"),
        ("bad id!", "fine", "client_id", "invalid_format"),
    ] {
        let (status, e) = app
            .server_fn_status(
                &olek_c,
                "add_note",
                &[
                    ("slug", "acme"),
                    ("conversation", cs.as_str()),
                    ("client_id", client_id),
                    ("body", text),
                ],
            )
            .await;
        let e = e.to_string();
        assert!(
            status == 422 && e.contains(field) && e.contains(code),
            "{status} {e}"
        );
    }
    assert_eq!(w.app.count("conversation_notes").await, 1, "{b:?}");

    // Finished conversations keep taking notes; at most 200 each.
    inbox::finish(db, w.hub(), &w.olek, c).await.unwrap();
    for i in 1..notes::MAX_PER_CONVERSATION {
        notes::add(db, w.hub(), &w.anna, "Anna", c, &cid(), &body(&format!("n{i}")))
            .await
            .unwrap();
    }
    let e = notes::add(db, w.hub(), &w.olek, "Olek", c, &cid(), &body("one more"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NoteLimit, "{b:?}");
    let all = notes::list(db, &w.olek, c).await.unwrap();
    assert_eq!(all.len() as u64, notes::MAX_PER_CONVERSATION);
    assert!(all.windows(2).all(|p| p[0].id < p[1].id));
}

#[both_databases]
async fn search_finds_conversations_by_customer_name_and_message_text_within_rights(b: Backend) {
    use app::backend::services::search;
    use app::domain::search::SearchQuery;
    use sea_orm::ConnectionTrait;
    let w = world(&b, Some("5")).await;
    let app = &w.app;
    let db = &app.state.db;
    let find = |who: &Actor, q: &str| {
        let who = who.clone();
        let q = SearchQuery::parse(q).unwrap();
        async move {
            search::search(db, &who, &q, None)
                .await
                .map(|p| p.items.iter().map(|h| h.conversation.id).collect::<Vec<_>>())
        }
    };
    let invoice = w.new_conversation("I need an invoice for March").await;
    w.reply(&w.olek, invoice, "Invoice 2024/15 is on its way")
        .await
        .unwrap();
    let parcel = w.new_conversation("Where is my parcel?").await;
    // Dorota writes from Delta.
    let dora = app.user("dora@delta.test", "Dorota Żółkiewska").await;
    new_account(db, &dora, "Delta", "delta").await;
    let dora = conv::customer(db, &dora, "delta").await.unwrap();
    let dorota = customer_send(
        db,
        w.hub(),
        &dora,
        &w.code,
        Target::New,
        &cid(),
        &body("Hi there"),
    )
    .await
    .unwrap()
    .conversation;
    // Zeta has a channel of its own, where Cleo asks for an invoice too.
    let zed = app.user("zed@zeta.test", "Zed").await;
    new_account(db, &zed, "Zeta", "zeta").await;
    let zeta = accounts::actor(db, zed.id, "zeta").await.unwrap();
    let (_, zeta_code) = network_channel(db, &zeta, "Help", &[zed.id], Some("5")).await;
    let elsewhere = customer_send(
        db,
        w.hub(),
        &w.cleo,
        &zeta_code,
        Target::New,
        &cid(),
        &body("invoice please"),
    )
    .await
    .unwrap()
    .conversation;

    // By message text: a word's start, any case, all words in one message.
    assert_eq!(find(&w.olek, "invoice").await.unwrap(), vec![invoice], "{b:?}");
    assert_eq!(find(&w.olek, "INVOI").await.unwrap(), vec![invoice]);
    assert_eq!(find(&w.olek, "invoice march").await.unwrap(), vec![invoice]);
    assert_eq!(find(&w.olek, "2024").await.unwrap(), vec![invoice]);
    assert_eq!(find(&w.olek, "parcel").await.unwrap(), vec![parcel]);
    assert!(find(&w.olek, "invoice parcel").await.unwrap().is_empty());
    // The welcome message ("Hello!") is not the customer's words.
    assert!(find(&w.olek, "hello").await.unwrap().is_empty(), "{b:?}");
    // By the customer's name (first or last, any case), even without a matching message.
    assert_eq!(find(&w.olek, "dorota").await.unwrap(), vec![dorota]);
    assert_eq!(find(&w.olek, "Żółkiewska").await.unwrap(), vec![dorota]);
    let newest_first = find(&w.anna, "cleo").await.unwrap();
    assert_eq!(newest_first, vec![parcel, invoice], "{b:?}");
    // Typed without diacritics, also letters Unicode does not decompose (ł, ø, ß…).
    assert_eq!(find(&w.olek, "zolkiewska").await.unwrap(), vec![dorota], "{b:?}");
    w.reply(&w.olek, parcel, "Płatność przyjęta, wysyłka z Łodzi; Straße")
        .await
        .unwrap();
    assert_eq!(
        find(&w.olek, "platnosc lodzi").await.unwrap(),
        vec![parcel],
        "{b:?}"
    );
    assert_eq!(find(&w.olek, "PŁATNOŚĆ").await.unwrap(), vec![parcel]);
    assert_eq!(find(&w.olek, "strasse").await.unwrap(), vec![parcel]);
    let q = SearchQuery::parse("lodzi").unwrap();
    let hit = search::search(db, &w.olek, &q, None).await.unwrap();
    assert_eq!(
        hit.items[0].snippet.as_deref(),
        Some("Płatność przyjęta, wysyłka z Łodzi; Straße")
    );
    // A renamed customer is found by the new name only.
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE users SET name = 'Dora Nowak-Łęcka' WHERE id = {}",
            dora.user.0
        ))
        .await
        .unwrap();
    assert_eq!(find(&w.olek, "nowak").await.unwrap(), vec![dorota], "{b:?}");
    assert_eq!(find(&w.olek, "lecka").await.unwrap(), vec![dorota], "{b:?}");
    assert!(find(&w.olek, "dorota").await.unwrap().is_empty());
    assert!(find(&w.olek, "zolkiewska").await.unwrap().is_empty());
    // The hit says where: the latest matching message.
    let q = SearchQuery::parse("invoice").unwrap();
    let page = search::search(db, &w.olek, &q, None).await.unwrap();
    assert_eq!(
        page.items[0].snippet.as_deref(),
        Some("Invoice 2024/15 is on its way")
    );
    assert_eq!(page.items[0].seq, Some(3));
    let q = SearchQuery::parse("nowak").unwrap();
    assert_eq!(
        search::search(db, &w.olek, &q, None).await.unwrap().items[0].snippet,
        None
    );

    // Rights: another account's conversations never; another channel's operator and
    // an operator taken out of the queue find nothing; employees may not search.
    assert_eq!(find(&zeta, "invoice").await.unwrap(), vec![elsewhere], "{b:?}");
    assert!(find(&zeta, "parcel").await.unwrap().is_empty());
    assert!(find(&w.ida, "invoice").await.unwrap().is_empty());
    assert!(matches!(find(&w.emil, "invoice").await, Err(AppError::Forbidden)));
    channels::set_operators(db, w.hub(), &w.anna, w.channel, &[w.ola.user])
        .await
        .unwrap();
    assert!(find(&w.olek, "invoice").await.unwrap().is_empty(), "{b:?}");
    assert_eq!(find(&w.ola, "invoice").await.unwrap(), vec![invoice]);
    assert_eq!(find(&w.anna, "invoice").await.unwrap(), vec![invoice]);

    // Paging: newest activity first, 50 at a time, nothing twice or missed.
    let mut all = Vec::new();
    for i in 0..53 {
        let c = customer_send(
            db,
            w.hub(),
            &dora,
            &w.code,
            Target::New,
            &cid(),
            &body(&format!("Weekly report number {i}")),
        )
        .await
        .unwrap()
        .conversation;
        inbox::finish(db, w.hub(), &w.anna, c).await.unwrap();
        all.push(c);
    }
    all.reverse();
    let q = SearchQuery::parse("report").unwrap();
    let first = search::search(db, &w.ola, &q, None).await.unwrap();
    assert_eq!(first.items.len(), 50, "{b:?}");
    let second = search::search(db, &w.ola, &q, first.next.as_deref())
        .await
        .unwrap();
    assert!(second.next.is_none());
    let got: Vec<_> = first
        .items
        .iter()
        .chain(second.items.iter())
        .map(|h| h.conversation.id)
        .collect();
    assert_eq!(got, all, "{b:?}");

    // Through the server function and the page's address.
    let (ola_c, emil_c) = (browser(), browser());
    app.sign_in_cookie(&ola_c, "ola@acme.test").await;
    app.sign_in_cookie(&emil_c, "emil@acme.test").await;
    let args = |q: &'static str| [("slug", "acme"), ("q", q), ("cursor", "")];
    let r = app
        .server_fn(&ola_c, "search_conversations", &args("parcel"))
        .await
        .unwrap();
    assert_eq!(r["items"][0]["conversation"]["id"], serde_json::json!(parcel.0));
    assert_eq!(r["items"][0]["snippet"], "Where is my parcel?");
    for (q, code) in [("a ?", "search_short"), ("   ", "required")] {
        let (status, e) = app
            .server_fn_status(&ola_c, "search_conversations", &args(q))
            .await;
        assert!(status == 422 && e.to_string().contains(code), "{status} {e}");
    }
    let long = "x".repeat(201);
    let (status, e) = app
        .server_fn_status(
            &ola_c,
            "search_conversations",
            &[("slug", "acme"), ("q", &long), ("cursor", "")],
        )
        .await;
    assert!(
        status == 422 && e.to_string().contains("too_long"),
        "{status} {e}"
    );
    let (status, _) = app
        .server_fn_status(&emil_c, "search_conversations", &args("parcel"))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .server_fn_status(&browser(), "search_conversations", &args("parcel"))
        .await;
    assert_eq!(status, 401);
    let (_, html) = app.get_html(&ola_c, "/a/acme/inbox?f=all&q=parcel").await;
    assert!(
        html.contains("Where is my parcel?") && html.contains("Results for"),
        "{b:?}"
    );
    let (_, html) = app.get_html(&ola_c, "/a/acme/inbox?f=all&q=%3F").await;
    assert!(html.contains("Type at least one word"), "{b:?}");
}
