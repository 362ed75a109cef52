//! A connector's settings form (with the avatar and the link to copy) and disconnecting.

use super::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let slug = slug_param();
    let id = id_param();
    let page = Resource::new(move || (slug.get(), id.get()), |(s, i)| connector_settings(s, i));
    view! {
        <Title text=tr(K::SettingsTitle) />
        <PageLoad page=page ok=|v| view! { <SettingsForm v=v /> }.into_any() />
    }
}

/// Chooses the value to show: what the user typed (after an error) or what is stored.
pub(super) fn typed_or(key: &str, stored: &str, after_error: bool) -> String {
    if after_error {
        refill_value(key)
    } else {
        stored.to_string()
    }
}

#[component]
pub(super) fn SettingsForm(v: ConnectorSettingsView) -> impl IntoView {
    let errors = query_errors();
    let after_error = !errors.is_empty() && has_refill();
    let ok = ok_message(&query_value("ok"));
    let slug = v.account.slug.clone();
    let general = errors
        .iter()
        .find(|e| e.field.is_none())
        .map(|e| tr(error_key(e.code)));
    let multi = if after_error {
        refill_value("multi_chat") == "1"
    } else {
        v.multi_chat
    };
    let limit = typed_or("chat_limit", &v.chat_limit.to_string(), after_error);
    let ask_rating = if after_error {
        refill_value("ask_rating") == "1"
    } else {
        v.ask_rating
    };
    let rest_messages = if after_error {
        refill_value("rest_messages") == "1"
    } else {
        v.rest_messages
    };
    let disconnect_href = format!("/a/{slug}/contact-center/network/disconnect/{}", v.channel_id);
    view! {
        <section class="card">
            <CcNav slug=slug.clone() account=v.account.name.clone() />
            <h1>{tr(K::SettingsTitle)}</h1>
            <p class="muted">
                {tr(K::ColChannel)} ": " {v.channel_name.clone()} " · "
                {if v.connected { tr(K::StatusConnected) } else { tr(K::StatusDisconnected) }}
            </p>
            <Notice ok=ok error=if errors.is_empty() { None } else { general.or(Some(tr(K::FormHasErrors))) } />
            <form
                method="post"
                action=format!("/a/{slug}/contact-center/network/settings/{}", v.channel_id)
                enctype="multipart/form-data"
                class="settings-form"
                novalidate=true
            >
                <TextField id="name" label=tr(K::LabelDisplayName) maxlength=ChannelName::MAX_LEN
                    value=typed_or("name", &v.name, after_error) hint=Some(tr(K::DisplayNameHint))
                    error=error_for(&errors, Field::ChannelName) />
                <div class="field">
                    <label for="code">{tr(K::LabelCode)}</label>
                    <input id="code" type="text" readonly=true value=v.code.clone() aria-describedby="code-hint" class="mono" />
                    <p class="hint" id="code-hint">{tr(K::CodeHint)}</p>
                </div>
                <CopyField link=v.link.clone() />
                <TextArea id="description" label=tr(K::LabelDescription) maxlength=DESCRIPTION_MAX rows=2
                    value=typed_or("description", &v.description, after_error)
                    error=error_for(&errors, Field::Description) />
                <TextArea id="welcome_message" label=tr(K::LabelWelcome) maxlength=WELCOME_MAX rows=4
                    value=typed_or("welcome_message", &v.welcome_message, after_error)
                    hint=Some(tr(K::WelcomeHint)) error=error_for(&errors, Field::WelcomeMessage) />
                <AvatarField current=v.avatar_url.clone() error=error_for(&errors, Field::Avatar) />
                <div class="field switch-field">
                    <label for="multi_chat" class="check">
                        <input type="checkbox" role="switch" id="multi_chat" name="multi_chat" value="1" checked=multi
                            aria-describedby="multi_chat-hint" />
                        {tr(K::LabelMultiChat)}
                    </label>
                    <p class="hint" id="multi_chat-hint">{tr(K::MultiChatHint)}</p>
                </div>
                <div class="limit-field">
                    <TextField id="chat_limit" label=tr(K::LabelLimit) kind="number" value=limit
                        hint=Some(tr(K::LimitHint)) error=error_for(&errors, Field::ChatLimit) />
                    <span class="visually-hidden">{ChatLimit::MIN} "–" {ChatLimit::MAX}</span>
                </div>
                <div class="field switch-field">
                    <label for="ask_rating" class="check">
                        <input type="checkbox" role="switch" id="ask_rating" name="ask_rating" value="1" checked=ask_rating
                            aria-describedby="ask_rating-hint" />
                        {tr(K::AskRatingLabel)}
                    </label>
                    <p class="hint" id="ask_rating-hint">{tr(K::AskRatingHint)}</p>
                </div>
                <div class="field switch-field">
                    <input type="hidden" name="rest_messages_shown" value="1" />
                    <label for="rest_messages" class="check">
                        <input type="checkbox" role="switch" id="rest_messages" name="rest_messages" value="1" checked=rest_messages
                            aria-describedby="rest_messages-hint" />
                        {tr(K::RestMessagesLabel)}
                    </label>
                    <p class="hint" id="rest_messages-hint">{tr(K::RestMessagesHint)}</p>
                </div>
                <p class="hint">
                    <a href=format!("/a/{slug}/contact-center/network/hours/{}", v.channel_id)>{tr(K::HoursTitle)}</a>
                </p>
                <div class="form-actions">
                    <button type="submit">{tr(K::Save)}</button>
                    {v.connected.then(|| view! { <a class="button danger-link" href=disconnect_href>{tr(K::Disconnect)}</a> })}
                </div>
            </form>
        </section>
    }
}

