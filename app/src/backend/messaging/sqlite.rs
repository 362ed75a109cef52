//! The writer on an SQLite file: its own connection, used directly on the writer's
//! thread.
//!
//! Through the pool every statement is a round trip to sqlx's worker thread, and with
//! both cores busy each hop waits to be scheduled: a batch of ten statements took 4–11
//! ms, most of it waiting, while the write lock was held. Here the statements run where
//! the batch is decided, each prepared once and looked up by key, so a batch costs its
//! SQLite work and one flush at commit.
//!
//! The rules are the same as through SeaORM ([`decide`], [`super::rules::admit`]); only
//! the reading and writing differ. The connection has the same settings as the pool's: WAL (a property of the
//! file), `synchronous=FULL` (an acknowledged message survives a power loss), foreign
//! keys on, a busy timeout (the full path writes through the pool), `BEGIN IMMEDIATE`.

use super::batch::{conversation_ids, decide, existing, finish, Earlier, Job, Snapshot, Stored, MAX_BATCH};
use super::rules::ConvFacts;
use super::Append;
use crate::backend::entities::network_connector;
use crate::backend::hub::Hub;
use crate::backend::now_ms;
use crate::backend::principal::Party;
use crate::backend::services::{app_events, hours};
use crate::domain::conversation::ConversationStatus;
use crate::domain::Role;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::sync::Arc;
use tokio::sync::mpsc;

pub(super) struct Store {
    conn: Connection,
}

