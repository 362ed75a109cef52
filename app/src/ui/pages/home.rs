use crate::api::session::current_user;
use crate::i18n::K;
use crate::ui::tr;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <Title text=tr(K::AppName) />
        <section class="hero">
            <h1>{tr(K::AppName)}</h1>
            <p class="lead">{tr(K::Tagline)}</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(_)) => view! {
                            <p>{tr(K::HomeSignedIn)}</p>
                            <p><a class="button" href="/network">{tr(K::NavNetwork)}</a></p>
                        }
                        .into_any(),
                        _ => view! {
                            <p>{tr(K::HomeGetStarted)}</p>
                            <p class="actions">
                                <a class="button" href="/login">{tr(K::NavSignIn)}</a>
                                <a class="button secondary" href="/register">{tr(K::NavRegister)}</a>
                            </p>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
