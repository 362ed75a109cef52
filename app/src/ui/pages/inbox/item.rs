//! One conversation in the inbox's list.

use super::*;

/// One row of the list. Keyed by id and reactive inside, so a row keeps its element
/// (and keyboard focus) while its content changes live.
#[component]
pub(super) fn ConvItem(id: ConversationId, s: InboxSignals, open: Callback<ConversationId>) -> impl IntoView {
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
pub(super) fn rating_text(r: crate::domain::rating::Rating) -> (&'static str, &'static str) {
    match r {
        crate::domain::rating::Rating::Like => ("👍", tr(K::RatedLike)),
        crate::domain::rating::Rating::Dislike => ("👎", tr(K::RatedDislike)),
    }
}
