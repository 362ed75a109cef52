//! The customer link `/oauth/select/?preset=im&IM_DIALOG=networkLines{CODE}`: the
//! channel's public card, or why it cannot be used.

use crate::api::channels::public_card;
use crate::api::ChannelCard;
use crate::error::AppError;
use crate::i18n::{error_key, K};
use crate::ui::form::query_value;
use crate::ui::pages::SignInRedirect;
use crate::ui::{set_status, tr};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ChannelLinkPage() -> impl IntoView {
    let dialog = query_value("IM_DIALOG");
    let card = Resource::new(move || dialog.clone(), public_card);
    view! {
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match card.await {
                    Ok(c) if c.available => view! { <Card card=c /> }.into_any(),
                    Ok(c) => view! { <Unavailable name=c.name /> }.into_any(),
                    Err(AppError::Unauthorized) => view! { <SignInRedirect /> }.into_any(),
                    Err(AppError::NotFound) => view! { <NoSuchChannel /> }.into_any(),
                    Err(e) => view! { <p class="notice notice-error" role="alert">{tr(error_key(e.code()))}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The channel's public card: avatar, name, description.
#[component]
pub fn ChannelCardView(card: ChannelCard) -> impl IntoView {
    view! {
        <div class="channel-card">
            {match card.avatar_url.clone() {
                Some(url) => view! { <img class="avatar" src=url alt="" width="64" height="64" /> }.into_any(),
                None => view! { <span class="avatar avatar-empty" aria-hidden="true">{card.name.chars().next().unwrap_or('?').to_string()}</span> }.into_any(),
            }}
            <div>
                <h1>{card.name.clone()}</h1>
                {(!card.description.is_empty()).then(|| view! { <p class="muted">{card.description.clone()}</p> })}
            </div>
        </div>
    }
}

#[component]
fn Card(card: ChannelCard) -> impl IntoView {
    view! {
        <Title text=card.name.clone() />
        <section class="card narrow">
            <ChannelCardView card=card />
            <p><span class="role role-operator">{tr(K::ChannelAvailable)}</span></p>
        </section>
    }
}

#[component]
fn Unavailable(name: String) -> impl IntoView {
    view! {
        <Title text=tr(K::UnavailableTitle) />
        <section class="card narrow">
            <p class="muted">{name}</p>
            <h1>{tr(K::UnavailableTitle)}</h1>
            <p>{tr(K::UnavailableText)}</p>
        </section>
    }
}

#[component]
fn NoSuchChannel() -> impl IntoView {
    set_status(404);
    view! {
        <Title text=tr(K::NoSuchChannelTitle) />
        <section class="card narrow">
            <h1>{tr(K::NoSuchChannelTitle)}</h1>
            <p>{tr(K::NoSuchChannelText)}</p>
        </section>
    }
}
