//! Appending messages: the path from a socket to the store to the hub.
//!
//! ```text
//! socket ──append──▶ Writer (one task) ──batch──▶ one write transaction ──commit──▶ acks + hub
//!                       │ not the common case
//!                       └──────────────▶ conversations::customer_send / operator_send
//! ```
//!
//! The common case — another message in a conversation that is already open for the
//! sender — goes to one writer task. It takes every append that is waiting, stores them
//! all in one write transaction (group commit: one lock, one flush for the whole batch,
//! a fixed number of statements whatever its size) and only after the commit answers
//! each sender and publishes the messages. An acknowledged message has therefore been
//! committed (`synchronous=FULL` on SQLite: it survives a process kill and a power loss).
//!
//! Everything else — the first message of a conversation, a closed or unassigned
//! conversation, a channel that went away, a right that changed, any error — takes the
//! full path in [`super::conversations`], which decides and reports it exactly as
//! before. The writer checks the same rules as that path, in bulk: the conversation is
//! the sender's (customer) or assigned to the sender who still serves its channel
//! (operator), it is not closed, its channel is connected and active, and a resent
//! client id is answered with the seq stored the first time.
//!
//! Locking: on SQLite the transaction holds the database's write lock from `BEGIN`; on
//! PostgreSQL it locks the batch's channels (in id order) before reading the
//! conversations, the same "channel first" order every other writer follows.

use super::accounts::Actor;
use super::conversations::{self as conv, Ack, Customer, Target};
use crate::backend::db::begin_write;
use crate::backend::entities::{channel_operator, conversation, message, network_connector, open_channel};
use crate::backend::hub::{Hub, Topic};
use crate::backend::now_ms;
use crate::domain::channel::ChannelCode;
use crate::domain::conversation::{preview_of, Author, ClientMsgId, ConversationStatus, MessageBody};
use crate::domain::{ChannelId, ConversationId, Role, UserId};
use crate::error::AppError;
use crate::protocol::ServerMsg;
use sea_orm::ActiveValue::NotSet;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, Value,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

mod sqlite;
use tokio::sync::{mpsc, oneshot};

/// The most appends stored in one transaction.
const MAX_BATCH: usize = 512;
/// Rows per `INSERT` statement (well under SQLite's and PostgreSQL's bind limits).
const INSERT_CHUNK: usize = 256;

/// Who writes.
#[derive(Clone, Debug)]
pub enum Sender {
    /// A customer, writing to the channel behind `code`.
    Customer { customer: Customer, code: ChannelCode },
    /// An operator (or admin) of the conversation's account, shown as `name`.
    Operator { actor: Actor, name: String },
}

/// One message to append.
#[derive(Clone, Debug)]
pub struct Append {
    pub sender: Sender,
    /// `None`: a customer starts a new conversation.
    pub conversation: Option<ConversationId>,
    pub client_id: ClientMsgId,
    pub body: MessageBody,
}

/// What the writer made of one append.
enum Outcome {
    Stored(Ack),
    /// Not the common case: take the full path.
    Full,
}

struct Job {
    append: Append,
    reply: oneshot::Sender<Outcome>,
}

/// The message writer (one per process). Cheap to share.
///
/// Its task runs on a thread of its own with its own database connection: under load
/// the web runtime has hundreds of socket tasks ready to run, and a writer that waited
/// in that queue after each of its statements would hold the write lock for
/// milliseconds per batch.
pub struct Writer {
    db: DatabaseConnection,
    hub: Arc<dyn Hub>,
    /// For the writer's own connection (`None`: share `db`, e.g. an in-memory database).
    url: Option<String>,
    tx: OnceLock<mpsc::Sender<Job>>,
}

impl Writer {
    pub fn new(db: DatabaseConnection, hub: Arc<dyn Hub>, database_url: &str) -> Self {
        Self {
            db,
            hub,
            url: (!database_url.contains(":memory:")).then(|| database_url.to_string()),
            tx: OnceLock::new(),
        }
    }

