//! What the live pages hold and how each event changes it, as plain data and functions
//! (no signals, no browser): the messages of the open conversation with the ones still
//! unacknowledged (the outbox), the customer's conversations and the operator's list.
//! The pages' socket clients only apply these inside signal updates and render, so the
//! rules are tested here on the host.

use crate::domain::conversation::{preview_of, Author, ConversationStatus};
use crate::domain::ConversationId;
use crate::error::Code;
use crate::protocol::{ConversationView, MessageView};

/// A message as the page shows it: stored ones have a `seq`; the user's own unsent ones
/// are pending or failed.
#[derive(Clone, Debug, PartialEq)]
pub struct UiMsg {
    pub seq: Option<i64>,
    pub client_id: Option<String>,
    pub author: Author,
    pub author_name: String,
    pub body: String,
    pub at: i64,
    pub state: Delivery,
    pub files: Vec<crate::protocol::FileView>,
    pub rich: Option<crate::domain::rich::Rich>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Stored,
    Pending,
    Failed(Code),
}

impl UiMsg {
    pub fn stored(m: &MessageView) -> Self {
        Self {
            seq: Some(m.seq),
            client_id: m.client_id.clone(),
            author: m.author,
            author_name: m.author_name.clone(),
            body: m.body.clone(),
            at: m.at,
            state: Delivery::Stored,
            files: m.files.clone(),
            rich: m.rich.clone(),
        }
    }
}

/// Merges a stored message into the list: replaces the pending copy with the same
/// client id, ignores one already present, keeps the list ordered by seq.
pub fn merge(list: &mut Vec<UiMsg>, m: &MessageView) {
    if list.iter().any(|x| x.seq == Some(m.seq)) {
        return;
    }
    if let Some(cid) = &m.client_id {
        if let Some(x) = list
            .iter_mut()
            .find(|x| x.seq.is_none() && x.client_id.as_ref() == Some(cid))
        {
            *x = UiMsg::stored(m);
            sort(list);
            return;
        }
    }
    list.push(UiMsg::stored(m));
    sort(list);
}

/// Stored messages by seq; unsent ones stay at the end in the order they were written.
pub fn sort(list: &mut [UiMsg]) {
    list.sort_by_key(|x| (x.seq.is_none(), x.seq.unwrap_or(i64::MAX)));
}

/// The highest seq the page holds (what to resume from).
pub fn last_seq(list: &[UiMsg]) -> i64 {
    list.iter().filter_map(|m| m.seq).max().unwrap_or(0)
}

mod outbox;
pub use outbox::Outbox;

/// Where a page keeps what its user wrote and has not seen acknowledged: one key per
/// user and per socket (a chat's channel and account, an inbox's account), so nothing
/// kept by one person is ever sent as another who signs in on the same browser.
pub const OUTBOX_PREFIX: &str = "netlines.outbox.";
/// Where composers keep their unsent drafts (per user and conversation place).
pub const DRAFT_PREFIX: &str = "netlines.draft.";
#[cfg(feature = "hydrate")]
pub mod client;

/// The customer's first message started a conversation: the page shows only that
/// conversation from now on, beginning with the message just sent.
pub fn keep_only_new_conversation(messages: &mut Vec<UiMsg>, client_id: &str) {
    messages.retain(|x| x.client_id.as_deref() == Some(client_id));
}

/// The customer's list of their conversations: a changed one is replaced, a new one goes
/// first (newest first).
pub fn upsert_conversation(list: &mut Vec<ConversationView>, c: ConversationView) {
    match list.iter_mut().find(|x| x.id == c.id) {
        Some(x) => *x = c,
        None => list.insert(0, c),
    }
}

/// The operator read up to `seq` (the customer's "seen" marks); never goes back.
pub fn operator_read(list: &mut [ConversationView], conversation: ConversationId, seq: i64) {
    if let Some(c) = list.iter_mut().find(|c| c.id == conversation) {
        c.operator_read_seq = c.operator_read_seq.max(seq);
    }
}

/// The operator's list, newest activity first.
pub fn sort_items(items: &mut [ConversationView]) {
    items.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
}

/// A new message in some conversation of the operator's list: its preview and time move
/// on, and a customer's message the operator is not looking at counts as unread (never
/// on a finished conversation). Older or repeated messages change nothing.
pub fn message_in_list(items: &mut [ConversationView], m: &MessageView, viewing: bool) {
    if let Some(i) = items.iter_mut().find(|i| i.id == m.conversation) {
        if m.seq > i.last_seq {
            i.last_seq = m.seq;
            i.preview = preview_of(&m.body);
            i.updated_at = m.at;
            if m.author == Author::Customer && !viewing && i.status != ConversationStatus::Closed {
                i.unread += 1;
            }
        }
    }
    sort_items(items);
}

/// A conversation changed (new, taken, transferred, finished…): it leaves the list, and
/// comes back in its new place if the list's filter still `keep`s it — read, if the
/// operator is looking at it.
pub fn conversation_in_list(
    items: &mut Vec<ConversationView>,
    mut c: ConversationView,
    keep: bool,
    viewing: bool,
) {
    items.retain(|i| i.id != c.id);
    if keep {
        if viewing {
            c.unread = 0;
        }
        items.push(c);
        sort_items(items);
    }
}

