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
                        <form method="post" action="/auth/logout" class="inline">
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