impl Store {
    /// Opens the (already migrated) database file.
    pub(super) fn open(path: &str) -> rusqlite::Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // 64 MiB of page cache: the pages a batch touches (the tail of the messages
        // table, its two indexes, the open conversations) stay in memory.
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;",
        )?;
        conn.set_prepared_statement_cache_capacity(16);
        Ok(Self { conn })
    }

    /// Stores one batch in one transaction; per append, what was stored (or `None`:
    /// take the full path).
    fn store(&mut self, batch: &[&Append]) -> rusqlite::Result<Vec<Stored>> {
        let txn = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut snap = Snapshot::default();
        {
            let mut conv = txn.prepare_cached(
                "SELECT id, channel_id, account_id, customer_user_id, customer_account_id, \
                 operator_user_id, status, last_seq FROM conversations WHERE id = ?1",
            )?;
            for id in conversation_ids(batch) {
                let row = conv
                    .query_row([id], |r| {
                        Ok(ConvFacts {
                            id: r.get(0)?,
                            channel_id: r.get(1)?,
                            account_id: r.get(2)?,
                            customer_user_id: r.get(3)?,
                            customer_account_id: r.get(4)?,
                            operator_user_id: r.get(5)?,
                            status: ConversationStatus::parse(&r.get::<_, String>(6)?),
                            last_seq: r.get(7)?,
                        })
                    })
                    .optional()?;
                if let Some(row) = row {
                    snap.convs.insert(id, row);
                }
            }
            let mut channel = txn.prepare_cached("SELECT active FROM open_channels WHERE id = ?1")?;
            let mut connector = txn.prepare_cached(
                "SELECT connected, code, hours_on, time_zone, week, holidays, offline_message \
                 FROM network_connectors WHERE channel_id = ?1",
            )?;
            let now = now_ms();
            let channels: Vec<i64> = snap.convs.values().map(|c| c.channel_id).collect();
            for ch in channels {
                if snap.channels.contains_key(&ch) {
                    continue;
                }
                if let Some(active) = channel.query_row([ch], |r| r.get::<_, bool>(0)).optional()? {
                    snap.channels.insert(ch, active);
                }
                let found = connector
                    .query_row([ch], |r| {
                        let hours_on: bool = r.get(2)?;
                        // Only channels with hours decode them (the common case reads two columns).
                        let offline = hours_on && {
                            let h = network_connector::stored_hours(
                                true,
                                r.get(3)?,
                                &r.get::<_, String>(4)?,
                                &r.get::<_, String>(5)?,
                                r.get(6)?,
                            );
                            hours::offline_with_message(&h, now)
                        };
                        Ok((r.get::<_, bool>(0)?, r.get::<_, String>(1)?, offline))
                    })
                    .optional()?;
                if let Some((connected, code, offline)) = found {
                    snap.connectors.insert(ch, (connected, code));
                    if offline {
                        snap.offline.insert(ch);
                    }
                }
            }
            let mut serving =
                txn.prepare_cached("SELECT 1 FROM channel_operators WHERE channel_id = ?1 AND user_id = ?2")?;
            let mut earlier = txn.prepare_cached(
                "SELECT seq, author_user_id, created_at FROM messages \
                 WHERE conversation_id = ?1 AND author = ?2 AND client_id = ?3",
            )?;
            for a in batch {
                let Some(c) = existing(a) else { continue };
                if let Party::Operator { actor, .. } = &a.party {
                    if let (Role::Operator, Some(conv)) = (actor.role, snap.convs.get(&c.0)) {
                        let key = (conv.channel_id, actor.user.0);
                        if !snap.serving.contains(&key) && serving.exists(params![key.0, key.1])? {
                            snap.serving.insert(key);
                        }
                    }
                }
                let author = a.party.author();
                let key = (c.0, author.as_str(), a.client_id.as_str().to_string());
                if snap.earlier.contains_key(&key) {
                    continue;
                }
                let found = earlier
                    .query_row(params![key.0, key.1, key.2], |r| {
                        Ok(Earlier {
                            seq: r.get(0)?,
                            author_user_id: r.get(1)?,
                            at: r.get(2)?,
                        })
                    })
                    .optional()?;
                if let Some(found) = found {
                    snap.earlier.insert(key, found);
                }
            }
        }

        let account_of: std::collections::HashMap<i64, i64> =
            snap.convs.values().map(|c| (c.id, c.account_id)).collect();
        let plan = decide(batch, snap, now_ms());
        if plan.rows.is_empty() {
            txn.rollback()?;
            return Ok(plan.out);
        }
        {
            let mut insert = txn.prepare_cached(
                "INSERT INTO messages (conversation_id, seq, client_id, author, author_user_id, body, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for m in &plan.rows {
                insert.execute(params![
                    m.conversation_id,
                    m.seq,
                    m.client_id,
                    m.author,
                    m.author_user_id,
                    m.body,
                    m.created_at
                ])?;
            }
            let mut update = txn.prepare_cached(
                "UPDATE conversations SET last_seq = ?2, updated_at = ?3, preview = ?4, \
                 operator_unread = operator_unread + ?5, awaiting_since = ?6 WHERE id = ?1",
            )?;
            for c in &plan.changes {
                update.execute(params![
                    c.id,
                    c.last_seq,
                    plan.now,
                    c.preview,
                    c.unread_added,
                    c.awaiting
                ])?;
            }
            // Apps' events of these messages, in the same transaction (see `events`).
            let mut event = txn.prepare_cached(
                "INSERT INTO event_outbox (binding_id, account_id, event, conversation_id, seq, status, attempts, \
                 next_at, lease_until, created_at, last_at) \
                 SELECT id, account_id, event, ?2, ?3, 'pending', 0, ?4, 0, ?4, 0 FROM event_bindings \
                 WHERE account_id = ?1 AND event = ?5 ORDER BY id",
            )?;
            for m in &plan.rows {
                if let Some(account) = account_of.get(&m.conversation_id) {
                    event.execute(params![
                        account,
                        m.conversation_id,
                        m.seq,
                        plan.now,
                        app_events::MESSAGE_ADD
                    ])?;
                }
            }
        }
        txn.commit()?;
        Ok(plan.out)
    }
}

/// The writer loop: a batch is whatever waits when the previous commit is done. Runs on
/// its own thread until every sender is gone.
pub(super) fn run(mut store: Store, hub: Arc<dyn Hub>, mut rx: mpsc::Receiver<Job>) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        jobs.push(first);
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let appends: Vec<&Append> = jobs.iter().map(|j| &j.append).collect();
        let outcomes = store.store(&appends);
        finish(&mut jobs, outcomes, hub.as_ref(), started);
    }
}
