//! The browser side of a live socket: one WebSocket (gloo-net's `Stream + Sink`) speaking
//! [`crate::protocol`] as JSON that reconnects by itself with exponential backoff (0.5 s
//! doubling up to 30 s, full jitter). The page gives it what to do when it opens (resume,
//! resend) and with each message. On the server there is no socket; the backoff rule
//! is plain code, tested on the host.

use std::time::Duration;

/// What the page's live connection is doing, as the user sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Link {
    /// Connected (or connecting for the first time).
    #[default]
    Online,
    /// The connection dropped; the browser is online and it is being reopened.
    Reconnecting,
    /// The browser says it has no network; the connection reopens when it is back.
    Offline,
}

/// A ping goes out after this long without hearing from the server…
pub const PING_AFTER_MS: f64 = 10_000.0;
/// …and a connection that does not answer it within this long is taken as lost.
pub const PONG_WITHIN_MS: f64 = 6_000.0;

/// The heartbeat's decision at one tick, from when the server was last heard and when
/// an unanswered ping left (all in ms). A throttled timer (a background tab) only
/// delays the decision: it never counts the wait for its own tick as silence.
#[derive(Debug, PartialEq, Eq)]
pub enum Beat {
    Wait,
    Ping,
    Lost,
}

pub fn heartbeat(now: f64, last_heard: f64, ping_sent: Option<f64>) -> Beat {
    match ping_sent {
        Some(sent) if last_heard < sent && now - sent > PONG_WITHIN_MS => Beat::Lost,
        Some(sent) if last_heard < sent => Beat::Wait,
        _ if now - last_heard > PING_AFTER_MS => Beat::Ping,
        _ => Beat::Wait,
    }
}

/// How long to wait before reconnect attempt `attempt` (1, 2, …), given `random` in
/// [0, 1): half the cap plus a random part of the other half, the cap doubling from
/// 1 s per attempt up to 30 s. Many clients dropped at once (a restart) come back spread
/// out, not all in the same instant.
pub fn reconnect_delay(attempt: u32, random: f64) -> Duration {
    let cap = (500.0 * 2f64.powi(attempt.clamp(1, 6) as i32)).min(30_000.0);
    let random = random.clamp(0.0, 1.0);
    Duration::from_millis((cap / 2.0 + random * cap / 2.0) as u64)
}

#[cfg(feature = "hydrate")]
pub use browser::*;

#[cfg(feature = "hydrate")]
mod browser {
    use super::{heartbeat, reconnect_delay, Beat, Link};
    use crate::protocol::{ClientMsg, ServerMsg};
    use futures::channel::{mpsc, oneshot};
    use futures::{SinkExt, StreamExt};
    use gloo_net::websocket::{futures::WebSocket, Message, State as WsState};
    use leptos::prelude::*;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    type Handler = Rc<dyn Fn()>;
    type MsgHandler = Rc<dyn Fn(ServerMsg)>;

    #[derive(Default)]
    struct Inner {
        /// The open connection's writer; `None` while connecting or down.
        writer: Option<mpsc::UnboundedSender<String>>,
        stopped: bool,
        /// Ends the connection loop (and closes the socket) when the page goes away.
        stop: Option<oneshot::Sender<()>>,
        on_open: Option<Handler>,
        on_message: Option<MsgHandler>,
        /// Ends the open connection now (the browser went offline).
        kick: Option<oneshot::Sender<()>>,
        /// Ends the wait before the next attempt now (the browser is back online).
        wake: Option<oneshot::Sender<()>>,
    }

    /// A reconnecting socket with a heartbeat. Lives on the browser's single thread.
    pub struct Socket {
        inner: RefCell<Inner>,
        url: String,
        link: RwSignal<Link>,
        /// When the server was last heard from, and when an unanswered ping left (ms).
        last_heard: Cell<f64>,
        ping_sent: Cell<Option<f64>>,
    }

    /// Whether the browser believes it has a network.
    pub fn browser_online() -> bool {
        web_sys::window().map(|w| w.navigator().on_line()).unwrap_or(true)
    }

