//! Dates and times as people read them: in their own time zone, with "5 min ago" in
//! lists. The server cannot know the viewer's zone, so it renders UTC with the date; once
//! the page is hydrated the [`Clock`] starts and every time shown is drawn again in the
//! browser's zone (hydration itself must match the server's text). Formatting is plain
//! functions of (instant, now, offset, language), tested below.

use crate::i18n::Lang;
use leptos::prelude::*;

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

/// "Now" in the browser, renewed every 30 s; `None` on the server and until hydrated.
#[derive(Clone, Copy)]
pub struct Clock(pub RwSignal<Option<i64>>);

/// The viewer's time zone as the server knows it (the browser's cookie, else the
/// profile's): times rendered on the server are in it.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct ViewerZone(pub jiff::tz::TimeZone);

/// Name of the cookie with the browser's time zone.
pub const ZONE_COOKIE: &str = "netlines_tz";

/// Puts the clock into context and, in the browser, starts it after hydration (and
/// tells the server the browser's zone, for the pages it renders next).
pub fn provide_clock() {
    let now = RwSignal::new(None::<i64>);
    provide_context(Clock(now));
    #[cfg(feature = "ssr")]
    {
        let from_cookie = use_context::<http::request::Parts>()
            .and_then(|p| crate::backend::http_util::cookie(&p.headers, ZONE_COOKIE));
        let zone = from_cookie
            .or_else(|| crate::ui::session_user().and_then(|u| u.time_zone))
            .filter(|z| crate::domain::hours::known_time_zone(z))
            .and_then(|z| jiff::tz::TimeZone::get(&z).ok());
        if let Some(z) = zone {
            provide_context(ViewerZone(z));
        }
    }
    #[cfg(feature = "hydrate")]
    Effect::new(move |started: Option<()>| {
        if started.is_none() {
            remember_zone();
            now.set(Some(js_sys::Date::now() as i64));
            // Lives as long as the page (the clock belongs to the app's root).
            let _ = set_interval_with_handle(
                move || now.set(Some(js_sys::Date::now() as i64)),
                std::time::Duration::from_secs(30),
            );
        }
    });
}

/// "Now" for a time shown by a component: `None` until that component is hydrated (its
/// text must equal the server's first), then the browser's clock, renewed by [`Clock`].
/// Each component waits for its own mount: a page part hydrated later than the root
/// would otherwise keep the server's text (hydration does not rewrite text it claims).
pub(crate) fn component_now() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let clock = use_context::<Clock>().map(|c| c.0);
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    move || {
        if !mounted.get() {
            return None;
        }
        clock.and_then(|c| c.get()).or_else(browser_now)
    }
}

/// Stores the browser's IANA zone in a cookie (a year; not secret, read by the server).
#[cfg(feature = "hydrate")]
fn remember_zone() {
    let opts =
        js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
    let Some(zone) = js_sys::Reflect::get(&opts, &"timeZone".into())
        .ok()
        .and_then(|z| z.as_string())
    else {
        return;
    };
    if zone.is_empty()
        || zone.len() > 64
        || !zone
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
    {
        return;
    }
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        let cookie = format!("{ZONE_COOKIE}={zone}; Path=/; Max-Age=31536000; SameSite=Lax");
        let _ = js_sys::Reflect::set(&doc, &"cookie".into(), &cookie.into());
    }
}

