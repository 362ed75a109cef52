//! The live channel: one WebSocket endpoint speaking [`app::protocol`] as JSON.
//!
//! A customer's socket (`/ws?code=CODE&account=SLUG`) follows the customer's
//! conversations with one channel. An operator's inbox socket
//! (`/ws/inbox?account=SLUG`) follows every channel the operator serves (admins: all
//! of their account's) and marks the operator online for the queue. The session logic ([`customer_session`]) is generic
//! over a `Sink`/`Stream` pair, so tests drive it with plain channels.
//!
//! Delivery: for `Resume { since_seq }` the session subscribes to the conversation
//! first, then replays the store after `since_seq`, then forwards live events, dropping
//! any whose seq it already sent — so nothing is missed and nothing is repeated. A
//! subscriber that lags behind the broadcast buffer is caught up from the store.

use app::backend::hub::Topic;
use app::backend::services::accounts::{self, Actor};
use app::backend::services::conversations::{self as conv, Customer, Target, Viewer};
use app::backend::services::inbox;
use app::backend::AppState;
use app::domain::channel::ChannelCode;
use app::domain::conversation::{Author, ClientMsgId, MessageBody};
use app::domain::ConversationId;
use app::error::AppError;
use app::protocol::{ClientMsg, ServerMsg};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{Sink, SinkExt, Stream, StreamExt};
use serde::Deserialize;
use std::collections::HashMap;
use tokio::sync::{broadcast, mpsc};

#[derive(Deserialize)]
pub struct WsQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    account: String,
}

