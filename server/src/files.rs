//! Attachments: uploading files with a message (the customer's chat page and the
//! operators' inbox), and opening them.
//!
//! An upload is one multipart request: `client_id`, `conversation`, an optional `body`
//! (the caption) and up to [`app::backend::config::FileLimits::max_per_message`]
//! `files`. The right to write in the conversation is checked from the session before
//! a byte of the body is read; each file is then read up to the size limit (the route's
//! body limit bounds the whole), recognised by its content, pictures are decoded within
//! limits and written again (metadata gone) with a thumbnail, the bytes go to the file
//! store by content hash, and the message goes through the same idempotent, sequenced
//! path as text (a retried upload with the same `client_id` is stored once).
//!
//! Answers: JSON (`{conversation, seq, at}` or the error) when the request asks for
//! `application/json` (the pages' scripts), else a redirect back to the page (plain
//! forms, without JavaScript).

use crate::respond::see_other;
use app::api::SessionUser;
use app::backend::config::FileLimits;
use app::backend::entities::attachment;
use app::backend::files::{self, FileStore};
use app::backend::messaging::{self, Ack, Append, NewFile, Target};
use app::backend::principal::Party;
use app::backend::services::attachments;
use app::backend::services::conversations as conv;
use app::backend::services::storage;
use app::backend::AppState;
use app::backend::OrInternal;
use app::domain::channel::ChannelCode;
use app::domain::conversation::{ClientMsgId, MessageBody};
use app::domain::{AccountId, ConversationId, UserId};
use app::error::{AppError, Code, Field};
use app::util::with_query;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;

/// The largest upload request the routes accept: the files of one message together,
/// plus the form's text fields.
pub fn body_limit(limits: &FileLimits) -> usize {
    limits.max_bytes.saturating_mul(2) + 64 * 1024
}

pub(crate) fn refuse(code: Code) -> AppError {
    AppError::Invalid {
        field: Field::Files,
        code,
    }
}

/// What an upload form sent.
#[derive(Default)]
struct Upload {
    client_id: String,
    conversation: String,
    body: String,
    files: Vec<(String, Vec<u8>)>,
}

/// What a body that could not be read whole means to the user.
fn body_error(e: &axum::extract::multipart::MultipartError) -> AppError {
    if crate::uploads::is_too_slow(e) {
        refuse(Code::UploadTooSlow)
    } else if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        refuse(Code::FileTooLarge)
    } else {
        refuse(Code::FileCorrupt)
    }
}

/// Reads the form: text fields, and each file up to the per-file limit.
async fn read_upload(mut mp: Multipart, limits: &FileLimits) -> Result<Upload, AppError> {
    let mut up = Upload::default();
    let mut total = 0usize;
    loop {
        let mut field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(body_error(&e)),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "files" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let mut bytes = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if bytes.len() + chunk.len() > limits.max_bytes {
                            return Err(refuse(Code::FileTooLarge));
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => return Err(body_error(&e)),
                }
            }
            // A plain form sends an empty part when no file was chosen.
            if file_name.is_empty() && bytes.is_empty() {
                continue;
            }
            if up.files.len() == limits.max_per_message {
                return Err(refuse(Code::TooManyFiles));
            }
            total += bytes.len();
            if total > limits.max_bytes.saturating_mul(2) {
                return Err(refuse(Code::FileTooLarge));
            }
            up.files.push((file_name, bytes));
            continue;
        }
        let value = field.text().await.map_err(|e| body_error(&e))?;
        match name.as_str() {
            "client_id" => up.client_id = value,
            "conversation" => up.conversation = value,
            "body" => up.body = value,
            _ => {}
        }
    }
    Ok(up)
}

/// A file recognised and made ready in memory, its bytes not kept yet.
pub(crate) struct ReadyFile {
    pub file: NewFile,
    /// The content keys and bytes to keep: the file, and an image's thumbnail.
    blobs: Vec<(String, Vec<u8>)>,
}

