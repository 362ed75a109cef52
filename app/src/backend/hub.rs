//! Fan-out of live events. [`Hub`] is the seam: [`LocalHub`] (tokio broadcast) serves
//! one node; [`nats::NatsHub`] connects several through NATS (`NATS_URL`).
//!
//! Events are published only after the transaction that stored them has committed, so
//! nobody sees a message that could still be rolled back. A subscriber that lags behind
//! loses live events but never data: it resumes from the store with "since seq N".

use crate::domain::{AccountId, ChannelId, ConversationId, UserId};
use crate::protocol::ServerMsg;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

pub mod nats;

/// What a subscriber follows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Messages and status changes of one conversation.
    Conversation(ConversationId),
    /// New and changed conversations of one channel (operators' inboxes).
    Channel(ChannelId),
    /// New and changed conversations of one customer with one channel.
    Customer {
        user: UserId,
        account: AccountId,
        channel: ChannelId,
    },
    /// Rights changed in one account (a role, a membership, a queue): every live socket
    /// acting in that account re-checks what it may still see. Never sent to browsers.
    Access(AccountId),
    /// Sessions of one user ended (sign-out, "Sign out everywhere"): that user's live
    /// sockets check that their own session still stands, and close if not. Never sent
    /// to browsers.
    Sessions(UserId),
}

/// One published event. Every subscriber shares it, and its JSON is made once, by the
/// first socket that sends it.
#[derive(Debug)]
pub struct Event {
    msg: ServerMsg,
    json: std::sync::OnceLock<String>,
    /// When it was published (metrics: publication → socket).
    born: std::time::Instant,
}

impl Event {
    pub fn new(msg: ServerMsg) -> Self {
        Self {
            msg,
            json: std::sync::OnceLock::new(),
            born: std::time::Instant::now(),
        }
    }

    /// An event received as JSON (from another node): its text is kept, not made again.
    pub fn from_json(json: String) -> Result<Self, serde_json::Error> {
        let msg = serde_json::from_str(&json)?;
        Ok(Self {
            msg,
            json: std::sync::OnceLock::from(json),
            born: std::time::Instant::now(),
        })
    }

    /// Time since it was published.
    pub fn age(&self) -> std::time::Duration {
        self.born.elapsed()
    }

    pub fn msg(&self) -> &ServerMsg {
        &self.msg
    }

    /// The event as the socket protocol's JSON text.
    pub fn json(&self) -> &str {
        self.json
            .get_or_init(|| serde_json::to_string(&self.msg).unwrap_or_default())
    }
}

/// What a subscription yields: an event, or how many were lost to a full buffer (the
/// subscriber catches up from the store).
pub type Delivery = Result<Arc<Event>, u64>;

