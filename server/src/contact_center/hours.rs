//! The working-hours form endpoint.

use super::*;

pub(super) fn hours_page(slug: &str, id: i64) -> String {
    format!("/a/{slug}/contact-center/network/hours/{id}")
}

/// The working-hours form's fields that are kept (re-filled after an error).
pub(super) fn hours_raw(pairs: &[(String, String)]) -> app::domain::hours::RawHours {
    use app::domain::hours::{RawHours, DAY_KEYS};
    let mut raw = RawHours::default();
    let on = |v: &str| !v.is_empty() && v != "0" && v != "off";
    for (k, v) in pairs {
        match k.as_str() {
            "hours_on" => raw.enabled = on(v),
            "time_zone" => raw.time_zone = v.clone(),
            "holidays" => raw.holidays = v.clone(),
            "offline_message" => raw.offline_message = v.clone(),
            "offline_queue" => raw.offline_queue = v.clone(),
            "no_answer_minutes" => raw.no_answer_minutes = v.clone(),
            "no_answer_message" => raw.no_answer_message = v.clone(),
            "auto_close_minutes" => raw.auto_close_minutes = v.clone(),
            "auto_close_message" => raw.auto_close_message = v.clone(),
            _ => {
                let Some((day, part)) = k.split_once('_') else {
                    continue;
                };
                let Some(i) = DAY_KEYS.iter().position(|d| *d == day) else {
                    continue;
                };
                match part {
                    "open" => raw.days[i].0 = on(v),
                    "from" => raw.days[i].1 = v.clone(),
                    "to" => raw.days[i].2 = v.clone(),
                    _ => {}
                }
            }
        }
    }
    raw
}

/// `POST /a/{slug}/contact-center/network/hours/{id}`: working hours and automatic
/// messages. Every field is checked and every error reported with what was typed;
/// when any is invalid nothing is saved.
pub async fn save_hours(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let page = hours_page(actor.slug.as_str(), id);
    if let Err(e) = actor.require_admin() {
        return back_with_error(&page, &e, &[]);
    }
    // Only the form's own fields, each once: nothing else is echoed back.
    let raw = hours_raw(&pairs);
    match app::domain::hours::Hours::parse(&raw) {
        Ok(h) => match app::backend::services::hours::save(
            &state.db,
            state.hub.as_ref(),
            &actor,
            ChannelId(id),
            &h,
        )
        .await
        {
            Ok(()) => {
                tracing::info!(
                    account_id = actor.account.0,
                    channel_id = id,
                    "working hours saved"
                );
                see_other(&with_query(&page, &[("ok", "hours_saved")]), None)
            }
            Err(e) => back_with_error(&page, &e, &[]),
        },
        Err(errs) => {
            let joined = errors_param(&errs);
            let mut keep: Vec<(String, String)> = Vec::new();
            let flag = |b: bool| if b { "1".to_string() } else { "0".to_string() };
            keep.push(("hours_on".into(), flag(raw.enabled)));
            keep.push(("time_zone".into(), raw.time_zone.clone()));
            for (i, d) in app::domain::hours::DAY_KEYS.iter().enumerate() {
                keep.push((format!("{d}_open"), flag(raw.days[i].0)));
                keep.push((format!("{d}_from"), raw.days[i].1.clone()));
                keep.push((format!("{d}_to"), raw.days[i].2.clone()));
            }
            for (k, v) in [
                ("holidays", &raw.holidays),
                ("offline_message", &raw.offline_message),
                ("offline_queue", &raw.offline_queue),
                ("no_answer_minutes", &raw.no_answer_minutes),
                ("no_answer_message", &raw.no_answer_message),
                ("auto_close_minutes", &raw.auto_close_minutes),
                ("auto_close_message", &raw.auto_close_message),
            ] {
                keep.push((k.into(), v.clone()));
            }
            let refs: Vec<(&str, &str)> = keep.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            back_to(&page, &[("errors", &joined)], &refs)
        }
    }
}