/// Recognises and converts the files (pictures decoded one per CPU at a time); nothing
/// is written. Names lose bidirectional controls and runnable extensions.
pub(crate) async fn prepare_files(raw: Vec<(String, Vec<u8>)>) -> Result<Vec<ReadyFile>, AppError> {
    let mut out = Vec::with_capacity(raw.len());
    for (name, bytes) in raw {
        let kind = files::sniff(&bytes, &files::clean_name(&name)).ok_or_else(|| refuse(Code::FileType))?;
        let name = files::safe_name(&name, kind);
        if kind.is_image() {
            let permit = files::decode_permits().acquire().await.or_internal()?;
            let picture = tokio::task::spawn_blocking(move || files::picture(&bytes, kind))
                .await
                .or_internal()??;
            drop(permit);
            let key = files::key_of(&picture.full);
            let thumb_key = files::key_of(&picture.thumb);
            out.push(ReadyFile {
                file: NewFile {
                    key: key.clone(),
                    thumb_key: Some(thumb_key.clone()),
                    name,
                    mime: kind.mime().into(),
                    size: picture.full.len() as i64,
                    width: Some(picture.width),
                    height: Some(picture.height),
                },
                blobs: vec![(key, picture.full), (thumb_key, picture.thumb)],
            });
        } else {
            let key = files::key_of(&bytes);
            out.push(ReadyFile {
                file: NewFile {
                    key: key.clone(),
                    thumb_key: None,
                    name,
                    mime: kind.mime().into(),
                    size: bytes.len() as i64,
                    width: None,
                    height: None,
                },
                blobs: vec![(key, bytes)],
            });
        }
    }
    Ok(out)
}

/// Bytes the files will take in the store.
pub(crate) fn size_of(ready: &[ReadyFile]) -> i64 {
    ready
        .iter()
        .flat_map(|r| r.blobs.iter())
        .map(|(_, b)| b.len() as i64)
        .sum()
}

/// Writes the files' bytes to the store, held in flight (the caller discards them with
/// [`storage::discard`] if the message is refused, or drops the hold once it is stored).
pub(crate) async fn keep<'a>(
    store: &dyn FileStore,
    ready: &[ReadyFile],
) -> Result<storage::Held<'a>, AppError> {
    let keys: Vec<String> = ready
        .iter()
        .flat_map(|r| r.blobs.iter().map(|(k, _)| k.clone()))
        .collect();
    let held = storage::in_flight().hold(keys);
    for (key, bytes) in ready.iter().flat_map(|r| r.blobs.iter()) {
        if let Err(e) = store.put(key, bytes).await {
            tracing::error!(error = %e, "storing an attachment failed");
            return Err(AppError::Internal);
        }
    }
    Ok(held)
}

/// The caption, or — when there is none — the files' names, so every client (REST, the
/// list's preview, notifications) has a text to show.
pub(crate) fn caption(body: &str, files: &[NewFile]) -> Result<MessageBody, AppError> {
    if !body.trim().is_empty() {
        return MessageBody::parse(body);
    }
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    MessageBody::parse(&app::domain::conversation::files_caption(&names))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

fn json_answer(result: &Result<Ack, AppError>) -> Response {
    match result {
        Ok(ack) => axum::Json(serde_json::json!({
            "conversation": ack.conversation,
            "seq": ack.seq,
            "at": ack.at,
        }))
        .into_response(),
        Err(e) => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            axum::Json(e.clone()),
        )
            .into_response(),
    }
}

/// An upload read and checked, its files ready in memory; nothing kept yet.
struct Checked {
    up: Upload,
    ready: Vec<ReadyFile>,
    body: MessageBody,
    cid: ClientMsgId,
}

/// Reads the upload and checks everything that can be checked without the message
/// path: the client id, that there are files, their types and pictures, the caption,
/// and the storage quotas of the uploader and of the account they write from.
async fn read_and_check(
    state: &AppState,
    mp: Multipart,
    user: UserId,
    account: AccountId,
) -> Result<Checked, AppError> {
    let mut up = read_upload(mp, &state.config.files).await?;
    let cid = ClientMsgId::parse(&up.client_id)?;
    if up.files.is_empty() {
        return Err(refuse(Code::Required));
    }
    let raw = std::mem::take(&mut up.files);
    let ready = prepare_files(raw).await?;
    let files: Vec<NewFile> = ready.iter().map(|r| r.file.clone()).collect();
    let body = caption(&up.body, &files)?;
    storage::check_quota(&state.db, &state.config.quotas, user, account, size_of(&ready)).await?;
    Ok(Checked { up, ready, body, cid })
}

