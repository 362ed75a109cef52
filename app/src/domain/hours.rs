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
pub mod clock;

#[cfg(all(test, feature = "ssr"))]
mod tests;

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
