//! The outbox: what the user wrote and the server has not acknowledged yet. Each
//! message is shown at once as pending, sent again after every reconnect with the same
//! client id (the server stores each id once), and kept on the device as JSON until it
//! is acknowledged, so a reload, a closed tab or a restarted browser loses nothing. A
//! refused message stays too, with its reason, until it is retried or discarded.

use super::{sort, Delivery, UiMsg};
use crate::domain::conversation::Author;
use crate::domain::ConversationId;
use crate::error::Code;
use crate::protocol::ClientMsg;
use serde::{Deserialize, Serialize};

/// At most this many messages wait on the device (a page that cannot send for days
/// does not grow the storage without end); the oldest refused ones go first.
pub const MAX_KEPT: usize = 200;

#[derive(Default, Debug)]
pub struct Outbox(Vec<Unsent>);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Unsent {
    client_id: String,
    conversation: Option<ConversationId>,
    body: String,
    #[serde(default)]
    at: i64,
    /// Refused by the server: not sent again until retried.
    #[serde(default)]
    failed: Option<Code>,
}

impl Unsent {
    fn msg(&self) -> ClientMsg {
        ClientMsg::Send {
            client_id: self.client_id.clone(),
            conversation: self.conversation,
            body: self.body.clone(),
        }
    }

    fn shown(&self, author: Author) -> UiMsg {
        UiMsg {
            seq: None,
            client_id: Some(self.client_id.clone()),
            author,
            author_name: String::new(),
            body: self.body.clone(),
            at: self.at,
            state: match self.failed {
                Some(code) => Delivery::Failed(code),
                None => Delivery::Pending,
            },
            files: Vec::new(),
            rich: None,
        }
    }
}

impl Outbox {
    /// Shows `body` as pending in `messages` and returns what to send.
    pub fn add(
        &mut self,
        messages: &mut Vec<UiMsg>,
        author: Author,
        conversation: Option<ConversationId>,
        body: String,
        client_id: String,
        now: i64,
    ) -> ClientMsg {
        let unsent = Unsent {
            client_id,
            conversation,
            body,
            at: now,
            failed: None,
        };
        messages.push(unsent.shown(author));
        let msg = unsent.msg();
        self.0.push(unsent);
        self.trim();
        msg
    }

    /// Marks a failed message pending again; what to send, if it is still unsent.
    pub fn retry(
        &mut self,
        messages: &mut [UiMsg],
        client_id: &str,
        conversation: Option<ConversationId>,
    ) -> Option<ClientMsg> {
        let m = messages
            .iter_mut()
            .find(|m| m.client_id.as_deref() == Some(client_id) && m.seq.is_none())?;
        m.state = Delivery::Pending;
        let unsent = Unsent {
            client_id: client_id.to_string(),
            conversation,
            body: m.body.clone(),
            at: m.at,
            failed: None,
        };
        self.0.retain(|u| u.client_id != client_id);
        let msg = unsent.msg();
        self.0.push(unsent);
        Some(msg)
    }

    /// The user gave up on a refused (or still pending) message: it leaves the page and
    /// the device.
    pub fn discard(&mut self, messages: &mut Vec<UiMsg>, client_id: &str) {
        self.0.retain(|u| u.client_id != client_id);
        messages.retain(|m| m.seq.is_some() || m.client_id.as_deref() != Some(client_id));
    }

    /// Everything to send (again) after a reconnect, oldest first; refused ones wait
    /// for a retry.
    pub fn unsent(&self) -> Vec<ClientMsg> {
        self.0
            .iter()
            .filter(|u| u.failed.is_none())
            .map(Unsent::msg)
            .collect()
    }

    /// The server stored it: the pending copy becomes the stored message.
    pub fn acked(&mut self, messages: &mut [UiMsg], client_id: &str, seq: i64, at: i64) {
        self.0.retain(|u| u.client_id != client_id);
        if let Some(x) = messages
            .iter_mut()
            .find(|x| x.client_id.as_deref() == Some(client_id))
        {
            x.seq = Some(seq);
            x.at = at;
            x.state = Delivery::Stored;
        }
        sort(messages);
    }

    /// The server refused it: shown as not sent, with the reason; never resent by itself.
    pub fn failed(&mut self, messages: &mut [UiMsg], client_id: &str, code: Code) {
        if let Some(u) = self.0.iter_mut().find(|u| u.client_id == client_id) {
            u.failed = Some(code);
        }
        if let Some(x) = messages
            .iter_mut()
            .find(|x| x.client_id.as_deref() == Some(client_id))
        {
            x.state = Delivery::Failed(code);
        }
    }

    /// What to keep on the device; `None` when nothing waits (remove the stored copy).
    pub fn to_json(&self) -> Option<String> {
        if self.0.is_empty() {
            return None;
        }
        serde_json::to_string(&self.0).ok()
    }

    /// Takes back what an earlier page kept (`json`): messages already stored (present
    /// in `messages` by client id) are dropped, the others wait here again, and those of
    /// the conversation on screen (`shown`) appear in `messages` as pending or refused.
    /// Unreadable text is ignored; ids already waiting are not taken twice.
    pub fn restore(
        &mut self,
        json: &str,
        messages: &mut Vec<UiMsg>,
        author: Author,
        shown: impl Fn(Option<ConversationId>) -> bool,
    ) {
        let Ok(kept) = serde_json::from_str::<Vec<Unsent>>(json) else {
            return;
        };
        for u in kept {
            let stored = messages
                .iter()
                .any(|m| m.client_id.as_deref() == Some(u.client_id.as_str()));
            let waiting = self.0.iter().any(|x| x.client_id == u.client_id);
            if stored || waiting || u.client_id.is_empty() {
                continue;
            }
            if shown(u.conversation) {
                messages.push(u.shown(author));
            }
            self.0.push(u);
        }
        self.trim();
    }

