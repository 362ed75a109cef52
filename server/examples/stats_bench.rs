//! Statistics benchmark: fills a database with N conversations (default 100,000) of one
//! account spread over the last 90 days (answered, missed, closed, rated, two operators)
//! and times the statistics page's query and figures for 7, 30 and 90 days, for one
//! channel, and for one operator's own view. Prints figures; asserts only that the counts
//! add up.
//!
//! `make bench-stats` (SQLite temp file), or with `DATABASE_URL=postgres://…` for
//! PostgreSQL, and `BENCH_CONVERSATIONS=…` for another size.

use app::backend::db::connect_and_migrate;
use app::backend::services::channels::{self, ConnectTarget};
use app::backend::services::stats::{self, StatsQuery};
use app::backend::services::{accounts, users};
use app::domain::channel::ChannelName;
use app::domain::{AccountName, DisplayName, Email, Password, Role, Slug, UserId};
use sea_orm::ConnectionTrait;
use std::time::{Duration, Instant};

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let n: i64 = std::env::var("BENCH_CONVERSATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("netlines-stats-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.display()));
    let db = connect_and_migrate(&url).await?;
    let pw = Password::parse("bench-password")?;
    let mut ids = Vec::new();
    for (e, name) in [
        ("admin@bench.test", "Admin"),
        ("op1@bench.test", "Ola"),
        ("op2@bench.test", "Olek"),
        ("cust@bench.test", "Customer"),
    ] {
        ids.push(
            users::register(&db, &Email::parse(e)?, &DisplayName::parse(name)?, &pw)
                .await?
                .id,
        );
    }
    let (admin, op1, op2, cust) = (ids[0], ids[1], ids[2], ids[3]);
    accounts::create(
        &db,
        UserId(admin),
        &AccountName::parse("Bench")?,
        &Slug::parse("bench")?,
    )
    .await?;
    accounts::create(
        &db,
        UserId(cust),
        &AccountName::parse("Cust")?,
        &Slug::parse("cust")?,
    )
    .await?;
    let a = accounts::actor(&db, UserId(admin), "bench").await?;
    accounts::add_member(&db, &a, "op1@bench.test", Role::Operator).await?;
    accounts::add_member(&db, &a, "op2@bench.test", Role::Operator).await?;
    let ch1 = channels::connect(&db, &a, ConnectTarget::New(ChannelName::parse("Support")?)).await?;
    let ch2 = channels::connect(&db, &a, ConnectTarget::New(ChannelName::parse("Sales")?)).await?;
    let cust_account = accounts::actor(&db, UserId(cust), "cust").await?.account.0;
    let now = app::backend::now_ms();
    let span: i64 = 90 * 86_400_000;
    let started = Instant::now();
    // One statement (a recursive series works on SQLite and PostgreSQL): start times spread
    // over 90 days; 80 % answered after 10–300 s; 90 % closed; a fifth rated.
    let sql = format!(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
         INSERT INTO conversations (channel_id, account_id, customer_user_id, customer_account_id, status, \
           last_seq, created_at, updated_at, closed_at, operator_user_id, assigned_at, operator_read_seq, \
           customer_read_seq, operator_unread, preview, first_response_at, rating) \
         SELECT CASE WHEN i % 4 = 0 THEN {ch2} ELSE {ch1} END, {acc}, {cu}, {ca}, \
           CASE WHEN i % 10 = 0 THEN 'open' ELSE 'closed' END, 3, \
           {start} + (CAST(i AS BIGINT) * {step}), {start} + (CAST(i AS BIGINT) * {step}), \
           CASE WHEN i % 10 = 0 THEN NULL ELSE {start} + (CAST(i AS BIGINT) * {step}) + 600000 + (i % 97) * 1000 END, \
           CASE WHEN i % 5 = 0 THEN NULL WHEN i % 2 = 0 THEN {op1} ELSE {op2} END, NULL, 0, 0, 0, 'm', \
           CASE WHEN i % 5 = 0 THEN NULL ELSE {start} + (CAST(i AS BIGINT) * {step}) + 10000 + (i % 290) * 1000 END, \
           CASE WHEN i % 5 = 1 THEN 'like' WHEN i % 25 = 2 THEN 'dislike' ELSE NULL END FROM s",
        ch1 = ch1.0,
        ch2 = ch2.0,
        acc = a.account.0,
        cu = cust,
        ca = cust_account,
        op1 = op1,
        op2 = op2,
        start = now - span,
        step = span / n,
    );
    db.execute_unprepared(&sql).await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE conversations").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
    }
    println!("backend: {:?}", db.get_database_backend());
    println!(
        "inserted {n} conversations over 90 days in {}",
        ms(started.elapsed())
    );
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Warsaw")?)
        .date();
    let operator = accounts::actor(&db, UserId(op1), "bench").await?;
    let cases: Vec<(&str, &app::backend::principal::Actor, i64, Option<i64>)> = vec![
        ("admin, 7 days, all channels", &a, 7, None),
        ("admin, 30 days, all channels", &a, 30, None),
        ("admin, 90 days, all channels", &a, 90, None),
        ("admin, 90 days, one channel", &a, 90, Some(ch2.0)),
        ("operator, 90 days, own", &operator, 90, None),
    ];
    for (name, actor, days, channel) in cases {
        let from = today.checked_sub(jiff::Span::new().days(days - 1))?;
        let q = StatsQuery {
            from: from.to_string(),
            to: today.to_string(),
            channel,
            time_zone: "Europe/Warsaw".into(),
        };
        let mut times = Vec::new();
        let mut started_n = 0;
        for _ in 0..7 {
            let t = Instant::now();
            let v = stats::statistics(&db, actor, &q).await?;
            times.push(t.elapsed());
            let f = &v.figures;
            assert_eq!(f.answered + f.missed + f.waiting, f.started);
            started_n = f.started;
        }
        times.sort();
        println!(
            "{name:<32} {started_n:>7} conversations  p50 {}  max {}",
            ms(times[times.len() / 2]),
            ms(*times.last().unwrap())
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
