//! The browser's live client for a thread of messages, shared by the customer's chat
//! and the operator's inbox: one socket, the durable outbox (kept in the browser's
//! storage under the user's own key until acknowledged), sending and retrying, typing
//! and read marks. Each page adds only what it does with the events of its own kind.

use super::{last_seq, Outbox, UiMsg, DRAFT_PREFIX, OUTBOX_PREFIX};
use crate::domain::conversation::Author;
use crate::domain::ConversationId;
use crate::error::Code;
use crate::protocol::ClientMsg;
use crate::ui::socket::{new_client_id, page_visible, Flash, Link, Socket};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// A kept value (`None` when storage is unavailable or the key is absent).
pub fn load(key: &str) -> Option<String> {
    storage().and_then(|s| s.get_item(key).ok().flatten())
}

/// Keeps `value` under `key`, or removes the key for `None`.
pub fn store(key: &str, value: Option<&str>) {
    if let Some(s) = storage() {
        let _ = match value {
            Some(v) => s.set_item(key, v),
            None => s.remove_item(key),
        };
    }
}

/// Forgets every outbox and draft on this browser (at sign-out).
pub fn forget_all() {
    let Some(s) = storage() else { return };
    let n = s.length().unwrap_or(0);
    let keys: Vec<String> = (0..n).filter_map(|i| s.key(i).ok().flatten()).collect();
    for k in keys {
        if k.starts_with(OUTBOX_PREFIX) || k.starts_with(DRAFT_PREFIX) {
            let _ = s.remove_item(&k);
        }
    }
}

pub struct Thread {
    pub socket: Rc<Socket>,
    outbox: RefCell<Outbox>,
    messages: RwSignal<Vec<UiMsg>>,
    author: Author,
    key: String,
    last_typing: Cell<f64>,
    typing_flash: Flash,
}

impl Thread {
    /// The client of socket `path` for `user`, writing as `author` into `messages`.
    pub fn new(
        path: &str,
        user: i64,
        author: Author,
        messages: RwSignal<Vec<UiMsg>>,
        link: RwSignal<Link>,
    ) -> Self {
        Thread {
            socket: Socket::new(path, link),
            outbox: RefCell::default(),
            messages,
            author,
            key: format!("{OUTBOX_PREFIX}{user}.{path}"),
            last_typing: Cell::new(0.0),
            typing_flash: Flash::default(),
        }
    }

    /// Takes back what an earlier page of the same user and socket kept; those of
    /// the conversation on screen (`shown`) appear as pending (or refused) at once, and
    /// all are sent if the connection is already open. Call it after hydration: what is
    /// drawn must first match the server's page.
    pub fn restore(&self, shown: impl Fn(Option<ConversationId>) -> bool) {
        let Some(json) = load(&self.key) else { return };
        self.messages
            .update(|ms| self.outbox.borrow_mut().restore(&json, ms, self.author, &shown));
        self.save();
        if self.socket.ready() {
            self.resend();
        }
    }

    fn save(&self) {
        store(&self.key, self.outbox.borrow().to_json().as_deref());
    }

    /// Whether anything waits to be sent.
    pub fn has_unsent(&self) -> bool {
        !self.outbox.borrow().unsent().is_empty()
    }

    /// After every (re)connect: sends again what was never acknowledged.
    pub fn resend(&self) {
        let unsent = self.outbox.borrow().unsent();
        for m in unsent {
            self.socket.send(&m);
        }
    }

    /// Follows `conversation` from message `since` (and marks what is shown read).
    pub fn resume(&self, conversation: ConversationId, since_seq: i64) {
        self.socket.send(&ClientMsg::Resume {
            conversation,
            since_seq,
        });
    }

    /// Follows `conversation` from the last message on screen, and marks it read;
    /// what waits to be sent into it is drawn as pending.
    pub fn follow(&self, conversation: ConversationId) {
        self.messages
            .update(|ms| self.outbox.borrow().show_waiting(ms, self.author, conversation));
        let since = self.messages.with_untracked(|ms| last_seq(ms));
        self.resume(conversation, since);
        self.mark_read(Some(conversation));
    }

    /// Tells the other side what the user has seen of `current` (when the page is visible).
    pub fn mark_read(&self, current: Option<ConversationId>) {
        let Some(id) = current else { return };
        let seq = self.messages.with_untracked(|ms| last_seq(ms));
        if seq > 0 && page_visible() {
            self.socket.send(&ClientMsg::Read {
                conversation: id,
                seq,
            });
        }
    }

    /// The user is typing in `current` (sent at most every 2.5 s).
    pub fn typing(&self, current: Option<ConversationId>) {
        let Some(id) = current else { return };
        let now = js_sys::Date::now();
        if now - self.last_typing.get() > 2500.0 {
            self.last_typing.set(now);
            self.socket.send(&ClientMsg::Typing { conversation: id });
        }
    }

    /// Someone on the other side is typing: `signal` shows their name for a while.
    pub fn show_typing(&self, signal: RwSignal<Option<String>>, name: String) {
        self.typing_flash.show(signal, name, 4000);
    }

    /// Shows `body` as pending, keeps it on the device, and sends it if connected
    /// (otherwise it leaves with the next connection).
    pub fn send(&self, conversation: Option<ConversationId>, body: String) {
        self.last_typing.set(0.0);
        let now = js_sys::Date::now() as i64;
        let m = self.messages.try_update(|ms| {
            self.outbox
                .borrow_mut()
                .add(ms, self.author, conversation, body, new_client_id(), now)
        });
        self.save();
        if let Some(m) = m {
            self.socket.send(&m);
        }
    }

    pub fn retry(&self, client_id: &str, conversation: Option<ConversationId>) {
        let m = self
            .messages
            .try_update(|ms| self.outbox.borrow_mut().retry(ms, client_id, conversation));
        self.save();
        if let Some(Some(m)) = m {
            self.socket.send(&m);
        }
    }

    pub fn discard(&self, client_id: &str) {
        self.messages
            .update(|ms| self.outbox.borrow_mut().discard(ms, client_id));
        self.save();
    }

    pub fn acked(&self, client_id: &str, seq: i64, at: i64) {
        self.messages
            .update(|ms| self.outbox.borrow_mut().acked(ms, client_id, seq, at));
        self.save();
    }

    pub fn failed(&self, client_id: &str, code: Code) {
        self.messages
            .update(|ms| self.outbox.borrow_mut().failed(ms, client_id, code));
        self.save();
    }
}
