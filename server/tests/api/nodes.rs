//! Several nodes on one PostgreSQL database: they start together and migrate it exactly
//! once; a node older than the schema refuses to serve it. Real processes of the
//! `netlines` binary. PostgreSQL must answer (`TEST_DATABASE_URL`): under `CI` a missing
//! database fails the test.

use crate::harness::pg_database;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::process::{Command, Output, Stdio};

/// The PostgreSQL server to make databases on, or `None` outside CI when there is none.
fn admin_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok() => panic!("CI requires PostgreSQL: TEST_DATABASE_URL is not set"),
        _ => None,
    }
}

fn netlines(db: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_netlines"));
    c.args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "error")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn versions(db: &DatabaseConnection) -> Vec<String> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT version FROM seaql_migrations ORDER BY version",
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index::<String>(0).unwrap())
    .collect()
}

async fn user_count(db: &DatabaseConnection) -> i64 {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT COUNT(*) FROM users",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index::<i64>(0)
    .unwrap()
}

#[tokio::test]
async fn nodes_started_together_on_a_fresh_database_migrate_it_exactly_once() {
    let Some(admin) = admin_url() else { return };
    let pg = pg_database(&admin).await;
    let db = pg.url.clone();
    // Four processes at the same moment, each migrating before it acts (before the
    // advisory lock, two of them raced: `duplicate key value violates unique constraint
    // "pg_type_typname_nsp_index"`).
    let children: Vec<_> = (0..4)
        .map(|i| {
            let email = format!("node{i}@example.com");
            netlines(
                &db,
                &[
                    "user",
                    "create",
                    "--email",
                    &email,
                    "--name",
                    "Node",
                    "--password",
                    "long enough",
                ],
            )
            .spawn()
            .expect("netlines starts")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a node failed: {}", text(&out));
    }
    let conn = Database::connect(db.as_str()).await.unwrap();
    let applied = versions(&conn).await;
    let mut unique = applied.clone();
    unique.dedup();
    assert_eq!(applied, unique, "each migration recorded once");
    assert!(!applied.is_empty());
    let users = user_count(&conn).await;
    assert_eq!(users, 4, "every node did its work");
    // Started again on the migrated database: nothing is pending, nothing changes.
    let again = netlines(
        &db,
        &[
            "user",
            "create",
            "--email",
            "late@example.com",
            "--name",
            "Late",
            "--password",
            "long enough",
        ],
    )
    .output()
    .unwrap();
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(versions(&conn).await, applied);
    conn.close().await.ok();
}

#[tokio::test]
async fn a_node_older_than_the_schema_refuses_to_serve_it_and_changes_nothing() {
    let Some(admin) = admin_url() else { return };
    let pg = pg_database(&admin).await;
    let db = pg.url.clone();
    let first = netlines(
        &db,
        &[
            "user",
            "create",
            "--email",
            "a@example.com",
            "--name",
            "A",
            "--password",
            "long enough",
        ],
    )
    .output()
    .unwrap();
    assert!(first.status.success(), "{}", text(&first));
    // A newer netlines migrated the database further.
    let conn = Database::connect(db.as_str()).await.unwrap();
    conn.execute_unprepared(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m9999_from_a_newer_netlines', 0)",
    )
    .await
    .unwrap();
    let before = versions(&conn).await;

    // `serve` exits at once with a clear message instead of serving.
    let serve = netlines(&db, &["serve"]).output().unwrap();
    assert!(!serve.status.success());
    let err = String::from_utf8_lossy(&serve.stderr).to_string();
    assert!(
        err.contains("newer than this netlines binary") && err.contains("m9999_from_a_newer_netlines"),
        "unclear refusal: {err}"
    );
    // So does any command; nothing was written.
    let cmd = netlines(
        &db,
        &[
            "user",
            "create",
            "--email",
            "b@example.com",
            "--name",
            "B",
            "--password",
            "long enough",
        ],
    )
    .output()
    .unwrap();
    assert!(!cmd.status.success());
    assert!(String::from_utf8_lossy(&cmd.stderr).contains("newer than this netlines binary"));
    assert_eq!(versions(&conn).await, before);
    let users = user_count(&conn).await;
    assert_eq!(users, 1);
    conn.close().await.ok();
}
