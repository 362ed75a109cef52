//! Traffic: each pair's customer sends over the customer socket (`/ws`), its operator
//! receives over the inbox socket (`/ws/inbox`). Both reconnect and resume after a
//! dropped connection or a killed server, the way the pages do: the customer resends
//! what was not acknowledged (same client id), both ask for what they missed with
//! "since seq N".

use crate::setup::Pair;
use app::domain::ConversationId;
use app::protocol::{ClientMsg, ServerMsg};
use futures::{SinkExt, StreamExt};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Phases of a run.
pub const WARMUP: u8 = 0;
pub const MEASURE: u8 = 1;
/// Nothing new is sent; what is in flight is finished.
pub const DRAIN: u8 = 2;
pub const STOP: u8 = 3;

pub struct Ctx {
    /// Every node's address: a pair's customer starts on node `index % n` and its
    /// operator on the next one (so with several nodes every message crosses nodes); a
    /// client whose node does not answer tries the next.
    pub bases: Vec<String>,
    pub phase: AtomicU8,
    /// Seconds between two sends of one customer (`None`: flat out, one in flight).
    pub interval: Option<Duration>,
    pub body_bytes: usize,
    /// The operator sends a read receipt after every this many messages (0: never).
    pub read_every: i64,
    /// Forced disconnects done (reconnect storm).
    pub forced: AtomicUsize,
    pub reconnects: AtomicUsize,
}

impl Ctx {
    fn phase(&self) -> u8 {
        self.phase.load(Ordering::Relaxed)
    }
}

/// What one pair has done and seen.
#[derive(Default)]
pub struct PairState {
    pub conversation: Option<i64>,
    /// Send time of each message not yet received by the operator, and whether it was
    /// sent while measuring.
    pub sent_at: HashMap<String, (Instant, bool)>,
    /// Acknowledged messages: client id → seq.
    pub acked: HashMap<String, i64>,
    /// An ack named another seq than an earlier ack of the same client id.
    pub ack_conflicts: u64,
    /// Times each seq arrived on the customer's / the operator's socket.
    pub customer_seen: BTreeMap<i64, u32>,
    pub operator_seen: BTreeMap<i64, u32>,
    /// Seqs that came again on a later connection than the one that first brought them
    /// (the resume point is the last seq up to which the client had everything; the
    /// client drops what it holds already). Not counted in `*_seen`.
    pub customer_redelivered: u64,
    pub operator_redelivered: u64,
    pub acks_measured: u64,
    pub delivered_measured: u64,
    pub ack_latency_us: Vec<u32>,
    pub delivery_latency_us: Vec<u32>,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl PairState {
    /// The highest seq up to which every message was seen (resume point).
    fn contiguous(seen: &BTreeMap<i64, u32>) -> i64 {
        let mut n = 0;
        for s in seen.keys() {
            if *s == n + 1 {
                n = *s;
            } else if *s > n + 1 {
                break;
            }
        }
        n
    }
}

/// Counts a seq arriving on a connection: twice on one connection is a duplicate
/// (`seen` > 1); again on a later connection, a re-delivery the client drops.
fn see(seen: &mut BTreeMap<i64, u32>, redelivered: &mut u64, this_connection: &mut HashSet<i64>, seq: i64) {
    let fresh_here = this_connection.insert(seq);
    match seen.get_mut(&seq) {
        None => {
            seen.insert(seq, 1);
        }
        Some(_) if fresh_here => *redelivered += 1,
        Some(n) => *n += 1,
    }
}

/// Kicks a socket off (reconnect storm).
pub type Kick = Arc<Notify>;

/// Opens a WebSocket with a session cookie and this site's `Origin`.
pub async fn open(base: &str, path: &str, cookie: &str) -> anyhow::Result<Ws> {
    let url = format!("{}{path}", base.replace("http://", "ws://"));
    let mut req = url.into_client_request()?;
    req.headers_mut().insert("cookie", cookie.parse()?);
    req.headers_mut().insert("origin", base.parse()?);
    let (ws, _) =
        tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(req)).await??;
    Ok(ws)
}

