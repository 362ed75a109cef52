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
    pub offline: RwSignal<bool>,
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

#[component]
fn Inbox(v: InboxView) -> impl IntoView {
    let slug = v.account.slug.clone();
    let s = InboxSignals {
        me: v.me,
        filter: RwSignal::new(v.filter),
        items: RwSignal::new(v.page.items.clone()),
        next: RwSignal::new(v.page.next.clone()),
        current: RwSignal::new(None),
        messages: RwSignal::new(Vec::new()),
        has_older: RwSignal::new(false),
        split: RwSignal::new(SplitRule::Closed),
        history: RwSignal::new(0),
        typing: RwSignal::new(None),
        offline: RwSignal::new(false),
        sound: RwSignal::new(false),
        chimes: RwSignal::new(0),
        notice: RwSignal::new(None),
        opening: RwSignal::new(None),
        list_loading: RwSignal::new(false),
        pinned: RwSignal::new(v.pinned.clone()),
        notes: RwSignal::new(Vec::new()),
    };
    if let Some(d) = v.open.clone() {
        detail_into(&s, d);
    }
    let live = live::connect(slug.clone(), s);
    let search = Search::new(v.search.clone());
    let queues = StoredValue::new(v.queues.clone());
    let menu = RwSignal::new(None::<i64>);

    // Opening a conversation: fetch it, follow it live, mark it read.
    let open_slug = slug.clone();
    let open_live = live.clone();
    let open = Callback::new(move |id: ConversationId| {
        let slug = open_slug.clone();
        let live = open_live.clone();
        menu.set(None);
        s.notice.set(None);
        set_address(&href(s.filter.get_untracked(), Some(id)));
        s.opening.set(Some(id));
        leptos::task::spawn_local(async move {
            let result = inbox_conversation(slug, id.0).await;
            // Another conversation was clicked meanwhile: that one's answer decides.
            if s.opening.get_untracked() != Some(id) {
                return;
            }
            s.opening.set(None);
            match result {
                Ok(d) => {
                    detail_into(&s, d);
                    live.follow(id);
                }
                Err(e) => s.notice.set(Some(e.code())),
            }
        });
    });
    let filter_slug = slug.clone();
    let choose_filter = move |f: InboxFilter| {
        let slug = filter_slug.clone();
        s.filter.set(f);
        set_address(&href(f, s.current.get_untracked().map(|c| c.id)));
        s.list_loading.set(true);
        leptos::task::spawn_local(async move {
            let result = inbox_more(slug, f.as_str().to_string(), String::new()).await;
            // Only the answer for the filter chosen last is shown.
            if s.filter.get_untracked() != f {
                return;
            }
            s.list_loading.set(false);
            match result {
                Ok(p) => {
                    s.items.set(p.items);
                    s.next.set(p.next);
                }
                Err(e) => s.notice.set(Some(e.code())),
            }
        });
    };
    let search_slug = slug.clone();
    let run_search = move |more: bool| {
        let query = search.text.get_untracked();
        if query.trim().is_empty() {
            return search.clear();
        }
        let cursor = if more {
            match search.next() {
                Some(c) => c,
                None => return,
            }
        } else {
            String::new()
        };
        let slug = search_slug.clone();
        search.busy.set(true);
        leptos::task::spawn_local(async move {
            let result = search_conversations(slug, query.clone(), cursor).await;
            // Only the answer to what is in the box now is shown.
            if search.text.get_untracked() != query {
                return;
            }
            search.busy.set(false);
            search.done(query, result.map_err(|e| e.code()), more);
            set_address(&search_href(
                s.filter.get_untracked(),
                &search.text.get_untracked(),
            ));
        });
    };
    let search_more = run_search.clone();
    let more_slug = slug.clone();
    let load_more = move |_| {
        let Some(cursor) = s.next.get_untracked() else {
            return;
        };
        let slug = more_slug.clone();
        leptos::task::spawn_local(async move {
            if let Ok(p) = inbox_more(slug, s.filter.get_untracked().as_str().to_string(), cursor).await {
                s.items.update(|items| {
                    for c in p.items {
                        if !items.iter().any(|i| i.id == c.id) {
                            items.push(c);
                        }
                    }
                });
                s.next.set(p.next);
            }
        });
    };
    // Keyboard: ↑/↓ in the list, Alt+↑/↓ anywhere.
    let step = move |delta: i64| {
        let ids: Vec<ConversationId> = s
            .items
            .with_untracked(|items| items.iter().map(|c| c.id).collect());
        if ids.is_empty() {
            return;
        }
        let cur = s.current.with_untracked(|c| c.as_ref().map(|c| c.id));
        let pos = cur.and_then(|c| ids.iter().position(|i| *i == c));
        let next = match pos {
            Some(p) => (p as i64 + delta).clamp(0, ids.len() as i64 - 1) as usize,
            None => 0,
        };
        let id = ids[next];
        open.run(id);
        focus_id(&format!("conv-{}", id.0));
    };
    let on_list_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        _ if ev.alt_key() => {}
        "ArrowDown" => {
            ev.prevent_default();
            step(1);
        }
        "ArrowUp" => {
            ev.prevent_default();
            step(-1);
        }
        _ => {}
    };
    let on_inbox_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.alt_key() && (ev.key() == "ArrowDown" || ev.key() == "ArrowUp") {
            ev.prevent_default();
            step(if ev.key() == "ArrowDown" { 1 } else { -1 });
        } else if ev.key() == "Escape" {
            menu.set(None);
        }
    };
    // Sound preference, remembered in this browser.
    #[cfg(feature = "hydrate")]
    {
        let stored = web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|st| st.get_item("netlines.sound").ok().flatten());
        s.sound.set(stored.as_deref() == Some("1"));
    }
    let on_sound = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        s.sound.set(on);
        #[cfg(feature = "hydrate")]
        if let Some(st) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = st.set_item("netlines.sound", if on { "1" } else { "0" });
        }
    };
    let title = move || {
        let n = s.items.with(|items| unread_total(items, s.me));
        if n > 0 {
            format!("({n}) {}", tr(K::InboxTitle))
        } else {
            tr(K::InboxTitle).to_string()
        }
    };
    let account_name = v.account.name.clone();
    let home = format!("/a/{slug}");
    view! {
        <Title text=title />
        // On phones the list and the conversation are two screens (`has-current` picks
        // one); wide screens show list · conversation · details side by side.
        <section class="inbox" class:has-current=move || s.current.with(|c| c.is_some())
            data-chimes=move || s.chimes.get().to_string() on:keydown=on_inbox_key>
            <aside class="inbox-side">
                <p class="crumbs"><a href=home>{account_name}</a> " › " {tr(K::InboxTitle)}</p>
                <h1>{tr(K::InboxTitle)}</h1>
                <label class="check small">
                    <input type="checkbox" prop:checked=move || s.sound.get() on:change=on_sound />
                    {tr(K::SoundNew)}
                </label>
                <Notifications />
                {move || s.offline.get().then(|| view! { <p class="notice" role="status">{tr(K::Offline)}</p> })}
                <form role="search" class="inbox-search" method="get" on:submit={
                    let run = run_search.clone();
                    move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        run(false);
                    }
                }>
                    <label for="inbox-q" class="visually-hidden">{tr(K::SearchLabel)}</label>
                    <input id="inbox-q" type="search" name="q" maxlength="200" placeholder=tr(K::SearchHint)
                        aria-describedby="inbox-q-error" prop:value=move || search.text.get()
                        aria-invalid=move || search.error().is_some().to_string()
                        on:input=move |ev| search.text.set(event_target_value(&ev))
                        on:keydown=move |ev| if ev.key() == "Escape" { search.clear(); } />
                    <input type="hidden" name="f" value=move || s.filter.get().as_str() />
                    <button type="submit" class="small">{tr(K::SearchButton)}</button>
                    <p class="error" id="inbox-q-error" role="alert">{move || search.error().map(|c| tr(error_key(c)))}</p>
                </form>
                {move || search.shown().map(|(query, hits, more)| {
                    let more_fn = search_more.clone();
                    view! {
                        <section class="search-results" aria-label=tr(K::SearchResults)
                            aria-busy=move || search.busy.get().to_string()>
                            <p role="status" class="small">
                                {if hits.is_empty() { tr(K::SearchNone) } else { tr(K::SearchResultsFor) }}
                                " “" <span dir="auto">{query}</span> "”"
                            </p>
                            <button type="button" class="secondary-btn small" on:click=move |_| {
                                search.clear();
                                set_address(&href(s.filter.get_untracked(), s.current.get_untracked().map(|c| c.id)));
                                focus_id("inbox-q");
                            }>{tr(K::ClearSearch)}</button>
                            <ul class="conv-list">
                                {hits.into_iter().map(|h| view! { <Hit h=h s=s open=open /> }).collect_view()}
                            </ul>
                            {more.then(|| view! {
                                <button type="button" class="secondary-btn small" on:click=move |_| more_fn(true)>{tr(K::LoadMore)}</button>
                            })}
                        </section>
                    }
                })}
                <div class="inbox-lists" hidden=move || search.shown().is_some()>
                <nav class="filters" aria-label=tr(K::Filters)>
                    {InboxFilter::ALL
                        .into_iter()
                        .map(|f| {
                            let choose = choose_filter.clone();
                            view! {
                                <a href=href(f, None) class="tab"
                                    aria-current=move || if s.filter.get() == f { "page" } else { "false" }
                                    on:click=move |ev| { ev.prevent_default(); choose(f); }>
                                    {filter_label(f)}
                                </a>
                            }
                        })
                        .collect_view()}
                </nav>
                {move || s.list_loading.get().then(|| view! {
                    <p class="loading small" role="status">{tr(K::Loading)}</p>
                })}
                <ul class="conv-list" aria-label=tr(K::Conversations) on:keydown=on_list_key
                    aria-busy=move || s.list_loading.get().to_string()>
                    <For each=move || s.items.with(|i| i.iter().map(|c| c.id).collect::<Vec<_>>()) key=|id| *id let:id>
                        <ConvItem id=id s=s open=open />
                    </For>
                </ul>
                {move || s.items.with(|i| i.is_empty()).then(|| view! { <p class="muted">{tr(K::InboxEmpty)}</p> })}
                {move || s.next.get().is_some().then(|| view! {
                    <button type="button" class="secondary-btn small" on:click=load_more.clone()>{tr(K::LoadMore)}</button>
                })}
                </div>
            </aside>
            <Conversation s=s slug=slug.clone() live=live.clone() queues=queues menu=menu open=open
                admin=v.account.role == Role::Admin me_name=v.me_name.clone()
                upload_client_id=v.form_client_id.clone() />
            <Details s=s />
        </section>
    }
}

