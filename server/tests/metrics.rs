//! `/metrics`: off unless a token is configured, then only for a scraper bearing it; the
//! figures follow what the node does (a message sent through the writer, a conversation
//! waiting in its channel, REST calls with bounded labels). SQLite, and PostgreSQL when set.
//! One test function: the figures are per process.

#[path = "api/harness.rs"]
mod harness;

use app::backend::messaging::{Append, Target};
use app::backend::principal::Party;
use app::backend::services::accounts;
use app::backend::services::conversations as conv;
use app::domain::conversation::{ClientMsgId, MessageBody};
use harness::*;

const TOKEN: &str = "metrics-token-for-the-test";

/// The value of the sample line that starts with `prefix` (name and labels).
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let r = http_client()
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    r.text().await.unwrap()
}

#[tokio::test]
async fn metrics_need_the_token_and_follow_what_the_node_does() {
    for b in backends() {
        // Off by default: no such page.
        let off = spawn(&b).await;
        let r = reqwest::get(off.url("/metrics")).await.unwrap();
        assert_eq!(r.status(), 404);

        let app = spawn_with(
            &b,
            Options {
                metrics_token: Some(TOKEN.into()),
                ..Default::default()
            },
        )
        .await;
        let c = http_client();
        let none = c.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(none.status(), 401);
        let wrong = c
            .get(app.url("/metrics"))
            .bearer_auth("metrics-token-for-the-tesT")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);

        let before = scrape(&app).await;
        let acked_before = sample(&before, "netlines_messages_acked_total").unwrap_or(0.0);

        // A customer writes to a channel through the writer: one message acknowledged,
        // one conversation waiting in that channel.
        let db = &app.state.db;
        let anna = app.user("anna@acme.test", "Anna").await;
        let cleo = app.user("cleo@borealis.test", "Cleo").await;
        new_account(db, &anna, "Acme", "acme").await;
        new_account(db, &cleo, "Borealis", "borealis").await;
        let admin = accounts::actor(db, anna.id, "acme").await.unwrap();
        let (channel, code) = network_channel(db, &admin, "Support", &[], None).await;
        let customer = conv::customer(db, &cleo, "borealis").await.unwrap();
        app.state
            .messages
            .append(Append {
                party: Party::Customer { customer, code },
                target: Target::New,
                client_id: ClientMsgId::parse("metrics-first").unwrap(),
                body: MessageBody::parse("hello").unwrap(),
            })
            .await
            .unwrap();

        // REST: a known method and a made-up one, both without a credential.
        for m in ["imopenlines.config.get", "made.up.method"] {
            let r = c.get(app.url(&format!("/rest/{m}"))).send().await.unwrap();
            assert_eq!(r.status(), 401);
        }

        let after = scrape(&app).await;
        let acked_after = sample(&after, "netlines_messages_acked_total").unwrap();
        assert!(
            acked_after >= acked_before + 1.0,
            "{acked_before} → {acked_after}"
        );
        let waiting = sample(
            &after,
            &format!("netlines_conversations_waiting{{channel=\"{}\"}}", channel.0),
        );
        assert_eq!(waiting, Some(1.0), "{after}");
        assert!(
            sample(
                &after,
                "netlines_rest_calls_total{method=\"imopenlines.config.get\",status=\"401\"}"
            )
            .unwrap()
                >= 1.0
        );
        assert!(
            sample(
                &after,
                "netlines_rest_calls_total{method=\"other\",status=\"401\"}"
            )
            .unwrap()
                >= 1.0
        );
        assert!(!after.contains("made.up.method"), "labels stay bounded");
        assert!(after.contains("netlines_sockets_open"));
        assert!(after.contains("# EOF"));
    }
}