    /// Draws what waits for `conversation` (just opened) that the page does not show yet.
    pub fn show_waiting(&self, messages: &mut Vec<UiMsg>, author: Author, conversation: ConversationId) {
        for u in self.0.iter().filter(|u| u.conversation == Some(conversation)) {
            if !messages
                .iter()
                .any(|m| m.client_id.as_deref() == Some(u.client_id.as_str()))
            {
                messages.push(u.shown(author));
            }
        }
        sort(messages);
    }

    /// Keeps at most [`MAX_KEPT`]: refused ones leave first, then the oldest.
    fn trim(&mut self) {
        while self.0.len() > MAX_KEPT {
            let i = self.0.iter().position(|u| u.failed.is_some()).unwrap_or(0);
            self.0.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MessageView;

    fn stored(seq: i64, cid: &str) -> UiMsg {
        UiMsg::stored(&MessageView {
            conversation: ConversationId(1),
            seq,
            author: Author::Customer,
            author_name: "C".into(),
            body: format!("m{seq}"),
            at: seq,
            client_id: Some(cid.into()),
            files: Vec::new(),
            rich: None,
        })
    }

    #[test]
    fn what_waits_survives_a_reload_and_is_sent_again_with_the_same_ids() {
        let c = Some(ConversationId(1));
        let mut page = Vec::new();
        let mut outbox = Outbox::default();
        outbox.add(&mut page, Author::Customer, c, "one".into(), "a".into(), 10);
        outbox.add(&mut page, Author::Customer, None, "new".into(), "b".into(), 11);
        outbox.add(&mut page, Author::Customer, c, "refused".into(), "r".into(), 12);
        outbox.failed(&mut page, "r", Code::ConversationLimit);
        let json = outbox.to_json().expect("something waits");

        // The next page: "a" was stored before the reload (the page has it), "b" was not.
        let mut next = vec![stored(5, "a")];
        let mut again = Outbox::default();
        again.restore(&json, &mut next, Author::Customer, |conv| conv == c);
        assert_eq!(
            again.unsent(),
            vec![ClientMsg::Send {
                client_id: "b".into(),
                conversation: None,
                body: "new".into()
            }]
        );
        // On screen: the stored one, and the refused one of this conversation with its
        // reason and time; "b" (a new conversation) is sent but not drawn here.
        assert_eq!(next.len(), 2);
        assert_eq!(next[1].state, Delivery::Failed(Code::ConversationLimit));
        assert_eq!((next[1].body.as_str(), next[1].at), ("refused", 12));
        // Restoring the same text twice takes nothing twice.
        again.restore(&json, &mut next, Author::Customer, |conv| conv == c);
        assert_eq!((next.len(), again.unsent().len()), (2, 1));
        // A conversation opened later shows what waits for it, once.
        let mut opened = Vec::new();
        let mut inbox = Outbox::default();
        inbox.restore(&json, &mut opened, Author::Operator, |_| false);
        assert!(opened.is_empty());
        inbox.show_waiting(&mut opened, Author::Operator, ConversationId(1));
        inbox.show_waiting(&mut opened, Author::Operator, ConversationId(1));
        let bodies: Vec<&str> = opened.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(bodies, ["one", "refused"]);
    }

    #[test]
    fn an_acknowledged_or_discarded_message_leaves_the_device() {
        let mut page = Vec::new();
        let mut outbox = Outbox::default();
        outbox.add(&mut page, Author::Operator, None, "x".into(), "x".into(), 0);
        outbox.add(&mut page, Author::Operator, None, "y".into(), "y".into(), 0);
        outbox.acked(&mut page, "x", 1, 1);
        outbox.failed(&mut page, "y", Code::RateLimited);
        assert!(outbox.to_json().is_some(), "a refused message is kept");
        outbox.discard(&mut page, "y");
        assert_eq!(outbox.to_json(), None);
        assert_eq!(page.len(), 1, "the stored message stays on the page");
    }

    #[test]
    fn unreadable_or_oversized_storage_cannot_break_or_grow_the_outbox() {
        let mut page = Vec::new();
        let mut outbox = Outbox::default();
        for bad in [
            "",
            "{",
            "null",
            "[{\"client_id\":1}]",
            "[{\"client_id\":\"\",\"conversation\":null,\"body\":\"x\"}]",
        ] {
            outbox.restore(bad, &mut page, Author::Customer, |_| true);
        }
        assert!(page.is_empty() && outbox.to_json().is_none());
        for i in 0..MAX_KEPT + 5 {
            outbox.add(&mut page, Author::Customer, None, "b".into(), format!("c{i}"), 0);
        }
        outbox.failed(&mut page, "c100", Code::RateLimited);
        outbox.add(&mut page, Author::Customer, None, "b".into(), "last".into(), 0);
        assert_eq!(outbox.0.len(), MAX_KEPT);
        assert!(
            outbox.0.iter().all(|u| u.client_id != "c100"),
            "the refused one went first"
        );
        assert_eq!(outbox.0.last().map(|u| u.client_id.as_str()), Some("last"));
    }
}