/// The list's search: what is typed, and what the last search found.
#[derive(Clone, Copy)]
struct Search {
    text: RwSignal<String>,
    /// The query that ran and its pages so far, or why it could not run.
    outcome: RwSignal<Option<SearchOutcome>>,
    busy: RwSignal<bool>,
}

impl Search {
    fn new(initial: Option<SearchOutcome>) -> Self {
        Self {
            text: RwSignal::new(initial.as_ref().map(|o| o.query.clone()).unwrap_or_default()),
            outcome: RwSignal::new(initial),
            busy: RwSignal::new(false),
        }
    }

    fn clear(&self) {
        self.text.set(String::new());
        self.outcome.set(None);
    }

    fn error(&self) -> Option<Code> {
        self.outcome
            .with(|o| o.as_ref().and_then(|o| o.result.as_ref().err().copied()))
    }

    fn next(&self) -> Option<String> {
        self.outcome
            .with_untracked(|o| o.as_ref().and_then(|o| o.result.as_ref().ok()?.next.clone()))
    }

    /// The results to show: the query, the hits, whether there are more.
    fn shown(&self) -> Option<(String, Vec<SearchHit>, bool)> {
        self.outcome.with(|o| {
            let o = o.as_ref()?;
            let page = o.result.as_ref().ok()?;
            Some((o.query.clone(), page.items.clone(), page.next.is_some()))
        })
    }

    /// A search answered: a first page replaces what was shown, a further one adds to it.
    fn done(&self, query: String, result: Result<crate::api::SearchPage, Code>, more: bool) {
        self.outcome.update(|o| match (o.as_mut(), result) {
            (Some(prev), Ok(page)) if more && prev.query == query => {
                if let Ok(p) = prev.result.as_mut() {
                    for h in page.items {
                        if !p.items.iter().any(|x| x.conversation.id == h.conversation.id) {
                            p.items.push(h);
                        }
                    }
                    p.next = page.next;
                }
            }
            (_, result) => *o = Some(SearchOutcome { query, result }),
        });
    }
}

fn search_href(filter: InboxFilter, q: &str) -> String {
    let q: String = q
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("?f={}&q={q}", filter.as_str())
}

