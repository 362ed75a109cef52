//! The details pane: the customer, the conversation's facts, notifications, split rule and transfer.

use super::*;

/// Desktop notifications for new conversations: asked for from a button (browsers allow
/// the question only after a click), with what the browser answered.
#[component]
pub(super) fn Notifications() -> impl IntoView {
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
pub(super) fn Details(s: InboxSignals) -> impl IntoView {
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
