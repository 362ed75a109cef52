//! One live session (a customer's or an operator's socket): what it follows, what it
//! sends, and the checks it makes on every frame.

use super::limits::{Bucket, Window};
use super::*;

mod writes;

use writes::{error, receipts, send, READ_QUEUE};

/// Something ready to go out or to act on.
pub(super) enum Ready {
    /// From a followed topic.
    Feed(Topic, Delivery),
    /// From this socket's receipt task (an error to report).
    Note(Box<ServerMsg>),
}

/// The socket must close: the client is gone or has lost the account.
pub(super) struct Closed;

pub(super) struct Session<S> {
    state: AppState,
    side: Party,
    tx: S,
    /// Every topic the socket follows, polled by the socket's own task: the customer's
    /// topic, the inbox's channels, the account's access changes, and the conversations
    /// followed with `Resume`.
    subs: StreamMap<Topic, app::backend::hub::Subscription>,
    /// Conversations followed with `Resume`.
    followed: HashSet<ConversationId>,
    /// Errors from the receipt task. Boxed: a channel allocates its slots in blocks
    /// when it is made, and a quiet socket should hold pointers there, not whole messages.
    notes_tx: mpsc::Sender<Box<ServerMsg>>,
    notes: mpsc::Receiver<Box<ServerMsg>>,
    /// The seqs sent per conversation.
    sent: HashMap<ConversationId, Window>,
    bucket: Bucket,
    limits: LiveLimits,
    /// When, and at which access epoch, the actor's rights were last read.
    checked: Option<(Instant, u64)>,
    /// Read receipts waiting for [`receipts`] (started on the first one).
    reads: Option<mpsc::Sender<(Party, ConversationId, i64)>>,
    /// The browser session the socket was opened with (`None`: tests' sockets), when it
    /// is next checked, and when the socket last counted as its use.
    session: Option<SessionRef>,
    session_check: tokio::time::Instant,
    session_used: Instant,
}

/// The browser session behind a socket.
#[derive(Clone, Debug)]
pub struct SessionRef {
    /// SHA-256 of the session's token.
    pub hash: String,
}

/// The longest a socket goes without checking that its session still stands (a session
/// ended by another process, such as the command line, is noticed within this).
const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(30);
/// A socket's frames count as a use of its session at most this often.
const SESSION_USE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// One customer's live session. Ends when the client's stream ends, the sink fails, or
/// the customer is no longer a member of the account they write from.
pub async fn customer_session<S, R>(
    state: AppState,
    customer: Customer,
    code: ChannelCode,
    session: Option<SessionRef>,
    tx: S,
    rx: R,
) where
    S: Sink<Out> + Unpin,
    R: Stream<Item = Result<ClientMsg, ()>> + Unpin,
{
    let _open = app::backend::metrics::SocketGuard::new("customer");
    let mut s = Session::new(state, Party::Customer { customer, code }, session, tx);
    let account = s.account();
    s.feed(Topic::Access(account));
    if let Party::Customer { customer, code } = &s.side {
        if let Ok(info) = conv::channel_info(&s.state.db, code).await {
            let topic = Topic::Customer {
                user: customer.user,
                account: customer.account,
                channel: info.channel,
            };
            s.feed(topic);
        }
    }
    s.run(rx).await;
}

/// One operator's live inbox session: every channel they serve, plus typing and read
/// state of the conversations they open (`Resume`). Marks them online while it lasts.
pub async fn operator_session<S, R>(
    state: AppState,
    actor: Actor,
    name: String,
    session: Option<SessionRef>,
    tx: S,
    rx: R,
) where
    S: Sink<Out> + Unpin,
    R: Stream<Item = Result<ClientMsg, ()>> + Unpin,
{
    let _open = app::backend::metrics::SocketGuard::new("inbox");
    let user = actor.user;
    let mut s = Session::new(state.clone(), Party::Operator { actor, name }, session, tx);
    s.feed(Topic::Access(s.account()));
    if s.sync_channels().await.is_ok() {
        state.hub.presence(user, true);
        if let Party::Operator { actor, .. } = &s.side {
            if let Err(e) = queue::came_online(&state.db, state.hub.as_ref(), actor).await {
                tracing::warn!(error = ?e, "dispatch on coming online failed");
            }
        }
        s.run(rx).await;
        state.hub.presence(user, false);
    }
}

