//! The statistics page's figures against a known data set, on SQLite and PostgreSQL:
//! counted in the viewer's time zone (a conversation near midnight, one in the night the
//! clocks go back in Warsaw), per channel, with the page's rights (admins: the account;
//! operators: their own; employees and strangers: nothing), and the CSV download through
//! its real route.

use crate::harness::*;
use app::backend::entities::conversation;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::Value;

const S: i64 = 1000;

fn utc(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    app: &TestApp,
    channel: i64,
    account: i64,
    customer: (i64, i64),
    operator: Option<i64>,
    created: i64,
    first: Option<i64>,
    closed: Option<i64>,
    rating: Option<&str>,
) {
    conversation::ActiveModel {
        channel_id: Set(channel),
        account_id: Set(account),
        customer_user_id: Set(customer.0),
        customer_account_id: Set(customer.1),
        status: Set(match (first, closed) {
            (_, Some(_)) => "closed",
            (Some(_), None) => "open",
            _ => "new",
        }
        .into()),
        last_seq: Set(1),
        created_at: Set(created),
        updated_at: Set(created),
        closed_at: Set(closed),
        operator_user_id: Set(operator),
        first_response_at: Set(first),
        rating: Set(rating.map(str::to_string)),
        operator_read_seq: Set(0),
        customer_read_seq: Set(0),
        operator_unread: Set(0),
        preview: Set(String::new()),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
}

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

#[both_databases]
async fn figures_match_a_known_data_set_in_the_viewers_zone(b: Backend) {
    let app = spawn(&b).await;
    let (admin, operator, employee, outsider) = (browser(), browser(), browser(), browser());
    app.register(&admin, "anna@acme.test", "Anna").await;
    app.register(&operator, "olek@acme.test", "Olek").await;
    app.register(&employee, "emil@acme.test", "Emil").await;
    app.register(&outsider, "zed@zeta.test", "Zed").await;
    app.create_account(&admin, "Acme", "acme").await;
    app.create_account(&outsider, "Zeta", "zeta").await;
    for (email, role, invitee) in [
        ("olek@acme.test", "operator", &operator),
        ("emil@acme.test", "employee", &employee),
    ] {
        app.invite_and_accept(&admin, "acme", email, role, invitee).await;
    }
    for name in ["Support", "Sales"] {
        app.post_form(
            &admin,
            "/a/acme/contact-center/channels",
            &[("channel_name", name)],
        )
        .await;
    }
    let cc = app
        .server_fn(&admin, "contact_center", &[("slug", "acme")])
        .await
        .unwrap();
    let chans: Vec<(String, i64)> = cc["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), id_of(c)))
        .collect();
    let support = chans.iter().find(|c| c.0 == "Support").unwrap().1;
    let sales = chans.iter().find(|c| c.0 == "Sales").unwrap().1;
    let me = |c: &reqwest::Client| {
        let c = c.clone();
        let app = &app;
        async move { id_of(&app.server_fn(&c, "current_user", &[]).await.unwrap()) }
    };
    let (anna, olek, zed) = (me(&admin).await, me(&operator).await, me(&outsider).await);
    let acme = cc["account"]["id"].as_i64().unwrap();
    let zeta_acc = app
        .server_fn(&outsider, "contact_center", &[("slug", "zeta")])
        .await
        .unwrap()["account"]["id"]
        .as_i64()
        .unwrap();
    let cust = (zed, zeta_acc);
    // The known data set (Warsaw is UTC+1 in December, UTC+2 until 25 October).
    // 1 Dec 09:10 local, Olek answers after 60 s, closed after 10 min, liked.
    let t = utc("2026-12-01T08:10:00Z");
    insert(
        &app,
        support,
        acme,
        cust,
        Some(olek),
        t,
        Some(t + 60 * S),
        Some(t + 600 * S),
        Some("like"),
    )
    .await;
    // 1 Dec 09:40 local, Anna answers after 120 s, closed after 20 min, disliked.
    let t = utc("2026-12-01T08:40:00Z");
    insert(
        &app,
        support,
        acme,
        cust,
        Some(anna),
        t,
        Some(t + 120 * S),
        Some(t + 1200 * S),
        Some("dislike"),
    )
    .await;
    // 1 Dec 23:30 local = 22:30 UTC: still 1 December in Warsaw. Missed (closed unanswered).
    let t = utc("2026-12-01T22:30:00Z");
    insert(&app, sales, acme, cust, None, t, None, Some(t + 300 * S), None).await;
    // 2 Dec 00:30 local = 1 Dec 23:30 UTC: 2 December in Warsaw. Olek, 30 s, still open.
    let t = utc("2026-12-01T23:30:00Z");
    insert(
        &app,
        sales,
        acme,
        cust,
        Some(olek),
        t,
        Some(t + 30 * S),
        None,
        None,
    )
    .await;
    // 25 Oct 00:30 summer time (UTC+2) = 24 Oct 22:30 UTC, the night clocks go back.
    let t = utc("2026-10-24T22:30:00Z");
    insert(&app, support, acme, cust, None, t, None, None, None).await;
    // Outside the period, and another account's: never counted.
    insert(
        &app,
        support,
        acme,
        cust,
        Some(olek),
        utc("2026-11-20T10:00:00Z"),
        None,
        None,
        None,
    )
    .await;
    let zeta_channel = {
        app.post_form(
            &outsider,
            "/a/zeta/contact-center/channels",
            &[("channel_name", "Z")],
        )
        .await;
        id_of(
            &app.server_fn(&outsider, "contact_center", &[("slug", "zeta")])
                .await
                .unwrap()["channels"][0],
        )
    };
    insert(
        &app,
        zeta_channel,
        zeta_acc,
        (anna, acme),
        None,
        utc("2026-12-01T12:00:00Z"),
        None,
        None,
        None,
    )
    .await;

    let stats = |c: &reqwest::Client, from: &str, to: &str, channel: Option<i64>, tz: &str| {
        let c = c.clone();
        let (from, to, tz) = (from.to_string(), to.to_string(), tz.to_string());
        let ch = channel.map(|c| c.to_string());
        let app = &app;
        async move {
            let mut args = vec![
                ("slug", "acme".to_string()),
                ("from", from),
                ("to", to),
                ("tz", tz),
            ];
            if let Some(ch) = ch {
                args.push(("channel", ch));
            }
            let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.server_fn(&c, "statistics", &refs).await
        }
    };
    let v = stats(&admin, "2026-12-01", "2026-12-02", None, "Europe/Warsaw")
        .await
        .unwrap();
    let f = &v["figures"];
    assert_eq!(
        (
            f["started"].as_u64(),
            f["answered"].as_u64(),
            f["missed"].as_u64(),
            f["waiting"].as_u64()
        ),
        (Some(4), Some(3), Some(1), Some(0)),
        "{b:?}: {f}"
    );
    assert_eq!(f["first_response"]["median_s"], 60, "{b:?}");
    assert_eq!(f["first_response"]["p90_s"], 120, "{b:?}");
    assert_eq!(f["time_to_close"]["median_s"], 600, "{b:?}");
    assert_eq!(f["time_to_close"]["p90_s"], 1200, "{b:?}");
    assert_eq!((f["likes"].as_u64(), f["dislikes"].as_u64()), (Some(1), Some(1)));
    let days: Vec<(String, u64, u64, u64)> = f["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["started"].as_u64().unwrap(),
                d["answered"].as_u64().unwrap(),
                d["missed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [("2026-12-01".into(), 3, 2, 1), ("2026-12-02".into(), 1, 1, 0)],
        "{b:?}"
    );
    let hours: Vec<u64> = f["hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_u64().unwrap())
        .collect();
    assert_eq!((hours[9], hours[23], hours[0]), (2, 1, 1), "{b:?}: {hours:?}");
    let ops: Vec<(String, u64)> = f["operators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_string(),
                o["conversations"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ops, [("Olek".into(), 2), ("Anna".into(), 1)], "{b:?}");
    // In UTC the late conversations both fall on 1 December, at 22:00 and 23:00.
    let v = stats(&admin, "2026-12-01", "2026-12-02", None, "UTC")
        .await
        .unwrap();
    let d = &v["figures"]["days"];
    assert_eq!(
        (d[0]["started"].as_u64(), d[1]["started"].as_u64()),
        (Some(4), Some(0)),
        "{b:?}"
    );
    assert_eq!(v["figures"]["hours"][22], 1);
    // The night the clocks go back: 25 October in Warsaw, 24 October in UTC.
    let v = stats(&admin, "2026-10-25", "2026-10-25", None, "Europe/Warsaw")
        .await
        .unwrap();
    assert_eq!(v["figures"]["started"], 1, "{b:?}");
    assert_eq!(v["figures"]["hours"][0], 1, "{b:?}");
    let v = stats(&admin, "2026-10-25", "2026-10-25", None, "UTC")
        .await
        .unwrap();
    assert_eq!(v["figures"]["started"], 0, "{b:?}");
    // One channel.
    let v = stats(&admin, "2026-12-01", "2026-12-02", Some(sales), "Europe/Warsaw")
        .await
        .unwrap();
    assert_eq!(
        (v["figures"]["started"].as_u64(), v["figures"]["missed"].as_u64()),
        (Some(2), Some(1))
    );
    // Operators: only their own conversations.
    let v = stats(&operator, "2026-12-01", "2026-12-02", None, "Europe/Warsaw")
        .await
        .unwrap();
    assert_eq!(v["is_admin"], false);
    assert_eq!(v["figures"]["started"], 2, "{b:?}");
    assert_eq!(v["figures"]["operators"].as_array().unwrap().len(), 1);
    // Employees and strangers: nothing; another account's channel: not found.
    assert!(stats(&employee, "", "", None, "").await.is_err());
    assert!(stats(&outsider, "", "", None, "").await.is_err());
    assert!(stats(&admin, "", "", Some(zeta_channel), "UTC").await.is_err());
    // Bad periods and zones are named.
    for (from, to, tz, want) in [
        ("2026-12-05", "2026-12-01", "UTC", "period_range"),
        ("2025-01-01", "2026-12-01", "UTC", "period_range"),
        ("2026-02-30", "2026-03-01", "UTC", "date_format"),
        ("", "", "Mars/Olympus", "time_zone_unknown"),
    ] {
        let e = stats(&admin, from, to, None, tz).await.unwrap_err();
        assert!(e.to_string().contains(want), "{from}..{to} {tz}: {e}");
    }
    // The CSV, through its route, with the page's rights.
    let r = admin
        .get(app.url("/a/acme/statistics.csv?from=2026-12-01&to=2026-12-02&tz=Europe/Warsaw"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("netlines-acme-2026-12-01-2026-12-02.csv"));
    let bytes = r.bytes().await.unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a UTF-8 byte-order mark first"
    );
    let body = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(
        body.starts_with("metric,value\nstarted,4\nanswered,3\nmissed,1\nwaiting,0\n"),
        "{body}"
    );
    assert!(body.contains("\n2026-12-01,3,2,1\n2026-12-02,1,1,0\n"), "{body}");
    assert!(body.contains("\nOlek,2,2,1,30,60\n"), "{body}");
    let r = operator
        .get(app.url("/a/acme/statistics.csv?from=2026-12-01&to=2026-12-02&tz=Europe/Warsaw"))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("\nstarted,2\n"));
    let r = employee
        .get(app.url("/a/acme/statistics.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = outsider
        .get(app.url("/a/acme/statistics.csv"))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::OK);
    let r = browser()
        .get(app.url("/a/acme/statistics.csv"))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::OK);
}
