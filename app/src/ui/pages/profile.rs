//! The profile page (`/profile`): the user's REST API credentials — inbound webhooks and
//! one-hour access tokens, per account — created, shown once, and revoked.

use crate::api::profile::profile_page;
use crate::api::{CredentialView, ProfileView};
use crate::error::{AppError, Field};
use crate::i18n::{error_key, K};
use crate::ui::form::{error_for, general_error, query_errors, query_value, refill_value, Notice, TextField};
use crate::ui::pages::{PageLoad, SignInRedirect};
use crate::ui::time::MessageTime;
use crate::ui::tr;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let page = Resource::new(|| (), |_| profile_page());
    view! {
        <Title text=tr(K::ProfileTitle) />
        <PageLoad page=page ok=|v| view! { <Profile v=v /> }.into_any() err=profile_error />
    }
}

/// The profile is the signed-in user's own: the only refusal is being signed out.
fn profile_error(e: AppError) -> AnyView {
    match e {
        AppError::Unauthorized => view! { <SignInRedirect /> }.into_any(),
        e => view! { <p class="notice notice-error" role="alert">{tr(error_key(e.code()))}</p> }.into_any(),
    }
}

fn ok_message(code: &str) -> Option<&'static str> {
    match code {
        "webhook_created" => Some(tr(K::WebhookCreated)),
        "token_issued" => Some(tr(K::TokenIssued)),
        "revoked" => Some(tr(K::CredentialRevoked)),
        "time_zone_saved" => Some(tr(K::TimeZoneSaved)),
        _ => None,
    }
}

/// Account select + scope checkboxes, shared by both forms.
#[component]
fn AccountAndScopes(
    v: ProfileView,
    prefix: &'static str,
    errs: Vec<crate::ui::form::FormError>,
) -> impl IntoView {
    let chosen = refill_value("account");
    let acc_id = format!("{prefix}-account");
    let acc_err = error_for(&errs, Field::Account);
    let scope_err = error_for(&errs, Field::Scopes);
    view! {
        <div class="field" class:has-error=acc_err.is_some()>
            <label for=acc_id.clone()>{tr(K::LabelAccount)}</label>
            <select id=acc_id name="account">
                {v.accounts.iter().map(|a| view! {
                    <option value=a.slug.clone() selected=a.slug == chosen>{a.name.clone()}</option>
                }).collect_view()}
            </select>
            {acc_err.map(|e| view! { <p class="error">{e}</p> })}
        </div>
        <fieldset class="scopes" class:has-error=scope_err.is_some()>
            <legend>{tr(K::LabelScopes)}</legend>
            {["imopenlines", "im"].into_iter().map(|s| {
                let id = format!("{prefix}-scope-{s}");
                let for_id = id.clone();
                view! {
                    <label for=for_id class="check">
                        <input type="checkbox" id=id name="scopes" value=s checked=true />
                        {s}
                    </label>
                }
            }).collect_view()}
            {scope_err.map(|e| view! { <p class="error">{e}</p> })}
        </fieldset>
    }
}

