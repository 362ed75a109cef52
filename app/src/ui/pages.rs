//! One module per area.

pub mod accounts;
pub mod apps;
pub mod auth;
pub mod chat;
pub mod contact_center;
pub mod home;
pub mod inbox;
pub mod link;
pub mod network;
pub mod profile;
pub mod stats;

use crate::i18n::K;
use crate::ui::{set_status, tr};
use leptos::prelude::*;
use leptos_meta::Title;

/// 403 page for signed-in members whose role does not allow the page; `account` (a
/// slug) leads back to that account's page, else to the Network page.
#[component]
pub fn Forbidden(#[prop(optional, into)] account: Option<String>) -> impl IntoView {
    set_status(403);
    let back = match account {
        Some(slug) => view! { <a href=format!("/a/{slug}")>{tr(K::BackToAccount)}</a> }.into_any(),
        None => view! { <a href="/network">{tr(K::BackToNetwork)}</a> }.into_any(),
    };
    view! {
        <Title text=tr(K::ForbiddenTitle) />
        <section class="card narrow">
            <h1>{tr(K::ForbiddenTitle)}</h1>
            <p>{tr(K::ForbiddenText)}</p>
            <p>{back}</p>
        </section>
    }
}

/// Shown for unknown addresses and for things the viewer may not see (status 404).
#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <Title text=tr(K::NotFoundTitle) />
        <section class="card narrow">
            <h1>{tr(K::NotFoundTitle)}</h1>
            <p>{tr(K::NotFoundText)}</p>
            <p><a href="/network">{tr(K::BackToNetwork)}</a></p>
        </section>
    }
}

/// Sends a signed-out visitor to the sign-in page and back here afterwards.
#[component]
pub fn SignInRedirect() -> impl IntoView {
    let next = crate::ui::layout::current_path();
    let to = crate::util::with_query("/login", &[("next", &next)]);
    view! { <leptos_router::components::Redirect path=to /> }
}

/// What most pages show when their data could not be loaded: sign-in for a signed-out
/// visitor, the 404 and 403 pages, else the error's words.
pub fn load_error(e: crate::error::AppError) -> AnyView {
    use crate::error::AppError;
    match e {
        AppError::Unauthorized => view! { <SignInRedirect /> }.into_any(),
        AppError::NotFound => view! { <NotFound /> }.into_any(),
        AppError::Forbidden => view! { <Forbidden /> }.into_any(),
        e => view! { <p class="notice notice-error" role="alert">{tr(crate::i18n::error_key(e.code()))}</p> }
            .into_any(),
    }
}

/// A page's data, loaded: "Loading…" until `page` answers, then `ok` of the data or
/// `err` of what went wrong ([`load_error`] unless the page says otherwise).
#[component]
pub fn PageLoad<T>(
    page: Resource<Result<T, crate::error::AppError>>,
    ok: fn(T) -> AnyView,
    #[prop(optional)] err: Option<fn(crate::error::AppError) -> AnyView>,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    let err = err.unwrap_or(load_error);
    view! {
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) => ok(v),
                    Err(e) => err(e),
                }
            })}
        </Suspense>
    }
}