/// One attempt to (re)connect; `None` after a short pause when the server is not there
/// (it may be restarting). Counts reconnections.
async fn connect(ctx: &Ctx, node: &mut usize, path: &str, cookie: &str, first: &mut bool) -> Option<Ws> {
    match open(&ctx.bases[*node % ctx.bases.len()], path, cookie).await {
        Ok(ws) => {
            if !*first {
                ctx.reconnects.fetch_add(1, Ordering::Relaxed);
            }
            *first = false;
            Some(ws)
        }
        Err(_) => {
            *node += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

fn encode(m: &ClientMsg) -> Message {
    Message::text(serde_json::to_string(m).expect("client message"))
}

fn decode(m: Message) -> Option<ServerMsg> {
    match m {
        Message::Text(t) => serde_json::from_str(t.as_str()).ok(),
        _ => None,
    }
}

fn body(pair: usize, n: u64, bytes: usize) -> String {
    let mut b = format!("message {n} from customer {pair} ");
    while b.len() < bytes {
        b.push('x');
    }
    b
}

/// The customer of a pair: sends, takes acks, and sees its own messages come back.
pub async fn customer(ctx: Arc<Ctx>, pair: Pair, st: Arc<Mutex<PairState>>, kick: Kick) {
    let path = format!("/ws?code={}&account={}", pair.code, pair.customer_slug);
    // Sent, not yet acknowledged, in sending order: (client id, body).
    let mut inflight: VecDeque<(String, String)> = VecDeque::new();
    let mut n: u64 = 0;
    let mut first_connect = true;
    let mut node = pair.index;
    loop {
        if ctx.phase() == STOP || (ctx.phase() == DRAIN && inflight.is_empty()) {
            return;
        }
        let Some(ws) = connect(&ctx, &mut node, &path, &pair.customer.cookie, &mut first_connect).await
        else {
            continue;
        };
        let (mut w, mut r) = ws.split();
        let mut this_connection: HashSet<i64> = HashSet::new();
        let conv = st.lock().unwrap().conversation;
        let mut out: Vec<ClientMsg> = Vec::new();
        if let Some(c) = conv {
            let since = PairState::contiguous(&st.lock().unwrap().customer_seen);
            out.push(ClientMsg::Resume {
                conversation: ConversationId(c),
                since_seq: since,
            });
        }
        for (cid, b) in &inflight {
            out.push(ClientMsg::Send {
                client_id: cid.clone(),
                conversation: conv.map(ConversationId),
                body: b.clone(),
            });
        }
        let mut ok = true;
        for m in &out {
            if w.feed(encode(m)).await.is_err() {
                ok = false;
                break;
            }
        }
        if !ok || w.flush().await.is_err() {
            continue;
        }
        let mut tick = ctx.interval.map(|i| {
            let mut t = tokio::time::interval_at(
                tokio::time::Instant::now() + i.mul_f64(pair.index as f64 % 97.0 / 97.0),
                i,
            );
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            t
        });
        loop {
            let conv = st.lock().unwrap().conversation;
            // Until the conversation exists, one message at a time (a second "new" would
            // start another conversation).
            let may_send = ctx.phase() <= MEASURE && (conv.is_some() || inflight.is_empty());
            let flat_ready = tick.is_none() && inflight.is_empty() && may_send;
            let send_now = if flat_ready {
                true
            } else {
                tokio::select! {
                    _ = async { tick.as_mut().unwrap().tick().await }, if tick.is_some() && may_send => true,
                    f = r.next() => {
                        match f {
                            Some(Ok(m)) => {
                                if let Some(m) = decode(m) {
                                    handle_customer(&ctx, &st, &mut inflight, &mut this_connection, m, &mut w).await;
                                }
                                false
                            }
                            _ => break,
                        }
                    }
                    _ = kick.notified() => break,
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {
                        if ctx.phase() == STOP || (ctx.phase() == DRAIN && inflight.is_empty()) {
                            return;
                        }
                        false
                    }
                }
            };
            if send_now {
                n += 1;
                let cid = format!("lg{:05}x{:010}", pair.index, n);
                let b = body(pair.index, n, ctx.body_bytes);
                let measured = ctx.phase() == MEASURE;
                st.lock()
                    .unwrap()
                    .sent_at
                    .insert(cid.clone(), (Instant::now(), measured));
                inflight.push_back((cid.clone(), b.clone()));
                let m = ClientMsg::Send {
                    client_id: cid,
                    conversation: conv.map(ConversationId),
                    body: b,
                };
                if w.send(encode(&m)).await.is_err() {
                    break;
                }
            }
        }
    }
}

async fn handle_customer<W>(
    ctx: &Ctx,
    st: &Mutex<PairState>,
    inflight: &mut VecDeque<(String, String)>,
    this_connection: &mut HashSet<i64>,
    m: ServerMsg,
    w: &mut W,
) where
    W: futures::Sink<Message> + Unpin,
{
    match m {
        ServerMsg::Ack {
            client_id,
            conversation,
            seq,
            ..
        } => {
            inflight.retain(|(c, _)| *c != client_id);
            let resume = {
                let mut s = st.lock().unwrap();
                match s.acked.get(&client_id) {
                    Some(earlier) if *earlier != seq => s.ack_conflicts += 1,
                    Some(_) => {}
                    None => {
                        s.acked.insert(client_id.clone(), seq);
                        if let Some((at, measured)) = s.sent_at.get(&client_id).copied() {
                            if measured {
                                s.ack_latency_us.push(at.elapsed().as_micros() as u32);
                            }
                        }
                        if ctx.phase() == MEASURE {
                            s.acks_measured += 1;
                        }
                    }
                }
                let first = s.conversation.is_none();
                s.conversation = Some(conversation.0);
                first
            };
            if resume {
                // Follow the new conversation, as the chat page does.
                let _ = w
                    .send(encode(&ClientMsg::Resume {
                        conversation,
                        since_seq: 0,
                    }))
                    .await;
            }
        }
        ServerMsg::Message { message } => {
            let mut guard = st.lock().unwrap();
            let s = &mut *guard;
            if s.conversation == Some(message.conversation.0) {
                see(
                    &mut s.customer_seen,
                    &mut s.customer_redelivered,
                    this_connection,
                    message.seq,
                );
            }
        }
        ServerMsg::Error { client_id, error } => {
            let mut s = st.lock().unwrap();
            s.errors += 1;
            if s.first_error.is_none() {
                s.first_error = Some(format!("{error:?}"));
            }
            if let Some(c) = client_id {
                // Refused: never stored, never to be expected.
                inflight.retain(|(x, _)| *x != c);
                s.sent_at.remove(&c);
            }
        }
        _ => {}
    }
}

/// The operator of a pair: the inbox socket, following the pair's conversation once it
/// appears.
pub async fn operator(ctx: Arc<Ctx>, pair: Pair, st: Arc<Mutex<PairState>>, kick: Kick) {
    let path = format!("/ws/inbox?account={}", pair.operator_slug);
    let mut first_connect = true;
    let mut node = pair.index + 1;
    loop {
        if ctx.phase() == STOP {
            return;
        }
        let Some(ws) = connect(&ctx, &mut node, &path, &pair.operator.cookie, &mut first_connect).await
        else {
            continue;
        };
        let (mut w, mut r) = ws.split();
        let mut this_connection: HashSet<i64> = HashSet::new();
        let mut following = None;
        let resume = {
            let s = st.lock().unwrap();
            s.conversation
                .map(|c| (c, PairState::contiguous(&s.operator_seen)))
        };
        if let Some((c, since)) = resume {
            if w.send(encode(&ClientMsg::Resume {
                conversation: ConversationId(c),
                since_seq: since,
            }))
            .await
            .is_err()
            {
                continue;
            }
            following = Some(c);
        }
        loop {
            tokio::select! {
                f = r.next() => match f {
                    Some(Ok(m)) => {
                        let Some(ServerMsg::Message { message }) = decode(m) else { continue };
                        let c = message.conversation.0;
                        let follow = {
                            let mut s = st.lock().unwrap();
                            if s.conversation.is_some() && s.conversation != Some(c) {
                                continue;
                            }
                            let s = &mut *s;
                            see(&mut s.operator_seen, &mut s.operator_redelivered, &mut this_connection, message.seq);
                            if let Some(cid) = &message.client_id {
                                if let Some((at, measured)) = s.sent_at.remove(cid) {
                                    if measured {
                                        s.delivery_latency_us.push(at.elapsed().as_micros() as u32);
                                    }
                                }
                            }
                            if ctx.phase() == MEASURE {
                                s.delivered_measured += 1;
                            }
                            following.is_none()
                        };
                        if follow {
                            // Open the conversation in the inbox: follow it from the start.
                            following = Some(c);
                            if w.send(encode(&ClientMsg::Resume { conversation: ConversationId(c), since_seq: 0 })).await.is_err() {
                                break;
                            }
                        }
                        if ctx.read_every > 0 && message.seq % ctx.read_every == 0 {
                            let read = ClientMsg::Read { conversation: ConversationId(c), seq: message.seq };
                            if w.send(encode(&read)).await.is_err() {
                                break;
                            }
                        }
                    }
                    _ => break,
                },
                _ = kick.notified() => break,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {
                    if ctx.phase() == STOP { return; }
                }
            }
        }
    }
}

/// Reads a conversation back from the store over a fresh customer socket: every
/// message, in seq order (`Resume` from 0).
pub async fn read_back(
    base: &str,
    pair: &Pair,
    conversation: i64,
    last_seq: i64,
) -> anyhow::Result<Vec<(i64, Option<String>)>> {
    let path = format!("/ws?code={}&account={}", pair.code, pair.customer_slug);
    let mut ws = open(base, &path, &pair.customer.cookie).await?;
    ws.send(encode(&ClientMsg::Resume {
        conversation: ConversationId(conversation),
        since_seq: 0,
    }))
    .await?;
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while out.last().map(|(s, _)| *s).unwrap_or(0) < last_seq {
        let f = tokio::time::timeout_at(deadline, ws.next()).await?;
        match f {
            Some(Ok(m)) => {
                if let Some(ServerMsg::Message { message }) = decode(m) {
                    if message.conversation.0 == conversation {
                        out.push((message.seq, message.client_id));
                    }
                }
            }
            _ => anyhow::bail!("the socket closed while reading back"),
        }
    }
    Ok(out)
}