#[component]
fn Profile(v: ProfileView) -> impl IntoView {
    let errs = query_errors();
    let ok = ok_message(&query_value("ok"));
    let err = errs.first().copied();
    let fresh_label = if query_value("ok") == "token_issued" {
        tr(K::FreshToken)
    } else {
        tr(K::FreshWebhook)
    };
    let example = v
        .fresh
        .clone()
        .filter(|f| f.starts_with("http"))
        .map(|u| format!("curl '{u}imopenlines.config.list.get'"));
    let has_accounts = !v.accounts.is_empty();
    view! {
        <section class="card">
            <h1>{tr(K::ProfileTitle)}</h1>
            <p class="muted">{v.user.name.clone()} " · " {v.user.email.clone()}</p>
            <Notice ok=ok error=general_error(err, &[Field::Account, Field::Scopes, Field::Title, Field::TimeZone]) />
            {v.fresh.clone().map(|f| view! {
                <div class="fresh" role="status">
                    <label for="fresh">{fresh_label}</label>
                    <input id="fresh" readonly=true value=f />
                    <p class="hint">{tr(K::ShownOnce)}</p>
                    {example.clone().map(|e| view! { <pre class="small"><code>{e}</code></pre> })}
                </div>
            })}
            <h2>{tr(K::TimeZoneTitle)}</h2>
            <form method="post" action="/profile/time-zone" class="inline-form">
                <div class="field" class:has-error=error_for(&errs, Field::TimeZone).is_some()>
                    <label for="time_zone">{tr(K::TimeZoneLabelShort)}</label>
                    <select id="time_zone" name="time_zone" aria-describedby="time_zone-hint">
                        <option value="" selected=v.user.time_zone.is_none()>{tr(K::TimeZoneAutomatic)}</option>
                        {v.time_zones.iter().map(|z| {
                            let sel = v.user.time_zone.as_deref() == Some(z.as_str());
                            view! { <option value=z.clone() selected=sel>{z.clone()}</option> }
                        }).collect_view()}
                    </select>
                    <p class="hint" id="time_zone-hint">{tr(K::TimeZoneProfileHint)}</p>
                    {error_for(&errs, Field::TimeZone).map(|e| view! { <p class="error">{e}</p> })}
                </div>
                <button type="submit" class="secondary-btn">{tr(K::Save)}</button>
            </form>
            <h2>{tr(K::RestApiTitle)}</h2>
            <p class="lead">{tr(K::RestApiIntro)} " " <a href="/rest/openapi.json">"OpenAPI"</a></p>
            {(!has_accounts).then(|| view! { <p class="muted">{tr(K::NoAccountsForRest)}</p> })}
            {has_accounts.then(|| view! {
                <div class="two-forms">
                    <form method="post" action="/profile/webhooks" novalidate=true>
                        <h3>{tr(K::NewWebhook)}</h3>
                        <AccountAndScopes v=v.clone() prefix="webhook" errs=errs.clone() />
                        <TextField id="title" label=tr(K::LabelTitle) maxlength=64 value=refill_value("title")
                            error=error_for(&errs, Field::Title) />
                        <button type="submit">{tr(K::CreateWebhook)}</button>
                    </form>
                    <form method="post" action="/profile/tokens" novalidate=true>
                        <h3>{tr(K::NewToken)}</h3>
                        <AccountAndScopes v=v.clone() prefix="token" errs=Vec::new() />
                        <button type="submit" class="secondary-btn">{tr(K::IssueToken)}</button>
                    </form>
                </div>
            })}
            <h2>{tr(K::YourCredentials)}</h2>
            {v.credentials.is_empty().then(|| view! { <p class="muted">{tr(K::NoCredentials)}</p> })}
            {(!v.credentials.is_empty()).then(|| view! {
                <table class="list">
                    <thead>
                        <tr>
                            <th scope="col">{tr(K::ColKind)}</th>
                            <th scope="col">{tr(K::LabelAccount)}</th>
                            <th scope="col">{tr(K::LabelTitle)}</th>
                            <th scope="col">{tr(K::LabelScopes)}</th>
                            <th scope="col">{tr(K::ColSecret)}</th>
                            <th scope="col">{tr(K::ColCreated)}</th>
                            <th scope="col"><span class="visually-hidden">{tr(K::Revoke)}</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {v.credentials.iter().map(|c| view! { <CredentialRow c=c.clone() /> }).collect_view()}
                    </tbody>
                </table>
            })}
            <h2>{tr(K::SessionsTitle)}</h2>
            <p class="muted">{tr(K::SessionsIntro)}</p>
            <form method="post" action="/auth/logout-everywhere">
                <button type="submit" class="secondary-btn">{tr(K::SignOutEverywhere)}</button>
            </form>
        </section>
    }
}

#[component]
fn CredentialRow(c: CredentialView) -> impl IntoView {
    let kind = if c.kind == "token" {
        tr(K::KindToken)
    } else {
        tr(K::KindWebhook)
    };
    let label = format!("{} {} {}", tr(K::Revoke), kind, c.hint);
    view! {
        <tr>
            <td>{kind}</td>
            <td>{c.account_name.clone()}</td>
            <td>{c.title.clone()}</td>
            <td>{c.scopes.join(", ")}</td>
            <td><code>{format!("{}…", c.hint)}</code></td>
            <td><MessageTime at=c.created_at /></td>
            <td>
                <form method="post" action=format!("/profile/credentials/{}/revoke", c.id) class="inline">
                    <button type="submit" class="small secondary-btn" aria-label=label>{tr(K::Revoke)}</button>
                </form>
            </td>
        </tr>
    }
}
