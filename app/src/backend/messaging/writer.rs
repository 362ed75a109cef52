//! The batched writer: one task takes every append that is waiting, stores them all in
//! one write transaction (group commit: one lock, one flush for the whole batch, a fixed
//! number of statements whatever its size) and only after the commit answers each
//! sender and publishes the messages. An acknowledged message has therefore been
//! committed (`synchronous=FULL` on SQLite: it survives a process kill and a power loss).
//!
//! It stores only what [`super::rules::admit`] admits with no duties; everything else —
//! a new conversation, a refusal, a duty, any error — takes [`super::full::send`],
//! which decides and reports it as a batch of one.
//!
//! Locking: on SQLite the transaction holds the database's write lock from `BEGIN`; on
//! PostgreSQL it locks the batch's channels (in id order) before reading the
//! conversations, the same "channel first" order every other writer follows.

use super::batch::{self, finish, Job, Outcome, MAX_BATCH};
use super::{full, sqlite, Ack, Append, Target};
use crate::backend::hub::Hub;
use crate::error::AppError;
use sea_orm::{DatabaseConnection, DbErr};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

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
        if matches!(a.target, Target::Existing(_)) {
            if let Some(Outcome::Stored(ack)) = self.batched(a.clone()).await {
                crate::backend::metrics::get().acked.inc();
                return Ok(ack);
            }
        }
        let ack = full::send(&self.db, self.hub.as_ref(), &a, &[]).await?;
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

/// The writer task (SeaORM): a batch is whatever waits when the previous commit is done.
async fn run(db: DatabaseConnection, hub: Arc<dyn Hub>, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let started = std::time::Instant::now();
        let appends: Vec<&Append> = jobs.iter().map(|j| &j.append).collect();
        let outcomes = batch::store(&db, &appends).await;
        finish(&mut jobs, outcomes, hub.as_ref(), started);
    }
}
