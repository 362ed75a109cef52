//! The clock's tests: opening and closing at the edges of days, weeks, holidays and
//! daylight-saving changes.

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
