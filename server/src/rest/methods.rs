//! The REST methods. Each checks the caller's rights exactly as the pages do, through
//! the same services.

use super::params::Params;
use super::{Output, RestError};
use app::backend::services::channels::ConfigChange;
use app::backend::services::conversations::{self as conv, Side, Target, Viewer};
use app::backend::services::credentials::{self, RestCaller};
use app::backend::services::{app_events, attachments, channels, inbox, rest_uploads};
use app::backend::AppState;
use app::domain::channel::{
    self as channel_domain, Capacity, ChannelCode, ChannelName, Distribution, TakeTime,
};
use app::domain::conversation::{ClientMsgId, ConversationStatus, MessageBody};
use app::domain::{ChannelId, ConversationId, UserId};
use app::error::{AppError, Code};
use app::protocol::FileView;
use axum::http::StatusCode;
use serde_json::{json, Value};

/// Every method: name, required scope, one-line summary (also the OpenAPI document).
pub const METHODS: [(&str, &str, &str); 24] = [
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
        "imopenlines.config.add",
        "imopenlines",
        "Create an open channel (PARAMS: LINE_NAME, ACTIVE, QUEUE, QUEUE_TYPE, MAX_CHAT, QUEUE_TIME, WELCOME_MESSAGE_TEXT, NETWORK); answers its ID",
    ),
    (
        "imopenlines.config.update",
        "imopenlines",
        "Change an open channel (CONFIG_ID, PARAMS as for config.add; only what is given changes)",
    ),
    (
        "imopenlines.config.delete",
        "imopenlines",
        "Delete an open channel nobody has used yet (CONFIG_ID); one with conversations is switched off instead",
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
        "imopenlines.operator.answer",
        "imopenlines",
        "Take a waiting conversation of a channel whose queue the caller is in (CHAT_ID)",
    ),
    (
        "imopenlines.operator.transfer",
        "imopenlines",
        "Hand a conversation to another operator of its channel (CHAT_ID, TRANSFER_ID = user id)",
    ),
    (
        "imopenlines.message.session.start",
        "imopenlines",
        "Start a new conversation from a customer message (CHAT_ID, MESSAGE_ID)",
    ),
    (
        "event.bind",
        "",
        "Bind an event (ONOPENLINEMESSAGEADD, ONSESSIONSTART, ONSESSIONFINISH) to a handler URL (OAuth apps only)",
    ),
    (
        "event.unbind",
        "",
        "Unbind an event (of one handler, or of all) (OAuth apps only)",
    ),
    ("event.get", "", "The app's event bindings (OAuth apps only)"),
    (
        "imopenlines.session.open",
        "imopenlines",
        "The conversation of a customer by USER_CODE (network|LINE_ID|CUSTOMER_ACCOUNT_ID|CUSTOMER_USER_ID) → CHAT_ID",
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
    (
        "im.dialog.read",
        "im",
        "Mark a conversation read (DIALOG_ID, MESSAGE_ID: up to that message; else all)",
    ),
    (
        "im.dialog.writing",
        "im",
        "Show the other side that the caller is typing (DIALOG_ID)",
    ),
    (
        "im.disk.folder.get",
        "im",
        "The upload folder of a conversation (CHAT_ID); its ID goes to disk.folder.uploadfile",
    ),
    (
        "disk.folder.uploadfile",
        "im",
        "Upload a file into a conversation's folder (id, fileContent=[name, base64]); sent by im.disk.file.commit",
    ),
    (
        "im.disk.file.commit",
        "im",
        "Send uploaded files as one message (CHAT_ID, UPLOAD_ID or UPLOAD_ID[], MESSAGE)",
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
    if !scope.is_empty() && !caller.has_scope(scope) {
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
        "imopenlines.config.add" => config_add(state, caller, p).await,
        "imopenlines.config.update" => config_update(state, caller, p).await,
        "imopenlines.config.delete" => config_delete(state, caller, p).await,
        "imopenlines.config.list.get" => config_list(state, caller, p).await,
        "imopenlines.dialog.get" => dialog_get(state, caller, p).await,
        "imopenlines.operator.finish" => operator_finish(state, caller, p).await,
        "imopenlines.operator.skip" => operator_skip(state, caller, p).await,
        "imopenlines.operator.answer" => operator_answer(state, caller, p).await,
        "imopenlines.operator.transfer" => operator_transfer(state, caller, p).await,
        "imopenlines.message.session.start" => session_start(state, caller, p).await,
        "imopenlines.session.open" => session_open(state, caller, p).await,
        "event.bind" => event_bind(state, caller, p).await,
        "event.unbind" => event_unbind(state, caller, p).await,
        "event.get" => event_get(state, caller).await,
        "im.dialog.messages.get" => messages_get(state, caller, p).await,
        "im.message.add" => message_add(state, caller, p).await,
        "im.dialog.read" => dialog_read(state, caller, p).await,
        "im.dialog.writing" => dialog_writing(state, caller, p).await,
        "im.disk.folder.get" => folder_get(state, caller, p).await,
        "disk.folder.uploadfile" => upload_file(state, caller, p).await,
        "im.disk.file.commit" => file_commit(state, caller, p).await,
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
    let id = credentials::network_join(&state.db, &caller.actor, info.channel.0).await?;
    Ok(json!(id).into())
}

async fn network_message_add(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let code = code_param(p)?;
    let user_id = p
        .int("USER_ID")
        .ok_or_else(|| RestError::bad("USER_ID_EMPTY", "USER_ID is required"))?;
    let message = p
        .text("MESSAGE")
        .ok_or_else(|| RestError::bad("MESSAGE_EMPTY", "MESSAGE is required"))?;
    let text = message.trim().to_string();
    if let Some(a) = p.get("ATTACH") {
        if serde_json::to_string(a).map(|s| s.len()).unwrap_or(0) > 30 * 1024 {
            return Err(RestError::bad("ATTACH_OVERSIZE", "ATTACH is larger than 30 KB"));
        }
    }
    // Rich blocks and link buttons, shown as such in the chat (not flattened to text).
    let mut rich =
        app::domain::rich::from_bitrix(p.get("ATTACH"), p.get("KEYBOARD")).map_err(|e| match e {
            app::domain::rich::RichError::Attach(why) => RestError::bad("ATTACH_ERROR", why),
            app::domain::rich::RichError::Keyboard(why) => RestError::bad("KEYBOARD_ERROR", why),
        })?;
    // Marked with the calling account wherever it is shown.
    rich.via = Some(caller.actor.account_name.clone());
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
    // The channel's admin may refuse messages from other accounts' apps.
    if !info.rest_messages {
        return Err(RestError::new(
            StatusCode::FORBIDDEN,
            "ACCESS_DENIED",
            "The channel does not take messages from other accounts' apps",
        ));
    }
    if !credentials::has_joined(&state.db, caller.actor.account.0, info.channel.0).await? {
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
        Some(&rich),
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

async fn config_list(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let cc = channels::contact_center(&state.db, &caller.actor).await?;
    let list: Vec<Value> = cc.channels.iter().map(config_json).collect();
    Ok(page(list, p))
}

/// Items on one page of a list method, as Bitrix24 pages: `start` is the offset (50 a
/// page), the answer's `total` counts them all and `next` is the next page's `start`
/// while there is one.
fn page(list: Vec<Value>, p: &Params) -> Output {
    const PAGE: usize = 50;
    let total = list.len();
    let start = p.int("start").unwrap_or(0).clamp(0, total as i64) as usize;
    let end = (start + PAGE).min(total);
    Output {
        total: Some(total as i64),
        next: (end < total).then_some(end as i64),
        result: Value::Array(list.into_iter().skip(start).take(PAGE).collect()),
    }
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

fn config_id(p: &Params) -> Result<ChannelId, RestError> {
    p.int("CONFIG_ID")
        .map(ChannelId)
        .ok_or_else(|| RestError::bad("CONFIG_ID_EMPTY", "CONFIG_ID is required"))
}

async fn config_add(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let change = config_change(p)?;
    let id = channels::configure(&state.db, state.hub.as_ref(), &caller.actor, None, change).await?;
    Ok(json!(id.0).into())
}

async fn config_update(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = config_id(p)?;
    let change = config_change(p)?;
    channels::configure(&state.db, state.hub.as_ref(), &caller.actor, Some(id), change).await?;
    Ok(json!(true).into())
}

async fn config_delete(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = config_id(p)?;
    channels::delete_channel(&state.db, &caller.actor, id).await?;
    Ok(json!(true).into())
}

/// The `PARAMS` of `imopenlines.config.add / update`, read as Bitrix24 names them (keys
/// in any case). Keys Netlines has no setting for (`WORKTIME_*`, `CLOSE_RULE`…) are
/// ignored, as Bitrix24 ignores unknown ones; a known key with a wrong value is refused.
fn config_change(p: &Params) -> Result<ConfigChange, RestError> {
    let params: serde_json::Map<String, Value> = match p.get("PARAMS") {
        None => serde_json::Map::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), v.clone()))
            .collect(),
        Some(Value::Array(a)) if a.is_empty() => serde_json::Map::new(),
        Some(_) => return Err(RestError::bad("WRONG_REQUEST", "PARAMS must be an object")),
    };
    let text = |k: &str| -> Option<String> {
        match params.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let flag = |k: &str| -> Result<Option<bool>, RestError> {
        match params.get(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => match v
                .as_str()
                .map(str::trim)
                .or(v.as_i64().map(|n| if n == 0 { "N" } else { "Y" }))
            {
                Some("Y" | "y" | "1" | "true") => Ok(Some(true)),
                Some("N" | "n" | "0" | "false") => Ok(Some(false)),
                _ => Err(RestError::bad("WRONG_REQUEST", format!("{k} must be Y or N"))),
            },
        }
    };
    let mut change = ConfigChange::default();
    if params.contains_key("LINE_NAME") {
        change.name = Some(ChannelName::parse(&text("LINE_NAME").unwrap_or_default())?);
    }
    change.active = flag("ACTIVE")?;
    change.network = flag("NETWORK")?;
    if params.contains_key("QUEUE_TYPE") {
        let raw = text("QUEUE_TYPE").unwrap_or_default();
        change.distribution = Some(match raw.trim() {
            "evenly" => Distribution::Even,
            "strictly" => Distribution::Strict,
            "all" => Distribution::All,
            other => Distribution::parse(other)?,
        });
    }
    if params.contains_key("MAX_CHAT") {
        let raw = text("MAX_CHAT").unwrap_or_default();
        // Bitrix24's 0 is "no limit": the most Netlines allows.
        change.capacity = Some(if raw.trim() == "0" {
            Capacity::new(Capacity::MAX as i64)?
        } else {
            Capacity::parse(&raw)?
        });
    }
    if params.contains_key("QUEUE_TIME") {
        change.take = Some(TakeTime::parse(&text("QUEUE_TIME").unwrap_or_default())?);
    }
    if let Some(q) = params.get("QUEUE") {
        change.operators = Some(queue_param(q)?);
    }
    let welcome_on = flag("WELCOME_MESSAGE")?;
    if welcome_on == Some(false) {
        change.welcome_message = Some(String::new());
    } else if params.contains_key("WELCOME_MESSAGE_TEXT") {
        change.welcome_message = Some(channel_domain::welcome_message(
            &text("WELCOME_MESSAGE_TEXT").unwrap_or_default(),
        )?);
    }
    Ok(change)
}

/// `QUEUE`: `[{ENTITY_TYPE: "user", ENTITY_ID: 5}, …]` or plain user ids `[5, 7]`.
fn queue_param(q: &Value) -> Result<Vec<UserId>, RestError> {
    let items: Vec<&Value> = match q {
        Value::Array(a) => a.iter().collect(),
        // `QUEUE[a][ENTITY_ID]=5` (non-numeric keys) arrives as an object.
        Value::Object(m) => m.values().collect(),
        Value::String(s) if s.is_empty() => Vec::new(),
        _ => return Err(RestError::bad("WRONG_REQUEST", "QUEUE must be a list of users")),
    };
    let wrong = || {
        RestError::bad(
            "WRONG_REQUEST",
            "QUEUE entries must be {ENTITY_TYPE: \"user\", ENTITY_ID: user id} (departments are not supported)",
        )
    };
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let id = match item {
            Value::Object(m) => {
                let kind = m
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("ENTITY_TYPE"))
                    .and_then(|(_, v)| v.as_str())
                    .unwrap_or("user");
                if !kind.eq_ignore_ascii_case("user") {
                    return Err(wrong());
                }
                m.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("ENTITY_ID"))
                    .and_then(|(_, v)| number(v))
                    .ok_or_else(wrong)?
            }
            v => number(v).ok_or_else(wrong)?,
        };
        if !out.contains(&UserId(id)) {
            out.push(UserId(id));
        }
    }
    Ok(out)
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
        "user_code": conv::user_code_of(&state.db, id).await?.to_string(),
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

async fn operator_answer(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    inbox::answer(&state.db, state.hub.as_ref(), &caller.actor, id).await?;
    Ok(json!(true).into())
}

/// `TRANSFER_ID`: the user id of an operator of the conversation's channel (Bitrix24's
/// `queueN`, another open line, is refused: a conversation stays in its channel).
async fn operator_transfer(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let raw = p
        .text("TRANSFER_ID")
        .ok_or_else(|| RestError::bad("TRANSFER_ID_EMPTY", "TRANSFER_ID is required"))?;
    let to = raw.trim().parse::<i64>().map_err(|_| {
        RestError::bad(
            "WRONG_TRANSFER_ID",
            "TRANSFER_ID must be the user id of an operator of the conversation's channel",
        )
    })?;
    inbox::transfer(&state.db, state.hub.as_ref(), &caller.actor, id, UserId(to)).await?;
    Ok(json!(true).into())
}

/// The OAuth app behind the caller's token; events are an app's (Bitrix24: "Application
/// context required").
async fn caller_app(
    state: &AppState,
    caller: &RestCaller,
) -> Result<app::backend::entities::rest_app::Model, RestError> {
    let denied = || {
        RestError::new(
            StatusCode::FORBIDDEN,
            "WRONG_AUTH_TYPE",
            "Events are for OAuth apps: call with an app's access token",
        )
    };
    let id = caller.app.ok_or_else(denied)?;
    use sea_orm::EntityTrait;
    app::backend::entities::rest_app::Entity::find_by_id(id)
        .one(&state.db)
        .await
        .map_err(|_| RestError::from(AppError::Internal))?
        .ok_or_else(denied)
}

fn event_param(p: &Params) -> Result<&'static str, RestError> {
    let raw = p
        .text("event")
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| RestError::bad("ERROR_EVENT_NOT_FOUND", "event is required"))?;
    app_events::event_name(&raw).ok_or_else(|| {
        RestError::bad(
            "ERROR_EVENT_NOT_FOUND",
            format!(
                "Unknown event {}: Netlines raises {}",
                raw.trim(),
                app_events::EVENTS.join(", ")
            ),
        )
    })
}