/// `GET /ws?code=…&account=…`: authenticated by the session cookie; the `Origin` must be
/// this site.
pub async fn ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let user = match ws_user(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Ok(code) = ChannelCode::parse(&q.code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let customer = match conv::customer(&state.db, &user, &q.account).await {
        Ok(c) => c,
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    };
    upgrade.on_upgrade(move |socket| serve_socket(state, customer, code, socket))
}

async fn serve_socket(state: AppState, customer: Customer, code: ChannelCode, socket: WebSocket) {
    let (sink, stream) = json_halves(socket);
    customer_session(state, customer, code, sink, stream).await;
}

type JsonSink = std::pin::Pin<Box<dyn Sink<ServerMsg, Error = axum::Error> + Send>>;
type JsonStream = std::pin::Pin<Box<dyn Stream<Item = Result<ClientMsg, ()>> + Send>>;

/// The socket as typed halves: JSON text frames in and out; unreadable frames are
/// `Err(())`, a close ends the stream.
fn json_halves(socket: WebSocket) -> (JsonSink, JsonStream) {
    let (sink, stream) = socket.split();
    let sink = sink.with(|m: ServerMsg| async move {
        Ok::<_, axum::Error>(Message::Text(
            serde_json::to_string(&m).unwrap_or_default().into(),
        ))
    });
    let stream = stream.filter_map(|m| async move {
        match m {
            Ok(Message::Text(t)) => Some(serde_json::from_str::<ClientMsg>(&t).map_err(|_| ())),
            Ok(Message::Close(_)) | Err(_) => None,
            _ => Some(Err(())),
        }
    });
    (Box::pin(sink), Box::pin(stream))
}

enum Internal {
    Event(ServerMsg),
    /// The broadcast buffer overflowed for this conversation: catch up from the store.
    Lagged(ConversationId),
}

fn forward(
    mut rx: broadcast::Receiver<ServerMsg>,
    tx: mpsc::Sender<Internal>,
    conversation: Option<ConversationId>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(m) => {
                    if tx.send(Internal::Event(m)).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if let Some(c) = conversation {
                        if tx.send(Internal::Lagged(c)).await.is_err() {
                            break;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}

/// One customer's live session. Ends when the client's stream ends or the sink fails.
/// `Err(())` items on the stream are unreadable frames, answered with an error.
pub async fn customer_session<S, R>(
    state: AppState,
    customer: Customer,
    code: ChannelCode,
    mut tx: S,
    mut rx: R,
) where
    S: Sink<ServerMsg> + Unpin,
    R: Stream<Item = Result<ClientMsg, ()>> + Unpin,
{
    let (ev_tx, mut ev_rx) = mpsc::channel::<Internal>(1024);
    let mut tasks = Vec::new();
    if let Ok(info) = conv::channel_info(&state.db, &code).await {
        let topic = Topic::Customer {
            user: customer.user,
            account: customer.account,
            channel: info.channel,
        };
        tasks.push(forward(state.hub.subscribe(&topic), ev_tx.clone(), None));
    }
    let mut sent: HashMap<ConversationId, i64> = HashMap::new();
    loop {
        tokio::select! {
            incoming = rx.next() => {
                let Some(incoming) = incoming else { break };
                let reply = match incoming {
                    Err(()) => vec![ServerMsg::Error { client_id: None, error: AppError::Transport("unreadable message".into()) }],
                    Ok(ClientMsg::Resume { conversation, since_seq }) => {
                        let first = !sent.contains_key(&conversation);
                        if first {
                            // Subscribe before replaying, so nothing falls in between.
                            let sub = state.hub.subscribe(&Topic::Conversation(conversation));
                            match catch_up(&state, &customer, conversation, since_seq).await {
                                Ok(ms) => {
                                    tasks.push(forward(sub, ev_tx.clone(), Some(conversation)));
                                    sent.insert(conversation, since_seq);
                                    ms
                                }
                                Err(e) => vec![ServerMsg::Error { client_id: None, error: e }],
                            }
                        } else {
                            // Asked again from an earlier point: replay from there.
                            if let Some(last) = sent.get_mut(&conversation) {
                                *last = (*last).min(since_seq);
                            }
                            catch_up(&state, &customer, conversation, since_seq).await.unwrap_or_default()
                        }
                    }
                    Ok(ClientMsg::Send { client_id, conversation, body }) => {
                        vec![send(&state, &customer, &code, client_id, conversation, body).await]
                    }
                    Ok(ClientMsg::Typing { conversation }) => {
                        let viewer = Viewer::Customer(&customer);
                        let name = customer.user_name.clone();
                        match conv::typing(&state.db, state.hub.as_ref(), &viewer, conversation, &name).await {
                            Ok(()) => vec![],
                            Err(error) => vec![ServerMsg::Error { client_id: None, error }],
                        }
                    }
                    Ok(ClientMsg::Read { conversation, seq }) => {
                        let viewer = Viewer::Customer(&customer);
                        match inbox::mark_read(&state.db, state.hub.as_ref(), &viewer, conversation, seq).await {
                            Ok(_) => vec![],
                            Err(error) => vec![ServerMsg::Error { client_id: None, error }],
                        }
                    }
                };
                for m in reply {
                    if !track(&mut sent, &m) {
                        continue;
                    }
                    if tx.send(m).await.is_err() {
                        return stop(tasks);
                    }
                }
            }
            Some(ev) = ev_rx.recv() => {
                let out = match ev {
                    // Their own typing is not echoed back.
                    Internal::Event(ServerMsg::Typing { by: Author::Customer, .. }) => vec![],
                    Internal::Event(m) => vec![m],
                    Internal::Lagged(c) => {
                        let since = sent.get(&c).copied().unwrap_or(0);
                        catch_up(&state, &customer, c, since).await.unwrap_or_default()
                    }
                };
                for m in out {
                    if !track(&mut sent, &m) {
                        continue;
                    }
                    if tx.send(m).await.is_err() {
                        return stop(tasks);
                    }
                }
            }
        }
    }
    stop(tasks)
}

fn stop(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for t in tasks {
        t.abort();
    }
}

/// Records what is sent; `false` for a message the client already has.
///
/// Messages of conversations the client has not resumed are not sent: it receives each
/// conversation's messages from its `Resume` on, each seq exactly once.
fn track(sent: &mut HashMap<ConversationId, i64>, m: &ServerMsg) -> bool {
    if let ServerMsg::Message { message } = m {
        match sent.get_mut(&message.conversation) {
            Some(last) if message.seq > *last => *last = message.seq,
            _ => return false,
        }
    }
    true
}

async fn catch_up(
    state: &AppState,
    customer: &Customer,
    c: ConversationId,
    since: i64,
) -> Result<Vec<ServerMsg>, AppError> {
    catch_up_as(state, &Viewer::Customer(customer), c, since).await
}

async fn catch_up_as(
    state: &AppState,
    viewer: &Viewer<'_>,
    c: ConversationId,
    since: i64,
) -> Result<Vec<ServerMsg>, AppError> {
    let mut out = Vec::new();
    let mut from = since;
    loop {
        let page = conv::messages_since(&state.db, viewer, c, from, 200).await?;
        let n = page.len();
        if let Some(last) = page.last() {
            from = last.seq;
        }
        out.extend(page.into_iter().map(|message| ServerMsg::Message { message }));
        if n < 200 {
            return Ok(out);
        }
    }
}

async fn send(
    state: &AppState,
    customer: &Customer,
    code: &ChannelCode,
    client_id: String,
    conversation: Option<ConversationId>,
    body: String,
) -> ServerMsg {
    let result = async {
        let cid = ClientMsgId::parse(&client_id)?;
        let body = MessageBody::parse(&body)?;
        let target = conversation.map(Target::Existing).unwrap_or(Target::New);
        conv::customer_send(&state.db, state.hub.as_ref(), customer, code, target, &cid, &body).await
    }
    .await;
    match result {
        Ok(ack) => ServerMsg::Ack {
            client_id,
            conversation: ack.conversation,
            seq: ack.seq,
            at: ack.at,
        },
        Err(error) => ServerMsg::Error {
            client_id: Some(client_id),
            error,
        },
    }
}

/// A socket is opened by a page of this site (`Origin`) for a signed-in user.
async fn ws_user(state: &AppState, headers: &HeaderMap) -> Result<app::api::SessionUser, Response> {
    if !origin_ok(headers) {
        return Err((StatusCode::FORBIDDEN, "origin not allowed").into_response());
    }
    match crate::forms::session_user(state, headers).await.ok().flatten() {
        Some(u) => Ok(u),
        None => Err((StatusCode::UNAUTHORIZED, "sign in first").into_response()),
    }
}

fn origin_ok(headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(|o| o.split("://").nth(1) == Some(host))
        .unwrap_or(false)
}

#[derive(Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    account: String,
}

/// `GET /ws/inbox?account=SLUG`: an operator's or admin's inbox.
pub async fn inbox_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<InboxQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let user = match ws_user(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let actor = match accounts::actor(&state.db, user.id, &q.account).await {
        Ok(a) => a,
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    };
    if inbox::visible_channels(&state.db, &actor).await.is_err() {
        return StatusCode::FORBIDDEN.into_response();
    }
    upgrade.on_upgrade(move |socket| async move {
        let (sink, stream) = json_halves(socket);
        operator_session(state, actor, user.name, sink, stream).await;
    })
}

/// One operator's live inbox session: every channel they serve, plus typing and read
/// state of the conversations they open (`Resume`). Marks them online while it lasts.
pub async fn operator_session<S, R>(state: AppState, actor: Actor, name: String, mut tx: S, mut rx: R)
where
    S: Sink<ServerMsg> + Unpin,
    R: Stream<Item = Result<ClientMsg, ()>> + Unpin,
{
    let (ev_tx, mut ev_rx) = mpsc::channel::<Internal>(4096);
    let mut tasks = Vec::new();
    for c in inbox::visible_channels(&state.db, &actor)
        .await
        .unwrap_or_default()
    {
        let topic = Topic::Channel(app::domain::ChannelId(c.id));
        tasks.push(forward(state.hub.subscribe(&topic), ev_tx.clone(), None));
    }
    state.hub.presence(actor.user, true);
    if let Err(e) = inbox::came_online(&state.db, state.hub.as_ref(), &actor).await {
        tracing::warn!(error = ?e, "dispatch on coming online failed");
    }
    // The highest seq sent per conversation; conversations opened with `Resume` get
    // every message from there on exactly once, others get live ones for previews.
    let mut sent: HashMap<ConversationId, i64> = HashMap::new();
    let mut followed: std::collections::HashSet<ConversationId> = Default::default();
    let viewer = Viewer::Operator(&actor);
    loop {
        tokio::select! {
            incoming = rx.next() => {
                let Some(incoming) = incoming else { break };
                let reply = match incoming {
                    Err(()) => vec![ServerMsg::Error { client_id: None, error: AppError::Transport("unreadable message".into()) }],
                    Ok(ClientMsg::Resume { conversation, since_seq }) => {
                        if followed.insert(conversation) {
                            let sub = state.hub.subscribe(&Topic::Conversation(conversation));
                            tasks.push(forward(sub, ev_tx.clone(), Some(conversation)));
                        }
                        match catch_up_as(&state, &viewer, conversation, since_seq).await {
                            Ok(ms) => {
                                sent.insert(conversation, since_seq);
                                ms
                            }
                            Err(e) => vec![ServerMsg::Error { client_id: None, error: e }],
                        }
                    }
                    Ok(ClientMsg::Send { client_id, conversation, body }) => {
                        let result = async {
                            let id = conversation.ok_or(AppError::Invalid {
                                field: app::error::Field::Conversation,
                                code: app::error::Code::Required,
                            })?;
                            let cid = ClientMsgId::parse(&client_id)?;
                            let body = MessageBody::parse(&body)?;
                            conv::operator_send(&state.db, state.hub.as_ref(), &actor, &name, id, &cid, &body).await
                        }
                        .await;
                        vec![match result {
                            Ok(ack) => ServerMsg::Ack { client_id, conversation: ack.conversation, seq: ack.seq, at: ack.at },
                            Err(error) => ServerMsg::Error { client_id: Some(client_id), error },
                        }]
                    }
                    Ok(ClientMsg::Typing { conversation }) => {
                        match conv::typing(&state.db, state.hub.as_ref(), &viewer, conversation, &name).await {
                            Ok(()) => vec![],
                            Err(error) => vec![ServerMsg::Error { client_id: None, error }],
                        }
                    }
                    Ok(ClientMsg::Read { conversation, seq }) => {
                        match inbox::mark_read(&state.db, state.hub.as_ref(), &viewer, conversation, seq).await {
                            Ok(_) => vec![],
                            Err(error) => vec![ServerMsg::Error { client_id: None, error }],
                        }
                    }
                };
                if !send_all(&mut tx, &mut sent, reply).await {
                    break;
                }
            }
            Some(ev) = ev_rx.recv() => {
                let out = match ev {
                    Internal::Event(ServerMsg::Typing { by: Author::Operator, .. }) => vec![],
                    Internal::Event(m) => vec![m],
                    Internal::Lagged(c) => {
                        let since = sent.get(&c).copied().unwrap_or(0);
                        catch_up_as(&state, &viewer, c, since).await.unwrap_or_default()
                    }
                };
                if !send_all(&mut tx, &mut sent, out).await {
                    break;
                }
            }
        }
    }
    state.hub.presence(actor.user, false);
    stop(tasks)
}

/// Sends messages, each conversation's seq at most once; `false` when the client is gone.
async fn send_all<S: Sink<ServerMsg> + Unpin>(
    tx: &mut S,
    sent: &mut HashMap<ConversationId, i64>,
    out: Vec<ServerMsg>,
) -> bool {
    for m in out {
        if let ServerMsg::Message { message } = &m {
            let last = sent.entry(message.conversation).or_insert(message.seq - 1);
            if message.seq <= *last {
                continue;
            }
            *last = message.seq;
        }
        if tx.send(m).await.is_err() {
            return false;
        }
    }
    true
}
