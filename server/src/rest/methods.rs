//! The REST methods. Each checks the caller's rights exactly as the pages do, through
//! the same services.

use super::params::Params;
use super::{Output, RestError};
use app::backend::services::conversations::{self as conv, Side, Target, Viewer};
use app::backend::services::rest::{self, RestCaller};
use app::backend::services::{channels, inbox};
use app::backend::AppState;
use app::domain::channel::{ChannelCode, Distribution};
use app::domain::conversation::{Author, ClientMsgId, ConversationStatus, MessageBody};
use app::domain::ConversationId;
use app::error::AppError;
use axum::http::StatusCode;
use serde_json::{json, Value};

/// Every method: name, required scope, one-line summary (also the OpenAPI document).
pub const METHODS: [(&str, &str, &str); 10] = [
    (
        "imopenlines.network.join",
        "imopenlines",
        "Join an external channel by its CODE",
    ),
    (
        "imopenlines.network.message.add",
        "imopenlines",
        "Send a message from a joined channel to a user of this account",
    ),
    (
        "imopenlines.config.get",
        "imopenlines",
        "One open channel of this account (CONFIG_ID)",
    ),
    (
        "imopenlines.config.list.get",
        "imopenlines",
        "The open channels of this account the caller may see",
    ),
    (
        "imopenlines.dialog.get",
        "imopenlines",
        "A conversation (CHAT_ID or DIALOG_ID=chatN)",
    ),
    (
        "imopenlines.operator.finish",
        "imopenlines",
        "Finish a conversation (CHAT_ID)",
    ),
    (
        "imopenlines.operator.skip",
        "imopenlines",
        "Give the caller's conversation back to the queue (CHAT_ID)",
    ),
    (
        "imopenlines.message.session.start",
        "imopenlines",
        "Start a new conversation from a customer message (CHAT_ID, MESSAGE_ID)",
    ),
    (
        "im.dialog.messages.get",
        "im",
        "Messages of a conversation (DIALOG_ID, LAST_ID, FIRST_ID, LIMIT ≤ 50)",
    ),
    (
        "im.message.add",
        "im",
        "Write in a conversation (DIALOG_ID, MESSAGE)",
    ),
];

/// Calls one method (not `batch`).
/// Is `method` one of ours (`batch` aside)?
pub fn is_known(method: &str) -> bool {
    METHODS.iter().any(|(m, _, _)| *m == method)
}

pub async fn call(
    state: &AppState,
    caller: &RestCaller,
    method: &str,
    p: &Params,
) -> Result<Output, RestError> {
    let Some((_, scope, _)) = METHODS.iter().find(|(m, _, _)| *m == method) else {
        return Err(RestError::new(
            StatusCode::NOT_FOUND,
            "ERROR_METHOD_NOT_FOUND",
            format!("Method not found: {method}"),
        ));
    };
    if !caller.has_scope(scope) {
        return Err(RestError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("The request requires higher privileges than provided by the credential (scope {scope})"),
        ));
    }
    match method {
        "imopenlines.network.join" => network_join(state, caller, p).await,
        "imopenlines.network.message.add" => network_message_add(state, caller, p).await,
        "imopenlines.config.get" => config_get(state, caller, p).await,
        "imopenlines.config.list.get" => config_list(state, caller).await,
        "imopenlines.dialog.get" => dialog_get(state, caller, p).await,
        "imopenlines.operator.finish" => operator_finish(state, caller, p).await,
        "imopenlines.operator.skip" => operator_skip(state, caller, p).await,
        "imopenlines.message.session.start" => session_start(state, caller, p).await,
        "im.dialog.messages.get" => messages_get(state, caller, p).await,
        "im.message.add" => message_add(state, caller, p).await,
        _ => unreachable!("listed in METHODS"),
    }
}