/// The list's first page as the server has it now (fetched when the live feed opens or
/// reopens, so what changed before it was listening is not missed): those
/// conversations in their places; of the others the list held, only those older than
/// the page's last one stay, and only when the server has more pages (`more`).
pub fn first_page_into(
    items: &mut Vec<ConversationView>,
    fresh: Vec<ConversationView>,
    more: bool,
    viewing: Option<crate::domain::ConversationId>,
) {
    let key = |c: &ConversationView| (c.updated_at, c.id.0);
    let oldest = fresh.iter().map(key).min();
    items.retain(|i| !fresh.iter().any(|f| f.id == i.id) && more && oldest.is_some_and(|o| key(i) < o));
    for mut c in fresh {
        if Some(c.id) == viewing {
            c.unread = 0;
        }
        items.push(c);
    }
    sort_items(items);
}

/// Whether a changed conversation is one the list has not seen, waiting for someone to
/// take it (what rings and notifies).
pub fn is_new_arrival(items: &[ConversationView], c: &ConversationView) -> bool {
    !items.iter().any(|i| i.id == c.id) && c.shown_status() == ConversationStatus::New
}

/// A conversation for tests of the live lists (here and in the inbox page).
#[cfg(test)]
pub(crate) fn conversation(
    id: i64,
    updated: i64,
    operator: Option<i64>,
    status: ConversationStatus,
    unread: i64,
) -> ConversationView {
    use crate::domain::{ChannelId, UserId};
    ConversationView {
        id: ConversationId(id),
        channel: ChannelId(1),
        status,
        customer_name: "C".into(),
        customer_account: "A".into(),
        last_seq: 1,
        created_at: 0,
        channel_name: "Ch".into(),
        operator: operator.map(UserId),
        operator_name: String::new(),
        preview: String::new(),
        updated_at: updated,
        unread,
        operator_read_seq: 0,
        customer_read_seq: 0,
        rating: None,
        rating_comment: String::new(),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_fresh_first_page_adds_what_was_missed_and_drops_what_left() {
        use ConversationStatus::*;
        // The list held 5 (since taken by someone else), 9 and 1 (from an older page).
        let mut items = vec![
            conversation(9, 900, None, New, 1),
            conversation(5, 1000, None, New, 0),
            conversation(1, 100, None, Open, 0),
        ];
        // The server's first page now: 12 (new while not listening), 9 (updated).
        let fresh = vec![
            conversation(12, 1200, None, New, 1),
            conversation(9, 950, None, New, 2),
        ];
        first_page_into(
            &mut items,
            fresh.clone(),
            true,
            Some(crate::domain::ConversationId(9)),
        );
        let ids: Vec<i64> = items.iter().map(|c| c.id.0).collect();
        assert_eq!(
            ids,
            vec![12, 9, 1],
            "5 is gone (newer than the page's end, not on it); 1 is on a later page"
        );
        assert_eq!(items[1].unread, 0, "the one being viewed is read");
        // Without more pages, everything not on the page goes.
        let mut items = vec![conversation(1, 100, None, Open, 0)];
        first_page_into(&mut items, fresh, false, None);
        assert_eq!(items.iter().map(|c| c.id.0).collect::<Vec<_>>(), vec![12, 9]);
        assert_eq!(items[1].unread, 2);
    }
    use super::*;
    use crate::domain::UserId;
    use crate::protocol::ClientMsg;

    fn mv(seq: i64, cid: Option<&str>) -> MessageView {
        MessageView {
            files: Vec::new(),
            rich: None,
            conversation: ConversationId(1),
            seq,
            author: Author::Customer,
            author_name: "C".into(),
            body: format!("m{seq}"),
            at: seq * 10,
            client_id: cid.map(str::to_string),
        }
    }

    fn cv(id: i64, updated: i64, status: ConversationStatus) -> ConversationView {
        conversation(id, updated, None, status, 0)
    }

    #[test]
    fn merging_replaces_the_pending_copy_and_keeps_seq_order_without_duplicates() {
        let mut list = vec![UiMsg::stored(&mv(1, None))];
        let mut outbox = Outbox::default();
        outbox.add(
            &mut list,
            Author::Customer,
            None,
            "pending".into(),
            "abc".into(),
            5,
        );
        merge(&mut list, &mv(3, None));
        merge(&mut list, &mv(2, Some("abc")));
        merge(&mut list, &mv(3, None));
        let seqs: Vec<Option<i64>> = list.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, vec![Some(1), Some(2), Some(3)]);
        assert_eq!(list[1].state, Delivery::Stored);
        assert_eq!(last_seq(&list), 3);
    }

    #[test]
    fn the_outbox_resends_until_acknowledged_and_forgets_refused_messages() {
        let mut list = Vec::new();
        let mut outbox = Outbox::default();
        let c = Some(ConversationId(9));
        let first = outbox.add(&mut list, Author::Operator, c, "one".into(), "a".into(), 1);
        assert_eq!(
            first,
            ClientMsg::Send {
                client_id: "a".into(),
                conversation: c,
                body: "one".into()
            }
        );
        outbox.add(&mut list, Author::Operator, c, "two".into(), "b".into(), 2);
        // Unsent ones stay at the end, in the order they were written.
        assert_eq!(
            list.iter().map(|m| m.state).collect::<Vec<_>>(),
            [Delivery::Pending; 2]
        );
        assert_eq!(outbox.unsent().len(), 2);

        outbox.acked(&mut list, "a", 7, 70);
        assert_eq!(
            (list[0].seq, list[0].at, list[0].state),
            (Some(7), 70, Delivery::Stored)
        );
        assert_eq!(outbox.unsent().len(), 1);

        outbox.failed(&mut list, "b", Code::ConversationClosed);
        assert_eq!(list[1].state, Delivery::Failed(Code::ConversationClosed));
        assert!(
            outbox.unsent().is_empty(),
            "a refused message is not resent by itself"
        );

        // Retry: pending again, queued once however often it is pressed.
        assert!(outbox.retry(&mut list, "b", c).is_some());
        assert!(outbox.retry(&mut list, "b", c).is_some());
        assert_eq!(list[1].state, Delivery::Pending);
        assert_eq!(outbox.unsent().len(), 1);
        // A stored message cannot be "retried".
        assert!(outbox.retry(&mut list, "a", c).is_none());
        assert!(outbox.retry(&mut list, "nope", c).is_none());
    }

    #[test]
    fn a_new_conversation_shows_only_its_first_message() {
        let mut list = vec![UiMsg::stored(&mv(1, None)), UiMsg::stored(&mv(2, None))];
        let mut outbox = Outbox::default();
        outbox.add(&mut list, Author::Customer, None, "hi".into(), "x".into(), 0);
        keep_only_new_conversation(&mut list, "x");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].body, "hi");
    }

    #[test]
    fn the_customers_list_puts_new_conversations_first_and_reads_only_move_forward() {
        use ConversationStatus::*;
        let mut list = vec![cv(1, 0, Closed)];
        upsert_conversation(&mut list, cv(2, 0, New));
        let mut changed = cv(1, 0, Closed);
        changed.preview = "changed".into();
        upsert_conversation(&mut list, changed);
        assert_eq!(list.iter().map(|c| c.id.0).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(list[1].preview, "changed");
        operator_read(&mut list, ConversationId(2), 5);
        operator_read(&mut list, ConversationId(2), 3);
        assert_eq!(list[0].operator_read_seq, 5);
    }

    #[test]
    fn messages_move_a_conversation_up_and_count_unread_only_when_unseen_and_not_finished() {
        use ConversationStatus::*;
        let mut items = vec![cv(1, 50, Open), cv(2, 10, Open), cv(3, 5, Closed)];
        let mut m = mv(4, None);
        m.conversation = ConversationId(2);
        m.at = 100;
        message_in_list(&mut items, &m, false);
        assert_eq!(items[0].id, ConversationId(2));
        assert_eq!(
            (items[0].unread, items[0].last_seq, items[0].preview.as_str()),
            (1, 4, "m4")
        );
        // The same message again (a resume) counts once.
        message_in_list(&mut items, &m, false);
        assert_eq!(items[0].unread, 1);
        // Looking at it: not unread.
        m.seq = 5;
        message_in_list(&mut items, &m, true);
        assert_eq!(items[0].unread, 1);
        // The operator's own message: not unread either.
        m.seq = 6;
        m.author = Author::Operator;
        message_in_list(&mut items, &m, false);
        assert_eq!(items[0].unread, 1);
        // A finished conversation never gets an unread badge.
        let mut late = mv(9, None);
        late.conversation = ConversationId(3);
        message_in_list(&mut items, &late, false);
        let closed = items.iter().find(|c| c.id == ConversationId(3)).unwrap();
        assert_eq!(closed.unread, 0);
    }

    #[test]
    fn a_changed_conversation_follows_the_filter_and_is_read_while_viewed() {
        use ConversationStatus::*;
        let mut items = vec![cv(1, 10, New), cv(2, 20, Open)];
        let mut taken = cv(1, 30, Open);
        taken.operator = Some(UserId(8));
        taken.unread = 3;
        assert!(!is_new_arrival(&items, &taken));
        conversation_in_list(&mut items, taken.clone(), true, true);
        assert_eq!(items[0].id, ConversationId(1));
        assert_eq!(items[0].unread, 0);
        // The filter no longer matches (e.g. "Waiting" after someone took it): it leaves.
        conversation_in_list(&mut items, taken, false, false);
        assert_eq!(items.iter().map(|c| c.id.0).collect::<Vec<_>>(), [2]);
        // Only an unseen, waiting conversation is an arrival.
        assert!(is_new_arrival(&items, &cv(5, 0, New)));
        let mut assigned = cv(6, 0, New);
        assigned.operator = Some(UserId(8));
        assert!(!is_new_arrival(&items, &assigned));
    }
}