impl<S: Sink<Out> + Unpin> Session<S> {
    fn new(state: AppState, side: Party, session: Option<SessionRef>, tx: S) -> Self {
        let limits = state.config.live;
        let (notes_tx, notes) = mpsc::channel(READ_QUEUE);
        Self {
            state,
            side,
            tx,
            subs: StreamMap::new(),
            followed: HashSet::new(),
            notes_tx,
            notes,
            sent: HashMap::new(),
            bucket: Bucket::new(limits.frames_per_sec, limits.frames_burst),
            limits,
            checked: None,
            reads: None,
            session,
            session_check: tokio::time::Instant::now(),
            session_used: Instant::now(),
        }
    }

    fn user(&self) -> app::domain::UserId {
        self.side.user()
    }

    /// Whether the socket's session still stands (not signed out, expired or idle for
    /// too long); sets when to check again: at the session's end, and at least every
    /// [`SESSION_RECHECK`]. A failing store keeps the socket (checked again soon).
    async fn session_stands(&mut self) -> bool {
        let Some(sref) = &self.session else {
            self.session_check = tokio::time::Instant::now() + SESSION_RECHECK;
            return true;
        };
        let idle = self.state.config.sessions.idle;
        let found = app::backend::auth::live_session(&self.state.db, idle, &sref.hash).await;
        match found {
            Ok(Some(s)) => {
                let left = app::backend::auth::ends_at(&s, idle) - app::backend::now_ms();
                let wait = std::time::Duration::from_millis(left.max(0) as u64 + 50).min(SESSION_RECHECK);
                self.session_check = tokio::time::Instant::now() + wait;
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(error = ?e, "checking a socket's session failed");
                self.session_check = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
                true
            }
        }
    }

    /// A frame from the client counts as a use of its session (at most once a minute).
    async fn session_used(&mut self) {
        let Some(sref) = &self.session else { return };
        if self.session_used.elapsed() < SESSION_USE_EVERY {
            return;
        }
        self.session_used = Instant::now();
        let idle = self.state.config.sessions.idle;
        if let Ok(Some(s)) = app::backend::auth::live_session(&self.state.db, idle, &sref.hash).await {
            if let Err(e) = app::backend::auth::touch(&self.state.db, &s).await {
                tracing::warn!(error = ?e, "recording a socket's use of its session failed");
            }
        }
    }

    /// The session ended: the client is told (so its page can ask to sign in again),
    /// then the socket closes.
    async fn session_ended(&mut self) -> Result<(), Closed> {
        let _ = self.reply(vec![error(None, AppError::Unauthorized)]).await;
        Err(Closed)
    }

    fn account(&self) -> app::domain::AccountId {
        self.side.account()
    }

    /// Subscribes to a feed the caller has already checked the right to.
    fn feed(&mut self, topic: Topic) {
        if !self.subs.contains_key(&topic) {
            let sub = self.state.hub.subscribe(&topic);
            self.subs.insert(topic, sub);
        }
    }

    fn unfollow(&mut self, c: ConversationId) {
        if self.followed.remove(&c) {
            self.subs.remove(&Topic::Conversation(c));
        }
        if matches!(self.side, Party::Customer { .. }) {
            self.sent.remove(&c);
        }
    }

    async fn run<R>(&mut self, mut rx: R)
    where
        R: Stream<Item = Result<ClientMsg, ()>> + Unpin,
    {
        // Sign-out anywhere reaches this socket through the user's sessions topic.
        self.feed(Topic::Sessions(self.user()));
        if !self.session_stands().await {
            let _ = self.session_ended().await;
            return;
        }
        loop {
            let step = tokio::select! {
                incoming = rx.next() => match incoming {
                    None => Err(Closed),
                    Some(m) => self.incoming(m).await,
                },
                _ = tokio::time::sleep_until(self.session_check) => {
                    if self.session_stands().await { Ok(()) } else { self.session_ended().await }
                }
                Some((topic, d)) = self.subs.next() => self.events(Some(Ready::Feed(topic, d)), Vec::new()).await,
                Some(note) = self.notes.recv() => self.events(Some(Ready::Note(note)), Vec::new()).await,
            };
            if step.is_err() {
                return;
            }
        }
    }

