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
                return Ok(ack);
            }
        }
        full_path(&self.db, self.hub.as_ref(), a).await
    }

    /// Hands `a` to the writer task (started on first use).
    async fn batched(&self, append: Append) -> Option<Outcome> {
        let tx = self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
            let (shared, hub, url) = (self.db.clone(), self.hub.clone(), self.url.clone());
            let started = std::thread::Builder::new()
                .name("netlines-writer".into())
                .spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("the writer's runtime");
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

/// The writer task: a batch is whatever waits when the previous commit is done.
async fn run(db: DatabaseConnection, hub: Arc<dyn Hub>, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let appends: Vec<&Append> = jobs.iter().map(|j| &j.append).collect();
        let started = std::time::Instant::now();
        let outcomes = match store(&db, &appends).await {
            Ok(stored) => stored,
            Err(e) => {
                // Nothing of the batch is stored: each append takes the full path, which
                // reports its own error if there is one.
                tracing::warn!(error = %e, batch = jobs.len(), "message batch failed; using the full path");
                jobs.iter().map(|_| None).collect()
            }
        };
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
                        for t in &topics {
                            hub.publish(t, msg.clone());
                        }
                    }
                    Outcome::Stored(done.ack)
                }
                None => Outcome::Full,
            };
            let _ = job.reply.send(outcome);
        }
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

/// What a conversation looks like while the batch is being decided.
struct Conv {
    row: conversation::Model,
    /// Its channel is connected and active, under this code and connector name.
    available: bool,
    code: String,
    first_seq: i64,
    unread_added: i64,
    preview: Option<String>,
}

