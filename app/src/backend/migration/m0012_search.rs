//! Full-text search of conversations: message text and customer names.
//!
//! - **SQLite**: `message_fts`, a contentless FTS5 index (rowid = message id) that
//!   [`crate::backend::services::search::index_pending`] fills in batches after the
//!   messages are committed — the message path itself does no extra work — with
//!   `search_progress` keeping how far it got; `user_fts`, an FTS5 index of users' names
//!   kept by triggers (names change rarely).
//! - **PostgreSQL**: GIN indexes on `to_tsvector('simple', …)` of message bodies and of
//!   users' names, kept by PostgreSQL itself.
//!
//! Both fold case; SQLite also folds diacritics.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    // Only which documents hold a word (`detail=none`): searches are words' starts, all
    // required, so positions are never needed, and the index costs less to write.
    "CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5(doc, content='', detail=none, \
       columnsize=0, tokenize='unicode61 remove_diacritics 2')",
    "CREATE TABLE IF NOT EXISTS search_progress (id INTEGER PRIMARY KEY, messages BIGINT NOT NULL)",
    "INSERT OR IGNORE INTO search_progress (id, messages) VALUES (1, 0)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS user_fts USING fts5(name, content='users', content_rowid='id', \
       tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO user_fts(user_fts) VALUES ('rebuild')",
    "CREATE TRIGGER IF NOT EXISTS users_fts_insert AFTER INSERT ON users BEGIN \
       INSERT INTO user_fts(rowid, name) VALUES (new.id, new.name); END",
    "CREATE TRIGGER IF NOT EXISTS users_fts_delete AFTER DELETE ON users BEGIN \
       INSERT INTO user_fts(user_fts, rowid, name) VALUES ('delete', old.id, old.name); END",
    "CREATE TRIGGER IF NOT EXISTS users_fts_update AFTER UPDATE OF name ON users BEGIN \
       INSERT INTO user_fts(user_fts, rowid, name) VALUES ('delete', old.id, old.name); \
       INSERT INTO user_fts(rowid, name) VALUES (new.id, new.name); END",
];

const POSTGRES: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS ix_messages_fts ON messages USING GIN (to_tsvector('simple', body))",
    "CREATE INDEX IF NOT EXISTS ix_users_name_fts ON users USING GIN (to_tsvector('simple', name))",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Sqlite => SQLITE,
            DbBackend::Postgres => POSTGRES,
            _ => {
                return Err(DbErr::Migration(
                    "only SQLite and PostgreSQL are supported".into(),
                ))
            }
        };
        for s in statements {
            manager.get_connection().execute_unprepared(s).await?;
        }
        Ok(())
    }
}