/// `event` and `handler` (default: the app's handler URL). The handler must be a public
/// http(s) address unless the server's admin allows private ones.
async fn event_bind(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let app = caller_app(state, caller).await?;
    let event = event_param(p)?;
    // Open-line events carry conversations: the grant must include the scope that reads
    // them, and its member must be someone who reads conversations (an admin, or an
    // operator, who then gets those of the channels they serve).
    if !caller.has_scope("imopenlines") {
        return Err(RestError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "Open-line events need the imopenlines scope",
        ));
    }
    if !app::backend::policy::may_serve(caller.actor.role) {
        return Err(RestError::new(
            StatusCode::FORBIDDEN,
            "ACCESS_DENIED",
            "Only admins and operators, who read conversations, can receive open-line events",
        ));
    }
    let handler = p
        .text("handler")
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| app.handler_url.clone());
    if let Some(why) = app_events::handler_problem(&handler) {
        return Err(RestError::bad("WRONG_HANDLER_URL", why));
    }
    let url = url::Url::parse(&handler)
        .map_err(|_| RestError::bad("WRONG_HANDLER_URL", "handler must be an absolute http(s) URL"))?;
    app_events::resolve_handler(&url, state.config.events_allow_private)
        .await
        .map_err(|why| RestError::bad("WRONG_HANDLER_URL", why))?;
    match app_events::bind(
        &state.db,
        &app,
        caller.actor.user.0,
        event,
        &handler,
        app::backend::now_ms(),
    )
    .await?
    {
        app_events::Bound::Bound(_) => Ok(json!(true).into()),
        app_events::Bound::AppFull => Err(RestError::bad(
            "ERROR_EVENT_LIMIT",
            format!("An app binds at most {} handlers", app_events::MAX_BINDINGS),
        )),
        app_events::Bound::AccountFull => Err(RestError::bad(
            "ERROR_EVENT_LIMIT",
            format!(
                "The apps of an account bind at most {} handlers together",
                app_events::MAX_BINDINGS_PER_ACCOUNT
            ),
        )),
    }
}

