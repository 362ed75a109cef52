//! The Bitrix24-compatible REST API over HTTP (SQLite and PostgreSQL): both auth styles,
//! the four parameter encodings, the envelope, every method and its documented errors,
//! batch, the rate limit, the OpenAPI document, and isolation between accounts.

use crate::harness::*;
use app::backend::config::RestLimits;
use app::backend::hub::Topic;
use app::backend::messaging::Target;
use app::backend::principal::Actor;
use app::backend::principal::Customer;
use app::backend::services::accounts;
use app::backend::services::conversations as conv;
use app::backend::services::{channels, credentials};
use app::domain::channel::ChannelCode;
use app::domain::conversation::{ClientMsgId, MessageBody};
use app::domain::{AccountName, ChannelId, ConversationId, Role, Slug, UserId};
use app::protocol::ServerMsg;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Acme (Anna admin, Olek operator of Support, Emil employee) owns the channel; Borealis
/// (Cleo admin, Bob employee) is a customer account; Zeta (Zed) is elsewhere.
struct World {
    app: TestApp,
    http: reqwest::Client,
    anna: Actor,
    olek: Actor,
    cleo: Actor,
    bob: UserId,
    channel: ChannelId,
    code: ChannelCode,
    /// Webhook base URLs (`…/rest/{id}/{code}/`).
    anna_hook: String,
    olek_hook: String,
    cleo_hook: String,
    emil_hook: String,
    zed_hook: String,
}

async fn hook(app: &TestApp, who: UserId, slug: &str, scopes: &str) -> String {
    let (_, code) = credentials::create_webhook(&app.state.db, who, slug, "test", &[scopes.to_string()])
        .await
        .unwrap();
    format!("{}/rest/{}/{}/", app.base, who.0, code)
}

async fn world_with(b: &Backend, limits: Option<RestLimits>) -> World {
    let app = spawn_with(
        b,
        Options {
            rest: limits,
            // Small enough to test "too large" through REST without a huge body.
            max_file_bytes: Some(256 * 1024),
            ..Default::default()
        },
    )
    .await;
    let db = &app.state.db;
    let mut ids = Vec::new();
    for (email, name) in [
        ("anna@acme.test", "Anna"),
        ("olek@acme.test", "Olek"),
        ("emil@acme.test", "Emil"),
        ("cleo@borealis.test", "Cleo"),
        ("bob@borealis.test", "Bob"),
        ("zed@zeta.test", "Zed"),
    ] {
        ids.push(app.user(email, name).await.id);
    }
    let [anna, olek, emil, cleo, bob, zed]: [UserId; 6] = ids.try_into().unwrap();
    for (who, name, slug) in [
        (anna, "Acme", "acme"),
        (cleo, "Borealis", "borealis"),
        (zed, "Zeta", "zeta"),
    ] {
        accounts::create(
            db,
            who,
            &AccountName::parse(name).unwrap(),
            &Slug::parse(slug).unwrap(),
        )
        .await
        .unwrap();
    }
    let anna_a = accounts::actor(db, anna, "acme").await.unwrap();
    let cleo_a = accounts::actor(db, cleo, "borealis").await.unwrap();
    accounts::add_member(db, &anna_a, "olek@acme.test", Role::Operator)
        .await
        .unwrap();
    accounts::add_member(db, &anna_a, "emil@acme.test", Role::Employee)
        .await
        .unwrap();
    accounts::add_member(db, &cleo_a, "bob@borealis.test", Role::Employee)
        .await
        .unwrap();
    let (channel, code) = network_channel(db, &anna_a, "Support", &[olek], Some("2")).await;
    // A second Acme channel Olek does not serve.
    channels::create_channel(
        db,
        &anna_a,
        &app::domain::channel::ChannelName::parse("Sales").unwrap(),
    )
    .await
    .unwrap();
    let olek_a = accounts::actor(db, olek, "acme").await.unwrap();
    World {
        anna_hook: hook(&app, anna, "acme", "imopenlines,im").await,
        olek_hook: hook(&app, olek, "acme", "imopenlines,im").await,
        cleo_hook: hook(&app, cleo, "borealis", "imopenlines,im").await,
        emil_hook: hook(&app, emil, "acme", "imopenlines,im").await,
        zed_hook: hook(&app, zed, "zeta", "imopenlines,im").await,
        http: http_client(),
        app,
        anna: anna_a,
        olek: olek_a,
        cleo: cleo_a,
        bob,
        channel,
        code,
    }
}

async fn world(b: &Backend) -> World {
    world_with(b, None).await
}

