//! API tests: open channels, the Network connector, its settings form (validation,
//! avatar), rights, and the customer link's public card.
//! Every test runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.

use crate::harness::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::Value;

struct World {
    app: TestApp,
    admin: Client,
    operator: Client,
    employee: Client,
    outsider: Client,
}

/// Acme: Anna (admin), Olek (operator), Emil (employee); Zed is in no Acme role.
async fn world(b: &Backend) -> World {
    let app = spawn(b).await;
    let (admin, operator, employee, outsider) = (browser(), browser(), browser(), browser());
    app.register(&admin, "anna@acme.test", "Anna").await;
    app.register(&operator, "olek@acme.test", "Olek").await;
    app.register(&employee, "emil@acme.test", "Emil").await;
    app.register(&outsider, "zed@zeta.test", "Zed").await;
    app.create_account(&admin, "Acme", "acme").await;
    for (email, role, invitee) in [
        ("olek@acme.test", "operator", &operator),
        ("emil@acme.test", "employee", &employee),
    ] {
        let to = app.invite_and_accept(&admin, "acme", email, role, invitee).await;
        assert_eq!(to, "/a/acme?ok=invited");
    }
    World {
        app,
        admin,
        operator,
        employee,
        outsider,
    }
}

async fn cc(app: &TestApp, c: &Client) -> Result<Value, Value> {
    app.server_fn(c, "contact_center", &[("slug", "acme")]).await
}

async fn uid(app: &TestApp, c: &Client) -> String {
    app.server_fn(c, "current_user", &[]).await.unwrap()["id"].to_string()
}

