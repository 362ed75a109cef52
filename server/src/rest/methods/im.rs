//! `im.*`: a conversation's messages, writing, read state and typing.

#[allow(unused_imports)]
use super::*;

pub(super) async fn messages_get(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let limit = p.int("LIMIT").unwrap_or(20).clamp(1, 50) as u64;
    let side = conv::party_of(&state.db, &caller.actor, &caller.user_name, id).await?;
    let ms = conv::messages_by_id(
        &state.db,
        &side.viewer(),
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
            let date =
                super::super::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_millis(m.at as u64));
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

pub(super) async fn message_add(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let text = p
        .text("MESSAGE")
        .ok_or_else(|| RestError::bad("MESSAGE_EMPTY", "MESSAGE is required"))?;
    let body = MessageBody::parse(&text)?;
    let client_id = ClientMsgId::parse(&format!("rest-{}", app::backend::random_token(12)))?;
    let side = conv::party_of(&state.db, &caller.actor, &caller.user_name, id).await?;
    let ack = send_in(state, side, id, &client_id, &body, &[]).await?;
    let mid = conv::message_id_of(&state.db, id, ack.seq)
        .await?
        .ok_or(AppError::Internal)?;
    Ok(json!(mid).into())
}

/// A file of a message as `im.dialog.messages.get` lists it (Bitrix24's `files`).
/// `urlShow` / `urlDownload` open it in a signed-in browser; REST callers download it
/// with their own credential at `/rest/download/{id}` (see the README).
pub(super) fn file_json(
    chat: ConversationId,
    f: &FileView,
    date: &str,
    author_id: i64,
    author_name: &str,
) -> Value {
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

/// `im.dialog.read`: read up to `MESSAGE_ID` (or everything), told live to the other
/// side as the pages' read receipts are.
pub(super) async fn dialog_read(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let side = conv::party_of(&state.db, &caller.actor, &caller.user_name, id).await?;
    let seq = match p.int("MESSAGE_ID") {
        Some(mid) => conv::message_seq(&state.db, id, mid)
            .await?
            .ok_or_else(|| RestError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Message is not found"))?,
        None => i64::MAX,
    };
    let upto =
        app::backend::services::reads::mark_read(&state.db, state.hub.as_ref(), &side.viewer(), id, seq)
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
pub(super) async fn dialog_writing(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let side = conv::party_of(&state.db, &caller.actor, &caller.user_name, id).await?;
    conv::typing(
        &state.db,
        state.hub.as_ref(),
        &side.viewer(),
        id,
        &caller.user_name,
    )
    .await?;
    Ok(json!(true).into())
}
