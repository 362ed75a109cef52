//! The Network page: every account in which the signed-in user works (behaviour S1).

use crate::api::accounts::my_accounts;
use crate::error::AppError;
use crate::i18n::{error_key, role_key, K};
use crate::ui::pages::SignInRedirect;
use crate::ui::tr;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NetworkPage() -> impl IntoView {
    let accounts = Resource::new(|| (), |_| my_accounts());
    view! {
        <Title text=tr(K::NetworkTitle) />
        <section class="card">
            <h1>{tr(K::NetworkTitle)}</h1>
            <p class="lead">{tr(K::NetworkIntro)}</p>
            <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Err(AppError::Unauthorized) => view! { <SignInRedirect /> }.into_any(),
                        Err(e) => view! { <p class="notice notice-error" role="alert">{tr(error_key(e.code()))}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p>{tr(K::NetworkEmpty)}</p>
                            <p><a class="button" href="/accounts/new">{tr(K::NewAccountTitle)}</a></p>
                        }
                        .into_any(),
                        Ok(list) => view! {
                            <table class="list">
                                <thead>
                                    <tr><th scope="col">{tr(K::ColAccount)}</th><th scope="col">{tr(K::ColYourRole)}</th></tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|a| view! {
                                            <tr>
                                                <td><a href=format!("/a/{}", a.slug)>{a.name}</a> <span class="muted">" /" {a.slug.clone()}</span></td>
                                                <td><span class=format!("role role-{}", a.role.as_str())>{tr(role_key(a.role))}</span></td>
                                            </tr>
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            <p><a href="/accounts/new">{tr(K::NavNewAccount)}</a></p>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
