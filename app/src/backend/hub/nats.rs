//! The hub of several nodes, over NATS.
//!
//! **Events.** Every topic is a NATS subject (`{prefix}.conv.{id}`, `{prefix}.chan.{id}`,
//! `{prefix}.acct.{account}.cust.{user}.{channel}`, `{prefix}.acct.{account}.access`;
//! conversation and channel ids are unique across accounts, so their subjects name one
//! account's data only). A node subscribes to a subject while one of its sockets
//! follows the topic, and only then, so it receives only what its clients follow.
//! Publishing (always after the commit) hands the event to this node's subscribers at
//! once and to the broker in the background, in order, with the node's id in a header;
//! a node skips its own events when the broker brings them back.
//!
//! Events of one conversation published by two nodes may arrive out of seq order; the
//! sockets fill any gap from the store before going on (`server/src/live.rs`), so each
//! client still sees every message once and in order.
//!
//! **Presence.** Each node writes the operators with an inbox open on it to its own
//! key of the `presence` bucket: at every change and every quarter of the presence
//! time-to-live. Every node watches the bucket; a node not heard from for the
//! time-to-live (crashed, cut off) counts as having nobody online, so its operators go
//! offline within seconds and their waiting conversations are re-dispatched.

use super::{Event, Hub, LocalHub, Subscription, Topic};
use crate::backend::cluster::Cluster;
use crate::backend::metrics;
use crate::domain::UserId;
use crate::protocol::ServerMsg;
use futures::StreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Notify};

/// Header with the publishing node's id.
const ORIGIN: &str = "Netlines-Node";
/// Header with the publication time (ms since the Unix epoch).
const BORN: &str = "Netlines-Born-Ms";

/// Events the outbox holds at most while the broker is unreachable. Past it new events
/// reach this node's own clients only (counted in `hub_dropped`): the store holds every
/// message, and clients on other nodes catch up from it when they resume or when the
/// next event of that conversation shows them the gap.
const OUTBOX_LIMIT: usize = 100_000;

/// One event on its way to the broker.
struct Outgoing {
    subjects: Vec<String>,
    payload: bytes::Bytes,
    born_ms: i64,
}

/// This node's subscription to one subject.
struct Remote {
    subscribers: usize,
    /// `true` once the broker has the subscription request.
    ready: watch::Receiver<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// Who has an inbox open on another node, as last heard.
struct Peer {
    users: HashSet<UserId>,
    heard: Instant,
}

pub struct NatsHub {
    cluster: Cluster,
    prefix: Arc<str>,
    local: Arc<LocalHub>,
    remote: Arc<Mutex<HashMap<Topic, Remote>>>,
    outbox: mpsc::UnboundedSender<Outgoing>,
    /// Events in `outbox` (bounded by [`OUTBOX_LIMIT`]).
    queued: Arc<std::sync::atomic::AtomicUsize>,
    peers: Arc<Mutex<HashMap<String, Peer>>>,
    /// Users another node has stopped listing, not yet taken.
    departed: Arc<Mutex<Vec<UserId>>>,
    ttl: Duration,
    presence_changed: Arc<Notify>,
}

impl NatsHub {
    /// Starts the hub's background tasks (publisher, presence writer and watcher).
    /// `ttl`: how long a node's presence counts without being renewed.
    pub fn start(cluster: Cluster, prefix: &str, ttl: Duration) -> Arc<Self> {
        let (outbox, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let hub = Arc::new(Self {
            queued: Arc::clone(&queued),
            prefix: prefix.into(),
            local: Arc::new(LocalHub::default()),
            remote: Arc::new(Mutex::new(HashMap::new())),
            outbox,
            peers: Arc::new(Mutex::new(HashMap::new())),
            departed: Arc::new(Mutex::new(Vec::new())),
            ttl,
            presence_changed: Arc::new(Notify::new()),
            cluster,
        });
        tokio::spawn(publisher(
            hub.cluster.client.clone(),
            hub.cluster.node.clone(),
            rx,
            queued,
        ));
        tokio::spawn(write_presence(Arc::downgrade(&hub)));
        tokio::spawn(watch_presence(Arc::downgrade(&hub)));
        hub
    }

    fn subject(&self, topic: &Topic) -> String {
        let p = &self.prefix;
        match topic {
            Topic::Conversation(c) => format!("{p}.conv.{}", c.0),
            Topic::Channel(c) => format!("{p}.chan.{}", c.0),
            Topic::Customer {
                user,
                account,
                channel,
            } => format!("{p}.acct.{}.cust.{}.{}", account.0, user.0, channel.0),
            Topic::Access(a) => format!("{p}.acct.{}.access", a.0),
            Topic::Sessions(u) => format!("{p}.user.{}.sessions", u.0),
        }
    }

    /// Operators online on other nodes heard from within the time-to-live.
    fn fresh_peers(&self) -> HashSet<UserId> {
        let peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        peers
            .values()
            .filter(|p| p.heard.elapsed() < self.ttl)
            .flat_map(|p| p.users.iter().copied())
            .collect()
    }

    /// Subscribes this node to `topic`'s subject (if it is not yet): a task receives
    /// the other nodes' events and hands them to this node's subscribers.
    fn follow(&self, topic: &Topic) {
        let mut remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = remote.get_mut(topic) {
            r.subscribers += 1;
            return;
        }
        let (ready_tx, ready) = watch::channel(false);
        let subject = self.subject(topic);
        let client = self.cluster.client.clone();
        let node = self.cluster.node.clone();
        let local = Arc::clone(&self.local);
        let t = topic.clone();
        let task = tokio::spawn(async move {
            let mut sub = match client.subscribe(subject.clone()).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, %subject, "subscribing to the broker failed");
                    let _ = ready_tx.send(true);
                    return;
                }
            };
            let _ = ready_tx.send(true);
            while let Some(m) = sub.next().await {
                let header = |name: &str| {
                    m.headers
                        .as_ref()
                        .and_then(|h| h.get(name))
                        .map(|v| v.as_str().to_string())
                };
                if header(ORIGIN).as_deref() == Some(&*node) {
                    continue;
                }
                let m_metrics = metrics::get();
                m_metrics.hub_received.inc();
                if let Some(born) = header(BORN).and_then(|b| b.parse::<i64>().ok()) {
                    let transit = (crate::backend::now_ms() - born).max(0) as f64 / 1000.0;
                    m_metrics.hub_transit_seconds.observe(transit);
                }
                let event = String::from_utf8(m.payload.to_vec())
                    .map_err(|e| e.to_string())
                    .and_then(|json| Event::from_json(json).map_err(|e| e.to_string()));
                match event {
                    Ok(e) => local.publish_event(std::slice::from_ref(&t), Arc::new(e)),
                    Err(e) => tracing::warn!(error = %e, %subject, "unreadable event from the broker"),
                }
            }
        });
        remote.insert(
            topic.clone(),
            Remote {
                subscribers: 1,
                ready,
                task,
            },
        );
    }
}