/// `CODE`: required, 32 characters.
fn code_param(p: &Params) -> Result<ChannelCode, RestError> {
    let raw = p.text("CODE").unwrap_or_default();
    let raw = raw.trim().to_ascii_lowercase();
    if raw.chars().count() != 32 {
        return Err(RestError::bad(
            "CODE",
            "CODE must be the channel's 32-character code",
        ));
    }
    ChannelCode::parse(&raw)
        .map_err(|_| RestError::bad("CODE", "CODE must be the channel's 32-character code"))
}

/// The channel behind a code, refusing disconnected and inactive ones.
async fn available_channel(state: &AppState, code: &ChannelCode) -> Result<conv::ChannelInfo, RestError> {
    let info = conv::channel_info(&state.db, code)
        .await
        .map_err(|_| RestError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Open channel is not found"))?;
    if !info.available {
        return Err(RestError::bad(
            "INACTIVE",
            "The channel is disconnected or switched off",
        ));
    }
    Ok(info)
}

async fn network_join(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let code = code_param(p)?;
    let info = available_channel(state, &code).await?;
    if info.account == caller.actor.account {
        return Err(RestError::bad(
            "WRONG_REQUEST",
            "This is your own account's channel",
        ));
    }
    let id = rest::network_join(&state.db, &caller.actor, info.channel.0).await?;
    Ok(json!(id).into())
}

/// A rich block flattened to text lines: every `MESSAGE`, `LINK` and `NAME` it holds.
fn attach_text(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| attach_text(i, out)),
        Value::Object(m) => {
            for (k, v) in m {
                match (k.to_ascii_uppercase().as_str(), v) {
                    ("MESSAGE" | "NAME" | "LINK" | "TITLE" | "VALUE", Value::String(s))
                        if !s.trim().is_empty() =>
                    {
                        out.push(s.trim().to_string())
                    }
                    (_, v @ (Value::Array(_) | Value::Object(_))) => attach_text(v, out),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// `KEYBOARD`: link buttons only — a list (or `{BUTTONS: [...]}`) of `{TEXT, LINK}`.
fn keyboard_lines(v: &Value) -> Result<Vec<String>, RestError> {
    let bad = || {
        RestError::bad(
            "KEYBOARD_ERROR",
            "KEYBOARD must be a list of buttons with TEXT and an http(s) LINK",
        )
    };
    let buttons = match v {
        Value::Array(a) => a.clone(),
        Value::Object(m) => match m.iter().find(|(k, _)| k.eq_ignore_ascii_case("BUTTONS")) {
            Some((_, Value::Array(a))) => a.clone(),
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    };
    if buttons.is_empty() {
        return Err(bad());
    }
    let field = |b: &serde_json::Map<String, Value>, name: &str| {
        b.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
            .map(str::trim)
            .map(str::to_string)
    };
    buttons
        .iter()
        .map(|b| {
            let b = b.as_object().ok_or_else(bad)?;
            let text = field(b, "TEXT").filter(|t| !t.is_empty()).ok_or_else(bad)?;
            let link = field(b, "LINK").ok_or_else(bad)?;
            let url = url::Url::parse(&link).map_err(|_| bad())?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(bad());
            }
            Ok(format!("{text}: {link}"))
        })
        .collect()
}

async fn network_message_add(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let code = code_param(p)?;
    let user_id = p
        .int("USER_ID")
        .ok_or_else(|| RestError::bad("USER_ID_EMPTY", "USER_ID is required"))?;
    let message = p
        .text("MESSAGE")
        .ok_or_else(|| RestError::bad("MESSAGE_EMPTY", "MESSAGE is required"))?;
    let mut text = message.trim().to_string();
    if let Some(a) = p.get("ATTACH") {
        if serde_json::to_string(a).map(|s| s.len()).unwrap_or(0) > 30 * 1024 {
            return Err(RestError::bad("ATTACH_OVERSIZE", "ATTACH is larger than 30 KB"));
        }
        if !(a.is_array() || a.is_object()) {
            return Err(RestError::bad("ATTACH_ERROR", "ATTACH must be a list of blocks"));
        }
        let mut lines = Vec::new();
        attach_text(a, &mut lines);
        if !lines.is_empty() {
            text = format!("{text}\n\n{}", lines.join("\n"));
        }
    }
    if let Some(k) = p.get("KEYBOARD") {
        text = format!("{text}\n\n{}", keyboard_lines(k)?.join("\n"));
    }
    if let Some(v) = p.text("URL_PREVIEW") {
        if v != "Y" && v != "N" {
            return Err(RestError::bad("WRONG_REQUEST", "URL_PREVIEW must be Y or N"));
        }
    }
    let body = MessageBody::parse(&text).map_err(|_| {
        RestError::bad(
            "WRONG_REQUEST",
            "MESSAGE is too long (at most 4,000 characters in all)",
        )
    })?;
    let info = available_channel(state, &code).await?;
    if !rest::has_joined(&state.db, caller.actor.account.0, info.channel.0).await? {
        return Err(RestError::bad(
            "WRONG_REQUEST",
            "Join the channel first (imopenlines.network.join)",
        ));
    }
    // The recipient: a member of the caller's account, writing "from" it.
    let member = app::backend::services::accounts::actor(
        &state.db,
        app::domain::UserId(user_id),
        caller.actor.slug.as_str(),
    )
    .await
    .map_err(|_| RestError::bad("WRONG_REQUEST", "USER_ID is not a member of this account"))?;
    let name = app::backend::services::users::find_by_id(&state.db, member.user)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let customer = conv::Customer {
        user: member.user,
        user_name: name,
        account: member.account,
        account_name: member.account_name.clone(),
        account_slug: member.slug.to_string(),
    };
    let limits = state.config.rest;
    let r = conv::channel_send(
        &state.db,
        state.hub.as_ref(),
        &customer,
        &code,
        &body,
        (limits.network_messages, limits.network_window_secs as i64 * 1000),
    )
    .await;
    match r {
        Ok(_) => Ok(json!(true).into()),
        Err(AppError::Limit {
            code: app::error::Code::MessageLimit,
            ..
        }) => Err(RestError::bad(
            "USER_MESSAGE_LIMIT",
            format!(
                "At most {} message(s) per user every {} s",
                limits.network_messages, limits.network_window_secs
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

fn yn(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

fn config_json(c: &app::api::ChannelView) -> Value {
    json!({
        "ID": c.id.0,
        "LINE_NAME": c.name,
        "ACTIVE": yn(c.active),
        "QUEUE_TYPE": match c.distribution { Distribution::All => "all", Distribution::Even => "evenly", Distribution::Strict => "strictly" },
        "MAX_CHAT": c.capacity,
        "QUEUE_TIME": c.take_seconds,
        "QUEUE": c.operators.iter().map(|u| json!({"ENTITY_TYPE": "user", "ENTITY_ID": u.0})).collect::<Vec<_>>(),
        "NETWORK": c.network.as_ref().map(|n| json!({"CODE": n.code, "CONNECTED": yn(n.connected), "NAME": n.name})),
    })
}

async fn config_list(state: &AppState, caller: &RestCaller) -> Result<Output, RestError> {
    let cc = channels::contact_center(&state.db, &caller.actor).await?;
    let list: Vec<Value> = cc.channels.iter().map(config_json).collect();
    Ok(Output {
        total: Some(list.len() as i64),
        result: json!(list),
        next: None,
    })
}

async fn config_get(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = p
        .int("CONFIG_ID")
        .ok_or_else(|| RestError::bad("CONFIG_ID_EMPTY", "CONFIG_ID is required"))?;
    let cc = channels::contact_center(&state.db, &caller.actor).await?;
    let c = cc
        .channels
        .iter()
        .find(|c| c.id.0 == id)
        .ok_or_else(|| RestError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Open channel is not found"))?;
    Ok(config_json(c).into())
}

/// `CHAT_ID=5` or `DIALOG_ID=chat5`.
fn chat_param(p: &Params) -> Result<ConversationId, RestError> {
    if let Some(id) = p.int("CHAT_ID") {
        return Ok(ConversationId(id));
    }
    if let Some(d) = p.text("DIALOG_ID") {
        if let Some(id) = d.trim().strip_prefix("chat").and_then(|n| n.parse().ok()) {
            return Ok(ConversationId(id));
        }
        return Err(RestError::bad(
            "DIALOG_ID_EMPTY",
            "DIALOG_ID must look like chat123",
        ));
    }
    Err(RestError::bad(
        "CHAT_ID_EMPTY",
        "CHAT_ID or DIALOG_ID is required",
    ))
}

fn session_status(s: ConversationStatus) -> &'static str {
    match s {
        ConversationStatus::New => "new",
        ConversationStatus::Open => "answered",
        ConversationStatus::Closed => "closed",
    }
}

async fn dialog_get(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let view = match conv::side_of(&state.db, &caller.actor, &caller.user_name, id).await? {
        Side::Operator => inbox::detail(&state.db, &caller.actor, id).await?.conversation,
        Side::Customer(c) => {
            conv::customer_conversations(&state.db, &c, &conv::code_of(&state.db, id).await?)
                .await?
                .into_iter()
                .find(|v| v.id == id)
                .ok_or(AppError::NotFound)?
        }
    };
    Ok(json!({
        "id": view.id.0,
        "chat_id": view.id.0,
        "dialog_id": format!("chat{}", view.id.0),
        "entity_type": "LINES",
        "entity_id": view.channel.0,
        "name": view.customer_name,
        "customer_account": view.customer_account,
        "line_name": view.channel_name,
        "status": session_status(view.status),
        "operator_id": view.operator.map(|u| u.0),
        "last_seq": view.last_seq,
        "date_create": super::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_millis(view.created_at as u64)),
    })
    .into())
}

async fn operator_finish(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    inbox::finish(&state.db, state.hub.as_ref(), &caller.actor, id).await?;
    Ok(json!(true).into())
}

async fn operator_skip(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    inbox::skip(&state.db, state.hub.as_ref(), &caller.actor, id).await?;
    Ok(json!(true).into())
}

async fn session_start(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let message_id = p
        .int("MESSAGE_ID")
        .ok_or_else(|| RestError::bad("MESSAGE_ID_EMPTY", "MESSAGE_ID is required"))?;
    // Rights first, so nobody learns whether a message exists in someone else's chat.
    inbox::detail(&state.db, &caller.actor, id).await?;
    let seq = conv::message_seq(&state.db, id, message_id)
        .await?
        .ok_or_else(|| RestError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Message is not found"))?;
    inbox::start_new(&state.db, state.hub.as_ref(), &caller.actor, id, seq).await?;
    Ok(json!(true).into())
}

async fn messages_get(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let limit = p.int("LIMIT").unwrap_or(20).clamp(1, 50) as u64;
    let side = conv::side_of(&state.db, &caller.actor, &caller.user_name, id).await?;
    let viewer = match &side {
        Side::Operator => Viewer::Operator(&caller.actor),
        Side::Customer(c) => Viewer::Customer(c),
    };
    let ms = conv::messages_by_id(&state.db, &viewer, id, p.int("LAST_ID"), p.int("FIRST_ID"), limit).await?;
    let mut users: Vec<Value> = Vec::new();
    let messages: Vec<Value> = ms
        .iter()
        .map(|(mid, m)| {
            let author_id = if m.author == Author::Channel { 0 } else { -1 };
            if !users.iter().any(|u| u["name"] == m.author_name) {
                users.push(json!({"name": m.author_name, "type": m.author}));
            }
            json!({
                "id": mid,
                "chat_id": id.0,
                "author_id": author_id,
                "author": m.author,
                "author_name": m.author_name,
                "seq": m.seq,
                "date": super::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_millis(m.at as u64)),
                "text": m.body,
            })
        })
        .collect();
    Ok(json!({ "chat_id": id.0, "messages": messages, "users": users }).into())
}

async fn message_add(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let text = p
        .text("MESSAGE")
        .ok_or_else(|| RestError::bad("MESSAGE_EMPTY", "MESSAGE is required"))?;
    let body = MessageBody::parse(&text)?;
    let client_id = ClientMsgId::parse(&format!("rest-{}", app::backend::random_token(12)))?;
    let ack = match conv::side_of(&state.db, &caller.actor, &caller.user_name, id).await? {
        Side::Operator => {
            conv::operator_send(
                &state.db,
                state.hub.as_ref(),
                &caller.actor,
                &caller.user_name,
                id,
                &client_id,
                &body,
            )
            .await?
        }
        Side::Customer(c) => {
            let code = conv::code_of(&state.db, id).await?;
            conv::customer_send(
                &state.db,
                state.hub.as_ref(),
                &c,
                &code,
                Target::Existing(id),
                &client_id,
                &body,
            )
            .await?
        }
    };
    let mid = conv::message_id_of(&state.db, id, ack.seq)
        .await?
        .ok_or(AppError::Internal)?;
    Ok(json!(mid).into())
}

/// `batch`: up to 50 commands (`cmd[key]=method?params`), stopping at the first error
/// with `halt=1`. Results are keyed like the commands.
pub async fn batch(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let cmds: Vec<(String, String)> = match p.get("CMD") {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        _ => return Err(RestError::bad("ERROR_BATCH_EMPTY", "cmd is required")),
    };
    if cmds.len() > 50 {
        return Err(RestError::bad(
            "ERROR_BATCH_LENGTH_EXCEEDED",
            "Max batch length exceeded (50)",
        ));
    }
    let halt = matches!(p.text("HALT").as_deref(), Some("1" | "Y" | "y" | "true"));
    let as_list = matches!(p.get("CMD"), Some(Value::Array(_)));
    let (mut results, mut errors, mut totals, mut nexts, mut times) = (
        serde_json::Map::new(),
        serde_json::Map::new(),
        serde_json::Map::new(),
        serde_json::Map::new(),
        serde_json::Map::new(),
    );
    for (key, cmd) in cmds {
        let started = std::time::Instant::now();
        let start = std::time::SystemTime::now();
        let (method, query) = cmd.split_once('?').unwrap_or((cmd.as_str(), ""));
        let method = super::method_name(method.trim())?;
        let r = if method == "batch" {
            Err(RestError::bad(
                "ERROR_BATCH_METHOD_NOT_ALLOWED",
                "batch cannot be nested",
            ))
        } else {
            match Params::from_query(query) {
                Ok(p) => call(state, caller, &method, &p).await,
                Err(e) => Err(RestError::bad("INVALID_REQUEST", e.describe())),
            }
        };
        times.insert(key.clone(), super::time_block(start, started));
        match r {
            Ok(o) => {
                results.insert(key.clone(), o.result);
                if let Some(t) = o.total {
                    totals.insert(key.clone(), json!(t));
                }
                if let Some(n) = o.next {
                    nexts.insert(key.clone(), json!(n));
                }
            }
            Err(e) => {
                errors.insert(key.clone(), e.body());
                if halt {
                    break;
                }
            }
        }
    }
    // Keys 0, 1, 2… come back as lists, as Bitrix24 answers a list of commands.
    let shape = |m: serde_json::Map<String, Value>| {
        if as_list && !m.is_empty() {
            let mut pairs: Vec<(usize, Value)> = m
                .into_iter()
                .filter_map(|(k, v)| Some((k.parse().ok()?, v)))
                .collect();
            pairs.sort_by_key(|(k, _)| *k);
            json!(pairs.into_iter().map(|(_, v)| v).collect::<Vec<_>>())
        } else {
            Value::Object(m)
        }
    };
    Ok(json!({
        "result": shape(results),
        "result_error": shape(errors),
        "result_total": shape(totals),
        "result_next": shape(nexts),
        "result_time": shape(times),
    })
    .into())
}
