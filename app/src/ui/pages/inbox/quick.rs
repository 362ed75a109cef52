//! Quick answers in the composer: `/` opens the list, arrows choose, Enter fills.

use super::*;

/// The composer's quick answers: `/` at the start of the reply opens a filtered list.
#[derive(Clone, Copy)]
pub(super) struct QuickPick {
    /// The account's quick answers; `None` until first loaded.
    pub(super) items: RwSignal<Option<Vec<QuickAnswerView>>>,
    /// The highlighted entry among [`QuickPick::found`].
    pub(super) active: RwSignal<usize>,
    /// Escape closes the list until the reply no longer starts with `/`.
    pub(super) dismissed: RwSignal<bool>,
    /// What follows the `/` while the list is open.
    pub(super) query: Memo<Option<String>>,
    /// Indexes into `items` that match the query, best first.
    pub(super) found: Memo<Vec<usize>>,
}

impl QuickPick {
    pub(super) fn new(draft: RwSignal<String>, slug: String) -> Self {
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

    pub(super) fn is_open(&self) -> bool {
        self.query.with(|q| q.is_some())
    }

    /// The highlighted quick answer, if the list shows any.
    pub(super) fn current(&self) -> Option<QuickAnswerView> {
        let found = self.found.get_untracked();
        let i = *found.get(self.active.get_untracked().min(found.len().checked_sub(1)?))?;
        self.items
            .with_untracked(|l| l.as_ref().and_then(|l| l.get(i).cloned()))
    }

    /// The id of the highlighted option, for the reply's `aria-activedescendant`.
    pub(super) fn active_id(&self) -> Option<String> {
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
    pub(super) fn key(&self, ev: &leptos::ev::KeyboardEvent, choose: Callback<QuickAnswerView>) -> bool {
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
pub(super) fn QuickPickList(pick: QuickPick, choose: Callback<QuickAnswerView>) -> impl IntoView {
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
