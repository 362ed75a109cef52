//! The operators' inbox: `/a/{account}/inbox`, a single page for working all day.
//!
//! The server renders the list (`?f=` filter) and the open conversation (`?c=`), so
//! links work before hydration. Once hydrated, the page keeps one socket
//! (`/ws/inbox`): new conversations and messages appear and re-order live, the tab
//! title counts unread messages, the customer's typing and read state show, and
//! filters and conversations switch without reloading. Arrow keys move between
//! conversations in the list (Alt+↑/↓ from anywhere).

use crate::api::inbox::{
    add_note, finish_conversation, inbox_conversation, inbox_more, inbox_older, load_inbox, pin_conversation,
    quick_answers, search_conversations, skip_conversation, split_rule, start_new_conversation,
    transfer_conversation,
};
use crate::api::{
    ConversationDetail, InboxFilter, InboxView, QueueView, QuickAnswerView, SearchHit, SearchOutcome,
    SplitRule,
};
use crate::domain::conversation::{Author, ConversationStatus, MessageBody};
use crate::domain::quick_answer::{composer_query, fill, search, Fill};
use crate::domain::{ConversationId, Role, UserId};
use crate::error::{AppError, Code};
use crate::i18n::{error_key, K};
use crate::protocol::{ConversationView, NoteView};
use crate::ui::pages::chat::{merge, status_text, Delivery, UiMsg};
use crate::ui::pages::{Forbidden, NotFound, SignInRedirect};
use crate::ui::time::{MessageTime, RelativeTime};
use crate::ui::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

mod conversation;
mod details;
mod item;
mod layout;
pub mod live;
mod quick;
mod search;
mod thread;

use conversation::Conversation;
use details::{Details, Notifications};
use item::{rating_text, ConvItem};
use layout::Inbox;
use quick::{QuickPick, QuickPickList};
use search::{search_href, Hit, Search};
use thread::{Msg, Note};

#[component]
pub fn InboxPage() -> impl IntoView {
    let params = use_params_map();
    // The page loads once per account; filters and conversations then change in place.
    let init = use_query_map().get_untracked();
    let filter0 = init.get("f").unwrap_or_default();
    let open0 = init.get("c").and_then(|c| c.parse::<i64>().ok());
    let q0 = init.get("q");
    let page = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        move |slug| load_inbox(slug, filter0.clone(), open0, q0.clone()),
    );
    view! {
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) => view! { <Inbox v=v /> }.into_any(),
                    Err(AppError::Unauthorized) => view! { <SignInRedirect /> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound /> }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <Forbidden account=params.read_untracked().get("slug").unwrap_or_default() />
                    }
                    .into_any(),
                    Err(e) => view! {
                        <Title text=tr(K::InboxTitle) />
                        <section class="card narrow">
                            <h1>{tr(K::AccessDenied)}</h1>
                            <p class="notice notice-error" role="alert">{tr(error_key(e.code()))}</p>
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// Everything the inbox changes live.
#[derive(Clone, Copy)]
pub struct InboxSignals {
    pub me: UserId,
    pub filter: RwSignal<InboxFilter>,
    pub items: RwSignal<Vec<ConversationView>>,
    pub next: RwSignal<Option<String>>,
    pub current: RwSignal<Option<ConversationView>>,
    pub messages: RwSignal<Vec<UiMsg>>,
    pub has_older: RwSignal<bool>,
    pub split: RwSignal<SplitRule>,
    /// Conversations the current customer has had with the channel.
    pub history: RwSignal<i64>,
    pub typing: RwSignal<Option<String>>,
    /// The live connection's state (shown pinned at the top).
    pub link: RwSignal<crate::ui::socket::Link>,
    pub sound: RwSignal<bool>,
    pub chimes: RwSignal<u32>,
    pub notice: RwSignal<Option<Code>>,
    /// The conversation being fetched after a click (the pane shows that it loads; a
    /// slower answer for an earlier click is dropped).
    pub opening: RwSignal<Option<ConversationId>>,
    /// The list is being fetched for another filter.
    pub list_loading: RwSignal<bool>,
    /// The conversations the viewer has pinned.
    pub pinned: RwSignal<Vec<ConversationId>>,
    /// The open conversation's internal notes, oldest first.
    pub notes: RwSignal<Vec<NoteView>>,
}

/// Adds a note the inbox did not show yet (its own answer and the live event both
/// bring it), keeping the notes in the order they were stored.
pub fn note_into(notes: &mut Vec<NoteView>, n: NoteView) {
    if !notes.iter().any(|x| x.id == n.id) {
        notes.push(n);
        notes.sort_by_key(|x| x.id);
    }
}

/// One line of the conversation: a message or an internal note.
#[derive(Clone, Debug, PartialEq)]
pub enum Row {
    Msg(UiMsg),
    Note(NoteView),
}

/// Messages with the notes between them, each note after the messages written before it.
pub fn interleave(messages: Vec<UiMsg>, notes: &[NoteView]) -> Vec<Row> {
    let mut out = Vec::with_capacity(messages.len() + notes.len());
    let mut notes = notes.iter().peekable();
    for m in messages {
        while let Some(n) = notes.next_if(|n| n.at < m.at) {
            out.push(Row::Note(n.clone()));
        }
        out.push(Row::Msg(m));
    }
    out.extend(notes.cloned().map(Row::Note));
    out
}

/// A fresh id for a note (the server stores each id once).
fn note_client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        crate::ui::socket::new_client_id()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

/// Newest activity first (the server's order).
pub use crate::ui::live::sort_items;

/// Unread messages the viewer should care about: theirs or waiting, not finished.
pub fn unread_total(items: &[ConversationView], me: UserId) -> i64 {
    items
        .iter()
        .filter(|c| {
            c.status != ConversationStatus::Closed && (c.operator.is_none() || c.operator == Some(me))
        })
        .map(|c| c.unread)
        .sum()
}

fn filter_label(f: InboxFilter) -> &'static str {
    match f {
        InboxFilter::All => tr(K::FilterAll),
        InboxFilter::Mine => tr(K::FilterMine),
        InboxFilter::Waiting => tr(K::FilterWaiting),
        InboxFilter::Open => tr(K::FilterOpen),
        InboxFilter::Closed => tr(K::FilterClosed),
        InboxFilter::Pinned => tr(K::FilterPinned),
    }
}

