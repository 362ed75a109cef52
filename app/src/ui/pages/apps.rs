//! OAuth apps: the account's apps page (`/a/{slug}/apps`, admins) — register an app, see
//! its `client_id` and (once) its `client_secret`, the members who allowed it, revoke a
//! member, delete the app — and the consent page (`/oauth/authorize/`) where a member
//! allows or denies an app. Plain HTML forms: they work without JavaScript.

use crate::api::apps::{apps_page, consent_page};
use crate::api::{AppView, AppsView, ConsentView};
use crate::error::{AppError, Field};
use crate::i18n::{error_key, K};
use crate::ui::form::{error_for, general_error, query_errors, query_value, refill_value, Notice, TextField};
use crate::ui::pages::{PageLoad, SignInRedirect};
use crate::ui::time::MessageTime;
use crate::ui::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn ok_message(code: &str) -> Option<&'static str> {
    Some(tr(match code {
        "app_created" => K::AppCreated,
        "app_deleted" => K::AppDeleted,
        "access_revoked" => K::AppAccessRevoked,
        "event_retried" => K::EventRetried,
        _ => return None,
    }))
}

#[component]
pub fn AppsPage() -> impl IntoView {
    let params = use_params_map();
    let page = Resource::new(move || params.read().get("slug").unwrap_or_default(), apps_page);
    view! {
        <Title text=tr(K::AppsTitle) />
        <PageLoad page=page ok=|v| view! { <Apps v=v /> }.into_any() />
    }
}

#[component]
fn Apps(v: AppsView) -> impl IntoView {
    let errs = query_errors();
    let ok = ok_message(&query_value("ok"));
    let slug = v.slug.clone();
    let authorize = format!("{}/oauth/authorize/?client_id=", v.public_url);
    view! {
        <section class="card">
            <h1>{tr(K::AppsTitle)}</h1>
            <p class="lead">{tr(K::AppsIntro)}</p>
            <Notice ok=ok error=general_error(errs.first().copied(), &[Field::Name, Field::HandlerUrl, Field::Scopes]) />
            {v.fresh.clone().map(|f| view! {
                <div class="fresh" role="status">
                    <p><strong>{tr(K::AppRegistered)}</strong></p>
                    <label for="fresh-client-id">"client_id"</label>
                    <input id="fresh-client-id" readonly=true value=f.client_id.clone() />
                    <label for="fresh-client-secret">"client_secret"</label>
                    <input id="fresh-client-secret" readonly=true value=f.client_secret.clone() />
                </div>
            })}
            <h2>{tr(K::NewApp)}</h2>
            <form method="post" action=format!("/a/{slug}/apps") novalidate=true class="app-form">
                <TextField id="name" label=tr(K::LabelAppName) maxlength=64 value=refill_value("name")
                    error=error_for(&errs, Field::Name) />
                <TextField id="handler_url" label=tr(K::LabelHandlerUrl) kind="url" value=refill_value("handler_url")
                    hint=Some(tr(K::HandlerUrlHint)) error=error_for(&errs, Field::HandlerUrl) />
                <fieldset class="scopes" class:has-error=error_for(&errs, Field::Scopes).is_some()>
                    <legend>{tr(K::LabelScopes)}</legend>
                    {["imopenlines", "im"].into_iter().map(|s| {
                        let id = format!("app-scope-{s}");
                        let for_id = id.clone();
                        view! {
                            <label for=for_id class="check">
                                <input type="checkbox" id=id name="scopes" value=s checked=true />
                                {s}
                            </label>
                        }
                    }).collect_view()}
                    {error_for(&errs, Field::Scopes).map(|e| view! { <p class="error">{e}</p> })}
                </fieldset>
                <button type="submit">{tr(K::RegisterApp)}</button>
            </form>
            <h2>{tr(K::YourApps)}</h2>
            {v.apps.is_empty().then(|| view! { <p class="muted">{tr(K::NoApps)}</p> })}
            {v.apps.iter().map(|a| view! { <AppCard a=a.clone() slug=slug.clone() authorize=authorize.clone() /> }).collect_view()}
        </section>
    }
}

