//! The batch: what a group of appends reads in one write transaction ([`Snapshot`]),
//! what [`super::rules::admit`] makes of each ([`decide`]), and how it is written
//! through SeaORM ([`store`]; PostgreSQL, or an in-memory SQLite database).
//! [`super::sqlite`] reads and writes the same plan on an SQLite file.

use super::rules::{self, ConvFacts, Facts, Verdict};
use super::{Ack, Append, Target};
use crate::backend::db::begin_write;
use crate::backend::entities::{channel_operator, conversation, message, network_connector, open_channel};
use crate::backend::hub::{Hub, Topic};
use crate::backend::now_ms;
use crate::backend::principal::Party;
use crate::backend::services::conversations as conv;
use crate::backend::services::{app_events, hours};
use crate::domain::conversation::{preview_of, Author};
use crate::domain::{ChannelId, ConversationId, Role, UserId};
use crate::protocol::ServerMsg;
use sea_orm::ActiveValue::NotSet;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, Value,
};
use std::collections::{HashMap, HashSet};
use tokio::sync::oneshot;

/// The most appends stored in one transaction.
pub(super) const MAX_BATCH: usize = 512;

/// What the writer made of one append.
pub(super) enum Outcome {
    Stored(Ack),
    /// Not the common case: take the full path.
    Full,
}

pub(super) struct Job {
    pub(super) append: Append,
    pub(super) reply: oneshot::Sender<Outcome>,
}

/// Rows per `INSERT` statement (well under SQLite's and PostgreSQL's bind limits).
const INSERT_CHUNK: usize = 256;

/// An append the batch stored (or found stored): its ack, and the event to publish
/// after the commit (none for a resend: followers have it already).
pub(super) struct Done {
    pub(super) ack: Ack,
    pub(super) publish: Option<([Topic; 2], ServerMsg)>,
}

/// Per append: what the batch stored, or `None`: take the full path.
pub(super) type Stored = Option<Done>;

/// The conversation an append continues (none: a new one, always the full path).
pub(super) fn existing(a: &Append) -> Option<ConversationId> {
    match a.target {
        Target::Existing(id) => Some(id),
        Target::New => None,
    }
}

/// A message stored earlier under a client id: its seq, author and time.
#[derive(Clone, Copy, Debug)]
pub(super) struct Earlier {
    pub(super) seq: i64,
    pub(super) author_user_id: Option<i64>,
    pub(super) at: i64,
}

/// Everything a batch decides on, read inside its write transaction.
#[derive(Default)]
pub(super) struct Snapshot {
    pub(super) convs: HashMap<i64, ConvFacts>,
    /// Channel id → active.
    pub(super) channels: HashMap<i64, bool>,
    /// Channel id → (connected, code) of its Network connector.
    pub(super) connectors: HashMap<i64, (bool, String)>,
    /// (channel, user) of the batch's operators who serve that channel's queue.
    pub(super) serving: HashSet<(i64, i64)>,
    /// (conversation, author, client id) already stored.
    pub(super) earlier: HashMap<(i64, &'static str, String), Earlier>,
    /// Channels outside their working hours with an offline message to send.
    pub(super) offline: HashSet<i64>,
}

impl Snapshot {
    /// What the rules are told about conversation `c` for `party`.
    fn facts<'a>(&'a self, c: &'a ConvFacts, party: &Party) -> Facts<'a> {
        let connector = self.connectors.get(&c.channel_id);
        Facts {
            conversation: c,
            code: connector.map(|(_, code)| code.as_str()),
            available: connector.is_some_and(|(connected, _)| *connected)
                && self.channels.get(&c.channel_id) == Some(&true),
            offline_message: self.offline.contains(&c.channel_id),
            serving: self.serving.contains(&(c.channel_id, party.user().0)),
        }
    }
}

/// The ids a batch touches, sorted and without repeats.
pub(super) fn conversation_ids(batch: &[&Append]) -> Vec<i64> {
    let mut v: Vec<i64> = batch.iter().filter_map(|a| existing(a).map(|c| c.0)).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The batch's operators (admins need no queue row).
fn queue_operators(batch: &[&Append]) -> Vec<i64> {
    batch
        .iter()
        .filter_map(|a| match &a.party {
            Party::Operator { actor, .. } if actor.role == Role::Operator => Some(actor.user.0),
            _ => None,
        })
        .collect()
}

/// One conversation the batch appended to.
pub(super) struct Change {
    pub(super) id: i64,
    pub(super) last_seq: i64,
    pub(super) preview: String,
    pub(super) unread_added: i64,
    /// Since when the conversation waits for the customer (none: the customer wrote last).
    pub(super) awaiting: Option<i64>,
}

/// What to write for a batch, and what to answer each append.
pub(super) struct Plan {
    pub(super) out: Vec<Stored>,
    pub(super) rows: Vec<message::Model>,
    pub(super) changes: Vec<Change>,
    pub(super) now: i64,
}

/// Decides every append of the batch against the snapshot with [`rules::admit`]; a
/// resent client id is answered with the seq stored the first time.
pub(super) fn decide(batch: &[&Append], mut snap: Snapshot, now: i64) -> Plan {
    // Per conversation: (seq before the batch, customer messages added, last preview,
    // whether the customer wrote last).
    let mut added: HashMap<i64, (i64, i64, Option<String>, bool)> = HashMap::new();
    let mut out: Vec<Stored> = Vec::with_capacity(batch.len());
    let mut rows: Vec<message::Model> = Vec::new();
    // Stored in this batch: (conversation, author, client id) → (seq, user).
    let mut in_batch: HashMap<(i64, &'static str, String), (i64, UserId)> = HashMap::new();
    for a in batch {
        let Some(id) = existing(a) else {
            out.push(None);
            continue;
        };
        // Stored only when admitted with nothing else to do; anything else takes the
        // full path, which reports the refusal or does the duties.
        let admitted = snap.convs.get(&id.0).is_some_and(
            |c| matches!(rules::admit(&snap.facts(c, &a.party), &a.party), Verdict::Admit(d) if d.none()),
        );
        let Some(c) = snap.convs.get_mut(&id.0).filter(|_| admitted) else {
            out.push(None);
            continue;
        };
        let (user, author) = (a.party.user(), a.party.author());
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
        let message = conv::message_view(&row, a.party.name());
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
pub(super) async fn store(db: &DatabaseConnection, batch: &[&Append]) -> Result<Vec<Stored>, DbErr> {
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
        convs: rows.iter().map(|c| (c.id, ConvFacts::from(c))).collect(),
        ..Snapshot::default()
    };
    let now = now_ms();
    for n in network_connector::Entity::find()
        .filter(network_connector::Column::ChannelId.is_in(channel_ids.clone()))
        .all(&txn)
        .await?
    {
        if n.hours_on && hours::offline_with_message(&n.hours(), now) {
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
        if let Some(c) = existing(a) {
            let author = a.party.author();
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
    app_events::record_many(&txn, app_events::MESSAGE_ADD, &events, plan.now).await?;
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

fn topics(c: &ConvFacts) -> [Topic; 2] {
    [
        Topic::Conversation(ConversationId(c.id)),
        Topic::Channel(ChannelId(c.channel_id)),
    ]
}

/// After a batch: publishes what it stored and answers every sender. A failed batch
/// stored nothing: each of its appends takes the full path, which reports its own
/// error if there is one.
pub(super) fn finish<E: std::fmt::Display>(
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