fn href(filter: InboxFilter, c: Option<ConversationId>) -> String {
    match c {
        Some(c) => format!("?f={}&c={}", filter.as_str(), c),
        None => format!("?f={}", filter.as_str()),
    }
}

/// Replaces the address bar's query without reloading (so a reload reopens the same view).
fn set_address(_query: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        if let Ok(h) = w.history() {
            let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(_query));
        }
    }
}

fn focus_id(_id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(_id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
}

fn detail_into(s: &InboxSignals, d: ConversationDetail) {
    let id = d.conversation.id;
    s.items.update(|items| {
        if let Some(i) = items.iter_mut().find(|i| i.id == id) {
            i.unread = 0;
        }
    });
    s.messages.set(d.messages.iter().map(UiMsg::stored).collect());
    s.has_older.set(d.has_older);
    s.split.set(d.split);
    s.history.set(d.customer_conversations);
    s.notes.set(d.notes);
    s.typing.set(None);
    s.current.set(Some(d.conversation));
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ui::live::conversation as cv;

    #[test]
    fn the_list_is_newest_first_and_the_title_counts_mine_and_waiting_only() {
        use ConversationStatus::*;
        let mut items = vec![
            cv(1, 10, Some(7), Open, 2),
            cv(2, 30, None, New, 1),
            cv(3, 20, Some(8), Open, 5),
            cv(4, 20, Some(7), Closed, 4),
        ];
        sort_items(&mut items);
        let ids: Vec<i64> = items.iter().map(|c| c.id.0).collect();
        assert_eq!(ids, vec![2, 4, 3, 1]);
        assert_eq!(unread_total(&items, UserId(7)), 3);
    }

    #[test]
    fn filters_match_like_the_server() {
        use ConversationStatus::*;
        let me = UserId(7);
        assert!(InboxFilter::Mine.matches(&cv(1, 0, Some(7), New, 0), me, false));
        assert!(!InboxFilter::Mine.matches(&cv(1, 0, Some(7), Closed, 0), me, false));
        assert!(InboxFilter::Waiting.matches(&cv(1, 0, None, New, 0), me, false));
        assert!(!InboxFilter::Waiting.matches(&cv(1, 0, Some(8), New, 0), me, false));
        assert!(InboxFilter::Open.matches(&cv(1, 0, Some(8), Open, 0), me, false));
        assert!(InboxFilter::Closed.matches(&cv(1, 0, None, Closed, 0), me, false));
        assert!(InboxFilter::All.matches(&cv(1, 0, None, Closed, 0), me, false));
    }

    fn note(id: i64, at: i64) -> NoteView {
        NoteView {
            id,
            conversation: ConversationId(1),
            author: UserId(2),
            author_name: "Ola".into(),
            body: format!("note {id}"),
            at,
            client_id: format!("n-0000000{id}"),
        }
    }

    fn msg(seq: i64, at: i64) -> UiMsg {
        UiMsg::stored(&crate::protocol::MessageView {
            files: Vec::new(),
            rich: None,
            conversation: ConversationId(1),
            seq,
            author: Author::Customer,
            author_name: "Cleo".into(),
            body: format!("m{seq}"),
            at,
            client_id: None,
        })
    }

    #[test]
    fn notes_sit_after_the_messages_written_before_them_and_come_once() {
        let rows = interleave(
            vec![msg(1, 10), msg(2, 20), msg(3, 30)],
            &[note(1, 5), note(2, 20), note(3, 25), note(4, 99)],
        );
        let shape: Vec<String> = rows
            .iter()
            .map(|r| match r {
                Row::Msg(m) => format!("m{}", m.seq.unwrap()),
                Row::Note(n) => format!("n{}", n.id),
            })
            .collect();
        assert_eq!(shape, ["n1", "m1", "m2", "n2", "n3", "m3", "n4"]);
        let mut notes = vec![note(1, 5), note(3, 25)];
        note_into(&mut notes, note(2, 20));
        note_into(&mut notes, note(2, 20));
        assert_eq!(notes.iter().map(|n| n.id).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn every_conversation_is_in_exactly_one_of_waiting_open_and_closed() {
        use ConversationStatus::*;
        let me = UserId(7);
        for status in [New, Open, Closed] {
            for op in [None, Some(7), Some(8)] {
                let c = cv(1, 0, op, status, 0);
                let hits = [InboxFilter::Waiting, InboxFilter::Open, InboxFilter::Closed]
                    .into_iter()
                    .filter(|f| f.matches(&c, me, false))
                    .count();
                assert_eq!(hits, 1, "{status:?} {op:?}");
            }
        }
        // Assigned by a split or a transfer, not answered yet: open, not waiting.
        let split = cv(1, 0, Some(8), New, 0);
        assert_eq!(split.shown_status(), Open);
        assert!(InboxFilter::Open.matches(&split, me, false));
        assert!(!InboxFilter::Waiting.matches(&split, me, false));
        // Given back to the queue after an answer: waiting again.
        assert_eq!(cv(1, 0, None, Open, 0).shown_status(), New);
    }
}