/// A live subscription to one topic: a stream of deliveries, ending only when the hub
/// goes away. Dropping it unsubscribes; the hub forgets a topic (and frees its buffer)
/// when its last subscription is dropped.
pub struct Subscription {
    rx: Option<BroadcastStream<Arc<Event>>>,
    release: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl Subscription {
    pub fn new(
        rx: broadcast::Receiver<Arc<Event>>,
        release: Option<Box<dyn FnOnce() + Send + Sync>>,
    ) -> Self {
        Self {
            rx: Some(BroadcastStream::new(rx)),
            release,
        }
    }

    /// Runs `release` too when the subscription is dropped (after the first).
    pub fn and_then_release(mut self, release: Box<dyn FnOnce() + Send + Sync>) -> Self {
        let first = self.release.take();
        self.release = Some(Box::new(move || {
            if let Some(f) = first {
                f();
            }
            release();
        }));
        self
    }

    /// The next event's message (tests and simple followers).
    pub async fn recv(&mut self) -> Result<ServerMsg, broadcast::error::RecvError> {
        use futures::StreamExt;
        match self.next().await {
            Some(Ok(e)) => Ok(e.msg().clone()),
            Some(Err(n)) => Err(broadcast::error::RecvError::Lagged(n)),
            None => Err(broadcast::error::RecvError::Closed),
        }
    }

    /// The next event's message if one is waiting.
    pub fn try_recv(&mut self) -> Result<ServerMsg, broadcast::error::TryRecvError> {
        use futures::{FutureExt, StreamExt};
        match self.next().now_or_never() {
            Some(Some(Ok(e))) => Ok(e.msg().clone()),
            Some(Some(Err(n))) => Err(broadcast::error::TryRecvError::Lagged(n)),
            Some(None) => Err(broadcast::error::TryRecvError::Closed),
            None => Err(broadcast::error::TryRecvError::Empty),
        }
    }
}

impl futures::Stream for Subscription {
    type Item = Delivery;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Delivery>> {
        let Some(rx) = self.rx.as_mut() else {
            return std::task::Poll::Ready(None);
        };
        std::pin::Pin::new(rx).poll_next(cx).map(|item| {
            item.map(|d| {
                d.map_err(|BroadcastStreamRecvError::Lagged(n)| {
                    crate::backend::metrics::get().hub_lagged.inc_by(n);
                    n
                })
            })
        })
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // The receiver goes first, so the release sees the true subscriber count.
        drop(self.rx.take());
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

/// Fan-out of events, and operators' presence (who has an inbox open), which the
/// queue's "evenly" distribution needs; several nodes will share both through the broker.
pub trait Hub: Send + Sync + 'static {
    fn publish(&self, topic: &Topic, msg: ServerMsg);
    /// Publishes one event to several topics (it is stored and serialised once).
    fn publish_all(&self, topics: &[Topic], msg: ServerMsg) {
        for t in topics {
            self.publish(t, msg.clone());
        }
    }
    /// Subscribes to `topic`. Callers check the right to follow it first.
    fn subscribe(&self, topic: &Topic) -> Subscription;
    /// An inbox of `user` connected (`true`) or disconnected (`false`). Returns whether
    /// the user is online now.
    fn presence(&self, user: UserId, connected: bool) -> bool;
    /// Whether `user` has an inbox open on any node.
    fn is_online(&self, user: UserId) -> bool;
    /// Everyone with an inbox open on any node.
    fn online_users(&self) -> Vec<UserId>;
    /// Users whose last inbox closed (here, or on another node as last heard) since the
    /// previous call: with [`Hub::online_users`] sampled now and then, nobody who was
    /// online only briefly is missed.
    fn take_departed(&self) -> Vec<UserId>;
    /// Resolves once events of `topic`, which this node has just subscribed to, are
    /// sure to reach it: a socket replays the store only after that, so nothing
    /// published in between is missed. At once for one node.
    fn ready(&self, _topic: &Topic) -> futures::future::BoxFuture<'static, ()> {
        Box::pin(std::future::ready(()))
    }
    /// Topics this node holds buffers for (metrics and tests).
    fn topic_count(&self) -> usize {
        0
    }
    /// Grows by one at every published change of rights ([`Topic::Access`], any
    /// account): a live socket compares it with the value it last checked rights at,
    /// and reads them again from the store only when it moved (or the check is old).
    fn access_epoch(&self) -> u64 {
        0
    }
}

/// In-process hub: one broadcast channel per topic with subscribers.
pub struct LocalHub {
    capacity: usize,
    /// One broadcast buffer per followed topic. Its slots hold `Arc`s, so an event is
    /// stored (and serialised) once however many slots and subscribers see it.
    topics: Arc<Mutex<HashMap<Topic, broadcast::Sender<Arc<Event>>>>>,
    /// Open inbox connections per user.
    online: Mutex<HashMap<UserId, usize>>,
    /// Users whose last inbox connection here closed, not yet taken.
    departed: Mutex<Vec<UserId>>,
    access_epoch: std::sync::atomic::AtomicU64,
}

impl LocalHub {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            topics: Arc::new(Mutex::new(HashMap::new())),
            online: Mutex::new(HashMap::new()),
            departed: Mutex::new(Vec::new()),
            access_epoch: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl Default for LocalHub {
    fn default() -> Self {
        Self::new(1024)
    }
}

/// Events a topic's buffer holds for a slow subscriber before it lags (and then
/// catches up from the store). Buffers are allocated whole, so topics that carry few
/// events — one customer's conversations, an account's rights — get small ones.
fn buffer_for(topic: &Topic, capacity: usize) -> usize {
    match topic {
        Topic::Channel(_) => capacity,
        Topic::Conversation(_) => capacity.min(256),
        Topic::Customer { .. } => capacity.min(32),
        Topic::Access(_) | Topic::Sessions(_) => capacity.min(8),
    }
}

impl Hub for LocalHub {
    fn publish(&self, topic: &Topic, msg: ServerMsg) {
        self.publish_all(std::slice::from_ref(topic), msg)
    }

