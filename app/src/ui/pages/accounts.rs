//! Creating an account and its home page with member management.

use crate::api::accounts::account_page;
use crate::api::session::current_user;
use crate::api::{AccountView, MemberView};
use crate::domain::{Role, Slug};
use crate::error::{AppError, Field};
use crate::i18n::{error_key, role_key, K};
use crate::ui::form::{
    error_for, general_error, query_error, query_errors, query_value, refill_value, FormError, Notice,
    TextField,
};
use crate::ui::pages::{NotFound, PageLoad, SignInRedirect};
use crate::ui::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn NewAccountPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    let errs = query_errors();
    let err = errs.first().copied();
    view! {
        <Title text=tr(K::NewAccountTitle) />
        <Suspense fallback=|| ()>
            {move || {
                let errs = errs.clone();
                Suspend::new(async move {
                match user.await {
                    Ok(Some(_)) => view! {
                        <section class="card narrow">
                            <h1>{tr(K::NewAccountTitle)}</h1>
                            <p class="lead">{tr(K::NewAccountIntro)}</p>
                            <Notice error=general_error(err, &[Field::AccountName, Field::Slug]) />
                            <form method="post" action="/accounts" novalidate=true>
                                <TextField id="account_name" label=tr(K::LabelAccountName) maxlength=80
                                    value=refill_value("account_name") error=error_for(&errs, Field::AccountName) />
                                <TextField id="slug" label=tr(K::LabelSlug) maxlength=Slug::MAX_LEN
                                    value=refill_value("slug") hint=Some(tr(K::SlugHint)) error=error_for(&errs, Field::Slug) />
                                <button type="submit">{tr(K::CreateAccountSubmit)}</button>
                            </form>
                        </section>
                    }
                    .into_any(),
                    _ => view! { <SignInRedirect /> }.into_any(),
                }
            })
            }}
        </Suspense>
    }
}

fn ok_message(code: &str) -> Option<&'static str> {
    match code {
        "account_created" => Some(tr(K::AccountCreated)),
        "member_added" => Some(tr(K::MemberAdded)),
        "invited" => Some(tr(K::Invited)),
        "invitation_cancelled" => Some(tr(K::InvitationCancelled)),
        "joined" => Some(tr(K::Joined)),
        "role_changed" => Some(tr(K::RoleChanged)),
        "member_removed" => Some(tr(K::MemberRemoved)),
        _ => None,
    }
}

#[component]
pub fn AccountHomePage() -> impl IntoView {
    let params = use_params_map();
    let page = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        account_page,
    );
    view! {
        <PageLoad page=page ok=|p| view! { <AccountHome page=p /> }.into_any() err=account_error />
    }
}

