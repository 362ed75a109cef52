//! Idle mode: many open, quiet customer sockets; what each costs the server.
//!
//! Each connection uses a file descriptor on both sides, and one source address gives
//! at most ~28,000 ports towards one server port, so connections take their source
//! address from 127.0.0.2, 127.0.0.3, … in turns.

use crate::proc::Server;
use crate::setup::Pair;
use anyhow::Result;
use futures::{SinkExt, StreamExt};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub struct IdleFigures {
    pub wanted: usize,
    pub held: usize,
    pub rss_before: u64,
    pub rss_open: u64,
    pub rss_after_close: u64,
    pub open_secs: f64,
}

type Sock = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn connect_from(i: usize, server: SocketAddr, base: &str, pair: &Pair, slug: &str) -> Result<Sock> {
    let src = Ipv4Addr::new(127, 0, 0, 2 + (i / 20_000) as u8);
    let sock = tokio::net::TcpSocket::new_v4()?;
    sock.bind(SocketAddr::new(src.into(), 0))?;
    let stream = sock.connect(server).await?;
    stream.set_nodelay(true)?;
    let url = format!(
        "{}/ws?code={}&account={}",
        base.replace("http://", "ws://"),
        pair.code,
        slug
    );
    let mut req = url.into_client_request()?;
    req.headers_mut().insert("cookie", pair.customer.cookie.parse()?);
    req.headers_mut().insert("origin", base.parse()?);
    let (ws, _) = tokio_tungstenite::client_async(req, stream).await?;
    Ok(ws)
}

/// Opens `c` customer sockets spread over `pairs`' customers, checks each still answers
/// a ping, and reads the server's memory before, while they are open, and after they
/// closed.
pub async fn run(server: &Server, pairs: &[Pair], run_id: &str, c: usize) -> Result<IdleFigures> {
    let addr: SocketAddr = server.base.trim_start_matches("http://").parse()?;
    // Every socket writes from an account of its own, so each follows topics of its own.
    let t = std::time::Instant::now();
    let client = crate::setup::plain_client()?;
    let slugs: Vec<String> = futures::stream::iter(0..c)
        .map(|i| {
            let pair = &pairs[i % pairs.len()];
            let client = &client;
            let base = &server.base;
            async move {
                if i < pairs.len() {
                    return Ok(pair.customer_slug.clone());
                }
                let slug = format!("cx-{run_id}-{i}");
                crate::setup::extra_account(client, base, &pair.customer, &slug).await?;
                Ok::<_, anyhow::Error>(slug)
            }
        })
        .buffered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    eprintln!("made {c} customer accounts in {:.1} s", t.elapsed().as_secs_f64());
    settle().await;
    let rss_before = server.rss_bytes().unwrap_or(0);
    let t0 = std::time::Instant::now();
    let socks: Vec<Option<Sock>> = futures::stream::iter(0..c)
        .map(|i| {
            let pair = &pairs[i % pairs.len()];
            let base = server.base.clone();
            let slug = &slugs[i];
            async move { connect_from(i, addr, &base, pair, slug).await.ok() }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let open_secs = t0.elapsed().as_secs_f64();
    let mut socks: Vec<Sock> = socks.into_iter().flatten().collect();
    settle().await;
    // Held = still answering.
    let mut held = 0;
    for s in socks.iter_mut() {
        if s.send(Message::Ping(vec![1].into())).await.is_err() {
            continue;
        }
        if let Ok(Some(Ok(Message::Pong(_)))) = tokio::time::timeout(Duration::from_secs(5), s.next()).await {
            held += 1;
        }
    }
    let rss_open = server.rss_bytes().unwrap_or(0);
    for mut s in socks.drain(..) {
        let _ = s.close(None).await;
    }
    drop(socks);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_after_close = server.rss_bytes().unwrap_or(0);
    Ok(IdleFigures {
        wanted: c,
        held,
        rss_before,
        rss_open,
        rss_after_close,
        open_secs,
    })
}

async fn settle() {
    tokio::time::sleep(Duration::from_secs(2)).await;
}
