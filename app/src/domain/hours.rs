//! A channel's working hours (a weekly schedule in the channel's time zone, plus
//! holidays) and its automatic messages (offline, no answer, auto-close).
//!
//! A day's hours are one span `from`–`to` in local wall time. `to` may be `24:00`, and a
//! `to` at or before `from` is a night shift that ends the next morning (22:00–06:00).
//! A holiday closes the shifts that *start* on that date. The evaluation (open now? when
//! does that change?) needs the IANA time-zone database and runs on the server only.

use super::invalid;
use crate::error::{AppError, Code, Field};
use serde::{Deserialize, Serialize};

/// Monday first, as the form lists them.
pub const DAY_FIELDS: [Field; 7] = [
    Field::HoursMon,
    Field::HoursTue,
    Field::HoursWed,
    Field::HoursThu,
    Field::HoursFri,
    Field::HoursSat,
    Field::HoursSun,
];
/// The form's keys of each day (`{key}_open`, `{key}_from`, `{key}_to`).
pub const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub const MAX_HOLIDAYS: usize = 200;
pub const AUTO_TEXT_MAX: usize = 1000;
/// Timers are 1 minute to 7 days; 0 or empty is off.
pub const MINUTES_MAX: i64 = 7 * 24 * 60;
pub const TIME_ZONE_MAX: usize = 64;

/// One day's hours, in minutes after local midnight: `from` in 0..1440, `to` in 1..=1440.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub from: u16,
    pub to: u16,
}

impl Span {
    /// Does the span end on the next day (a night shift)?
    pub fn overnight(self) -> bool {
        self.to <= self.from
    }
}

/// `HH:MM` (24-hour) → minutes; `24:00` only when `end` is set.
pub fn parse_time(raw: &str, end: bool) -> Option<u16> {
    let (h, m) = raw.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m > 59 {
        return None;
    }
    match h {
        0..=23 => Some(h * 60 + m),
        24 if end && m == 0 => Some(1440),
        _ => None,
    }
}

pub fn format_time(min: u16) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// A calendar date (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day {
    pub y: i16,
    pub m: u8,
    pub d: u8,
}

impl Day {
    /// `YYYY-MM-DD` or `DD.MM.YYYY`; the date must exist (no 30 February).
    pub fn parse(raw: &str) -> Option<Day> {
        let s = raw.trim();
        let (y, m, d) = if let Some((y, rest)) = s.split_once('-') {
            let (m, d) = rest.split_once('-')?;
            (y, m, d)
        } else {
            let mut it = s.split('.');
            let (d, m, y) = (it.next()?, it.next()?, it.next()?);
            if it.next().is_some() {
                return None;
            }
            (y, m, d)
        };
        if y.len() != 4 || !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
            return None;
        }
        let y: i16 = y.parse().ok()?;
        let m: u8 = m.parse().ok()?;
        let d: u8 = d.parse().ok()?;
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (y >= 1970 && (1..=days).contains(&d)).then_some(Day { y, m, d })
    }

    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }
}

/// What a customer is told about a channel with working hours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    /// Open at the time the page was made.
    pub open: bool,
    /// When that changes (ms since the epoch), if within about a year.
    pub next_change: Option<i64>,
    /// The zone the schedule is written in.
    pub time_zone: String,
    pub week: [Option<Span>; 7],
}

impl Availability {
    /// Open at `now` (the browser's clock), from what the server said.
    pub fn open_at(&self, now: i64) -> bool {
        match self.next_change {
            Some(at) if now >= at => !self.open,
            _ => self.open,
        }
    }
}

/// What happens to a conversation a customer starts outside working hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OfflineQueue {
    /// It waits in the queue: nobody is assigned until the channel opens.
    Wait,
    /// It is handed to operators as in working hours.
    Accept,
}

impl OfflineQueue {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wait => "wait",
            Self::Accept => "accept",
        }
    }

    pub fn from_stored(s: &str) -> Self {
        if s == "accept" {
            Self::Accept
        } else {
            Self::Wait
        }
    }
}

