//! One message and one internal note in the thread.

use super::*;

pub(super) fn split_hint(rule: SplitRule) -> &'static str {
    match rule {
        SplitRule::Parallel => tr(K::SplitParallel),
        SplitRule::ClosesCurrent => tr(K::SplitCloses),
        SplitRule::AtLimit => tr(K::ErrConversationLimitOperator),
        SplitRule::Closed => tr(K::ErrConversationClosed),
    }
}

/// An internal note: marked as such, in its own colour.
#[component]
pub(super) fn Note(n: NoteView) -> impl IntoView {
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
pub(super) fn Msg(
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
                <p class="msg-body" dir="auto"><crate::ui::links::Linked text=m.body.clone() /></p>
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