/// (status, body) of a JSON POST.
async fn call(w: &World, base: &str, method: &str, body: Value) -> (StatusCode, Value) {
    let r = w
        .http
        .post(format!("{base}{method}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn err(v: &(StatusCode, Value)) -> (u16, &str) {
    (v.0.as_u16(), v.1["error"].as_str().unwrap_or("<none>"))
}

impl World {
    /// Cleo writes to Acme's channel from Borealis; returns the conversation.
    async fn cleo_conversation(&self) -> ConversationId {
        let customer = conv::customer(
            &self.app.state.db,
            &app::api::SessionUser {
                id: self.cleo.user,
                email: String::new(),
                name: "Cleo".into(),
                time_zone: None,
            },
            "borealis",
        )
        .await
        .unwrap();
        customer_send(
            &self.app.state.db,
            self.app.state.hub.as_ref(),
            &customer,
            &self.code,
            Target::New,
            &ClientMsgId::parse(&format!("rest-test-{}", app::backend::random_token(4))).unwrap(),
            &MessageBody::parse("I need an invoice copy").unwrap(),
        )
        .await
        .unwrap()
        .conversation
    }

    fn bob_customer(&self) -> Customer {
        Customer {
            user: self.bob,
            user_name: "Bob".into(),
            account: self.cleo.account,
            account_name: "Borealis".into(),
            account_slug: "borealis".into(),
        }
    }
}

#[both_databases]
async fn webhooks_and_tokens_authenticate_and_answer_in_the_bitrix24_envelope(b: Backend) {
    let w = world(&b).await;
    // Webhook, GET with the `.json` suffix.
    let r = w
        .http
        .get(format!("{}imopenlines.config.list.get.json", w.anna_hook))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{b:?}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["total"], 2);
    assert_eq!(v["result"].as_array().unwrap().len(), 2);
    for k in [
        "start",
        "finish",
        "duration",
        "processing",
        "date_start",
        "date_finish",
        "operating_reset_at",
        "operating",
    ] {
        assert!(!v["time"][k].is_null(), "time.{k} in {v}");
    }
    assert!(v["time"]["date_start"].as_str().unwrap().ends_with("+00:00"));
    // Wrong code, someone else's user id, no credential, unknown method, XML.
    let wrong = format!("{}/rest/{}/{}/", w.app.base, w.anna.user.0, "0".repeat(32));
    assert_eq!(
        err(&call(&w, &wrong, "imopenlines.config.list.get", json!({})).await),
        (401, "invalid_token")
    );
    let other_user = w.anna_hook.replacen(
        &format!("/rest/{}/", w.anna.user.0),
        &format!("/rest/{}/", w.olek.user.0),
        1,
    );
    assert_eq!(
        err(&call(&w, &other_user, "imopenlines.config.list.get", json!({})).await),
        (401, "invalid_token")
    );
    let bare = format!("{}/rest/", w.app.base);
    assert_eq!(
        err(&call(&w, &bare, "imopenlines.config.list.get", json!({})).await),
        (401, "NO_AUTH_FOUND")
    );
    assert_eq!(
        err(&call(&w, &w.anna_hook, "crm.deal.list", json!({})).await),
        (404, "ERROR_METHOD_NOT_FOUND")
    );
    assert_eq!(
        err(&call(&w, &w.anna_hook, "imopenlines.config.list.get.xml", json!({})).await),
        (400, "WRONG_REQUEST")
    );
    // Access token: in the query, in a form body, in a JSON body.
    let (_, token) = credentials::issue_token(&w.app.state.db, w.anna.user, "acme", &["imopenlines".into()])
        .await
        .unwrap();
    let r = w
        .http
        .get(format!("{bare}imopenlines.config.list.get?auth={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = w
        .http
        .post(format!("{bare}imopenlines.config.list.get"))
        .form(&[("auth", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        call(&w, &bare, "imopenlines.config.list.get", json!({"auth": token}))
            .await
            .0,
        200
    );
    // The token's scope is imopenlines only.
    assert_eq!(
        err(&call(
            &w,
            &bare,
            "im.dialog.messages.get",
            json!({"auth": token, "DIALOG_ID": "chat1"})
        )
        .await),
        (403, "insufficient_scope")
    );
    // An expired token.
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let rows = app::backend::entities::rest_credential::Entity::find()
        .all(&w.app.state.db)
        .await
        .unwrap();
    let t = rows.into_iter().find(|r| r.kind == "token").unwrap();
    let mut am: app::backend::entities::rest_credential::ActiveModel = t.into();
    am.expires_at = Set(1);
    am.update(&w.app.state.db).await.unwrap();
    assert_eq!(
        err(&call(&w, &bare, "imopenlines.config.list.get", json!({"auth": token})).await),
        (401, "expired_token")
    );
    // A revoked webhook, and a removed member's webhook, stop working.
    let creds = credentials::list(&w.app.state.db, w.anna.user).await.unwrap();
    let hook_id = creds.iter().find(|c| c.kind == "webhook").unwrap().id;
    credentials::revoke(&w.app.state.db, w.anna.user, hook_id)
        .await
        .unwrap();
    assert_eq!(
        err(&call(&w, &w.anna_hook, "imopenlines.config.list.get", json!({})).await),
        (401, "invalid_token")
    );
    accounts::remove_member(&w.app.state.db, w.app.state.hub.as_ref(), &w.anna, w.olek.user)
        .await
        .unwrap();
    assert_eq!(
        err(&call(&w, &w.olek_hook, "imopenlines.config.list.get", json!({})).await),
        (401, "invalid_token")
    );
}

#[both_databases]
async fn network_join_reads_parameters_from_all_four_encodings_and_is_idempotent(b: Backend) {
    let w = world(&b).await;
    let code = w.code.as_str().to_string();
    let url = format!("{}imopenlines.network.join", w.cleo_hook);
    // Query string (lower-case name), form, multipart, JSON: the same id every time.
    let q = w.http.post(format!("{url}?code={code}")).send().await.unwrap();
    assert_eq!(q.status(), 200, "{b:?}");
    let id = q.json::<Value>().await.unwrap()["result"].as_i64().unwrap();
    let f: Value = w
        .http
        .post(&url)
        .form(&[("CODE", code.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new().text("Code", code.clone());
    let m: Value = w
        .http
        .post(&url)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let j = call(
        &w,
        &w.cleo_hook,
        "imopenlines.network.join",
        json!({"CODE": code}),
    )
    .await;
    assert_eq!(
        (f["result"].as_i64(), m["result"].as_i64(), j.1["result"].as_i64()),
        (Some(id), Some(id), Some(id))
    );
    // Documented errors.
    assert_eq!(
        err(&call(&w, &w.cleo_hook, "imopenlines.network.join", json!({})).await),
        (400, "CODE")
    );
    assert_eq!(
        err(&call(
            &w,
            &w.cleo_hook,
            "imopenlines.network.join",
            json!({"CODE": "abc"})
        )
        .await),
        (400, "CODE")
    );
    assert_eq!(
        err(&call(
            &w,
            &w.cleo_hook,
            "imopenlines.network.join",
            json!({"CODE": "f".repeat(32)})
        )
        .await),
        (404, "NOT_FOUND")
    );
    assert_eq!(
        err(&call(
            &w,
            &w.anna_hook,
            "imopenlines.network.join",
            json!({"CODE": code})
        )
        .await),
        (400, "WRONG_REQUEST")
    );
    // Only admins join; a disconnected channel is INACTIVE.
    let bob_hook = hook(&w.app, w.bob, "borealis", "imopenlines").await;
    assert_eq!(
        err(&call(&w, &bob_hook, "imopenlines.network.join", json!({"CODE": code})).await),
        (403, "ACCESS_DENIED")
    );
    channels::disconnect(&w.app.state.db, &w.anna, w.channel)
        .await
        .unwrap();
    assert_eq!(
        err(&call(
            &w,
            &w.cleo_hook,
            "imopenlines.network.join",
            json!({"CODE": code})
        )
        .await),
        (400, "INACTIVE")
    );
}

#[both_databases]
async fn network_message_add_delivers_live_through_the_core_with_every_documented_error(b: Backend) {
    let w = world(&b).await;
    let code = w.code.as_str().to_string();
    let add = |body: Value| call(&w, &w.cleo_hook, "imopenlines.network.message.add", body);
    let bob = w.bob.0;
    // Not joined yet.
    assert_eq!(
        err(&add(json!({"CODE": code, "USER_ID": bob, "MESSAGE": "Hi"})).await),
        (400, "WRONG_REQUEST")
    );
    call(
        &w,
        &w.cleo_hook,
        "imopenlines.network.join",
        json!({"CODE": code}),
    )
    .await;
    assert_eq!(
        err(&add(json!({"CODE": code, "MESSAGE": "Hi"})).await),
        (400, "USER_ID_EMPTY"),
        "{b:?}"
    );
    assert_eq!(
        err(&add(json!({"CODE": code, "USER_ID": bob, "MESSAGE": " "})).await),
        (400, "MESSAGE_EMPTY")
    );
    assert_eq!(
        err(&add(json!({"USER_ID": bob, "MESSAGE": "Hi"})).await),
        (400, "CODE")
    );
    let big = "x".repeat(31 * 1024);
    assert_eq!(
        err(&add(json!({"CODE": code, "USER_ID": bob, "MESSAGE": "Hi", "ATTACH": [{"MESSAGE": big}]})).await),
        (400, "ATTACH_OVERSIZE")
    );
    assert_eq!(
        err(&add(json!({"CODE": code, "USER_ID": bob, "MESSAGE": "Hi", "ATTACH": "text"})).await),
        (400, "ATTACH_ERROR")
    );
    assert_eq!(
        err(&add(json!({"CODE": code, "USER_ID": bob, "MESSAGE": "Hi", "KEYBOARD": [{"TEXT": "Go", "LINK": "javascript:alert(1)"}]})).await),
        (400, "KEYBOARD_ERROR")
    );
    assert_eq!(
        err(&add(json!({"CODE": code, "USER_ID": bob, "MESSAGE": "Hi", "ATTACH": [{"LINK": {"NAME": "x", "LINK": "javascript:alert(1)"}}]})).await),
        (400, "ATTACH_ERROR")
    );
    assert_eq!(
        err(&add(json!({"CODE": code, "USER_ID": bob, "MESSAGE": "Hi", "URL_PREVIEW": "maybe"})).await),
        (400, "WRONG_REQUEST")
    );
    // A user of another account is not a recipient.
    assert_eq!(
        err(&add(json!({"CODE": code, "USER_ID": w.anna.user.0, "MESSAGE": "Hi"})).await),
        (400, "WRONG_REQUEST")
    );
    assert!(
        conv::customer_conversations(&w.app.state.db, &w.bob_customer(), &w.code)
            .await
            .unwrap()
            .is_empty()
    );
    // Delivered (form encoding with PHP brackets for the keyboard), live to Bob.
    let mut feed = w.app.state.hub.subscribe(&Topic::Customer {
        user: w.bob,
        account: w.cleo.account,
        channel: w.channel,
    });
    let r = w
        .http
        .post(format!("{}imopenlines.network.message.add", w.cleo_hook))
        .form(&[
            ("CODE", code.as_str()),
            ("USER_ID", &bob.to_string()),
            ("MESSAGE", "Your invoice is ready"),
            ("KEYBOARD[0][TEXT]", "Open"),
            ("KEYBOARD[0][LINK]", "https://acme.test/invoice/7"),
            ("ATTACH[0][MESSAGE]", "Invoice 7/2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["result"], true);
    match feed.recv().await.unwrap() {
        ServerMsg::Conversation { conversation } => assert_eq!(conversation.customer_name, "Bob"),
        other => panic!("{other:?}"),
    }
    let convs = conv::customer_conversations(&w.app.state.db, &w.bob_customer(), &w.code)
        .await
        .unwrap();
    let ms = conv::messages_since(
        &w.app.state.db,
        &app::backend::principal::Viewer::Customer(&w.bob_customer()),
        convs[0].id,
        0,
        10,
    )
    .await
    .unwrap();
    // The text is the MESSAGE; ATTACH and KEYBOARD are kept as blocks and buttons.
    let last = ms.last().unwrap();
    assert_eq!(last.body, "Your invoice is ready");
    let rich = last.rich.clone().expect("rich content kept");
    assert_eq!(
        rich.blocks,
        vec![app::domain::rich::Block::Text {
            text: "Invoice 7/2026".into()
        }]
    );
    assert_eq!(
        rich.buttons,
        vec![app::domain::rich::Button {
            text: "Open".into(),
            url: "https://acme.test/invoice/7".into()
        }]
    );
    // Marked with the account whose app sent it, wherever it is read.
    assert_eq!(rich.via.as_deref(), Some(w.cleo.account_name.as_str()), "{b:?}");
    // REST readers get them back in Bitrix24's shape.
    let (_, got) = call(
        &w,
        &w.olek_hook,
        "im.dialog.messages.get",
        json!({"DIALOG_ID": format!("chat{}", convs[0].id.0)}),
    )
    .await;
    let params = &got["result"]["messages"][0]["params"];
    assert_eq!(params["ATTACH"], json!([{"MESSAGE": "Invoice 7/2026"}]), "{got}");
    assert_eq!(
        params["KEYBOARD"],
        json!([{"TEXT": "Open", "LINK": "https://acme.test/invoice/7"}])
    );
    // One per user per week by default.
    assert_eq!(
        err(&add(json!({"CODE": code, "USER_ID": bob, "MESSAGE": "Again"})).await),
        (400, "USER_MESSAGE_LIMIT")
    );
    // The channel's admin switches such messages off on the settings form: refused.
    let anna = browser();
    w.app.sign_in_cookie(&anna, "anna@acme.test").await;
    let form = reqwest::multipart::Form::new()
        .text("name", "Support")
        .text("description", "")
        .text("welcome_message", "")
        .text("chat_limit", "2")
        .text("rest_messages_shown", "1");
    let r = anna
        .post(w.app.url(&format!(
            "/a/acme/contact-center/network/settings/{}",
            w.channel.0
        )))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(
        location(&r).contains("ok=settings_saved"),
        "{b:?}: {}",
        location(&r)
    );
    let other = w.app.user("dora@borealis.test", "Dora").await;
    accounts::add_member(&w.app.state.db, &w.cleo, "dora@borealis.test", Role::Employee)
        .await
        .unwrap();
    assert_eq!(
        err(&add(json!({"CODE": code, "USER_ID": other.id.0, "MESSAGE": "Hi"})).await),
        (403, "ACCESS_DENIED"),
        "{b:?}"
    );
    // A browser session is not a REST credential for this method.
    let browser_c = browser();
    w.app.sign_in_cookie(&browser_c, "cleo@borealis.test").await;
    let r = browser_c
        .post(w.app.url("/rest/imopenlines.network.message.add"))
        .json(&json!({"CODE": code, "USER_ID": bob, "MESSAGE": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "WRONG_AUTH_TYPE");
}

#[both_databases]
async fn operator_methods_check_rights_like_the_inbox(b: Backend) {
    let w = world(&b).await;
    let c = w.cleo_conversation().await;
    let chat = format!("chat{}", c.0);
    // config.get / list.get: admins all, operators theirs, employees none.
    let (_, v) = call(&w, &w.olek_hook, "imopenlines.config.list.get", json!({})).await;
    assert_eq!(v["total"], 1, "{b:?}: Olek serves one channel");
    assert_eq!(v["result"][0]["QUEUE_TYPE"], "all");
    assert_eq!(v["result"][0]["NETWORK"]["CODE"], w.code.as_str());
    let (s, v) = call(
        &w,
        &w.anna_hook,
        "imopenlines.config.get",
        json!({"CONFIG_ID": w.channel.0}),
    )
    .await;
    assert_eq!(
        (s.as_u16(), v["result"]["LINE_NAME"].as_str()),
        (200, Some("Support"))
    );
    assert_eq!(
        err(&call(&w, &w.anna_hook, "imopenlines.config.get", json!({})).await),
        (400, "CONFIG_ID_EMPTY")
    );
    assert_eq!(
        err(&call(&w, &w.emil_hook, "imopenlines.config.list.get", json!({})).await),
        (403, "ACCESS_DENIED")
    );
    // dialog.get and messages.get, by CHAT_ID and DIALOG_ID.
    let (_, d) = call(
        &w,
        &w.olek_hook,
        "imopenlines.dialog.get",
        json!({"CHAT_ID": c.0}),
    )
    .await;
    assert_eq!(
        (d["result"]["status"].as_str(), d["result"]["name"].as_str()),
        (Some("new"), Some("Cleo"))
    );
    assert_eq!(
        err(&call(&w, &w.olek_hook, "imopenlines.dialog.get", json!({})).await),
        (400, "CHAT_ID_EMPTY")
    );
    // im.message.add as the operator, then as the customer.
    let (s, m1) = call(
        &w,
        &w.olek_hook,
        "im.message.add",
        json!({"DIALOG_ID": chat, "MESSAGE": "Sending it now"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = call(
        &w,
        &w.cleo_hook,
        "im.message.add",
        json!({"DIALOG_ID": chat, "MESSAGE": "Thanks!"}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, d) = call(
        &w,
        &w.cleo_hook,
        "imopenlines.dialog.get",
        json!({"DIALOG_ID": chat}),
    )
    .await;
    assert_eq!(
        (
            d["result"]["status"].as_str(),
            d["result"]["operator_id"].as_i64()
        ),
        (Some("answered"), Some(w.olek.user.0))
    );
    let (_, all) = call(
        &w,
        &w.olek_hook,
        "im.dialog.messages.get",
        json!({"DIALOG_ID": chat}),
    )
    .await;
    let ids: Vec<i64> = all["result"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 4, "welcome, question, answer, thanks: {all}");
    assert!(ids.windows(2).all(|p| p[0] > p[1]), "newest first");
    assert_eq!(ids[1], m1["result"].as_i64().unwrap());
    let (_, older) = call(
        &w,
        &w.olek_hook,
        "im.dialog.messages.get",
        json!({"DIALOG_ID": chat, "LAST_ID": ids[1], "LIMIT": 500}),
    )
    .await;
    assert_eq!(older["result"]["messages"].as_array().unwrap().len(), 2);
    let (_, newer) = call(
        &w,
        &w.olek_hook,
        "im.dialog.messages.get",
        json!({"DIALOG_ID": chat, "FIRST_ID": ids[2], "LIMIT": 1}),
    )
    .await;
    assert_eq!(newer["result"]["messages"][0]["id"].as_i64(), Some(ids[1]));
    // Start a new conversation from the customer's message (limit 2: one more allowed).
    let question = ids[2];
    let (s, v) = call(
        &w,
        &w.olek_hook,
        "imopenlines.message.session.start",
        json!({"CHAT_ID": c.0, "MESSAGE_ID": question}),
    )
    .await;
    assert_eq!((s.as_u16(), &v["result"]), (200, &json!(true)), "{v}");
    let (_, v) = call(
        &w,
        &w.olek_hook,
        "imopenlines.message.session.start",
        json!({"CHAT_ID": c.0, "MESSAGE_ID": ids[0]}),
    )
    .await;
    assert_eq!(v["error"], "CONVERSATION_LIMIT", "the limit of 2 is reached: {v}");
    assert_eq!(
        err(&call(
            &w,
            &w.olek_hook,
            "imopenlines.message.session.start",
            json!({"CHAT_ID": c.0})
        )
        .await),
        (400, "MESSAGE_ID_EMPTY")
    );
    // Finish.
    let (s, _) = call(
        &w,
        &w.olek_hook,
        "imopenlines.operator.finish",
        json!({"CHAT_ID": c.0}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, d) = call(
        &w,
        &w.olek_hook,
        "imopenlines.dialog.get",
        json!({"CHAT_ID": c.0}),
    )
    .await;
    assert_eq!(d["result"]["status"], "closed");
    // The employee of Acme and Bob of Borealis see nothing of it.
    let bob_hook = hook(&w.app, w.bob, "borealis", "imopenlines,im").await;
    for hook in [&w.emil_hook, &bob_hook] {
        assert_eq!(
            err(&call(&w, hook, "imopenlines.dialog.get", json!({"CHAT_ID": c.0})).await).1,
            "NOT_FOUND"
        );
        assert_eq!(
            err(&call(&w, hook, "im.dialog.messages.get", json!({"DIALOG_ID": chat})).await).1,
            "NOT_FOUND"
        );
    }
}

#[both_databases]
async fn a_webhook_of_one_account_cannot_read_or_write_anything_of_another(b: Backend) {
    let w = world(&b).await;
    let c = w.cleo_conversation().await;
    let chat = format!("chat{}", c.0);
    let db = &w.app.state.db;
    let before = conv::messages_since(db, &app::backend::principal::Viewer::Operator(&w.anna), c, 0, 100)
        .await
        .unwrap()
        .len();
    let (_, list) = call(&w, &w.zed_hook, "imopenlines.config.list.get", json!({})).await;
    assert_eq!(list["total"], 0, "{b:?}");
    let attempts = [
        ("imopenlines.config.get", json!({"CONFIG_ID": w.channel.0})),
        ("imopenlines.dialog.get", json!({"CHAT_ID": c.0})),
        ("im.dialog.messages.get", json!({"DIALOG_ID": chat})),
        (
            "im.message.add",
            json!({"DIALOG_ID": chat, "MESSAGE": "intrusion"}),
        ),
        ("imopenlines.operator.finish", json!({"CHAT_ID": c.0})),
        ("imopenlines.operator.skip", json!({"CHAT_ID": c.0})),
        ("imopenlines.operator.answer", json!({"CHAT_ID": c.0})),
        (
            "imopenlines.operator.transfer",
            json!({"CHAT_ID": c.0, "TRANSFER_ID": w.olek.user.0}),
        ),
        (
            "imopenlines.message.session.start",
            json!({"CHAT_ID": c.0, "MESSAGE_ID": 1}),
        ),
    ];
    for (method, body) in attempts {
        let r = call(&w, &w.zed_hook, method, body).await;
        assert!(
            matches!(err(&r), (404, "NOT_FOUND") | (403, "ACCESS_DENIED")),
            "{method}: {:?}",
            r.1
        );
    }
    // A webhook with the other account's user id in the path does not authenticate.
    let forged = w.zed_hook.replacen("/rest/", "/rest/1", 1);
    assert_eq!(
        call(&w, &forged, "imopenlines.config.list.get", json!({}))
            .await
            .0,
        401
    );
    // Nothing changed.
    let after = conv::messages_since(db, &app::backend::principal::Viewer::Operator(&w.anna), c, 0, 100)
        .await
        .unwrap();
    assert_eq!(after.len(), before);
    let (_, d) = call(
        &w,
        &w.anna_hook,
        "imopenlines.dialog.get",
        json!({"CHAT_ID": c.0}),
    )
    .await;
    assert_eq!(d["result"]["status"], "new");
    assert_eq!(
        conv::customer_conversations(
            db,
            &conv::customer(
                db,
                &app::api::SessionUser {
                    id: w.cleo.user,
                    email: String::new(),
                    name: "Cleo".into(),
                    time_zone: None,
                },
                "borealis"
            )
            .await
            .unwrap(),
            &w.code
        )
        .await
        .unwrap()
        .len(),
        1
    );
}

#[both_databases]
async fn batch_runs_up_to_fifty_commands_keyed_like_bitrix24_and_halts_on_request(b: Backend) {
    let w = world(&b).await;
    let code = w.code.as_str();
    let r = w
        .http
        .post(format!("{}batch", w.cleo_hook))
        .form(&[
            ("halt", "0"),
            ("cmd[join]", &format!("imopenlines.network.join?CODE={code}")),
            ("cmd[lines]", "imopenlines.config.list.get"),
            ("cmd[bad]", "imopenlines.network.join?CODE=short"),
            ("cmd[again]", &format!("imopenlines.network.join?CODE={code}")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{b:?}");
    let v: Value = r.json().await.unwrap();
    let res = &v["result"];
    assert!(res["result"]["join"].is_i64(), "{v}");
    assert_eq!(res["result"]["join"], res["result"]["again"]);
    assert_eq!(
        res["result_total"]["lines"], 0,
        "Borealis has no channels of its own"
    );
    assert_eq!(res["result_error"]["bad"]["error"], "CODE");
    assert!(res["result_time"]["join"]["duration"].is_number());
    // halt=1 stops at the first error; a list of commands answers with lists.
    let (_, v) = call(
        &w,
        &w.cleo_hook,
        "batch",
        json!({"halt": 1, "cmd": ["imopenlines.network.join?CODE=short", "imopenlines.config.list.get"]}),
    )
    .await;
    assert_eq!(v["result"]["result_error"][0]["error"], "CODE");
    assert_eq!(
        v["result"]["result"],
        json!([]),
        "nothing ran after the error (an empty list, as PHP's JSON writes it): {v}"
    );
    // Nested batch and more than 50 commands are refused.
    let (_, v) = call(
        &w,
        &w.cleo_hook,
        "batch",
        json!({"cmd": {"x": "batch?cmd[y]=imopenlines.config.list.get"}}),
    )
    .await;
    assert_eq!(
        v["result"]["result_error"]["x"]["error"],
        "ERROR_BATCH_METHOD_NOT_ALLOWED"
    );
    let many: serde_json::Map<String, Value> = (0..51)
        .map(|i| (format!("c{i}"), json!("imopenlines.config.list.get")))
        .collect();
    assert_eq!(
        err(&call(&w, &w.cleo_hook, "batch", json!({"cmd": many})).await),
        (400, "ERROR_BATCH_LENGTH_EXCEEDED")
    );
    assert_eq!(
        err(&call(&w, &w.cleo_hook, "batch", json!({})).await),
        (400, "ERROR_BATCH_EMPTY")
    );
}

#[both_databases]
async fn the_leaky_bucket_refuses_a_burst_with_query_limit_exceeded_per_caller(b: Backend) {
    let w = world_with(
        &b,
        Some(RestLimits {
            rate_per_sec: 0.5,
            burst: 3,
            ..Default::default()
        }),
    )
    .await;
    for i in 0..3 {
        let r = call(&w, &w.anna_hook, "imopenlines.config.list.get", json!({})).await;
        assert_eq!(r.0, 200, "{b:?}: call {i}");
    }
    assert_eq!(
        err(&call(&w, &w.anna_hook, "imopenlines.config.list.get", json!({})).await),
        (503, "QUERY_LIMIT_EXCEEDED")
    );
    // A second webhook of hers is not a second bucket.
    let second = hook(&w.app, w.anna.user, "acme", "imopenlines").await;
    assert_eq!(
        err(&call(&w, &second, "imopenlines.config.list.get", json!({})).await),
        (503, "QUERY_LIMIT_EXCEEDED"),
        "{b:?}"
    );
    // Another caller has a bucket of their own; a batch counts as one request.
    let (s, v) = call(&w, &w.olek_hook, "batch", json!({"cmd": {"a": "imopenlines.config.list.get", "b": "imopenlines.config.list.get", "c": "imopenlines.config.list.get", "d": "imopenlines.config.list.get"}})).await;
    assert_eq!(s, 200);
    assert_eq!(v["result"]["result_total"]["d"], 1);
    // Drained at 0.5/s: one more fits after two seconds.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        call(&w, &w.anna_hook, "imopenlines.config.list.get", json!({}))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn the_openapi_document_lists_every_method() {
    let app = spawn(&Backend::Sqlite).await;
    let v: Value = reqwest::get(app.url("/rest/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["openapi"], "3.0.3");
    for m in [
        "imopenlines.network.join",
        "imopenlines.network.message.add",
        "imopenlines.config.get",
        "imopenlines.config.list.get",
        "imopenlines.dialog.get",
        "imopenlines.operator.finish",
        "imopenlines.operator.skip",
        "imopenlines.operator.answer",
        "imopenlines.operator.transfer",
        "imopenlines.config.add",
        "imopenlines.config.update",
        "imopenlines.config.delete",
        "imopenlines.message.session.start",
        "imopenlines.session.open",
        "event.bind",
        "event.unbind",
        "event.get",
        "im.dialog.messages.get",
        "im.message.add",
        "im.dialog.read",
        "im.dialog.writing",
        "im.disk.folder.get",
        "disk.folder.uploadfile",
        "im.disk.file.commit",
        "batch",
    ] {
        let path = format!("/rest/{{user_id}}/{{webhook_code}}/{m}");
        assert!(v["paths"][&path]["post"]["responses"]["200"].is_object(), "{m}");
    }
    let add = &v["paths"]["/rest/{user_id}/{webhook_code}/imopenlines.network.message.add"]["post"];
    let required = &add["requestBody"]["content"]["application/json"]["schema"]["required"];
    assert_eq!(required, &json!(["CODE", "USER_ID", "MESSAGE"]));
    for p in [
        "/rest/download/{id}",
        "/rest/{user_id}/{webhook_code}/download/{id}",
    ] {
        assert!(v["paths"][p]["get"]["responses"]["404"].is_object(), "{p}");
    }
    // The OAuth endpoints of apps.
    assert!(v["paths"]["/oauth/authorize/"]["get"].is_object());
    for verb in ["get", "post"] {
        let op = &v["paths"]["/oauth/token/"][verb];
        assert!(
            op["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["refresh_token"]
                .is_object()
        );
        assert!(op["responses"]["401"].is_object(), "invalid_client");
    }
}

#[both_databases]
async fn a_method_past_its_operating_time_answers_operation_time_limit(b: Backend) {
    let w = world_with(
        &b,
        Some(RestLimits {
            operating_limit_secs: 0.0,
            ..Default::default()
        }),
    )
    .await;
    // The first call spends a little time; the envelope reports it.
    let (s, v) = call(&w, &w.anna_hook, "imopenlines.config.list.get", json!({})).await;
    assert_eq!(s, 200, "{b:?}");
    assert!(v["time"]["operating"].as_f64().unwrap() > 0.0, "{v}");
    let reset = v["time"]["operating_reset_at"].as_f64().unwrap() - v["time"]["start"].as_f64().unwrap();
    assert!((590.0..=601.0).contains(&reset), "{reset}");
    // Over budget now, for this method and this caller only.
    assert_eq!(
        err(&call(&w, &w.anna_hook, "imopenlines.config.list.get", json!({})).await),
        (429, "OPERATION_TIME_LIMIT")
    );
    assert_eq!(
        call(
            &w,
            &w.anna_hook,
            "imopenlines.config.get",
            json!({"CONFIG_ID": w.channel.0})
        )
        .await
        .0,
        200
    );
    assert_eq!(
        call(&w, &w.olek_hook, "imopenlines.config.list.get", json!({}))
            .await
            .0,
        200
    );
}

#[both_databases]
async fn an_operator_skips_their_conversation_through_rest_and_nobody_else_can(b: Backend) {
    let w = world(&b).await;
    let c = w.cleo_conversation().await;
    let chat = format!("chat{}", c.0);
    // Waiting, nobody has it: nothing to skip.
    assert_eq!(
        err(&call(
            &w,
            &w.olek_hook,
            "imopenlines.operator.skip",
            json!({"CHAT_ID": c.0})
        )
        .await),
        (400, "NOT_ASSIGNED"),
        "{b:?}"
    );
    // Olek answers (and so takes it), then gives it back.
    let (s, _) = call(
        &w,
        &w.olek_hook,
        "im.message.add",
        json!({"DIALOG_ID": chat, "MESSAGE": "Olek here"}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, d) = call(
        &w,
        &w.anna_hook,
        "imopenlines.dialog.get",
        json!({"CHAT_ID": c.0}),
    )
    .await;
    assert_eq!(d["result"]["operator_id"], json!(w.olek.user.0));
    // The admin cannot skip it for him; the customer's and outsiders' hooks see nothing.
    assert_eq!(
        err(&call(
            &w,
            &w.anna_hook,
            "imopenlines.operator.skip",
            json!({"CHAT_ID": c.0})
        )
        .await),
        (400, "NOT_ASSIGNED")
    );
    for hook in [&w.cleo_hook, &w.zed_hook, &w.emil_hook] {
        let r = call(&w, hook, "imopenlines.operator.skip", json!({"CHAT_ID": c.0})).await;
        assert!(
            matches!(err(&r), (404, "NOT_FOUND") | (403, "ACCESS_DENIED")),
            "{:?}",
            r.1
        );
    }
    let (s, v) = call(
        &w,
        &w.olek_hook,
        "imopenlines.operator.skip",
        json!({"DIALOG_ID": chat}),
    )
    .await;
    assert_eq!((s.as_u16(), &v["result"]), (200, &json!(true)), "{v}");
    let (_, d) = call(
        &w,
        &w.anna_hook,
        "imopenlines.dialog.get",
        json!({"CHAT_ID": c.0}),
    )
    .await;
    assert_eq!(d["result"]["operator_id"], Value::Null, "back in the queue");
    assert_eq!(d["result"]["status"], "answered", "still open, answered");
    assert_eq!(
        err(&call(&w, &w.olek_hook, "imopenlines.operator.skip", json!({})).await).0,
        400
    );
}

#[both_databases]
async fn operators_answer_and_transfer_through_rest_with_the_inbox_rules(b: Backend) {
    let w = world(&b).await;
    let c = w.cleo_conversation().await;
    let get = || async {
        call(
            &w,
            &w.anna_hook,
            "imopenlines.dialog.get",
            json!({"CHAT_ID": c.0}),
        )
        .await
        .1["result"]
            .clone()
    };
    // Nobody outside the queue takes it: not the admin, not an employee or outsider.
    assert_eq!(
        err(&call(
            &w,
            &w.anna_hook,
            "imopenlines.operator.answer",
            json!({"CHAT_ID": c.0})
        )
        .await),
        (400, "NOT_IN_QUEUE"),
        "{b:?}"
    );
    for hook in [&w.cleo_hook, &w.zed_hook, &w.emil_hook] {
        let r = call(&w, hook, "imopenlines.operator.answer", json!({"CHAT_ID": c.0})).await;
        assert!(
            matches!(err(&r), (404, "NOT_FOUND") | (403, "ACCESS_DENIED")),
            "{:?}",
            r.1
        );
    }
    assert_eq!(get().await["operator_id"], Value::Null);
    // Olek answers: it is his, without a message; again: no change.
    for _ in 0..2 {
        let (s, v) = call(
            &w,
            &w.olek_hook,
            "imopenlines.operator.answer",
            json!({"DIALOG_ID": format!("chat{}", c.0)}),
        )
        .await;
        assert_eq!((s.as_u16(), &v["result"]), (200, &json!(true)), "{v}");
    }
    assert_eq!(get().await["operator_id"], json!(w.olek.user.0));
    // Transfer: to someone outside the queue refused; a queue line (queueN) refused;
    // the admin joins the queue and receives it.
    assert_eq!(
        err(&call(
            &w,
            &w.olek_hook,
            "imopenlines.operator.transfer",
            json!({"CHAT_ID": c.0, "TRANSFER_ID": w.anna.user.0})
        )
        .await),
        (400, "NOT_IN_QUEUE")
    );
    assert_eq!(
        err(&call(
            &w,
            &w.olek_hook,
            "imopenlines.operator.transfer",
            json!({"CHAT_ID": c.0, "TRANSFER_ID": "queue3"})
        )
        .await),
        (400, "WRONG_TRANSFER_ID")
    );
    assert_eq!(
        err(&call(
            &w,
            &w.olek_hook,
            "imopenlines.operator.transfer",
            json!({"CHAT_ID": c.0})
        )
        .await),
        (400, "TRANSFER_ID_EMPTY")
    );
    channels::set_operators(
        &w.app.state.db,
        w.app.state.hub.as_ref(),
        &w.anna,
        w.channel,
        &[w.olek.user, w.anna.user],
    )
    .await
    .unwrap();
    let (s, v) = call(
        &w,
        &w.olek_hook,
        "imopenlines.operator.transfer",
        json!({"CHAT_ID": c.0, "TRANSFER_ID": w.anna.user.0}),
    )
    .await;
    assert_eq!((s.as_u16(), &v["result"]), (200, &json!(true)), "{v}");
    assert_eq!(get().await["operator_id"], json!(w.anna.user.0));
    // Now Anna's: Olek can no longer answer it.
    assert_eq!(
        err(&call(
            &w,
            &w.olek_hook,
            "imopenlines.operator.answer",
            json!({"CHAT_ID": c.0})
        )
        .await),
        (400, "CONVERSATION_TAKEN")
    );
}

#[both_databases]
async fn admins_add_update_and_delete_open_channels_through_rest_and_nothing_half_changes(b: Backend) {
    let w = world(&b).await;
    let get = |id: i64| {
        let w = &w;
        async move {
            call(
                w,
                &w.anna_hook,
                "imopenlines.config.get",
                json!({"CONFIG_ID": id}),
            )
            .await
            .1["result"]
                .clone()
        }
    };
    // Added with Bitrix24's names: queue, mode, capacity, time to take, welcome.
    let (s, v) = call(
        &w,
        &w.anna_hook,
        "imopenlines.config.add",
        json!({"PARAMS": {
            "LINE_NAME": "Returns",
            "QUEUE": [{"ENTITY_TYPE": "user", "ENTITY_ID": w.olek.user.0}],
            "QUEUE_TYPE": "strictly",
            "MAX_CHAT": "3",
            "QUEUE_TIME": 30,
            "NETWORK": "Y",
            "WELCOME_MESSAGE_TEXT": "Hello from returns",
            "WORKTIME_ENABLE": "N"
        }}),
    )
    .await;
    assert_eq!(s.as_u16(), 200, "{b:?} {v}");
    let id = v["result"].as_i64().expect("the new channel's id");
    let c = get(id).await;
    assert_eq!(c["LINE_NAME"], "Returns");
    assert_eq!(c["QUEUE_TYPE"], "strictly");
    assert_eq!(c["MAX_CHAT"], 3);
    assert_eq!(c["QUEUE_TIME"], 30);
    assert_eq!(c["ACTIVE"], "Y");
    assert_eq!(
        c["QUEUE"],
        json!([{"ENTITY_TYPE": "user", "ENTITY_ID": w.olek.user.0}])
    );
    assert_eq!(c["NETWORK"]["CONNECTED"], "Y");
    let code = ChannelCode::parse(c["NETWORK"]["CODE"].as_str().unwrap()).unwrap();
    let card = channels::card(&w.app.state.db, &code).await.unwrap();
    assert_eq!(card.welcome, "Hello from returns");
    // Form-encoded, as the PHP and Python SDKs send it; MAX_CHAT 0 is "no limit".
    let r = w
        .http
        .post(format!("{}imopenlines.config.update", w.anna_hook))
        .form(&[
            ("CONFIG_ID", id.to_string()),
            ("PARAMS[QUEUE_TYPE]", "evenly".into()),
            ("PARAMS[MAX_CHAT]", "0".into()),
            ("PARAMS[QUEUE][0][ENTITY_TYPE]", "user".into()),
            ("PARAMS[QUEUE][0][ENTITY_ID]", w.anna.user.0.to_string()),
            ("PARAMS[QUEUE][1][ENTITY_TYPE]", "user".into()),
            ("PARAMS[QUEUE][1][ENTITY_ID]", w.olek.user.0.to_string()),
            ("PARAMS[ACTIVE]", "N".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let c = get(id).await;
    assert_eq!(
        (
            c["QUEUE_TYPE"].as_str(),
            c["MAX_CHAT"].as_i64(),
            c["ACTIVE"].as_str()
        ),
        (Some("evenly"), Some(500), Some("N"))
    );
    assert_eq!(
        c["QUEUE"],
        json!([
            {"ENTITY_TYPE": "user", "ENTITY_ID": w.anna.user.0},
            {"ENTITY_TYPE": "user", "ENTITY_ID": w.olek.user.0}
        ])
    );
    // Wrong values: refused with the field and reason, and nothing of the call
    // changed (the good LINE_NAME beside a bad part is not stored either).
    for (params, code) in [
        (json!({"LINE_NAME": "x".repeat(65)}), "TOO_LONG"),
        (json!({"LINE_NAME": ""}), "REQUIRED"),
        (
            json!({"LINE_NAME": "New", "QUEUE_TYPE": "random"}),
            "DISTRIBUTION_UNKNOWN",
        ),
        (json!({"LINE_NAME": "New", "MAX_CHAT": 501}), "CAPACITY_RANGE"),
        (json!({"LINE_NAME": "New", "MAX_CHAT": "many"}), "NOT_A_NUMBER"),
        (json!({"LINE_NAME": "New", "QUEUE_TIME": 5}), "TAKE_TIME_RANGE"),
        (json!({"LINE_NAME": "New", "ACTIVE": "maybe"}), "WRONG_REQUEST"),
        (
            json!({"LINE_NAME": "New", "QUEUE": [{"ENTITY_TYPE": "department", "ENTITY_ID": 1}]}),
            "WRONG_REQUEST",
        ),
        // Someone of another account is not a member: unknown.
        (
            json!({"LINE_NAME": "New", "QUEUE": [w.olek.user.0, w.cleo.user.0]}),
            "USER_UNKNOWN",
        ),
        (
            json!({"LINE_NAME": "New", "WELCOME_MESSAGE_TEXT": "x".repeat(1001)}),
            "TOO_LONG",
        ),
    ] {
        let r = call(
            &w,
            &w.anna_hook,
            "imopenlines.config.update",
            json!({"CONFIG_ID": id, "PARAMS": params}),
        )
        .await;
        assert_eq!(err(&r), (400, code), "{params} {}", r.1);
    }
    let unchanged = get(id).await;
    assert_eq!(unchanged, c, "{b:?}");
    assert_eq!(
        err(&call(
            &w,
            &w.anna_hook,
            "imopenlines.config.update",
            json!({"PARAMS": {}})
        )
        .await),
        (400, "CONFIG_ID_EMPTY")
    );
    // The welcome message belongs to the Network channel: a plain channel refuses it,
    // and the channel that was half-made is not left behind.
    let before = call(&w, &w.anna_hook, "imopenlines.config.list.get", json!({}))
        .await
        .1["total"]
        .clone();
    assert_eq!(
        err(&call(
            &w,
            &w.anna_hook,
            "imopenlines.config.add",
            json!({"PARAMS": {"LINE_NAME": "Plain", "WELCOME_MESSAGE_TEXT": "Hi"}})
        )
        .await),
        (400, "NETWORK_REQUIRED")
    );
    let after = call(&w, &w.anna_hook, "imopenlines.config.list.get", json!({}))
        .await
        .1["total"]
        .clone();
    assert_eq!(before, after);
    // Operators, employees and other accounts change nothing.
    for hook in [&w.olek_hook, &w.emil_hook] {
        for (m, body) in [
            ("imopenlines.config.add", json!({"PARAMS": {"LINE_NAME": "Mine"}})),
            (
                "imopenlines.config.update",
                json!({"CONFIG_ID": id, "PARAMS": {"ACTIVE": "Y"}}),
            ),
            ("imopenlines.config.delete", json!({"CONFIG_ID": id})),
        ] {
            assert_eq!(err(&call(&w, hook, m, body).await), (403, "ACCESS_DENIED"), "{m}");
        }
    }
    for (m, body) in [
        (
            "imopenlines.config.update",
            json!({"CONFIG_ID": id, "PARAMS": {"ACTIVE": "Y"}}),
        ),
        ("imopenlines.config.delete", json!({"CONFIG_ID": id})),
    ] {
        assert_eq!(
            err(&call(&w, &w.cleo_hook, m, body).await),
            (404, "NOT_FOUND"),
            "{m}"
        );
    }
    assert_eq!(get(id).await, c);
    // A channel with conversations is never deleted (switch it off instead); an
    // unused one is, with its queue and Network connector.
    w.cleo_conversation().await;
    assert_eq!(
        err(&call(
            &w,
            &w.anna_hook,
            "imopenlines.config.delete",
            json!({"CONFIG_ID": w.channel.0})
        )
        .await),
        (400, "CHANNEL_IN_USE")
    );
    let (s, v) = call(
        &w,
        &w.anna_hook,
        "imopenlines.config.delete",
        json!({"CONFIG_ID": id}),
    )
    .await;
    assert_eq!((s.as_u16(), &v["result"]), (200, &json!(true)), "{v}");
    assert_eq!(
        err(&call(
            &w,
            &w.anna_hook,
            "imopenlines.config.get",
            json!({"CONFIG_ID": id})
        )
        .await),
        (404, "NOT_FOUND")
    );
    assert!(channels::card(&w.app.state.db, &code).await.is_err());
    assert_eq!(
        err(&call(
            &w,
            &w.anna_hook,
            "imopenlines.config.delete",
            json!({"CONFIG_ID": id})
        )
        .await),
        (404, "NOT_FOUND")
    );
    // At most MAX_CHANNELS channels per account, through REST as through the form.
    let total = call(&w, &w.anna_hook, "imopenlines.config.list.get", json!({}))
        .await
        .1["total"]
        .as_u64()
        .unwrap();
    for n in total..channels::MAX_CHANNELS {
        let name = app::domain::channel::ChannelName::parse(&format!("Line {n}")).unwrap();
        channels::create_channel(&w.app.state.db, &w.anna, &name)
            .await
            .unwrap();
    }
    let r = call(
        &w,
        &w.anna_hook,
        "imopenlines.config.add",
        json!({"PARAMS": {"LINE_NAME": "One more"}}),
    )
    .await;
    assert_eq!(err(&r), (400, "CHANNEL_LIMIT"), "{}", r.1);
    let page = call(
        &w,
        &w.anna_hook,
        "imopenlines.config.list.get",
        json!({"start": 150}),
    )
    .await
    .1;
    assert_eq!(
        (page["total"].as_u64(), page["result"].as_array().map(Vec::len)),
        (Some(200), Some(50))
    );
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn small_png() -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(40, 30, image::Rgba([41, 82, 204, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A webhook's download URL of file `id` (`base` ends in `/`).
fn download_url(base: &str, id: i64) -> String {
    format!("{base}download/{id}")
}

#[both_databases]
async fn files_go_through_rest_the_bitrix24_way_and_only_readers_download_them(b: Backend) {
    let w = world(&b).await;
    let c = w.cleo_conversation().await;
    let chat = format!("chat{}", c.0);
    // The conversation's folder: for those who may read it, nobody else.
    let (s, f) = call(&w, &w.olek_hook, "im.disk.folder.get", json!({"CHAT_ID": c.0})).await;
    assert_eq!(
        (s.as_u16(), f["result"]["ID"].as_i64()),
        (200, Some(c.0)),
        "{b:?}: {f}"
    );
    let folder = c.0;
    for hook in [&w.emil_hook, &w.zed_hook] {
        assert_eq!(
            err(&call(&w, hook, "im.disk.folder.get", json!({"CHAT_ID": c.0})).await),
            (404, "NOT_FOUND")
        );
        assert_eq!(
            err(&call(
                &w,
                hook,
                "disk.folder.uploadfile",
                json!({"id": folder, "fileContent": ["a.txt", b64(b"hello")]})
            )
            .await),
            (404, "NOT_FOUND"),
            "no upload into a conversation one cannot read"
        );
    }
    // The operator uploads a PDF (JSON) and a picture (form, PHP brackets).
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let (s, u1) = call(
        &w,
        &w.olek_hook,
        "disk.folder.uploadfile",
        json!({"id": folder, "data": {"NAME": "invoice-7.pdf"}, "fileContent": ["x.bin", b64(&pdf)]}),
    )
    .await;
    assert_eq!(s, 200, "{u1}");
    assert_eq!(u1["result"]["NAME"], "invoice-7.pdf");
    assert_eq!(u1["result"]["SIZE"], pdf.len());
    let u1 = u1["result"]["ID"].as_i64().unwrap();
    let png = small_png();
    let r = w
        .http
        .post(format!("{}disk.folder.uploadfile", w.olek_hook))
        .form(&[
            ("id", folder.to_string()),
            ("fileContent[0]", "photo.png".to_string()),
            ("fileContent[1]", b64(&png)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let u2 = r.json::<Value>().await.unwrap()["result"]["ID"].as_i64().unwrap();
    // With an access token in the query string (checked before the body is read).
    let (_, olek_token) = credentials::issue_token(&w.app.state.db, w.olek.user, "acme", &["im".into()])
        .await
        .unwrap();
    let (s, by_token) = call(
        &w,
        &w.app
            .url(&format!("/rest/disk.folder.uploadfile?auth={olek_token}&x=")),
        "",
        json!({"id": folder, "fileContent": ["note.txt", b64(b"token upload")]}),
    )
    .await;
    assert_eq!(s, 200, "{by_token}");
    assert_eq!(by_token["result"]["CREATED_BY"], w.olek.user.0);
    // Bad files: clear errors, nothing stored.
    for (body, code) in [
        (json!({"id": folder}), "ERROR_ARGUMENT"),
        (
            json!({"id": folder, "fileContent": ["a.txt", "not base64!"]}),
            "ERROR_ARGUMENT",
        ),
        (
            json!({"id": folder, "fileContent": ["a.exe", b64(b"MZ\x90\x00\x03\x00\x00\x00")]}),
            "FILE_TYPE",
        ),
        (
            json!({"id": folder, "fileContent": ["big.txt", b64(&vec![b'a'; 300 * 1024])]}),
            "FILE_TOO_LARGE",
        ),
        (json!({"fileContent": ["a.txt", b64(b"hi")]}), "ERROR_ARGUMENT"),
    ] {
        let v = call(&w, &w.olek_hook, "disk.folder.uploadfile", body).await;
        assert_eq!(err(&v), (400, code), "{v:?}");
    }
    let only_lines = hook(&w.app, w.olek.user, "acme", "imopenlines").await;
    assert_eq!(
        err(&call(
            &w,
            &only_lines,
            "disk.folder.uploadfile",
            json!({"id": folder, "fileContent": ["a.txt", b64(b"hi")]})
        )
        .await),
        (403, "insufficient_scope")
    );
    // Others cannot send the operator's uploads.
    for hook in [&w.cleo_hook, &w.emil_hook, &w.anna_hook] {
        assert_eq!(
            err(&call(
                &w,
                hook,
                "im.disk.file.commit",
                json!({"CHAT_ID": c.0, "UPLOAD_ID": [u1]})
            )
            .await),
            (404, "NOT_FOUND")
        );
    }
    assert_eq!(
        err(&call(&w, &w.olek_hook, "im.disk.file.commit", json!({"CHAT_ID": c.0})).await),
        (400, "ERROR_ARGUMENT")
    );
    // Sent as one message; a repeated commit answers with the same message.
    let (s, sent) = call(
        &w,
        &w.olek_hook,
        "im.disk.file.commit",
        json!({"DIALOG_ID": chat, "UPLOAD_ID": [u1, u2], "MESSAGE": "Your invoice and the photo"}),
    )
    .await;
    assert_eq!(s, 200, "{sent}");
    let mid = sent["result"]["MESSAGE_ID"].as_i64().unwrap();
    let files: Vec<i64> = sent["result"]["FILE_ID"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(files.len(), 2);
    assert_eq!(sent["result"]["FILES"][format!("upload{u1}")]["id"], files[0]);
    for again in [json!([u1, u2]), json!(u1), json!(u2.to_string())] {
        let (_, v) = call(
            &w,
            &w.olek_hook,
            "im.disk.file.commit",
            json!({"CHAT_ID": c.0, "UPLOAD_ID": again}),
        )
        .await;
        assert_eq!(v["result"]["MESSAGE_ID"].as_i64(), Some(mid), "{v}");
    }
    let (_, u3) = call(
        &w,
        &w.olek_hook,
        "disk.folder.uploadfile",
        json!({"id": folder, "fileContent": ["more.txt", b64(b"more")]}),
    )
    .await;
    let u3 = u3["result"]["ID"].as_i64().unwrap();
    assert_eq!(
        err(&call(
            &w,
            &w.olek_hook,
            "im.disk.file.commit",
            json!({"CHAT_ID": c.0, "UPLOAD_ID": [u1, u3]})
        )
        .await),
        (400, "ERROR_ARGUMENT"),
        "an upload already sent does not go out twice"
    );
    // The customer reads it through im.dialog.messages.get, Bitrix24's shape.
    let (_, got) = call(
        &w,
        &w.cleo_hook,
        "im.dialog.messages.get",
        json!({"DIALOG_ID": chat}),
    )
    .await;
    let newest = &got["result"]["messages"][0];
    assert_eq!(newest["id"].as_i64(), Some(mid), "{got}");
    assert_eq!(newest["text"], "Your invoice and the photo");
    assert_eq!(newest["params"]["FILE_ID"], json!(files));
    let listed = got["result"]["files"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (
            listed[0]["name"].as_str(),
            listed[0]["type"].as_str(),
            listed[0]["extension"].as_str()
        ),
        (Some("invoice-7.pdf"), Some("file"), Some("pdf"))
    );
    assert_eq!(listed[1]["type"], "image");
    assert_eq!(listed[1]["image"], json!({"width": 40, "height": 30}));
    assert_eq!(listed[0]["urlShow"], format!("/files/{}", files[0]));
    // Downloads with the REST credential: the customer's webhook and token.
    let r = w
        .http
        .get(download_url(&w.cleo_hook, files[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().as_ref(), pdf.as_slice());
    let (_, token) = credentials::issue_token(&w.app.state.db, w.cleo.user, "borealis", &["im".into()])
        .await
        .unwrap();
    let r = w
        .http
        .get(
            w.app
                .url(&format!("/rest/download/{}?auth={token}&thumb=1", files[1])),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let r = w
        .http
        .get(w.app.url(&format!("/rest/download/{}", files[0])))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Everyone else: 404 (or no credential: 401), in Bitrix24's error shape.
    for url in [
        download_url(&w.zed_hook, files[0]),
        download_url(&w.emil_hook, files[0]),
        download_url(&w.cleo_hook, files[0] + 1000),
        download_url(&w.cleo_hook, 0),
    ] {
        let r = w.http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 404, "{url}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "NOT_FOUND");
    }
    let r = w
        .http
        .get(w.app.url(&format!("/rest/download/{}", files[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = w
        .http
        .get(w.app.url(&format!("/rest/download/{}?auth=nope", files[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The customer sends a file the same way; the operator reads it.
    let (_, u4) = call(
        &w,
        &w.cleo_hook,
        "disk.folder.uploadfile",
        json!({"id": folder, "fileContent": ["order.txt", b64("Zamówienie 12".as_bytes())]}),
    )
    .await;
    let u4 = u4["result"]["ID"].as_i64().unwrap();
    let (s, v) = call(
        &w,
        &w.cleo_hook,
        "im.disk.file.commit",
        json!({"CHAT_ID": c.0, "UPLOAD_ID": u4}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (_, got) = call(
        &w,
        &w.olek_hook,
        "im.dialog.messages.get",
        json!({"DIALOG_ID": chat, "LIMIT": 1}),
    )
    .await;
    assert_eq!(got["result"]["messages"][0]["text"], "📎 order.txt");
    let fid = got["result"]["files"][0]["id"].as_i64().unwrap();
    let r = w.http.get(download_url(&w.olek_hook, fid)).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "Zamówienie 12");
}

#[both_databases]
async fn batch_runs_commands_in_the_order_sent_and_answers_as_php_would(b: Backend) {
    let w = world(&b).await;
    let code = w.code.as_str();
    let send_to = |user: UserId| {
        format!(
            "imopenlines.network.message.add?CODE={code}&USER_ID={}&MESSAGE=Hi",
            user.0
        )
    };
    let join = format!("imopenlines.network.join?CODE={code}");
    // "z" (join) must run before "a" (a message, which needs the join): the order
    // sent, not the keys' alphabetical order. As JSON (halt as JSON true)…
    let (_, v) = call(
        &w,
        &w.cleo_hook,
        "batch",
        json!({"halt": true, "cmd": {"z": join, "a": send_to(w.bob)}}),
    )
    .await;
    assert_eq!(v["result"]["result_error"], json!([]), "{b:?}: {v}");
    assert_eq!(v["result"]["result_next"], json!([]));
    assert_eq!(v["result"]["result"]["a"], json!(true), "{v}");
    // …and as a form; answered in the order run.
    let r = w
        .http
        .post(format!("{}batch", w.cleo_hook))
        .form(&[
            ("halt", "1"),
            ("cmd[z]", join.as_str()),
            ("cmd[a]", send_to(w.cleo.user).as_str()),
        ])
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["result"]["result_error"], json!([]), "{v}");
    let keys: Vec<&String> = v["result"]["result"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["z", "a"], "answered in the order run");
    // Numbered commands (the SDKs' JSON object {"0": …, "1": …}) come back as lists;
    // halt as JSON true stops at the first error.
    let (_, v) = call(
        &w,
        &w.cleo_hook,
        "batch",
        json!({"halt": false, "cmd": {"0": "imopenlines.config.list.get", "1": join}}),
    )
    .await;
    assert!(v["result"]["result"].is_array(), "{v}");
    assert!(v["result"]["result"][1].is_i64());
    assert_eq!(v["result"]["result_total"], json!([0]));
    let (_, v) = call(
        &w,
        &w.cleo_hook,
        "batch",
        json!({"halt": true, "cmd": {"0": "imopenlines.network.join?CODE=short", "1": "imopenlines.config.list.get"}}),
    )
    .await;
    assert_eq!(v["result"]["result_error"][0]["error"], "CODE", "{v}");
    assert_eq!(
        v["result"]["result"],
        json!([]),
        "halt: true stopped the batch: {v}"
    );
    // Only some numbered commands failing: an object keyed by them, as PHP writes it.
    let (_, v) = call(
        &w,
        &w.cleo_hook,
        "batch",
        json!({"cmd": ["imopenlines.config.list.get", "imopenlines.network.join?CODE=short"]}),
    )
    .await;
    assert_eq!(v["result"]["result_error"]["1"]["error"], "CODE", "{v}");
    assert!(v["result"]["result_error"].is_object());
    assert!(v["result"]["result"].is_array());
}

#[both_databases]
async fn lists_page_by_fifty_and_batch_commands_use_earlier_answers(b: Backend) {
    let w = world(&b).await;
    // Acme has Support and Sales; with 51 more, 53 make two pages.
    for i in 0..51 {
        channels::create_channel(
            &w.app.state.db,
            &w.anna,
            &app::domain::channel::ChannelName::parse(&format!("Line {i:02}")).unwrap(),
        )
        .await
        .unwrap();
    }
    let (_, first) = call(&w, &w.anna_hook, "imopenlines.config.list.get", json!({})).await;
    assert_eq!(
        (first["total"].as_i64(), first["next"].as_i64()),
        (Some(53), Some(50)),
        "{b:?}"
    );
    assert_eq!(first["result"].as_array().unwrap().len(), 50);
    let (_, second) = call(
        &w,
        &w.anna_hook,
        "imopenlines.config.list.get",
        json!({"start": 50}),
    )
    .await;
    assert_eq!(second["result"].as_array().unwrap().len(), 3);
    assert!(second.get("next").is_none(), "{second}");
    let ids: std::collections::HashSet<i64> = first["result"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["result"].as_array().unwrap())
        .map(|c| c["ID"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 53, "no channel twice, none left out");
    // In a batch, a command reads an earlier one's answer; paging shows in
    // result_total / result_next.
    let r = w
        .http
        .post(format!("{}batch", w.anna_hook))
        .form(&[
            ("cmd[lines]", "imopenlines.config.list.get"),
            (
                "cmd[one]",
                "imopenlines.config.get?CONFIG_ID=$result[lines][1][ID]",
            ),
            (
                "cmd[more]",
                "imopenlines.config.list.get?start=$result_next[lines]",
            ),
        ])
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let res = &v["result"];
    assert_eq!(res["result_error"], json!([]), "{v}");
    assert_eq!(res["result"]["one"]["ID"], res["result"]["lines"][1]["ID"]);
    assert_eq!(res["result_total"]["lines"], 53);
    assert_eq!(res["result_next"]["lines"], 50);
    assert_eq!(res["result"]["more"].as_array().unwrap().len(), 3);
}

#[both_databases]
async fn read_and_writing_reach_the_other_side_live_and_messages_name_their_authors(b: Backend) {
    let w = world(&b).await;
    let c = w.cleo_conversation().await;
    let chat = format!("chat{}", c.0);
    let (s, _) = call(
        &w,
        &w.olek_hook,
        "im.message.add",
        json!({"DIALOG_ID": chat, "MESSAGE": "Looking into it"}),
    )
    .await;
    assert_eq!(s, 200, "{b:?}");
    // author_id: the writing user; 0 for the channel's own (welcome) message.
    let (_, got) = call(
        &w,
        &w.cleo_hook,
        "im.dialog.messages.get",
        json!({"DIALOG_ID": chat}),
    )
    .await;
    let authors: Vec<i64> = got["result"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["author_id"].as_i64().unwrap())
        .collect();
    assert_eq!(authors, vec![w.olek.user.0, w.cleo.user.0, 0], "{got}");
    let users: Vec<i64> = got["result"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(users, vec![w.olek.user.0, w.cleo.user.0, 0]);
    let newest = got["result"]["messages"][0]["id"].as_i64().unwrap();
    let question = got["result"]["messages"][1]["id"].as_i64().unwrap();

    // The operator types and reads through REST: the customer's feed hears both.
    let mut feed = w.app.state.hub.subscribe(&Topic::Conversation(c));
    let (s, v) = call(&w, &w.olek_hook, "im.dialog.writing", json!({"DIALOG_ID": chat})).await;
    assert_eq!((s.as_u16(), &v["result"]), (200, &json!(true)), "{v}");
    match feed.recv().await.unwrap() {
        ServerMsg::Typing { name, .. } => assert_eq!(name, "Olek"),
        other => panic!("{other:?}"),
    }
    let (s, v) = call(
        &w,
        &w.olek_hook,
        "im.dialog.read",
        json!({"DIALOG_ID": chat, "MESSAGE_ID": question}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["result"]["chatId"].as_i64(), v["result"]["lastId"].as_i64()),
        (Some(c.0), Some(question))
    );
    match feed.recv().await.unwrap() {
        ServerMsg::Read { by, seq, .. } => {
            assert_eq!(by, app::domain::conversation::Author::Operator);
            assert_eq!(seq, 2);
        }
        other => panic!("{other:?}"),
    }
    // The customer reads everything.
    let (_, v) = call(&w, &w.cleo_hook, "im.dialog.read", json!({"DIALOG_ID": chat})).await;
    assert_eq!(v["result"]["lastId"].as_i64(), Some(newest), "{v}");
    // Nobody else: not found, and no event.
    for hook in [&w.emil_hook, &w.zed_hook] {
        for method in ["im.dialog.read", "im.dialog.writing"] {
            assert_eq!(
                err(&call(&w, hook, method, json!({"DIALOG_ID": chat})).await),
                (404, "NOT_FOUND"),
                "{method}"
            );
        }
    }
    assert_eq!(
        err(&call(
            &w,
            &w.olek_hook,
            "im.dialog.read",
            json!({"DIALOG_ID": chat, "MESSAGE_ID": newest + 1000})
        )
        .await),
        (404, "NOT_FOUND")
    );
}

#[both_databases]
async fn operators_open_a_customers_conversation_by_user_code_and_nobody_else_does(b: Backend) {
    let w = world(&b).await;
    let c = w.cleo_conversation().await;
    let open = |hook: String, code: Value| {
        let w = &w;
        async move { call(w, &hook, "imopenlines.session.open", json!({ "USER_CODE": code })).await }
    };
    // dialog.get names the conversation's user code.
    let (_, d) = call(
        &w,
        &w.olek_hook,
        "imopenlines.dialog.get",
        json!({"CHAT_ID": c.0}),
    )
    .await;
    let code = format!("network|{}|{}|{}", w.channel.0, w.cleo.account.0, w.cleo.user.0);
    assert_eq!(d["result"]["user_code"], json!(code), "{b:?} {d}");
    // The channel's operator and the admin open it by that code.
    for hook in [&w.olek_hook, &w.anna_hook] {
        let (s, v) = open(hook.clone(), json!(code)).await;
        assert_eq!(
            (s.as_u16(), &v["result"]),
            (200, &json!({"CHAT_ID": c.0})),
            "{b:?} {v}"
        );
    }
    // Bad codes are refused before any lookup.
    assert_eq!(
        err(&open(w.olek_hook.clone(), json!("")).await),
        (400, "USER_CODE_EMPTY")
    );
    assert_eq!(
        err(&call(&w, &w.olek_hook, "imopenlines.session.open", json!({})).await),
        (400, "USER_CODE_EMPTY")
    );
    for bad in [
        "livechat|1|2|3".to_string(),
        format!("network|{}|{}", w.channel.0, w.cleo.account.0),
        "network|a|b|c".into(),
    ] {
        assert_eq!(
            err(&open(w.olek_hook.clone(), json!(bad)).await),
            (400, "WRONG_USER_CODE"),
            "{bad}"
        );
    }
    // A customer with no conversation, and everyone who may not see this one, get
    // the same answer: nobody learns who writes to whom.
    let nobody = format!("network|{}|{}|{}", w.channel.0, w.cleo.account.0, w.bob.0);
    assert_eq!(
        err(&open(w.olek_hook.clone(), json!(nobody)).await),
        (404, "NOT_FOUND")
    );
    let bob_hook = hook(&w.app, w.bob, "borealis", "imopenlines,im").await;
    for hook in [&w.cleo_hook, &w.emil_hook, &w.zed_hook, &bob_hook] {
        assert_eq!(
            err(&open(hook.clone(), json!(code)).await),
            (404, "NOT_FOUND"),
            "{b:?} {hook}"
        );
    }
    // Finished, it is still the one opened; once Cleo starts another, that one is.
    let (s, _) = call(
        &w,
        &w.olek_hook,
        "imopenlines.operator.finish",
        json!({"CHAT_ID": c.0}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        open(w.olek_hook.clone(), json!(code)).await.1["result"]["CHAT_ID"],
        json!(c.0)
    );
    let c2 = w.cleo_conversation().await;
    assert_ne!(c2, c);
    assert_eq!(
        open(w.olek_hook.clone(), json!(code)).await.1["result"]["CHAT_ID"],
        json!(c2.0)
    );
}

#[tokio::test]
async fn batch_references_copy_a_bounded_amount_however_they_are_chained() {
    let w = world_with(&Backend::Sqlite, None).await;
    // Each command asks for the channel list and passes the previous answer on a
    // hundred times: without a bound, every step multiplies what is held in memory.
    let mut cmd = serde_json::Map::new();
    cmd.insert("c0".into(), json!("imopenlines.config.list.get"));
    for i in 1..50 {
        let refs: Vec<String> = (0..100).map(|k| format!("x[{k}]=$result[c{}]", i - 1)).collect();
        cmd.insert(
            format!("c{i}"),
            json!(format!(
                "imopenlines.config.get?CONFIG_ID={}&{}",
                w.channel.0,
                refs.join("&")
            )),
        );
    }
    let body = serde_json::to_string(&json!({"cmd": cmd})).unwrap();
    // About 100 KB of request, far under the 2 MB body limit.
    assert!(body.len() < 200_000, "{}", body.len());
    let (s, v) = call(&w, &w.anna_hook, "batch", json!({"cmd": cmd})).await;
    assert_eq!(s, 200, "{v}");
    // The first commands run; once the copies pass the batch's bound, the rest are
    // refused with the reason instead of being resolved.
    assert!(v["result"]["result"]["c0"].is_array(), "{v}");
    let refused: Vec<&String> = v["result"]["result_error"]
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert!(!refused.is_empty(), "{v}");
    assert!(
        refused
            .iter()
            .all(|k| v["result"]["result_error"][k.as_str()]["error"] == "ERROR_BATCH_LIMIT"),
        "{v}"
    );
}
