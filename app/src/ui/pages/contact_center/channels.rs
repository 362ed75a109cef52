//! The Contact Center's first page: the account's open channels, their queues (distribution, capacity, order) and operators.

use super::*;

#[component]
pub fn ContactCenterPage() -> impl IntoView {
    let slug = slug_param();
    let page = Resource::new(move || slug.get(), contact_center);
    view! {
        <Title text=tr(K::CcTitle) />
        <PageLoad page=page ok=|v| view! { <ContactCenter v=v /> }.into_any() />
    }
}

#[component]
pub(super) fn ContactCenter(v: ContactCenterView) -> impl IntoView {
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

pub(super) fn distribution_text(d: Distribution) -> &'static str {
    match d {
        Distribution::All => tr(K::DistributionAll),
        Distribution::Even => tr(K::DistributionEven),
        Distribution::Strict => tr(K::DistributionStrict),
    }
}

/// A channel's queue settings: distribution mode and capacity per operator.
#[component]
pub(super) fn QueueForm(c: ChannelView, base: String) -> impl IntoView {
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
pub(super) fn QueueOrder(c: ChannelView, base: String, members: Vec<MemberView>) -> impl IntoView {
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
pub(super) fn ChannelItem(
    c: ChannelView,
    slug: String,
    manage: bool,
    members: Vec<MemberView>,
) -> impl IntoView {
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
