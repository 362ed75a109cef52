//! Working hours evaluated at instants (server only: needs the time-zone database).

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
