//! Contact Center: open channels, the Network connector list, connecting, the settings
//! form and disconnecting. Every form is a plain HTML form (works without JavaScript);
//! the settings form adds a live avatar preview and a Copy button once hydrated.

use crate::api::channels::{connector_settings, contact_center, quick_answers_page};
use crate::api::{
    ChannelView, ConnectorSettingsView, ConnectorSummary, ContactCenterView, MemberView, QuickAnswerView,
    QuickAnswersView,
};
use crate::domain::channel::{ChannelName, ChatLimit, Distribution, DESCRIPTION_MAX, WELCOME_MAX};
use crate::domain::conversation::MessageBody;
use crate::domain::quick_answer::{QuickAnswerTitle, PLACEHOLDERS};
use crate::error::{AppError, Field};
use crate::i18n::{error_key, K};
use crate::ui::form::{
    error_for, general_error, has_refill, query_error, query_errors, query_value, refill_value,
    textarea_html, FormError, Notice, TextArea, TextField,
};
use crate::ui::pages::{Forbidden, NotFound, SignInRedirect};
use crate::ui::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn ok_message(code: &str) -> Option<&'static str> {
    Some(tr(match code {
        "channel_created" => K::ChannelCreated,
        "channel_renamed" => K::ChannelRenamed,
        "channel_activated" => K::ChannelActivated,
        "channel_deactivated" => K::ChannelDeactivated,
        "operators_saved" => K::OperatorsSaved,
        "queue_saved" => K::QueueSaved,
        "order_saved" => K::OrderSaved,
        "connected" => K::ConnectedOk,
        "settings_saved" => K::SettingsSaved,
        "hours_saved" => K::HoursSaved,
        "disconnected" => K::DisconnectedOk,
        "quick_answer_created" => K::QaCreated,
        "quick_answer_saved" => K::QaSaved,
        "quick_answer_deleted" => K::QaDeleted,
        _ => return None,
    }))
}

/// Renders the error pages shared by every Contact Center page.
fn error_view(e: AppError) -> AnyView {
    match e {
        AppError::Unauthorized => view! { <SignInRedirect /> }.into_any(),
        AppError::NotFound => view! { <NotFound /> }.into_any(),
        AppError::Forbidden => view! { <Forbidden /> }.into_any(),
        e => view! { <p class="notice notice-error" role="alert">{tr(error_key(e.code()))}</p> }.into_any(),
    }
}

fn slug_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("slug").unwrap_or_default())
}

fn id_param() -> Memo<i64> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").and_then(|s| s.parse().ok()).unwrap_or(0))
}

/// The Contact Center's sub-navigation.
#[component]
fn CcNav(slug: String, account: String) -> impl IntoView {
    view! {
        <p class="crumbs">
            <a href=format!("/a/{slug}")>{account}</a>
            " › "
            <a href=format!("/a/{slug}/contact-center")>{tr(K::CcTitle)}</a>
            " · "
            <a href=format!("/a/{slug}/contact-center/network")>{tr(K::NetTitle)}</a>
            " · "
            <a href=format!("/a/{slug}/contact-center/quick-answers")>{tr(K::QaTitle)}</a>
        </p>
    }
}