async fn event_unbind(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let app = caller_app(state, caller).await?;
    let event = event_param(p)?;
    let handler = p
        .text("handler")
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    let count = app_events::unbind(&state.db, app.id, event, handler.as_deref()).await?;
    Ok(json!({ "count": count }).into())
}

async fn event_get(state: &AppState, caller: &RestCaller) -> Result<Output, RestError> {
    let app = caller_app(state, caller).await?;
    let list: Vec<Value> = app_events::list(&state.db, app.id)
        .await?
        .into_iter()
        .map(|b| json!({ "event": b.event, "handler": b.handler, "auth_type": "0", "offline": 0 }))
        .collect();
    Ok(json!(list).into())
}

/// `USER_CODE` (`network|channel|customer account|customer`, as `dialog.get` gives it)
/// → `{CHAT_ID}`: the customer's conversation an operator of the channel opens.
async fn session_open(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let raw = p
        .text("USER_CODE")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| RestError::bad("USER_CODE_EMPTY", "USER_CODE is required"))?;
    let code = conv::UserCode::parse(&raw).ok_or_else(|| {
        RestError::bad(
            "WRONG_USER_CODE",
            "USER_CODE must read network|LINE_ID|CUSTOMER_ACCOUNT_ID|CUSTOMER_USER_ID",
        )
    })?;
    let id = conv::open_by_user_code(&state.db, &caller.actor, code).await?;
    Ok(json!({ "CHAT_ID": id.0 }).into())
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
    let ms = conv::messages_by_id(
        &state.db,
        &viewer(caller, &side),
        id,
        p.int("LAST_ID"),
        p.int("FIRST_ID"),
        limit,
    )
    .await?;
    let mut users: Vec<Value> = Vec::new();
    let mut files: Vec<Value> = Vec::new();
    let messages: Vec<Value> = ms
        .iter()
        .map(|(mid, author, m)| {
            // Bitrix24's author_id: the writing user; 0 for the channel's own messages.
            let author_id = author.unwrap_or(0);
            if !users.iter().any(|u| u["id"] == author_id) {
                users.push(json!({"id": author_id, "name": m.author_name, "type": m.author}));
            }
            let date = super::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_millis(m.at as u64));
            let mut one = json!({
                "id": mid,
                "chat_id": id.0,
                "author_id": author_id,
                "author": m.author,
                "author_name": m.author_name,
                "seq": m.seq,
                "date": date,
                "text": m.body,
                "params": {},
            });
            if !m.files.is_empty() {
                one["params"] = json!({ "FILE_ID": m.files.iter().map(|f| f.id).collect::<Vec<_>>() });
                for f in &m.files {
                    files.push(file_json(id, f, &date, author_id, &m.author_name));
                }
            }
            if let Some(rich) = &m.rich {
                let (attach, keyboard) = rich.to_bitrix();
                if !rich.blocks.is_empty() {
                    one["params"]["ATTACH"] = attach;
                }
                if !rich.buttons.is_empty() {
                    one["params"]["KEYBOARD"] = keyboard;
                }
            }
            one
        })
        .collect();
    Ok(json!({ "chat_id": id.0, "messages": messages, "users": users, "files": files }).into())
}