/// The working-hours part of the channel's settings form, before any parsing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawHours {
    pub enabled: bool,
    pub time_zone: String,
    /// Monday first: (open, from, to).
    pub days: [(bool, String, String); 7],
    pub holidays: String,
    pub offline_message: String,
    pub offline_queue: String,
    pub no_answer_minutes: String,
    pub no_answer_message: String,
    pub auto_close_minutes: String,
    pub auto_close_message: String,
}

/// Valid working hours and automatic messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hours {
    pub enabled: bool,
    pub time_zone: String,
    pub week: [Option<Span>; 7],
    pub holidays: Vec<Day>,
    pub offline_message: String,
    pub offline_queue: OfflineQueue,
    /// Minutes without an operator's answer before the no-answer message; 0: off.
    pub no_answer_minutes: u32,
    pub no_answer_message: String,
    /// Minutes of customer silence (after an answer) before the conversation closes; 0: off.
    pub auto_close_minutes: u32,
    pub auto_close_message: String,
}

impl Default for Hours {
    fn default() -> Self {
        Self {
            enabled: false,
            time_zone: "UTC".into(),
            week: [None; 7],
            holidays: Vec::new(),
            offline_message: String::new(),
            offline_queue: OfflineQueue::Wait,
            no_answer_minutes: 0,
            no_answer_message: String::new(),
            auto_close_minutes: 0,
            auto_close_message: String::new(),
        }
    }
}

#[cfg(feature = "ssr")]
fn auto_text(raw: &str, field: Field) -> Result<String, AppError> {
    let s = raw.trim();
    if s.chars().count() > AUTO_TEXT_MAX {
        return Err(invalid(field, Code::TooLong));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(invalid(field, Code::ControlChars));
    }
    Ok(s.replace("\r\n", "\n"))
}

/// Minutes for a timer: empty or 0 is off, else 1 to [`MINUTES_MAX`].
pub fn parse_minutes(raw: &str, field: Field) -> Result<u32, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(0);
    }
    let n: i64 = s.parse().map_err(|_| invalid(field, Code::NotANumber))?;
    if !(0..=MINUTES_MAX).contains(&n) {
        return Err(invalid(field, Code::MinutesRange));
    }
    Ok(n as u32)
}

/// Is `name` a time zone this server knows (IANA name such as `Europe/Warsaw`)?
#[cfg(feature = "ssr")]
pub fn known_time_zone(name: &str) -> bool {
    !name.is_empty() && name.len() <= TIME_ZONE_MAX && jiff::tz::TimeZone::get(name).is_ok()
}

/// Every IANA time-zone name the server knows, sorted (for the forms' lists); read from
/// the bundled database once.
#[cfg(feature = "ssr")]
pub fn time_zone_names() -> Vec<String> {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            let mut v: Vec<String> = jiff::tz::db()
                .available()
                .map(|n| n.as_str().to_string())
                .filter(|n| n.contains('/') || n == "UTC")
                .filter(|n| {
                    !["Etc/", "SystemV/", "posix/", "right/"]
                        .iter()
                        .any(|p| n.starts_with(p))
                })
                .collect();
            v.sort();
            v.dedup();
            v
        })
        .clone()
}

