//! The open conversation: its header and actions, the thread and the composer.

use super::*;

#[component]
pub(super) fn Conversation(
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
