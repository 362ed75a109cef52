//! Several nodes: the connection to NATS (`NATS_URL`) that the hub
//! ([`super::hub::nats`]), operators' presence and the shared limits
//! ([`super::ratelimit`]) use. A single node (the default) needs none of it.
//!
//! NATS is the broker: core subjects carry live events, and two JetStream key-value
//! buckets hold what every node must agree on — `netlines_presence` (which operators
//! have an inbox open on which node) and `netlines_limits` (sign-in and registration
//! attempts, REST leaky buckets and operating budgets). Works with nats-server 2.9 and
//! later (no per-key TTL is needed: entries carry their own times).

use async_nats::jetstream::{self, kv};
use serde::{de::DeserializeOwned, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// This node's link to the others.
#[derive(Clone)]
pub struct Cluster {
    /// This node's id (`NETLINES_NODE_ID`, or host name and process id): in every log
    /// line, on every event it publishes and on its presence entry.
    pub node: Arc<str>,
    pub client: async_nats::Client,
    pub limits: kv::Store,
    pub presence: kv::Store,
}

/// This process's node id: `NETLINES_NODE_ID`, or the host name and the process id
/// (a restarted node is a new node; the old one's presence simply expires).
pub fn node_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let given = std::env::var("NETLINES_NODE_ID").unwrap_or_default();
        let clean: String = given
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(64)
            .collect();
        if !clean.is_empty() {
            return clean;
        }
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_default();
        let host: String = host
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(48)
            .collect();
        let host = if host.is_empty() { "node".to_string() } else { host };
        format!("{host}-{}", std::process::id())
    })
}

/// Bucket names (one installation per NATS account; several share one with
/// `NETLINES_NATS_PREFIX`).
const LIMITS_BUCKET: &str = "limits";
const PRESENCE_BUCKET: &str = "presence";

impl Cluster {
    /// Connects to NATS and opens (or creates) the buckets. `longest_window` is the
    /// longest limit window: limit entries are kept that long after their last change.
    pub async fn connect(
        url: &str,
        node: &str,
        prefix: &str,
        longest_window: Duration,
    ) -> Result<Self, String> {
        let client = async_nats::ConnectOptions::new()
            .name(format!("netlines {node}"))
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| format!("NATS at {url}: {e}"))?;
        let js = jetstream::new(client.clone());
        let limits = bucket(
            &js,
            &format!("{prefix}_{LIMITS_BUCKET}"),
            longest_window + Duration::from_secs(60),
        )
        .await?;
        let presence = bucket(
            &js,
            &format!("{prefix}_{PRESENCE_BUCKET}"),
            Duration::from_secs(120),
        )
        .await?;
        Ok(Self {
            node: node.into(),
            client,
            limits,
            presence,
        })
    }

    /// Whether the link to NATS is up right now (the health check reports it).
    pub fn connected(&self) -> bool {
        matches!(
            self.client.connection_state(),
            async_nats::connection::State::Connected
        )
    }
}

/// Opens a key-value bucket, creating it the first time (nodes starting together all
/// ask to create it with the same settings, which JetStream accepts).
///
/// The bucket's stream is made here with the key-value conventions (`KV_{name}` on
/// `$KV.{name}.>`, one value per key, roll-ups, new writes refused when full) rather
/// than by `create_key_value`: that one first reads the account's JetStream info in a
/// shape nats-server 2.9 does not send (`reserved_memory`), and fails there.
async fn bucket(js: &jetstream::Context, name: &str, max_age: Duration) -> Result<kv::Store, String> {
    let config = jetstream::stream::Config {
        name: format!("KV_{name}"),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_age,
        storage: jetstream::stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: jetstream::stream::DiscardPolicy::New,
        num_replicas: 1,
        duplicate_window: Duration::from_secs(120).min(max_age),
        ..Default::default()
    };
    if let Err(create) = js.get_or_create_stream(config).await {
        return Err(format!(
            "NATS JetStream bucket {name}: {create} (is JetStream enabled: nats-server -js?)"
        ));
    }
    js.get_key_value(name)
        .await
        .map_err(|e| format!("NATS JetStream bucket {name}: {e}"))
}

/// A key for `raw` under `prefix`: a digest, so any text (an email, an address) fits
/// the keys' character set, and no personal data is written to the broker.
pub fn key(prefix: &str, raw: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(raw.as_bytes());
    format!("{prefix}.{}", hex::encode(&d[..16]))
}

/// Reads `key`, lets `f` decide its new value from the current one (`None`: absent or
/// unreadable) and writes it only if nobody wrote in between (compare-and-set on the
/// revision), trying again otherwise. `f` returning `None` writes nothing. Returns
/// `f`'s result of the round that counted.
pub async fn update<S, R>(
    kv: &kv::Store,
    key: &str,
    mut f: impl FnMut(Option<S>) -> (Option<S>, R),
) -> Result<R, String>
where
    S: Serialize + DeserializeOwned,
{
    let mut last = String::new();
    for _ in 0..32 {
        let entry = kv.entry(key).await.map_err(|e| e.to_string())?;
        let (current, revision) = match entry {
            Some(e) if e.operation == kv::Operation::Put => {
                (serde_json::from_slice(&e.value).ok(), Some(e.revision))
            }
            Some(e) => (None, Some(e.revision)),
            None => (None, None),
        };
        let (next, result) = f(current);
        let Some(next) = next else {
            return Ok(result);
        };
        let bytes: bytes::Bytes = serde_json::to_vec(&next).map_err(|e| e.to_string())?.into();
        let written = match revision {
            Some(r) => kv
                .update(key, bytes, r)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => kv.create(key, bytes).await.map(|_| ()).map_err(|e| e.to_string()),
        };
        match written {
            Ok(()) => return Ok(result),
            // Another node wrote first (or the broker failed): read again.
            Err(e) => {
                last = e;
                tokio::task::yield_now().await
            }
        }
    }
    Err(format!("{key}: not written after 32 attempts: {last}"))
}