fn browser_now() -> Option<i64> {
    #[cfg(feature = "hydrate")]
    {
        Some(js_sys::Date::now() as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// The viewer's offset from UTC at instant `ms`, in minutes east (e.g. +60 in Warsaw in
/// winter): the browser's; on the server the [`ViewerZone`]'s, else 0 (UTC).
pub fn offset_at(_ms: i64) -> i64 {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(_ms as f64));
        -(d.get_timezone_offset() as i64)
    }
    #[cfg(all(feature = "ssr", not(feature = "hydrate")))]
    {
        use_context::<ViewerZone>()
            .and_then(|z| {
                jiff::Timestamp::from_millisecond(_ms)
                    .ok()
                    .map(|t| z.0.to_offset(t).seconds() as i64 / 60)
            })
            .unwrap_or(0)
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        0
    }
}

/// " UTC", " UTC+01:00", " UTC-03:30": the zone a time without a clock is shown in.
fn offset_label(offset_min: i64) -> String {
    if offset_min == 0 {
        return " UTC".into();
    }
    let sign = if offset_min > 0 { '+' } else { '-' };
    let a = offset_min.abs();
    format!(" UTC{sign}{:02}:{:02}", a / 60, a % 60)
}

/// (year, month 1–12, day) of a day count since 1970-01-01 (proleptic Gregorian).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn month_name(lang: Lang, m: u32) -> &'static str {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // Genitive abbreviations, as Polish writes dates ("3 gru").
    const PL: [&str; 12] = [
        "sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru",
    ];
    let i = (m.clamp(1, 12) - 1) as usize;
    match lang {
        Lang::En => EN[i],
        Lang::Pl => PL[i],
    }
}

/// Local wall time of `ms` at `offset_min`: (day number, hour, minute).
fn local(ms: i64, offset_min: i64) -> (i64, i64, i64) {
    let t = ms + offset_min * MINUTE;
    let day = t.div_euclid(DAY);
    let in_day = t.rem_euclid(DAY) / MINUTE;
    (day, in_day / 60, in_day % 60)
}

fn date(lang: Lang, day: i64, with_year: bool) -> String {
    let (y, m, d) = civil(day);
    if with_year {
        format!("{d} {} {y}", month_name(lang, m))
    } else {
        format!("{d} {}", month_name(lang, m))
    }
}

/// A message's time: "14:05" today, "3 Dec 14:05" earlier this year, "3 Dec 2025
/// 14:05" before; without a clock (server, hydration) the date and time in UTC.
pub fn message_time(lang: Lang, ms: i64, now: Option<i64>, offset_min: i64) -> String {
    let (day, h, mi) = local(ms, offset_min);
    match now {
        None => format!(
            "{} {h:02}:{mi:02}{}",
            date(lang, day, true),
            offset_label(offset_min)
        ),
        Some(now) => {
            let (today, ..) = local(now, offset_min);
            if day == today {
                format!("{h:02}:{mi:02}")
            } else {
                let this_year = civil(day).0 == civil(today).0;
                format!("{} {h:02}:{mi:02}", date(lang, day, !this_year))
            }
        }
    }
}

/// A list's time: "now", "5 min", "14:05" (today), "Yesterday", "3 Dec", "3 Dec 2025".
pub fn relative_time(lang: Lang, ms: i64, now: Option<i64>, offset_min: i64) -> String {
    let Some(now) = now else {
        return message_time(lang, ms, None, offset_min);
    };
    let ago = now - ms;
    let (day, h, mi) = local(ms, offset_min);
    let (today, ..) = local(now, offset_min);
    if ago < MINUTE {
        match lang {
            Lang::En => "now".into(),
            Lang::Pl => "teraz".into(),
        }
    } else if ago < 60 * MINUTE {
        format!("{} min", ago / MINUTE)
    } else if day == today {
        format!("{h:02}:{mi:02}")
    } else if day == today - 1 {
        match lang {
            Lang::En => "Yesterday".into(),
            Lang::Pl => "Wczoraj".into(),
        }
    } else {
        date(lang, day, civil(day).0 != civil(today).0)
    }
}

