//! Search folds letters that Unicode does not decompose (`ł`, `đ`, `ø`, `ß`…) on both
//! databases, and on PostgreSQL every diacritic (its `simple` configuration folded
//! none): "platnosc" finds "Płatność". The indexes hold the text as
//! [`crate::domain::search::fold_sql`] folds it, and the queries fold the same way.
//!
//! - **PostgreSQL**: the two GIN indexes are made again on the folded expressions.
//! - **SQLite**: `user_fts` becomes contentless, filled by triggers with folded names;
//!   `message_fts` is emptied and `search_progress` reset, so the indexer folds every
//!   message again in its usual passes (searches index what is pending first).
//!
//! The fold tables are part of this migration's meaning: changing them later takes a
//! new migration that rebuilds the indexes the same way.

use crate::domain::search::fold_sql;
use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn postgres() -> Vec<String> {
    vec![
        "DROP INDEX IF EXISTS ix_messages_fts".into(),
        "DROP INDEX IF EXISTS ix_users_name_fts".into(),
        format!(
            "CREATE INDEX IF NOT EXISTS ix_messages_fts ON messages USING GIN (to_tsvector('simple', {}))",
            fold_sql(true, "body")
        ),
        format!(
            "CREATE INDEX IF NOT EXISTS ix_users_name_fts ON users USING GIN (to_tsvector('simple', {}))",
            fold_sql(true, "name")
        ),
    ]
}

fn sqlite() -> Vec<String> {
    let new = fold_sql(false, "new.name");
    let old = fold_sql(false, "old.name");
    vec![
        "DROP TRIGGER IF EXISTS users_fts_insert".into(),
        "DROP TRIGGER IF EXISTS users_fts_delete".into(),
        "DROP TRIGGER IF EXISTS users_fts_update".into(),
        "DROP TABLE IF EXISTS user_fts".into(),
        "CREATE VIRTUAL TABLE user_fts USING fts5(name, content='', \
           tokenize='unicode61 remove_diacritics 2')"
            .into(),
        format!(
            "INSERT INTO user_fts(rowid, name) SELECT id, {} FROM users",
            fold_sql(false, "name")
        ),
        format!(
            "CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN \
               INSERT INTO user_fts(rowid, name) VALUES (new.id, {new}); END"
        ),
        format!(
            "CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN \
               INSERT INTO user_fts(user_fts, rowid, name) VALUES ('delete', old.id, {old}); END"
        ),
        format!(
            "CREATE TRIGGER users_fts_update AFTER UPDATE OF name ON users BEGIN \
               INSERT INTO user_fts(user_fts, rowid, name) VALUES ('delete', old.id, {old}); \
               INSERT INTO user_fts(rowid, name) VALUES (new.id, {new}); END"
        ),
        "INSERT INTO message_fts(message_fts) VALUES ('delete-all')".into(),
        "UPDATE search_progress SET messages = 0 WHERE id = 1".into(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Sqlite => sqlite(),
            DbBackend::Postgres => postgres(),
            _ => {
                return Err(DbErr::Migration(
                    "only SQLite and PostgreSQL are supported".into(),
                ))
            }
        };
        for s in statements {
            manager.get_connection().execute_unprepared(&s).await?;
        }
        Ok(())
    }
}