#[component]
fn AccountHome(page: AccountView) -> impl IntoView {
    let err = query_error();
    let ok = ok_message(&query_value("ok"));
    let is_admin = page.account.role == Role::Admin;
    let slug = page.account.slug.clone();
    let me = page.me;
    let members = page.members.clone();
    view! {
        <Title text=page.account.name.clone() />
        <section class="card">
            <h1>{page.account.name.clone()}</h1>
            <p class="muted">
                {tr(K::YourRole)} ": "
                <span class=format!("role role-{}", page.account.role.as_str())>{tr(role_key(page.account.role))}</span>
            </p>
            <Notice ok=ok error=general_error(err, &[Field::Member]) />
            <h2>{tr(K::MembersTitle)}</h2>
            <table class="list">
                <thead>
                    <tr>
                        <th scope="col">{tr(K::ColName)}</th>
                        <th scope="col">{tr(K::ColEmail)}</th>
                        <th scope="col">{tr(K::ColRole)}</th>
                        {is_admin.then(|| view! { <th scope="col">{tr(K::ColActions)}</th> })}
                    </tr>
                </thead>
                <tbody>
                    {members
                        .into_iter()
                        .map(|m| view! { <MemberRow m=m slug=slug.clone() is_admin=is_admin is_me=me /> })
                        .collect_view()}
                </tbody>
            </table>
            {(is_admin && !page.invitations.is_empty()).then(|| {
                let slug = slug.clone();
                view! {
                    <h2>{tr(K::InvitationsTitle)}</h2>
                    <ul class="invitations">
                        {page
                            .invitations
                            .clone()
                            .into_iter()
                            .map(|i| {
                                let cancel_label = format!("{} {}", tr(K::CancelInvitationFor), i.email);
                                view! {
                                    <li>
                                        <span dir="auto">{i.email.clone()}</span> " · "
                                        <span class=format!("role role-{}", i.role.as_str())>{tr(role_key(i.role))}</span>
                                        <form method="post" action=format!("/a/{slug}/invitations/{}/cancel", i.id) class="inline">
                                            <button type="submit" class="small secondary-btn" aria-label=cancel_label>{tr(K::CancelInvitation)}</button>
                                        </form>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
            })}
            {is_admin.then(|| view! { <AddMember slug=slug.clone() err=err /> })}
            {page.storage.map(|s| {
                let quota = s.quota.max(1);
                let percent = (s.used.max(0) * 100 / quota).min(100);
                view! {
                    <h2 id="storage-title">{tr(K::StorageTitle)}</h2>
                    <p>
                        {tr(K::StorageUsed)} ": "
                        <strong>{crate::protocol::human_size(s.used)}</strong>
                        " / " {crate::protocol::human_size(s.quota)} " (" {percent} "%)"
                    </p>
                    <meter min="0" max=quota.to_string() value=s.used.to_string() aria-labelledby="storage-title"></meter>
                    <p class="hint">{tr(K::StorageHint)}</p>
                }
            })}
            {is_admin.then(|| view! {
                <h2>{tr(K::AppsTitle)}</h2>
                <p>{tr(K::AppsLinkIntro)} " " <a href=format!("/a/{slug}/apps")>{tr(K::ManageApps)}</a></p>
            })}
        </section>
    }
}

#[component]
fn MemberRow(m: MemberView, slug: String, is_admin: bool, is_me: crate::domain::UserId) -> impl IntoView {
    let you = (m.user_id == is_me).then(|| view! { <span class="muted">" (" {tr(K::You)} ")"</span> });
    let role_label = format!("{} {}", tr(K::RoleFor), m.name);
    let remove_label = format!("{} {}", tr(K::RemoveFor), m.name);
    let select_id = format!("role-{}", m.user_id);
    view! {
        <tr>
            <td>{m.name.clone()} {you}</td>
            <td>{m.email.clone()}</td>
            <td>
                {if is_admin {
                    view! {
                        <form method="post" action=format!("/a/{slug}/members/{}/role", m.user_id) class="inline">
                            <label for=select_id.clone() class="visually-hidden">{role_label}</label>
                            <select id=select_id name="role">
                                {Role::ALL
                                    .into_iter()
                                    .map(|r| view! { <option value=r.as_str() selected=r == m.role>{tr(role_key(r))}</option> })
                                    .collect_view()}
                            </select>
                            <button type="submit" class="small">{tr(K::SaveRole)}</button>
                        </form>
                    }
                    .into_any()
                } else {
                    view! { <span class=format!("role role-{}", m.role.as_str())>{tr(role_key(m.role))}</span> }.into_any()
                }}
            </td>
            {is_admin.then(|| view! {
                <td>
                    <form method="post" action=format!("/a/{slug}/members/{}/remove", m.user_id) class="inline">
                        <button type="submit" class="small danger" aria-label=remove_label>{tr(K::RemoveMember)}</button>
                    </form>
                </td>
            })}
        </tr>
    }
}

#[component]
fn AddMember(slug: String, err: Option<FormError>) -> impl IntoView {
    view! {
        <h2>{tr(K::AddMemberTitle)}</h2>
        <form method="post" action=format!("/a/{slug}/members") class="add-member" novalidate=true>
            <TextField id="member_email" label=tr(K::LabelMemberEmail) kind="email"
                value=refill_value("member_email") hint=Some(tr(K::AddMemberHint)) error=FormError::for_field(err, Field::Member) />
            <div class="field">
                <label for="member_role">{tr(K::LabelRole)}</label>
                <select id="member_role" name="member_role">
                    {Role::ALL
                        .into_iter()
                        .map(|r| view! { <option value=r.as_str() selected=r == Role::Operator>{tr(role_key(r))}</option> })
                        .collect_view()}
                </select>
            </div>
            <button type="submit">{tr(K::AddMemberSubmit)}</button>
        </form>
    }
}

/// Every member may see the account's page: the refusals are being signed out and not
/// being a member (404).
fn account_error(e: AppError) -> AnyView {
    match e {
        AppError::Unauthorized => view! { <SignInRedirect /> }.into_any(),
        AppError::NotFound => view! { <NotFound /> }.into_any(),
        e => view! { <p class="notice notice-error" role="alert">{tr(error_key(e.code()))}</p> }.into_any(),
    }
}