impl Checked {
    fn files(&self) -> Vec<NewFile> {
        self.ready.iter().map(|r| r.file.clone()).collect()
    }
}

/// The message path's answer for files kept under `held`: the bytes of a refused
/// message are deleted again.
async fn settle(
    state: &AppState,
    held: storage::Held<'_>,
    sent: Result<Ack, AppError>,
) -> Result<Ack, AppError> {
    if sent.is_err() {
        storage::discard(&state.db, state.files.as_ref(), held).await;
    }
    sent
}

/// `POST /chat/{code}/{slug}/files`: a customer sends files into `conversation` (or a
/// new conversation when it is empty or `new`).
pub async fn customer_upload(
    State(state): State<AppState>,
    Path((code, slug)): Path<(String, String)>,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let page = format!("/chat/{code}/{slug}");
    let json = wants_json(&headers);
    let user: Option<SessionUser> = crate::extract::session_user(&state, &headers)
        .await
        .ok()
        .flatten();
    let Some(user) = user else {
        return if json {
            json_answer(&Err(AppError::Unauthorized))
        } else {
            see_other(&with_query("/login", &[("next", &page)]), None)
        };
    };
    let mut current = String::new();
    let result: Result<Ack, AppError> = async {
        // The right to write to this channel from this account, and a slot of the
        // user's own, before the body is read.
        let code = ChannelCode::parse(&code).map_err(|_| AppError::NotFound)?;
        let customer = conv::customer(&state.db, &user, &slug).await?;
        conv::channel_for_customer(&state.db, &customer, &code).await?;
        let _slot = crate::uploads::take_slot(&state, user.id)?;
        let checked = read_and_check(&state, mp, customer.user, customer.account).await?;
        current = checked.up.conversation.clone();
        let target = match checked.up.conversation.parse::<i64>() {
            Ok(n) => Target::Existing(ConversationId(n)),
            Err(_) => Target::New,
        };
        // Someone else's conversation, or a finished one, is refused before a byte is
        // kept (the message path checks again in its transaction).
        if let Target::Existing(id) = target {
            conv::customer_may_write(&state.db, &customer, &code, id).await?;
        }
        let held = keep(state.files.as_ref(), &checked.ready).await?;
        let append = Append {
            party: Party::Customer { customer, code },
            target,
            client_id: checked.cid.clone(),
            body: checked.body.clone(),
        };
        let sent = messaging::send(&state.db, state.hub.as_ref(), &append, &checked.files()).await;
        settle(&state, held, sent).await
    }
    .await;
    if json {
        return json_answer(&result);
    }
    match result {
        Ok(ack) => see_other(&format!("{page}?c={}#composer", ack.conversation), None),
        Err(e) => {
            let c = current
                .parse::<i64>()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "new".into());
            let mut pairs: Vec<(&str, &str)> = vec![("c", &c), ("error", e.code().as_str())];
            if let Some(field) = e.field() {
                pairs.push(("field", field.as_str()));
            }
            see_other(&with_query(&page, &pairs), None)
        }
    }
}