async fn message_add(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let text = p
        .text("MESSAGE")
        .ok_or_else(|| RestError::bad("MESSAGE_EMPTY", "MESSAGE is required"))?;
    let body = MessageBody::parse(&text)?;
    let client_id = ClientMsgId::parse(&format!("rest-{}", app::backend::random_token(12)))?;
    let side = conv::side_of(&state.db, &caller.actor, &caller.user_name, id).await?;
    let ack = send_in(state, caller, side, id, &client_id, &body, &[]).await?;
    let mid = conv::message_id_of(&state.db, id, ack.seq)
        .await?
        .ok_or(AppError::Internal)?;
    Ok(json!(mid).into())
}

/// A file of a message as `im.dialog.messages.get` lists it (Bitrix24's `files`).
/// `urlShow` / `urlDownload` open it in a signed-in browser; REST callers download it
/// with their own credential at `/rest/download/{id}` (see the README).
fn file_json(chat: ConversationId, f: &FileView, date: &str, author_id: i64, author_name: &str) -> Value {
    let extension = f
        .name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    json!({
        "id": f.id,
        "chatId": chat.0,
        "date": date,
        "type": if f.is_image() { "image" } else { "file" },
        "name": f.name,
        "extension": extension,
        "size": f.size,
        "mime": f.mime,
        "image": match (f.width, f.height) {
            (Some(w), Some(h)) => json!({"width": w, "height": h}),
            _ => json!(false),
        },
        "status": "done",
        "progress": 100,
        "authorId": author_id,
        "authorName": author_name,
        "urlPreview": if f.is_image() { f.thumb_url() } else { String::new() },
        "urlShow": f.url(),
        "urlDownload": f.url(),
        "urlRest": format!("/rest/download/{}", f.id),
    })
}