/// One search result: the conversation, and the message that matched.
#[component]
fn Hit(h: SearchHit, s: InboxSignals, open: Callback<ConversationId>) -> impl IntoView {
    let c = h.conversation;
    let id = c.id;
    let link = href(s.filter.get_untracked(), Some(id));
    view! {
        <li class="conv">
            <a href=link aria-current=move || (s.current.with(|x| x.as_ref().map(|x| x.id)) == Some(id)).to_string()
                on:click=move |ev| { ev.prevent_default(); open.run(id); }>
                <span class="conv-top">
                    <strong class="conv-name" dir="auto">{c.customer_name.clone()}</strong>
                    <span class="muted small">{status_text(c.shown_status())}</span>
                </span>
                <span class="muted small">{c.customer_account.clone()} " · " {c.channel_name.clone()}</span>
                <span class="conv-preview" dir="auto">
                    {h.snippet.clone().unwrap_or_else(|| tr(K::NameMatches).to_string())}
                </span>
            </a>
        </li>
    }
}

/// One row of the list. Keyed by id and reactive inside, so a row keeps its element
/// (and keyboard focus) while its content changes live.
#[component]
fn ConvItem(id: ConversationId, s: InboxSignals, open: Callback<ConversationId>) -> impl IntoView {
    let c = Memo::new(move |_| s.items.with(|items| items.iter().find(|x| x.id == id).cloned()));
    let field =
        move |f: fn(&ConversationView) -> String| move || c.with(|c| c.as_ref().map(f).unwrap_or_default());
    let current = move || s.current.with(|x| x.as_ref().map(|x| x.id) == Some(id));
    let unread = move || c.with(|c| c.as_ref().map(|c| c.unread).unwrap_or(0));
    let assigned = move || {
        c.with(|c| match c {
            Some(c) if c.status == ConversationStatus::Closed => String::new(),
            Some(c) if c.operator == Some(s.me) => tr(K::AssignedToYou).to_string(),
            Some(c) if c.operator.is_some() => format!("{} {}", tr(K::AssignedTo), c.operator_name),
            _ => tr(K::InQueue).to_string(),
        })
    };
    view! {
        <li class="conv" class:unread={move || unread() > 0}>
            <a id=format!("conv-{}", id.0) href=move || href(s.filter.get(), Some(id))
                aria-current=move || if current() { "true" } else { "false" }
                on:click=move |ev| { ev.prevent_default(); open.run(id); }>
                <span class="conv-top">
                    <strong class="conv-name" dir="auto">{field(|c| c.customer_name.clone())}</strong>
                    <RelativeTime class="muted small" at=Signal::derive(move || c.with(|c| c.as_ref().map(|c| c.updated_at).unwrap_or(0))) />
                </span>
                <span class="muted small">{field(|c| format!("{} · {}", c.customer_account, c.channel_name))}</span>
                <span class="conv-preview" dir="auto">{field(|c| c.preview.clone())}</span>
                <span class="conv-bottom small">
                    <span class="status">{field(|c| status_text(c.shown_status()).to_string())}</span>
                    {move || s.pinned.with(|p| p.contains(&id)).then(|| view! {
                        <span class="pinned" role="img" aria-label=tr(K::PinnedMark) title=tr(K::PinnedMark)>"📌"</span>
                    })}
                    {move || c.with(|c| c.as_ref().and_then(|c| c.rating)).map(|r| {
                        let (icon, text) = rating_text(r);
                        view! { <span class="rated" role="img" aria-label=text title=text>{icon}</span> }
                    })}
                    <span class="muted">{assigned}</span>
                    {move || (unread() > 0).then(|| {
                        let n = unread();
                        view! { <span class="badge" aria-label=format!("{n} {}", tr(K::UnreadLabel))>{n}</span> }
                    })}
                </span>
            </a>
        </li>
    }
}

/// The icon and the words of a customer's rating.
fn rating_text(r: crate::domain::rating::Rating) -> (&'static str, &'static str) {
    match r {
        crate::domain::rating::Rating::Like => ("👍", tr(K::RatedLike)),
        crate::domain::rating::Rating::Dislike => ("👎", tr(K::RatedDislike)),
    }
}

