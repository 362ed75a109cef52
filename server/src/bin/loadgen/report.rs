//! Figures of a run: printed one a line, and as JSON.

use crate::idle::IdleFigures;
use crate::traffic::PairState;
use crate::Args;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What reading every conversation back from the store showed.
#[derive(Default, Debug)]
pub struct Check {
    pub acked: u64,
    /// Acknowledged but not stored.
    pub missing: u64,
    /// Stored more than once (same client id).
    pub duplicated: u64,
    /// Stored under another seq than the ack said, or seqs not 1, 2, 3…
    pub out_of_order: u64,
    pub customer_missing: u64,
    pub customer_duplicated: u64,
    pub operator_missing: u64,
    pub operator_duplicated: u64,
    pub customer_redelivered: u64,
    pub operator_redelivered: u64,
    pub ack_conflicts: u64,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl Check {
    pub fn add(&mut self, s: &PairState, stored: &[(i64, Option<String>)]) {
        for (i, (seq, _)) in stored.iter().enumerate() {
            if *seq != i as i64 + 1 {
                self.out_of_order += 1;
            }
        }
        let mut by_id: HashMap<&str, Vec<i64>> = HashMap::new();
        for (seq, cid) in stored {
            if let Some(c) = cid {
                by_id.entry(c.as_str()).or_default().push(*seq);
            }
        }
        for (cid, seq) in &s.acked {
            self.acked += 1;
            match by_id.get(cid.as_str()).map(|v| v.as_slice()) {
                None | Some([]) => self.missing += 1,
                Some([one]) => {
                    if one != seq {
                        self.out_of_order += 1;
                    }
                }
                Some(_) => self.duplicated += 1,
            }
            match s.customer_seen.get(seq).copied().unwrap_or(0) {
                0 => self.customer_missing += 1,
                1 => {}
                _ => self.customer_duplicated += 1,
            }
            match s.operator_seen.get(seq).copied().unwrap_or(0) {
                0 => self.operator_missing += 1,
                1 => {}
                _ => self.operator_duplicated += 1,
            }
        }
        self.customer_redelivered += s.customer_redelivered;
        self.operator_redelivered += s.operator_redelivered;
        self.ack_conflicts += s.ack_conflicts;
        self.errors += s.errors;
        if self.first_error.is_none() {
            self.first_error = s.first_error.clone();
        }
    }
}

pub struct Report {
    pub lines: Vec<(&'static str, Value, &'static str)>,
    check: Option<Check>,
    acked_total: u64,
}

fn pct(v: &[u32], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i] as f64 / 1000.0
}

fn round(x: f64, d: i32) -> f64 {
    let m = 10f64.powi(d);
    (x * m).round() / m
}

/// CPU used by this process so far, in seconds.
fn own_cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s[s.rfind(')')? + 2..].to_string();
            let f: Vec<f64> = rest
                .split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|x| x.parse().ok())
                .collect();
            Some(f.iter().sum::<f64>() / 100.0)
        })
        .unwrap_or(0.0)
}