    /// The actor's rights before a frame acts: read again from the store when a change
    /// of rights was published since the last reading ([`Hub::access_epoch`]), or when
    /// that reading is older than [`RIGHTS_MAX_AGE`] (changes made by another process,
    /// such as the command line). `Err` closes the socket.
    async fn rights(&mut self) -> Result<(), AppError> {
        let epoch = self.state.hub.access_epoch();
        if let Some((at, seen)) = self.checked {
            if seen == epoch && at.elapsed() < RIGHTS_MAX_AGE {
                return Ok(());
            }
        }
        self.refresh().await?;
        self.checked = Some((Instant::now(), epoch));
        Ok(())
    }

    /// The actor as stored now: still a member (customers) / still a member with a role
    /// (operators). `Err` closes the socket.
    async fn refresh(&mut self) -> Result<(), AppError> {
        match &mut self.side {
            Party::Customer { customer, .. } => policy::customer_still_valid(&self.state.db, customer).await,
            Party::Operator { actor, .. } => {
                let now = accounts::actor(&self.state.db, actor.user, actor.slug.as_str()).await?;
                *actor = now;
                Ok(())
            }
        }
    }

    /// The inbox's channel feeds, made to match the channels the operator may see now.
    async fn sync_channels(&mut self) -> Result<(), AppError> {
        let Party::Operator { actor, .. } = &self.side else {
            return Ok(());
        };
        let visible: Vec<ChannelId> = policy::inbox_channels(&self.state.db, actor)
            .await?
            .into_iter()
            .map(|c| ChannelId(c.id))
            .collect();
        let stale: Vec<Topic> = self
            .subs
            .keys()
            .filter(|t| matches!(t, Topic::Channel(c) if !visible.contains(c)))
            .cloned()
            .collect();
        for t in stale {
            self.subs.remove(&t);
        }
        for c in visible {
            self.feed(Topic::Channel(c));
        }
        Ok(())
    }

    /// After a change of rights: re-check the actor, the channels and every followed
    /// conversation; drop what is no longer theirs.
    async fn recheck(&mut self) -> Result<(), Closed> {
        let epoch = self.state.hub.access_epoch();
        if self.refresh().await.is_err() {
            return Err(Closed);
        }
        self.checked = Some((Instant::now(), epoch));
        if self.sync_channels().await.is_err() {
            return Err(Closed);
        }
        let followed: Vec<ConversationId> = self.followed.iter().copied().collect();
        for c in followed {
            let allowed =
                policy::conversation(&self.state.db, &self.side.viewer(), ConversationRight::Follow, c).await;
            if allowed.is_err() {
                self.unfollow(c);
            }
        }
        Ok(())
    }

    async fn incoming(&mut self, m: Result<ClientMsg, ()>) -> Result<(), Closed> {
        let m = match m {
            Ok(m) => m,
            Err(()) => {
                return self
                    .reply(vec![error(
                        None,
                        AppError::Transport("unreadable message".into()),
                    )])
                    .await
            }
        };
        // A heartbeat: answered at once, without touching the session (a page left open
        // must still reach its idle end) or the store. It spends from the same bucket, and
        // a refused one gets no answer.
        if matches!(m, ClientMsg::Ping) {
            if self.bucket.take().is_err() {
                return Ok(());
            }
            return self.reply(vec![ServerMsg::Pong]).await;
        }
        let client_id = match &m {
            ClientMsg::Send { client_id, .. } => Some(client_id.clone()),
            _ => None,
        };
        self.session_used().await;
        if let Err(secs) = self.bucket.take() {
            let e = AppError::Limit {
                code: Code::RateLimited,
                retry_after_secs: secs,
            };
            return self.reply(vec![error(client_id, e)]).await;
        }
        // Rights are confirmed before every frame acts.
        if let Err(e) = self.rights().await {
            let _ = self.reply(vec![error(client_id, e)]).await;
            return Err(Closed);
        }
        match m {
            ClientMsg::Resume {
                conversation,
                since_seq,
            } => self.resume(conversation, since_seq).await,
            ClientMsg::Send {
                client_id,
                conversation,
                body,
            } => {
                let ack = send(&self.state, &self.side, &client_id, conversation, &body).await;
                let reply = match ack {
                    Ok(ack) => ServerMsg::Ack {
                        client_id,
                        conversation: ack.conversation,
                        seq: ack.seq,
                        at: ack.at,
                    },
                    Err(e) => error(Some(client_id), e),
                };
                // The message's own event is usually ready by now: both leave in one write.
                self.events(None, vec![reply.into()]).await
            }
            ClientMsg::Typing { conversation } => {
                let name = self.side.name().to_string();
                let r = conv::typing(
                    &self.state.db,
                    self.state.hub.as_ref(),
                    &self.side.viewer(),
                    conversation,
                    &name,
                )
                .await;
                match r {
                    Ok(()) => Ok(()),
                    Err(e) => self.reply(vec![error(None, e)]).await,
                }
            }
            ClientMsg::Read { conversation, seq } => match self.read_later(conversation, seq) {
                Ok(()) => Ok(()),
                Err(e) => self.reply(vec![error(None, e)]).await,
            },
            ClientMsg::Ping => Ok(()),
        }
    }