#[component]
fn Conversation(
    s: InboxSignals,
    slug: String,
    live: live::Live,
    queues: StoredValue<Vec<QueueView>>,
    menu: RwSignal<Option<i64>>,
    open: Callback<ConversationId>,
    admin: bool,
    me_name: String,
    upload_client_id: String,
) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let upload_action = format!("/a/{slug}/inbox/files");
    let composer_error = RwSignal::new(None::<Code>);
    let pick = QuickPick::new(draft, slug.clone());
    // A chosen quick answer replaces the `/query` with its text, placeholders filled in.
    let choose = Callback::new(move |q: QuickAnswerView| {
        let text = s.current.with_untracked(|c| {
            let c = c.as_ref();
            fill(
                &q.body,
                &Fill {
                    customer_name: c.map(|c| c.customer_name.as_str()).unwrap_or_default(),
                    customer_account: c.map(|c| c.customer_account.as_str()).unwrap_or_default(),
                    operator_name: &me_name,
                    channel_name: c.map(|c| c.channel_name.as_str()).unwrap_or_default(),
                },
            )
        });
        pick.dismissed.set(text.starts_with('/'));
        draft.set(text);
        focus_id("reply");
    });
    // The composer writes a reply to the customer, or an internal note.
    let note_mode = RwSignal::new(false);
    // A note's id is kept until it is stored, so sending again after a lost answer
    // stores it once; typing something else makes a new note.
    let note_id = StoredValue::new(None::<String>);
    let note_busy = RwSignal::new(false);
    let note_slug = slug.clone();
    let send_live = live.clone();
    let send = move || {
        let Some(c) = s.current.get_untracked() else {
            return;
        };
        if note_mode.get_untracked() {
            let body = match MessageBody::parse(&draft.get_untracked()) {
                Ok(b) => b.as_str().to_string(),
                Err(e) => return composer_error.set(Some(e.code())),
            };
            if note_busy.get_untracked() {
                return;
            }
            note_busy.set(true);
            let cid = note_id.get_value().unwrap_or_else(note_client_id);
            note_id.set_value(Some(cid.clone()));
            let slug = note_slug.clone();
            leptos::task::spawn_local(async move {
                match add_note(slug, c.id.0, cid, body).await {
                    Ok(n) => {
                        note_id.set_value(None);
                        composer_error.set(None);
                        draft.set(String::new());
                        s.notes.update(|ns| note_into(ns, n));
                    }
                    Err(e) => composer_error.set(Some(e.code())),
                }
                note_busy.set(false);
            });
            return;
        }
        match MessageBody::parse(&draft.get_untracked()) {
            Ok(b) => {
                composer_error.set(None);
                send_live.send(c.id, b.as_str().to_string());
                draft.set(String::new());
            }
            Err(e) => composer_error.set(Some(e.code())),
        }
    };
    let send2 = send.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send2();
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if pick.key(&ev, choose) {
            return;
        }
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    let typing_live = live.clone();
    let retry_live = live.clone();
    // Actions.
    let act_slug = slug.clone();
    let finish = move |_| {
        let Some(c) = s.current.get_untracked() else {
            return;
        };
        let slug = act_slug.clone();
        leptos::task::spawn_local(async move {
            if let Err(e) = finish_conversation(slug, c.id.0).await {
                s.notice.set(Some(e.code()));
            }
        });
    };
    let skip_slug = slug.clone();
    let skip = move |_| {
        let Some(c) = s.current.get_untracked() else {
            return;
        };
        let slug = skip_slug.clone();
        leptos::task::spawn_local(async move {
            if let Err(e) = skip_conversation(slug, c.id.0).await {
                s.notice.set(Some(e.code()));
            }
        });
    };
    let pin_slug = slug.clone();
    let toggle_pin = move |_| {
        let Some(c) = s.current.get_untracked() else {
            return;
        };
        let on = !s.pinned.with_untracked(|p| p.contains(&c.id));
        let slug = pin_slug.clone();
        leptos::task::spawn_local(async move {
            match pin_conversation(slug, c.id.0, on).await {
                Ok(()) => {
                    s.notice.set(None);
                    s.pinned.update(|p| {
                        p.retain(|x| *x != c.id);
                        if on {
                            p.push(c.id);
                        }
                    });
                    if s.filter.get_untracked() == InboxFilter::Pinned {
                        s.items
                            .update(|items| crate::ui::live::conversation_in_list(items, c, on, true));
                    }
                }
                Err(e) => s.notice.set(Some(e.code())),
            }
        });
    };
    let transfer_to = RwSignal::new(String::new());
    let tr_slug = slug.clone();
    let transfer = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(c) = s.current.get_untracked() else {
            return;
        };
        let Ok(to) = transfer_to.get_untracked().parse::<i64>() else {
            s.notice.set(Some(Code::Required));
            return;
        };
        let slug = tr_slug.clone();
        leptos::task::spawn_local(async move {
            match transfer_conversation(slug, c.id.0, to).await {
                Ok(()) => {
                    s.notice.set(None);
                    transfer_to.set(String::new());
                }
                Err(e) => s.notice.set(Some(e.code())),
            }
        });
    };
    let older_slug = slug.clone();
    let loading = RwSignal::new(false);
    let fetch_older = move |_| {
        let Some(c) = s.current.get_untracked() else {
            return;
        };
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        let first = s
            .messages
            .with_untracked(|ms| ms.iter().filter_map(|m| m.seq).min())
            .unwrap_or(1);
        let slug = older_slug.clone();
        leptos::task::spawn_local(async move {
            if let Ok(older) = inbox_older(slug, c.id.0, first).await {
                s.has_older.set(older.first().is_some_and(|m| m.seq > 1));
                s.messages.update(|ms| {
                    for m in &older {
                        merge(ms, m);
                    }
                });
            }
            loading.set(false);
        });
    };
    let menu_slug = slug.clone();
    let open_menu = Callback::new(move |seq: i64| {
        menu.set(Some(seq));
        let Some(c) = s.current.get_untracked() else {
            return;
        };
        let slug = menu_slug.clone();
        leptos::task::spawn_local(async move {
            if let Ok(rule) = split_rule(slug, c.id.0).await {
                s.split.set(rule);
            }
            focus_id(&format!("split-{seq}"));
        });
    });
    let split_slug = slug.clone();
    let start_new = Callback::new(move |seq: i64| {
        let Some(c) = s.current.get_untracked() else {
            return;
        };
        let slug = split_slug.clone();
        menu.set(None);
        leptos::task::spawn_local(async move {
            match start_new_conversation(slug, c.id.0, seq).await {
                Ok(id) => open.run(ConversationId(id)),
                Err(e) => s.notice.set(Some(e.code())),
            }
        });
    });
    let list_ref = NodeRef::<leptos::html::Ol>::new();
    Effect::new(move |prev: Option<Option<(Option<i64>, Option<String>)>>| {
        let newest = s
            .messages
            .with(|ms| ms.last().map(|m| (m.seq, m.client_id.clone())));
        if prev.as_ref() != Some(&newest) {
            if let Some(el) = list_ref.get() {
                el.set_scroll_top(el.scroll_height());
            }
        }
        newest
    });
    view! {
        <section class="inbox-main" aria-label=tr(K::ConversationLabel)
            on:drop=crate::ui::files::on_drop on:dragover=crate::ui::files::on_dragover
            aria-busy=move || s.opening.get().is_some().to_string()>
            {move || s.opening.get().is_some().then(|| view! {
                <p class="loading small" role="status">{tr(K::LoadingConversation)}</p>
            })}
            {move || s.current.with(|c| c.is_some()).then(|| view! {
                <button type="button" class="back-to-list secondary-btn small" on:click=move |_| {
                    let id = s.current.get_untracked().map(|c| c.id);
                    s.current.set(None);
                    s.messages.set(Vec::new());
                    set_address(&href(s.filter.get_untracked(), None));
                    if let Some(id) = id {
                        focus_id(&format!("conv-{}", id.0));
                    }
                }>"← " {tr(K::BackToList)}</button>
            })}
            {move || s.notice.get().map(|c| view! { <p class="notice notice-error" role="alert">{tr(error_key(c))}</p> })}
            {move || match s.current.get() {
                None => view! { <p class="muted inbox-empty">{tr(K::PickConversation)}</p> }.into_any(),
                Some(c) => {
                    let closed = c.status == ConversationStatus::Closed;
                    // Finish and Transfer only for whoever may do them: the one who holds
                    // it, anyone while it waits, admins always.
                    let may_act = !closed && (admin || c.operator.is_none() || c.operator == Some(s.me));
                    // Skip: only the one who has it gives it back.
                    let may_skip = !closed && c.operator == Some(s.me);
                    // A header drawn anew (another conversation, or this one changed hands)
                    // starts with no operator chosen, as its select shows.
                    transfer_to.set(String::new());
                    let choices: Vec<(UserId, String)> = queues.with_value(|qs| {
                        qs.iter()
                            .find(|q| q.id == c.channel)
                            .map(|q| {
                                q.operators
                                    .iter()
                                    .filter(|o| Some(o.id) != c.operator)
                                    .map(|o| (o.id, o.name.clone()))
                                    .collect()
                            })
                            .unwrap_or_default()
                    });
                    let assigned = match c.operator {
                        _ if closed => String::new(),
                        Some(op) if op == s.me => tr(K::AssignedToYou).to_string(),
                        Some(_) => format!("{} {}", tr(K::AssignedTo), c.operator_name),
                        None => tr(K::InQueue).to_string(),
                    };
                    view! {
                        <header class="conv-head">
                            <h2 dir="auto">{c.customer_name.clone()}</h2>
                            <p class="muted small">
                                {c.customer_account.clone()} " · " {c.channel_name.clone()} " · "
                                <span class="status">{status_text(c.shown_status())}</span>
                                {(!assigned.is_empty()).then(|| format!(" · {assigned}"))}
                            </p>
                            <p class="conv-tools">
                                <button type="button" class="small secondary-btn" title=tr(K::PinHint)
                                    aria-pressed=move || s.pinned.with(|p| p.contains(&c.id)).to_string()
                                    on:click=toggle_pin.clone()>"📌 " {tr(K::Pin)}</button>
                            </p>
                            {c.rating.map(|r| {
                                let (icon, text) = rating_text(r);
                                view! {
                                    <p class="rating-line small">
                                        <span aria-hidden="true">{icon}</span> " " {text}
                                        {(!c.rating_comment.is_empty()).then(|| view! { ": " <q dir="auto">{c.rating_comment.clone()}</q> })}
                                    </p>
                                }
                            })}
                            {may_act.then(|| view! {
                                <div class="conv-actions">
                                    <button type="button" class="small" on:click=finish.clone()>{tr(K::Finish)}</button>
                                    {may_skip.then(|| view! {
                                        <button type="button" class="small secondary-btn" title=tr(K::SkipHint)
                                            on:click=skip.clone()>{tr(K::Skip)}</button>
                                    })}
                                    <form class="inline" on:submit=transfer.clone()>
                                        <label for="transfer-to">{tr(K::TransferTo)}</label>
                                        <select id="transfer-to" prop:value=move || transfer_to.get()
                                            on:change=move |ev| transfer_to.set(event_target_value(&ev))>
                                            <option value="">"—"</option>
                                            {choices.into_iter().map(|(id, name)| view! {
                                                <option value=id.0.to_string()>{name}</option>
                                            }).collect_view()}
                                        </select>
                                        <button type="submit" class="small secondary-btn">{tr(K::Transfer)}</button>
                                    </form>
                                </div>
                            })}
                        </header>
                    }
                    .into_any()
                }
            }}
            {move || (s.current.with(|c| c.is_some()) && s.has_older.get()).then(|| view! {
                <p class="older"><button type="button" class="small secondary-btn" on:click=fetch_older.clone()>{tr(K::LoadOlder)}</button></p>
            })}
            <ol class="messages" aria-label=tr(K::MessagesLabel) node_ref=list_ref>
                // Keyed rows: a row is drawn again only when what it shows changes (its
                // delivery state, "read"), so an update elsewhere in the thread never
                // disposes a row mid-gesture (a long press's timer lives with its row).
                <For
                    each=move || {
                        let read_upto = s.current.with(|c| c.as_ref().map(|c| c.customer_read_seq).unwrap_or(0));
                        let conv = s.current.with(|c| c.as_ref().map(|c| c.id.0).unwrap_or(0));
                        let rows = s.notes.with(|notes| interleave(s.messages.get(), notes));
                        rows.into_iter()
                            .map(|row| {
                                let key = match &row {
                                    Row::Msg(m) => format!(
                                        "m:{conv}:{}:{:?}:{:?}:{}:{}",
                                        m.client_id.as_deref().unwrap_or(""),
                                        m.seq,
                                        m.state,
                                        m.seq.is_some_and(|q| q <= read_upto),
                                        m.files.len()
                                    ),
                                    Row::Note(n) => format!("n:{}", n.id),
                                };
                                (key, read_upto, row)
                            })
                            .collect::<Vec<_>>()
                    }
                    key=|(k, _, _)| k.clone()
                    children=move |(_, read_upto, row)| match row {
                        Row::Msg(m) => {
                            let retry = retry_live.clone();
                            view! { <Msg m=m read_upto=read_upto menu=menu split=s.split open_menu=open_menu start_new=start_new retry=Callback::new(move |cid: String| retry.retry(&cid)) /> }.into_any()
                        }
                        Row::Note(n) => view! { <Note n=n /> }.into_any(),
                    }
                />
            </ol>
            <p class="typing muted small" role="status" aria-live="polite">
                {move || s.typing.get().map(|n| format!("{n} {}", tr(K::IsTyping)))}
            </p>
            {move || s.current.with(|c| c.as_ref().is_some_and(|c| c.status != ConversationStatus::Closed)).then(|| {
                let on_key = on_key.clone();
                let on_submit = on_submit.clone();
                let typing_live = typing_live.clone();
                view! {
                    <form class="composer" class:note-mode=move || note_mode.get() on:submit=on_submit>
                        <fieldset class="composer-mode">
                            <legend class="visually-hidden">{tr(K::ComposerMode)}</legend>
                            <label><input type="radio" name="composer-mode" prop:checked=move || !note_mode.get()
                                on:change=move |_| { note_mode.set(false); composer_error.set(None); } />
                                " " {tr(K::ModeReply)}</label>
                            <label><input type="radio" name="composer-mode" prop:checked=move || note_mode.get()
                                on:change=move |_| { note_mode.set(true); composer_error.set(None); } />
                                " 🔒 " {tr(K::ModeNote)}</label>
                        </fieldset>
                        <QuickPickList pick=pick choose=choose />
                        <div class="field" class:has-error=move || composer_error.get().is_some()>
                            <label for="reply">{move || if note_mode.get() { tr(K::NoteLabel) } else { tr(K::Reply) }}</label>
                            <textarea id="reply" rows="3" maxlength=MessageBody::MAX_LEN.to_string()
                                aria-describedby="reply-error" aria-autocomplete="list"
                                aria-controls=move || pick.active_id().map(|_| "qa-list")
                                placeholder=tr(K::QaComposerHint)
                                aria-activedescendant=move || pick.active_id()
                                prop:value=move || draft.get()
                                on:input=move |ev| {
                                    let v = event_target_value(&ev);
                                    if !v.starts_with('/') {
                                        pick.dismissed.set(false);
                                    }
                                    draft.set(v);
                                    note_id.set_value(None);
                                    // Writing a note is not "typing…" to the customer.
                                    if !note_mode.get_untracked() {
                                        typing_live.typing();
                                    }
                                }
                                on:keydown=on_key on:paste=crate::ui::files::on_paste></textarea>
                            <p class="error" id="reply-error" role="alert">{move || composer_error.get().map(|c| tr(error_key(c)))}</p>
                        </div>
                        <button type="submit" disabled=move || note_busy.get()>
                            {move || if note_mode.get() { tr(K::AddNote) } else { tr(K::Send) }}
                        </button>
                    </form>
                }
            })}
            // Kept out of the composer above, which is drawn anew when the conversation
            // changes: an upload under way must outlive that.
            <div class="inbox-uploader"
                hidden=move || !s.current.with(|c| c.as_ref().is_some_and(|c| c.status != ConversationStatus::Closed))>
                <crate::ui::files::Uploader action=upload_action
                    conversation=Signal::derive(move || s.current.with(|c| c.as_ref().map(|c| c.id.0.to_string()).unwrap_or_default()))
                    client_id=upload_client_id sent=Callback::new(|_| {}) />
            </div>
        </section>
    }
}

