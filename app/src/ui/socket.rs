//! The browser side of a live socket: one WebSocket speaking [`crate::protocol`] as
//! JSON that reconnects by itself with exponential backoff (0.5 s doubling up to 30 s,
//! full jitter). The page gives it what to do when it opens (resume, resend) and with
//! each message. Browser-only; on the server there is no socket.

#![cfg(feature = "hydrate")]

use crate::domain::conversation::Author;
use crate::domain::ConversationId;
use crate::error::Code;
use crate::protocol::{ClientMsg, ServerMsg};
use crate::ui::pages::chat::{sort, Delivery, UiMsg};
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, WebSocket};

type Handler = Rc<dyn Fn()>;
type MsgHandler = Rc<dyn Fn(ServerMsg)>;

struct State {
    socket: Option<WebSocket>,
    attempt: u32,
    stopped: bool,
    on_open: Option<Handler>,
    on_message: Option<MsgHandler>,
    closures: Vec<Box<dyn std::any::Any>>,
}

/// A reconnecting socket. Lives on the browser's single thread.
pub struct Socket {
    state: RefCell<State>,
    url: String,
    offline: RwSignal<bool>,
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

impl Socket {
    /// Creates the socket for `path`; call [`Socket::start`] after setting the handlers.
    /// `offline` is true while the socket is down.
    pub fn new(path: &str, offline: RwSignal<bool>) -> Rc<Self> {
        Rc::new(Socket {
            state: RefCell::new(State {
                socket: None,
                attempt: 0,
                stopped: false,
                on_open: None,
                on_message: None,
                closures: Vec::new(),
            }),
            url: url_for(path),
            offline,
        })
    }

    pub fn on_open(&self, f: impl Fn() + 'static) {
        self.state.borrow_mut().on_open = Some(Rc::new(f));
    }

    pub fn on_message(&self, f: impl Fn(ServerMsg) + 'static) {
        self.state.borrow_mut().on_message = Some(Rc::new(f));
    }

    /// Connects, and closes the socket for good when the owning component goes away.
    pub fn start(self: &Rc<Self>) {
        self.open();
        let me = send_wrapper::SendWrapper::new(self.clone());
        on_cleanup(move || me.stop());
    }

    pub fn stop(&self) {
        let mut st = self.state.borrow_mut();
        st.stopped = true;
        if let Some(s) = st.socket.take() {
            let _ = s.close();
        }
    }

    pub fn ready(&self) -> bool {
        self.state
            .borrow()
            .socket
            .as_ref()
            .is_some_and(|s| s.ready_state() == WebSocket::OPEN)
    }

    /// Sends now if the socket is open; `false` otherwise.
    pub fn send(&self, m: &ClientMsg) -> bool {
        let st = self.state.borrow();
        match st.socket.as_ref() {
            Some(s) if s.ready_state() == WebSocket::OPEN => s
                .send_with_str(&serde_json::to_string(m).unwrap_or_default())
                .is_ok(),
            _ => false,
        }
    }

