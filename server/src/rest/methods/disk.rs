//! Files: the conversation's upload folder, uploading (`disk.folder.uploadfile`) and
//! sending uploads (`im.disk.file.commit`).

#[allow(unused_imports)]
use super::*;

/// `im.disk.folder.get`: every conversation has one upload folder, numbered like it.
pub(super) async fn folder_get(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    conv::party_of(&state.db, &caller.actor, &caller.user_name, id).await?;
    Ok(json!({ "ID": id.0, "CHAT_ID": id.0, "NAME": format!("chat{}", id.0) }).into())
}

/// `fileContent` = `[name, base64]` (a list, or `fileContent[0]` / `fileContent[1]`
/// in a form), with `data[NAME]` naming the file instead when given.
pub(super) fn file_content(p: &Params, max_bytes: usize) -> Result<(String, Vec<u8>), RestError> {
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

pub(super) fn file_error(code: Code) -> RestError {
    crate::files::refuse(code).into()
}

/// `disk.folder.uploadfile`: `id` is a conversation's folder (`im.disk.folder.get`).
/// The file is checked, converted and stored as the pages' uploads are, and waits for
/// `im.disk.file.commit`.
pub(super) async fn upload_file(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let folder = p.int("id").ok_or_else(|| {
        RestError::bad(
            "ERROR_ARGUMENT",
            "id (the folder of im.disk.folder.get) is required",
        )
    })?;
    let id = ConversationId(folder);
    // Rights before a byte is decoded; the cap on unsent uploads, the file itself and
    // the quotas before a byte is kept.
    conv::party_of(&state.db, &caller.actor, &caller.user_name, id).await?;
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
    let at = super::super::rfc3339(
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(row.created_at as u64),
    );
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
pub(super) fn upload_ids(p: &Params) -> Vec<i64> {
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

pub(super) fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `im.disk.file.commit`: sends uploaded files (with `MESSAGE` as the caption) as one
/// message. A repeated commit of the same uploads answers with the same message.
pub(super) async fn file_commit(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let ids = upload_ids(p);
    if ids.is_empty() {
        return Err(RestError::bad("ERROR_ARGUMENT", "UPLOAD_ID is required"));
    }
    if ids.len() > state.config.files.max_per_message {
        return Err(file_error(Code::TooManyFiles));
    }
    let side = conv::party_of(&state.db, &caller.actor, &caller.user_name, id).await?;
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
            let ack = send_in(state, side, id, &client_id, &body, &files).await?;
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
