//! Working hours and automatic messages, on SQLite and PostgreSQL: the settings form
//! through its real route (validation, rights), what customers are told outside working
//! hours (card, offline message once per offline period, conversations held until
//! opening), and the timers (no answer, auto-close) firing once across a restart and two
//! nodes.

use crate::harness::*;
use app::backend::entities::{conversation, message, network_connector};
use app::backend::messaging::{Append, Target};
use app::backend::principal::Party;
use app::backend::services::channels::{self, ConfigChange};
use app::backend::services::conversations as conv;
use app::backend::services::{accounts, hours};
use app::domain::channel::{ChannelCode, Distribution};
use app::domain::conversation::{ClientMsgId, MessageBody};
use app::domain::hours::{Hours, RawHours};
use app::domain::{ChannelId, ConversationId, Role};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

const MIN: i64 = 60_000;

struct World {
    anna: app::backend::principal::Actor,
    olek: app::backend::principal::Actor,
    cleo: app::backend::principal::Customer,
    channel: ChannelId,
    code: ChannelCode,
}

async fn world(app: &TestApp) -> World {
    let db = &app.state.db;
    let anna = app.user("anna@acme.test", "Anna").await;
    let olek = app.user("olek@acme.test", "Olek").await.id;
    let cleo = app.user("cleo@borealis.test", "Cleo").await;
    new_account(db, &anna, "Acme", "acme").await;
    new_account(db, &cleo, "Borealis", "borealis").await;
    let anna_a = accounts::actor(db, anna.id, "acme").await.unwrap();
    accounts::add_member(db, &anna_a, "olek@acme.test", Role::Operator)
        .await
        .unwrap();
    let (channel, code) = network_channel(db, &anna_a, "Support", &[olek], Some("5")).await;
    World {
        olek: accounts::actor(db, olek, "acme").await.unwrap(),
        anna: anna_a,
        cleo: conv::customer(db, &cleo, "borealis").await.unwrap(),
        channel,
        code,
    }
}

fn raw_hours(f: impl FnOnce(&mut RawHours)) -> Hours {
    let mut r = RawHours {
        time_zone: "Europe/Warsaw".into(),
        ..Default::default()
    };
    f(&mut r);
    Hours::parse(&r).unwrap()
}

async fn cleo_writes(app: &TestApp, w: &World, text: &str, target: Target) -> ConversationId {
    customer_send(
        &app.state.db,
        app.state.hub.as_ref(),
        &w.cleo,
        &w.code,
        target,
        &ClientMsgId::parse(&format!("h-{}", app::backend::random_token(6))).unwrap(),
        &MessageBody::parse(text).unwrap(),
    )
    .await
    .unwrap()
    .conversation
}

/// A message through the batched writer (the path the sockets use).
async fn batched(app: &TestApp, party: Party, c: ConversationId, text: &str) {
    app.state
        .messages
        .append(Append {
            party,
            target: Target::Existing(c),
            client_id: ClientMsgId::parse(&format!("b-{}", app::backend::random_token(6))).unwrap(),
            body: MessageBody::parse(text).unwrap(),
        })
        .await
        .unwrap();
}

async fn messages(app: &TestApp, c: ConversationId) -> Vec<(String, String)> {
    message::Entity::find()
        .filter(message::Column::ConversationId.eq(c.0))
        .order_by_asc(message::Column::Seq)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.author, m.body))
        .collect()
}