    fn open(self: &Rc<Self>) {
        if self.state.borrow().stopped {
            return;
        }
        let Ok(ws) = WebSocket::new(&self.url) else {
            self.schedule_reconnect();
            return;
        };
        let me = self.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            me.offline.set(false);
            me.state.borrow_mut().attempt = 0;
            let f = me.state.borrow().on_open.clone();
            if let Some(f) = f {
                f();
            }
        });
        let me = self.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(text) = e.data().as_string() else { return };
            let Ok(m) = serde_json::from_str::<ServerMsg>(&text) else {
                return;
            };
            let f = me.state.borrow().on_message.clone();
            if let Some(f) = f {
                f(m);
            }
        });
        let me = self.clone();
        let on_close = Closure::<dyn FnMut()>::new(move || {
            if me.state.borrow().stopped {
                return;
            }
            me.offline.set(true);
            me.state.borrow_mut().socket = None;
            me.schedule_reconnect();
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut st = self.state.borrow_mut();
        st.socket = Some(ws);
        st.closures = vec![Box::new(on_open), Box::new(on_message), Box::new(on_close)];
    }

    fn schedule_reconnect(self: &Rc<Self>) {
        let attempt = {
            let mut st = self.state.borrow_mut();
            st.attempt = st.attempt.saturating_add(1);
            st.attempt
        };
        let cap = (500.0 * 2f64.powi(attempt.min(6) as i32)).min(30_000.0);
        let delay = cap / 2.0 + js_sys::Math::random() * cap / 2.0;
        let me = send_wrapper::SendWrapper::new(self.clone());
        set_timeout(move || me.open(), std::time::Duration::from_millis(delay as u64));
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

/// Wires a page's client to its socket — `opened` on every (re)connect, `handle` for each
/// message — through weak references, and connects.
pub fn attach<C: 'static>(socket: &Rc<Socket>, client: &Rc<C>, opened: fn(&C), handle: fn(&C, ServerMsg)) {
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

/// Messages the user sent that the server has not acknowledged yet (client id,
/// conversation, body): shown as pending, resent after a reconnect (stored once).
#[derive(Default)]
pub struct Outbox(std::cell::RefCell<Vec<(String, Option<ConversationId>, String)>>);

impl Outbox {
    /// Shows `body` as pending in `messages` and returns what to send.
    pub fn add(
        &self,
        messages: RwSignal<Vec<UiMsg>>,
        author: Author,
        conversation: Option<ConversationId>,
        body: String,
    ) -> ClientMsg {
        let client_id = new_client_id();
        messages.update(|ms| {
            ms.push(UiMsg {
                seq: None,
                client_id: Some(client_id.clone()),
                author,
                author_name: String::new(),
                body: body.clone(),
                at: js_sys::Date::now() as i64,
                state: Delivery::Pending,
            })
        });
        self.0
            .borrow_mut()
            .push((client_id.clone(), conversation, body.clone()));
        ClientMsg::Send {
            client_id,
            conversation,
            body,
        }
    }

    /// Marks a failed message pending again; returns what to send if it is still unsent.
    pub fn retry(
        &self,
        messages: RwSignal<Vec<UiMsg>>,
        client_id: &str,
        conversation: Option<ConversationId>,
    ) -> Option<ClientMsg> {
        let body = messages.with_untracked(|ms| {
            ms.iter()
                .find(|m| m.client_id.as_deref() == Some(client_id) && m.seq.is_none())
                .map(|m| m.body.clone())
        })?;
        messages.update(|ms| {
            if let Some(m) = ms.iter_mut().find(|m| m.client_id.as_deref() == Some(client_id)) {
                m.state = Delivery::Pending;
            }
        });
        let mut all = self.0.borrow_mut();
        all.retain(|(c, _, _)| c != client_id);
        all.push((client_id.to_string(), conversation, body.clone()));
        Some(ClientMsg::Send {
            client_id: client_id.to_string(),
            conversation,
            body,
        })
    }

    /// Everything still unacknowledged, to send again after a reconnect.
    pub fn unsent(&self) -> Vec<ClientMsg> {
        self.0
            .borrow()
            .iter()
            .map(|(client_id, conversation, body)| ClientMsg::Send {
                client_id: client_id.clone(),
                conversation: *conversation,
                body: body.clone(),
            })
            .collect()
    }

    /// The server stored it: the pending copy becomes the stored message.
    pub fn acked(&self, messages: RwSignal<Vec<UiMsg>>, client_id: &str, seq: i64, at: i64) {
        self.0.borrow_mut().retain(|(c, _, _)| c != client_id);
        messages.update(|ms| {
            if let Some(x) = ms.iter_mut().find(|x| x.client_id.as_deref() == Some(client_id)) {
                x.seq = Some(seq);
                x.at = at;
                x.state = Delivery::Stored;
            }
            sort(ms);
        });
    }

    /// The server refused it: shown as not sent, with the reason.
    pub fn failed(&self, messages: RwSignal<Vec<UiMsg>>, client_id: &str, code: Code) {
        self.0.borrow_mut().retain(|(c, _, _)| c != client_id);
        messages.update(|ms| {
            if let Some(x) = ms.iter_mut().find(|x| x.client_id.as_deref() == Some(client_id)) {
                x.state = Delivery::Failed(code);
            }
        });
    }
}
