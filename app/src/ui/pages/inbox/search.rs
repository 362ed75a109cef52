//! Searching the inbox's conversations: the search box's state and one hit.

use super::*;

/// The list's search: what is typed, and what the last search found.
#[derive(Clone, Copy)]
pub(super) struct Search {
    pub(super) text: RwSignal<String>,
    /// The query that ran and its pages so far, or why it could not run.
    pub(super) outcome: RwSignal<Option<SearchOutcome>>,
    pub(super) busy: RwSignal<bool>,
}

impl Search {
    pub(super) fn new(initial: Option<SearchOutcome>) -> Self {
        Self {
            text: RwSignal::new(initial.as_ref().map(|o| o.query.clone()).unwrap_or_default()),
            outcome: RwSignal::new(initial),
            busy: RwSignal::new(false),
        }
    }

    pub(super) fn clear(&self) {
        self.text.set(String::new());
        self.outcome.set(None);
    }

    pub(super) fn error(&self) -> Option<Code> {
        self.outcome
            .with(|o| o.as_ref().and_then(|o| o.result.as_ref().err().copied()))
    }

    pub(super) fn next(&self) -> Option<String> {
        self.outcome
            .with_untracked(|o| o.as_ref().and_then(|o| o.result.as_ref().ok()?.next.clone()))
    }

    /// The results to show: the query, the hits, whether there are more.
    pub(super) fn shown(&self) -> Option<(String, Vec<SearchHit>, bool)> {
        self.outcome.with(|o| {
            let o = o.as_ref()?;
            let page = o.result.as_ref().ok()?;
            Some((o.query.clone(), page.items.clone(), page.next.is_some()))
        })
    }

    /// A search answered: a first page replaces what was shown, a further one adds to it.
    pub(super) fn done(&self, query: String, result: Result<crate::api::SearchPage, Code>, more: bool) {
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

pub(super) fn search_href(filter: InboxFilter, q: &str) -> String {
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
pub(super) fn Hit(h: SearchHit, s: InboxSignals, open: Callback<ConversationId>) -> impl IntoView {
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
