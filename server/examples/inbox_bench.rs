//! Inbox paging benchmark: fills a database with N conversations (default 100,000) of
//! one account and times the inbox queries an operator runs all day — the first page of
//! each filter and a walk of deep pages by cursor. Prints figures; asserts nothing.
//!
//! `make bench-inbox` (SQLite temp file), or with `DATABASE_URL=postgres://…` for
//! PostgreSQL, and `BENCH_CONVERSATIONS=…` for another size.

use app::api::InboxFilter;
use app::backend::db::connect_and_migrate;
use app::backend::services::accounts;
use app::backend::services::channels::{self, ConnectTarget};
use app::backend::services::inbox;
use app::backend::services::users;
use app::domain::channel::ChannelName;
use app::domain::{AccountName, DisplayName, Email, Password, Role, Slug};
use sea_orm::ConnectionTrait;
use std::time::{Duration, Instant};

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let n: i64 = std::env::var("BENCH_CONVERSATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile_dir();
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", tmp.display()));
    let db = connect_and_migrate(&url).await?;
    let pw = Password::parse("bench-password")?;
    let mk = |e: &str, name: &str| {
        let (db, pw) = (db.clone(), pw.clone());
        let (e, name) = (e.to_string(), name.to_string());
        async move { users::register(&db, &Email::parse(&e)?, &DisplayName::parse(&name)?, &pw).await }
    };
    let admin = mk("admin@bench.test", "Admin").await?;
    let op = mk("op@bench.test", "Operator").await?;
    let cust = mk("cust@bench.test", "Customer").await?;
    accounts::create(
        &db,
        app::domain::UserId(admin.id),
        &AccountName::parse("Bench")?,
        &Slug::parse("bench")?,
    )
    .await?;
    accounts::create(
        &db,
        app::domain::UserId(cust.id),
        &AccountName::parse("Cust")?,
        &Slug::parse("cust")?,
    )
    .await?;
    let a = accounts::actor(&db, app::domain::UserId(admin.id), "bench").await?;
    accounts::add_member(&db, &a, "op@bench.test", Role::Operator).await?;
    let ch = channels::connect(&db, &a, ConnectTarget::New(ChannelName::parse("Support")?)).await?;
    channels::set_operators(
        &db,
        &app::backend::hub::LocalHub::default(),
        &a,
        ch,
        &[app::domain::UserId(op.id)],
    )
    .await?;
    let operator = accounts::actor(&db, app::domain::UserId(op.id), "bench").await?;
    let cust_account: i64 = accounts::actor(&db, app::domain::UserId(cust.id), "cust")
        .await?
        .account
        .0;

    // Bulk insert with one statement (a recursive series works on SQLite and PostgreSQL):
    // a mix of statuses, a third assigned to the operator.
    let started = Instant::now();
    let sql = format!(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
         INSERT INTO conversations (channel_id, account_id, customer_user_id, customer_account_id, status, \
           last_seq, created_at, updated_at, closed_at, operator_user_id, assigned_at, operator_read_seq, \
           customer_read_seq, operator_unread, preview) \
         SELECT {ch}, {acc}, {cu}, {ca}, \
           CASE WHEN i % 3 = 0 THEN 'closed' WHEN i % 3 = 1 THEN 'open' ELSE 'new' END, \
           2, i * 1000, i * 1000, NULL, \
           CASE WHEN i % 3 = 1 THEN {op} ELSE NULL END, NULL, 0, 0, i % 4, 'message ' || i FROM s",
        ch = ch.0,
        acc = a.account.0,
        cu = cust.id,
        ca = cust_account,
        op = op.id,
    );
    db.execute_unprepared(&sql).await?;
    // Fresh planner statistics, as autovacuum would gather after a bulk load.
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE conversations").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
    }
    println!("backend: {:?}", db.get_database_backend());
    println!("inserted {n} conversations in {}", ms(started.elapsed()));

    for f in InboxFilter::ALL {
        let mut times = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            let p = inbox::inbox(&db, &operator, f, None).await?;
            times.push(t.elapsed());
            assert!(!p.items.is_empty());
        }
        times.sort();
        println!(
            "first page  filter={:<8} p50 {}  max {}",
            f.as_str(),
            ms(times[times.len() / 2]),
            ms(*times.last().unwrap())
        );
    }
    // Walk 200 pages deep (10,000 conversations) by cursor.
    let mut cursor: Option<String> = None;
    let mut times = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let p = inbox::inbox(&db, &operator, InboxFilter::All, cursor.as_deref()).await?;
        times.push(t.elapsed());
        cursor = p.next;
    }
    times.sort();
    println!(
        "deep pages  200 × 50 by cursor        p50 {}  p99 {}  max {}",
        ms(times[100]),
        ms(times[197]),
        ms(*times.last().unwrap())
    );
    Ok(())
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("netlines-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