async fn conversation(app: &TestApp, c: ConversationId) -> conversation::Model {
    conversation::Entity::find_by_id(c.0)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

/// A database that outlives the nodes started on it (a restart).
async fn database(b: &Backend, dir: &tempfile::TempDir) -> (String, Option<PgDatabase>) {
    match b {
        Backend::Sqlite => (
            format!("sqlite://{}/hours.db?mode=rwc", dir.path().display()),
            None,
        ),
        Backend::Postgres(admin) => {
            let d = pg_database(admin).await;
            (d.url.clone(), Some(d))
        }
    }
}

#[both_databases]
async fn timers_fire_once_across_a_restart_and_two_nodes(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = database(&b, &dir).await;
    let first = spawn_on(url.clone(), None, &b, Options::default()).await;
    let w = world(&first).await;
    let h = raw_hours(|r| {
        r.no_answer_minutes = "5".into();
        r.no_answer_message = "Sorry for the wait, we are on it.".into();
        r.auto_close_minutes = "30".into();
        r.auto_close_message = "Closing this chat. Write again any time!".into();
    });
    hours::save(&first.state.db, first.state.hub.as_ref(), &w.anna, w.channel, &h)
        .await
        .unwrap();
    let t0 = app::backend::now_ms();
    let a = cleo_writes(&first, &w, "Is anyone there?", Target::New).await;
    // Not yet due.
    let f = hours::run_timers(&first.state.db, first.state.hub.as_ref(), t0 + 4 * MIN)
        .await
        .unwrap();
    assert_eq!(f.no_answer, 0, "{b:?}");
    // A restart: the first node stops, two fresh nodes on the same database.
    drop(first);
    let (n1, n2) = (
        spawn_on(url.clone(), None, &b, Options::default()).await,
        spawn_on(url.clone(), None, &b, Options::default()).await,
    );
    let later = t0 + 6 * MIN;
    let (f1, f2) = tokio::join!(
        hours::run_timers(&n1.state.db, n1.state.hub.as_ref(), later),
        hours::run_timers(&n2.state.db, n2.state.hub.as_ref(), later),
    );
    assert_eq!(f1.unwrap().no_answer + f2.unwrap().no_answer, 1, "{b:?}: once");
    let f = hours::run_timers(&n1.state.db, n1.state.hub.as_ref(), later + MIN)
        .await
        .unwrap();
    assert_eq!(f.no_answer, 0, "{b:?}: not twice");
    assert_eq!(
        messages(&n1, a).await,
        [
            ("channel".into(), "Hello!".into()),
            ("customer".into(), "Is anyone there?".into()),
            ("channel".into(), "Sorry for the wait, we are on it.".into()),
        ],
        "{b:?}"
    );
    // Olek answers (the first answer is recorded for the statistics); the chat now
    // waits for Cleo.
    let answered_at = app::backend::now_ms();
    operator_send(
        &n1.state.db,
        n1.state.hub.as_ref(),
        &w.olek,
        "Olek",
        a,
        &ClientMsgId::parse("olek-answer-1").unwrap(),
        &MessageBody::parse("Hello Cleo, how can I help?").unwrap(),
    )
    .await
    .unwrap();
    let c = conversation(&n1, a).await;
    assert!(c.first_response_at.is_some_and(|t| t >= answered_at), "{b:?}");
    let waiting_since = c.awaiting_since.expect("waits for the customer");
    // A second conversation where Cleo has the last word, through the batched writer.
    let second = cleo_writes(&n1, &w, "Another question", Target::New).await;
    operator_send(
        &n1.state.db,
        n1.state.hub.as_ref(),
        &w.olek,
        "Olek",
        second,
        &ClientMsgId::parse("olek-answer-2").unwrap(),
        &MessageBody::parse("Yes?").unwrap(),
    )
    .await
    .unwrap();
    batched(
        &n1,
        Party::Customer {
            customer: w.cleo.clone(),
            code: w.code.clone(),
        },
        second,
        "Let me check and come back",
    )
    .await;
    assert_eq!(conversation(&n1, second).await.awaiting_since, None, "{b:?}");
    // 29 minutes of silence: nothing; 31: closed once, with the closing message.
    let f = hours::run_timers(&n1.state.db, n1.state.hub.as_ref(), waiting_since + 29 * MIN)
        .await
        .unwrap();
    assert_eq!(f.closed, 0, "{b:?}");
    let late = waiting_since + 31 * MIN;
    let (f1, f2) = tokio::join!(
        hours::run_timers(&n1.state.db, n1.state.hub.as_ref(), late),
        hours::run_timers(&n2.state.db, n2.state.hub.as_ref(), late),
    );
    assert_eq!(f1.unwrap().closed + f2.unwrap().closed, 1, "{b:?}: closed once");
    let c = conversation(&n1, a).await;
    assert_eq!(c.status, "closed", "{b:?}");
    let ms = messages(&n1, a).await;
    assert_eq!(
        ms.last().unwrap(),
        &(
            "channel".into(),
            "Closing this chat. Write again any time!".into()
        ),
        "{b:?}"
    );
    assert_eq!(ms.len(), 5, "{b:?}: one closing message");
    // The customer had the last word in the other one: it stays open.
    assert_eq!(conversation(&n1, second).await.status, "open", "{b:?}");
    // An operator's reply through the batched writer starts the wait again.
    batched(
        &n1,
        Party::Operator {
            actor: w.olek.clone(),
            name: "Olek".into(),
        },
        second,
        "Sure, take your time",
    )
    .await;
    let since = conversation(&n1, second)
        .await
        .awaiting_since
        .expect("waits again");
    let f = hours::run_timers(&n2.state.db, n2.state.hub.as_ref(), since + 31 * MIN)
        .await
        .unwrap();
    assert_eq!(f.closed, 1, "{b:?}");
}

#[both_databases]
async fn offline_customers_are_told_once_and_wait_for_the_morning(b: Backend) {
    let app = spawn(&b).await;
    let db = &app.state.db;
    let w = world(&app).await;
    channels::configure(
        db,
        app.state.hub.as_ref(),
        &w.anna,
        Some(w.channel),
        ConfigChange {
            distribution: Some(Distribution::Even),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    app.state.hub.presence(w.olek.user, true);
    // Open only on holidays' eve… no: open on one day that is neither yesterday nor
    // today nor tomorrow (in Warsaw), so the channel is offline now.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Warsaw").unwrap())
        .date()
        .weekday()
        .to_monday_zero_offset() as usize;
    let day = (today + 3) % 7;
    let offline = raw_hours(|r| {
        r.enabled = true;
        r.days[day] = (true, "10:00".into(), "11:00".into());
        r.offline_message = "We are closed now; we answer from 10:00.".into();
        r.offline_queue = "wait".into();
        r.no_answer_minutes = "1".into();
        r.no_answer_message = "Nobody answered yet.".into();
    });
    hours::save(db, app.state.hub.as_ref(), &w.anna, w.channel, &offline)
        .await
        .unwrap();
    let card = channels::card(db, &w.code).await.unwrap();
    let av = card.hours.expect("hours are shown");
    assert!(!av.open, "{b:?}");
    let opens = av.next_change.expect("opening time");
    assert!(opens > app::backend::now_ms() + 24 * 60 * MIN, "{b:?}");
    assert_eq!(av.time_zone, "Europe/Warsaw");

    let a = cleo_writes(&app, &w, "Hello at night", Target::New).await;
    cleo_writes(&app, &w, "Still there?", Target::Existing(a)).await;
    batched(
        &app,
        Party::Customer {
            customer: w.cleo.clone(),
            code: w.code.clone(),
        },
        a,
        "Through the socket",
    )
    .await;
    let ms = messages(&app, a).await;
    let offline_notes = ms
        .iter()
        .filter(|m| m.1 == "We are closed now; we answer from 10:00.")
        .count();
    assert_eq!(offline_notes, 1, "{b:?}: once per offline period: {ms:?}");
    assert_eq!(ms[2].0, "channel", "{b:?}: right after the first message");
    // Held: nobody is assigned while offline, and no "no answer" apology at night.
    let f = hours::run_timers(db, app.state.hub.as_ref(), app::backend::now_ms() + 10 * MIN)
        .await
        .unwrap();
    assert_eq!(f, hours::Fired::default(), "{b:?}");
    assert_eq!(conversation(&app, a).await.operator_user_id, None, "{b:?}");
    // Offline but set to accept: assigned at once.
    let accept = Hours {
        offline_queue: app::domain::hours::OfflineQueue::Accept,
        ..offline.clone()
    };
    hours::save(db, app.state.hub.as_ref(), &w.anna, w.channel, &accept)
        .await
        .unwrap();
    assert_eq!(
        conversation(&app, a).await.operator_user_id,
        Some(w.olek.user.0),
        "{b:?}"
    );
    // Back to waiting; a new conversation waits until the channel opens (here:
    // hours switched to the whole week), then the timers round hands it out.
    hours::save(db, app.state.hub.as_ref(), &w.anna, w.channel, &offline)
        .await
        .unwrap();
    let second = cleo_writes(&app, &w, "Another night question", Target::New).await;
    assert_eq!(conversation(&app, second).await.operator_user_id, None, "{b:?}");
    let always = raw_hours(|r| {
        r.enabled = true;
        for d in r.days.iter_mut() {
            *d = (true, "00:00".into(), "24:00".into());
        }
        r.offline_queue = "wait".into();
    });
    // Stored directly (as if the morning came), so only the timers can hand it out.
    let n = network_connector::Entity::find()
        .filter(network_connector::Column::ChannelId.eq(w.channel.0))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut am: network_connector::ActiveModel = n.into();
    am.week = sea_orm::Set(always.week_to_stored());
    sea_orm::ActiveModelTrait::update(am, db).await.unwrap();
    let f = hours::run_timers(db, app.state.hub.as_ref(), app::backend::now_ms())
        .await
        .unwrap();
    assert_eq!(f.opened, 1, "{b:?}");
    assert_eq!(
        conversation(&app, second).await.operator_user_id,
        Some(w.olek.user.0),
        "{b:?}"
    );
    // Open now: a new conversation gets no offline message.
    assert!(channels::card(db, &w.code).await.unwrap().hours.unwrap().open);
    let third = cleo_writes(&app, &w, "Daytime", Target::New).await;
    assert!(
        messages(&app, third)
            .await
            .iter()
            .all(|m| !m.1.contains("closed now")),
        "{b:?}"
    );
}

#[both_databases]
async fn the_form_checks_every_field_and_only_admins_of_the_account_save(b: Backend) {
    let app = spawn(&b).await;
    let (admin, operator, outsider) = (browser(), browser(), browser());
    app.register(&admin, "anna@acme.test", "Anna").await;
    app.register(&operator, "olek@acme.test", "Olek").await;
    app.register(&outsider, "zed@zeta.test", "Zed").await;
    app.create_account(&admin, "Acme", "acme").await;
    app.create_account(&outsider, "Zeta", "zeta").await;
    app.invite_and_accept(&admin, "acme", "olek@acme.test", "operator", &operator)
        .await;
    let r = app
        .post_form(
            &admin,
            "/a/acme/contact-center/network/connect",
            &[("channel", "new"), ("new_channel_name", "Support")],
        )
        .await;
    assert!(location(&r).contains("ok=connected"), "{}", location(&r));
    let id: i64 = app.count("network_connectors").await;
    let ch = network_connector::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .channel_id;
    assert_eq!(id, 1);
    let path = format!("/a/acme/contact-center/network/hours/{ch}");
    let stored = || async {
        network_connector::Entity::find()
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
    };
    let before = stored().await;
    // Every wrong field at once, each with its reason; nothing saved; what was typed
    // comes back.
    let r = app
        .post_form(
            &admin,
            &path,
            &[
                ("hours_on", "1"),
                ("time_zone", "Mars/Olympus"),
                ("mon_open", "1"),
                ("mon_from", "25:00"),
                ("mon_to", "17:00"),
                ("tue_open", "1"),
                ("tue_from", "09:00"),
                ("tue_to", "09:00"),
                ("holidays", "2026-12-24\n2026-02-30"),
                ("no_answer_minutes", "abc"),
                ("auto_close_minutes", "20000"),
                ("offline_message", "Closed <script>alert(1)</script>"),
            ],
        )
        .await;
    let loc = location(&r);
    assert!(loc.starts_with(&format!("{path}?errors=")), "{loc}");
    for e in [
        "time_zone.time_zone_unknown",
        "hours_mon.time_format",
        "hours_tue.same_times",
        "holidays.date_format",
        "no_answer_minutes.not_a_number",
        "auto_close_minutes.minutes_range",
    ] {
        assert!(loc.contains(e), "{e} in {loc}");
    }
    assert_eq!(stored().await, before, "{b:?}: nothing saved");
    // The page shows each error beside its field, and the typed values (escaped).
    let (status, html) = app.get_html(&admin, &loc).await;
    assert_eq!(status, 200);
    assert!(html.contains("Choose a time zone from the list"), "{b:?}");
    assert!(
        html.contains("Enter the opening and closing times as HH:MM"),
        "{b:?}"
    );
    assert!(html.contains("25:00"), "{b:?}");
    assert!(!html.contains("<script>alert(1)"), "{b:?}: escaped");
    // A valid form is saved.
    let r = app
        .post_form(
            &admin,
            &path,
            &[
                ("hours_on", "1"),
                ("time_zone", "Europe/Warsaw"),
                ("mon_open", "1"),
                ("mon_from", "9:00"),
                ("mon_to", "17:00"),
                ("sat_open", "1"),
                ("sat_from", "22:00"),
                ("sat_to", "06:00"),
                ("holidays", "24.12.2026\n2026-12-25"),
                ("offline_message", "We are closed."),
                ("offline_queue", "accept"),
                ("no_answer_minutes", "3"),
                ("no_answer_message", "One moment please."),
                ("auto_close_minutes", ""),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("{path}?ok=hours_saved"));
    let n = stored().await;
    assert!(n.hours_on);
    assert_eq!(n.time_zone, "Europe/Warsaw");
    assert_eq!(n.week, "09:00-17:00,,,,,22:00-06:00,");
    assert_eq!(n.holidays, "2026-12-24,2026-12-25");
    assert_eq!(n.offline_queue, "accept");
    assert_eq!((n.no_answer_minutes, n.auto_close_minutes), (3, 0));
    // An operator of the account and another account's admin change nothing.
    for (who, c) in [("operator", &operator), ("outsider", &outsider)] {
        let r = app
            .post_form(c, &path, &[("hours_on", "0"), ("time_zone", "UTC")])
            .await;
        assert!(!location(&r).contains("ok="), "{who}: {}", location(&r));
        assert_eq!(stored().await, n, "{b:?}: {who} changed nothing");
    }
    let r = app
        .post_form(
            &outsider,
            &format!("/a/zeta/contact-center/network/hours/{ch}"),
            &[("hours_on", "0"), ("time_zone", "UTC")],
        )
        .await;
    assert!(location(&r).contains("error=not_found"), "{}", location(&r));
    assert_eq!(
        stored().await,
        n,
        "{b:?}: another account's channel id is not found"
    );
    // A body far beyond any valid form is refused before it is decoded.
    let huge = "2026-12-24\n".repeat(10_000);
    let r = app
        .post_form(&admin, &path, &[("hours_on", "1"), ("holidays", huge.as_str())])
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE, "{b:?}");
    assert_eq!(stored().await, n, "{b:?}: nothing changed");
    // The page itself: admins only.
    assert!(app
        .server_fn(
            &operator,
            "hours_settings",
            &[("slug", "acme"), ("channel", &ch.to_string())]
        )
        .await
        .is_err());
    let v = app
        .server_fn(
            &admin,
            "hours_settings",
            &[("slug", "acme"), ("channel", &ch.to_string())],
        )
        .await
        .unwrap();
    assert_eq!(v["hours"]["offline_message"], "We are closed.");
    assert!(v["time_zones"].as_array().unwrap().len() > 300);
}