/// The machine-readable form for `<time datetime>`: UTC, ISO 8601.
pub fn iso(ms: i64) -> String {
    let (day, h, mi) = local(ms, 0);
    let (y, m, d) = civil(day);
    let s = ms.rem_euclid(MINUTE) / 1000;
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `<time>` of a message, kept current by the clock.
#[component]
pub fn MessageTime(at: i64, #[prop(optional, into)] class: Option<&'static str>) -> impl IntoView {
    let lang = crate::ui::use_lang();
    let now = component_now();
    let text = move || message_time(lang, at, now(), offset_at(at));
    view! { <time class=class datetime=iso(at)>{text}</time> }
}

/// `<time>` of a list row ("5 min"), with the full date and time as its title.
#[component]
pub fn RelativeTime(
    #[prop(into)] at: Signal<i64>,
    #[prop(optional, into)] class: Option<&'static str>,
) -> impl IntoView {
    let lang = crate::ui::use_lang();
    let now = component_now();
    let text = move || {
        let at = at.get();
        relative_time(lang, at, now(), offset_at(at))
    };
    // The full date and time (with the year: "now" is taken as 1970).
    let full = move || {
        let at = at.get();
        message_time(lang, at, now().map(|_| 0), offset_at(at))
    };
    view! { <time class=class datetime=move || iso(at.get()) title=full>{text}</time> }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-12-01 22:07 UTC.
    const NOW: i64 = 1_796_162_820_000;

    #[test]
    fn days_map_to_calendar_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(-1), (1969, 12, 31));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(NOW / DAY), (2026, 12, 1));
        assert_eq!(iso(NOW), "2026-12-01T22:07:00Z");
    }

    #[test]
    fn message_times_are_local_and_carry_a_date_unless_today() {
        // Warsaw in winter is UTC+1: 22:07 UTC is 23:07 the same day.
        assert_eq!(message_time(Lang::En, NOW, Some(NOW), 60), "23:07");
        // UTC+3: already 2 December there, and "now" is too.
        assert_eq!(message_time(Lang::En, NOW, Some(NOW), 180), "01:07");
        // Two days earlier, same year.
        assert_eq!(
            message_time(Lang::Pl, NOW - 2 * DAY, Some(NOW), 60),
            "29 lis 23:07"
        );
        // Last year.
        assert_eq!(
            message_time(Lang::En, NOW - 365 * DAY, Some(NOW), 0),
            "1 Dec 2025 22:07"
        );
        // The server: date, time and zone said.
        assert_eq!(message_time(Lang::En, NOW, None, 0), "1 Dec 2026 22:07 UTC");
        // The server in the viewer's zone (from their cookie or profile).
        assert_eq!(
            message_time(Lang::En, NOW, None, 60),
            "1 Dec 2026 23:07 UTC+01:00"
        );
        assert_eq!(
            message_time(Lang::Pl, NOW, None, -210),
            "1 gru 2026 18:37 UTC-03:30"
        );
    }

    #[test]
    fn list_times_are_relative() {
        assert_eq!(relative_time(Lang::En, NOW - 20_000, Some(NOW), 60), "now");
        assert_eq!(relative_time(Lang::Pl, NOW - 20_000, Some(NOW), 60), "teraz");
        assert_eq!(relative_time(Lang::En, NOW - 5 * MINUTE, Some(NOW), 60), "5 min");
        assert_eq!(
            relative_time(Lang::En, NOW - 3 * 60 * MINUTE, Some(NOW), 60),
            "20:07"
        );
        assert_eq!(relative_time(Lang::En, NOW - DAY, Some(NOW), 60), "Yesterday");
        assert_eq!(relative_time(Lang::Pl, NOW - DAY, Some(NOW), 60), "Wczoraj");
        assert_eq!(relative_time(Lang::En, NOW - 3 * DAY, Some(NOW), 60), "28 Nov");
        assert_eq!(
            relative_time(Lang::En, NOW - 400 * DAY, Some(NOW), 60),
            "27 Oct 2025"
        );
        // Days change at the viewer's midnight: 22:17 local on 1 December, seen at
        // 00:07 local on 2 December, was yesterday.
        assert_eq!(
            relative_time(Lang::En, NOW - 50 * MINUTE, Some(NOW + 60 * MINUTE), 60),
            "Yesterday"
        );
    }
}
