//! Delivers apps' events from the durable outbox ([`app::backend::services::events`]):
//! form-encoded as Bitrix24 posts them, to the address the handler resolved to when it
//! was checked (no second DNS lookup), without following redirects, at most 10 s each,
//! several at once but each conversation's events in order. Every node runs it; a
//! lease on each event keeps two nodes from sending the same one at once.

use app::backend::entities::{conversation, event_binding, event_outbox, message, rest_app};
use app::backend::services::apps::{domain_of, member_id};
use app::backend::services::conversations::UserCode;
use app::backend::services::events::{self, Outcome};
use app::backend::AppState;
use futures::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Events delivered at once (different conversations or handlers).
const PARALLEL: usize = 8;
/// Events looked at per round.
const ROUND: u64 = 64;

/// Runs forever: rounds back to back while there is something to deliver (a
/// conversation's next event is due as soon as the one before it is delivered), else
/// one every half second.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let n = match deliver_due(&state).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = ?e, "delivering apps' events failed");
                    0
                }
            };
            if n == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    })
}

/// One round: every due event this node can claim, attempted. Returns how many.
pub async fn deliver_due(state: &AppState) -> Result<usize, app::error::AppError> {
    let now = app::backend::now_ms();
    let rows = events::due(&state.db, now, ROUND).await?;
    let attempted = std::sync::atomic::AtomicUsize::new(0);
    let attempted_ref = &attempted;
    futures::stream::iter(rows)
        .for_each_concurrent(PARALLEL, |row| async move {
            match events::claim(&state.db, row.id, now).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(error = ?e, event = row.id, "claiming an event failed");
                    return;
                }
            }
            attempted_ref.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let outcome = attempt(state, &row).await;
            if let Outcome::Failed(code, why) = &outcome {
                tracing::info!(event = row.id, status = ?code, reason = %why, "an app's event was not accepted; retried later");
            }
            if let Err(e) = events::finish_attempt(&state.db, &row, outcome, app::backend::now_ms()).await {
                tracing::warn!(error = ?e, event = row.id, "recording an event's delivery failed");
            }
        })
        .await;
    Ok(attempted.into_inner())
}

async fn attempt(state: &AppState, row: &event_outbox::Model) -> Outcome {
    let (binding, form) = match payload(state, row).await {
        Ok(Some(p)) => p,
        Ok(None) => return Outcome::Dropped("its app, binding or conversation no longer exists".into()),
        Err(e) => return Outcome::Failed(None, format!("reading the event failed: {e:?}")),
    };
    let Ok(url) = url::Url::parse(&binding.handler_url) else {
        return Outcome::Dropped("the handler is not a URL".into());
    };
    let addrs = match events::resolve_handler(&url, state.config.events_allow_private).await {
        Ok(a) => a,
        Err(why) => return Outcome::Failed(None, why),
    };
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(10))
        .user_agent("Netlines events")
        .resolve_to_addrs(&host, &addrs)
        .build()
    {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(None, format!("no HTTP client: {e}")),
    };
    match client.post(url).form(&form).send().await {
        Ok(r) if r.status().is_success() => Outcome::Delivered(r.status().as_u16()),
        Ok(r) => Outcome::Failed(
            Some(r.status().as_u16()),
            format!("the handler answered {}", r.status()),
        ),
        Err(e) if e.is_timeout() => Outcome::Failed(None, "the handler did not answer within 10 s".into()),
        Err(e) if e.is_connect() => Outcome::Failed(None, "could not connect to the handler".into()),
        Err(e) => Outcome::Failed(None, format!("the request failed: {e}")),
    }
}

type Form = Vec<(String, String)>;

/// The event as Bitrix24 posts it: `event`, `event_handler_id`, `data[…]`, `ts`,
/// `auth[…]` — plus Netlines' stable `event_id`.
async fn payload(
    state: &AppState,
    row: &event_outbox::Model,
) -> Result<Option<(event_binding::Model, Form)>, sea_orm::DbErr> {
    let db = &state.db;
    let Some(binding) = event_binding::Entity::find_by_id(row.binding_id).one(db).await? else {
        return Ok(None);
    };
    let Some(app) = rest_app::Entity::find_by_id(binding.app_id).one(db).await? else {
        return Ok(None);
    };
    let Some(conv) = conversation::Entity::find_by_id(row.conversation_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let base = state.config.public_url.trim_end_matches('/').to_string();
    let mut f: Form = vec![
        ("event".into(), row.event.clone()),
        ("event_handler_id".into(), binding.id.to_string()),
        ("event_id".into(), row.id.to_string()),
    ];
    let mut d = |k: &str, v: String| f.push((format!("data{k}"), v));
    let user_code = UserCode::of(&conv).to_string();
    if row.event == events::MESSAGE_ADD {
        let Some(m) = message::Entity::find()
            .filter(message::Column::ConversationId.eq(conv.id))
            .filter(message::Column::Seq.eq(row.seq))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        d("[CONNECTOR]", UserCode::CONNECTOR.into());
        d("[LINE]", conv.channel_id.to_string());
        d("[DATA][0][connector][connector_id]", UserCode::CONNECTOR.into());
        d("[DATA][0][connector][line_id]", conv.channel_id.to_string());
        d("[DATA][0][connector][chat_id]", conv.id.to_string());
        d("[DATA][0][connector][user_id]", conv.customer_user_id.to_string());
        d("[DATA][0][connector][user_code]", user_code);
        d("[DATA][0][chat][id]", conv.id.to_string());
        d("[DATA][0][message][id]", m.id.to_string());
        d("[DATA][0][message][date]", (m.created_at / 1000).to_string());
        d("[DATA][0][message][text]", m.body.clone());
        d(
            "[DATA][0][message][user_id]",
            m.author_user_id.unwrap_or(0).to_string(),
        );
        d("[DATA][0][message][author]", m.author.clone());
        d("[DATA][0][message][seq]", m.seq.to_string());
        d("[DATA][0][message][system]", "N".into());
    } else {
        d("[CHAT_ID]", conv.id.to_string());
        d("[SESSION_ID]", conv.id.to_string());
        d("[LINE_ID]", conv.channel_id.to_string());
        d("[USER_CODE]", user_code);
        d("[USER_ID]", conv.customer_user_id.to_string());
        d("[OPERATOR_ID]", conv.operator_user_id.unwrap_or(0).to_string());
        d("[STATUS]", conv.status.clone());
    }
    f.push(("ts".into(), (row.created_at / 1000).to_string()));
    let auth = [
        ("domain", domain_of(&base)),
        ("client_endpoint", format!("{base}/rest/")),
        ("server_endpoint", format!("{base}/rest/")),
        ("member_id", member_id(app.account_id)),
        ("application_token", app.application_token.clone()),
    ];
    for (k, v) in auth {
        f.push((format!("auth[{k}]"), v));
    }
    Ok(Some((binding, f)))
}
