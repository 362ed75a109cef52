//! What a node reports at `/metrics` (the Prometheus/OpenMetrics text format, written by
//! `prometheus-client`). One set per process: every part of the node counts into it.
//!
//! Labels are bounded: socket kinds and REST methods come from fixed lists (an unknown
//! REST method is counted as `other`), channels are the ones with waiting
//! conversations, read from the store at each scrape.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::OnceLock;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SocketLabels {
    /// `customer` (`/ws`) or `inbox` (`/ws/inbox`).
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelLabels {
    pub channel: i64,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RestLabels {
    pub method: &'static str,
    pub status: u16,
}

pub struct Metrics {
    registry: Registry,
    /// Open live sockets by kind.
    pub sockets: Family<SocketLabels, Gauge>,
    /// Messages acknowledged (stored and committed), both sides, every path.
    pub acked: Counter,
    /// Time from the start of a message batch's transaction to its commit.
    pub commit_seconds: Histogram,
    /// Time from a committed event's publication to its write on a subscriber's socket.
    pub delivery_seconds: Histogram,
    /// Events put on hub topics (one per topic).
    pub hub_published: Counter,
    /// Events written to sockets from hub topics.
    pub hub_delivered: Counter,
    /// Events a slow subscriber lost to a full topic buffer (it caught up from the store).
    pub hub_lagged: Counter,
    /// Events received from other nodes through the broker (several nodes only).
    pub hub_received: Counter,
    /// Events waiting to be handed to the broker (several nodes only): the hub's lag.
    pub hub_outbox: Gauge,
    /// Events not handed to the broker because the outbox was full (the broker was
    /// unreachable for long); other nodes' clients catch up from the store.
    pub hub_dropped: Counter,
    /// Time from an event's publication on another node to its arrival here (several
    /// nodes only; the nodes' clocks are assumed to be in sync).
    pub hub_transit_seconds: Histogram,
    /// Conversations not answered by an operator yet, per channel (read at each scrape).
    pub waiting: Family<ChannelLabels, Gauge>,
    /// REST calls by method and HTTP status.
    pub rest_calls: Family<RestLabels, Counter>,
    /// Connections closed at once because their address had too many open.
    pub connections_refused: Counter,
    /// Uploads cut off for arriving slower than the minimum transfer rate.
    pub uploads_too_slow: Counter,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("netlines");
        let m = Self {
            sockets: Family::default(),
            acked: Counter::default(),
            // 0.1 ms … ~3 s.
            commit_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            delivery_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            hub_published: Counter::default(),
            hub_delivered: Counter::default(),
            hub_lagged: Counter::default(),
            hub_received: Counter::default(),
            hub_outbox: Gauge::default(),
            hub_dropped: Counter::default(),
            hub_transit_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            waiting: Family::default(),
            rest_calls: Family::default(),
            connections_refused: Counter::default(),
            uploads_too_slow: Counter::default(),
            registry: Registry::default(),
        };
        registry.register("sockets_open", "Open live sockets by kind", m.sockets.clone());
        registry.register(
            "connections_refused",
            "Connections closed at once: too many open from their address",
            m.connections_refused.clone(),
        );
        registry.register(
            "uploads_too_slow",
            "Uploads cut off for arriving slower than the minimum rate",
            m.uploads_too_slow.clone(),
        );
        registry.register(
            "messages_acked",
            "Messages acknowledged after their commit",
            m.acked.clone(),
        );
        registry.register(
            "message_commit_seconds",
            "Message batches: transaction start to commit",
            m.commit_seconds.clone(),
        );
        registry.register(
            "event_delivery_seconds",
            "Committed events: publication to the write on a subscriber's socket",
            m.delivery_seconds.clone(),
        );
        registry.register(
            "hub_published",
            "Events put on hub topics",
            m.hub_published.clone(),
        );
        registry.register(
            "hub_delivered",
            "Hub events written to sockets",
            m.hub_delivered.clone(),
        );
        registry.register(
            "hub_lagged",
            "Events lost by slow subscribers to full buffers (caught up from the store)",
            m.hub_lagged.clone(),
        );
        registry.register(
            "hub_received",
            "Events received from other nodes through the broker",
            m.hub_received.clone(),
        );
        registry.register(
            "hub_outbox",
            "Events waiting to be handed to the broker",
            m.hub_outbox.clone(),
        );
        registry.register(
            "hub_dropped",
            "Events not handed to the broker because the outbox was full",
            m.hub_dropped.clone(),
        );
        registry.register(
            "hub_transit_seconds",
            "Events from other nodes: publication there to arrival here",
            m.hub_transit_seconds.clone(),
        );
        registry.register(
            "conversations_waiting",
            "Conversations not answered by an operator yet, per channel",
            m.waiting.clone(),
        );
        registry.register(
            "rest_calls",
            "REST calls by method and HTTP status",
            m.rest_calls.clone(),
        );
        // Both kinds are always reported, 0 when none is open.
        for kind in ["customer", "inbox"] {
            let _ = m.sockets.get_or_create(&SocketLabels { kind });
        }
        Self { registry, ..m }
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Counts a REST call; methods outside `known` are counted as `other`.
    pub fn rest_call(&self, method: &str, known: impl IntoIterator<Item = &'static str>, status: u16) {
        let method = known.into_iter().find(|m| *m == method).unwrap_or("other");
        self.rest_calls
            .get_or_create(&RestLabels { method, status })
            .inc();
    }
}

/// The process's metrics.
pub fn get() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::new)
}

/// Counts an open socket of `kind` while it lives.
pub struct SocketGuard(&'static str);

impl SocketGuard {
    pub fn new(kind: &'static str) -> Self {
        get().sockets.get_or_create(&SocketLabels { kind }).inc();
        Self(kind)
    }
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        get().sockets.get_or_create(&SocketLabels { kind: self.0 }).dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_every_metric_and_bounds_rest_labels() {
        let m = Metrics::new();
        m.acked.inc_by(3);
        m.rest_call("imopenlines.config.get", ["imopenlines.config.get"], 200);
        m.rest_call("made.up.by.an.attacker", ["imopenlines.config.get"], 404);
        m.rest_call("another.made.up.one", ["imopenlines.config.get"], 404);
        m.commit_seconds.observe(0.002);
        m.waiting.get_or_create(&ChannelLabels { channel: 7 }).set(2);
        let text = m.encode();
        assert!(
            text.contains("netlines_sockets_open{kind=\"customer\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("netlines_conversations_waiting{channel=\"7\"} 2"),
            "{text}"
        );
        assert!(text.contains("netlines_messages_acked_total 3"), "{text}");
        assert!(
            text.contains("netlines_rest_calls_total{method=\"imopenlines.config.get\",status=\"200\"} 1")
        );
        assert!(text.contains("netlines_rest_calls_total{method=\"other\",status=\"404\"} 2"));
        assert!(!text.contains("made.up"));
        assert!(text.contains("netlines_message_commit_seconds_count 1"));
        for name in [
            "netlines_sockets_open",
            "netlines_event_delivery_seconds",
            "netlines_hub_published_total",
            "netlines_hub_delivered_total",
            "netlines_hub_lagged_total",
        ] {
            assert!(text.contains(name), "{name} missing from {text}");
        }
    }
}
