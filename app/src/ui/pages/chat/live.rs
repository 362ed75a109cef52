//! The live channel of one chat page: its socket client, and an inert handle on the
//! server and before hydration.

use super::*;

/// Handle to the page's socket. On the server (and before hydration) it is inert.
#[derive(Clone)]
pub struct Live {
    /// The browser has one thread; the wrapper only satisfies Leptos' `Send` bounds
    /// (and would panic if the value ever crossed threads).
    #[cfg(feature = "hydrate")]
    inner: send_wrapper::SendWrapper<std::rc::Rc<client::Client>>,
}

/// What the page shows live besides messages.
#[derive(Clone, Copy)]
pub struct Signals {
    pub selected: RwSignal<Option<ConversationId>>,
    pub messages: RwSignal<Vec<UiMsg>>,
    pub conversations: RwSignal<Vec<ConversationView>>,
    pub offline: RwSignal<bool>,
    /// Who on the channel's side is typing now.
    pub typing: RwSignal<Option<String>>,
}

impl Live {
    /// Whether messages can be sent over the socket right now (otherwise the form posts).
    pub fn ready(&self) -> bool {
        #[cfg(feature = "hydrate")]
        {
            self.inner.socket.ready()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            false
        }
    }

    pub fn send(&self, _body: String, _conversation: Option<ConversationId>) {
        #[cfg(feature = "hydrate")]
        self.inner.send(_body, _conversation);
    }

    pub fn retry(&self, _client_id: &str) {
        #[cfg(feature = "hydrate")]
        self.inner.retry(_client_id);
    }

    /// Files were sent into `conversation` (perhaps a new one): show and follow it.
    pub fn show(&self, _conversation: ConversationId) {
        #[cfg(feature = "hydrate")]
        self.inner.show(_conversation);
    }

    /// The customer is typing (sent at most every few seconds).
    pub fn typing(&self) {
        #[cfg(feature = "hydrate")]
        self.inner.typing();
    }
}