#[component]
fn AppCard(a: AppView, slug: String, authorize: String) -> impl IntoView {
    let delete_label = format!("{} {}", tr(K::DeleteApp), a.name);
    let heading_id = format!("app-{}", a.id);
    let labelled_by = heading_id.clone();
    let app_id = a.id;
    let grants = a.grants.clone();
    let bindings = a.bindings.clone();
    let deliveries = a.deliveries.clone();
    let log_id = format!("app-{}-log", a.id);
    view! {
        <article class="app-card" aria-labelledby=labelled_by>
            <h3 id=heading_id dir="auto">{a.name.clone()}</h3>
            <dl class="facts">
                <dt>"client_id"</dt><dd><code>{a.client_id.clone()}</code></dd>
                <dt>"client_secret"</dt><dd><code>{format!("{}…", a.secret_hint)}</code></dd>
                <dt>{tr(K::LabelHandlerUrl)}</dt><dd><code class="wrap">{a.handler_url.clone()}</code></dd>
                <dt>{tr(K::LabelScopes)}</dt><dd>{a.scopes.join(", ")}</dd>
                <dt>{tr(K::AuthorizeAddress)}</dt><dd><code class="wrap">{format!("{authorize}{}", a.client_id)}</code></dd>
                <dt>{tr(K::ColCreated)}</dt><dd><MessageTime at=a.created_at /></dd>
            </dl>
            <h4>{tr(K::AppGrants)}</h4>
            {grants.is_empty().then(|| view! { <p class="muted">{tr(K::NoGrants)}</p> })}
            {(!grants.is_empty()).then(|| view! {
                <ul class="grants">
                    {grants.iter().map(|g| {
                        let label = format!("{} {}", tr(K::RevokeAccessOf), g.user_name);
                        view! {
                            <li>
                                <span dir="auto">{g.user_name.clone()}</span>
                                " · " <span class="muted">{tr(K::LastToken)} " "</span><MessageTime at=g.last_issued_at />
                                <form method="post" action=format!("/a/{slug}/apps/{app_id}/grants/{}/revoke", g.user_id) class="inline">
                                    <button type="submit" class="small secondary-btn" aria-label=label>{tr(K::Revoke)}</button>
                                </form>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            <h4>{tr(K::AppEvents)}</h4>
            {bindings.is_empty().then(|| view! { <p class="muted">{tr(K::NoEventBindings)}</p> })}
            {(!bindings.is_empty()).then(|| view! {
                <ul class="bindings">
                    {bindings.iter().map(|(e, h)| view! {
                        <li><code>{e.clone()}</code> " → " <code class="wrap">{h.clone()}</code></li>
                    }).collect_view()}
                </ul>
            })}
            <h4 id=log_id.clone()>{tr(K::DeliveryLog)}</h4>
            {deliveries.is_empty().then(|| view! { <p class="muted">{tr(K::NoDeliveries)}</p> })}
            {(!deliveries.is_empty()).then(|| view! {
                <div class="table-wrap">
                    <table class="list deliveries" aria-labelledby=log_id.clone()>
                        <thead><tr>
                            <th scope="col">"event_id"</th>
                            <th scope="col">{tr(K::ColEvent)}</th>
                            <th scope="col">{tr(K::ColConversation)}</th>
                            <th scope="col">{tr(K::ColDelivery)}</th>
                            <th scope="col">{tr(K::ColAttempts)}</th>
                            <th scope="col">{tr(K::ColLastAnswer)}</th>
                            <th scope="col"><span class="visually-hidden">{tr(K::RetryNow)}</span></th>
                        </tr></thead>
                        <tbody>
                            {deliveries.iter().map(|d| {
                                let state = match (d.status.as_str(), d.attempts) {
                                    ("delivered", _) => view! { <span class="ok-text">{tr(K::DeliveryDelivered)}</span> }.into_any(),
                                    ("failed", _) => view! { <span class="error-text">{tr(K::DeliveryFailed)}</span> }.into_any(),
                                    (_, 0) => view! { <span>{tr(K::DeliveryQueued)}</span> }.into_any(),
                                    _ => view! { <span>{tr(K::DeliveryPending)} " " <MessageTime at=d.next_at /></span> }.into_any(),
                                };
                                let answer = match (d.last_status, d.last_error.clone()) {
                                    (Some(code), _) => code.to_string(),
                                    (None, Some(e)) => e,
                                    (None, None) => "—".to_string(),
                                };
                                let retry = (d.status != "delivered").then(|| {
                                    let label = format!("{} {}", tr(K::RetryNow), d.id);
                                    view! {
                                        <form method="post" action=format!("/a/{slug}/apps/{app_id}/events/{}/retry", d.id) class="inline">
                                            <button type="submit" class="small secondary-btn" aria-label=label>{tr(K::RetryNow)}</button>
                                        </form>
                                    }
                                });
                                view! {
                                    <tr>
                                        <td>{d.id}</td>
                                        <td><code>{d.event.clone()}</code></td>
                                        <td>{d.conversation}</td>
                                        <td>{state}</td>
                                        <td>{d.attempts}</td>
                                        <td class="wrap">{answer}</td>
                                        <td>{retry}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            <form method="post" action=format!("/a/{slug}/apps/{app_id}/delete") class="inline">
                <button type="submit" class="small danger" aria-label=delete_label>{tr(K::DeleteApp)}</button>
            </form>
        </article>
    }
}

/// `/oauth/authorize/?client_id=…&response_type=code&redirect_uri=…&state=…`.
#[component]
pub fn ConsentPage() -> impl IntoView {
    let q = use_query_map();
    let page = Resource::new(
        move || {
            let q = q.read();
            (
                q.get("client_id").unwrap_or_default(),
                q.get("redirect_uri").unwrap_or_default(),
                q.get("response_type").unwrap_or_default(),
                q.get("state").unwrap_or_default(),
            )
        },
        |(c, r, t, s)| consent_page(c, r, t, s),
    );
    view! {
        <Title text=tr(K::ConsentTitle) />
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) => {
                        // The answer names the redirect URI as the request did (none
                        // when it named none), so the token request can match it.
                        let asked = q.read_untracked().get("redirect_uri").unwrap_or_default();
                        view! { <Consent v=v asked_redirect=asked /> }.into_any()
                    }
                    Err(AppError::Unauthorized) => view! { <SignInRedirect /> }.into_any(),
                    Err(e) => view! { <ConsentRefused e=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ConsentRefused(e: AppError) -> impl IntoView {
    let text = match e {
        AppError::NotFound => tr(K::ConsentUnknownApp),
        AppError::Forbidden => tr(K::ConsentNotMember),
        AppError::Invalid {
            field: Field::HandlerUrl,
            ..
        } => tr(K::ConsentBadRedirect),
        AppError::Invalid { .. } => tr(K::ConsentBadRequest),
        e => tr(error_key(e.code())),
    };
    view! {
        <section class="card narrow">
            <h1>{tr(K::ConsentTitle)}</h1>
            <p class="notice notice-error" role="alert">{text}</p>
        </section>
    }
}

fn scope_text(s: &str) -> &'static str {
    match s {
        "imopenlines" => tr(K::ScopeImopenlines),
        _ => tr(K::ScopeIm),
    }
}

#[component]
fn Consent(v: ConsentView, asked_redirect: String) -> impl IntoView {
    view! {
        <section class="card narrow consent">
            <h1>{tr(K::ConsentTitle)}</h1>
            <p class="lead">
                <strong dir="auto">{v.app_name.clone()}</strong> " " {tr(K::ConsentAsks)} " "
                <strong dir="auto">{v.account_name.clone()}</strong>
                " (" {v.user_name.clone()} ")."
            </p>
            <h2>{tr(K::ConsentItMay)}</h2>
            <ul>
                {v.scopes.iter().map(|s| view! { <li>{scope_text(s)}</li> }).collect_view()}
            </ul>
            <p class="muted">{tr(K::ConsentReturnsTo)} " " <code>{v.redirect_origin.clone()}</code></p>
            <form method="post" action="/oauth/authorize/" class="consent-actions">
                <input type="hidden" name="client_id" value=v.client_id.clone() />
                <input type="hidden" name="redirect_uri" value=asked_redirect />
                <input type="hidden" name="state" value=v.state.clone() />
                <button type="submit" name="decision" value="allow">{tr(K::ConsentAllow)}</button>
                <button type="submit" name="decision" value="deny" class="secondary-btn">{tr(K::ConsentDeny)}</button>
            </form>
        </section>
    }
}
