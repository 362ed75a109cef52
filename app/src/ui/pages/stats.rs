//! The statistics page: a period, a channel and a time zone chosen in a plain GET form;
//! every figure as a server-rendered SVG chart with its table beside it, and the CSV
//! download of the same figures.

use crate::api::channels::statistics;
use crate::api::StatsView;
use crate::domain::stats::Spread;
use crate::error::AppError;
use crate::i18n::{error_key, K};
use crate::ui::form::query_value;
use crate::ui::pages::{Forbidden, NotFound, SignInRedirect};
use crate::ui::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn StatsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let args = Memo::new(move |_| {
        let q = query.read();
        (
            params.read().get("slug").unwrap_or_default(),
            q.get("from").unwrap_or_default(),
            q.get("to").unwrap_or_default(),
            q.get("channel").and_then(|c| c.parse::<i64>().ok()),
            q.get("tz").unwrap_or_default(),
        )
    });
    let page = Resource::new(move || args.get(), |(s, f, t, c, z)| statistics(s, f, t, c, z));
    view! {
        <Title text=tr(K::StatsTitle) />
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) => view! { <Stats v=v /> }.into_any(),
                    Err(AppError::Unauthorized) => view! { <SignInRedirect /> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound /> }.into_any(),
                    Err(AppError::Forbidden) => view! { <Forbidden /> }.into_any(),
                    Err(e) => view! {
                        <section class="card">
                            <h1>{tr(K::StatsTitle)}</h1>
                            <p class="notice notice-error" role="alert">{tr(error_key(e.code()))}</p>
                            <p><a href="?">{tr(K::StatsReset)}</a></p>
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// "45 s", "3 min 20 s", "2 h 5 min", "1 d 4 h"; "–" for none.
pub fn duration(secs: Option<i64>) -> String {
    let Some(s) = secs else { return "–".into() };
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// One series of a bar chart.
#[derive(Clone)]
struct Series {
    name: &'static str,
    class: &'static str,
    values: Vec<u64>,
}

/// Grouped vertical bars, one group per label, scaled to the largest value; drawn on the
/// server as SVG (no script, no CDN). Each bar has a `<title>` with its value.
#[component]
fn BarChart(
    title: String,
    labels: Vec<String>,
    series: Vec<Series>,
    #[prop(default = 1)] label_every: usize,
) -> impl IntoView {
    const W: f64 = 640.0;
    const H: f64 = 220.0;
    const BOTTOM: f64 = 24.0;
    const LEFT: f64 = 36.0;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let groups = labels.len().max(1) as f64;
    let group_w = (W - LEFT) / groups;
    let bar_w = (group_w * 0.8 / series.len().max(1) as f64).max(1.0);
    let plot_h = H - BOTTOM - 8.0;
    let y = move |v: u64| 8.0 + plot_h - plot_h * v as f64 / max as f64;
    let mut bars = Vec::new();
    for (gi, label) in labels.iter().enumerate() {
        for (si, s) in series.iter().enumerate() {
            let v = s.values.get(gi).copied().unwrap_or(0);
            let x = LEFT + gi as f64 * group_w + group_w * 0.1 + si as f64 * bar_w;
            let top = y(v);
            bars.push(view! {
                <rect class=s.class x=format!("{x:.1}") y=format!("{top:.1}") width=format!("{:.1}", bar_w.max(1.0))
                    height=format!("{:.1}", (8.0 + plot_h - top).max(0.0))>
                    <title>{format!("{label} · {}: {v}", s.name)}</title>
                </rect>
            });
        }
    }
    let ticks = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % label_every.max(1) == 0)
        .map(|(i, l)| {
            let x = LEFT + i as f64 * group_w + group_w / 2.0;
            view! { <text class="tick" x=format!("{x:.1}") y=format!("{:.1}", H - 6.0) text-anchor="middle">{l.clone()}</text> }
        })
        .collect_view();
    let legend = series
        .iter()
        .map(|s| view! { <li><span class=format!("swatch {}", s.class) aria-hidden="true"></span>{s.name}</li> })
        .collect_view();
    view! {
        <svg class="chart" viewBox=format!("0 0 {W} {H}") role="img" aria-label=title>
            <line class="axis" x1=LEFT y1="8" x2=LEFT y2=format!("{:.1}", H - BOTTOM) />
            <line class="axis" x1=LEFT y1=format!("{:.1}", H - BOTTOM) x2=W y2=format!("{:.1}", H - BOTTOM) />
            <text class="tick" x=format!("{:.1}", LEFT - 4.0) y="16" text-anchor="end">{max.to_string()}</text>
            <text class="tick" x=format!("{:.1}", LEFT - 4.0) y=format!("{:.1}", H - BOTTOM) text-anchor="end">"0"</text>
            {bars}
            {ticks}
        </svg>
        <ul class="legend">{legend}</ul>
    }
}

/// A chart and its table, side by side on wide screens.
#[component]
fn ChartBlock(id: &'static str, title: &'static str, chart: AnyView, table: AnyView) -> impl IntoView {
    view! {
        <section class="chart-block" aria-labelledby=id>
            <h2 id=id>{title}</h2>
            <div class="chart-pair">
                <div class="chart-box">{chart}</div>
                // Focusable: on a narrow screen the table scrolls sideways by keyboard too.
                <div class="chart-table" tabindex="0" role="region" aria-label=format!("{title} ({})", tr(K::StatsTableLabel))>{table}</div>
            </div>
        </section>
    }
}

fn spread_row(name: &'static str, s: Spread) -> impl IntoView {
    view! {
        <tr>
            <th scope="row">{name}</th>
            <td>{s.count}</td>
            <td>{duration(s.median_s)}</td>
            <td>{duration(s.p90_s)}</td>
        </tr>
    }
}

#[component]
fn Stats(v: StatsView) -> impl IntoView {
    let slug = v.account.slug.clone();
    let f = v.figures.clone();
    let selected_channel = v.channel.map(|c| c.0);
    let csv_href = {
        let mut q = format!(
            "/a/{slug}/statistics.csv?from={}&to={}&tz={}",
            v.from,
            v.to,
            urlencode(&v.time_zone)
        );
        if let Some(c) = selected_channel {
            q += &format!("&channel={c}");
        }
        q
    };
    let _ = query_value("from");
    let channel_options = v
        .channels
        .iter()
        .map(|(id, name)| {
            let sel = Some(id.0) == selected_channel;
            view! { <option value=id.0.to_string() selected=sel>{name.clone()}</option> }
        })
        .collect_view();
    let zone_options = v
        .time_zones
        .iter()
        .map(|z| {
            let sel = *z == v.time_zone;
            view! { <option value=z.clone() selected=sel>{z.clone()}</option> }
        })
        .collect_view();
    let labels: Vec<String> = f.days.iter().map(|d| d.date[5..].to_string()).collect();
    let every = (labels.len() / 10).max(1);
    let days_chart = view! {
        <BarChart title={tr(K::StatsPerDay).to_string()} labels=labels label_every=every series={vec![
            Series { name: tr(K::StatsStarted), class: "s1", values: f.days.iter().map(|d| d.started).collect() },
            Series { name: tr(K::StatsAnswered), class: "s2", values: f.days.iter().map(|d| d.answered).collect() },
            Series { name: tr(K::StatsMissed), class: "s3", values: f.days.iter().map(|d| d.missed).collect() },
        ]} />
    }
    .into_any();
    let days_table = view! {
        <table>
            <caption>{tr(K::StatsPerDay)}</caption>
            <thead><tr>
                <th scope="col">{tr(K::StatsDate)}</th><th scope="col">{tr(K::StatsStarted)}</th>
                <th scope="col">{tr(K::StatsAnswered)}</th><th scope="col">{tr(K::StatsMissed)}</th>
            </tr></thead>
            <tbody>
                {f.days.iter().filter(|d| d.started > 0).map(|d| view! {
                    <tr><th scope="row">{d.date.clone()}</th><td>{d.started}</td><td>{d.answered}</td><td>{d.missed}</td></tr>
                }).collect_view()}
                <tr class="total"><th scope="row">{tr(K::StatsTotal)}</th><td>{f.started}</td><td>{f.answered}</td><td>{f.missed}</td></tr>
            </tbody>
        </table>
    }
    .into_any();
    let hours_chart = view! {
        <BarChart title={tr(K::StatsBusiestHours).to_string()} labels={(0..24).map(|h| format!("{h}")).collect::<Vec<_>>()} label_every=3
            series={vec![Series { name: tr(K::StatsStarted), class: "s1", values: f.hours.clone() }]} />
    }
    .into_any();
    let busiest: Vec<(usize, u64)> = {
        let mut h: Vec<(usize, u64)> = f
            .hours
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, n)| *n > 0)
            .collect();
        h.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        h.truncate(5);
        h
    };
    let hours_table = view! {
        <table>
            <caption>{tr(K::StatsBusiestHours)}</caption>
            <thead><tr><th scope="col">{tr(K::StatsHour)}</th><th scope="col">{tr(K::StatsStarted)}</th></tr></thead>
            <tbody>
                {busiest.iter().map(|(h, n)| view! {
                    <tr><th scope="row">{format!("{h:02}:00–{:02}:00", (h + 1) % 24)}</th><td>{*n}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any();
    let ops_chart = view! {
        <BarChart title={tr(K::StatsPerOperator).to_string()}
            labels={f.operators.iter().map(|o| o.name.clone()).collect::<Vec<_>>()}
            series={vec![
                Series { name: tr(K::StatsConversations), class: "s1", values: f.operators.iter().map(|o| o.conversations).collect() },
                Series { name: tr(K::StatsAnswered), class: "s2", values: f.operators.iter().map(|o| o.answered).collect() },
            ]} />
    }
    .into_any();
    let ops_table = view! {
        <table>
            <caption>{tr(K::StatsPerOperator)}</caption>
            <thead><tr>
                <th scope="col">{tr(K::StatsOperator)}</th><th scope="col">{tr(K::StatsConversations)}</th>
                <th scope="col">{tr(K::StatsAnswered)}</th><th scope="col">{tr(K::StatsClosed)}</th>
                <th scope="col">{tr(K::StatsMedianFirst)}</th>
            </tr></thead>
            <tbody>
                {f.operators.iter().map(|o| view! {
                    <tr><th scope="row" dir="auto">{o.name.clone()}</th><td>{o.conversations}</td><td>{o.answered}</td>
                        <td>{o.closed}</td><td>{duration(o.first_response.median_s)}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any();
    // Seconds while every figure is under ten minutes, else minutes.
    let longest = [f.first_response.p90_s, f.time_to_close.p90_s]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0);
    let (unit, median_name, p90_name) = if longest < 600 {
        (1, tr(K::StatsMedianSec), tr(K::StatsP90Sec))
    } else {
        (60, tr(K::StatsMedianMin), tr(K::StatsP90Min))
    };
    let in_unit = move |s: Option<i64>| s.map(|s| (s.max(0) as u64).div_ceil(unit)).unwrap_or(0);
    let times_chart = view! {
        <BarChart title={tr(K::StatsTimes).to_string()}
            labels={vec![tr(K::StatsFirstResponse).to_string(), tr(K::StatsTimeToClose).to_string()]}
            series={vec![
                Series { name: median_name, class: "s1", values: vec![in_unit(f.first_response.median_s), in_unit(f.time_to_close.median_s)] },
                Series { name: p90_name, class: "s2", values: vec![in_unit(f.first_response.p90_s), in_unit(f.time_to_close.p90_s)] },
            ]} />
    }
    .into_any();
    let times_table = view! {
        <table>
            <caption>{tr(K::StatsTimes)}</caption>
            <thead><tr>
                <th scope="col"><span class="visually-hidden">{tr(K::StatsMeasure)}</span></th><th scope="col">{tr(K::StatsConversations)}</th>
                <th scope="col">{tr(K::StatsMedian)}</th><th scope="col">{tr(K::StatsP90)}</th>
            </tr></thead>
            <tbody>
                {spread_row(tr(K::StatsFirstResponse), f.first_response)}
                {spread_row(tr(K::StatsTimeToClose), f.time_to_close)}
            </tbody>
        </table>
    }
    .into_any();
    let rated = f.likes + f.dislikes;
    let ratings_chart = view! {
        <BarChart title={tr(K::StatsRatings).to_string()}
            labels={vec![tr(K::StatsLikes).to_string(), tr(K::StatsDislikes).to_string()]}
            series={vec![Series { name: tr(K::StatsRatings), class: "s2", values: vec![f.likes, f.dislikes] }]} />
    }
    .into_any();
    let ratings_table = view! {
        <table>
            <caption>{tr(K::StatsRatings)}</caption>
            <tbody>
                <tr><th scope="row">{tr(K::StatsLikes)}</th><td>{f.likes}</td></tr>
                <tr><th scope="row">{tr(K::StatsDislikes)}</th><td>{f.dislikes}</td></tr>
                <tr><th scope="row">{tr(K::StatsLikeShare)}</th>
                    <td>{(f.likes * 100 + rated / 2).checked_div(rated).map(|p| format!("{p} %")).unwrap_or_else(|| "–".into())}</td></tr>
            </tbody>
        </table>
    }
    .into_any();
    view! {
        <section class="card wide stats">
            <h1>{tr(K::StatsTitle)}</h1>
            <p class="muted">
                {if v.is_admin { tr(K::StatsScopeAll) } else { tr(K::StatsScopeMine) }}
                " · " {v.from.clone()} " – " {v.to.clone()} " · " {v.time_zone.clone()}
            </p>
            <form method="get" action=format!("/a/{slug}/statistics") class="stats-filter">
                <div class="field">
                    <label for="from">{tr(K::StatsFrom)}</label>
                    <input id="from" name="from" type="date" value=v.from.clone() />
                </div>
                <div class="field">
                    <label for="to">{tr(K::StatsTo)}</label>
                    <input id="to" name="to" type="date" value=v.to.clone() />
                </div>
                <div class="field">
                    <label for="channel">{tr(K::ColChannel)}</label>
                    <select id="channel" name="channel">
                        <option value="" selected=selected_channel.is_none()>{tr(K::StatsAllChannels)}</option>
                        {channel_options}
                    </select>
                </div>
                <div class="field">
                    <label for="tz">{tr(K::TimeZoneLabelShort)}</label>
                    <select id="tz" name="tz">{zone_options}</select>
                </div>
                <div class="form-actions">
                    <button type="submit">{tr(K::StatsShow)}</button>
                    <a class="button secondary-btn" href=csv_href download="" rel="external">{tr(K::StatsCsv)}</a>
                </div>
            </form>
            <dl class="tiles">
                <div><dt>{tr(K::StatsStarted)}</dt><dd>{f.started}</dd></div>
                <div><dt>{tr(K::StatsAnswered)}</dt><dd>{f.answered}</dd></div>
                <div><dt>{tr(K::StatsMissed)}</dt><dd>{f.missed}</dd></div>
                <div><dt>{tr(K::StatsWaiting)}</dt><dd>{f.waiting}</dd></div>
                <div><dt>{tr(K::StatsMedianFirst)}</dt><dd>{duration(f.first_response.median_s)}</dd></div>
                <div><dt>{tr(K::StatsMedianClose)}</dt><dd>{duration(f.time_to_close.median_s)}</dd></div>
            </dl>
            <ChartBlock id="per-day" title=tr(K::StatsPerDay) chart=days_chart table=days_table />
            <ChartBlock id="times" title=tr(K::StatsTimes) chart=times_chart table=times_table />
            <ChartBlock id="per-operator" title=tr(K::StatsPerOperator) chart=ops_chart table=ops_table />
            <ChartBlock id="hours" title=tr(K::StatsBusiestHours) chart=hours_chart table=hours_table />
            <ChartBlock id="ratings" title=tr(K::StatsRatings) chart=ratings_chart table=ratings_table />
        </section>
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(None), "–");
        assert_eq!(duration(Some(45)), "45 s");
        assert_eq!(duration(Some(200)), "3 min 20 s");
        assert_eq!(duration(Some(7500)), "2 h 5 min");
        assert_eq!(duration(Some(100_800)), "1 d 4 h");
        assert_eq!(urlencode("Europe/Warsaw"), "Europe%2FWarsaw");
    }
}
