//! The inbox's live channel.

use super::*;

/// Handle to the inbox socket; inert on the server.
#[derive(Clone)]
pub struct Live {
    #[cfg(feature = "hydrate")]
    inner: send_wrapper::SendWrapper<std::rc::Rc<client::Client>>,
}

impl Live {
    /// Follows conversation `id`: its messages from the last one shown, typing, read state.
    pub fn follow(&self, _id: ConversationId) {
        #[cfg(feature = "hydrate")]
        self.inner.follow(_id);
    }

    pub fn send(&self, _conversation: ConversationId, _body: String) {
        #[cfg(feature = "hydrate")]
        self.inner.send(_conversation, _body);
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

    pub fn typing(&self) {
        #[cfg(feature = "hydrate")]
        self.inner.thread.typing(self.inner.current());
    }
}

pub fn connect(slug: String, s: InboxSignals) -> Live {
    #[cfg(feature = "hydrate")]
    {
        Live {
            inner: send_wrapper::SendWrapper::new(client::Client::start(slug, s)),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (slug, s);
        Live {}
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use super::*;
    use crate::protocol::ServerMsg;
    use crate::ui::live::{self, client::Thread};
    use crate::ui::socket::{attach, page_visible};
    use std::rc::Rc;

    pub struct Client {
        slug: String,
        pub thread: Thread,
        s: InboxSignals,
    }

    /// A desktop notification for a new conversation, when the operator allowed them
    /// and is looking elsewhere (another tab or window).
    fn notify(c: &ConversationView) {
        use web_sys::{Notification, NotificationOptions, NotificationPermission};
        if Notification::permission() != NotificationPermission::Granted {
            return;
        }
        let focused = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.has_focus().ok())
            .unwrap_or(true);
        if focused && page_visible() {
            return;
        }
        let opts = NotificationOptions::new();
        opts.set_body(&format!(
            "{} · {}\n{}",
            c.customer_account, c.channel_name, c.preview
        ));
        opts.set_tag(&format!("netlines-conversation-{}", c.id.0));
        let title = format!(
            "{}: {}",
            crate::i18n::t(crate::ui::detect_lang(), K::NewConversationNote),
            c.customer_name
        );
        let _ = Notification::new_with_options(&title, &opts);
    }

    /// A short tone for a new conversation (Web Audio; no file to load).
    fn chime() {
        let Ok(ctx) = web_sys::AudioContext::new() else {
            return;
        };
        let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
            return;
        };
        osc.frequency().set_value(880.0);
        gain.gain().set_value(0.08);
        let _ = osc.connect_with_audio_node(&gain);
        let _ = gain.connect_with_audio_node(&ctx.destination());
        let _ = osc.start();
        let _ = osc.stop_with_when(ctx.current_time() + 0.18);
    }

    impl Client {
        pub fn start(slug: String, s: InboxSignals) -> Rc<Self> {
            let path = format!("/ws/inbox?account={slug}");
            let thread = Thread::new(&path, s.me.0, Author::Operator, s.messages, s.link);
            let socket = thread.socket.clone();
            let c = Rc::new(Client { slug, thread, s });
            attach(&socket, &c, Self::opened, Self::handle);
            // What this operator wrote and never saw acknowledged: the open
            // conversation's is drawn again (others' when they are opened), and all of
            // it is sent when connected.
            let weak = Rc::downgrade(&c);
            request_animation_frame(move || {
                if let Some(c) = weak.upgrade() {
                    let current = c.current();
                    c.thread.restore(|conv| conv.is_some() && conv == current);
                }
            });
            c
        }

        pub fn current(&self) -> Option<ConversationId> {
            self.s.current.with_untracked(|c| c.as_ref().map(|c| c.id))
        }

        fn opened(&self) {
            if let Some(id) = self.current() {
                self.follow(id);
            }
            // What changed before the feed was listening (between the page's render
            // and now, or while disconnected): the first page again, merged.
            let (s, slug) = (self.s, self.slug.clone());
            let filter = s.filter.get_untracked();
            leptos::task::spawn_local(async move {
                if let Ok(p) = inbox_more(slug, filter.as_str().to_string(), String::new()).await {
                    if s.filter.get_untracked() == filter {
                        let viewing = s.current.with_untracked(|c| c.as_ref().map(|c| c.id));
                        s.items
                            .update(|items| live::first_page_into(items, p.items, p.next.is_some(), viewing));
                    }
                }
            });
            self.thread.resend();
        }

        pub fn follow(&self, id: ConversationId) {
            self.thread.follow(id);
        }

        pub fn send(&self, conversation: ConversationId, body: String) {
            self.thread.send(Some(conversation), body);
        }

        pub fn retry(&self, client_id: &str) {
            self.thread.retry(client_id, self.current());
        }

        fn is_current(&self, id: ConversationId) -> bool {
            self.s.current.with_untracked(|c| c.as_ref().map(|c| c.id)) == Some(id)
        }

        fn handle(&self, m: ServerMsg) {
            let s = self.s;
            match m {
                ServerMsg::Ack {
                    client_id, seq, at, ..
                } => self.thread.acked(&client_id, seq, at),
                ServerMsg::Message { message } => {
                    let id = message.conversation;
                    let viewing = self.is_current(id) && page_visible();
                    s.items
                        .update(|items| live::message_in_list(items, &message, viewing));
                    if self.is_current(id) {
                        if message.author == Author::Customer {
                            s.typing.set(None);
                        }
                        s.messages.update(|ms| merge(ms, &message));
                        if message.author == Author::Customer {
                            self.thread.mark_read(Some(id));
                        }
                    }
                }
                ServerMsg::Conversation { conversation } => {
                    let known = s
                        .items
                        .with_untracked(|items| items.iter().any(|i| i.id == conversation.id));
                    if !known && conversation.status == ConversationStatus::New && s.sound.get_untracked() {
                        chime();
                        s.chimes.update(|n| *n += 1);
                    }
                    if s.items
                        .with_untracked(|items| live::is_new_arrival(items, &conversation))
                    {
                        notify(&conversation);
                    }
                    let pinned = s.pinned.with_untracked(|p| p.contains(&conversation.id));
                    let keep = s.filter.get_untracked().matches(&conversation, s.me, pinned);
                    let viewing = self.is_current(conversation.id) && page_visible();
                    s.items.update(|items| {
                        live::conversation_in_list(items, conversation.clone(), keep, viewing)
                    });
                    if self.is_current(conversation.id) {
                        s.current.set(Some(conversation));
                    }
                }
                ServerMsg::Typing {
                    conversation, name, ..
                } => {
                    if self.is_current(conversation) {
                        self.thread.show_typing(s.typing, name);
                    }
                }
                ServerMsg::Read {
                    conversation,
                    by,
                    seq,
                } => {
                    if by == Author::Customer && self.is_current(conversation) {
                        s.current.update(|c| {
                            if let Some(c) = c {
                                c.customer_read_seq = c.customer_read_seq.max(seq);
                            }
                        });
                    }
                }
                ServerMsg::Error { client_id, error } => match client_id {
                    Some(cid) => self.thread.failed(&cid, error.code()),
                    None => s.notice.set(Some(error.code())),
                },
                ServerMsg::InternalNote { note } => {
                    if self.is_current(note.conversation) {
                        s.notes.update(|ns| note_into(ns, note));
                    }
                }
                // Server-internal (never sent to browsers), and heartbeats.
                ServerMsg::Access { .. } | ServerMsg::SessionsEnded { .. } | ServerMsg::Pong => {}
            }
        }
    }
}