/// The composer's quick answers: `/` at the start of the reply opens a filtered list.
#[derive(Clone, Copy)]
struct QuickPick {
    /// The account's quick answers; `None` until first loaded.
    items: RwSignal<Option<Vec<QuickAnswerView>>>,
    /// The highlighted entry among [`QuickPick::found`].
    active: RwSignal<usize>,
    /// Escape closes the list until the reply no longer starts with `/`.
    dismissed: RwSignal<bool>,
    /// What follows the `/` while the list is open.
    query: Memo<Option<String>>,
    /// Indexes into `items` that match the query, best first.
    found: Memo<Vec<usize>>,
}

impl QuickPick {
    fn new(draft: RwSignal<String>, slug: String) -> Self {
        let items = RwSignal::new(None::<Vec<QuickAnswerView>>);
        let dismissed = RwSignal::new(false);
        let active = RwSignal::new(0usize);
        let query = Memo::new(move |_| {
            if dismissed.get() {
                return None;
            }
            draft.with(|d| composer_query(d).map(str::to_string))
        });
        let found = Memo::new(move |_| {
            query.with(|q| {
                let Some(q) = q else { return Vec::new() };
                items.with(|list| {
                    list.as_ref()
                        .map(|l| search(l.iter().map(|x| (x.title.as_str(), x.body.as_str())), q))
                        .unwrap_or_default()
                })
            })
        });
        // Fetched every time the list opens, so an admin's change shows without a reload.
        Effect::new(move |was_open: Option<bool>| {
            let open = query.with(|q| q.is_some());
            if open && was_open != Some(true) {
                let slug = slug.clone();
                leptos::task::spawn_local(async move {
                    items.set(Some(quick_answers(slug).await.unwrap_or_default()));
                });
            }
            open
        });
        Effect::new(move |_| {
            query.track();
            active.set(0);
        });
        Self {
            items,
            active,
            dismissed,
            query,
            found,
        }
    }

