//! The statistics page: an account's conversations started in a period (in the viewer's
//! time zone), per channel or all, as figures ([`crate::domain::stats`]). Admins see the
//! whole account; operators only the conversations assigned to them; employees nothing.
//! One indexed range read (`account_id, created_at`), then counting in memory.

use crate::backend::entities::{conversation, open_channel};
use crate::backend::principal::Actor;
use crate::backend::OrInternal;
use crate::domain::hours::{known_time_zone, Day};
use crate::domain::stats::{compute, Row};
use crate::domain::{ChannelId, Role};
use crate::error::{AppError, Code, Field};
use crate::views::StatsView;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The longest period shown at once.
pub const MAX_DAYS: i64 = 366;

/// What the page asks for; empty strings take the defaults (the last 7 days, all
/// channels, the viewer's zone).
#[derive(Clone, Debug, Default)]
pub struct StatsQuery {
    pub from: String,
    pub to: String,
    pub channel: Option<i64>,
    pub time_zone: String,
}

fn to_date(d: Day) -> Option<Date> {
    Date::new(d.y, d.m as i8, d.d as i8).ok()
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

fn midnight(d: Date, tz: &TimeZone) -> Result<i64, AppError> {
    Ok(d.to_zoned(tz.clone()).or_internal()?.timestamp().as_millisecond())
}

/// The period `[from, to]` (local dates) of a query, checked.
pub fn period(q: &StatsQuery, today: Date) -> Result<(Date, Date), AppError> {
    let bad = |code| AppError::Invalid {
        field: Field::Period,
        code,
    };
    let parse = |s: &str| -> Result<Option<Date>, AppError> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        Day::parse(s)
            .and_then(to_date)
            .map(Some)
            .ok_or(bad(Code::DateFormat))
    };
    let to = parse(&q.to)?.unwrap_or(today);
    let from = match parse(&q.from)? {
        Some(f) => f,
        None => to.checked_sub(jiff::Span::new().days(6)).or_internal()?,
    };
    let days = (to - from).get_days() as i64;
    if from > to || days + 1 > MAX_DAYS {
        return Err(bad(Code::PeriodRange));
    }
    Ok((from, to))
}

pub async fn statistics(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &StatsQuery,
) -> Result<StatsView, AppError> {
    if actor.role == Role::Employee {
        return Err(AppError::Forbidden);
    }
    let zone = if q.time_zone.trim().is_empty() {
        "UTC".to_string()
    } else if known_time_zone(q.time_zone.trim()) {
        q.time_zone.trim().to_string()
    } else {
        return Err(AppError::Invalid {
            field: Field::TimeZone,
            code: Code::TimeZoneUnknown,
        });
    };
    let tz = TimeZone::get(&zone).or_internal()?;
    let today = jiff::Timestamp::now().to_zoned(tz.clone()).date();
    let (from, to) = period(q, today)?;
    let channels: Vec<(i64, String)> = open_channel::Entity::find()
        .select_only()
        .column(open_channel::Column::Id)
        .column(open_channel::Column::Name)
        .filter(open_channel::Column::AccountId.eq(actor.account.0))
        .order_by_asc(open_channel::Column::Name)
        .into_tuple()
        .all(db)
        .await
        .or_internal()?;
    if let Some(c) = q.channel {
        if !channels.iter().any(|(id, _)| *id == c) {
            return Err(AppError::NotFound);
        }
    }
    let start = midnight(from, &tz)?;
    let end = midnight(to.tomorrow().or_internal()?, &tz)?;
    let mut find = conversation::Entity::find()
        .select_only()
        .column(conversation::Column::OperatorUserId)
        .column(conversation::Column::CreatedAt)
        .column(conversation::Column::FirstResponseAt)
        .column(conversation::Column::ClosedAt)
        .column(conversation::Column::Rating)
        .filter(conversation::Column::AccountId.eq(actor.account.0))
        .filter(conversation::Column::CreatedAt.gte(start))
        .filter(conversation::Column::CreatedAt.lt(end));
    if let Some(c) = q.channel {
        find = find.filter(conversation::Column::ChannelId.eq(c));
    }
    let is_admin = actor.role == Role::Admin;
    if !is_admin {
        find = find.filter(conversation::Column::OperatorUserId.eq(actor.user.0));
    }
    type Tuple = (Option<i64>, i64, Option<i64>, Option<i64>, Option<String>);
    let tuples: Vec<Tuple> = find.into_tuple().all(db).await.or_internal()?;
    let mut dates = Vec::new();
    let mut d = from;
    while d <= to {
        dates.push(iso(d));
        d = d.tomorrow().or_internal()?;
    }
    // Local date and hour of each start: the zone's offset changes rarely, so it is
    // looked up once per hour of the period, not once per conversation.
    let mut offsets: std::collections::HashMap<i64, i64> = Default::default();
    const DAY: i64 = 86_400_000;
    let first_day = (start + offset_at(&tz, start)).div_euclid(DAY);
    let rows: Vec<Row> = tuples
        .into_iter()
        .map(|(operator, created_at, first_response_at, closed_at, rating)| {
            let hour_key = created_at.div_euclid(3_600_000);
            let offset = *offsets.entry(hour_key).or_insert_with(|| {
                jiff::Timestamp::from_millisecond(created_at)
                    .map(|t| tz.to_offset(t).seconds() as i64 * 1000)
                    .unwrap_or(0)
            });
            let local = created_at + offset;
            let day = (local.div_euclid(DAY) - first_day).max(0) as usize;
            let hour = (local.rem_euclid(DAY) / 3_600_000) as usize;
            Row {
                operator,
                created_at,
                first_response_at,
                closed_at,
                liked: crate::domain::rating::Rating::from_stored(rating.as_deref())
                    .map(|r| r == crate::domain::rating::Rating::Like),
                day,
                hour,
            }
        })
        .collect();
    let mut figures = compute(&rows, &dates);
    let ids: Vec<i64> = figures.operators.iter().map(|o| o.user_id).collect();
    let names = super::conversations::names_of(db, &ids).await?;
    for o in &mut figures.operators {
        o.name = names.get(&o.user_id).cloned().unwrap_or_default();
    }
    Ok(StatsView {
        account: actor.summary(),
        is_admin,
        channels: channels.into_iter().map(|(id, n)| (ChannelId(id), n)).collect(),
        from: iso(from),
        to: iso(to),
        channel: q.channel.map(ChannelId),
        time_zone: zone,
        time_zones: crate::domain::hours::time_zone_names(),
        figures,
    })
}

fn offset_at(tz: &TimeZone, ms: i64) -> i64 {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| tz.to_offset(t).seconds() as i64 * 1000)
        .unwrap_or(0)
}
