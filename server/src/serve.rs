//! The connection loop: accepts TCP connections and serves HTTP/1.1 (and h2c) on them
//! with hyper, with the bounds a public server needs against slow or hoarding clients —
//! which `axum::serve` does not set:
//!
//! - **headers in time**: a client must send a request's whole header within
//!   [`ServeLimits::header_timeout`], also for the next request on a kept-alive
//!   connection (an idle keep-alive connection is closed after that long), so half-sent
//!   requests cannot pile up and exhaust the process's file descriptors;
//! - **connections per client address**: at most [`ServeLimits::per_ip`] open HTTP
//!   connections from one peer address (trusted proxies, which carry everyone's traffic,
//!   are exempt); more are closed at once;
//! - **connections in all**: at most [`ServeLimits::max_connections`]; past it the
//!   loop stops accepting until one closes, instead of failing on a full descriptor
//!   table.
//!
//! Request bodies are bounded elsewhere: every request by its time limit and body limit
//! (`lib.rs`), uploads by a minimum transfer rate ([`crate::uploads`]).

use app::backend::config::ServeLimits;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// Open connections per peer address.
#[derive(Default)]
struct PerIp {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One counted connection; uncounted when dropped.
struct IpSlot {
    table: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    fn take(table: &Arc<PerIp>, ip: IpAddr, max: usize) -> Option<IpSlot> {
        let mut open = table.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            table: table.clone(),
            ip,
        })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut open = self.table.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets the open
/// connections finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    trusted_proxies: Vec<ipnet::IpNet>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let per_ip = Arc::new(PerIp::default());
    let total = Arc::new(Semaphore::new(limits.max_connections));
    // Every connection task holds a receiver; closing the sender asks them to finish,
    // and `closed` tells when the last one has.
    let (stop_tx, stop_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .enable_connect_protocol()
        .keep_alive_interval(Some(std::time::Duration::from_secs(20)))
        .keep_alive_timeout(std::time::Duration::from_secs(20));
    let builder = Arc::new(builder);
    loop {
        let permit = tokio::select! {
            p = total.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let ip = peer.ip();
        let slot = if trusted_proxies.iter().any(|n| n.contains(&ip)) {
            None
        } else {
            match PerIp::take(&per_ip, ip, limits.per_ip) {
                Some(s) => Some(s),
                None => {
                    app::backend::metrics::get().connections_refused.inc();
                    tracing::debug!(%ip, "connection refused: too many from this address");
                    drop(tcp);
                    continue;
                }
            }
        };
        // Small frames (acks, live events) go out at once instead of waiting for the
        // peer's delayed ACK (Nagle): every "Sent" would otherwise wait 20–40 ms.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "TCP_NODELAY could not be set");
        }
        let router = router.clone();
        let builder = builder.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _slot = slot;
            let service =
                hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    let mut router = router.clone();
                    async move {
                        use tower::Service;
                        router.call(req.map(axum::body::Body::new)).await
                    }
                });
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tcp), service);
            let mut conn = std::pin::pin!(conn);
            let mut asked_to_stop = false;
            loop {
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::trace!(error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    _ = stop.changed(), if !asked_to_stop => {
                        asked_to_stop = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(stop);
        });
    }
    drop(stop_rx);
    let _ = stop_tx.send(());
    stop_tx.closed().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_connections_back_when_they_close() {
        let t = Arc::new(PerIp::default());
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let a = PerIp::take(&t, ip, 2).unwrap();
        let _b = PerIp::take(&t, ip, 2).unwrap();
        assert!(PerIp::take(&t, ip, 2).is_none());
        assert!(PerIp::take(&t, "192.0.2.8".parse().unwrap(), 2).is_some());
        drop(a);
        assert!(PerIp::take(&t, ip, 2).is_some());
    }
}
