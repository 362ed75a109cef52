//! The Network channels list and the connect form.

use super::*;

#[component]
pub fn NetworkChannelsPage() -> impl IntoView {
    let slug = slug_param();
    let page = Resource::new(move || slug.get(), contact_center);
    view! {
        <Title text=tr(K::NetTitle) />
        <PageLoad page=page ok=|v| view! { <NetworkChannels v=v /> }.into_any() />
    }
}

#[component]
pub(super) fn NetworkChannels(v: ContactCenterView) -> impl IntoView {
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
        <PageLoad
            page=page
            ok=|v| {
                if v.can_manage {
                    view! { <ConnectForm v=v /> }.into_any()
                } else {
                    view! { <Forbidden /> }.into_any()
                }
            }
        />
    }
}

#[component]
pub(super) fn ConnectForm(v: ContactCenterView) -> impl IntoView {
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