    /// Hands a read receipt to this socket's receipt task, so live events never wait
    /// behind its write transaction. A full queue answers `rate_limited`.
    fn read_later(&mut self, c: ConversationId, seq: i64) -> Result<(), AppError> {
        let tx = self.reads.get_or_insert_with(|| {
            let (tx, rx) = mpsc::channel(READ_QUEUE);
            tokio::spawn(receipts(self.state.clone(), self.notes_tx.clone(), rx));
            tx
        });
        tx.try_send((self.side.clone(), c, seq))
            .map_err(|_| AppError::Limit {
                code: Code::RateLimited,
                retry_after_secs: 1,
            })
    }

    /// Follows a conversation the viewer may follow, then replays what they missed.
    async fn resume(&mut self, c: ConversationId, since: i64) -> Result<(), Closed> {
        if !self.followed.contains(&c) {
            if self.followed.len() >= self.limits.max_followed {
                let e = AppError::Limit {
                    code: Code::FollowLimit,
                    retry_after_secs: 0,
                };
                return self.reply(vec![error(None, e)]).await;
            }
            // The right first; only then a subscription.
            let allowed =
                policy::conversation(&self.state.db, &self.side.viewer(), ConversationRight::Follow, c).await;
            if let Err(e) = allowed {
                return self.reply(vec![error(None, e)]).await;
            }
            // Subscribe before replaying, so nothing falls in between.
            let sub = self.state.hub.subscribe(&Topic::Conversation(c));
            self.subs.insert(Topic::Conversation(c), sub);
            self.followed.insert(c);
            // With several nodes, the broker must have the subscription before the
            // store is read.
            self.state.hub.ready(&Topic::Conversation(c)).await;
        }
        // An inbox may have sent some of these already (its channel feed): the window
        // skips them during the replay.
        self.sent.entry(c).or_insert(Window::at(since));
        self.replay(c, since).await?;
        if let Some(w) = self.sent.get_mut(&c) {
            w.low = w.low.min(since);
        }
        Ok(())
    }

    /// Sends the stored messages of `c` after `since`, a page at a time.
    async fn replay(&mut self, c: ConversationId, since: i64) -> Result<(), Closed> {
        let mut from = since;
        loop {
            let page = conv::messages_since(&self.state.db, &self.side.viewer(), c, from, REPLAY_PAGE).await;
            let page = match page {
                Ok(p) => p,
                Err(e) => return self.reply(vec![error(None, e)]).await,
            };
            let n = page.len() as u64;
            if let Some(last) = page.last() {
                from = last.seq;
            }
            self.reply(
                page.into_iter()
                    .map(|message| ServerMsg::Message { message })
                    .collect(),
            )
            .await?;
            if n < REPLAY_PAGE {
                return Ok(());
            }
        }
    }