#[component]
pub fn ContactCenterPage() -> impl IntoView {
    let slug = slug_param();
    let page = Resource::new(move || slug.get(), contact_center);
    view! {
        <Title text=tr(K::CcTitle) />
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) => view! { <ContactCenter v=v /> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ContactCenter(v: ContactCenterView) -> impl IntoView {
    let err = query_error();
    let ok = ok_message(&query_value("ok"));
    let slug = v.account.slug.clone();
    let manage = v.can_manage;
    let members = v.members.clone();
    let channels = v.channels.clone();
    view! {
        <section class="card">
            <CcNav slug=slug.clone() account=v.account.name.clone() />
            <h1>{tr(K::CcTitle)}</h1>
            <p class="lead">{if manage { tr(K::CcIntro) } else { tr(K::CcOperatorIntro) }}</p>
            <Notice ok=ok error=general_error(err, if manage { &[Field::ChannelName, Field::Distribution, Field::Capacity, Field::TakeTime][..] } else { &[][..] }) />
            <h2>{tr(K::OpenChannels)}</h2>
            {channels.is_empty().then(|| view! { <p class="muted">{tr(K::NoChannels)}</p> })}
            <ul class="channels">
                {channels
                    .into_iter()
                    .map(|c| view! { <ChannelItem c=c slug=slug.clone() manage=manage members=members.clone() /> })
                    .collect_view()}
            </ul>
            {manage.then(|| {
                let action = format!("/a/{slug}/contact-center/channels");
                view! {
                    <h2>{tr(K::NewChannel)}</h2>
                    <form method="post" action=action class="row-form" novalidate=true>
                        <TextField id="channel_name" label=tr(K::LabelChannelName) maxlength=ChannelName::MAX_LEN
                            value=refill_value("channel_name") error=FormError::for_field(err, Field::ChannelName) />
                        <button type="submit">{tr(K::CreateChannel)}</button>
                    </form>
                }
            })}
        </section>
    }
}

fn distribution_text(d: Distribution) -> &'static str {
    match d {
        Distribution::All => tr(K::DistributionAll),
        Distribution::Even => tr(K::DistributionEven),
        Distribution::Strict => tr(K::DistributionStrict),
    }
}

/// A channel's queue settings: distribution mode and capacity per operator.
#[component]
fn QueueForm(c: ChannelView, base: String) -> impl IntoView {
    // Errors and typed values come back only for the channel they belong to.
    let mine = query_value("channel") == c.id.to_string();
    let errs = if mine { query_errors() } else { Vec::new() };
    let capacity = if mine && !refill_value("capacity").is_empty() {
        refill_value("capacity")
    } else {
        c.capacity.to_string()
    };
    let take = if mine && query_errors().iter().any(|e| e.field == Some(Field::TakeTime)) {
        refill_value("take_time")
    } else {
        c.take_seconds.to_string()
    };
    let take_id = format!("take-{}", c.id);
    let take_err = error_for(&errs, Field::TakeTime);
    let take_hint_id = format!("{take_id}-hint");
    let take_err_id = format!("{take_id}-error");
    let take_described = if take_err.is_some() {
        format!("{take_hint_id} {take_err_id}")
    } else {
        take_hint_id.clone()
    };
    let dist_id = format!("distribution-{}", c.id);
    let cap_id = format!("capacity-{}", c.id);
    let legend = format!("{} {}", tr(K::QueueOf), c.name);
    let dist_err = error_for(&errs, Field::Distribution);
    let cap_err = error_for(&errs, Field::Capacity);
    let cap_err_id = format!("{cap_id}-error");
    let dist_err_id = format!("{dist_id}-error");
    view! {
        <form method="post" action=format!("{base}/queue") novalidate=true>
            <fieldset class="queue">
                <legend>{legend}</legend>
                <div class="field" class:has-error=dist_err.is_some()>
                    <label for=dist_id.clone()>{tr(K::DistributionLabel)}</label>
                    <select id=dist_id name="distribution" aria-describedby=dist_err_id.clone()>
                        <option value="all" selected=c.distribution == Distribution::All>{tr(K::DistributionAll)}</option>
                        <option value="even" selected=c.distribution == Distribution::Even>{tr(K::DistributionEven)}</option>
                        <option value="strict" selected=c.distribution == Distribution::Strict>{tr(K::DistributionStrict)}</option>
                    </select>
                    {dist_err.map(|e| view! { <p class="error" id=dist_err_id.clone()>{e}</p> })}
                </div>
                <div class="field" class:has-error=cap_err.is_some()>
                    <label for=cap_id.clone()>{tr(K::CapacityLabel)}</label>
                    <input id=cap_id name="capacity" type="number" inputmode="numeric" value=capacity
                        aria-invalid=cap_err.is_some().to_string() aria-describedby=cap_err_id.clone() />
                    {cap_err.map(|e| view! { <p class="error" id=cap_err_id.clone()>{e}</p> })}
                </div>
                <div class="field" class:has-error=take_err.is_some()>
                    <label for=take_id.clone()>{tr(K::TakeTimeLabel)}</label>
                    <input id=take_id name="take_time" type="number" inputmode="numeric" min="0" max="3600" value=take
                        aria-invalid=take_err.is_some().to_string() aria-describedby=take_described />
                    <p class="hint" id=take_hint_id>{tr(K::TakeTimeHint)}</p>
                    {take_err.map(|e| view! { <p class="error" id=take_err_id.clone()>{e}</p> })}
                </div>
            </fieldset>
            <button type="submit" class="small">{tr(K::SaveQueue)}</button>
        </form>
    }
}

/// The queue's order, with a Move up / Move down form per operator (plain forms).
#[component]
fn QueueOrder(c: ChannelView, base: String, members: Vec<MemberView>) -> impl IntoView {
    let n = c.operators.len();
    let heading_id = format!("order-{}", c.id);
    let action = format!("{base}/order");
    (n > 1).then(|| {
        view! {
            <section class="queue-order" aria-labelledby=heading_id.clone()>
                <h4 id=heading_id.clone()>{tr(K::QueueOrder)} " — " {c.name.clone()}</h4>
                <p class="hint">{tr(K::QueueOrderHint)}</p>
                <ol class="plain">
                    {c.operators
                        .iter()
                        .enumerate()
                        .map(|(i, u)| {
                            let name = members
                                .iter()
                                .find(|m| m.user_id == *u)
                                .map(|m| m.name.clone())
                                .unwrap_or_default();
                            let up = format!("{} {name}", tr(K::MoveUp));
                            let down = format!("{} {name}", tr(K::MoveDown));
                            let user = u.0.to_string();
                            view! {
                                <li>
                                    <span class="order-pos" aria-hidden="true">{i + 1} "."</span>
                                    <span class="order-name">{name.clone()}</span>
                                    <form method="post" action=action.clone() class="inline">
                                        <input type="hidden" name="user" value=user.clone() />
                                        <input type="hidden" name="dir" value="up" />
                                        <button type="submit" class="small secondary-btn" aria-label=up disabled=i == 0>"↑"</button>
                                    </form>
                                    <form method="post" action=action.clone() class="inline">
                                        <input type="hidden" name="user" value=user />
                                        <input type="hidden" name="dir" value="down" />
                                        <button type="submit" class="small secondary-btn" aria-label=down disabled=i + 1 == n>"↓"</button>
                                    </form>
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
            </section>
        }
    })
}

#[component]
fn ChannelItem(c: ChannelView, slug: String, manage: bool, members: Vec<MemberView>) -> impl IntoView {
    let base = format!("/a/{slug}/contact-center/channels/{}", c.id);
    let status = if c.active {
        tr(K::StatusActive)
    } else {
        tr(K::StatusInactive)
    };
    let network = match &c.network {
        Some(n) if n.connected => tr(K::StatusConnected),
        Some(_) => tr(K::StatusDisconnected),
        None => tr(K::NotConnected),
    };
    let names = c.operator_names.clone();
    let rename_id = format!("rename-{}", c.id);
    let rename_label = format!("{} {}", tr(K::RenameTo), c.name);
    let ops_legend = format!("{} {}", tr(K::OperatorsOf), c.name);
    view! {
        <li class="channel">
            <h3>{c.name.clone()}</h3>
            <p class="badges">
                <span class=if c.active { "role role-operator" } else { "role" }>{status}</span>
                " "
                <span class="role">{tr(K::NetworkLabel)} ": " {network}</span>
            </p>
            {if manage {
                view! {
                    <div class="channel-actions">
                        <form method="post" action=format!("{base}/rename") class="inline">
                            <label for=rename_id.clone() class="visually-hidden">{rename_label}</label>
                            <input id=rename_id name="channel_name" value=c.name.clone() maxlength=ChannelName::MAX_LEN.to_string() />
                            <button type="submit" class="small">{tr(K::Rename)}</button>
                        </form>
                        <form method="post" action=format!("{base}/active") class="inline">
                            <input type="hidden" name="active" value=if c.active { "0" } else { "1" } />
                            <button type="submit" class="small secondary-btn">
                                {if c.active { tr(K::Deactivate) } else { tr(K::Activate) }}
                            </button>
                        </form>
                    </div>
                    <form method="post" action=format!("{base}/operators")>
                        <fieldset class="operators">
                            <legend>{ops_legend}</legend>
                            {members
                                .iter()
                                .map(|m| {
                                    let id = format!("op-{}-{}", c.id, m.user_id);
                                    let for_id = id.clone();
                                    view! {
                                        <label for=for_id class="check">
                                            <input type="checkbox" id=id name="operator" value=m.user_id.to_string()
                                                checked=c.operators.contains(&m.user_id) />
                                            {m.name.clone()}
                                        </label>
                                    }
                                })
                                .collect_view()}
                        </fieldset>
                        <button type="submit" class="small">{tr(K::SaveOperators)}</button>
                    </form>
                    <QueueOrder c=c.clone() base=base.clone() members=members.clone() />
                    <QueueForm c=c.clone() base=base.clone() />
                }
                .into_any()
            } else {
                view! {
                    <p>
                        <strong>{tr(K::OperatorsTitle)} ": "</strong>
                        {if names.is_empty() { tr(K::NoOperators).to_string() } else { names.join(", ") }}
                    </p>
                    <p>
                        <strong>{tr(K::DistributionLabel)} ": "</strong>
                        {distribution_text(c.distribution)} " · "
                        {tr(K::CapacityLabel)} ": " {c.capacity} " · "
                        {tr(K::TakeTimeLabel)} ": "
                        {if c.take_seconds == 0 { tr(K::TakeTimeOff).to_string() } else { c.take_seconds.to_string() }}
                    </p>
                }
                .into_any()
            }}
        </li>
    }
}

#[component]
pub fn NetworkChannelsPage() -> impl IntoView {
    let slug = slug_param();
    let page = Resource::new(move || slug.get(), contact_center);
    view! {
        <Title text=tr(K::NetTitle) />
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) => view! { <NetworkChannels v=v /> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NetworkChannels(v: ContactCenterView) -> impl IntoView {
    let err = query_error();
    let ok = ok_message(&query_value("ok"));
    let slug = v.account.slug.clone();
    let manage = v.can_manage;
    let connected: Vec<(ChannelView, ConnectorSummary)> = v
        .channels
        .iter()
        .filter_map(|c| c.network.clone().map(|n| (c.clone(), n)))
        .collect();
    view! {
        <section class="card">
            <CcNav slug=slug.clone() account=v.account.name.clone() />
            <h1>{tr(K::NetTitle)}</h1>
            <p class="lead">{tr(K::NetIntro)}</p>
            <Notice ok=ok error=general_error(err, &[]) />
            {manage.then(|| view! {
                <p><a class="button" href=format!("/a/{slug}/contact-center/network/connect")>{tr(K::Connect)}</a></p>
            })}
            {if connected.is_empty() {
                view! { <p class="muted">{tr(K::NoConnections)}</p> }.into_any()
            } else {
                view! {
                    <table class="list">
                        <thead>
                            <tr>
                                <th scope="col">{tr(K::ColChannel)}</th>
                                <th scope="col">{tr(K::ColCode)}</th>
                                <th scope="col">{tr(K::ColStatus)}</th>
                                {manage.then(|| view! { <th scope="col">{tr(K::ColActions)}</th> })}
                            </tr>
                        </thead>
                        <tbody>
                            {connected
                                .into_iter()
                                .map(|(c, n)| {
                                    let settings = format!("/a/{slug}/contact-center/network/settings/{}", c.id);
                                    let connect = format!("/a/{slug}/contact-center/network/connect");
                                    view! {
                                        <tr>
                                            <td>{n.name.clone()} <span class="muted">" (" {c.name.clone()} ")"</span></td>
                                            <td><code>{n.code.clone()}</code></td>
                                            <td>{if n.connected { tr(K::StatusConnected) } else { tr(K::StatusDisconnected) }}</td>
                                            {manage.then(|| view! {
                                                <td>
                                                    {if n.connected {
                                                        let hours = format!("/a/{slug}/contact-center/network/hours/{}", c.id);
                                                        view! {
                                                            <a href=settings aria-label=format!("{} {}", tr(K::SettingsLink), n.name)>{tr(K::SettingsLink)}</a>
                                                            " · "
                                                            <a href=hours aria-label=format!("{} {}", tr(K::HoursLink), n.name)>{tr(K::HoursLink)}</a>
                                                        }.into_any()
                                                    } else {
                                                        view! {
                                                            <form method="post" action=connect class="inline">
                                                                <input type="hidden" name="channel" value=c.id.to_string() />
                                                                <button type="submit" class="small">{tr(K::Connect)}</button>
                                                            </form>
                                                        }
                                                        .into_any()
                                                    }}
                                                </td>
                                            })}
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
pub fn ConnectPage() -> impl IntoView {
    let slug = slug_param();
    let page = Resource::new(move || slug.get(), contact_center);
    view! {
        <Title text=tr(K::ConnectTitle) />
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) if v.can_manage => view! { <ConnectForm v=v /> }.into_any(),
                    Ok(_) => view! { <Forbidden /> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ConnectForm(v: ContactCenterView) -> impl IntoView {
    let err = query_error();
    let slug = v.account.slug.clone();
    let chosen = refill_value("channel");
    let free: Vec<ChannelView> = v
        .channels
        .into_iter()
        .filter(|c| !c.network.as_ref().map(|n| n.connected).unwrap_or(false))
        .collect();
    let new_checked = chosen == "new" || free.is_empty();
    let name_error = FormError::for_field(err, Field::ChannelName);
    let channel_error = FormError::for_field(err, Field::Channel);
    view! {
        <section class="card narrow">
            <CcNav slug=slug.clone() account=v.account.name.clone() />
            <h1>{tr(K::ConnectTitle)}</h1>
            <p class="lead">{tr(K::ConnectIntro)}</p>
            <Notice error=general_error(err, &[Field::ChannelName, Field::Channel]) />
            <form method="post" action=format!("/a/{slug}/contact-center/network/connect") novalidate=true>
                <fieldset class="choices" aria-describedby=channel_error.map(|_| "channel-error")>
                    <legend>{tr(K::ChooseChannel)}</legend>
                    {free
                        .iter()
                        .map(|c| {
                            let id = format!("channel-{}", c.id);
                            let for_id = id.clone();
                            let value = c.id.to_string();
                            let checked = chosen == value;
                            view! {
                                <label for=for_id class="check">
                                    <input type="radio" id=id name="channel" value=value checked=checked />
                                    {c.name.clone()}
                                    {(!c.active).then(|| view! { <span class="muted">" (" {tr(K::StatusInactive)} ")"</span> })}
                                </label>
                            }
                        })
                        .collect_view()}
                    <label for="channel-new" class="check">
                        <input type="radio" id="channel-new" name="channel" value="new" checked=new_checked />
                        {tr(K::CreateNewChannel)}
                    </label>
                    <TextField id="new_channel_name" label=tr(K::NewChannelName) maxlength=ChannelName::MAX_LEN
                        value=refill_value("new_channel_name") error=name_error />
                    {channel_error.map(|e| view! { <p class="error" id="channel-error">{e}</p> })}
                </fieldset>
                <button type="submit">{tr(K::Connect)}</button>
            </form>
        </section>
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let slug = slug_param();
    let id = id_param();
    let page = Resource::new(move || (slug.get(), id.get()), |(s, i)| connector_settings(s, i));
    view! {
        <Title text=tr(K::SettingsTitle) />
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) => view! { <SettingsForm v=v /> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
}

/// Chooses the value to show: what the user typed (after an error) or what is stored.
fn typed_or(key: &str, stored: &str, after_error: bool) -> String {
    if after_error {
        refill_value(key)
    } else {
        stored.to_string()
    }
}

#[component]
fn SettingsForm(v: ConnectorSettingsView) -> impl IntoView {
    let errors = query_errors();
    let after_error = !errors.is_empty() && has_refill();
    let ok = ok_message(&query_value("ok"));
    let slug = v.account.slug.clone();
    let general = errors
        .iter()
        .find(|e| e.field.is_none())
        .map(|e| tr(error_key(e.code)));
    let multi = if after_error {
        refill_value("multi_chat") == "1"
    } else {
        v.multi_chat
    };
    let limit = typed_or("chat_limit", &v.chat_limit.to_string(), after_error);
    let ask_rating = if after_error {
        refill_value("ask_rating") == "1"
    } else {
        v.ask_rating
    };
    let rest_messages = if after_error {
        refill_value("rest_messages") == "1"
    } else {
        v.rest_messages
    };
    let disconnect_href = format!("/a/{slug}/contact-center/network/disconnect/{}", v.channel_id);
    view! {
        <section class="card">
            <CcNav slug=slug.clone() account=v.account.name.clone() />
            <h1>{tr(K::SettingsTitle)}</h1>
            <p class="muted">
                {tr(K::ColChannel)} ": " {v.channel_name.clone()} " · "
                {if v.connected { tr(K::StatusConnected) } else { tr(K::StatusDisconnected) }}
            </p>
            <Notice ok=ok error=if errors.is_empty() { None } else { general.or(Some(tr(K::FormHasErrors))) } />
            <form
                method="post"
                action=format!("/a/{slug}/contact-center/network/settings/{}", v.channel_id)
                enctype="multipart/form-data"
                class="settings-form"
                novalidate=true
            >
                <TextField id="name" label=tr(K::LabelDisplayName) maxlength=ChannelName::MAX_LEN
                    value=typed_or("name", &v.name, after_error) hint=Some(tr(K::DisplayNameHint))
                    error=error_for(&errors, Field::ChannelName) />
                <div class="field">
                    <label for="code">{tr(K::LabelCode)}</label>
                    <input id="code" type="text" readonly=true value=v.code.clone() aria-describedby="code-hint" class="mono" />
                    <p class="hint" id="code-hint">{tr(K::CodeHint)}</p>
                </div>
                <CopyField link=v.link.clone() />
                <TextArea id="description" label=tr(K::LabelDescription) maxlength=DESCRIPTION_MAX rows=2
                    value=typed_or("description", &v.description, after_error)
                    error=error_for(&errors, Field::Description) />
                <TextArea id="welcome_message" label=tr(K::LabelWelcome) maxlength=WELCOME_MAX rows=4
                    value=typed_or("welcome_message", &v.welcome_message, after_error)
                    hint=Some(tr(K::WelcomeHint)) error=error_for(&errors, Field::WelcomeMessage) />
                <AvatarField current=v.avatar_url.clone() error=error_for(&errors, Field::Avatar) />
                <div class="field switch-field">
                    <label for="multi_chat" class="check">
                        <input type="checkbox" role="switch" id="multi_chat" name="multi_chat" value="1" checked=multi
                            aria-describedby="multi_chat-hint" />
                        {tr(K::LabelMultiChat)}
                    </label>
                    <p class="hint" id="multi_chat-hint">{tr(K::MultiChatHint)}</p>
                </div>
                <div class="limit-field">
                    <TextField id="chat_limit" label=tr(K::LabelLimit) kind="number" value=limit
                        hint=Some(tr(K::LimitHint)) error=error_for(&errors, Field::ChatLimit) />
                    <span class="visually-hidden">{ChatLimit::MIN} "–" {ChatLimit::MAX}</span>
                </div>
                <div class="field switch-field">
                    <label for="ask_rating" class="check">
                        <input type="checkbox" role="switch" id="ask_rating" name="ask_rating" value="1" checked=ask_rating
                            aria-describedby="ask_rating-hint" />
                        {tr(K::AskRatingLabel)}
                    </label>
                    <p class="hint" id="ask_rating-hint">{tr(K::AskRatingHint)}</p>
                </div>
                <div class="field switch-field">
                    <input type="hidden" name="rest_messages_shown" value="1" />
                    <label for="rest_messages" class="check">
                        <input type="checkbox" role="switch" id="rest_messages" name="rest_messages" value="1" checked=rest_messages
                            aria-describedby="rest_messages-hint" />
                        {tr(K::RestMessagesLabel)}
                    </label>
                    <p class="hint" id="rest_messages-hint">{tr(K::RestMessagesHint)}</p>
                </div>
                <p class="hint">
                    <a href=format!("/a/{slug}/contact-center/network/hours/{}", v.channel_id)>{tr(K::HoursTitle)}</a>
                </p>
                <div class="form-actions">
                    <button type="submit">{tr(K::Save)}</button>
                    {v.connected.then(|| view! { <a class="button danger-link" href=disconnect_href>{tr(K::Disconnect)}</a> })}
                </div>
            </form>
        </section>
    }
}

/// The read-only link with a Copy button that confirms "Copied".
#[component]
fn CopyField(link: String) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let copied_text = tr(K::Copied);
    let to_copy = link.clone();
    let on_copy = move |_| {
        let _ = (&to_copy, set_copied);
        #[cfg(feature = "hydrate")]
        {
            let text = to_copy.clone();
            leptos::task::spawn_local(async move {
                if let Some(w) = web_sys::window() {
                    let promise = w.navigator().clipboard().write_text(&text);
                    if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                        set_copied.set(true);
                    }
                }
            });
        }
    };
    view! {
        <div class="field">
            <label for="link">{tr(K::LabelLink)}</label>
            <div class="copy-row">
                <input id="link" type="text" readonly=true value=link aria-describedby="link-hint" class="mono" />
                <button type="button" class="secondary-btn" on:click=on_copy>{tr(K::Copy)}</button>
                <span role="status" class="copied">{move || copied.get().then_some(copied_text)}</span>
            </div>
            <p class="hint" id="link-hint">{tr(K::LinkHint)}</p>
        </div>
    }
}

/// Avatar upload with a live preview; a non-square picture gets a warning and the
/// offer to crop it to its centre square (done on the server).
#[component]
fn AvatarField(current: Option<String>, error: Option<&'static str>) -> impl IntoView {
    let (preview, set_preview) = signal(None::<String>);
    let (not_square, set_not_square) = signal(false);
    let (crop, set_crop) = signal(true);
    let has_current = current.is_some();
    let shown = move || preview.get().or_else(|| current.clone());
    let on_file = move |ev: leptos::ev::Event| {
        let _ = (&ev, set_preview, set_not_square);
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
            let file = input.and_then(|i| i.files()).and_then(|f| f.get(0));
            set_not_square.set(false);
            set_preview.set(file.and_then(|f| web_sys::Url::create_object_url_with_blob(&f).ok()));
        }
    };
    let on_load = move |ev: leptos::ev::Event| {
        let _ = &ev;
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if preview.get_untracked().is_some() {
                if let Some(img) = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlImageElement>().ok())
                {
                    set_not_square.set(img.natural_width() != img.natural_height());
                }
            }
        }
    };
    let error_id = "avatar-error";
    view! {
        <div class="field" class:has-error=error.is_some()>
            <label for="avatar">{tr(K::LabelAvatar)}</label>
            <div class="avatar-row">
                <div class="avatar-preview" class:cropped=move || crop.get()>
                    {move || shown().map(|src| view! { <img src=src alt=tr(K::AvatarPreview) on:load=on_load /> })}
                </div>
                <div>
                    <input
                        id="avatar"
                        name="avatar"
                        type="file"
                        accept="image/png,image/jpeg"
                        aria-describedby=if error.is_some() { "avatar-hint avatar-error" } else { "avatar-hint" }
                        aria-invalid=if error.is_some() { "true" } else { "false" }
                        on:change=on_file
                    />
                    <p class="hint" id="avatar-hint">{tr(K::AvatarHint)}</p>
                    {move || not_square.get().then(|| view! {
                        <p class="warning" role="status">{tr(K::AvatarNotSquare)}</p>
                        <label for="avatar_crop" class="check">
                            <input type="checkbox" id="avatar_crop" name="avatar_crop" value="1"
                                prop:checked=move || crop.get()
                                on:change=move |ev| set_crop.set(event_target_checked(&ev)) />
                            {tr(K::CropToSquare)}
                        </label>
                    })}
                    {has_current.then(|| view! {
                        <label for="avatar_remove" class="check">
                            <input type="checkbox" id="avatar_remove" name="avatar_remove" value="1" />
                            {tr(K::RemoveAvatar)}
                        </label>
                    })}
                    {error.map(|e| view! { <p class="error" id=error_id>{e}</p> })}
                </div>
            </div>
        </div>
    }
}

#[component]
pub fn DisconnectPage() -> impl IntoView {
    let slug = slug_param();
    let id = id_param();
    let page = Resource::new(move || (slug.get(), id.get()), |(s, i)| connector_settings(s, i));
    view! {
        <Title text=tr(K::DisconnectTitle) />
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) => {
                        let slug = v.account.slug.clone();
                        let action = format!("/a/{slug}/contact-center/network/disconnect/{}", v.channel_id);
                        let back = format!("/a/{slug}/contact-center/network/settings/{}", v.channel_id);
                        view! {
                            <section class="card narrow">
                                <h1>{tr(K::DisconnectTitle)}</h1>
                                <p><strong>{v.name.clone()}</strong></p>
                                <p>{tr(K::DisconnectText)}</p>
                                <form method="post" action=action class="form-actions">
                                    <button type="submit" class="danger-solid">{tr(K::DisconnectConfirm)}</button>
                                    <a class="button secondary" href=back>{tr(K::Cancel)}</a>
                                </form>
                            </section>
                        }
                        .into_any()
                    }
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn QuickAnswersPage() -> impl IntoView {
    let slug = slug_param();
    let page = Resource::new(move || slug.get(), quick_answers_page);
    view! {
        <Title text=tr(K::QaTitle) />
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) => view! { <QuickAnswers v=v /> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
}

/// The title and text fields of one quick answer form; `key` keeps the ids unique.
#[component]
fn QaFields(key: String, title: String, body: String, err: Option<FormError>) -> impl IntoView {
    let title_id = format!("qa-title-{key}");
    let body_id = format!("qa-body-{key}");
    let title_err = FormError::for_field(err, Field::Title);
    let body_err = FormError::for_field(err, Field::Body);
    let title_err_id = format!("{title_id}-error");
    let body_err_id = format!("{body_id}-error");
    view! {
        <div class="field" class:has-error=title_err.is_some()>
            <label for=title_id.clone()>{tr(K::QaLabelTitle)}</label>
            <input id=title_id name="title" value=title required=true maxlength=QuickAnswerTitle::MAX_LEN.to_string()
                aria-invalid=title_err.is_some().to_string()
                aria-describedby=title_err.map(|_| title_err_id.clone()) />
            {title_err.map(|e| view! { <p class="error" id=title_err_id.clone()>{e}</p> })}
        </div>
        <div class="field" class:has-error=body_err.is_some()>
            <label for=body_id.clone()>{tr(K::QaLabelText)}</label>
            <textarea id=body_id name="body" rows="4" required=true maxlength=MessageBody::MAX_LEN.to_string()
                aria-invalid=body_err.is_some().to_string()
                aria-describedby=body_err.map(|_| body_err_id.clone())
                inner_html=textarea_html(&body)></textarea>
            {body_err.map(|e| view! { <p class="error" id=body_err_id.clone()>{e}</p> })}
        </div>
    }
}

#[component]
fn QuickAnswers(v: QuickAnswersView) -> impl IntoView {
    let err = query_error();
    let ok = ok_message(&query_value("ok"));
    let slug = v.account.slug.clone();
    let manage = v.can_manage;
    // An error of an edit form comes back with `edit=ID`; of the new-answer form without.
    let editing: Option<i64> = query_value("edit").parse().ok();
    let new_err = if editing.is_none() { err } else { None };
    let shown = if manage {
        &[Field::Title, Field::Body][..]
    } else {
        &[][..]
    };
    let base = format!("/a/{slug}/contact-center/quick-answers");
    let items = v.items.clone();
    view! {
        <section class="card">
            <CcNav slug=slug.clone() account=v.account.name.clone() />
            <h1>{tr(K::QaTitle)}</h1>
            <p class="lead">{tr(K::QaIntro)}</p>
            <p class="muted small">
                {tr(K::QaPlaceholders)} " "
                {PLACEHOLDERS.iter().map(|p| view! { <code>{*p}</code> " " }).collect_view()}
            </p>
            <Notice ok=ok error=general_error(err, shown) />
            {(!manage).then(|| view! { <p class="muted">{tr(K::QaReadOnly)}</p> })}
            {items.is_empty().then(|| view! { <p class="muted">{tr(K::QaNone)}</p> })}
            <ul class="quick-answers">
                {items
                    .into_iter()
                    .map(|q| {
                        let err = if editing == Some(q.id) { err } else { None };
                        view! { <QaItem q=q base=base.clone() manage=manage err=err /> }
                    })
                    .collect_view()}
            </ul>
            {manage.then(|| {
                let (title, body) = if new_err.is_some() {
                    (refill_value("title"), refill_value("body"))
                } else {
                    (String::new(), String::new())
                };
                view! {
                    <h2>{tr(K::QaNew)}</h2>
                    <form method="post" action=format!("{base}/add") class="qa-form" novalidate=true>
                        <QaFields key="new".to_string() title=title body=body err=new_err />
                        <button type="submit">{tr(K::QaAdd)}</button>
                    </form>
                }
            })}
        </section>
    }
}

#[component]
fn QaItem(q: QuickAnswerView, base: String, manage: bool, err: Option<FormError>) -> impl IntoView {
    let action = format!("{base}/{}", q.id);
    let edit_label = format!("{} {}", tr(K::QaEdit), q.title);
    let delete_label = format!("{} {}", tr(K::QaDelete), q.title);
    // After a refused edit the form opens again with what was typed.
    let (title, body) = if err.is_some() {
        (refill_value("title"), refill_value("body"))
    } else {
        (q.title.clone(), q.body.clone())
    };
    view! {
        <li class="quick-answer">
            <h3 dir="auto">{q.title.clone()}</h3>
            <p class="qa-text" dir="auto">{q.body.clone()}</p>
            {manage.then(|| view! {
                <details class="qa-edit" open=err.is_some()>
                    <summary aria-label=edit_label>{tr(K::QaEdit)}</summary>
                    <form method="post" action=action.clone() class="qa-form" novalidate=true>
                        <QaFields key=q.id.to_string() title=title body=body err=err />
                        <button type="submit" class="small">{tr(K::QaSave)}</button>
                    </form>
                </details>
                <form method="post" action=format!("{action}/delete") class="inline">
                    <button type="submit" class="small secondary-btn" aria-label=delete_label>{tr(K::QaDelete)}</button>
                </form>
            })}
        </li>
    }
}

#[component]
pub fn HoursPage() -> impl IntoView {
    let slug = slug_param();
    let id = id_param();
    let page = Resource::new(
        move || (slug.get(), id.get()),
        |(s, i)| crate::api::channels::hours_settings(s, i),
    );
    view! {
        <Title text=tr(K::HoursTitle) />
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) => view! { <HoursForm v=v /> }.into_any(),
                    Err(e) => error_view(e),
                }
            })}
        </Suspense>
    }
}

pub(crate) const DAY_NAMES: [K; 7] = [
    K::DayMon,
    K::DayTue,
    K::DayWed,
    K::DayThu,
    K::DayFri,
    K::DaySat,
    K::DaySun,
];

#[component]
fn HoursForm(v: crate::api::HoursSettingsView) -> impl IntoView {
    use crate::domain::hours::{format_time, AUTO_TEXT_MAX, DAY_FIELDS, DAY_KEYS};
    let errors = query_errors();
    let typed = has_refill();
    let ok = ok_message(&query_value("ok"));
    let slug = v.account.slug.clone();
    let general = errors
        .iter()
        .find(|e| e.field.is_none())
        .map(|e| tr(error_key(e.code)));
    let h = v.hours.clone();
    let val = |key: &str, stored: String| if typed { refill_value(key) } else { stored };
    let flag = |key: &str, stored: bool| if typed { refill_value(key) == "1" } else { stored };
    let hours_on = flag("hours_on", h.enabled);
    let tz = val("time_zone", h.time_zone.clone());
    let queue = val("offline_queue", h.offline_queue.as_str().to_string());
    let minutes = |n: u32| if n == 0 { String::new() } else { n.to_string() };
    let status = v
        .availability
        .as_ref()
        .map(|a| if a.open { tr(K::OpenNow) } else { tr(K::OfflineNow) });
    let days = (0..7)
        .map(|i| {
            let key = DAY_KEYS[i];
            let stored = h.week[i];
            let open = flag(&format!("{key}_open"), stored.is_some());
            let from = val(&format!("{key}_from"), stored.map(|s| format_time(s.from)).unwrap_or_default());
            let to = val(&format!("{key}_to"), stored.map(|s| format_time(s.to)).unwrap_or_default());
            let err = error_for(&errors, DAY_FIELDS[i]);
            let name = tr(DAY_NAMES[i]);
            let (open_id, from_id, to_id, err_id) =
                (format!("{key}_open"), format!("{key}_from"), format!("{key}_to"), format!("{key}-error"));
            let (open_for, open_name, from_for, from_name, to_for, to_name, err_ref) = (
                open_id.clone(),
                open_id.clone(),
                from_id.clone(),
                from_id.clone(),
                to_id.clone(),
                to_id.clone(),
                err_id.clone(),
            );
            view! {
                <tr class:has-error=err.is_some()>
                    <th scope="row">
                        <label for=open_for class="check">
                            <input type="checkbox" id=open_id name=open_name value="1" checked=open
                                aria-describedby=err.map(|_| err_ref) />
                            {name}
                        </label>
                    </th>
                    <td>
                        <label for=from_for class="visually-hidden">{format!("{name}: {}", tr(K::HoursFrom))}</label>
                        <input id=from_id name=from_name type="text" inputmode="numeric" value=from placeholder="09:00"
                            maxlength="5" size="5" aria-invalid=if err.is_some() { "true" } else { "false" } />
                    </td>
                    <td>
                        <label for=to_for class="visually-hidden">{format!("{name}: {}", tr(K::HoursTo))}</label>
                        <input id=to_id name=to_name type="text" inputmode="numeric" value=to placeholder="17:00"
                            maxlength="5" size="5" aria-invalid=if err.is_some() { "true" } else { "false" } />
                    </td>
                    <td>{err.map(|e| view! { <p class="error" id=err_id>{e}</p> })}</td>
                </tr>
            }
        })
        .collect_view();
    let zones = v
        .time_zones
        .iter()
        .map(|z| {
            let selected = *z == tz;
            view! { <option value=z.clone() selected=selected>{z.clone()}</option> }
        })
        .collect_view();
    let tz_error = error_for(&errors, Field::TimeZone);
    let schedule_error = error_for(&errors, Field::Schedule);
    let queue_error = error_for(&errors, Field::OfflineQueue);
    let settings_href = format!("/a/{slug}/contact-center/network/settings/{}", v.channel_id);
    view! {
        <section class="card">
            <CcNav slug=slug.clone() account=v.account.name.clone() />
            <h1>{tr(K::HoursTitle)}</h1>
            <p class="muted">
                {tr(K::ColChannel)} ": " {v.connector_name.clone()} " (" {v.channel_name.clone()} ")"
                {status.map(|s| view! { " · " <strong>{s}</strong> })}
            </p>
            <Notice ok=ok error=if errors.is_empty() { None } else { general.or(Some(tr(K::FormHasErrors))) } />
            <form method="post" action=format!("/a/{slug}/contact-center/network/hours/{}", v.channel_id)
                class="settings-form" novalidate=true>
                <fieldset>
                    <legend>{tr(K::HoursLegend)}</legend>
                    <div class="field switch-field">
                        <label for="hours_on" class="check">
                            <input type="checkbox" role="switch" id="hours_on" name="hours_on" value="1" checked=hours_on
                                aria-describedby="hours_on-hint" />
                            {tr(K::HoursOnLabel)}
                        </label>
                        <p class="hint" id="hours_on-hint">{tr(K::HoursOnHint)}</p>
                    </div>
                    <div class="field" class:has-error=tz_error.is_some()>
                        <label for="time_zone">{tr(K::TimeZoneLabel)}</label>
                        <select id="time_zone" name="time_zone"
                            aria-describedby=if tz_error.is_some() { "time_zone-error" } else { "time_zone-hint" }>
                            {(!v.time_zones.contains(&tz)).then(|| view! { <option value=tz.clone() selected=true>{tz.clone()}</option> })}
                            {zones}
                        </select>
                        <p class="hint" id="time_zone-hint">{tr(K::TimeZoneHint)}</p>
                        {tz_error.map(|e| view! { <p class="error" id="time_zone-error">{e}</p> })}
                    </div>
                    <table class="week" aria-describedby="week-hint">
                        <caption>{tr(K::WeekCaption)}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{tr(K::WeekDay)}</th>
                                <th scope="col">{tr(K::HoursFrom)}</th>
                                <th scope="col">{tr(K::HoursTo)}</th>
                                <th scope="col"><span class="visually-hidden">{tr(K::ColStatus)}</span></th>
                            </tr>
                        </thead>
                        <tbody>{days}</tbody>
                    </table>
                    <p class="hint" id="week-hint">{tr(K::WeekHint)}</p>
                    {schedule_error.map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <TextArea id="holidays" label=tr(K::HolidaysLabel) rows=3
                        value=val("holidays", h.holidays.iter().map(|d| d.iso()).collect::<Vec<_>>().join("\n"))
                        hint=Some(tr(K::HolidaysHint)) error=error_for(&errors, Field::Holidays) />
                    <TextArea id="offline_message" label=tr(K::OfflineMessageLabel) rows=3 maxlength=AUTO_TEXT_MAX
                        value=val("offline_message", h.offline_message.clone())
                        hint=Some(tr(K::OfflineMessageHint)) error=error_for(&errors, Field::OfflineMessage) />
                    <fieldset class="choices" aria-describedby=queue_error.map(|_| "offline_queue-error")>
                        <legend>{tr(K::OfflineQueueLegend)}</legend>
                        <label for="offline_queue-wait" class="check">
                            <input type="radio" id="offline_queue-wait" name="offline_queue" value="wait" checked=queue != "accept" />
                            {tr(K::OfflineQueueWait)}
                        </label>
                        <label for="offline_queue-accept" class="check">
                            <input type="radio" id="offline_queue-accept" name="offline_queue" value="accept" checked=queue == "accept" />
                            {tr(K::OfflineQueueAccept)}
                        </label>
                        {queue_error.map(|e| view! { <p class="error" id="offline_queue-error">{e}</p> })}
                    </fieldset>
                </fieldset>
                <fieldset>
                    <legend>{tr(K::AutoLegend)}</legend>
                    <TextField id="no_answer_minutes" label=tr(K::NoAnswerMinutesLabel) required=false
                        value=val("no_answer_minutes", minutes(h.no_answer_minutes)) placeholder="0" inputmode="numeric"
                        hint=Some(tr(K::MinutesHint)) error=error_for(&errors, Field::NoAnswerMinutes) />
                    <TextArea id="no_answer_message" label=tr(K::NoAnswerMessageLabel) rows=2 maxlength=AUTO_TEXT_MAX
                        value=val("no_answer_message", h.no_answer_message.clone())
                        hint=Some(tr(K::NoAnswerMessageHint)) error=error_for(&errors, Field::NoAnswerMessage) />
                    <TextField id="auto_close_minutes" label=tr(K::AutoCloseMinutesLabel) required=false
                        value=val("auto_close_minutes", minutes(h.auto_close_minutes)) placeholder="0" inputmode="numeric"
                        hint=Some(tr(K::MinutesHint)) error=error_for(&errors, Field::AutoCloseMinutes) />
                    <TextArea id="auto_close_message" label=tr(K::AutoCloseMessageLabel) rows=2 maxlength=AUTO_TEXT_MAX
                        value=val("auto_close_message", h.auto_close_message.clone())
                        hint=Some(tr(K::AutoCloseMessageHint)) error=error_for(&errors, Field::AutoCloseMessage) />
                    <p class="hint">
                        {tr(K::AskRatingLabel)} ": "
                        <strong>{if v.ask_rating { tr(K::StateOn) } else { tr(K::StateOff) }}</strong>
                        " · " <a href=settings_href>{tr(K::ChangeInSettings)}</a>
                    </p>
                </fieldset>
                <div class="form-actions">
                    <button type="submit">{tr(K::Save)}</button>
                </div>
            </form>
        </section>
    }
}
