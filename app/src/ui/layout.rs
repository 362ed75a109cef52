//! The page frame: brand, main navigation, session and the language switcher.

use crate::i18n::{Lang, K};
use crate::ui::{tr, use_lang};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The current path with its query, to come back to after an action.
pub fn current_path() -> String {
    let loc = use_location();
    let path = loc.pathname.get_untracked();
    let search = loc.search.get_untracked();
    if search.is_empty() {
        path
    } else {
        format!("{path}?{}", search.trim_start_matches('?'))
    }
}

#[component]
pub fn Header() -> impl IntoView {
    // Resolved before rendering: the frame has no Suspense of its own, so a page has at
    // most one (parallel Suspense boundaries race in Leptos 0.8's server renderer).
    let user = crate::ui::session_user();
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                {tr(K::AppName)}
            </a>
            <nav aria-label=tr(K::MainNav)>
                {match user {
                    Some(u) => view! {
                        <a href="/network">{tr(K::NavNetwork)}</a>
                        <a href="/accounts/new">{tr(K::NavNewAccount)}</a>
                        <a href="/profile">{tr(K::NavProfile)}</a>
                        <span class="who">{tr(K::SignedInAs)} " " <strong>{u.name}</strong></span>
                        <form method="post" action="/auth/logout" class="inline" on:submit=|_| {
                            // What waits on this device belongs to the person leaving.
                            #[cfg(feature = "hydrate")]
                            crate::ui::live::client::forget_all();
                        }>
                            <button type="submit" class="link">{tr(K::NavSignOut)}</button>
                        </form>
                    }
                    .into_any(),
                    None => view! {
                        <a href="/login">{tr(K::NavSignIn)}</a>
                        <a href="/register">{tr(K::NavRegister)}</a>
                    }
                    .into_any(),
                }}
            </nav>
            <LangSwitcher />
        </header>
        <AccountNav />
    }
}

/// The slug of the account an address belongs to (`/a/{slug}/…`).
pub fn account_slug_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/a/")?;
    let slug = rest.split('/').next()?;
    (!slug.is_empty()).then_some(slug)
}

/// Which section of an account an address is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Members,
    Inbox,
    ContactCenter,
    Statistics,
}

pub fn section_of(path: &str) -> Option<Section> {
    let slug = account_slug_of(path)?;
    let rest = &path["/a/".len() + slug.len()..];
    Some(match rest.split('/').nth(1).unwrap_or("") {
        "inbox" => Section::Inbox,
        "contact-center" => Section::ContactCenter,
        "statistics" => Section::Statistics,
        _ => Section::Members,
    })
}

/// The second row of the header inside an account: its name and the sections the
/// user's role opens (the inbox and the Contact Center for those who serve customers).
#[component]
fn AccountNav() -> impl IntoView {
    let accounts = crate::ui::session_accounts();
    let loc = use_location();
    let current = Memo::new(move |_| {
        let path = loc.pathname.get();
        let account = account_slug_of(&path).and_then(|s| accounts.iter().find(|a| a.slug == s).cloned());
        account.map(|a| (a, section_of(&path)))
    });
    move || {
        current.get().map(|(a, section)| {
            let serves = matches!(a.role, crate::domain::Role::Admin | crate::domain::Role::Operator);
            let here = move |s: Section| if section == Some(s) { "page" } else { "false" };
            let base = format!("/a/{}", a.slug);
            view! {
                <nav class="account-nav" aria-label=tr(K::AccountNav)>
                    <span class="account-name" dir="auto">{a.name.clone()}</span>
                    <span class="account-links">
                        {serves.then(|| view! {
                            <a href=format!("{base}/inbox") aria-current=here(Section::Inbox)>{tr(K::InboxTitle)}</a>
                            <a href=format!("{base}/contact-center") aria-current=here(Section::ContactCenter)>{tr(K::NavContactCenter)}</a>
                            <a href=format!("{base}/statistics") aria-current=here(Section::Statistics)>{tr(K::StatsTitle)}</a>
                        })}
                        <a href=base.clone() aria-current=here(Section::Members)>{tr(K::MembersTitle)}</a>
                    </span>
                </nav>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_name_their_account_and_section() {
        assert_eq!(account_slug_of("/a/acme"), Some("acme"));
        assert_eq!(account_slug_of("/a/acme/inbox"), Some("acme"));
        assert_eq!(account_slug_of("/a/"), None);
        assert_eq!(account_slug_of("/accounts/new"), None);
        assert_eq!(section_of("/a/acme"), Some(Section::Members));
        assert_eq!(section_of("/a/acme/inbox"), Some(Section::Inbox));
        assert_eq!(
            section_of("/a/acme/contact-center/network/settings/3"),
            Some(Section::ContactCenter)
        );
        assert_eq!(section_of("/network"), None);
    }
}

/// Two buttons posting the chosen language; remembered in a cookie. Works without JS.
#[component]
fn LangSwitcher() -> impl IntoView {
    let current = use_lang();
    let next = current_path();
    view! {
        <form method="post" action="/lang" class="lang" role="group" aria-label=tr(K::ChooseLanguage)>
            <input type="hidden" name="next" value=next />
            {Lang::ALL
                .into_iter()
                .map(|l| {
                    view! {
                        <button
                            type="submit"
                            name="lang"
                            value=l.code()
                            lang=l.code()
                            aria-pressed=if l == current { "true" } else { "false" }
                        >
                            {l.native_name()}
                        </button>
                    }
                })
                .collect_view()}
        </form>
    }
}

/// The live connection's state where the user looks (pinned to the top of the page):
/// nothing while connected, "reconnecting" while the connection is being reopened,
/// "offline" (what is written waits on the device) while the browser has no network.
#[component]
pub fn ConnectionNotice(link: RwSignal<crate::ui::socket::Link>) -> impl IntoView {
    use crate::ui::socket::Link;
    move || {
        let text = match link.get() {
            Link::Online => return None,
            Link::Reconnecting => tr(K::Offline),
            Link::Offline => tr(K::NoNetwork),
        };
        Some(view! { <p class="notice connection" role="status">{text}</p> })
    }
}