/// The caller's way of seeing conversation `id` (as its operator or its customer).
fn viewer<'a>(caller: &'a RestCaller, side: &'a Side) -> Viewer<'a> {
    match side {
        Side::Operator => Viewer::Operator(&caller.actor),
        Side::Customer(c) => Viewer::Customer(c),
    }
}

/// `im.dialog.read`: read up to `MESSAGE_ID` (or everything), told live to the other
/// side as the pages' read receipts are.
async fn dialog_read(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let side = conv::side_of(&state.db, &caller.actor, &caller.user_name, id).await?;
    let seq = match p.int("MESSAGE_ID") {
        Some(mid) => conv::message_seq(&state.db, id, mid)
            .await?
            .ok_or_else(|| RestError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Message is not found"))?,
        None => i64::MAX,
    };
    let upto = app::backend::services::reads::mark_read(
        &state.db,
        state.hub.as_ref(),
        &viewer(caller, &side),
        id,
        seq,
    )
    .await?;
    let last_id = conv::message_id_of(&state.db, id, upto).await?;
    Ok(json!({
        "dialogId": format!("chat{}", id.0),
        "chatId": id.0,
        "lastId": last_id.unwrap_or(0),
        "seq": upto,
    })
    .into())
}

/// `im.dialog.writing`: the other side sees "… is typing" for a few seconds.
async fn dialog_writing(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let side = conv::side_of(&state.db, &caller.actor, &caller.user_name, id).await?;
    conv::typing(
        &state.db,
        state.hub.as_ref(),
        &viewer(caller, &side),
        id,
        &caller.user_name,
    )
    .await?;
    Ok(json!(true).into())
}

/// `im.disk.folder.get`: every conversation has one upload folder, numbered like it.
async fn folder_get(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    conv::side_of(&state.db, &caller.actor, &caller.user_name, id).await?;
    Ok(json!({ "ID": id.0, "CHAT_ID": id.0, "NAME": format!("chat{}", id.0) }).into())
}

/// `fileContent` = `[name, base64]` (a list, or `fileContent[0]` / `fileContent[1]`
/// in a form), with `data[NAME]` naming the file instead when given.
fn file_content(p: &Params, max_bytes: usize) -> Result<(String, Vec<u8>), RestError> {
    use base64::Engine as _;
    let wrong = || {
        RestError::bad(
            "ERROR_ARGUMENT",
            "fileContent must be [file name, base64 content]",
        )
    };
    let v = p.get("fileContent").ok_or_else(|| {
        RestError::bad(
            "ERROR_ARGUMENT",
            "fileContent is required: [file name, base64 content]",
        )
    })?;
    let (name, data) = match v {
        Value::Array(a) if a.len() == 2 => (a[0].as_str(), a[1].as_str()),
        Value::Object(m) => (
            m.get("0").and_then(Value::as_str),
            m.get("1").and_then(Value::as_str),
        ),
        _ => (None, None),
    };
    let (Some(name), Some(data)) = (name, data) else {
        return Err(wrong());
    };
    let name = p
        .get("data")
        .and_then(|d| d.get("NAME").or_else(|| d.get("name")))
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(name)
        .to_string();
    // Bounded before decoding: base64 takes 4 characters for every 3 bytes.
    let data = data.trim();
    if data.len() / 4 * 3 > max_bytes + 3 {
        return Err(file_error(Code::FileTooLarge));
    }
    let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| wrong())?;
    if bytes.len() > max_bytes {
        return Err(file_error(Code::FileTooLarge));
    }
    if bytes.is_empty() {
        return Err(file_error(Code::FileCorrupt));
    }
    Ok((name, bytes))
}

fn file_error(code: Code) -> RestError {
    crate::files::refuse(code).into()
}