    fn publish_all(&self, topics: &[Topic], msg: ServerMsg) {
        self.publish_event(topics, Arc::new(Event::new(msg)));
    }

    fn subscribe(&self, topic: &Topic) -> Subscription {
        self.subscribe_local(topic)
    }

    fn presence(&self, user: UserId, connected: bool) -> bool {
        self.count_presence(user, connected)
    }

    fn is_online(&self, user: UserId) -> bool {
        self.online_here(user)
    }

    fn online_users(&self) -> Vec<UserId> {
        self.here().into_iter().collect()
    }

    fn take_departed(&self) -> Vec<UserId> {
        self.take_departed_here()
    }

    fn access_epoch(&self) -> u64 {
        self.epoch()
    }

    fn topic_count(&self) -> usize {
        self.topics_held()
    }
}

impl LocalHub {
    /// Puts one event on several topics (of this node), bumping the access epoch first
    /// when rights changed.
    pub fn publish_event(&self, topics: &[Topic], event: Arc<Event>) {
        if topics.iter().any(|t| matches!(t, Topic::Access(_))) {
            // Before the event goes out, so no socket can see the event and an old epoch.
            self.access_epoch
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        let mut all = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        for topic in topics {
            if let Some(tx) = all.get(topic) {
                if tx.send(Arc::clone(&event)).is_err() {
                    // Nobody listens any more: forget the topic.
                    all.remove(topic);
                } else {
                    crate::backend::metrics::get().hub_published.inc();
                }
            }
        }
    }

    /// Subscribes on this node only.
    pub fn subscribe_local(&self, topic: &Topic) -> Subscription {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        let rx = topics
            .entry(topic.clone())
            .or_insert_with(|| broadcast::channel(buffer_for(topic, self.capacity)).0)
            .subscribe();
        let all = Arc::clone(&self.topics);
        let topic = topic.clone();
        Subscription::new(
            rx,
            Some(Box::new(move || {
                let mut topics = all.lock().unwrap_or_else(|e| e.into_inner());
                if topics.get(&topic).is_some_and(|tx| tx.receiver_count() == 0) {
                    topics.remove(&topic);
                }
            })),
        )
    }

    /// Counts an inbox connection of `user` opening or closing on this node; whether
    /// they have one open here now.
    pub fn count_presence(&self, user: UserId, connected: bool) -> bool {
        let mut online = self.online.lock().unwrap_or_else(|e| e.into_inner());
        let n = online.entry(user).or_insert(0);
        if connected {
            *n += 1;
        } else {
            *n = n.saturating_sub(1);
        }
        let now = *n > 0;
        if !now {
            online.remove(&user);
            if !connected {
                let mut departed = self.departed.lock().unwrap_or_else(|e| e.into_inner());
                // Bounded: the sweep takes them every second.
                if departed.len() < 100_000 {
                    departed.push(user);
                }
            }
        }
        now
    }

    /// Users whose last inbox here closed since the previous call.
    pub fn take_departed_here(&self) -> Vec<UserId> {
        std::mem::take(&mut *self.departed.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn epoch(&self) -> u64 {
        self.access_epoch.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn topics_held(&self) -> usize {
        self.topics.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether `user` has an inbox open on this node.
    pub fn online_here(&self, user: UserId) -> bool {
        self.online
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&user)
            .is_some_and(|n| *n > 0)
    }

    /// Everyone with an inbox open on this node.
    pub fn here(&self) -> std::collections::HashSet<UserId> {
        self.online
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(seq: i64) -> ServerMsg {
        ServerMsg::Ack {
            client_id: "abcdefgh".into(),
            conversation: ConversationId(1),
            seq,
            at: 0,
        }
    }

    #[tokio::test]
    async fn subscribers_get_what_is_published_to_their_topic_only() {
        let hub = LocalHub::default();
        let t1 = Topic::Conversation(ConversationId(1));
        let t2 = Topic::Conversation(ConversationId(2));
        let mut a = hub.subscribe(&t1);
        let mut b = hub.subscribe(&t2);
        hub.publish(&t1, ack(1));
        assert_eq!(a.recv().await.unwrap(), ack(1));
        assert!(b.try_recv().is_err());
    }

    #[tokio::test]
    async fn one_event_is_shared_by_every_topic_and_serialised_once() {
        use futures::StreamExt;
        let hub = LocalHub::default();
        let (t1, t2) = (
            Topic::Conversation(ConversationId(1)),
            Topic::Channel(ChannelId(1)),
        );
        let mut a = hub.subscribe(&t1);
        let mut b = hub.subscribe(&t2);
        hub.publish_all(&[t1, t2], ack(7));
        let ea = a.next().await.unwrap().unwrap();
        let eb = b.next().await.unwrap().unwrap();
        assert!(Arc::ptr_eq(&ea, &eb));
        assert_eq!(ea.json(), serde_json::to_string(&ack(7)).unwrap());
        assert!(std::ptr::eq(ea.json(), eb.json()), "the JSON is made once");
    }

    #[test]
    fn presence_counts_connections() {
        let hub = LocalHub::default();
        let u = UserId(3);
        assert!(!hub.is_online(u));
        assert!(hub.presence(u, true));
        assert!(hub.presence(u, true));
        assert!(hub.presence(u, false));
        assert!(hub.is_online(u));
        assert!(!hub.presence(u, false));
        assert!(!hub.is_online(u));
        assert!(!hub.presence(u, false));
    }

    #[test]
    fn a_topic_is_freed_when_its_last_subscription_is_dropped() {
        let hub = LocalHub::default();
        let t = Topic::Conversation(ConversationId(5));
        let a = hub.subscribe(&t);
        let b = hub.subscribe(&t);
        assert_eq!(hub.topic_count(), 1);
        drop(a);
        assert_eq!(hub.topic_count(), 1, "one subscriber is left");
        drop(b);
        assert_eq!(hub.topic_count(), 0);
        // Many short-lived subscriptions leave nothing behind.
        for i in 0..10_000 {
            drop(hub.subscribe(&Topic::Conversation(ConversationId(i))));
        }
        assert_eq!(hub.topic_count(), 0);
    }

    #[test]
    fn topics_without_subscribers_are_forgotten() {
        let hub = LocalHub::default();
        let t = Topic::Channel(ChannelId(9));
        let sub = hub.subscribe(&t);
        assert_eq!(hub.topic_count(), 1);
        // A receiver that outlived its release (never the case through `Subscription`)
        // is cleaned up on the next publish.
        hub.topics.lock().unwrap().get(&t).unwrap().subscribe();
        drop(sub);
        hub.publish(&t, ack(1));
        assert_eq!(hub.topic_count(), 0);
        // Publishing where nobody ever subscribed creates nothing.
        hub.publish(&Topic::Channel(ChannelId(10)), ack(1));
        assert_eq!(hub.topic_count(), 0);
    }
}