    /// Sends `out` with `first` and whatever else is already waiting (up to a limit), so
    /// things that are ready together leave in one write.
    async fn events(&mut self, first: Option<Ready>, mut out: Vec<Out>) -> Result<(), Closed> {
        let own = self.side.author();
        let mut next = first.or_else(|| self.ready());
        while let Some(ready) = next.take() {
            match ready {
                Ready::Feed(_, Ok(e)) if matches!(e.msg(), ServerMsg::Access { .. }) => {
                    self.reply(std::mem::take(&mut out)).await?;
                    self.recheck().await?;
                }
                Ready::Feed(_, Ok(e)) if matches!(e.msg(), ServerMsg::SessionsEnded { .. }) => {
                    self.reply(std::mem::take(&mut out)).await?;
                    if !self.session_stands().await {
                        return self.session_ended().await;
                    }
                }
                // Their own typing is not echoed back.
                Ready::Feed(_, Ok(e)) if matches!(e.msg(), ServerMsg::Typing { by, .. } if *by == own) => {}
                // A message past a gap (two nodes' events crossed on the way): what lies
                // between is committed, so it is sent from the store first.
                Ready::Feed(_, Ok(e)) if self.gap_before(&e).is_some() => {
                    self.reply(std::mem::take(&mut out)).await?;
                    if let Some((c, since)) = self.gap_before(&e) {
                        self.replay(c, since).await?;
                    }
                    out.push(Out::Shared(e));
                }
                Ready::Feed(_, Ok(e)) => out.push(Out::Shared(e)),
                // The broadcast buffer overflowed for this conversation: catch up from
                // the store. (A channel feed only shows what happens while it is open.)
                Ready::Feed(Topic::Conversation(c), Err(_)) => {
                    self.reply(std::mem::take(&mut out)).await?;
                    let since = self.sent.get(&c).map(|w| w.high).unwrap_or(0);
                    self.replay(c, since).await?;
                }
                Ready::Feed(_, Err(_)) => {}
                Ready::Note(m) => out.push(Out::Own(*m)),
            }
            if out.len() < EVENTS_PER_WRITE {
                next = self.ready();
            }
        }
        self.reply(out).await
    }

    /// For a message of a followed conversation that skips seqs after the last one sent:
    /// the conversation and that last seq.
    fn gap_before(&self, e: &app::backend::hub::Event) -> Option<(ConversationId, i64)> {
        let ServerMsg::Message { message } = e.msg() else {
            return None;
        };
        let c = message.conversation;
        let w = self.sent.get(&c)?;
        (self.followed.contains(&c) && message.seq > w.high + 1).then_some((c, w.high))
    }

    /// Something already waiting, without waiting.
    fn ready(&mut self) -> Option<Ready> {
        if let Some(Some((topic, d))) = self.subs.next().now_or_never() {
            return Some(Ready::Feed(topic, d));
        }
        self.notes.try_recv().ok().map(Ready::Note)
    }

    /// Sends messages, each conversation's seq at most once. A customer receives the
    /// messages of the conversations they resumed only; an inbox also receives the live
    /// messages of its channels (for previews).
    async fn reply<M: Into<Out>>(&mut self, out: Vec<M>) -> Result<(), Closed> {
        if out.is_empty() {
            return Ok(());
        }
        let strict = matches!(self.side, Party::Customer { .. });
        for m in out {
            let m: Out = m.into();
            // Internal notes travel on the operators' channel feeds, which a customer
            // never follows; and were one ever routed here, it would stop here.
            if strict && matches!(m.msg(), ServerMsg::InternalNote { .. }) {
                continue;
            }
            if let ServerMsg::Message { message } = m.msg() {
                let c = message.conversation;
                let w = match self.sent.get_mut(&c) {
                    Some(w) => w,
                    None if strict => continue,
                    None => self.sent.entry(c).or_insert(Window::at(message.seq - 1)),
                };
                if !w.admit(message.seq) {
                    continue;
                }
            }
            if let Out::Shared(e) = &m {
                let metrics = app::backend::metrics::get();
                metrics.hub_delivered.inc();
                if matches!(e.msg(), ServerMsg::Message { .. }) {
                    metrics.delivery_seconds.observe(e.age().as_secs_f64());
                }
            }
            if self.tx.feed(m).await.is_err() {
                return Err(Closed);
            }
        }
        // One write for everything that was ready.
        if self.tx.flush().await.is_err() {
            return Err(Closed);
        }
        Ok(())
    }
}