impl Hours {
    /// Checks every field and reports every error at once. A day that is not open keeps
    /// no hours (what was typed there is ignored).
    #[cfg(feature = "ssr")]
    pub fn parse(raw: &RawHours) -> Result<Self, Vec<AppError>> {
        let mut errors = Vec::new();
        let tz = raw.time_zone.trim();
        if tz.is_empty() {
            errors.push(invalid(Field::TimeZone, Code::Required));
        } else if !known_time_zone(tz) {
            errors.push(invalid(Field::TimeZone, Code::TimeZoneUnknown));
        }
        let mut week = [None; 7];
        for (i, (open, from, to)) in raw.days.iter().enumerate() {
            if !open {
                continue;
            }
            match (parse_time(from, false), parse_time(to, true)) {
                (Some(f), Some(t)) if f == t % 1440 && t != 1440 => {
                    errors.push(invalid(DAY_FIELDS[i], Code::SameTimes))
                }
                (Some(f), Some(t)) => week[i] = Some(Span { from: f, to: t }),
                _ => errors.push(invalid(DAY_FIELDS[i], Code::TimeFormat)),
            }
        }
        if raw.enabled && raw.days.iter().all(|d| !d.0) {
            errors.push(invalid(Field::Schedule, Code::NoWorkingDays));
        }
        let mut holidays = Vec::new();
        for part in raw.holidays.split(['\n', ',', ';']) {
            if part.trim().is_empty() {
                continue;
            }
            match Day::parse(part) {
                Some(d) => holidays.push(d),
                None => {
                    errors.push(invalid(Field::Holidays, Code::DateFormat));
                    break;
                }
            }
        }
        holidays.sort();
        holidays.dedup();
        if holidays.len() > MAX_HOLIDAYS {
            errors.push(invalid(Field::Holidays, Code::TooManyDates));
        }
        let offline_message = auto_text(&raw.offline_message, Field::OfflineMessage);
        let offline_queue = match raw.offline_queue.trim() {
            "wait" | "" => OfflineQueue::Wait,
            "accept" => OfflineQueue::Accept,
            _ => {
                errors.push(invalid(Field::OfflineQueue, Code::InvalidFormat));
                OfflineQueue::Wait
            }
        };
        let no_answer = parse_minutes(&raw.no_answer_minutes, Field::NoAnswerMinutes);
        let no_answer_message = auto_text(&raw.no_answer_message, Field::NoAnswerMessage);
        let auto_close = parse_minutes(&raw.auto_close_minutes, Field::AutoCloseMinutes);
        let auto_close_message = auto_text(&raw.auto_close_message, Field::AutoCloseMessage);
        // A no-answer timer needs something to say; closing may be silent.
        if let (Ok(n), Ok(m)) = (&no_answer, &no_answer_message) {
            if *n > 0 && m.is_empty() {
                errors.push(invalid(Field::NoAnswerMessage, Code::Required));
            }
        }
        let mut take = |r: Result<String, AppError>| r.map_err(|e| errors.push(e)).unwrap_or_default();
        let offline_message = take(offline_message);
        let no_answer_message = take(no_answer_message);
        let auto_close_message = take(auto_close_message);
        let no_answer_minutes = no_answer.map_err(|e| errors.push(e)).unwrap_or(0);
        let auto_close_minutes = auto_close.map_err(|e| errors.push(e)).unwrap_or(0);
        if !errors.is_empty() {
            // In the form's order.
            let order = |f: Option<Field>| Field::ALL.iter().position(|x| Some(*x) == f);
            errors.sort_by_key(|e| order(e.field()));
            return Err(errors);
        }
        Ok(Hours {
            enabled: raw.enabled,
            time_zone: tz.to_string(),
            week,
            holidays,
            offline_message,
            offline_queue,
            no_answer_minutes,
            no_answer_message,
            auto_close_minutes,
            auto_close_message,
        })
    }