/// Forgets one subscriber of `topic`; the last one unsubscribes the node.
fn unfollow(remote: &Mutex<HashMap<Topic, Remote>>, topic: &Topic) {
    let mut remote = remote.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = remote.get_mut(topic) {
        r.subscribers = r.subscribers.saturating_sub(1);
        if r.subscribers == 0 {
            // Dropping the broker subscription (inside the task) unsubscribes.
            r.task.abort();
            remote.remove(topic);
        }
    }
}

impl Hub for NatsHub {
    fn publish(&self, topic: &Topic, msg: ServerMsg) {
        self.publish_all(std::slice::from_ref(topic), msg)
    }

    fn publish_all(&self, topics: &[Topic], msg: ServerMsg) {
        let event = Arc::new(Event::new(msg));
        let payload = bytes::Bytes::copy_from_slice(event.json().as_bytes());
        self.local.publish_event(topics, event);
        let out = Outgoing {
            subjects: topics.iter().map(|t| self.subject(t)).collect(),
            payload,
            born_ms: crate::backend::now_ms(),
        };
        use std::sync::atomic::Ordering;
        if self.queued.fetch_add(1, Ordering::Relaxed) >= OUTBOX_LIMIT {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            metrics::get().hub_dropped.inc();
            return;
        }
        metrics::get().hub_outbox.inc();
        if self.outbox.send(out).is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            metrics::get().hub_outbox.dec();
            tracing::error!("the broker publisher has stopped: an event reached this node only");
        }
    }

    fn subscribe(&self, topic: &Topic) -> Subscription {
        let sub = self.local.subscribe_local(topic);
        self.follow(topic);
        let remote = Arc::clone(&self.remote);
        let topic = topic.clone();
        sub.and_then_release(Box::new(move || unfollow(&remote, &topic)))
    }

    fn ready(&self, topic: &Topic) -> futures::future::BoxFuture<'static, ()> {
        let ready = self
            .remote
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(topic)
            .map(|r| r.ready.clone());
        let client = self.cluster.client.clone();
        Box::pin(async move {
            let limit = Duration::from_secs(2);
            if let Some(mut ready) = ready {
                let _ = tokio::time::timeout(limit, ready.wait_for(|r| *r)).await;
            }
            // The broker answers a flush after it has handled everything sent before,
            // the subscription included.
            if let Ok(Err(e)) = tokio::time::timeout(limit, client.flush()).await {
                tracing::warn!(error = %e, "the broker did not confirm a subscription");
            }
        })
    }

    fn presence(&self, user: UserId, connected: bool) -> bool {
        let here = self.local.count_presence(user, connected);
        self.presence_changed.notify_one();
        here
    }

    fn is_online(&self, user: UserId) -> bool {
        self.local.online_here(user) || self.fresh_peers().contains(&user)
    }

    fn online_users(&self) -> Vec<UserId> {
        let mut all = self.local.here();
        all.extend(self.fresh_peers());
        all.into_iter().collect()
    }

    fn take_departed(&self) -> Vec<UserId> {
        let mut all = self.local.take_departed_here();
        all.append(&mut self.departed.lock().unwrap_or_else(|e| e.into_inner()));
        all
    }

    fn topic_count(&self) -> usize {
        self.local.topics_held()
    }

    fn access_epoch(&self) -> u64 {
        self.local.epoch()
    }
}