/// `disk.folder.uploadfile`: `id` is a conversation's folder (`im.disk.folder.get`).
/// The file is checked, converted and stored as the pages' uploads are, and waits for
/// `im.disk.file.commit`.
async fn upload_file(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let folder = p.int("id").ok_or_else(|| {
        RestError::bad(
            "ERROR_ARGUMENT",
            "id (the folder of im.disk.folder.get) is required",
        )
    })?;
    let id = ConversationId(folder);
    // Rights before a byte is decoded; the cap on unsent uploads, the file itself and
    // the quotas before a byte is kept.
    conv::side_of(&state.db, &caller.actor, &caller.user_name, id).await?;
    let (name, bytes) = file_content(p, state.config.files.max_bytes)?;
    rest_uploads::ensure_room(&state.db, &caller.actor).await?;
    let ready = crate::files::prepare_files(vec![(name, bytes)]).await?;
    app::backend::services::storage::check_quota(
        &state.db,
        &state.config.quotas,
        caller.actor.user,
        caller.actor.account,
        crate::files::size_of(&ready),
    )
    .await?;
    let held = crate::files::keep(state.files.as_ref(), &ready).await?;
    let f = ready.into_iter().next().ok_or(AppError::Internal)?.file;
    let row = match rest_uploads::add(&state.db, &caller.actor, id, &f).await {
        Ok(row) => row,
        Err(e) => {
            app::backend::services::storage::discard(&state.db, state.files.as_ref(), held).await;
            return Err(e.into());
        }
    };
    drop(held);
    let at = super::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_millis(row.created_at as u64));
    Ok(json!({
        "ID": row.id,
        "NAME": row.name,
        "TYPE": "file",
        "PARENT_ID": folder,
        "STORAGE_ID": caller.actor.account.0,
        "SIZE": row.size,
        "MIME": row.mime,
        "CREATE_TIME": at,
        "UPDATE_TIME": at,
        "CREATED_BY": caller.actor.user.0,
        "DELETED_TYPE": 0,
    })
    .into())
}

/// `UPLOAD_ID` (or `DISK_ID`): one id or a list.
fn upload_ids(p: &Params) -> Vec<i64> {
    let v = p.get("UPLOAD_ID").or_else(|| p.get("DISK_ID"));
    let mut ids: Vec<i64> = match v {
        Some(Value::Array(a)) => a.iter().filter_map(int_of).collect(),
        Some(Value::Object(m)) => m.values().filter_map(int_of).collect(),
        Some(other) => int_of(other).into_iter().collect(),
        None => Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    ids.retain(|i| seen.insert(*i));
    ids
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `im.disk.file.commit`: sends uploaded files (with `MESSAGE` as the caption) as one
/// message. A repeated commit of the same uploads answers with the same message.
async fn file_commit(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let ids = upload_ids(p);
    if ids.is_empty() {
        return Err(RestError::bad("ERROR_ARGUMENT", "UPLOAD_ID is required"));
    }
    if ids.len() > state.config.files.max_per_message {
        return Err(file_error(Code::TooManyFiles));
    }
    let side = conv::side_of(&state.db, &caller.actor, &caller.user_name, id).await?;
    let message_id = match rest_uploads::for_commit(&state.db, &caller.actor, id, &ids).await? {
        rest_uploads::Commit::Sent(m) => m,
        rest_uploads::Commit::Mixed => {
            return Err(RestError::bad(
                "ERROR_ARGUMENT",
                "Some of these files were already sent in another message",
            ))
        }
        rest_uploads::Commit::Send(files) => {
            let body = crate::files::caption(&p.text("MESSAGE").unwrap_or_default(), &files)?;
            let client_id = ClientMsgId::parse(&format!("rest-upload-{}", ids[0]))?;
            let ack = send_in(state, caller, side, id, &client_id, &body, &files).await?;
            let mid = conv::message_id_of(&state.db, id, ack.seq)
                .await?
                .ok_or(AppError::Internal)?;
            rest_uploads::mark_sent(&state.db, &ids, mid).await?;
            mid
        }
    };
    let sent = attachments::of_message(&state.db, message_id).await?;
    let mut by_upload = serde_json::Map::new();
    for (upload, a) in ids.iter().zip(sent.iter()) {
        by_upload.insert(
            format!("upload{upload}"),
            json!({"id": a.id, "name": a.name, "size": a.size, "mime": a.mime, "urlRest": format!("/rest/download/{}", a.id)}),
        );
    }
    Ok(json!({
        "MESSAGE_ID": message_id,
        "FILE_ID": sent.iter().map(|a| a.id).collect::<Vec<_>>(),
        "FILES": by_upload,
    })
    .into())
}

/// One `$result[cmd][FIELD]…` reference found in a text: where it starts and ends, which
/// earlier answer it names, and the path into it.
struct Reference {
    start: usize,
    end: usize,
    source: usize,
    path: Vec<String>,
}

/// The references of `text` to the earlier answers named in `sources`
/// (`$result[cmd]`, `$result[cmd][FIELD]`, deeper `[…]` too; `$result_total[cmd]`…).
fn references(text: &str, sources: &[&str]) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find('$') {
        let start = at + found;
        at = start + 1;
        let rest = &text[start + 1..];
        // The longest name first: `result_total` before `result`.
        let Some((source, name)) = sources
            .iter()
            .enumerate()
            .filter(|(_, n)| rest.starts_with(**n) && rest[n.len()..].starts_with('['))
            .max_by_key(|(_, n)| n.len())
        else {
            continue;
        };
        let mut pos = start + 1 + name.len();
        let mut path = Vec::new();
        while text[pos..].starts_with('[') {
            let Some(close) = text[pos + 1..].find(']') else {
                break;
            };
            path.push(text[pos + 1..pos + 1 + close].to_string());
            pos += close + 2;
        }
        if !path.is_empty() {
            out.push(Reference {
                start,
                end: pos,
                source,
                path,
            });
            at = pos;
        }
    }
    out
}

/// Replaces references to earlier commands' answers in a command's parameters, as
/// Bitrix24 does: a value that is exactly one reference becomes the referenced value
/// (a list or an object stays one); references inside a longer text are replaced by
/// the referenced number or text. A reference to nothing is left as it was.
/// References resolved in one command at most (each may copy a whole earlier answer,
/// so the copies a command can make are bounded); further ones are left as written.
const MAX_REFERENCES: usize = 100;
/// Bytes (as JSON) that references may copy into the commands of one batch, all
/// commands together: a chain of commands each copying the one before cannot grow
/// memory and work beyond this. Past it, a command is refused (`ERROR_BATCH_LIMIT`).
const MAX_REFERENCE_BYTES: usize = 256 * 1024;

/// What references may still copy: how many in this command, how many bytes in this
/// batch; `over` once a copy was refused.
struct RefBudget {
    refs: usize,
    bytes: usize,
    over: bool,
}

impl RefBudget {
    fn new(bytes: usize) -> Self {
        Self {
            refs: MAX_REFERENCES,
            bytes,
            over: false,
        }
    }

    /// Takes `v`'s size (as JSON) from the byte budget; false when it does not fit.
    fn take(&mut self, v: &Value) -> bool {
        struct Count(usize);
        impl std::io::Write for Count {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0 += b.len();
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut c = Count(0);
        let _ = serde_json::to_writer(&mut c, v);
        if c.0 > self.bytes {
            self.over = true;
            return false;
        }
        self.bytes -= c.0;
        true
    }
}

fn resolve_references(
    v: &mut Value,
    sources: &[(&str, &serde_json::Map<String, Value>)],
    budget: &mut RefBudget,
) {
    match v {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| resolve_references(i, sources, budget)),
        Value::Object(m) => m
            .values_mut()
            .for_each(|i| resolve_references(i, sources, budget)),
        Value::String(text) => {
            let names: Vec<&str> = sources.iter().map(|(n, _)| *n).collect();
            let mut refs = references(text, &names);
            refs.truncate(budget.refs);
            budget.refs -= refs.len();
            let lookup = |r: &Reference| -> Option<Value> {
                let mut cur = sources[r.source].1.get(&r.path[0])?;
                for step in &r.path[1..] {
                    cur = match cur {
                        Value::Object(m) => m.get(step).or_else(|| {
                            m.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case(step))
                                .map(|(_, v)| v)
                        })?,
                        Value::Array(a) => a.get(step.parse::<usize>().ok()?)?,
                        _ => return None,
                    };
                }
                Some(cur.clone())
            };
            if let [only] = refs.as_slice() {
                if only.start == 0 && only.end == text.len() {
                    if let Some(found) = lookup(only) {
                        if budget.take(&found) {
                            *v = found;
                        }
                    }
                    return;
                }
            }
            let mut out = String::with_capacity(text.len());
            let mut last = 0;
            for r in &refs {
                let scalar = match lookup(r) {
                    Some(Value::String(s)) => Some(s),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    Some(Value::Bool(b)) => Some(if b { "1".into() } else { String::new() }),
                    _ => None,
                };
                let scalar = scalar.filter(|s| budget.take(&Value::String(s.clone())));
                if let Some(s) = scalar {
                    out.push_str(&text[last..r.start]);
                    out.push_str(&s);
                    last = r.end;
                }
            }
            out.push_str(&text[last..]);
            *text = out;
        }
        _ => {}
    }
}

