//! The live channel: two WebSocket endpoints speaking [`app::protocol`] as JSON.
//!
//! A customer's socket (`/ws?code=CODE&account=SLUG`) follows the customer's
//! conversations with one channel. An operator's inbox socket
//! (`/ws/inbox?account=SLUG`) follows every channel the operator serves (admins: all
//! of their account's) and marks the operator online for the queue. Both run the same
//! [`Session`] engine, generic over a `Sink`/`Stream` pair.
//!
//! Rights ([`app::backend::policy`]): a topic is subscribed to only **after** the right
//! to it is confirmed; every frame re-checks the actor (membership and role) before it
//! acts; a change of rights in the account ([`Topic::Access`]) makes the session
//! re-check everything it follows and drop what it may no longer see (or close, when the
//! account is no longer theirs).
//!
//! Abuse: frames over [`LiveLimits::max_frame_bytes`] close the socket; a token bucket
//! per socket answers `rate_limited` past its burst; at most
//! [`LiveLimits::max_followed`] conversations are followed; history is replayed a page
//! at a time; hub topics are freed when their last subscriber leaves.
//!
//! Delivery: for `Resume { since_seq }` the session subscribes to the conversation
//! first, then replays the store after `since_seq`, then forwards live events, dropping
//! any whose seq it already sent — so nothing is missed and nothing is repeated. A
//! subscriber that lags behind the broadcast buffer is caught up from the store.

use app::api::SessionUser;
use app::backend::config::LiveLimits;
use app::backend::hub::{Delivery, Event, Topic};
use app::backend::messaging::{Ack, Append, Target};
use app::backend::policy::{self, ConversationRight};
use app::backend::principal::{Actor, Customer, Party};
use app::backend::services::accounts;
use app::backend::services::conversations as conv;
use app::backend::services::{queue, reads};
use app::backend::AppState;
use app::domain::channel::ChannelCode;
use app::domain::conversation::{ClientMsgId, MessageBody};
use app::domain::{ChannelId, ConversationId};
use app::error::{AppError, Code, Field};
use app::protocol::{ClientMsg, ServerMsg};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_stream::StreamMap;

mod limits;
mod session;

pub use session::{customer_session, operator_session, SessionRef};

/// The most waiting events sent in one write.
const EVENTS_PER_WRITE: usize = 64;

/// Messages replayed per page on `Resume` and on catching up.
const REPLAY_PAGE: u64 = 200;

/// The longest a socket acts on rights read from the store without reading them again.
const RIGHTS_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Deserialize)]
pub struct WsQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    account: String,
}

/// `GET /ws?code=…&account=…`: authenticated by the session cookie; the `Origin` must be
/// this site; the user must be a member of the account they write from.
pub async fn ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let (user, token) = match ws_user(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Ok(code) = ChannelCode::parse(&q.code) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let customer = match policy::customer(&state.db, &user, &q.account).await {
        Ok(c) => c,
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    };
    let limits = state.config.live;
    limited(upgrade, &limits).on_upgrade(move |socket| async move {
        let (sink, stream) = json_halves(socket);
        customer_session(state, customer, code, Some(token), sink, stream).await;
    })
}

/// Frame limits, and small buffers: a quiet socket should cost little memory (the
/// WebSocket library's default read buffer alone is 128 KiB per connection).
fn limited(upgrade: WebSocketUpgrade, limits: &LiveLimits) -> WebSocketUpgrade {
    upgrade
        .max_message_size(limits.max_frame_bytes)
        .max_frame_size(limits.max_frame_bytes)
        .read_buffer_size(READ_BUFFER)
}

/// Bytes read from a socket at a time (a chat frame is far smaller; larger frames are
/// read in several steps).
const READ_BUFFER: usize = 4 * 1024;

/// What a socket sends: its own answers, or an event shared with every other
/// subscriber (its JSON is made once, by whichever socket sends it first).
// `Own` carries every acknowledgement (the hot path): kept inline, since boxing it would
// cost an allocation per message to save a copy of a couple of hundred bytes.
#[allow(clippy::large_enum_variant)]
pub enum Out {
    Own(ServerMsg),
    Shared(Arc<Event>),
}

impl Out {
    fn msg(&self) -> &ServerMsg {
        match self {
            Out::Own(m) => m,
            Out::Shared(e) => e.msg(),
        }
    }
}

impl From<ServerMsg> for Out {
    fn from(m: ServerMsg) -> Self {
        Out::Own(m)
    }
}

type JsonSink = std::pin::Pin<Box<dyn Sink<Out, Error = axum::Error> + Send>>;
type JsonStream = std::pin::Pin<Box<dyn Stream<Item = Result<ClientMsg, ()>> + Send>>;

/// The socket as typed halves: JSON text frames in and out; unreadable frames are
/// `Err(())`; a close, a transport error or an oversized frame ends the stream.
fn json_halves(socket: WebSocket) -> (JsonSink, JsonStream) {
    let (sink, stream) = socket.split();
    let sink = sink.with(|m: Out| async move {
        let text = match m {
            Out::Own(m) => serde_json::to_string(&m).unwrap_or_default(),
            Out::Shared(e) => e.json().to_owned(),
        };
        Ok::<_, axum::Error>(Message::Text(text.into()))
    });
    let stream = stream
        .take_while(|m| std::future::ready(!matches!(m, Ok(Message::Close(_)) | Err(_))))
        .filter_map(|m| async move {
            match m {
                Ok(Message::Text(t)) => Some(serde_json::from_str::<ClientMsg>(&t).map_err(|_| ())),
                Ok(Message::Ping(_) | Message::Pong(_)) => None,
                _ => Some(Err(())),
            }
        });
    (Box::pin(sink), Box::pin(stream))
}

/// A socket is opened by a page of this site (`Origin`) for a signed-in user; the
/// socket keeps the session's token hash to close when that session ends.
async fn ws_user(state: &AppState, headers: &HeaderMap) -> Result<(SessionUser, SessionRef), Response> {
    if !crate::origin_allowed(&state.config.public_url, headers) {
        return Err((StatusCode::FORBIDDEN, "origin not allowed").into_response());
    }
    let token = app::backend::auth::session_token(&state.config, headers);
    match (
        crate::extract::session_user(state, headers).await.ok().flatten(),
        token,
    ) {
        (Some(u), Some(token)) => Ok((
            u,
            SessionRef {
                hash: app::backend::auth::token_hash(&token),
            },
        )),
        _ => Err((StatusCode::UNAUTHORIZED, "sign in first").into_response()),
    }
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
    let (user, token) = match ws_user(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let actor = match accounts::actor(&state.db, user.id, &q.account).await {
        Ok(a) => a,
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    };
    if policy::inbox_channels(&state.db, &actor).await.is_err() {
        return StatusCode::FORBIDDEN.into_response();
    }
    let limits = state.config.live;
    limited(upgrade, &limits).on_upgrade(move |socket| async move {
        let (sink, stream) = json_halves(socket);
        operator_session(state, actor, user.name, Some(token), sink, stream).await;
    })
}

/// The live WebSockets: the customer's chat and the operators' inbox.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/ws", axum::routing::get(ws))
        .route("/ws/inbox", axum::routing::get(inbox_ws))
}