/// Creates a channel and returns its id.
async fn channel(app: &TestApp, admin: &Client, name: &str) -> i64 {
    let r = app
        .post_form(
            admin,
            "/a/acme/contact-center/channels",
            &[("channel_name", name)],
        )
        .await;
    assert_eq!(location(&r), "/a/acme/contact-center?ok=channel_created");
    let v = cc(app, admin).await.unwrap();
    v["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn connect(app: &TestApp, admin: &Client, channel: &str, new_name: &str) -> String {
    let r = app
        .post_form(
            admin,
            "/a/acme/contact-center/network/connect",
            &[("channel", channel), ("new_channel_name", new_name)],
        )
        .await;
    location(&r)
}

async fn settings(app: &TestApp, c: &Client, id: i64) -> Result<Value, Value> {
    app.server_fn(
        c,
        "connector_settings",
        &[("slug", "acme"), ("channel", &id.to_string())],
    )
    .await
}

fn text_form(fields: &[(&str, &str)]) -> Form {
    fields
        .iter()
        .fold(Form::new(), |f, (k, v)| f.text(k.to_string(), v.to_string()))
}

async fn save(app: &TestApp, c: &Client, id: i64, form: Form) -> String {
    let r = c
        .post(app.url(&format!("/a/acme/contact-center/network/settings/{id}")))
        .header("accept", "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    location(&r)
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, 200, 255])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

const VALID: [(&str, &str); 5] = [
    ("name", "Acme Support"),
    ("description", "Help with deliveries"),
    ("welcome_message", "Dzień dobry! How can we help?"),
    ("multi_chat", "1"),
    ("chat_limit", "3"),
];

#[both_databases]
async fn admins_create_rename_switch_and_staff_open_channels(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let id = channel(app, &w.admin, "Sales").await;
    let olek = uid(app, &w.operator).await;
    let anna = uid(app, &w.admin).await;
    let base = format!("/a/acme/contact-center/channels/{id}");
    let r = app
        .post_form(
            &w.admin,
            &format!("{base}/rename"),
            &[("channel_name", "Sales & Billing")],
        )
        .await;
    assert_eq!(location(&r), "/a/acme/contact-center?ok=channel_renamed");
    let r = app
        .post_form(&w.admin, &format!("{base}/active"), &[("active", "0")])
        .await;
    assert_eq!(location(&r), "/a/acme/contact-center?ok=channel_deactivated");
    let body = format!("operator={olek}&operator={anna}");
    let r = w
        .admin
        .post(app.url(&format!("{base}/operators")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/a/acme/contact-center?ok=operators_saved");
    let v = cc(app, &w.admin).await.unwrap();
    let c = &v["channels"][0];
    assert_eq!(c["name"], "Sales & Billing", "{b:?}");
    assert_eq!(c["active"], false);
    assert_eq!(c["operators"].as_array().unwrap().len(), 2);
    assert_eq!(v["can_manage"], true);

    // Bad input: a clear reason and nothing changes.
    for (name, expected) in [
        ("", "error=required&field=channel_name"),
        (&"x".repeat(65), "error=too_long&field=channel_name"),
    ] {
        let r = app
            .post_form(
                &w.admin,
                "/a/acme/contact-center/channels",
                &[("channel_name", name)],
            )
            .await;
        assert!(
            location(&r).starts_with(&format!("/a/acme/contact-center?{expected}")),
            "{}",
            location(&r)
        );
        let r = app
            .post_form(&w.admin, &format!("{base}/rename"), &[("channel_name", name)])
            .await;
        // The channel whose row shows the error is named in the address.
        assert!(
            location(&r).starts_with(&format!("/a/acme/contact-center?channel={id}&{expected}")),
            "{}",
            location(&r)
        );
    }
    let zed = uid(app, &w.outsider).await;
    let r = w
        .admin
        .post(app.url(&format!("{base}/operators")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("operator={olek}&operator={zed}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&r),
        "/a/acme/contact-center?error=user_unknown&field=operators"
    );
    let v = cc(app, &w.admin).await.unwrap();
    assert_eq!(v["channels"].as_array().unwrap().len(), 1);
    assert_eq!(v["channels"][0]["name"], "Sales & Billing");
    assert_eq!(
        v["channels"][0]["operators"].as_array().unwrap().len(),
        2,
        "queue unchanged"
    );
}

#[both_databases]
async fn operators_see_their_channels_read_only_and_others_are_refused(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let mine = channel(app, &w.admin, "Support").await;
    channel(app, &w.admin, "Internal").await;
    let olek = uid(app, &w.operator).await;
    w.admin
        .post(app.url(&format!("/a/acme/contact-center/channels/{mine}/operators")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("operator={olek}"))
        .send()
        .await
        .unwrap();
    let v = cc(app, &w.operator).await.unwrap();
    assert_eq!(v["can_manage"], false);
    let names: Vec<&str> = v["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Support"], "{b:?}");
    // Their own queue lists them (operators get no member list to look names up in).
    assert_eq!(v["channels"][0]["operator_names"].as_array().unwrap().len(), 1);
    let (_, html) = app.get_html(&w.operator, "/a/acme/contact-center").await;
    assert!(!html.contains("No operators yet"), "{b:?}");

    // The operator can change nothing.
    let before = cc(app, &w.admin).await.unwrap();
    for (path, form) in [
        (
            "/a/acme/contact-center/channels".to_string(),
            vec![("channel_name", "Mine")],
        ),
        (
            format!("/a/acme/contact-center/channels/{mine}/rename"),
            vec![("channel_name", "Hijacked")],
        ),
        (
            format!("/a/acme/contact-center/channels/{mine}/active"),
            vec![("active", "0")],
        ),
        (
            format!("/a/acme/contact-center/channels/{mine}/operators"),
            vec![],
        ),
        (
            "/a/acme/contact-center/network/connect".to_string(),
            vec![("channel", &*mine.to_string().leak())],
        ),
    ] {
        let r = app.post_form(&w.operator, &path, &form).await;
        assert!(
            location(&r).contains("error=forbidden"),
            "{path}: {}",
            location(&r)
        );
    }
    assert_eq!(cc(app, &w.admin).await.unwrap(), before, "nothing changed");

    // Employees and outsiders see no Contact Center at all.
    assert_eq!(
        cc(app, &w.employee).await.unwrap_err(),
        serde_json::json!("Forbidden")
    );
    assert_eq!(
        cc(app, &w.outsider).await.unwrap_err(),
        serde_json::json!("NotFound")
    );
    let (status, _) = app.get_html(&w.employee, "/a/acme/contact-center").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get_html(&w.outsider, "/a/acme/contact-center").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, html) = app.get_html(&w.operator, "/a/acme/contact-center").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Support") && !html.contains("Internal") && !html.contains("Create channel"));
}

#[both_databases]
async fn connecting_opens_settings_with_a_unique_code_and_disconnecting_keeps_it(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    // Connect a channel created on the spot.
    let to = connect(app, &w.admin, "new", "Helpdesk").await;
    assert!(
        to.starts_with("/a/acme/contact-center/network/settings/") && to.ends_with("?ok=connected"),
        "{to}"
    );
    let id: i64 = to
        .trim_start_matches("/a/acme/contact-center/network/settings/")
        .trim_end_matches("?ok=connected")
        .parse()
        .unwrap();
    let s = settings(app, &w.admin, id).await.unwrap();
    let code = s["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 32);
    assert!(
        code.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
        "{code}"
    );
    assert_eq!(
        s["link"],
        format!("http://127.0.0.1/oauth/select/?preset=im&IM_DIALOG=networkLines{code}")
    );
    assert_eq!(s["name"], "Helpdesk");
    assert_eq!(s["multi_chat"], false);

    // Connect an existing channel: another, different code.
    let other = channel(app, &w.admin, "Sales").await;
    assert!(connect(app, &w.admin, &other.to_string(), "")
        .await
        .ends_with("?ok=connected"));
    let code2 = settings(app, &w.admin, other).await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(code, code2);

    // At most one connector per channel; unknown or foreign channels are refused.
    let to = connect(app, &w.admin, &id.to_string(), "").await;
    assert!(
        to.starts_with("/a/acme/contact-center/network/connect?error=channel_taken&field=channel"),
        "{to}"
    );
    let to = connect(app, &w.admin, "999999", "").await;
    assert!(to.contains("error=not_found&field=channel"), "{to}");
    let to = connect(app, &w.admin, "", "").await;
    assert!(to.contains("error=required&field=channel"), "{to}");
    let to = connect(app, &w.admin, "new", "").await;
    assert!(to.contains("error=required&field=channel_name"), "{to}");
    assert_eq!(app.count("network_connectors").await, 2, "{b:?}");

    // The card is public to any signed-in user with the code.
    let dialog = format!("networkLines{code}");
    let card = app
        .server_fn(&w.outsider, "public_card", &[("dialog", &dialog)])
        .await
        .unwrap();
    assert_eq!(card["name"], "Helpdesk");
    assert_eq!(card["available"], true);
    assert_eq!(
        app.server_fn(&browser(), "public_card", &[("dialog", &dialog)])
            .await
            .unwrap_err(),
        serde_json::json!("Unauthorized")
    );

    // Disconnect: the link says "unavailable"; reconnecting restores the same code.
    let r = app
        .post_form(
            &w.admin,
            &format!("/a/acme/contact-center/network/disconnect/{id}"),
            &[],
        )
        .await;
    assert_eq!(location(&r), "/a/acme/contact-center/network?ok=disconnected");
    let card = app
        .server_fn(&w.outsider, "public_card", &[("dialog", &dialog)])
        .await
        .unwrap();
    assert_eq!(card["available"], false);
    let (status, html) = app
        .get_html(
            &w.outsider,
            &format!("/oauth/select/?preset=im&IM_DIALOG={dialog}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("This channel is unavailable"), "{html}");
    assert!(connect(app, &w.admin, &id.to_string(), "")
        .await
        .ends_with("?ok=connected"));
    assert_eq!(settings(app, &w.admin, id).await.unwrap()["code"], code.as_str());
    let card = app
        .server_fn(&w.outsider, "public_card", &[("dialog", &dialog)])
        .await
        .unwrap();
    assert_eq!(card["available"], true);

    // A switched-off open channel is unavailable too.
    app.post_form(
        &w.admin,
        &format!("/a/acme/contact-center/channels/{id}/active"),
        &[("active", "0")],
    )
    .await;
    let card = app
        .server_fn(&w.outsider, "public_card", &[("dialog", &dialog)])
        .await
        .unwrap();
    assert_eq!(card["available"], false);
}

#[tokio::test]
async fn the_link_page_explains_unknown_codes_to_everyone() {
    let w = world(&Backend::Sqlite).await;
    let app = &w.app;
    let (status, html) = app
        .get_html(
            &w.outsider,
            "/oauth/select/?preset=im&IM_DIALOG=networkLines0123456789abcdef0123456789abcdef",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("No such channel"));
    let (status, _) = app
        .get_html(
            &w.outsider,
            "/oauth/select/?preset=im&IM_DIALOG=networkLinesnonsense",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Signed out too (a known code shows its card and the way in: see chat.rs).
    let (status, html) = app
        .get_html(
            &browser(),
            "/oauth/select/?preset=im&IM_DIALOG=networkLines0123456789abcdef0123456789abcdef",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("No such channel"));
}

#[both_databases]
async fn every_settings_rule_is_checked_on_the_server_and_nothing_is_saved_on_error(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let to = connect(app, &w.admin, "new", "Helpdesk").await;
    let id: i64 = to
        .split('/')
        .nth(6)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = format!("/a/acme/contact-center/network/settings/{id}");
    assert_eq!(
        save(app, &w.admin, id, text_form(&VALID)).await,
        format!("{page}?ok=settings_saved")
    );
    let saved = settings(app, &w.admin, id).await.unwrap();
    assert_eq!(saved["name"], "Acme Support", "{b:?}");
    assert_eq!(saved["welcome_message"], "Dzień dobry! How can we help?");
    assert_eq!(saved["multi_chat"], true);
    assert_eq!(saved["chat_limit"], 3);

    let long_desc = "d".repeat(256);
    let long_welcome = "w".repeat(1001);
    let long_name = "n".repeat(65);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("name", "")], "channel_name.required"),
        (vec![("name", &long_name)], "channel_name.too_long"),
        (vec![("description", &long_desc)], "description.too_long"),
        (
            vec![("welcome_message", &long_welcome)],
            "welcome_message.too_long",
        ),
        (vec![("chat_limit", "1")], "chat_limit.limit_range"),
        (vec![("chat_limit", "21")], "chat_limit.limit_range"),
        (vec![("chat_limit", "three")], "chat_limit.not_a_number"),
        (vec![("chat_limit", "")], "chat_limit.required"),
    ];
    for (changes, expected) in cases {
        let fields: Vec<(&str, &str)> = VALID
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    changes
                        .iter()
                        .find(|(ck, _)| ck == k)
                        .map(|(_, cv)| *cv)
                        .unwrap_or(*v),
                )
            })
            .collect();
        let to = save(app, &w.admin, id, text_form(&fields)).await;
        assert!(
            to.starts_with(&format!("{page}?errors={}", expected)),
            "{expected}: {to}"
        );
        assert_eq!(
            settings(app, &w.admin, id).await.unwrap(),
            saved,
            "{expected}: nothing saved"
        );
    }
    // Several errors at once are all reported, with the typed values kept.
    let to = save(
        app,
        &w.admin,
        id,
        text_form(&[
            ("name", ""),
            ("description", &long_desc),
            ("multi_chat", "1"),
            ("chat_limit", "99"),
        ]),
    )
    .await;
    assert!(
        to.contains("errors=channel_name.required%2Cdescription.too_long%2Cchat_limit.limit_range"),
        "{to}"
    );
    let (_, html) = app.get_html(&w.admin, &to).await;
    assert!(
        html.contains("This field is required.") && html.contains("Enter a number from 2 to 20."),
        "{html}"
    );
    assert!(html.contains(r#"value="99""#));

    // With multiple chats off, the limit is neither required nor checked.
    let to = save(
        app,
        &w.admin,
        id,
        text_form(&[("name", "Helpdesk"), ("chat_limit", "nonsense")]),
    )
    .await;
    assert_eq!(to, format!("{page}?ok=settings_saved"));
    let s = settings(app, &w.admin, id).await.unwrap();
    assert_eq!(s["multi_chat"], false);
    assert_eq!(
        s["chat_limit"], 3,
        "the last limit is remembered for when the switch goes back on"
    );
}

#[both_databases]
async fn avatars_are_checked_reencoded_served_with_long_cache_and_removable(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let to = connect(app, &w.admin, "new", "Helpdesk").await;
    let id: i64 = to
        .split('/')
        .nth(6)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let with_file = |bytes: Vec<u8>, name: &str, crop: bool| {
        let mut f = text_form(&VALID).part("avatar", Part::bytes(bytes).file_name(name.to_string()));
        if crop {
            f = f.text("avatar_crop", "1");
        }
        f
    };
    // Refused files: a clear reason, nothing stored, nothing else saved either.
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    let to = save(app, &w.admin, id, with_file(gif, "logo.png", false)).await;
    assert!(to.contains("errors=avatar.avatar_format"), "{to}");
    let to = save(app, &w.admin, id, with_file(png(1, 20000), "tall.png", false)).await;
    assert!(to.contains("errors=avatar.avatar_dimensions"), "{to}");
    let mut big = png(8, 8);
    big.resize(5 * 1024 * 1024 + 10, 0);
    let to = save(app, &w.admin, id, with_file(big, "big.png", false)).await;
    assert!(to.contains("errors=avatar.avatar_too_large"), "{to}");
    assert_eq!(app.count("avatar_images").await, 0, "{b:?}");
    assert_eq!(settings(app, &w.admin, id).await.unwrap()["name"], "Helpdesk");

    // A non-square PNG, cropped to its centre.
    let to = save(app, &w.admin, id, with_file(png(300, 200), "wide.png", true)).await;
    assert!(to.ends_with("?ok=settings_saved"), "{to}");
    let url = settings(app, &w.admin, id).await.unwrap()["avatar_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with("/avatars/") && url.ends_with("/256.png"), "{url}");
    let r = browser().get(app.url(&url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let img = image::load_from_memory(&r.bytes().await.unwrap())
        .unwrap()
        .to_rgba8();
    assert_eq!(img.dimensions(), (256, 256));
    assert_eq!(img.get_pixel(128, 2)[3], 255, "cropped: no empty band");
    let small = browser()
        .get(app.url(&url.replace("/256.png", "/64.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        image::load_from_memory(&small.bytes().await.unwrap())
            .unwrap()
            .width(),
        64
    );
    assert_eq!(
        browser()
            .get(app.url(&url.replace("/256.png", "/100.png")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.count("avatar_images").await, 2);

    // Saving without a file keeps it; "remove" removes it.
    save(app, &w.admin, id, text_form(&VALID)).await;
    assert_eq!(
        settings(app, &w.admin, id).await.unwrap()["avatar_url"],
        url.as_str()
    );
    let mut remove = VALID.to_vec();
    remove.push(("avatar_remove", "1"));
    save(app, &w.admin, id, text_form(&remove)).await;
    assert_eq!(
        settings(app, &w.admin, id).await.unwrap()["avatar_url"],
        Value::Null
    );
}

#[both_databases]
async fn only_admins_open_or_change_the_settings_form(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let to = connect(app, &w.admin, "new", "Helpdesk").await;
    let id: i64 = to
        .split('/')
        .nth(6)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = format!("/a/acme/contact-center/network/settings/{id}");
    assert_eq!(
        settings(app, &w.operator, id).await.unwrap_err(),
        serde_json::json!("Forbidden")
    );
    assert_eq!(
        settings(app, &w.employee, id).await.unwrap_err(),
        serde_json::json!("Forbidden")
    );
    assert_eq!(
        settings(app, &w.outsider, id).await.unwrap_err(),
        serde_json::json!("NotFound")
    );
    let (status, html) = app.get_html(&w.operator, &page).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{b:?}");
    assert!(!html.contains("networkLines"), "the operator sees no settings");
    let (status, _) = app.get_html(&w.admin, &page).await;
    assert_eq!(status, StatusCode::OK);

    let to = save(app, &w.operator, id, text_form(&[("name", "Hijacked")])).await;
    assert!(to.contains("error=forbidden"), "{to}");
    let r = app
        .post_form(
            &w.operator,
            &format!("/a/acme/contact-center/network/disconnect/{id}"),
            &[],
        )
        .await;
    assert!(location(&r).contains("error=forbidden"));
    let to = save(app, &w.outsider, id, text_form(&[("name", "Hijacked")])).await;
    assert_eq!(to, "/a/acme");
    let s = settings(app, &w.admin, id).await.unwrap();
    assert_eq!(s["name"], "Helpdesk");
    assert_eq!(s["connected"], true);

    // Another account's admin cannot reach Acme's channel through their own account.
    app.create_account(&w.outsider, "Zeta", "zeta").await;
    let r = w
        .outsider
        .post(app.url(&format!("/a/zeta/contact-center/network/settings/{id}")))
        .multipart(text_form(&[("name", "Hijacked")]))
        .send()
        .await
        .unwrap();
    assert!(location(&r).contains("error=not_found"), "{}", location(&r));
    let r = app
        .post_form(
            &w.outsider,
            &format!("/a/zeta/contact-center/network/disconnect/{id}"),
            &[],
        )
        .await;
    assert!(location(&r).contains("error=not_found"));
    assert_eq!(settings(app, &w.admin, id).await.unwrap()["name"], "Helpdesk");
}

#[tokio::test]
async fn removing_a_member_takes_them_out_of_every_queue() {
    let w = world(&Backend::Sqlite).await;
    let app = &w.app;
    let id = channel(app, &w.admin, "Support").await;
    let olek = uid(app, &w.operator).await;
    w.admin
        .post(app.url(&format!("/a/acme/contact-center/channels/{id}/operators")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("operator={olek}"))
        .send()
        .await
        .unwrap();
    assert_eq!(app.count("channel_operators").await, 1);
    app.post_form(&w.admin, &format!("/a/acme/members/{olek}/remove"), &[])
        .await;
    assert_eq!(app.count("channel_operators").await, 0);
}

async fn quick_answers_of(app: &TestApp, c: &Client, slug: &str) -> Result<Value, Value> {
    app.server_fn(c, "quick_answers", &[("slug", slug)]).await
}

#[both_databases]
async fn admins_keep_quick_answers_operators_read_them_and_nobody_else_sees_them(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let page = "/a/acme/contact-center/quick-answers";
    let add = format!("{page}/add");

    // An admin adds two; the list is by title.
    let r = app
        .post_form(
            &w.admin,
            &add,
            &[
                ("title", " Greeting "),
                ("body", "Hello {customer_name}!\r\nHow can I help?"),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("{page}?ok=quick_answer_created"));
    let r = app
        .post_form(
            &w.admin,
            &add,
            &[("title", "Bye"), ("body", "Goodbye from {channel_name}.")],
        )
        .await;
    assert_eq!(location(&r), format!("{page}?ok=quick_answer_created"));
    let list = quick_answers_of(app, &w.operator, "acme").await.unwrap();
    let titles: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Bye", "Greeting"]);
    assert_eq!(
        list[1]["body"], "Hello {customer_name}!\nHow can I help?",
        "stored as written, CRLF normalised"
    );
    let greeting = list[1]["id"].as_i64().unwrap();
    let bye = list[0]["id"].as_i64().unwrap();

    // Bad input: field + reason, the typed values back, nothing stored.
    let before = app.count("quick_answers").await;
    for (form, field, code) in [
        (vec![("title", ""), ("body", "x")], "title", "required"),
        (vec![("title", "x"), ("body", "  \n")], "body", "required"),
        (
            vec![("title", "a\u{7}b"), ("body", "x")],
            "title",
            "control_chars",
        ),
        (
            vec![("title", &"t".repeat(81)[..]), ("body", "x")],
            "title",
            "too_long",
        ),
        (
            vec![("title", "Long"), ("body", &"ż".repeat(4001)[..])],
            "body",
            "too_long",
        ),
        (
            vec![("title", "Greeting"), ("body", "again")],
            "title",
            "title_taken",
        ),
    ] {
        let r = app.post_form(&w.admin, &add, &form).await;
        let to = location(&r);
        assert!(
            to.starts_with(&format!("{page}?error={code}&field={field}")),
            "{form:?}: {to}"
        );
    }
    assert_eq!(app.count("quick_answers").await, before, "nothing stored");
    let r = app
        .post_form(&w.admin, &add, &[("title", "Greeting"), ("body", "again")])
        .await;
    let to = location(&r);
    assert_eq!(to, format!("{page}?error=title_taken&field=title"));
    let (_, html) = app.get_html(&w.admin, &to).await;
    assert!(html.contains(">again</textarea>"), "the typed text comes back");

    // Editing: a taken title is refused with the item named; a good edit is saved.
    let r = app
        .post_form(
            &w.admin,
            &format!("{page}/{bye}"),
            &[("title", "Greeting"), ("body", "Ciao")],
        )
        .await;
    let to = location(&r);
    assert_eq!(to, format!("{page}?edit={bye}&error=title_taken&field=title"));
    let (_, html) = app.get_html(&w.admin, &to).await;
    assert!(html.contains(">Ciao</textarea>"), "the typed text comes back");
    let r = app
        .post_form(
            &w.admin,
            &format!("{page}/{bye}"),
            &[
                ("title", "Do widzenia"),
                ("body", "Do widzenia, {customer_name}."),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("{page}?ok=quick_answer_saved"));

    // Operators read but cannot change; employees and outsiders get nothing.
    let before = quick_answers_of(app, &w.admin, "acme").await.unwrap();
    for (path, form) in [
        (add.clone(), vec![("title", "Mine"), ("body", "x")]),
        (
            format!("{page}/{greeting}"),
            vec![("title", "Mine"), ("body", "x")],
        ),
        (format!("{page}/{greeting}/delete"), vec![]),
    ] {
        let r = app.post_form(&w.operator, &path, &form).await;
        assert!(
            location(&r).contains("error=forbidden"),
            "{path}: {}",
            location(&r)
        );
        let r = app.post_form(&w.employee, &path, &form).await;
        assert!(
            location(&r).contains("error=forbidden"),
            "{path}: {}",
            location(&r)
        );
        let r = app.post_form(&w.outsider, &path, &form).await;
        assert_eq!(location(&r), "/a/acme", "{path}: outsiders learn nothing");
    }
    assert_eq!(
        quick_answers_of(app, &w.admin, "acme").await.unwrap(),
        before,
        "nothing changed"
    );
    assert_eq!(
        quick_answers_of(app, &w.employee, "acme").await.unwrap_err(),
        serde_json::json!("Forbidden")
    );
    assert_eq!(
        quick_answers_of(app, &w.outsider, "acme").await.unwrap_err(),
        serde_json::json!("NotFound")
    );
    assert_eq!(
        app.server_fn(&w.outsider, "quick_answers_page", &[("slug", "acme")])
            .await
            .unwrap_err(),
        serde_json::json!("NotFound")
    );
    let (status, _) = app.get_html(&w.outsider, page).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get_html(&w.employee, page).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, html) = app.get_html(&w.operator, page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Greeting") && html.contains("Do widzenia") && !html.contains("Add quick answer"));
    let anon = browser();
    assert_eq!(
        quick_answers_of(app, &anon, "acme").await.unwrap_err(),
        serde_json::json!("Unauthorized")
    );
    let r = app.post_form(&anon, &add, &[("title", "x"), ("body", "x")]).await;
    assert!(location(&r).starts_with("/login"), "{}", location(&r));

    // An admin of another account cannot reach Acme's answers through their own.
    app.create_account(&w.outsider, "Zeta", "zeta").await;
    for path in [
        format!("/a/zeta/contact-center/quick-answers/{greeting}"),
        format!("/a/zeta/contact-center/quick-answers/{greeting}/delete"),
    ] {
        let r = app
            .post_form(&w.outsider, &path, &[("title", "Stolen"), ("body", "x")])
            .await;
        assert!(
            location(&r).contains("error=not_found"),
            "{path}: {}",
            location(&r)
        );
    }
    assert_eq!(
        quick_answers_of(app, &w.outsider, "zeta").await.unwrap(),
        serde_json::json!([])
    );
    assert_eq!(
        quick_answers_of(app, &w.admin, "acme").await.unwrap(),
        before,
        "nothing changed"
    );

    // Text is shown escaped on the page.
    let r = app
        .post_form(
            &w.admin,
            &add,
            &[
                ("title", "<b>x</b>"),
                ("body", "</textarea><script>alert(1)</script>"),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("{page}?ok=quick_answer_created"));
    let (_, html) = app.get_html(&w.admin, page).await;
    assert!(!html.contains("<script>alert(1)") && !html.contains("<b>x</b>"));

    // Deleting.
    let r = app
        .post_form(&w.admin, &format!("{page}/{greeting}/delete"), &[])
        .await;
    assert_eq!(location(&r), format!("{page}?ok=quick_answer_deleted"));
    let r = app
        .post_form(&w.admin, &format!("{page}/{greeting}/delete"), &[])
        .await;
    assert!(location(&r).contains("error=not_found"));
    let left = quick_answers_of(app, &w.admin, "acme").await.unwrap();
    assert_eq!(left.as_array().unwrap().len(), 2);
}

#[both_databases]
async fn an_account_keeps_at_most_two_hundred_quick_answers(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let add = "/a/acme/contact-center/quick-answers/add";
    for i in 0..200 {
        let r = app
            .post_form(
                &w.admin,
                add,
                &[("title", &format!("Answer {i:03}")), ("body", "text")],
            )
            .await;
        assert!(
            location(&r).ends_with("ok=quick_answer_created"),
            "{i}: {}",
            location(&r)
        );
    }
    let r = app
        .post_form(&w.admin, add, &[("title", "One too many"), ("body", "text")])
        .await;
    assert!(
        location(&r).starts_with("/a/acme/contact-center/quick-answers?error=quick_answer_limit&field=title"),
        "{}",
        location(&r)
    );
    assert_eq!(app.count("quick_answers").await, 200);
}