    /// Stores `a` and answers with its seq once it is committed (and published).
    pub async fn append(&self, a: Append) -> Result<Ack, AppError> {
        if a.conversation.is_some() {
            if let Some(Outcome::Stored(ack)) = self.batched(a.clone()).await {
                crate::backend::metrics::get().acked.inc();
                return Ok(ack);
            }
        }
        let ack = full_path(&self.db, self.hub.as_ref(), a).await?;
        crate::backend::metrics::get().acked.inc();
        Ok(ack)
    }

    /// Hands `a` to the writer (started on first use).
    async fn batched(&self, append: Append) -> Option<Outcome> {
        let tx = self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
            let (shared, hub, url) = (self.db.clone(), self.hub.clone(), self.url.clone());
            let file = url.as_deref().and_then(crate::backend::db::sqlite_file_path);
            let started = std::thread::Builder::new()
                .name("netlines-writer".into())
                .spawn(move || match file {
                    // SQLite: the writer's statements run on its own thread, on a
                    // connection of its own, with no hop to another thread per statement.
                    Some(path) => match sqlite::Store::open(&path) {
                        Ok(store) => sqlite::run(store, hub, rx),
                        Err(e) => {
                            tracing::error!(error = %e, "the writer's SQLite connection failed; sharing the pool");
                            orm_thread(shared, None, hub, rx)
                        }
                    },
                    None => orm_thread(shared, url, hub, rx),
                });
            if let Err(e) = started {
                tracing::error!(error = %e, "the writer's thread did not start; every append takes the full path");
            }
            tx
        });
        let (reply, answer) = oneshot::channel();
        tx.send(Job { append, reply }).await.ok()?;
        answer.await.ok()
    }
}

/// The writer on a runtime of its own, through SeaORM (PostgreSQL, or an in-memory
/// SQLite database shared with the pool).
fn orm_thread(shared: DatabaseConnection, url: Option<String>, hub: Arc<dyn Hub>, rx: mpsc::Receiver<Job>) {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "the writer's runtime did not start; every append takes the full path");
            return;
        }
    };
    rt.block_on(async move {
        let db = match url {
            Some(url) => own_connection(&url).await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "the writer's connection failed; sharing the pool");
                shared
            }),
            None => shared,
        };
        run(db, hub, rx).await
    })
}

/// The writer's connection: one, kept open.
async fn own_connection(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = sea_orm::ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false)
        .max_connections(1)
        .min_connections(1)
        .connect_timeout(std::time::Duration::from_secs(10))
        .acquire_timeout(std::time::Duration::from_secs(30));
    sea_orm::Database::connect(opts).await
}

/// The full path: every rule, one message per transaction.
async fn full_path(db: &DatabaseConnection, hub: &dyn Hub, a: Append) -> Result<Ack, AppError> {
    match a.sender {
        Sender::Customer { customer, code } => {
            let target = a.conversation.map(Target::Existing).unwrap_or(Target::New);
            conv::customer_send(db, hub, &customer, &code, target, &a.client_id, &a.body).await
        }
        Sender::Operator { actor, name } => {
            let id = a.conversation.ok_or(AppError::Invalid {
                field: crate::error::Field::Conversation,
                code: crate::error::Code::Required,
            })?;
            conv::operator_send(db, hub, &actor, &name, id, &a.client_id, &a.body).await
        }
    }
}

/// The writer task (SeaORM): a batch is whatever waits when the previous commit is done.
async fn run(db: DatabaseConnection, hub: Arc<dyn Hub>, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let started = std::time::Instant::now();
        let appends: Vec<&Append> = jobs.iter().map(|j| &j.append).collect();
        let outcomes = store(&db, &appends).await;
        finish(&mut jobs, outcomes, hub.as_ref(), started);
    }
}

