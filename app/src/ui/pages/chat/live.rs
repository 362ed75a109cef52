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
    pub link: RwSignal<crate::ui::socket::Link>,
    /// Who on the channel's side is typing now.
    pub typing: RwSignal<Option<String>>,
}

impl Live {
    /// Shows `body` as pending and sends it, now or when the connection is back.
    pub fn send(&self, _body: String, _conversation: Option<ConversationId>) {
        #[cfg(feature = "hydrate")]
        self.inner.send(_body, _conversation);
    }

    pub fn retry(&self, _client_id: &str) {
        #[cfg(feature = "hydrate")]
        self.inner.retry(_client_id);
    }

    /// Gives up on a message that was not sent.
    pub fn discard(&self, _client_id: &str) {
        #[cfg(feature = "hydrate")]
        self.inner.thread.discard(_client_id);
    }

    /// Files were sent into `conversation` (perhaps a new one): show and follow it.
    pub fn show(&self, _conversation: ConversationId) {
        #[cfg(feature = "hydrate")]
        self.inner.show(_conversation);
    }

    /// The customer is typing (sent at most every few seconds).
    pub fn typing(&self) {
        #[cfg(feature = "hydrate")]
        self.inner.thread.typing(self.inner.sig.selected.get_untracked());
    }
}

/// The chat of `user` on channel `code` from account `slug`.
pub fn connect(code: String, slug: String, user: i64, sig: Signals) -> Live {
    #[cfg(feature = "hydrate")]
    {
        let inner = client::Client::start(code, slug, user, sig);
        Live {
            inner: send_wrapper::SendWrapper::new(inner),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (code, slug, user, sig);
        Live {}
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use super::*;
    use crate::protocol::ServerMsg;
    use crate::ui::live::{self, client::Thread};
    use crate::ui::socket::attach;
    use std::rc::Rc;

    /// The browser side of the customer's live channel.
    pub struct Client {
        pub thread: Thread,
        pub sig: Signals,
    }

    impl Client {
        pub fn start(code: String, slug: String, user: i64, sig: Signals) -> Rc<Self> {
            let path = format!("/ws?code={code}&account={slug}");
            let thread = Thread::new(&path, user, Author::Customer, sig.messages, sig.link);
            let socket = thread.socket.clone();
            let c = Rc::new(Client { thread, sig });
            attach(&socket, &c, Self::opened, Self::handle);
            // What this customer wrote here and never saw acknowledged (a reload, a
            // closed tab): shown again if it belongs on screen, and sent when connected.
            let weak = Rc::downgrade(&c);
            request_animation_frame(move || {
                if let Some(c) = weak.upgrade() {
                    let selected = c.sig.selected.get_untracked();
                    c.thread
                        .restore(|conv| conv == selected || (conv.is_none() && selected.is_none()));
                }
            });
            c
        }

        fn opened(&self) {
            if let Some(id) = self.sig.selected.get_untracked() {
                self.thread.follow(id);
            }
            // Resend what was never acknowledged: the server stores each once.
            self.thread.resend();
        }

        pub fn send(&self, body: String, conversation: Option<ConversationId>) {
            self.thread.send(conversation, body);
        }

        pub fn show(&self, conversation: ConversationId) {
            if self.sig.selected.get_untracked() == Some(conversation) {
                return;
            }
            self.sig.messages.set(Vec::new());
            self.sig.selected.set(Some(conversation));
            self.thread.resume(conversation, 0);
        }

        pub fn retry(&self, client_id: &str) {
            self.thread.retry(client_id, self.sig.selected.get_untracked());
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
                        self.thread.resume(conversation, 0);
                    }
                    self.thread.acked(&client_id, seq, at);
                }
                ServerMsg::Message { message } => {
                    if sig.selected.get_untracked() == Some(message.conversation) {
                        let theirs = message.author != Author::Customer;
                        if theirs {
                            sig.typing.set(None);
                        }
                        sig.messages.update(|ms| merge(ms, &message));
                        if theirs {
                            self.thread.mark_read(sig.selected.get_untracked());
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
                    if !known && idle && !self.thread.has_unsent() {
                        self.show(id);
                    }
                }
                ServerMsg::Typing {
                    conversation, name, ..
                } => {
                    if sig.selected.get_untracked() == Some(conversation) {
                        self.thread.show_typing(sig.typing, name);
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
                        self.thread.failed(&cid, error.code());
                    }
                }
                // Server-internal, operators' notes and heartbeats: never shown here.
                ServerMsg::Access { .. }
                | ServerMsg::SessionsEnded { .. }
                | ServerMsg::InternalNote { .. }
                | ServerMsg::Pong => {}
            }
        }
    }
}
