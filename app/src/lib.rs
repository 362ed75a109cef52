//! Netlines: the shared application crate (domain, wire types, pages, server functions).
//!
//! Server-only code lives in [`backend`] behind the `ssr` feature; the browser build
//! (`hydrate`) gets the same pages and calls the server functions over HTTP.

#![recursion_limit = "512"]

pub mod api;
pub mod codec;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod protocol;
pub mod ui;
pub mod util;
pub mod views;

#[cfg(feature = "ssr")]
pub mod backend;

#[cfg(all(test, feature = "ssr"))]
mod props;

#[cfg(test)]
mod module_graph;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // A fresh nonce per page: the only inline scripts that run are Leptos' own
    // (hydration and streamed data), which carry it (see `backend::web`).
    #[cfg(feature = "ssr")]
    backend::web::provide_page_csp();
    let lang = ui::detect_lang();
    let user = ui::session_user().and_then(|u| serde_json::to_string(&u).ok());
    let accounts = user
        .is_some()
        .then(|| serde_json::to_string(&ui::session_accounts()).ok())
        .flatten();
    let refill = ui::page_refill().and_then(|r| serde_json::to_string(&r).ok());
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body data-user=user data-accounts=accounts data-refill=refill>
                <App />
            </body>
        </html>
    }
}

/// The application root: language, session and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    ui::provide_lang();
    ui::time::provide_clock();
    // `frontend` marks <body data-hydrated> once hydration (lazy parts included) is done.
    view! {
        <Stylesheet id="leptos" href="/pkg/netlines.css" />
        <ui::AppRoutes />
    }
}