/// After a batch: publishes what it stored and answers every sender. A failed batch
/// stored nothing: each of its appends takes the full path, which reports its own
/// error if there is one.
fn finish<E: std::fmt::Display>(
    jobs: &mut Vec<Job>,
    outcomes: Result<Vec<Stored>, E>,
    hub: &dyn Hub,
    started: std::time::Instant,
) {
    if outcomes.is_ok() {
        crate::backend::metrics::get()
            .commit_seconds
            .observe(started.elapsed().as_secs_f64());
    }
    let outcomes = outcomes.unwrap_or_else(|e| {
        tracing::warn!(error = %e, batch = jobs.len(), "message batch failed; using the full path");
        jobs.iter().map(|_| None).collect()
    });
    tracing::debug!(
        batch = jobs.len(),
        stored = outcomes.iter().filter(|o| o.is_some()).count(),
        micros = started.elapsed().as_micros() as u64,
        "message batch"
    );
    for (job, out) in jobs.drain(..).zip(outcomes) {
        let outcome = match out {
            Some(done) => {
                if let Some((topics, msg)) = done.publish {
                    hub.publish_all(&topics, msg);
                }
                Outcome::Stored(done.ack)
            }
            None => Outcome::Full,
        };
        let _ = job.reply.send(outcome);
    }
}

/// An append the batch stored (or found stored): its ack, and the event to publish
/// after the commit (none for a resend: followers have it already).
struct Done {
    ack: Ack,
    publish: Option<([Topic; 2], ServerMsg)>,
}

type Stored = Option<Done>;

/// The sender's user and author kind.
fn author_of(s: &Sender) -> (UserId, Author) {
    match s {
        Sender::Customer { customer, .. } => (customer.user, Author::Customer),
        Sender::Operator { actor, .. } => (actor.user, Author::Operator),
    }
}

/// A conversation as the batch needs it.
#[derive(Clone, Debug)]
struct ConvRow {
    id: i64,
    channel_id: i64,
    account_id: i64,
    customer_user_id: i64,
    customer_account_id: i64,
    operator_user_id: Option<i64>,
    status: String,
    last_seq: i64,
}

impl From<conversation::Model> for ConvRow {
    fn from(c: conversation::Model) -> Self {
        Self {
            id: c.id,
            channel_id: c.channel_id,
            account_id: c.account_id,
            customer_user_id: c.customer_user_id,
            customer_account_id: c.customer_account_id,
            operator_user_id: c.operator_user_id,
            status: c.status,
            last_seq: c.last_seq,
        }
    }
}

/// A message stored earlier under a client id: its seq, author and time.
#[derive(Clone, Copy, Debug)]
struct Earlier {
    seq: i64,
    author_user_id: Option<i64>,
    at: i64,
}

