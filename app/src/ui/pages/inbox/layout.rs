//! The inbox's layout: the list, the open conversation and its details side by side, and the page's live socket.

use super::*;

#[component]
pub(super) fn Inbox(v: InboxView) -> impl IntoView {
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
        link: RwSignal::new(crate::ui::socket::Link::Online),
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
                <crate::ui::layout::ConnectionNotice link=s.link />
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
