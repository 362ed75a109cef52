//! Delivers apps' events from the durable outbox ([`app::backend::services::app_events`]):
//! form-encoded as Bitrix24 posts them, to the address the handler resolved to when it
//! was checked (no second DNS lookup), without following redirects, at most 10 s each,
//! several at once but each conversation's events in order. Every node runs it; a
//! lease on each event keeps two nodes from sending the same one at once.

use app::backend::entities::{conversation, event_binding, event_outbox, message, rest_app};
use app::backend::services::app_events::{self, Outcome};
use app::backend::services::apps::{domain_of, member_id};
use app::backend::services::conversations::UserCode;
use app::backend::AppState;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// Deliveries in flight at once on this node.
const PARALLEL: usize = 32;
/// Deliveries in flight per app, and per account (all its apps together): one
/// account's slow handlers hold at most this many of the node's [`PARALLEL`], so other
/// accounts' events never wait behind them.
const PER_APP: usize = 2;
const PER_ACCOUNT: usize = 4;
/// Events looked at per round.
const ROUND: u64 = 256;

/// Runs forever: keeps up to [`PARALLEL`] deliveries going, fairly shared between
/// accounts and apps, and looks for more whenever one finishes (a conversation's next
/// event is due as soon as the one before it is delivered) or every half second.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut running: tokio::task::JoinSet<()> = tokio::task::JoinSet::new();
        let flight = std::sync::Arc::new(std::sync::Mutex::new(InFlight::default()));
        loop {
            if let Err(e) = start_due(&state, &flight, &mut running).await {
                tracing::warn!(error = ?e, "delivering apps' events failed");
            }
            tokio::select! {
                Some(_) = running.join_next() => {}
                _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
            }
        }
    })
}

/// What this node is delivering now.
#[derive(Default)]
struct InFlight {
    events: std::collections::HashSet<i64>,
    apps: std::collections::HashMap<i64, usize>,
    accounts: std::collections::HashMap<i64, usize>,
}

impl InFlight {
    fn room_for(&self, app: i64, account: i64) -> bool {
        self.events.len() < PARALLEL
            && self.apps.get(&app).copied().unwrap_or(0) < PER_APP
            && self.accounts.get(&account).copied().unwrap_or(0) < PER_ACCOUNT
    }

    fn start(&mut self, id: i64, app: i64, account: i64) {
        self.events.insert(id);
        *self.apps.entry(app).or_insert(0) += 1;
        *self.accounts.entry(account).or_insert(0) += 1;
    }

    fn end(&mut self, id: i64, app: i64, account: i64) {
        self.events.remove(&id);
        for (map, key) in [(&mut self.apps, app), (&mut self.accounts, account)] {
            if let Some(n) = map.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&key);
                }
            }
        }
    }
}

/// Starts the due events there is room for. Returns how many started.
async fn start_due(
    state: &AppState,
    flight: &std::sync::Arc<std::sync::Mutex<InFlight>>,
    running: &mut tokio::task::JoinSet<()>,
) -> Result<usize, app::error::AppError> {
    let now = app::backend::now_ms();
    let rows = app_events::due(&state.db, now, PER_APP as u64, ROUND).await?;
    let mut started = 0;
    for (row, app) in rows {
        {
            let f = flight.lock().unwrap_or_else(|e| e.into_inner());
            if f.events.contains(&row.id) || !f.room_for(app, row.account_id) {
                continue;
            }
        }
        match app_events::claim(&state.db, row.id, now).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = ?e, event = row.id, "claiming an event failed");
                continue;
            }
        }
        flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .start(row.id, app, row.account_id);
        started += 1;
        let state = state.clone();
        let flight = flight.clone();
        running.spawn(async move {
            let outcome = attempt(&state, &row).await;
            if let Outcome::Failed(code, why) = &outcome {
                tracing::info!(event = row.id, status = ?code, reason = %why, "an app's event was not accepted; retried later");
            }
            if let Err(e) = app_events::finish_attempt(&state.db, &row, outcome, app::backend::now_ms()).await {
                tracing::warn!(error = ?e, event = row.id, "recording an event's delivery failed");
            }
            flight
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .end(row.id, app, row.account_id);
        });
    }
    Ok(started)
}

/// One round for tests and tools: every due event this node can claim, attempted, and
/// waited for. Returns how many.
pub async fn deliver_due(state: &AppState) -> Result<usize, app::error::AppError> {
    let flight = std::sync::Arc::new(std::sync::Mutex::new(InFlight::default()));
    let mut running = tokio::task::JoinSet::new();
    let n = start_due(state, &flight, &mut running).await?;
    while running.join_next().await.is_some() {}
    Ok(n)
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
    let addrs = match app_events::resolve_handler(&url, state.config.events_allow_private).await {
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
    // What happened, as it was when it happened (older rows: read now).
    let captured = app_events::Captured::parse(row);
    let user_code = match &captured {
        Some(c) => UserCode {
            channel: app::domain::ChannelId(c.channel_id.unwrap_or(conv.channel_id)),
            customer_account: app::domain::AccountId(
                c.customer_account_id.unwrap_or(conv.customer_account_id),
            ),
            customer: app::domain::UserId(c.customer_id.unwrap_or(conv.customer_user_id)),
        },
        None => UserCode::of(&conv),
    }
    .to_string();
    if row.event == app_events::MESSAGE_ADD {
        let m = match &captured {
            Some(c) => match (c.message_id, c.date, &c.text, &c.author) {
                (Some(id), Some(date), Some(text), Some(author)) => {
                    (id, date, text.clone(), c.user_id, author.clone())
                }
                _ => return Ok(None),
            },
            None => {
                let Some(m) = message::Entity::find()
                    .filter(message::Column::ConversationId.eq(conv.id))
                    .filter(message::Column::Seq.eq(row.seq))
                    .one(db)
                    .await?
                else {
                    return Ok(None);
                };
                (m.id, m.created_at, m.body, m.author_user_id, m.author)
            }
        };
        let (id, date, text, author_id, author) = m;
        d("[CONNECTOR]", UserCode::CONNECTOR.into());
        d("[LINE]", conv.channel_id.to_string());
        d("[DATA][0][connector][connector_id]", UserCode::CONNECTOR.into());
        d("[DATA][0][connector][line_id]", conv.channel_id.to_string());
        d("[DATA][0][connector][chat_id]", conv.id.to_string());
        d("[DATA][0][connector][user_id]", conv.customer_user_id.to_string());
        d("[DATA][0][connector][user_code]", user_code);
        d("[DATA][0][chat][id]", conv.id.to_string());
        d("[DATA][0][message][id]", id.to_string());
        d("[DATA][0][message][date]", (date / 1000).to_string());
        d("[DATA][0][message][text]", text);
        d("[DATA][0][message][user_id]", author_id.unwrap_or(0).to_string());
        d("[DATA][0][message][author]", author);
        d("[DATA][0][message][seq]", row.seq.to_string());
        d("[DATA][0][message][system]", "N".into());
    } else {
        let (status, operator) = match &captured {
            Some(c) => (
                c.status.clone().unwrap_or_else(|| conv.status.clone()),
                c.operator_id,
            ),
            None => (conv.status.clone(), conv.operator_user_id),
        };
        d("[CHAT_ID]", conv.id.to_string());
        d("[SESSION_ID]", conv.id.to_string());
        d("[LINE_ID]", conv.channel_id.to_string());
        d("[USER_CODE]", user_code);
        d("[USER_ID]", conv.customer_user_id.to_string());
        d("[OPERATOR_ID]", operator.unwrap_or(0).to_string());
        d("[STATUS]", status);
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