/// Everything a batch decides on, read inside its write transaction.
#[derive(Default)]
struct Snapshot {
    convs: HashMap<i64, ConvRow>,
    /// Channel id → active.
    channels: HashMap<i64, bool>,
    /// Channel id → (connected, code) of its Network connector.
    connectors: HashMap<i64, (bool, String)>,
    /// (channel, user) of the batch's operators who serve that channel's queue.
    serving: HashSet<(i64, i64)>,
    /// (conversation, author, client id) already stored.
    earlier: HashMap<(i64, &'static str, String), Earlier>,
    /// Channels outside their working hours with an offline message: a customer's
    /// message there takes the full path, which sends it.
    offline: HashSet<i64>,
}

/// The ids a batch touches, sorted and without repeats.
fn conversation_ids(batch: &[&Append]) -> Vec<i64> {
    let mut v: Vec<i64> = batch.iter().filter_map(|a| a.conversation.map(|c| c.0)).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The batch's operators (admins need no queue row).
fn queue_operators(batch: &[&Append]) -> Vec<i64> {
    batch
        .iter()
        .filter_map(|a| match &a.sender {
            Sender::Operator { actor, .. } if actor.role == Role::Operator => Some(actor.user.0),
            _ => None,
        })
        .collect()
}

/// One conversation the batch appended to.
struct Change {
    id: i64,
    last_seq: i64,
    preview: String,
    unread_added: i64,
    /// Since when the conversation waits for the customer (none: the customer wrote last).
    awaiting: Option<i64>,
}

/// What to write for a batch, and what to answer each append.
struct Plan {
    out: Vec<Stored>,
    rows: Vec<message::Model>,
    changes: Vec<Change>,
    now: i64,
}

/// Decides every append of the batch against the snapshot, by the same rules as the
/// full path: the conversation is the sender's (customer) or assigned to the sender who
/// still serves its channel (operator), it is not closed, its channel is connected and
/// active; a resent client id is answered with the seq stored the first time.
fn decide(batch: &[&Append], mut snap: Snapshot, now: i64) -> Plan {
    // Per conversation: (seq before the batch, customer messages added, last preview,
    // whether the customer wrote last).
    let mut added: HashMap<i64, (i64, i64, Option<String>, bool)> = HashMap::new();
    let mut out: Vec<Stored> = Vec::with_capacity(batch.len());
    let mut rows: Vec<message::Model> = Vec::new();
    // Stored in this batch: (conversation, author, client id) → (seq, user).
    let mut in_batch: HashMap<(i64, &'static str, String), (i64, UserId)> = HashMap::new();
    for a in batch {
        let Some(id) = a.conversation else {
            out.push(None);
            continue;
        };
        let Some(c) = snap.convs.get_mut(&id.0) else {
            out.push(None);
            continue;
        };
        let available = snap
            .connectors
            .get(&c.channel_id)
            .is_some_and(|(connected, _)| *connected)
            && snap.channels.get(&c.channel_id) == Some(&true);
        let status = ConversationStatus::parse(&c.status);
        let (user, author) = author_of(&a.sender);
        let allowed = available
            && status != ConversationStatus::Closed
            && match &a.sender {
                Sender::Customer { customer, code } => {
                    !snap.offline.contains(&c.channel_id)
                        && c.customer_user_id == customer.user.0
                        && c.customer_account_id == customer.account.0
                        && c.account_id != customer.account.0
                        && snap
                            .connectors
                            .get(&c.channel_id)
                            .is_some_and(|(_, stored)| stored == code.as_str())
                }
                Sender::Operator { actor, .. } => {
                    c.account_id == actor.account.0
                        && status == ConversationStatus::Open
                        && c.operator_user_id == Some(actor.user.0)
                        && match actor.role {
                            Role::Admin => true,
                            Role::Operator => snap.serving.contains(&(c.channel_id, actor.user.0)),
                            Role::Employee => false,
                        }
                }
            };
        if !allowed {
            out.push(None);
            continue;
        }
        let key = (id.0, author.as_str(), a.client_id.as_str().to_string());
        if let Some(m) = snap.earlier.get(&key) {
            // A resend: the first answer again (when it was the same person's).
            out.push((m.author_user_id == Some(user.0)).then_some(Done {
                ack: Ack {
                    conversation: id,
                    seq: m.seq,
                    at: m.at,
                },
                publish: None,
            }));
            continue;
        }
        if let Some((seq, who)) = in_batch.get(&key) {
            out.push((*who == user).then_some(Done {
                ack: Ack {
                    conversation: id,
                    seq: *seq,
                    at: now,
                },
                publish: None,
            }));
            continue;
        }
        let entry = added.entry(id.0).or_insert((c.last_seq, 0, None, false));
        c.last_seq += 1;
        let seq = c.last_seq;
        if author == Author::Customer {
            entry.1 += 1;
        }
        entry.3 = author == Author::Customer;
        entry.2 = Some(preview_of(a.body.as_str()));
        in_batch.insert(key, (seq, user));
        let row = message::Model {
            id: 0,
            conversation_id: id.0,
            seq,
            client_id: a.client_id.as_str().to_string(),
            author: author.as_str().to_string(),
            author_user_id: Some(user.0),
            body: a.body.as_str().to_string(),
            created_at: now,
            files: None,
            rich: None,
        };
        let message = conv::message_view(&row, name_of(&a.sender));
        rows.push(row);
        out.push(Some(Done {
            ack: Ack {
                conversation: id,
                seq,
                at: now,
            },
            publish: Some((topics(c), ServerMsg::Message { message })),
        }));
    }
    let mut changes: Vec<Change> = added
        .into_iter()
        .map(|(id, (_, unread_added, preview, customer_last))| Change {
            id,
            last_seq: snap.convs.get(&id).map(|c| c.last_seq).unwrap_or_default(),
            preview: preview.unwrap_or_default(),
            unread_added,
            awaiting: (!customer_last).then_some(now),
        })
        .collect();
    changes.sort_unstable_by_key(|c| c.id);
    Plan {
        out,
        rows,
        changes,
        now,
    }
}

/// Stores one batch in one transaction through SeaORM; per append, what was stored
/// (or `None`: take the full path).
async fn store(db: &DatabaseConnection, batch: &[&Append]) -> Result<Vec<Stored>, DbErr> {
    let backend = db.get_database_backend();
    let txn = begin_write(db).await?;
    let conv_ids = conversation_ids(batch);
    let mut rows = conversation::Entity::find()
        .filter(conversation::Column::Id.is_in(conv_ids.clone()))
        .all(&txn)
        .await?;
    let mut channel_ids: Vec<i64> = rows.iter().map(|c| c.channel_id).collect();
    channel_ids.sort_unstable();
    channel_ids.dedup();
    // Channel rows first (locked on PostgreSQL), then the conversations as they are now.
    let channels = open_channel::Entity::find()
        .filter(open_channel::Column::Id.is_in(channel_ids.clone()))
        .order_by_asc(open_channel::Column::Id)
        .lock_exclusive()
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.active))
        .collect();
    if backend == DbBackend::Postgres {
        rows = conversation::Entity::find()
            .filter(conversation::Column::Id.is_in(conv_ids.clone()))
            .order_by_asc(conversation::Column::Id)
            .lock_exclusive()
            .all(&txn)
            .await?;
    }
    let mut snap = Snapshot {
        channels,
        convs: rows.into_iter().map(|c| (c.id, ConvRow::from(c))).collect(),
        ..Snapshot::default()
    };
    let now = now_ms();
    for n in network_connector::Entity::find()
        .filter(network_connector::Column::ChannelId.is_in(channel_ids.clone()))
        .all(&txn)
        .await?
    {
        if n.hours_on && super::hours::offline_with_message(&super::hours::hours_of(&n), now) {
            snap.offline.insert(n.channel_id);
        }
        snap.connectors.insert(n.channel_id, (n.connected, n.code));
    }
    let operators = queue_operators(batch);
    if !operators.is_empty() {
        snap.serving = channel_operator::Entity::find()
            .filter(channel_operator::Column::ChannelId.is_in(channel_ids.clone()))
            .filter(channel_operator::Column::UserId.is_in(operators))
            .all(&txn)
            .await?
            .into_iter()
            .map(|r| (r.channel_id, r.user_id))
            .collect();
    }
    // Resends: each (conversation, author, client id) looked up by the unique index
    // (three `IN` lists would make the database probe every combination of them).
    let mut wanted = sea_orm::Condition::any();
    for a in batch {
        if let Some(c) = a.conversation {
            let (_, author) = author_of(&a.sender);
            wanted = wanted.add(
                sea_orm::Condition::all()
                    .add(message::Column::ConversationId.eq(c.0))
                    .add(message::Column::Author.eq(author.as_str()))
                    .add(message::Column::ClientId.eq(a.client_id.as_str())),
            );
        }
    }
    for m in message::Entity::find().filter(wanted).all(&txn).await? {
        let author = Author::parse(&m.author).as_str();
        let earlier = Earlier {
            seq: m.seq,
            author_user_id: m.author_user_id,
            at: m.created_at,
        };
        snap.earlier
            .insert((m.conversation_id, author, m.client_id), earlier);
    }

    let account_of: HashMap<i64, i64> = snap.convs.values().map(|c| (c.id, c.account_id)).collect();
    let plan = decide(batch, snap, now);
    if plan.rows.is_empty() {
        txn.rollback().await?;
        return Ok(plan.out);
    }
    // Apps' events of these messages, in the same transaction (one statement).
    let events: Vec<(i64, i64, i64)> = plan
        .rows
        .iter()
        .filter_map(|r| {
            account_of
                .get(&r.conversation_id)
                .map(|a| (*a, r.conversation_id, r.seq))
        })
        .collect();
    let mut rest: Vec<message::ActiveModel> = plan
        .rows
        .into_iter()
        .map(|r| {
            let mut m: message::ActiveModel = r.into();
            m.id = NotSet;
            m
        })
        .collect();
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(INSERT_CHUNK));
        message::Entity::insert_many(rest)
            .exec_without_returning(&txn)
            .await?;
        rest = tail;
    }
    txn.execute_raw(update_conversations(backend, &plan.changes, plan.now))
        .await?;
    super::app_events::record_many(&txn, super::app_events::MESSAGE_ADD, &events, plan.now).await?;
    txn.commit().await?;
    Ok(plan.out)
}

