//! Database connection: SQLite file by default, PostgreSQL by URL. Migrations run at start.

use super::migration::Migrator;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

/// Connects, creating the SQLite file's folder when needed, and applies every pending
/// migration.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file_path(url) {
        if let Some(dir) = std::path::Path::new(&path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DbErr::Custom(format!("cannot create folder {}: {e}", dir.display())))?;
            }
        }
    }
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        // SQLite allows one writer at a time; a small pool avoids lock thrashing.
        opts.max_connections(8);
    } else {
        opts.max_connections(32);
    }
    let db = Database::connect(opts).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL is a property of the file, so one statement is enough; sqlx already turns
        // on foreign keys and a busy timeout for every pooled connection.
        db.execute_unprepared("PRAGMA journal_mode=WAL;").await?;
    }
    migrate(&db, url).await?;
    Ok(db)
}

/// Key of the PostgreSQL advisory lock that lets one node at a time migrate ("Netlines").
const MIGRATION_LOCK: i64 = 0x4e65_746c_696e_6573;

/// Applies every pending migration, exactly once however many nodes start together: on
/// PostgreSQL each node takes an advisory lock first (held by a connection of its own,
/// released when the migration is done or the node dies), so the others wait and then
/// find nothing pending. A database migrated by a newer binary is refused before
/// anything is changed.
async fn migrate(db: &DatabaseConnection, url: &str) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        refuse_newer_schema(db).await?;
        return Migrator::up(db, None).await;
    }
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false)
        .max_connections(1)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10));
    let lock = Database::connect(opts).await?;
    lock.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .await?;
    let done = match refuse_newer_schema(db).await {
        Ok(()) => Migrator::up(db, None).await,
        Err(e) => Err(e),
    };
    let _ = lock
        .execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
        .await;
    let _ = lock.close().await;
    done
}

/// Fails when the database holds a migration this binary does not know: it was
/// migrated by a newer netlines, and an older binary must not serve it.
async fn refuse_newer_schema(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::Statement;
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    // No table yet: a fresh database.
    let Ok(rows) = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations",
        ))
        .await
    else {
        return Ok(());
    };
    for row in rows {
        let version: String = row.try_get_by_index(0)?;
        if !known.contains(&version) {
            return Err(DbErr::Custom(format!(
                "the database schema is newer than this netlines binary: it has migration \
                 {version}, which this binary does not know. Run the netlines version that \
                 migrated it (or a newer one); this one will not serve it."
            )));
        }
    }
    Ok(())
}

/// The file behind an `sqlite://path?…` URL, if it names a file (not `:memory:`).
pub fn sqlite_file_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(":memory:") {
        None
    } else {
        Some(path.to_string())
    }
}

/// Starts a transaction that is going to write. On SQLite it takes the write lock at
/// `BEGIN` (`BEGIN IMMEDIATE`), so concurrent check-then-write transactions queue up
/// instead of failing on upgrade; on PostgreSQL callers add row locks
/// ([`lock_account`]).
pub async fn begin_write(
    db: &impl sea_orm::TransactionTrait<Transaction = sea_orm::DatabaseTransaction>,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Locks one account's row until the transaction ends (`SELECT … FOR UPDATE` on
/// PostgreSQL; on SQLite the write transaction already serialises writers).
pub async fn lock_account(txn: &sea_orm::DatabaseTransaction, account_id: i64) -> Result<(), DbErr> {
    use sea_orm::{EntityTrait, QuerySelect};
    super::entities::account::Entity::find_by_id(account_id)
        .lock_exclusive()
        .one(txn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_path_is_read_from_the_url() {
        assert_eq!(
            sqlite_file_path("sqlite://data/netlines.db?mode=rwc").as_deref(),
            Some("data/netlines.db")
        );
        assert_eq!(
            sqlite_file_path("sqlite:///tmp/x.db").as_deref(),
            Some("/tmp/x.db")
        );
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
        assert_eq!(sqlite_file_path("postgres://x/y"), None);
    }
}
