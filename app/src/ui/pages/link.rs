//! The customer link `/oauth/select/?preset=im&IM_DIALOG=networkLines{CODE}`: the
//! channel's public card, or why it cannot be used.

use crate::api::chat::picker;
use crate::api::{ChannelCard, PickerView};
use crate::error::AppError;
use crate::i18n::role_key;
use crate::i18n::{error_key, K};
use crate::ui::form::query_value;
use crate::ui::pages::SignInRedirect;
use crate::ui::{set_status, tr};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ChannelLinkPage() -> impl IntoView {
    let dialog = query_value("IM_DIALOG");
    let card = Resource::new(move || dialog.clone(), picker);
    view! {
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match card.await {
                    Ok(p) if p.card.available => view! { <Picker p=p /> }.into_any(),
                    Ok(p) => view! { <Unavailable name=p.card.name /> }.into_any(),
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
                <h1 dir="auto">{card.name.clone()}</h1>
                {(!card.description.is_empty()).then(|| view! { <p class="muted" dir="auto">{card.description.clone()}</p> })}
                {card.hours.clone().map(|av| view! { <HoursStatus av=av /> })}
            </div>
        </div>
    }
}

/// Open now or offline (and when it opens), kept current by the clock, with the week's
/// hours folded below.
#[component]
fn HoursStatus(av: crate::domain::hours::Availability) -> impl IntoView {
    use crate::domain::hours::format_time;
    use crate::ui::pages::contact_center::DAY_NAMES;
    let now = crate::ui::time::component_now();
    let a = av.clone();
    let open = Memo::new(move |_| now().map(|n| a.open_at(n)).unwrap_or(a.open));
    // The opening time is known while the server's "offline" still holds.
    let opens = av.next_change.filter(|_| !av.open);
    let rows = av
        .week
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let hours = match d {
                Some(s) => format!("{}–{}", format_time(s.from), format_time(s.to)),
                None => tr(K::ClosedDay).to_string(),
            };
            view! { <tr><th scope="row">{tr(DAY_NAMES[i])}</th><td>{hours}</td></tr> }
        })
        .collect_view();
    view! {
        <div class="hours">
            <p class="hours-state" role="status" class:offline=move || !open.get()>
                {move || if open.get() { tr(K::OpenNow) } else { tr(K::ChannelOffline) }}
                {move || (!open.get()).then(|| opens.map(|at| view! {
                    " " {tr(K::OpensAt)} " " <crate::ui::time::MessageTime at=at />
                }))}
            </p>
            <details class="hours-week">
                <summary>{tr(K::WorkingHoursSummary)} " (" {av.time_zone.clone()} ")"</summary>
                <table><tbody>{rows}</tbody></table>
            </details>
        </div>
    }
}

/// The channel's welcome message, as the first message of a chat that has not started.
#[component]
pub fn WelcomeBubble(card: ChannelCard) -> impl IntoView {
    (!card.welcome.is_empty()).then(|| {
        view! {
            <div class="msg channel welcome">
                <p class="msg-meta"><span class="msg-author" dir="auto">{card.name.clone()}</span></p>
                <p class="msg-body" dir="auto">{card.welcome.clone()}</p>
            </div>
        }
    })
}

/// The account picker: the user's accounts beside the channel's card. Visitors who are
/// not signed in see the card and the way in (back to this link afterwards).
#[component]
fn Picker(p: PickerView) -> impl IntoView {
    let code = p.card.code.clone();
    let title = p.card.name.clone();
    if !p.signed_in {
        let next = crate::ui::layout::current_path();
        let login = crate::util::with_query("/login", &[("next", &next)]);
        let register = crate::util::with_query("/register", &[("next", &next)]);
        return view! {
            <Title text=title />
            <section class="card narrow">
                <ChannelCardView card=p.card.clone() />
                <WelcomeBubble card=p.card.clone() />
                <p>{tr(K::SignInToWrite)}</p>
                <p class="form-actions">
                    <a class="button" href=login>{tr(K::SignInToWriteButton)}</a>
                    <a class="button secondary" href=register>{tr(K::RegisterToWrite)}</a>
                </p>
            </section>
        }
        .into_any();
    }
    view! {
        <Title text=title />
        <section class="card narrow">
            <ChannelCardView card=p.card.clone() />
            <h2>{tr(K::PickerTitle)}</h2>
            {if p.accounts.is_empty() {
                view! {
                    <p>{tr(K::PickerNoAccounts)}</p>
                    <p><a class="button" href="/accounts/new">{tr(K::NewAccountTitle)}</a></p>
                }
                .into_any()
            } else {
                view! {
                    <p class="muted">{tr(K::PickerIntro)}</p>
                    <ul class="picker">
                        {p.accounts
                            .into_iter()
                            .map(|a| {
                                let role = tr(role_key(a.role));
                                match a.disabled {
                                    Some(reason) => view! {
                                        <li class="disabled" aria-disabled="true">
                                            <span class="picker-name">{a.name.clone()}</span>
                                            <span class="role">{role}</span>
                                            <span class="muted small">{tr(error_key(reason))}</span>
                                        </li>
                                    }
                                    .into_any(),
                                    None => view! {
                                        <li>
                                            <a class="picker-link" href=format!("/chat/{code}/{}", a.slug)>
                                                <span class="picker-name">
                                                    <span class="visually-hidden">{tr(K::WriteFrom)} " "</span>
                                                    {a.name.clone()}
                                                </span>
                                                <span class="role">{role}</span>
                                            </a>
                                        </li>
                                    }
                                    .into_any(),
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
    .into_any()
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