/// One `UPDATE` for every conversation the batch appended to: last seq, activity time,
/// preview and the operators' unread count (added to, never overwritten).
fn update_conversations(backend: DbBackend, changed: &[Change], now: i64) -> Statement {
    let mut values: Vec<Value> = Vec::new();
    let p = |v: Value, values: &mut Vec<Value>| {
        values.push(v);
        match backend {
            DbBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_string(),
        }
    };
    // Placeholders are numbered (PostgreSQL) or positional (SQLite): values are pushed
    // in the order they appear in the text.
    let mut seq = String::from("CASE id");
    for c in changed {
        let (id, v) = (p(c.id.into(), &mut values), p(c.last_seq.into(), &mut values));
        seq += &format!(" WHEN {id} THEN {v}");
    }
    let at = p(now.into(), &mut values);
    let mut preview = String::from("CASE id");
    for c in changed {
        let id = p(c.id.into(), &mut values);
        let v = p(c.preview.clone().into(), &mut values);
        preview += &format!(" WHEN {id} THEN {v}");
    }
    let mut unread = String::from("CASE id");
    for c in changed {
        let (id, v) = (p(c.id.into(), &mut values), p(c.unread_added.into(), &mut values));
        unread += &format!(" WHEN {id} THEN {v}");
    }
    let mut awaiting = String::from("CASE id");
    for c in changed {
        let (id, v) = (p(c.id.into(), &mut values), p(c.awaiting.into(), &mut values));
        awaiting += &format!(" WHEN {id} THEN {v}");
    }
    let ids: Vec<String> = changed.iter().map(|c| p(c.id.into(), &mut values)).collect();
    let sql = format!(
        "UPDATE conversations SET last_seq = {seq} ELSE last_seq END, updated_at = {at}, \
         preview = {preview} ELSE preview END, \
         operator_unread = operator_unread + ({unread} ELSE 0 END), \
         awaiting_since = {awaiting} ELSE awaiting_since END WHERE id IN ({})",
        ids.join(", ")
    );
    Statement::from_sql_and_values(backend, sql, values)
}

fn topics(c: &ConvRow) -> [Topic; 2] {
    [
        Topic::Conversation(ConversationId(c.id)),
        Topic::Channel(ChannelId(c.channel_id)),
    ]
}

fn name_of(s: &Sender) -> &str {
    match s {
        Sender::Customer { customer, .. } => &customer.user_name,
        Sender::Operator { name, .. } => name,
    }
}
