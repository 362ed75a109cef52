//! The REST methods. Each checks the caller's rights exactly as the pages do, through
//! the same services.

mod disk;
mod events;
mod im;
mod openlines;

use super::params::Params;
use super::{Output, RestError};
use app::backend::messaging::{self, Append, Target};
use app::backend::principal::{Customer, Party};
use app::backend::services::channels::ConfigChange;
use app::backend::services::conversations as conv;
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
        "imopenlines.network.join" => openlines::network_join(state, caller, p).await,
        "imopenlines.network.message.add" => openlines::network_message_add(state, caller, p).await,
        "imopenlines.config.get" => openlines::config_get(state, caller, p).await,
        "imopenlines.config.add" => openlines::config_add(state, caller, p).await,
        "imopenlines.config.update" => openlines::config_update(state, caller, p).await,
        "imopenlines.config.delete" => openlines::config_delete(state, caller, p).await,
        "imopenlines.config.list.get" => openlines::config_list(state, caller, p).await,
        "imopenlines.dialog.get" => openlines::dialog_get(state, caller, p).await,
        "imopenlines.operator.finish" => openlines::operator_finish(state, caller, p).await,
        "imopenlines.operator.skip" => openlines::operator_skip(state, caller, p).await,
        "imopenlines.operator.answer" => openlines::operator_answer(state, caller, p).await,
        "imopenlines.operator.transfer" => openlines::operator_transfer(state, caller, p).await,
        "imopenlines.message.session.start" => openlines::session_start(state, caller, p).await,
        "imopenlines.session.open" => openlines::session_open(state, caller, p).await,
        "event.bind" => events::event_bind(state, caller, p).await,
        "event.unbind" => events::event_unbind(state, caller, p).await,
        "event.get" => events::event_get(state, caller).await,
        "im.dialog.messages.get" => im::messages_get(state, caller, p).await,
        "im.message.add" => im::message_add(state, caller, p).await,
        "im.dialog.read" => im::dialog_read(state, caller, p).await,
        "im.dialog.writing" => im::dialog_writing(state, caller, p).await,
        "im.disk.folder.get" => disk::folder_get(state, caller, p).await,
        "disk.folder.uploadfile" => disk::upload_file(state, caller, p).await,
        "im.disk.file.commit" => disk::file_commit(state, caller, p).await,
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

/// Writes in conversation `id` as `party` (the caller, operator or customer), with
/// `files` attached, through the same idempotent, sequenced path as the pages.
async fn send_in(
    state: &AppState,
    party: Party,
    id: ConversationId,
    client_id: &ClientMsgId,
    body: &MessageBody,
    files: &[messaging::NewFile],
) -> Result<messaging::Ack, AppError> {
    let append = Append {
        party,
        target: Target::Existing(id),
        client_id: client_id.clone(),
        body: body.clone(),
    };
    messaging::send(&state.db, state.hub.as_ref(), &append, files).await
}

#[cfg(test)]
mod tests {
    use super::*;

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