/// `POST /a/{slug}/inbox/files`: an operator sends files into `conversation`.
pub async fn operator_upload(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    mp: Multipart,
) -> Response {
    let json = wants_json(&headers);
    let user: Option<SessionUser> = crate::extract::session_user(&state, &headers)
        .await
        .ok()
        .flatten();
    let inbox = format!("/a/{slug}/inbox");
    let Some(user) = user else {
        return if json {
            json_answer(&Err(AppError::Unauthorized))
        } else {
            see_other(&with_query("/login", &[("next", &inbox)]), None)
        };
    };
    let mut current = String::new();
    let result: Result<Ack, AppError> = async {
        // The right to the account's inbox and a slot of the user's own before the body
        // is read; the conversation (named in the body) before a byte is kept.
        let actor = app::backend::services::accounts::actor(&state.db, user.id, &slug).await?;
        if !app::backend::policy::may_serve(actor.role) {
            return Err(AppError::Forbidden);
        }
        let _slot = crate::uploads::take_slot(&state, user.id)?;
        let checked = read_and_check(&state, mp, actor.user, actor.account).await?;
        current = checked.up.conversation.clone();
        let id = checked
            .up
            .conversation
            .parse::<i64>()
            .map(ConversationId)
            .map_err(|_| AppError::Invalid {
                field: Field::Conversation,
                code: Code::Required,
            })?;
        conv::operator_may_write(&state.db, &actor, id).await?;
        let held = keep(state.files.as_ref(), &checked.ready).await?;
        let append = Append {
            party: Party::Operator {
                actor,
                name: user.name.clone(),
            },
            target: Target::Existing(id),
            client_id: checked.cid.clone(),
            body: checked.body.clone(),
        };
        let sent = messaging::send(&state.db, state.hub.as_ref(), &append, &checked.files()).await;
        settle(&state, held, sent).await
    }
    .await;
    if json {
        return json_answer(&result);
    }
    let c = current.parse::<i64>().map(|n| n.to_string()).unwrap_or_default();
    match result {
        Ok(ack) => see_other(&format!("{inbox}?c={}", ack.conversation), None),
        Err(e) => see_other(
            &with_query(&inbox, &[("c", &c), ("error", e.code().as_str())]),
            None,
        ),
    }
}

/// `GET /files/{id}` and `GET /files/{id}/thumb`: the file (or an image's thumbnail) for
/// those who may read its conversation; 404 for everyone else.
pub async fn open(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    serve(&state, &headers, &id, false).await
}

pub async fn thumb(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    serve(&state, &headers, &id, true).await
}

async fn serve(state: &AppState, headers: &HeaderMap, id: &str, thumb: bool) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let user = crate::extract::session_user(state, headers).await.ok().flatten();
    let a = match attachments::readable(&state.db, user.as_ref(), id).await {
        Ok(a) => a,
        Err(AppError::NotFound) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    send_file(state, &a, thumb).await
}

/// The bytes of attachment `a` (or its thumbnail) as a response, to someone whose right
/// to read its conversation has been checked.
pub(crate) async fn send_file(state: &AppState, a: &attachment::Model, thumb: bool) -> Response {
    let id = a.id;
    let key = match (thumb, &a.thumb_key) {
        (false, _) => a.key.clone(),
        (true, Some(k)) => k.clone(),
        (true, None) => return StatusCode::NOT_FOUND.into_response(),
    };
    let bytes = match state.files.get(&key).await {
        Ok(Some(b)) => b,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, attachment = id, "reading an attachment failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let image = a.thumb_key.is_some();
    // Pictures open in the browser; everything else is a download, never rendered.
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if image { "inline" } else { "attachment" },
        ascii_fallback(&a.name),
        percent(&a.name)
    );
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(if image {
            &a.mime
        } else {
            content_type_for_download(&a.mime)
        })
        .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; sandbox"),
    );
    res
}

/// The type a download is sent as: its own, except text, which never goes out as
/// anything a browser might render.
fn content_type_for_download(mime: &str) -> &str {
    if mime.starts_with("text/") {
        "text/plain; charset=utf-8"
    } else {
        mime
    }
}

fn ascii_fallback(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn percent(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Uploads (bounded in size and held to a minimum rate) and serving files to those who
/// may read their conversation.
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    let upload = |handler: MethodRouter<AppState>| {
        handler
            .layer(DefaultBodyLimit::max(body_limit(&state.config.files)))
            .layer(axum::middleware::from_fn_with_state(
                state.config.serve,
                crate::uploads::enforce_min_rate,
            ))
    };
    Router::new()
        .route("/chat/{code}/{slug}/files", upload(post(customer_upload)))
        .route("/a/{slug}/inbox/files", upload(post(operator_upload)))
        .route("/files/{id}", get(open))
        .route("/files/{id}/thumb", get(thumb))
}
