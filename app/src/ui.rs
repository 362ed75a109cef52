//! Pages and components. Components stay thin: rules live in `domain`, `api` and the
//! backend services; here we read signals and render.

pub mod form;
pub mod layout;
pub mod pages;
pub mod socket;

use crate::i18n::{t, Lang, K};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The UI language of this request (server) or page (browser).
pub fn detect_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        if let Some(parts) = use_context::<http::request::Parts>() {
            let cookie = crate::backend::http_util::cookie(&parts.headers, Lang::COOKIE);
            let accept = parts
                .headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok());
            return Lang::negotiate(cookie.as_deref(), accept);
        }
        Lang::En
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        // The server wrote the negotiated language on <html lang>.
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| e.get_attribute("lang"))
            .and_then(|c| Lang::from_code(&c))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Lang::En
    }
}

/// The signed-in user as resolved by the server before rendering (a request extension
/// set by the server's session middleware), written on `<body data-user>` for the
/// browser. Read synchronously, so the page frame needs no `<Suspense>`.
#[derive(Clone, Debug)]
pub struct RequestUser(pub Option<crate::api::SessionUser>);

/// The signed-in user of this page, without waiting (see [`RequestUser`]).
pub fn session_user() -> Option<crate::api::SessionUser> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<RequestUser>().cloned())
            .and_then(|u| u.0)
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
            .and_then(|b| b.get_attribute("data-user"))
            .and_then(|j| serde_json::from_str(&j).ok())
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        None
    }
}

/// Puts the UI language into context for every component below.
pub fn provide_lang() {
    provide_context(detect_lang());
}

/// The UI language from context.
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_default()
}

/// Shorthand: the message `key` in the current UI language.
pub fn tr(key: K) -> &'static str {
    t(use_lang(), key)
}

/// Sets the HTTP status of the page being rendered on the server (e.g. 404).
pub fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(res), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(_code),
    ) {
        res.set_status(code);
    }
}

/// The router with every page. All pages render fully on the server (`Async`), so they
/// work without JavaScript and hydrate afterwards.
#[component]
pub fn AppRoutes() -> impl IntoView {
    view! {
        <Router>
            <a class="skip" href="#main">{tr(K::SkipToContent)}</a>
            <layout::Header />
            <main id="main">
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    <Route path=path!("/") view=pages::home::HomePage ssr=SsrMode::Async />
                    <Route path=path!("/register") view=pages::auth::RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=pages::auth::LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/network") view=pages::network::NetworkPage ssr=SsrMode::Async />
                    <Route path=path!("/accounts/new") view=pages::accounts::NewAccountPage ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug") view=pages::accounts::AccountHomePage ssr=SsrMode::Async />
                    <Route path=path!("/profile") view=pages::profile::ProfilePage ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/inbox") view=pages::inbox::InboxPage ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/contact-center") view=pages::contact_center::ContactCenterPage ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/contact-center/network") view=pages::contact_center::NetworkChannelsPage ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/contact-center/network/connect") view=pages::contact_center::ConnectPage ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/contact-center/network/settings/:id") view=pages::contact_center::SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/contact-center/network/disconnect/:id") view=pages::contact_center::DisconnectPage ssr=SsrMode::Async />
                    <Route path=path!("/oauth/select") view=pages::link::ChannelLinkPage ssr=SsrMode::Async />
                    <Route path=path!("/chat/:code/:slug") view=pages::chat::ChatPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