    /// `ws://host/path` (or `wss://` on an https page).
    fn url_for(path: &str) -> String {
        let loc = web_sys::window().map(|w| w.location());
        let host = loc.as_ref().and_then(|l| l.host().ok()).unwrap_or_default();
        let secure = loc
            .as_ref()
            .and_then(|l| l.protocol().ok())
            .is_some_and(|p| p == "https:");
        format!("{}://{host}{path}", if secure { "wss" } else { "ws" })
    }

    /// A random id for a message the user sends (the server stores each id once).
    pub fn new_client_id() -> String {
        let a = (js_sys::Math::random() * 1e15) as u64;
        let b = (js_sys::Math::random() * 1e15) as u64;
        format!("c{a:x}{b:x}")
    }

    /// Whether the page is visible (messages that arrive count as read only then).
    pub fn page_visible() -> bool {
        web_sys::window()
            .and_then(|w| w.document())
            .map(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
            .unwrap_or(true)
    }

    /// Opens the sign-in page, coming back to this page afterwards.
    fn to_sign_in() {
        let Some(w) = web_sys::window() else { return };
        let loc = w.location();
        let here = format!(
            "{}{}",
            loc.pathname().unwrap_or_default(),
            loc.search().unwrap_or_default()
        );
        let next = crate::util::with_query("/login", &[("next", &here)]);
        let _ = loc.assign(&next);
    }

    /// Resolves after `d` (a browser timer).
    pub async fn sleep(d: std::time::Duration) {
        let (tx, rx) = oneshot::channel::<()>();
        set_timeout(
            move || {
                let _ = tx.send(());
            },
            d,
        );
        let _ = rx.await;
    }

    impl Socket {
        /// Creates the socket for `path`; call [`Socket::start`] after setting the
        /// handlers. `link` follows the connection's state.
        pub fn new(path: &str, link: RwSignal<Link>) -> Rc<Self> {
            Rc::new(Socket {
                inner: RefCell::new(Inner::default()),
                url: url_for(path),
                link,
                last_heard: Cell::new(0.0),
                ping_sent: Cell::new(None),
            })
        }

        /// The connection is down: offline or reconnecting, as the browser says.
        fn down(&self) {
            self.link.set(if browser_online() {
                Link::Reconnecting
            } else {
                Link::Offline
            });
        }

        /// The browser lost its network: drop the connection now instead of waiting
        /// for the heartbeat to notice.
        fn went_offline(&self) {
            let kick = self.inner.borrow_mut().kick.take();
            if let Some(k) = kick {
                let _ = k.send(());
            }
            self.link.set(Link::Offline);
        }

        /// The network is back: try again at once.
        fn came_online(&self) {
            if self.link.get_untracked() == Link::Offline {
                self.link.set(Link::Reconnecting);
            }
            let wake = self.inner.borrow_mut().wake.take();
            if let Some(w) = wake {
                let _ = w.send(());
            }
        }

        pub fn on_open(&self, f: impl Fn() + 'static) {
            self.inner.borrow_mut().on_open = Some(Rc::new(f));
        }

        pub fn on_message(&self, f: impl Fn(ServerMsg) + 'static) {
            self.inner.borrow_mut().on_message = Some(Rc::new(f));
        }

        /// Connects (and reconnects) until the owning component goes away.
        pub fn start(self: &Rc<Self>) {
            let (stop_tx, stop_rx) = oneshot::channel::<()>();
            self.inner.borrow_mut().stop = Some(stop_tx);
            let me = self.clone();
            leptos::task::spawn_local(async move {
                let run = me.run();
                futures::pin_mut!(run);
                // Stopping drops the running connection, which closes the socket.
                futures::future::select(run, stop_rx).await;
            });
            let weak = Rc::downgrade(self);
            let off = window_event_listener(leptos::ev::offline, move |_| {
                if let Some(s) = weak.upgrade() {
                    s.went_offline();
                }
            });
            let weak = Rc::downgrade(self);
            let on = window_event_listener(leptos::ev::online, move |_| {
                if let Some(s) = weak.upgrade() {
                    s.came_online();
                }
            });
            let me = send_wrapper::SendWrapper::new(self.clone());
            on_cleanup(move || {
                off.remove();
                on.remove();
                me.stop();
            });
        }

        pub fn stop(&self) {
            let stop = {
                let mut inner = self.inner.borrow_mut();
                inner.stopped = true;
                inner.writer = None;
                inner.stop.take()
            };
            if let Some(stop) = stop {
                let _ = stop.send(());
            }
        }

        /// Whether a connection is open now.
        pub fn ready(&self) -> bool {
            self.inner.borrow().writer.is_some()
        }

        /// Sends over the open connection; `false` when there is none (the caller keeps
        /// the message and sends it again from `on_open`).
        pub fn send(&self, m: &ClientMsg) -> bool {
            let inner = self.inner.borrow();
            match (&inner.writer, serde_json::to_string(m)) {
                (Some(w), Ok(text)) => w.unbounded_send(text).is_ok(),
                _ => false,
            }
        }

        async fn run(self: Rc<Self>) {
            let mut attempt = 0u32;
            loop {
                if self.inner.borrow().stopped {
                    return;
                }
                if browser_online() {
                    if let Ok(ws) = WebSocket::open(&self.url) {
                        if self.connection(ws).await {
                            attempt = 0;
                        }
                    }
                }
                if self.inner.borrow().stopped {
                    return;
                }
                self.down();
                attempt = attempt.saturating_add(1);
                // Back online ends the wait early; offline, only that does (or the
                // longest wait, in case the browser never says).
                let (wake_tx, wake_rx) = oneshot::channel::<()>();
                self.inner.borrow_mut().wake = Some(wake_tx);
                let wait = if browser_online() {
                    reconnect_delay(attempt, js_sys::Math::random())
                } else {
                    reconnect_delay(u32::MAX, js_sys::Math::random())
                };
                let timer = sleep(wait);
                futures::pin_mut!(timer);
                futures::future::select(timer, wake_rx).await;
                self.inner.borrow_mut().wake = None;
            }
        }

        /// Runs one connection until it closes; `true` if it opened at all.
        async fn connection(&self, mut ws: WebSocket) -> bool {
            // Ready once the socket opened or failed to.
            let ready = futures::future::poll_fn(|cx| {
                futures::Sink::<Message>::poll_ready(std::pin::Pin::new(&mut ws), cx)
            })
            .await;
            if ready.is_err() || !matches!(ws.state(), WsState::Open) {
                return false;
            }
            let (mut write, mut read) = ws.split();
            let (tx, mut rx) = mpsc::unbounded::<String>();
            let (kick_tx, kick_rx) = oneshot::channel::<()>();
            {
                let mut inner = self.inner.borrow_mut();
                inner.writer = Some(tx);
                inner.kick = Some(kick_tx);
            }
            self.last_heard.set(js_sys::Date::now());
            self.ping_sent.set(None);
            self.link.set(Link::Online);
            let on_open = self.inner.borrow().on_open.clone();
            if let Some(f) = on_open {
                f();
            }
            let writer = async move {
                while let Some(text) = rx.next().await {
                    if write.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
            };
            let reader = async {
                while let Some(frame) = read.next().await {
                    self.last_heard.set(js_sys::Date::now());
                    let Ok(Message::Text(text)) = frame else {
                        continue;
                    };
                    let Ok(m) = serde_json::from_str::<ServerMsg>(&text) else {
                        continue;
                    };
                    if matches!(m, ServerMsg::Pong) {
                        continue;
                    }
                    // The session ended (signed out here or elsewhere, expired, idle):
                    // no reconnecting, to the sign-in page, which comes back here.
                    if matches!(
                        &m,
                        ServerMsg::Error {
                            client_id: None,
                            error: crate::error::AppError::Unauthorized
                        }
                    ) {
                        self.stop();
                        to_sign_in();
                        return;
                    }
                    let f = self.inner.borrow().on_message.clone();
                    if let Some(f) = f {
                        f(m);
                    }
                }
            };
            // Silence is checked every two seconds: a ping after ten seconds of it, and
            // the connection dropped when that ping is not answered.
            let beat = async {
                loop {
                    sleep(std::time::Duration::from_secs(2)).await;
                    let now = js_sys::Date::now();
                    match heartbeat(now, self.last_heard.get(), self.ping_sent.get()) {
                        Beat::Lost => return,
                        Beat::Ping => {
                            if self.send(&ClientMsg::Ping) {
                                self.ping_sent.set(Some(now));
                            }
                        }
                        Beat::Wait => {}
                    }
                }
            };
            futures::pin_mut!(writer, reader, beat);
            let io = futures::future::select(writer, reader);
            let ends = futures::future::select(beat, kick_rx);
            futures::future::select(io, ends).await;
            {
                let mut inner = self.inner.borrow_mut();
                inner.writer = None;
                inner.kick = None;
            }
            true
        }
    }

    /// Shows a value for a while (a typing indicator): showing it again restarts the time.
    #[derive(Clone, Default)]
    pub struct Flash(Rc<std::cell::Cell<u32>>);

    impl Flash {
        pub fn show<T: Send + Sync + 'static>(&self, signal: RwSignal<Option<T>>, value: T, ms: u64) {
            signal.set(Some(value));
            let gen = self.0.get().wrapping_add(1);
            self.0.set(gen);
            let current = send_wrapper::SendWrapper::new(self.0.clone());
            set_timeout(
                move || {
                    if current.get() == gen {
                        signal.set(None);
                    }
                },
                std::time::Duration::from_millis(ms),
            );
        }
    }

    /// Wires a page's client to its socket — `opened` on every (re)connect, `handle` for
    /// each message — through weak references, and connects.
    pub fn attach<C: 'static>(
        socket: &Rc<Socket>,
        client: &Rc<C>,
        opened: fn(&C),
        handle: fn(&C, ServerMsg),
    ) {
        let w = Rc::downgrade(client);
        socket.on_open(move || {
            if let Some(c) = w.upgrade() {
                opened(&c);
            }
        });
        let w = Rc::downgrade(client);
        socket.on_message(move |m| {
            if let Some(c) = w.upgrade() {
                handle(&c, m);
            }
        });
        socket.start();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heartbeat_pings_after_silence_and_gives_up_only_on_an_unanswered_ping() {
        // Heard recently: nothing to do.
        assert_eq!(heartbeat(5_000.0, 0.0, None), Beat::Wait);
        // Ten seconds of silence: ask.
        assert_eq!(heartbeat(10_001.0, 0.0, None), Beat::Ping);
        // Asked; the answer may take a while.
        assert_eq!(heartbeat(12_000.0, 0.0, Some(10_001.0)), Beat::Wait);
        // No answer within six seconds: lost.
        assert_eq!(heartbeat(16_002.0, 0.0, Some(10_001.0)), Beat::Lost);
        // Answered (heard after the ping): fine, and the next ping waits for silence.
        assert_eq!(heartbeat(16_002.0, 10_050.0, Some(10_001.0)), Beat::Wait);
        // A background tab whose timer fired a minute late: the pong came back in time,
        // so the late tick does not count as silence of the link.
        assert_eq!(heartbeat(70_000.0, 10_050.0, Some(10_001.0)), Beat::Ping);
        assert_eq!(heartbeat(130_000.0, 70_020.0, Some(70_000.0)), Beat::Ping);
    }

    #[test]
    fn reconnect_delays_double_up_to_thirty_seconds_with_jitter_in_the_upper_half() {
        assert_eq!(reconnect_delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(reconnect_delay(1, 1.0), Duration::from_millis(1000));
        assert_eq!(reconnect_delay(2, 0.0), Duration::from_millis(1000));
        assert_eq!(reconnect_delay(3, 0.5), Duration::from_millis(3000));
        // Capped: attempt 6 and every later one wait between 15 and 30 s.
        for attempt in [6, 7, 50, u32::MAX] {
            assert_eq!(reconnect_delay(attempt, 0.0), Duration::from_secs(15));
            assert_eq!(reconnect_delay(attempt, 0.999_999), Duration::from_millis(29_999));
        }
        // Out-of-range randomness cannot stretch or shrink the wait.
        assert_eq!(reconnect_delay(1, 7.0), Duration::from_millis(1000));
        assert_eq!(reconnect_delay(1, -1.0), Duration::from_millis(500));
    }
}