/// A keyed result as PHP's `json_encode` writes an array, which is what Bitrix24 answers:
/// empty → `[]`; keys exactly 0, 1, 2… in order → a list; anything else → an object in
/// the order the commands ran.
fn php_array(m: serde_json::Map<String, Value>) -> Value {
    if m.keys().enumerate().all(|(i, k)| *k == i.to_string()) {
        Value::Array(m.into_iter().map(|(_, v)| v).collect())
    } else {
        Value::Object(m)
    }
}

/// Writes in conversation `id` on the caller's side of it (operator or customer), with
/// `files` attached, through the same idempotent, sequenced path as the pages.
async fn send_in(
    state: &AppState,
    caller: &RestCaller,
    side: Side,
    id: ConversationId,
    client_id: &ClientMsgId,
    body: &MessageBody,
    files: &[conv::NewFile],
) -> Result<conv::Ack, AppError> {
    match side {
        Side::Operator => {
            conv::operator_send_files(
                &state.db,
                state.hub.as_ref(),
                &caller.actor,
                &caller.user_name,
                id,
                client_id,
                body,
                files,
            )
            .await
        }
        Side::Customer(c) => {
            let code = conv::code_of(&state.db, id).await?;
            conv::customer_send_files(
                &state.db,
                state.hub.as_ref(),
                &c,
                &code,
                Target::Existing(id),
                client_id,
                body,
                files,
            )
            .await
        }
    }
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
    // `halt`: 1, "1", "Y", "true" or JSON true (the official SDKs send a boolean).
    let halt = match p.get("HALT") {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => matches!(s.trim(), "1" | "Y" | "y" | "true"),
        _ => false,
    };
    let (mut results, mut errors, mut totals, mut nexts, mut times) = (
        serde_json::Map::new(),
        serde_json::Map::new(),
        serde_json::Map::new(),
        serde_json::Map::new(),
        serde_json::Map::new(),
    );
    let mut bytes_left = MAX_REFERENCE_BYTES;
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
                Ok(mut p) => {
                    let earlier = [
                        ("result", &results),
                        ("result_total", &totals),
                        ("result_next", &nexts),
                    ];
                    let mut budget = RefBudget::new(bytes_left);
                    for v in p.0.values_mut() {
                        resolve_references(v, &earlier, &mut budget);
                    }
                    bytes_left = budget.bytes;
                    if budget.over {
                        Err(RestError::bad(
                            "ERROR_BATCH_LIMIT",
                            format!(
                                "References copy more than {} KB into the commands of one batch",
                                MAX_REFERENCE_BYTES / 1024
                            ),
                        ))
                    } else {
                        call(state, caller, &method, &p).await
                    }
                }
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
    let shape = php_array;
    Ok(json!({
        "result": shape(results),
        "result_error": shape(errors),
        "result_total": shape(totals),
        "result_next": shape(nexts),
        "result_time": shape(times),
    })
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert(
            "user".into(),
            json!({"ID": 7, "NAME": "Bob", "UF_DEPARTMENT": [3, 5]}),
        );
        m.insert("lines".into(), json!([{"ID": 11}, {"ID": 12}]));
        m.insert("n".into(), json!(4));
        m
    }

    fn resolved(v: Value) -> Value {
        let (results, totals) = (
            answers(),
            serde_json::Map::from_iter([("lines".to_string(), json!(2))]),
        );
        let mut v = v;
        resolve_references(
            &mut v,
            &[("result", &results), ("result_total", &totals)],
            &mut RefBudget::new(MAX_REFERENCE_BYTES),
        );
        v
    }

    #[test]
    fn a_command_resolves_a_bounded_number_of_references() {
        let results = answers();
        let mut v = json!(vec!["$result[n]"; MAX_REFERENCES + 5]);
        let mut budget = RefBudget::new(MAX_REFERENCE_BYTES);
        resolve_references(&mut v, &[("result", &results)], &mut budget);
        let items = v.as_array().unwrap();
        assert_eq!(items.iter().filter(|i| **i == json!(4)).count(), MAX_REFERENCES);
        assert_eq!(items.last().unwrap(), "$result[n]");
    }

    #[test]
    fn references_copy_a_bounded_number_of_bytes_per_batch() {
        let big = json!({"list": vec!["x".repeat(1000); 10]});
        let results = serde_json::Map::from_iter([("big".to_string(), big)]);
        // Each copy is ~10 KB: 20 of them fit in 256 KB across commands, not 30.
        let mut budget = RefBudget::new(MAX_REFERENCE_BYTES);
        let mut copied = 0;
        for _ in 0..3 {
            budget.refs = MAX_REFERENCES;
            let mut v = json!(vec!["$result[big]"; 10]);
            resolve_references(&mut v, &[("result", &results)], &mut budget);
            copied += v.as_array().unwrap().iter().filter(|i| i.is_object()).count();
        }
        assert!(budget.over);
        assert!((20..=26).contains(&copied), "{copied}");
    }

    #[test]
    fn a_whole_reference_becomes_the_value_it_names() {
        assert_eq!(resolved(json!("$result[user][UF_DEPARTMENT]")), json!([3, 5]));
        assert_eq!(resolved(json!("$result[user]"))["NAME"], "Bob");
        assert_eq!(resolved(json!("$result[lines][1][ID]")), json!(12));
        assert_eq!(
            resolved(json!("$result[user][name]")),
            json!("Bob"),
            "field names as Bitrix24: any case"
        );
        assert_eq!(resolved(json!("$result_total[lines]")), json!(2));
    }

    #[test]
    fn references_inside_a_text_are_replaced_by_their_text() {
        assert_eq!(resolved(json!("chat$result[user][ID]")), json!("chat7"));
        assert_eq!(
            resolved(json!({"A": ["$result[n] of $result_total[lines]", "x"]})),
            json!({"A": ["4 of 2", "x"]})
        );
    }

    #[test]
    fn references_to_nothing_and_lookalikes_stay_as_they_were() {
        for text in [
            "$result[missing]",
            "$result[user][NOPE]",
            "$result[lines][9][ID]",
            "$results[user]",
            "$result",
            "costs $5",
            "$result[user",
        ] {
            assert_eq!(resolved(json!(text)), json!(text), "{text}");
        }
        assert_eq!(
            resolved(json!("$result[user][UF_DEPARTMENT] x")),
            json!("$result[user][UF_DEPARTMENT] x"),
            "a list has no text"
        );
    }

    #[test]
    fn lists_page_by_fifty_with_total_and_next() {
        let list: Vec<Value> = (0..120).map(|i| json!(i)).collect();
        let p = |start: Option<i64>| {
            let mut m = serde_json::Map::new();
            if let Some(s) = start {
                m.insert("START".into(), json!(s));
            }
            Params(m)
        };
        let first = page(list.clone(), &p(None));
        assert_eq!((first.total, first.next), (Some(120), Some(50)));
        assert_eq!(first.result[0], 0);
        let last = page(list.clone(), &p(Some(100)));
        assert_eq!((last.result.as_array().unwrap().len(), last.next), (20, None));
        assert_eq!(last.result[0], 100);
        let past = page(list.clone(), &p(Some(500)));
        assert_eq!((past.result, past.next), (json!([]), None));
        let negative = page(list, &p(Some(-3)));
        assert_eq!(negative.result[0], 0);
    }
}