pub fn connect(code: String, slug: String, sig: Signals) -> Live {
    #[cfg(feature = "hydrate")]
    {
        let inner = client::Client::start(code, slug, sig);
        Live {
            inner: send_wrapper::SendWrapper::new(inner),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (code, slug, sig);
        Live {}
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use super::*;
    use crate::protocol::{ClientMsg, ServerMsg};
    use crate::ui::live::{self, Outbox};
    use crate::ui::socket::{attach, new_client_id, page_visible, Flash, Socket};
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    /// The browser side of the customer's live channel.
    pub struct Client {
        pub socket: Rc<Socket>,
        outbox: RefCell<Outbox>,
        sig: Signals,
        last_typing: Cell<f64>,
        typing_flash: Flash,
    }

    impl Client {
        pub fn start(code: String, slug: String, sig: Signals) -> Rc<Self> {
            let socket = Socket::new(&format!("/ws?code={code}&account={slug}"), sig.offline);
            let c = Rc::new(Client {
                socket: socket.clone(),
                outbox: RefCell::default(),
                sig,
                last_typing: Cell::new(0.0),
                typing_flash: Flash::default(),
            });
            attach(&socket, &c, Self::opened, Self::handle);
            c
        }

        fn opened(&self) {
            if let Some(id) = self.sig.selected.get_untracked() {
                let since = self.sig.messages.with_untracked(|ms| last_seq(ms));
                self.socket.send(&ClientMsg::Resume {
                    conversation: id,
                    since_seq: since,
                });
                self.mark_read();
            }
            // Resend what was never acknowledged: the server stores each once.
            let unsent = self.outbox.borrow().unsent();
            for m in unsent {
                self.socket.send(&m);
            }
        }

        /// Tells the channel what the customer has seen (when the page is visible).
        fn mark_read(&self) {
            let Some(id) = self.sig.selected.get_untracked() else {
                return;
            };
            let seq = self.sig.messages.with_untracked(|ms| last_seq(ms));
            if seq > 0 && page_visible() {
                self.socket.send(&ClientMsg::Read {
                    conversation: id,
                    seq,
                });
            }
        }

        pub fn typing(&self) {
            let Some(id) = self.sig.selected.get_untracked() else {
                return;
            };
            let now = js_sys::Date::now();
            if now - self.last_typing.get() > 2500.0 {
                self.last_typing.set(now);
                self.socket.send(&ClientMsg::Typing { conversation: id });
            }
        }

        pub fn send(&self, body: String, conversation: Option<ConversationId>) {
            self.last_typing.set(0.0);
            let now = js_sys::Date::now() as i64;
            let m = self.sig.messages.try_update(|ms| {
                self.outbox
                    .borrow_mut()
                    .add(ms, Author::Customer, conversation, body, new_client_id(), now)
            });
            if let Some(m) = m {
                self.socket.send(&m);
            }
        }

        pub fn show(&self, conversation: ConversationId) {
            if self.sig.selected.get_untracked() == Some(conversation) {
                return;
            }
            self.sig.messages.set(Vec::new());
            self.sig.selected.set(Some(conversation));
            self.socket.send(&ClientMsg::Resume {
                conversation,
                since_seq: 0,
            });
        }

        pub fn retry(&self, client_id: &str) {
            let conversation = self.sig.selected.get_untracked();
            let m = self
                .sig
                .messages
                .try_update(|ms| self.outbox.borrow_mut().retry(ms, client_id, conversation));
            if let Some(Some(m)) = m {
                self.socket.send(&m);
            }
        }

        fn handle(&self, m: ServerMsg) {
            let sig = self.sig;
            match m {
                ServerMsg::Ack {
                    client_id,
                    conversation,
                    seq,
                    at,
                } => {
                    let first_of_new = sig.selected.get_untracked().is_none();
                    if first_of_new {
                        // A new conversation: show only it, from its start.
                        sig.messages
                            .update(|ms| live::keep_only_new_conversation(ms, &client_id));
                        sig.selected.set(Some(conversation));
                        self.socket.send(&ClientMsg::Resume {
                            conversation,
                            since_seq: 0,
                        });
                    }
                    sig.messages
                        .update(|ms| self.outbox.borrow_mut().acked(ms, &client_id, seq, at));
                }
                ServerMsg::Message { message } => {
                    if sig.selected.get_untracked() == Some(message.conversation) {
                        let theirs = message.author != Author::Customer;
                        if theirs {
                            sig.typing.set(None);
                        }
                        sig.messages.update(|ms| merge(ms, &message));
                        if theirs {
                            self.mark_read();
                        }
                    }
                }
                ServerMsg::Conversation { conversation } => {
                    let id = conversation.id;
                    let known = sig
                        .conversations
                        .with_untracked(|cs| cs.iter().any(|c| c.id == id));
                    sig.conversations
                        .update(|cs| live::upsert_conversation(cs, conversation));
                    // A conversation the channel opened (a message an app sent) while
                    // the customer has none going: show it at once. Not while their own
                    // first message waits for its acknowledgement, which selects it.
                    let idle = match sig.selected.get_untracked() {
                        None => true,
                        Some(sel) => sig.conversations.with_untracked(|cs| {
                            cs.iter()
                                .any(|c| c.id == sel && c.status == ConversationStatus::Closed)
                        }),
                    };
                    if !known && idle && self.outbox.borrow().unsent().is_empty() {
                        self.show(id);
                    }
                }
                ServerMsg::Typing {
                    conversation, name, ..
                } => {
                    if sig.selected.get_untracked() == Some(conversation) {
                        self.typing_flash.show(sig.typing, name, 4000);
                    }
                }
                ServerMsg::Read {
                    conversation,
                    by,
                    seq,
                } => {
                    if by == Author::Operator {
                        sig.conversations
                            .update(|cs| live::operator_read(cs, conversation, seq));
                    }
                }
                ServerMsg::Error { client_id, error } => {
                    if let Some(cid) = client_id {
                        let code = error.code();
                        sig.messages
                            .update(|ms| self.outbox.borrow_mut().failed(ms, &cid, code));
                    }
                }
                // Server-internal, and operators' notes: never sent to customers.
                ServerMsg::Access { .. }
                | ServerMsg::SessionsEnded { .. }
                | ServerMsg::InternalNote { .. } => {}
            }
        }
    }
}
