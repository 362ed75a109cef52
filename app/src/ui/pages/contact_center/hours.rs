//! A channel's working hours and automatic messages.

use super::*;

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
        <PageLoad page=page ok=|v| view! { <HoursForm v=v /> }.into_any() />
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
pub(super) fn HoursForm(v: crate::api::HoursSettingsView) -> impl IntoView {
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
