//! The Network page: every account in which the signed-in user works (behaviour S1).

use crate::api::accounts::{my_accounts, my_invitations};
use crate::error::AppError;
use crate::i18n::{error_key, role_key, K};
use crate::ui::form::{query_error, query_value, Notice};
use crate::ui::pages::SignInRedirect;
use crate::ui::tr;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NetworkPage() -> impl IntoView {
    let accounts = Resource::new(|| (), |_| my_accounts());
    let invitations = Resource::new(|| (), |_| my_invitations());
    let ok = match query_value("ok").as_str() {
        "invitation_declined" => Some(tr(K::InvitationDeclined)),
        _ => None,
    };
    let error = query_error().map(|e| tr(error_key(e.code)));
    view! {
        <Title text=tr(K::NetworkTitle) />
        <section class="card">
            <h1>{tr(K::NetworkTitle)}</h1>
            <p class="lead">{tr(K::NetworkIntro)}</p>
            <Notice ok=ok error=error />
            <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
                {move || Suspend::new(async move {
                    // One boundary for the page (see the README's known issues): both
                    // lists are awaited here.
                    let waiting = invitations.await.unwrap_or_default();
                    let invitations_view = invitations_list(waiting);
                    let accounts_view = match accounts.await {
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
                    };
                    view! { {invitations_view} {accounts_view} }
                })}
            </Suspense>
        </section>
    }
}

/// The invitations waiting for the user, each with Accept and Decline.
fn invitations_list(list: Vec<crate::api::MyInvitationView>) -> Option<impl IntoView> {
    (!list.is_empty()).then(|| view! {
        <section aria-labelledby="invitations-title" class="invitations">
            <h2 id="invitations-title">{tr(K::YourInvitations)}</h2>
            <ul class="invitations">
                {list
                    .into_iter()
                    .map(|i| {
                        let label = format!("{} {}", i.account_name, tr(K::InvitesYouAs));
                        view! {
                            <li>
                                <p>
                                    <strong dir="auto">{i.account_name.clone()}</strong> " "
                                    {tr(K::InvitesYouAs)} " "
                                    <span class=format!("role role-{}", i.role.as_str())>{tr(role_key(i.role))}</span>
                                    {(!i.invited_by.is_empty()).then(|| view! {
                                        <span class="muted">" (" {tr(K::InvitedBy)} " " <span dir="auto">{i.invited_by.clone()}</span> ")"</span>
                                    })}
                                </p>
                                <div class="form-actions" role="group" aria-label=label>
                                    <form method="post" action=format!("/invitations/{}/accept", i.id) class="inline">
                                        <button type="submit">{tr(K::AcceptInvitation)}</button>
                                    </form>
                                    <form method="post" action=format!("/invitations/{}/decline", i.id) class="inline">
                                        <button type="submit" class="secondary-btn">{tr(K::DeclineInvitation)}</button>
                                    </form>
                                </div>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    })
}