    fn is_open(&self) -> bool {
        self.query.with(|q| q.is_some())
    }

    /// The highlighted quick answer, if the list shows any.
    fn current(&self) -> Option<QuickAnswerView> {
        let found = self.found.get_untracked();
        let i = *found.get(self.active.get_untracked().min(found.len().checked_sub(1)?))?;
        self.items
            .with_untracked(|l| l.as_ref().and_then(|l| l.get(i).cloned()))
    }

    /// The id of the highlighted option, for the reply's `aria-activedescendant`.
    fn active_id(&self) -> Option<String> {
        if !self.is_open() {
            return None;
        }
        let found = self.found.get();
        let i = *found.get(self.active.get().min(found.len().checked_sub(1)?))?;
        self.items.with(|l| {
            l.as_ref()
                .and_then(|l| l.get(i))
                .map(|q| format!("qa-opt-{}", q.id))
        })
    }

    /// Handles the list's keys while it is open; `true` when the key was used.
    fn key(&self, ev: &leptos::ev::KeyboardEvent, choose: Callback<QuickAnswerView>) -> bool {
        if !self.query.with_untracked(|q| q.is_some()) {
            return false;
        }
        let n = self.found.with_untracked(|f| f.len());
        match ev.key().as_str() {
            "ArrowDown" | "ArrowUp" if n > 0 => {
                ev.prevent_default();
                let step = if ev.key() == "ArrowDown" { 1 } else { n - 1 };
                self.active.update(|a| *a = ((*a).min(n - 1) + step) % n);
                true
            }
            "Enter" if n > 0 && !ev.shift_key() && !ev.is_composing() => {
                ev.prevent_default();
                if let Some(q) = self.current() {
                    choose.run(q);
                }
                true
            }
            "Escape" => {
                ev.prevent_default();
                self.dismissed.set(true);
                true
            }
            _ => false,
        }
    }
}