/// Stores one batch in one transaction; per append, what was stored (or `None`: take
/// the full path).
async fn store(db: &DatabaseConnection, batch: &[&Append]) -> Result<Vec<Stored>, DbErr> {
    let backend = db.get_database_backend();
    let txn = begin_write(db).await?;
    let conv_ids: Vec<i64> = {
        let mut v: Vec<i64> = batch.iter().filter_map(|a| a.conversation.map(|c| c.0)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut rows = conversation::Entity::find()
        .filter(conversation::Column::Id.is_in(conv_ids.clone()))
        .all(&txn)
        .await?;
    let mut channel_ids: Vec<i64> = rows.iter().map(|c| c.channel_id).collect();
    channel_ids.sort_unstable();
    channel_ids.dedup();
    // Channel rows first (locked on PostgreSQL), then the conversations as they are now.
    let channels: HashMap<i64, bool> = open_channel::Entity::find()
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
    let connectors: HashMap<i64, network_connector::Model> = network_connector::Entity::find()
        .filter(network_connector::Column::ChannelId.is_in(channel_ids.clone()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|n| (n.channel_id, n))
        .collect();
    // Queue rows of the operators in the batch (admins need none).
    let operators: Vec<i64> = batch
        .iter()
        .filter_map(|a| match &a.sender {
            Sender::Operator { actor, .. } if actor.role == Role::Operator => Some(actor.user.0),
            _ => None,
        })
        .collect();
    let serving: HashSet<(i64, i64)> = if operators.is_empty() {
        HashSet::new()
    } else {
        channel_operator::Entity::find()
            .filter(channel_operator::Column::ChannelId.is_in(channel_ids.clone()))
            .filter(channel_operator::Column::UserId.is_in(operators))
            .all(&txn)
            .await?
            .into_iter()
            .map(|r| (r.channel_id, r.user_id))
            .collect()
    };
    // Resends: the same client id already stored in the same conversation.
    let client_ids: Vec<String> = batch.iter().map(|a| a.client_id.as_str().to_string()).collect();
    // All three columns of the unique index are named, so this is index look-ups only.
    let authors = [Author::Customer.as_str(), Author::Operator.as_str()];
    let earlier: HashMap<(i64, String, String), message::Model> = message::Entity::find()
        .filter(message::Column::ConversationId.is_in(conv_ids.clone()))
        .filter(message::Column::Author.is_in(authors))
        .filter(message::Column::ClientId.is_in(client_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| ((m.conversation_id, m.author.clone(), m.client_id.clone()), m))
        .collect();

    let mut convs: HashMap<i64, Conv> = rows
        .into_iter()
        .map(|row| {
            let connector = connectors.get(&row.channel_id);
            let available =
                connector.is_some_and(|n| n.connected) && channels.get(&row.channel_id) == Some(&true);
            let c = Conv {
                available,
                code: connector.map(|n| n.code.clone()).unwrap_or_default(),
                first_seq: row.last_seq,
                unread_added: 0,
                preview: None,
                row,
            };
            (c.row.id, c)
        })
        .collect();

    let now = now_ms();
    let mut out: Vec<Stored> = Vec::with_capacity(batch.len());
    let mut new_rows: Vec<message::ActiveModel> = Vec::new();
    // Stored in this batch: (conversation, author, client id) → seq.
    let mut in_batch: HashMap<(i64, &'static str, String), (i64, UserId)> = HashMap::new();
    for a in batch {
        let Some(id) = a.conversation else {
            out.push(None);
            continue;
        };
        let Some(c) = convs.get_mut(&id.0) else {
            out.push(None);
            continue;
        };
        let (user, author) = author_of(&a.sender);
        let allowed = c.available
            && ConversationStatus::parse(&c.row.status) != ConversationStatus::Closed
            && match &a.sender {
                Sender::Customer { customer, code } => {
                    c.row.customer_user_id == customer.user.0
                        && c.row.customer_account_id == customer.account.0
                        && c.row.account_id != customer.account.0
                        && c.code == code.as_str()
                }
                Sender::Operator { actor, .. } => {
                    c.row.account_id == actor.account.0
                        && ConversationStatus::parse(&c.row.status) == ConversationStatus::Open
                        && c.row.operator_user_id == Some(actor.user.0)
                        && match actor.role {
                            Role::Admin => true,
                            Role::Operator => serving.contains(&(c.row.channel_id, actor.user.0)),
                            Role::Employee => false,
                        }
                }
            };
        if !allowed {
            out.push(None);
            continue;
        }
        let key = (id.0, author.as_str(), a.client_id.as_str().to_string());
        if let Some(m) = earlier.get(&(key.0, key.1.to_string(), key.2.clone())) {
            // A resend: the first answer again (when it was the same person's).
            out.push((m.author_user_id == Some(user.0)).then_some(Done {
                ack: Ack {
                    conversation: id,
                    seq: m.seq,
                    at: m.created_at,
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
        c.row.last_seq += 1;
        let seq = c.row.last_seq;
        if author == Author::Customer {
            c.unread_added += 1;
        }
        c.preview = Some(preview_of(a.body.as_str()));
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
        };
        let message = conv::message_view(&row, name_of(&a.sender));
        let mut insert: message::ActiveModel = row.into();
        insert.id = NotSet;
        new_rows.push(insert);
        out.push(Some(Done {
            ack: Ack {
                conversation: id,
                seq,
                at: now,
            },
            publish: Some((topics(&c.row), ServerMsg::Message { message })),
        }));
    }
    if new_rows.is_empty() {
        txn.rollback().await?;
        return Ok(out);
    }
    let mut rest = new_rows;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(INSERT_CHUNK));
        message::Entity::insert_many(rest)
            .exec_without_returning(&txn)
            .await?;
        rest = tail;
    }
    let changed: Vec<&Conv> = convs.values().filter(|c| c.row.last_seq != c.first_seq).collect();
    txn.execute_raw(update_conversations(backend, &changed, now))
        .await?;
    txn.commit().await?;
    Ok(out)
}

/// One `UPDATE` for every conversation the batch appended to: last seq, activity time,
/// preview and the operators' unread count (added to, never overwritten).
fn update_conversations(backend: DbBackend, changed: &[&Conv], now: i64) -> Statement {
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
        let (id, v) = (
            p(c.row.id.into(), &mut values),
            p(c.row.last_seq.into(), &mut values),
        );
        seq += &format!(" WHEN {id} THEN {v}");
    }
    let at = p(now.into(), &mut values);
    let mut preview = String::from("CASE id");
    for c in changed {
        let id = p(c.row.id.into(), &mut values);
        let v = p(c.preview.clone().unwrap_or_default().into(), &mut values);
        preview += &format!(" WHEN {id} THEN {v}");
    }
    let mut unread = String::from("CASE id");
    for c in changed {
        let (id, v) = (
            p(c.row.id.into(), &mut values),
            p(c.unread_added.into(), &mut values),
        );
        unread += &format!(" WHEN {id} THEN {v}");
    }
    let ids: Vec<String> = changed.iter().map(|c| p(c.row.id.into(), &mut values)).collect();
    let sql = format!(
        "UPDATE conversations SET last_seq = {seq} ELSE last_seq END, updated_at = {at}, \
         preview = {preview} ELSE preview END, \
         operator_unread = operator_unread + ({unread} ELSE 0 END) WHERE id IN ({})",
        ids.join(", ")
    );
    Statement::from_sql_and_values(backend, sql, values)
}

fn topics(c: &conversation::Model) -> [Topic; 2] {
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