/// Hands events to the broker in the order they were published.
async fn publisher(
    client: async_nats::Client,
    node: Arc<str>,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    queued: Arc<std::sync::atomic::AtomicUsize>,
) {
    while let Some(out) = rx.recv().await {
        queued.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        metrics::get().hub_outbox.dec();
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(ORIGIN, &*node);
        headers.insert(BORN, out.born_ms.to_string().as_str());
        for subject in out.subjects {
            if let Err(e) = client
                .publish_with_headers(subject, headers.clone(), out.payload.clone())
                .await
            {
                tracing::error!(error = %e, "publishing to the broker failed");
            }
        }
    }
}

/// Writes this node's online operators to its presence key at every change and every
/// quarter of the time-to-live. Ends with the hub.
async fn write_presence(hub: std::sync::Weak<NatsHub>) {
    loop {
        let Some(h) = hub.upgrade() else { return };
        let mut users: Vec<i64> = h.local.here().into_iter().map(|u| u.0).collect();
        users.sort_unstable();
        let body = serde_json::to_vec(&users).unwrap_or_default();
        if let Err(e) = h.cluster.presence.put(&*h.cluster.node, body.into()).await {
            tracing::warn!(error = %e, "writing presence to the broker failed");
        }
        let beat = (h.ttl / 4).max(Duration::from_millis(100));
        let changed = Arc::clone(&h.presence_changed);
        drop(h);
        let _ = tokio::time::timeout(beat, changed.notified()).await;
    }
}

/// Keeps the other nodes' presence as last heard. Ends with the hub.
async fn watch_presence(hub: std::sync::Weak<NatsHub>) {
    loop {
        let Some(h) = hub.upgrade() else { return };
        let (store, node, peers, departed) = (
            h.cluster.presence.clone(),
            h.cluster.node.clone(),
            Arc::clone(&h.peers),
            Arc::clone(&h.departed),
        );
        drop(h);
        let mut entries = match store.watch_all().await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "watching presence failed; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        while let Some(entry) = entries.next().await {
            if hub.strong_count() == 0 {
                return;
            }
            let Ok(entry) = entry else { break };
            if entry.key == *node {
                continue;
            }
            let mut peers = peers.lock().unwrap_or_else(|e| e.into_inner());
            let before = peers.get(&entry.key).map(|p| p.users.clone()).unwrap_or_default();
            match entry.operation {
                async_nats::jetstream::kv::Operation::Put => {
                    let users: Vec<i64> = serde_json::from_slice(&entry.value).unwrap_or_default();
                    // An old entry (a node gone before this one started) is as old as
                    // the broker says, not new.
                    let written_ms = (entry.created.unix_timestamp_nanos() / 1_000_000) as i64;
                    let age = Duration::from_millis((crate::backend::now_ms() - written_ms).max(0) as u64);
                    let now = Instant::now();
                    peers.insert(
                        entry.key.clone(),
                        Peer {
                            users: users.into_iter().map(UserId).collect(),
                            heard: now.checked_sub(age).unwrap_or(now),
                        },
                    );
                }
                _ => {
                    peers.remove(&entry.key);
                }
            }
            let after = peers.get(&entry.key).map(|p| &p.users);
            let mut gone = departed.lock().unwrap_or_else(|e| e.into_inner());
            if gone.len() < 100_000 {
                gone.extend(
                    before
                        .into_iter()
                        .filter(|u| !after.is_some_and(|a| a.contains(u))),
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
