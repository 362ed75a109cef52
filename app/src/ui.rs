//! Pages and components. Components stay thin: rules live in `domain`, `api` and the
//! backend services; here we read signals and render.

pub mod files;
pub mod form;
pub mod layout;
pub mod links;
pub mod live;
pub mod pages;
pub mod rich;
pub mod socket;
pub mod time;

use crate::i18n::{t, Lang, K};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

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

/// The signed-in user's accounts (with their role in each), resolved with the user: the
/// header shows the current account's sections from it. Written on `<body data-accounts>`.
#[derive(Clone, Debug, Default)]
pub struct RequestAccounts(pub Vec<crate::api::AccountSummary>);

/// The signed-in user's accounts, without waiting (see [`RequestAccounts`]).
pub fn session_accounts() -> Vec<crate::api::AccountSummary> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<RequestAccounts>().cloned())
            .map(|a| a.0)
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        body_json("data-accounts").unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Vec::new()
    }
}

/// What a refused form had typed, for the page it was sent back to: the server keeps it
/// (never in the URL; `backend::services::refills`), loads it for a page that shows an
/// error at `path`, and writes `values` on `<body data-refill>` for the browser.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RequestRefill {
    pub path: String,
    pub values: std::collections::BTreeMap<String, String>,
}

/// This page's refill, if the server loaded one (see [`RequestRefill`]).
pub fn page_refill() -> Option<RequestRefill> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<RequestRefill>().cloned())
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        body_json("data-refill")
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        None
    }
}

/// In the browser: the JSON the server wrote into a `<body data-…>` attribute for this page.
#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn body_json<T: serde::de::DeserializeOwned>(attribute: &str) -> Option<T> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
        .and_then(|b| b.get_attribute(attribute))
        .and_then(|j| serde_json::from_str(&j).ok())
}

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
        body_json("data-user")
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

/// A page loaded on demand: with `cargo leptos build --split` its code is a part of the
/// wasm of its own, fetched when the route is first visited (or before it is hydrated,
/// when the page was opened directly). Only the customer's chat page stays in the main
/// part, so it loads nothing it does not use.
macro_rules! lazy_page {
    ($route:ident, $page:path) => {
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    };
}

lazy_page!(HomeRoute, pages::home::HomePage);
lazy_page!(RegisterRoute, pages::auth::RegisterPage);
lazy_page!(LoginRoute, pages::auth::LoginPage);
lazy_page!(ChannelLinkRoute, pages::link::ChannelLinkPage);
lazy_page!(NetworkRoute, pages::network::NetworkPage);
lazy_page!(NewAccountRoute, pages::accounts::NewAccountPage);
lazy_page!(AccountHomeRoute, pages::accounts::AccountHomePage);
lazy_page!(ProfileRoute, pages::profile::ProfilePage);
lazy_page!(InboxRoute, pages::inbox::InboxPage);
lazy_page!(ContactCenterRoute, pages::contact_center::ContactCenterPage);
lazy_page!(NetworkChannelsRoute, pages::contact_center::NetworkChannelsPage);
lazy_page!(ConnectRoute, pages::contact_center::ConnectPage);
lazy_page!(SettingsRoute, pages::contact_center::SettingsPage);
lazy_page!(HoursRoute, pages::contact_center::HoursPage);
lazy_page!(StatsRoute, pages::stats::StatsPage);
lazy_page!(DisconnectRoute, pages::contact_center::DisconnectPage);
lazy_page!(QuickAnswersRoute, pages::contact_center::QuickAnswersPage);
lazy_page!(AppsRoute, pages::apps::AppsPage);
lazy_page!(ConsentRoute, pages::apps::ConsentPage);

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
                    <Route path=path!("/") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/register") view={Lazy::<RegisterRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/network") view={Lazy::<NetworkRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/accounts/new") view={Lazy::<NewAccountRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug") view={Lazy::<AccountHomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/profile") view={Lazy::<ProfileRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/inbox") view={Lazy::<InboxRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/contact-center") view={Lazy::<ContactCenterRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/contact-center/network") view={Lazy::<NetworkChannelsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/contact-center/network/connect") view={Lazy::<ConnectRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/contact-center/network/settings/:id") view={Lazy::<SettingsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/statistics") view={Lazy::<StatsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/contact-center/network/hours/:id") view={Lazy::<HoursRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/contact-center/network/disconnect/:id") view={Lazy::<DisconnectRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/contact-center/quick-answers") view={Lazy::<QuickAnswersRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/oauth/select") view={Lazy::<ChannelLinkRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/oauth/authorize") view={Lazy::<ConsentRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/a/:slug/apps") view={Lazy::<AppsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/chat/:code/:slug") view=pages::chat::ChatPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