#[allow(clippy::too_many_arguments)]
pub fn traffic(
    args: &Args,
    pairs: usize,
    secs: f64,
    states: &[Arc<Mutex<PairState>>],
    check: Check,
    server_cpu: Option<f64>,
    peak_rss: u64,
    kills: usize,
    forced: usize,
    reconnects: usize,
) -> Report {
    let (mut acks, mut delivered) = (0u64, 0u64);
    let (mut lat, mut ack_lat) = (Vec::new(), Vec::new());
    for s in states {
        let s = s.lock().unwrap();
        acks += s.acks_measured;
        delivered += s.delivered_measured;
        lat.extend_from_slice(&s.delivery_latency_us);
        ack_lat.extend_from_slice(&s.ack_latency_us);
    }
    lat.sort_unstable();
    ack_lat.sort_unstable();
    let mode = if args.rate > 0.0 {
        format!("rate {} msgs/s", args.rate)
    } else {
        "flat out".to_string()
    };
    let lines = vec![
        ("label", json!(args.label), ""),
        ("mode", json!(mode), ""),
        ("nodes", json!(args.nodes), ""),
        ("pairs", json!(pairs), ""),
        ("seconds", json!(round(secs, 2)), "s"),
        ("acked_per_sec", json!(round(acks as f64 / secs, 0)), "msgs/s"),
        (
            "delivered_per_sec",
            json!(round(delivered as f64 / secs, 0)),
            "msgs/s",
        ),
        (
            "latency_p50_ms",
            json!(round(pct(&lat, 0.50), 2)),
            "ms (send → operator)",
        ),
        ("latency_p95_ms", json!(round(pct(&lat, 0.95), 2)), "ms"),
        ("latency_p99_ms", json!(round(pct(&lat, 0.99), 2)), "ms"),
        ("latency_max_ms", json!(round(pct(&lat, 1.0), 2)), "ms"),
        (
            "ack_p50_ms",
            json!(round(pct(&ack_lat, 0.50), 2)),
            "ms (send → ack)",
        ),
        ("ack_p99_ms", json!(round(pct(&ack_lat, 0.99), 2)), "ms"),
        (
            "acked_total",
            json!(check.acked),
            "messages (whole run, read back)",
        ),
        ("missing", json!(check.missing), "acknowledged, not stored"),
        ("duplicated", json!(check.duplicated), "stored twice"),
        (
            "out_of_order",
            json!(check.out_of_order),
            "seq not as acknowledged / gaps",
        ),
        ("customer_missing", json!(check.customer_missing), ""),
        (
            "customer_duplicated",
            json!(check.customer_duplicated),
            "twice on one connection",
        ),
        ("operator_missing", json!(check.operator_missing), ""),
        (
            "operator_duplicated",
            json!(check.operator_duplicated),
            "twice on one connection",
        ),
        (
            "customer_redelivered",
            json!(check.customer_redelivered),
            "again after a reconnect (dropped by the client)",
        ),
        (
            "operator_redelivered",
            json!(check.operator_redelivered),
            "again after a reconnect (dropped by the client)",
        ),
        ("ack_conflicts", json!(check.ack_conflicts), ""),
        ("errors", json!(check.errors), "refused sends"),
        (
            "server_cpu_percent",
            server_cpu.map(|c| json!(round(c, 0))).unwrap_or(Value::Null),
            "% of one core",
        ),
        (
            "server_peak_rss_mb",
            json!(round(peak_rss as f64 / 1048576.0, 1)),
            "MB",
        ),
        (
            "loadgen_cpu_secs",
            json!(round(own_cpu_secs(), 1)),
            "s (whole run)",
        ),
        ("kills", json!(kills), ""),
        ("forced_disconnects", json!(forced), ""),
        ("reconnects", json!(reconnects), ""),
    ];
    let acked_total = check.acked;
    Report {
        lines,
        check: Some(check),
        acked_total,
    }
}

pub fn idle(args: &Args, f: &IdleFigures) -> Report {
    let mb = |b: u64| round(b as f64 / 1048576.0, 1);
    let per = if f.held > 0 {
        (f.rss_open.saturating_sub(f.rss_before)) as f64 / f.held as f64 / 1024.0
    } else {
        0.0
    };
    Report {
        lines: vec![
            ("label", json!(args.label), ""),
            ("mode", json!("idle"), ""),
            ("connections_wanted", json!(f.wanted), ""),
            ("connections_held", json!(f.held), "(answered a ping)"),
            ("open_seconds", json!(round(f.open_secs, 1)), "s"),
            ("server_rss_before_mb", json!(mb(f.rss_before)), "MB"),
            ("server_rss_open_mb", json!(mb(f.rss_open)), "MB"),
            ("server_kb_per_connection", json!(round(per, 1)), "KB"),
            ("server_rss_after_close_mb", json!(mb(f.rss_after_close)), "MB"),
        ],
        check: None,
        acked_total: f.held as u64,
    }
}

impl Report {
    pub fn print(&self) {
        for (k, v, unit) in &self.lines {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if unit.is_empty() {
                println!("{k:<22} {v}");
            } else {
                println!("{k:<22} {v} {unit}");
            }
        }
        if let Some(c) = &self.check {
            if let Some(e) = &c.first_error {
                println!("{:<22} {e}", "first_error");
            }
        }
    }

    pub fn json(&self) -> Value {
        Value::Object(
            self.lines
                .iter()
                .map(|(k, v, _)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    /// Why the run failed its promises, if it did.
    pub fn failure(&self, min_acked: u64) -> Option<String> {
        if self.acked_total < min_acked {
            return Some(format!(
                "only {} acknowledged (wanted at least {min_acked})",
                self.acked_total
            ));
        }
        let c = self.check.as_ref()?;
        let bad = c.missing
            + c.duplicated
            + c.out_of_order
            + c.customer_missing
            + c.customer_duplicated
            + c.operator_missing
            + c.operator_duplicated
            + c.ack_conflicts;
        (bad > 0).then(|| format!("messages lost, repeated or out of order: {c:?}"))
    }
}