/// The open list of quick answers above the composer.
#[component]
fn QuickPickList(pick: QuickPick, choose: Callback<QuickAnswerView>) -> impl IntoView {
    move || {
        if !pick.is_open() {
            return None;
        }
        let body = match pick.items.get() {
            None => view! { <p class="muted small" role="status">{tr(K::QaLoading)}</p> }.into_any(),
            Some(list) => {
                let found = pick.found.get();
                if found.is_empty() {
                    view! { <p class="muted small" role="status">{tr(K::QaNoMatch)}</p> }.into_any()
                } else {
                    let active = pick.active.get().min(found.len() - 1);
                    view! {
                        <ul id="qa-list" role="listbox" aria-label=tr(K::QaTitle)>
                            {found
                                .iter()
                                .enumerate()
                                .map(|(n, &i)| {
                                    let q = list[i].clone();
                                    let selected = n == active;
                                    let title = q.title.clone();
                                    let preview: String = q.body.chars().take(120).collect();
                                    view! {
                                        <li role="option" id=format!("qa-opt-{}", q.id) aria-selected=selected.to_string()
                                            class:active=selected
                                            on:mousedown=move |ev| {
                                                ev.prevent_default();
                                                choose.run(q.clone());
                                            }>
                                            <strong dir="auto">{title}</strong>
                                            <span class="muted small" dir="auto">{preview}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                        <p class="hint small">{tr(K::QaHint)}</p>
                    }
                    .into_any()
                }
            }
        };
        Some(view! { <div class="qa-pop">{body}</div> })
    }
}

fn split_hint(rule: SplitRule) -> &'static str {
    match rule {
        SplitRule::Parallel => tr(K::SplitParallel),
        SplitRule::ClosesCurrent => tr(K::SplitCloses),
        SplitRule::AtLimit => tr(K::ErrConversationLimitOperator),
        SplitRule::Closed => tr(K::ErrConversationClosed),
    }
}

/// An internal note: marked as such, in its own colour.
#[component]
fn Note(n: NoteView) -> impl IntoView {
    view! {
        <li class="msg note">
            <p class="msg-meta">
                <span class="note-tag">"🔒 " {tr(K::NoteTag)}</span> " · "
                <span class="msg-author" dir="auto">{n.author_name}</span>
                " " <MessageTime at=n.at />
            </p>
            <p class="msg-body" dir="auto">{n.body}</p>
        </li>
    }
}

#[component]
fn Msg(
    m: UiMsg,
    read_upto: i64,
    menu: RwSignal<Option<i64>>,
    split: RwSignal<SplitRule>,
    open_menu: Callback<i64>,
    start_new: Callback<i64>,
    retry: Callback<String>,
) -> impl IntoView {
    let customer = m.author == Author::Customer;
    let mine = m.author == Author::Operator;
    let seq = m.seq;
    let state = match m.state {
        Delivery::Stored if mine && seq.is_some_and(|q| q <= read_upto) => Some(tr(K::Read).to_string()),
        Delivery::Stored if mine => Some(tr(K::Sent).to_string()),
        Delivery::Stored => None,
        Delivery::Pending => Some(tr(K::Pending).to_string()),
        Delivery::Failed(c) => Some(format!("{}: {}", tr(K::Failed), tr(error_key(c)))),
    };
    let failed = matches!(m.state, Delivery::Failed(_));
    let cid = m.client_id.clone().unwrap_or_default();
    // Long-press opens the menu too (touch screens). The timer goes with the message:
    // a message re-rendered or removed within the 600 ms never fires it.
    let press = RwSignal::new(0u32);
    let timer = std::sync::Arc::new(std::sync::Mutex::new(None::<leptos::prelude::TimeoutHandle>));
    let cancel = {
        let timer = timer.clone();
        move || {
            if let Some(h) = timer.lock().ok().and_then(|mut t| t.take()) {
                h.clear();
            }
        }
    };
    on_cleanup(cancel.clone());
    let (cancel_up, cancel_leave) = (cancel.clone(), cancel.clone());
    // "A message to or from the customer": theirs and the operators', not the welcome.
    let with_menu = (customer || mine) && seq.is_some();
    let seq_v = seq.unwrap_or(0);
    let menu_open = move || menu.get() == Some(seq_v) && with_menu;
    view! {
        <li class="msg" class:mine=mine class:channel=m.author == Author::Channel class:failed=failed
            on:contextmenu=move |ev| {
                if with_menu {
                    ev.prevent_default();
                    open_menu.run(seq_v);
                }
            }
            on:pointerdown=move |_| {
                if with_menu {
                    cancel();
                    let gen = press.get_untracked().wrapping_add(1);
                    press.set(gen);
                    let h = set_timeout_with_handle(
                        move || if press.try_get_untracked() == Some(gen) { open_menu.run(seq_v) },
                        std::time::Duration::from_millis(600),
                    );
                    if let (Ok(h), Ok(mut t)) = (h, timer.lock()) {
                        *t = Some(h);
                    }
                }
            }
            on:pointerup=move |_| cancel_up()
            on:pointerleave=move |_| cancel_leave()>
            <p class="msg-meta">
                <span class="msg-author" dir="auto">{if mine { tr(K::You2).to_string() } else { m.author_name.clone() }}</span>
                " " <MessageTime at=m.at />
                {with_menu.then(|| view! {
                    <button type="button" class="msg-more" aria-haspopup="menu" aria-expanded=move || menu_open().to_string()
                        aria-label=tr(K::MessageActions)
                        on:click=move |_| if menu_open() { menu.set(None) } else { open_menu.run(seq_v) }>"⋯"</button>
                })}
            </p>
            {(!crate::ui::files::body_is_caption(&m.body, &m.files)).then(|| view! {
                <p class="msg-body" dir="auto">{m.body.clone()}</p>
            })}
            <crate::ui::rich::RichContent rich=m.rich.clone() />
            <crate::ui::files::Attachments files=m.files.clone() />
            {state.map(|st| view! { <p class="msg-state">{st}</p> })}
            {failed.then(|| view! {
                <button type="button" class="small" on:click=move |_| retry.run(cid.clone())>{tr(K::Retry)}</button>
            })}
            {move || menu_open().then(|| {
                let disabled = matches!(split.get(), SplitRule::AtLimit | SplitRule::Closed);
                view! {
                    <div class="menu" role="menu" aria-label=tr(K::MessageActions)
                        on:keydown=move |ev| if ev.key() == "Escape" { menu.set(None) }>
                        <button type="button" role="menuitem" id=format!("split-{seq_v}")
                            aria-disabled=disabled.to_string() disabled=disabled aria-describedby=format!("split-hint-{seq_v}")
                            on:click=move |_| start_new.run(seq_v)>
                            {tr(K::StartNewConversation)}
                        </button>
                        <p class="muted small" id=format!("split-hint-{seq_v}")>{split_hint(split.get())}</p>
                    </div>
                }
            })}
        </li>
    }
}

/// Desktop notifications for new conversations: asked for from a button (browsers allow
/// the question only after a click), with what the browser answered.
#[component]
fn Notifications() -> impl IntoView {
    // "" until hydrated (the server cannot know), then default / granted / denied /
    // unsupported.
    let state = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| state.set(notification_permission()));
    let ask = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            if let Ok(p) = web_sys::Notification::request_permission() {
                let _ = wasm_bindgen_futures::JsFuture::from(p).await;
            }
            state.set(notification_permission());
        });
    };
    move || {
        match state.get().as_str() {
        "default" => view! {
            <button type="button" class="secondary-btn small" on:click=ask>{tr(K::NotificationsTurnOn)}</button>
        }
        .into_any(),
        "granted" => view! { <p class="muted small" role="status">{tr(K::NotificationsOn)}</p> }.into_any(),
        "denied" => view! { <p class="muted small" role="status">{tr(K::NotificationsBlocked)}</p> }.into_any(),
        _ => ().into_any(),
    }
    }
}

#[cfg(feature = "hydrate")]
fn notification_permission() -> String {
    use wasm_bindgen::JsValue;
    let supported = web_sys::window()
        .map(|w| js_sys::Reflect::has(&w, &JsValue::from_str("Notification")).unwrap_or(false))
        .unwrap_or(false);
    if !supported {
        return "unsupported".into();
    }
    match web_sys::Notification::permission() {
        web_sys::NotificationPermission::Granted => "granted",
        web_sys::NotificationPermission::Denied => "denied",
        _ => "default",
    }
    .into()
}