    /// The week as stored: seven `HH:MM-HH:MM` or empty, Monday first, comma-separated.
    pub fn week_to_stored(&self) -> String {
        self.week
            .iter()
            .map(|d| match d {
                Some(s) => format!("{}-{}", format_time(s.from), format_time(s.to)),
                None => String::new(),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn week_from_stored(s: &str) -> [Option<Span>; 7] {
        let mut week = [None; 7];
        for (i, part) in s.split(',').take(7).enumerate() {
            if let Some((f, t)) = part.split_once('-') {
                if let (Some(from), Some(to)) = (parse_time(f, false), parse_time(t, true)) {
                    week[i] = Some(Span { from, to });
                }
            }
        }
        week
    }

    pub fn holidays_to_stored(&self) -> String {
        self.holidays
            .iter()
            .map(|d| d.iso())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn holidays_from_stored(s: &str) -> Vec<Day> {
        s.split(',').filter_map(Day::parse).collect()
    }
}

/// Working hours evaluated at instants (server only: needs the time-zone database).
#[cfg(feature = "ssr")]
pub mod clock {
    use super::{Day, Hours};
    use jiff::civil::Date;
    use jiff::tz::TimeZone;
    use jiff::Timestamp;

    const MAX_DAYS: i64 = 400;

    pub fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap_or(TimeZone::UTC)
    }

    fn date_of(ms: i64, tz: &TimeZone) -> Option<Date> {
        Some(Timestamp::from_millisecond(ms).ok()?.to_zoned(tz.clone()).date())
    }

    /// The instant of local wall time `min` minutes after midnight of `date` (a time
    /// skipped by a DST change moves forward by the change; a repeated one is its first
    /// occurrence).
    fn instant(date: Date, min: u16, tz: &TimeZone) -> Option<i64> {
        let (date, min) = if min >= 1440 {
            (date.tomorrow().ok()?, min - 1440)
        } else {
            (date, min)
        };
        let dt = date.at((min / 60) as i8, (min % 60) as i8, 0, 0);
        Some(dt.to_zoned(tz.clone()).ok()?.timestamp().as_millisecond())
    }

    /// The shift that starts on `date`, as instants `[start, end)`.
    fn shift(h: &Hours, date: Date, tz: &TimeZone) -> Option<(i64, i64)> {
        let day = Day {
            y: date.year(),
            m: date.month() as u8,
            d: date.day() as u8,
        };
        if h.holidays.binary_search(&day).is_ok() {
            return None;
        }
        let span = h.week[date.weekday().to_monday_zero_offset() as usize]?;
        let end = if span.overnight() { span.to + 1440 } else { span.to };
        let (s, e) = (instant(date, span.from, tz)?, instant(date, end, tz)?);
        (e > s).then_some((s, e))
    }

    /// Open spans merged across days (a shift ending at 24:00 joins one starting at
    /// 00:00), walking forward from the day before `ms`'s date.
    fn forward(h: &Hours, ms: i64, tz: &TimeZone) -> Vec<(i64, i64)> {
        let mut out: Vec<(i64, i64)> = Vec::new();
        let Some(mut d) = date_of(ms, tz).and_then(|d| d.yesterday().ok()) else {
            return out;
        };
        for _ in 0..MAX_DAYS {
            if let Some((s, e)) = shift(h, d, tz) {
                match out.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => out.push((s, e)),
                }
            }
            // Far enough: a span starts after `ms` and cannot be extended by later days.
            if out.len() >= 2 && out[out.len() - 2].1 > ms && out.last().is_some_and(|l| l.0 > ms) {
                break;
            }
            let Ok(next) = d.tomorrow() else { break };
            d = next;
        }
        out
    }

    /// Is the channel open at `ms`? Always, when working hours are off.
    pub fn open_at(h: &Hours, ms: i64) -> bool {
        if !h.enabled {
            return true;
        }
        let tz = zone(&h.time_zone);
        let Some(today) = date_of(ms, &tz) else {
            return true;
        };
        let mut d = today.yesterday().unwrap_or(today);
        loop {
            if shift(h, d, &tz).is_some_and(|(s, e)| s <= ms && ms < e) {
                return true;
            }
            if d >= today {
                return false;
            }
            d = d.tomorrow().unwrap_or(today);
        }
    }

    /// The next instant after `ms` at which open/closed changes (within ~a year).
    pub fn next_change(h: &Hours, ms: i64) -> Option<i64> {
        if !h.enabled {
            return None;
        }
        let tz = zone(&h.time_zone);
        for (s, e) in forward(h, ms, &tz) {
            if s > ms {
                return Some(s);
            }
            if ms < e {
                return Some(e);
            }
        }
        None
    }

    /// When the channel last closed at or before `ms` (the start of the current offline
    /// period, or of the last one); `None` if it was never open in the past ~year.
    pub fn last_close(h: &Hours, ms: i64) -> Option<i64> {
        let tz = zone(&h.time_zone);
        let mut d = date_of(ms, &tz)?;
        let mut best: Option<i64> = None;
        for _ in 0..MAX_DAYS {
            if let Some((_, e)) = shift(h, d, &tz) {
                if e <= ms {
                    best = Some(best.map_or(e, |b: i64| b.max(e)));
                }
            }
            if best.is_some() {
                // A shift of the day before may end later (a night shift): look once more.
                if let Some((_, e)) = d.yesterday().ok().and_then(|y| shift(h, y, &tz)) {
                    if e <= ms {
                        best = best.map(|b| b.max(e));
                    }
                }
                return best;
            }
            d = d.yesterday().ok()?;
        }
        best
    }

    /// The offset of zone `name` from UTC at `ms`, in minutes east.
    pub fn offset_minutes(name: &str, ms: i64) -> i64 {
        let tz = zone(name);
        Timestamp::from_millisecond(ms)
            .map(|t| tz.to_offset(t).seconds() as i64 / 60)
            .unwrap_or(0)
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::clock::*;
    use super::*;

    fn ms(s: &str, tz: &str) -> i64 {
        let dt: jiff::civil::DateTime = s.parse().unwrap();
        dt.to_zoned(jiff::tz::TimeZone::get(tz).unwrap())
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    fn raw(days: &[(usize, &str, &str)]) -> RawHours {
        let mut r = RawHours {
            enabled: true,
            time_zone: "Europe/Warsaw".into(),
            ..Default::default()
        };
        for (i, f, t) in days {
            r.days[*i] = (true, f.to_string(), t.to_string());
        }
        r
    }

    fn office() -> Hours {
        // Monday to Friday 09:00–17:00.
        Hours::parse(&raw(&[
            (0, "09:00", "17:00"),
            (1, "09:00", "17:00"),
            (2, "09:00", "17:00"),
            (3, "09:00", "17:00"),
            (4, "9:00", "17:00"),
        ]))
        .unwrap()
    }

    #[test]
    fn times_and_dates_parse_strictly() {
        assert_eq!(parse_time("09:30", false), Some(570));
        assert_eq!(parse_time("9:30", false), Some(570));
        assert_eq!(parse_time("24:00", true), Some(1440));
        assert_eq!(parse_time("24:00", false), None);
        for bad in ["", "9", "25:00", "12:60", "12:5", "ab:cd", "-1:00"] {
            assert_eq!(parse_time(bad, true), None, "{bad}");
        }
        assert_eq!(
            Day::parse("2026-12-24"),
            Some(Day {
                y: 2026,
                m: 12,
                d: 24
            })
        );
        assert_eq!(
            Day::parse("24.12.2026"),
            Some(Day {
                y: 2026,
                m: 12,
                d: 24
            })
        );
        assert_eq!(
            Day::parse("2028-02-29").map(|d| d.iso()),
            Some("2028-02-29".into())
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "31.04.2026",
            "24.12",
            "tomorrow",
            "2026-1-1-1",
        ] {
            assert_eq!(Day::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_wrong_field_is_reported_with_its_day() {
        let mut r = raw(&[(0, "9", "17:00"), (2, "10:00", "10:00")]);
        r.time_zone = "Mars/Olympus".into();
        r.holidays = "2026-12-24\n2026-02-30".into();
        r.no_answer_minutes = "5".into();
        r.auto_close_minutes = "99999".into();
        let errs: Vec<(Field, Code)> = Hours::parse(&r)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field().unwrap(), e.code()))
            .collect();
        assert_eq!(
            errs,
            [
                (Field::TimeZone, Code::TimeZoneUnknown),
                (Field::HoursMon, Code::TimeFormat),
                (Field::HoursWed, Code::SameTimes),
                (Field::Holidays, Code::DateFormat),
                (Field::NoAnswerMessage, Code::Required),
                (Field::AutoCloseMinutes, Code::MinutesRange),
            ]
        );
        let none = RawHours {
            enabled: true,
            time_zone: "UTC".into(),
            ..Default::default()
        };
        assert_eq!(Hours::parse(&none).unwrap_err()[0].code(), Code::NoWorkingDays);
        // Off, nothing chosen: fine (and always open).
        let off = RawHours {
            time_zone: "UTC".into(),
            ..Default::default()
        };
        let h = Hours::parse(&off).unwrap();
        assert!(open_at(&h, 0));
        assert_eq!(next_change(&h, 0), None);
    }

    #[test]
    fn the_week_and_holidays_round_trip_through_storage() {
        let mut h = office();
        h.week[6] = Some(Span {
            from: 22 * 60,
            to: 6 * 60,
        });
        h.holidays = vec![
            Day {
                y: 2026,
                m: 12,
                d: 24,
            },
            Day {
                y: 2026,
                m: 12,
                d: 25,
            },
        ];
        let week = h.week_to_stored();
        assert_eq!(
            week,
            "09:00-17:00,09:00-17:00,09:00-17:00,09:00-17:00,09:00-17:00,,22:00-06:00"
        );
        assert_eq!(Hours::week_from_stored(&week), h.week);
        assert_eq!(Hours::holidays_from_stored(&h.holidays_to_stored()), h.holidays);
    }

    #[test]
    fn open_in_the_channels_zone_with_edges_exact() {
        let h = office();
        let w = "Europe/Warsaw";
        // Friday 4 December 2026.
        assert!(!open_at(&h, ms("2026-12-04T08:59:59", w)));
        assert!(open_at(&h, ms("2026-12-04T09:00:00", w)));
        assert!(open_at(&h, ms("2026-12-04T16:59:59", w)));
        assert!(!open_at(&h, ms("2026-12-04T17:00:00", w)));
        // 09:30 in Warsaw is 08:30 UTC: the zone decides, not UTC.
        assert!(open_at(&h, ms("2026-12-04T08:30:00", "UTC")));
        // Weekend closed; Friday 17:00 → Monday 09:00.
        assert!(!open_at(&h, ms("2026-12-05T12:00:00", w)));
        assert_eq!(
            next_change(&h, ms("2026-12-04T17:00:00", w)),
            Some(ms("2026-12-07T09:00:00", w))
        );
        assert_eq!(
            next_change(&h, ms("2026-12-04T10:00:00", w)),
            Some(ms("2026-12-04T17:00:00", w))
        );
        assert_eq!(
            last_close(&h, ms("2026-12-06T10:00:00", w)),
            Some(ms("2026-12-04T17:00:00", w))
        );
    }

    #[test]
    fn midnight_night_shifts_and_whole_days() {
        let w = "Europe/Warsaw";
        // Saturday 22:00 → Sunday 06:00, and Monday the whole day, Tuesday from 00:00.
        let h = Hours::parse(&raw(&[
            (5, "22:00", "06:00"),
            (0, "00:00", "24:00"),
            (1, "00:00", "12:00"),
        ]))
        .unwrap();
        assert!(open_at(&h, ms("2026-12-05T23:59:59", w)));
        assert!(open_at(&h, ms("2026-12-06T00:00:00", w)));
        assert!(open_at(&h, ms("2026-12-06T05:59:00", w)));
        assert!(!open_at(&h, ms("2026-12-06T06:00:00", w)));
        assert_eq!(
            next_change(&h, ms("2026-12-05T23:00:00", w)),
            Some(ms("2026-12-06T06:00:00", w))
        );
        // Monday 00:00–24:00 runs into Tuesday 00:00–12:00 without a change at midnight.
        assert!(open_at(&h, ms("2026-12-08T00:00:00", w)));
        assert_eq!(
            next_change(&h, ms("2026-12-07T08:00:00", w)),
            Some(ms("2026-12-08T12:00:00", w))
        );
        assert_eq!(
            last_close(&h, ms("2026-12-07T08:00:00", w)),
            Some(ms("2026-12-06T06:00:00", w))
        );
    }

    #[test]
    fn daylight_saving_changes_in_warsaw() {
        let w = "Europe/Warsaw";
        // Every day 01:00–05:00. On Sunday 29 March 2026 clocks jump 02:00 → 03:00: the
        // shift is 3 real hours; on 25 October 03:00 → 02:00 it is 5.
        let all: Vec<(usize, &str, &str)> = (0..7).map(|i| (i, "01:00", "05:00")).collect();
        let h = Hours::parse(&raw(&all)).unwrap();
        let spring_open = ms("2026-03-29T01:00:00", w);
        assert_eq!(next_change(&h, spring_open), Some(spring_open + 3 * 3_600_000));
        let autumn_open = ms("2026-10-25T01:00:00", w);
        assert_eq!(next_change(&h, autumn_open), Some(autumn_open + 5 * 3_600_000));
        // 01:00 local is 00:00 UTC in winter and 23:00 UTC the day before in summer.
        assert!(open_at(&h, ms("2026-01-10T00:30:00", "UTC")));
        assert!(open_at(&h, ms("2026-07-09T23:30:00", "UTC")));
        assert!(!open_at(&h, ms("2026-07-10T00:30:00", "UTC") + 3 * 3_600_000));
        // A shift starting in the skipped hour moves forward by the change, as calendars
        // do (RFC 5545): 02:30 → 03:30 summer time.
        let skipped = Hours::parse(&raw(&[(6, "02:30", "04:00")])).unwrap();
        assert!(!open_at(&skipped, ms("2026-03-29T03:29:00", w)));
        assert!(open_at(&skipped, ms("2026-03-29T03:30:00", w)));
        assert_eq!(offset_minutes(w, ms("2026-01-10T12:00:00", w)), 60);
        assert_eq!(offset_minutes(w, ms("2026-07-10T12:00:00", w)), 120);
    }

    #[test]
    fn holidays_close_the_shifts_that_start_on_them() {
        let w = "Europe/Warsaw";
        let mut r = raw(&[
            (3, "09:00", "17:00"),
            (4, "09:00", "17:00"),
            (0, "09:00", "17:00"),
        ]);
        // Thursday and Friday 24–25 December 2026.
        r.holidays = "2026-12-24, 25.12.2026".into();
        let h = Hours::parse(&r).unwrap();
        assert!(!open_at(&h, ms("2026-12-24T10:00:00", w)));
        assert!(!open_at(&h, ms("2026-12-25T10:00:00", w)));
        assert!(open_at(&h, ms("2026-12-31T10:00:00", w)));
        assert_eq!(
            next_change(&h, ms("2026-12-23T18:00:00", w)),
            Some(ms("2026-12-28T09:00:00", w))
        );
        // A night shift starting the day before a holiday still ends on the holiday.
        let mut r = raw(&[(2, "22:00", "06:00")]);
        r.holidays = "2026-12-24".into();
        let h = Hours::parse(&r).unwrap();
        assert!(open_at(&h, ms("2026-12-24T05:00:00", w)));
    }
}

#[cfg(test)]
mod shared_tests {
    use super::*;

    #[test]
    fn the_browser_flips_open_and_offline_at_the_time_the_server_gave() {
        let a = Availability {
            open: false,
            next_change: Some(1_000),
            time_zone: "UTC".into(),
            week: [None; 7],
        };
        assert!(!a.open_at(999));
        assert!(a.open_at(1_000));
        let b = Availability {
            open: true,
            next_change: None,
            ..a
        };
        assert!(b.open_at(i64::MAX));
    }

    #[test]
    fn offline_queue_reads_back_and_defaults_to_waiting() {
        assert_eq!(OfflineQueue::from_stored("accept"), OfflineQueue::Accept);
        assert_eq!(
            OfflineQueue::from_stored(OfflineQueue::Wait.as_str()),
            OfflineQueue::Wait
        );
        assert_eq!(OfflineQueue::from_stored("?"), OfflineQueue::Wait);
        assert_eq!(parse_minutes("", Field::NoAnswerMinutes).unwrap(), 0);
        assert_eq!(parse_minutes(" 10080 ", Field::NoAnswerMinutes).unwrap(), 10080);
        assert_eq!(
            parse_minutes("10081", Field::NoAnswerMinutes).unwrap_err().code(),
            Code::MinutesRange
        );
        assert_eq!(
            parse_minutes("-1", Field::NoAnswerMinutes).unwrap_err().code(),
            Code::MinutesRange
        );
        assert_eq!(
            parse_minutes("1.5", Field::NoAnswerMinutes).unwrap_err().code(),
            Code::NotANumber
        );
    }
}