/// The read-only link with a Copy button that confirms "Copied".
#[component]
pub(super) fn CopyField(link: String) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let copied_text = tr(K::Copied);
    let to_copy = link.clone();
    let on_copy = move |_| {
        let _ = (&to_copy, set_copied);
        #[cfg(feature = "hydrate")]
        {
            let text = to_copy.clone();
            leptos::task::spawn_local(async move {
                if let Some(w) = web_sys::window() {
                    let promise = w.navigator().clipboard().write_text(&text);
                    if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                        set_copied.set(true);
                    }
                }
            });
        }
    };
    view! {
        <div class="field">
            <label for="link">{tr(K::LabelLink)}</label>
            <div class="copy-row">
                <input id="link" type="text" readonly=true value=link aria-describedby="link-hint" class="mono" />
                <button type="button" class="secondary-btn" on:click=on_copy>{tr(K::Copy)}</button>
                <span role="status" class="copied">{move || copied.get().then_some(copied_text)}</span>
            </div>
            <p class="hint" id="link-hint">{tr(K::LinkHint)}</p>
        </div>
    }
}

/// Avatar upload with a live preview; a non-square picture gets a warning and the
/// offer to crop it to its centre square (done on the server).
#[component]
pub(super) fn AvatarField(current: Option<String>, error: Option<&'static str>) -> impl IntoView {
    let (preview, set_preview) = signal(None::<String>);
    let (not_square, set_not_square) = signal(false);
    let (crop, set_crop) = signal(true);
    let has_current = current.is_some();
    let shown = move || preview.get().or_else(|| current.clone());
    let on_file = move |ev: leptos::ev::Event| {
        let _ = (&ev, set_preview, set_not_square);
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
            let file = input.and_then(|i| i.files()).and_then(|f| f.get(0));
            set_not_square.set(false);
            set_preview.set(file.and_then(|f| web_sys::Url::create_object_url_with_blob(&f).ok()));
        }
    };
    let on_load = move |ev: leptos::ev::Event| {
        let _ = &ev;
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if preview.get_untracked().is_some() {
                if let Some(img) = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlImageElement>().ok())
                {
                    set_not_square.set(img.natural_width() != img.natural_height());
                }
            }
        }
    };
    let error_id = "avatar-error";
    view! {
        <div class="field" class:has-error=error.is_some()>
            <label for="avatar">{tr(K::LabelAvatar)}</label>
            <div class="avatar-row">
                <div class="avatar-preview" class:cropped=move || crop.get()>
                    {move || shown().map(|src| view! { <img src=src alt=tr(K::AvatarPreview) on:load=on_load /> })}
                </div>
                <div>
                    <input
                        id="avatar"
                        name="avatar"
                        type="file"
                        accept="image/png,image/jpeg"
                        aria-describedby=if error.is_some() { "avatar-hint avatar-error" } else { "avatar-hint" }
                        aria-invalid=if error.is_some() { "true" } else { "false" }
                        on:change=on_file
                    />
                    <p class="hint" id="avatar-hint">{tr(K::AvatarHint)}</p>
                    {move || not_square.get().then(|| view! {
                        <p class="warning" role="status">{tr(K::AvatarNotSquare)}</p>
                        <label for="avatar_crop" class="check">
                            <input type="checkbox" id="avatar_crop" name="avatar_crop" value="1"
                                prop:checked=move || crop.get()
                                on:change=move |ev| set_crop.set(event_target_checked(&ev)) />
                            {tr(K::CropToSquare)}
                        </label>
                    })}
                    {has_current.then(|| view! {
                        <label for="avatar_remove" class="check">
                            <input type="checkbox" id="avatar_remove" name="avatar_remove" value="1" />
                            {tr(K::RemoveAvatar)}
                        </label>
                    })}
                    {error.map(|e| view! { <p class="error" id=error_id>{e}</p> })}
                </div>
            </div>
        </div>
    }
}

#[component]
pub fn DisconnectPage() -> impl IntoView {
    let slug = slug_param();
    let id = id_param();
    let page = Resource::new(move || (slug.get(), id.get()), |(s, i)| connector_settings(s, i));
    view! {
        <Title text=tr(K::DisconnectTitle) />
        <PageLoad
            page=page
            ok=|v| {
                let slug = v.account.slug.clone();
                let action = format!("/a/{slug}/contact-center/network/disconnect/{}", v.channel_id);
                let back = format!("/a/{slug}/contact-center/network/settings/{}", v.channel_id);
                view! {
                    <section class="card narrow">
                        <h1>{tr(K::DisconnectTitle)}</h1>
                        <p><strong>{v.name.clone()}</strong></p>
                        <p>{tr(K::DisconnectText)}</p>
                        <form method="post" action=action class="form-actions">
                            <button type="submit" class="danger-solid">{tr(K::DisconnectConfirm)}</button>
                            <a class="button secondary" href=back>{tr(K::Cancel)}</a>
                        </form>
                    </section>
                }
                .into_any()
            }
        />
    }
}
