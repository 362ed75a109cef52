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
use futures::future::BoxFuture;
use serde_json::{json, Value};

/// How a method runs: the caller's request, answered.
type Run = for<'a> fn(&'a AppState, &'a RestCaller, &'a Params) -> BoxFuture<'a, Result<Output, RestError>>;

/// One REST method: its name, the scope a credential needs for it, a one-line summary
/// (also the OpenAPI document's) and its handler, by family in `openlines`, `im`,
/// `disk` and `events`.
pub struct Method {
    pub name: &'static str,
    pub scope: &'static str,
    pub summary: &'static str,
    run: Run,
}

/// Every method, in the order the OpenAPI document lists them.
pub static METHODS: [Method; 24] = [
    Method {
        name: "imopenlines.network.join",
        scope: "imopenlines",
        summary: "Join an external channel by its CODE",
        run: |s, c, p| Box::pin(openlines::network_join(s, c, p)),
    },
    Method {
        name: "imopenlines.network.message.add",
        scope: "imopenlines",
        summary: "Send a message from a joined channel to a user of this account",
        run: |s, c, p| Box::pin(openlines::network_message_add(s, c, p)),
    },
    Method {
        name: "imopenlines.config.get",
        scope: "imopenlines",
        summary: "One open channel of this account (CONFIG_ID)",
        run: |s, c, p| Box::pin(openlines::config_get(s, c, p)),
    },
    Method {
        name: "imopenlines.config.list.get",
        scope: "imopenlines",
        summary: "The open channels of this account the caller may see",
        run: |s, c, p| Box::pin(openlines::config_list(s, c, p)),
    },
    Method {
        name: "imopenlines.config.add",
        scope: "imopenlines",
        summary: "Create an open channel (PARAMS: LINE_NAME, ACTIVE, QUEUE, QUEUE_TYPE, MAX_CHAT, QUEUE_TIME, WELCOME_MESSAGE_TEXT, NETWORK); answers its ID",
        run: |s, c, p| Box::pin(openlines::config_add(s, c, p)),
    },
    Method {
        name: "imopenlines.config.update",
        scope: "imopenlines",
        summary: "Change an open channel (CONFIG_ID, PARAMS as for config.add; only what is given changes)",
        run: |s, c, p| Box::pin(openlines::config_update(s, c, p)),
    },
    Method {
        name: "imopenlines.config.delete",
        scope: "imopenlines",
        summary: "Delete an open channel nobody has used yet (CONFIG_ID); one with conversations is switched off instead",
        run: |s, c, p| Box::pin(openlines::config_delete(s, c, p)),
    },
    Method {
        name: "imopenlines.dialog.get",
        scope: "imopenlines",
        summary: "A conversation (CHAT_ID or DIALOG_ID=chatN)",
        run: |s, c, p| Box::pin(openlines::dialog_get(s, c, p)),
    },
    Method {
        name: "imopenlines.operator.finish",
        scope: "imopenlines",
        summary: "Finish a conversation (CHAT_ID)",
        run: |s, c, p| Box::pin(openlines::operator_finish(s, c, p)),
    },
    Method {
        name: "imopenlines.operator.skip",
        scope: "imopenlines",
        summary: "Give the caller's conversation back to the queue (CHAT_ID)",
        run: |s, c, p| Box::pin(openlines::operator_skip(s, c, p)),
    },
    Method {
        name: "imopenlines.operator.answer",
        scope: "imopenlines",
        summary: "Take a waiting conversation of a channel whose queue the caller is in (CHAT_ID)",
        run: |s, c, p| Box::pin(openlines::operator_answer(s, c, p)),
    },
    Method {
        name: "imopenlines.operator.transfer",
        scope: "imopenlines",
        summary: "Hand a conversation to another operator of its channel (CHAT_ID, TRANSFER_ID = user id)",
        run: |s, c, p| Box::pin(openlines::operator_transfer(s, c, p)),
    },
    Method {
        name: "imopenlines.message.session.start",
        scope: "imopenlines",
        summary: "Start a new conversation from a customer message (CHAT_ID, MESSAGE_ID)",
        run: |s, c, p| Box::pin(openlines::session_start(s, c, p)),
    },
    Method {
        name: "event.bind",
        scope: "",
        summary: "Bind an event (ONOPENLINEMESSAGEADD, ONSESSIONSTART, ONSESSIONFINISH) to a handler URL (OAuth apps only)",
        run: |s, c, p| Box::pin(events::event_bind(s, c, p)),
    },
    Method {
        name: "event.unbind",
        scope: "",
        summary: "Unbind an event (of one handler, or of all) (OAuth apps only)",
        run: |s, c, p| Box::pin(events::event_unbind(s, c, p)),
    },
    Method {
        name: "event.get",
        scope: "",
        summary: "The app's event bindings (OAuth apps only)",
        run: |s, c, _| Box::pin(events::event_get(s, c)),
    },
    Method {
        name: "imopenlines.session.open",
        scope: "imopenlines",
        summary: "The conversation of a customer by USER_CODE (network|LINE_ID|CUSTOMER_ACCOUNT_ID|CUSTOMER_USER_ID) → CHAT_ID",
        run: |s, c, p| Box::pin(openlines::session_open(s, c, p)),
    },
    Method {
        name: "im.dialog.messages.get",
        scope: "im",
        summary: "Messages of a conversation (DIALOG_ID, LAST_ID, FIRST_ID, LIMIT ≤ 50)",
        run: |s, c, p| Box::pin(im::messages_get(s, c, p)),
    },
    Method {
        name: "im.message.add",
        scope: "im",
        summary: "Write in a conversation (DIALOG_ID, MESSAGE)",
        run: |s, c, p| Box::pin(im::message_add(s, c, p)),
    },
    Method {
        name: "im.dialog.read",
        scope: "im",
        summary: "Mark a conversation read (DIALOG_ID, MESSAGE_ID: up to that message; else all)",
        run: |s, c, p| Box::pin(im::dialog_read(s, c, p)),
    },
    Method {
        name: "im.dialog.writing",
        scope: "im",
        summary: "Show the other side that the caller is typing (DIALOG_ID)",
        run: |s, c, p| Box::pin(im::dialog_writing(s, c, p)),
    },
    Method {
        name: "im.disk.folder.get",
        scope: "im",
        summary: "The upload folder of a conversation (CHAT_ID); its ID goes to disk.folder.uploadfile",
        run: |s, c, p| Box::pin(disk::folder_get(s, c, p)),
    },
    Method {
        name: "disk.folder.uploadfile",
        scope: "im",
        summary: "Upload a file into a conversation's folder (id, fileContent=[name, base64]); sent by im.disk.file.commit",
        run: |s, c, p| Box::pin(disk::upload_file(s, c, p)),
    },
    Method {
        name: "im.disk.file.commit",
        scope: "im",
        summary: "Send uploaded files as one message (CHAT_ID, UPLOAD_ID or UPLOAD_ID[], MESSAGE)",
        run: |s, c, p| Box::pin(disk::file_commit(s, c, p)),
    },
];

/// Calls one method (not `batch`).
/// Is `method` one of ours (`batch` aside)?
pub fn is_known(method: &str) -> bool {
    METHODS.iter().any(|m| m.name == method)
}

pub async fn call(
    state: &AppState,
    caller: &RestCaller,
    method: &str,
    p: &Params,
) -> Result<Output, RestError> {
    let Some(m) = METHODS.iter().find(|m| m.name == method) else {
        return Err(RestError::new(
            StatusCode::NOT_FOUND,
            "ERROR_METHOD_NOT_FOUND",
            format!("Method not found: {method}"),
        ));
    };
    let scope = m.scope;
    if !scope.is_empty() && !caller.has_scope(scope) {
        return Err(RestError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("The request requires higher privileges than provided by the credential (scope {scope})"),
        ));
    }
    (m.run)(state, caller, p).await
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