/// The third pane: who the customer is and where the conversation stands.
#[component]
fn Details(s: InboxSignals) -> impl IntoView {
    view! {
        <aside class="inbox-details" aria-label=tr(K::DetailsTitle)>
            {move || s.current.get().map(|c| {
                let assignee = match c.operator {
                    _ if c.status == ConversationStatus::Closed && c.operator.is_none() => tr(K::Nobody).to_string(),
                    Some(op) if op == s.me => tr(K::AssignedToYou).to_string(),
                    Some(_) => c.operator_name.clone(),
                    None => tr(K::Nobody).to_string(),
                };
                view! {
                    <h2>{tr(K::DetailsTitle)}</h2>
                    <dl class="facts">
                        <dt>{tr(K::DetailCustomer)}</dt><dd dir="auto">{c.customer_name.clone()}</dd>
                        <dt>{tr(K::DetailOrganisation)}</dt><dd dir="auto">{c.customer_account.clone()}</dd>
                        <dt>{tr(K::DetailChannel)}</dt><dd dir="auto">{c.channel_name.clone()}</dd>
                        <dt>{tr(K::DetailStatus)}</dt><dd>{status_text(c.shown_status())}</dd>
                        <dt>{tr(K::DetailAssignee)}</dt><dd dir="auto">{assignee}</dd>
                        <dt>{tr(K::DetailStarted)}</dt><dd><MessageTime at=c.created_at /></dd>
                        <dt>{tr(K::DetailHistory)}</dt><dd>{move || s.history.get()}</dd>
                    </dl>
                }
            })}
        </aside>
    }
}

/// The inbox's live channel.
pub mod live {
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

        pub fn typing(&self) {
            #[cfg(feature = "hydrate")]
            self.inner.typing();
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
        use crate::protocol::{ClientMsg, ServerMsg};
        use crate::ui::live::{self, last_seq, Outbox};
        use crate::ui::socket::{attach, new_client_id, page_visible, Flash, Socket};
        use std::cell::{Cell, RefCell};
        use std::rc::Rc;

        pub struct Client {
            slug: String,
            socket: Rc<Socket>,
            outbox: RefCell<Outbox>,
            s: InboxSignals,
            last_typing: Cell<f64>,
            typing_flash: Flash,
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
                let socket = Socket::new(&format!("/ws/inbox?account={slug}"), s.offline);
                let c = Rc::new(Client {
                    slug: slug.clone(),
                    socket: socket.clone(),
                    outbox: RefCell::default(),
                    s,
                    last_typing: Cell::new(0.0),
                    typing_flash: Flash::default(),
                });
                attach(&socket, &c, Self::opened, Self::handle);
                c
            }

            fn opened(&self) {
                if let Some(id) = self.s.current.with_untracked(|c| c.as_ref().map(|c| c.id)) {
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
                            s.items.update(|items| {
                                live::first_page_into(items, p.items, p.next.is_some(), viewing)
                            });
                        }
                    }
                });
                let unsent = self.outbox.borrow().unsent();
                for m in unsent {
                    self.socket.send(&m);
                }
            }

            pub fn follow(&self, id: ConversationId) {
                let since = self.s.messages.with_untracked(|ms| last_seq(ms));
                self.socket.send(&ClientMsg::Resume {
                    conversation: id,
                    since_seq: since,
                });
                self.mark_read();
            }

            fn mark_read(&self) {
                let Some(id) = self.s.current.with_untracked(|c| c.as_ref().map(|c| c.id)) else {
                    return;
                };
                let seq = self.s.messages.with_untracked(|ms| last_seq(ms));
                if seq > 0 && page_visible() {
                    self.socket.send(&ClientMsg::Read {
                        conversation: id,
                        seq,
                    });
                }
            }

            pub fn typing(&self) {
                let Some(id) = self.s.current.with_untracked(|c| c.as_ref().map(|c| c.id)) else {
                    return;
                };
                let now = js_sys::Date::now();
                if now - self.last_typing.get() > 2500.0 {
                    self.last_typing.set(now);
                    self.socket.send(&ClientMsg::Typing { conversation: id });
                }
            }

            pub fn send(&self, conversation: ConversationId, body: String) {
                self.last_typing.set(0.0);
                let now = js_sys::Date::now() as i64;
                let m = self.s.messages.try_update(|ms| {
                    self.outbox.borrow_mut().add(
                        ms,
                        Author::Operator,
                        Some(conversation),
                        body,
                        new_client_id(),
                        now,
                    )
                });
                if let Some(m) = m {
                    self.socket.send(&m);
                }
            }

            pub fn retry(&self, client_id: &str) {
                let conversation = self.s.current.with_untracked(|c| c.as_ref().map(|c| c.id));
                let m = self
                    .s
                    .messages
                    .try_update(|ms| self.outbox.borrow_mut().retry(ms, client_id, conversation));
                if let Some(Some(m)) = m {
                    self.socket.send(&m);
                }
            }

            fn is_current(&self, id: ConversationId) -> bool {
                self.s.current.with_untracked(|c| c.as_ref().map(|c| c.id)) == Some(id)
            }

            fn handle(&self, m: ServerMsg) {
                let s = self.s;
                match m {
                    ServerMsg::Ack {
                        client_id, seq, at, ..
                    } => s
                        .messages
                        .update(|ms| self.outbox.borrow_mut().acked(ms, &client_id, seq, at)),
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
                                self.mark_read();
                            }
                        }
                    }
                    ServerMsg::Conversation { conversation } => {
                        let known = s
                            .items
                            .with_untracked(|items| items.iter().any(|i| i.id == conversation.id));
                        if !known && conversation.status == ConversationStatus::New && s.sound.get_untracked()
                        {
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
                            self.typing_flash.show(s.typing, name, 4000);
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
                        Some(cid) => {
                            let code = error.code();
                            s.messages
                                .update(|ms| self.outbox.borrow_mut().failed(ms, &cid, code))
                        }
                        None => s.notice.set(Some(error.code())),
                    },
                    ServerMsg::InternalNote { note } => {
                        if self.is_current(note.conversation) {
                            s.notes.update(|ns| note_into(ns, note));
                        }
                    }
                    // Server-internal; never sent to browsers.
                    ServerMsg::Access { .. } | ServerMsg::SessionsEnded { .. } => {}
                }
            }
        }
    }
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
