//! Contact-center statistics: the figures of a set of conversations, as pure functions
//! (tested against a known data set below). Days and hours are the viewer's, in their
//! time zone; the server converts instants before calling [`compute`].

use serde::{Deserialize, Serialize};

/// One conversation as the statistics need it. Times are ms since the epoch; `day` and
/// `hour` are the local date (index into the period) and hour it started at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub operator: Option<i64>,
    pub created_at: i64,
    pub first_response_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// `Some(true)`: like; `Some(false)`: dislike.
    pub liked: Option<bool>,
    pub day: usize,
    pub hour: usize,
}

/// Median and 90th percentile of durations, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spread {
    pub count: u64,
    pub median_s: Option<i64>,
    pub p90_s: Option<i64>,
}

/// The nearest-rank percentile `p` (0–100) of sorted values.
fn percentile(sorted: &[i64], p: u64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p as usize * sorted.len()).div_ceil(100)).max(1);
    Some(sorted[rank - 1])
}

pub fn spread(mut ms: Vec<i64>) -> Spread {
    ms.sort_unstable();
    Spread {
        count: ms.len() as u64,
        median_s: percentile(&ms, 50).map(|v| v / 1000),
        p90_s: percentile(&ms, 90).map(|v| v / 1000),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFigures {
    /// `YYYY-MM-DD` in the viewer's zone.
    pub date: String,
    pub started: u64,
    pub answered: u64,
    pub missed: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorFigures {
    pub user_id: i64,
    pub name: String,
    /// Conversations assigned to them (taken or handed to them).
    pub conversations: u64,
    pub answered: u64,
    pub closed: u64,
    pub first_response: Spread,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub started: u64,
    /// An operator answered.
    pub answered: u64,
    /// Finished without any operator's answer.
    pub missed: u64,
    /// Neither answered nor finished yet.
    pub waiting: u64,
    pub first_response: Spread,
    pub time_to_close: Spread,
    pub likes: u64,
    pub dislikes: u64,
    pub days: Vec<DayFigures>,
    /// Conversations started in each local hour 0–23.
    pub hours: Vec<u64>,
    /// Most conversations first.
    pub operators: Vec<OperatorFigures>,
}

/// The figures of `rows` over a period of `dates` (local dates, in order).
pub fn compute(rows: &[Row], dates: &[String]) -> Figures {
    let mut f = Figures {
        days: dates
            .iter()
            .map(|d| DayFigures {
                date: d.clone(),
                ..Default::default()
            })
            .collect(),
        hours: vec![0; 24],
        ..Default::default()
    };
    let mut first = Vec::new();
    let mut close = Vec::new();
    let mut ops: std::collections::BTreeMap<i64, (OperatorFigures, Vec<i64>)> = Default::default();
    for r in rows {
        f.started += 1;
        let answered = r.first_response_at.is_some();
        let missed = !answered && r.closed_at.is_some();
        if let Some(t) = r.first_response_at {
            f.answered += 1;
            first.push((t - r.created_at).max(0));
        } else if missed {
            f.missed += 1;
        } else {
            f.waiting += 1;
        }
        if let Some(t) = r.closed_at {
            close.push((t - r.created_at).max(0));
        }
        match r.liked {
            Some(true) => f.likes += 1,
            Some(false) => f.dislikes += 1,
            None => {}
        }
        if let Some(d) = f.days.get_mut(r.day) {
            d.started += 1;
            d.answered += answered as u64;
            d.missed += missed as u64;
        }
        if let Some(h) = f.hours.get_mut(r.hour) {
            *h += 1;
        }
        if let Some(op) = r.operator {
            let e = ops.entry(op).or_insert_with(|| {
                (
                    OperatorFigures {
                        user_id: op,
                        ..Default::default()
                    },
                    Vec::new(),
                )
            });
            e.0.conversations += 1;
            e.0.closed += r.closed_at.is_some() as u64;
            if let Some(t) = r.first_response_at {
                e.0.answered += 1;
                e.1.push((t - r.created_at).max(0));
            }
        }
    }
    f.first_response = spread(first);
    f.time_to_close = spread(close);
    f.operators = ops
        .into_values()
        .map(|(mut o, times)| {
            o.first_response = spread(times);
            o
        })
        .collect();
    f.operators.sort_by(|a, b| {
        b.conversations
            .cmp(&a.conversations)
            .then(a.user_id.cmp(&b.user_id))
    });
    f
}

/// The figures as CSV (sections separated by an empty line), numbers unformatted.
pub fn to_csv(f: &Figures) -> String {
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut out = String::from("metric,value\n");
    for (k, v) in [
        ("started", f.started.to_string()),
        ("answered", f.answered.to_string()),
        ("missed", f.missed.to_string()),
        ("waiting", f.waiting.to_string()),
        ("first_response_median_s", opt(f.first_response.median_s)),
        ("first_response_p90_s", opt(f.first_response.p90_s)),
        ("time_to_close_median_s", opt(f.time_to_close.median_s)),
        ("time_to_close_p90_s", opt(f.time_to_close.p90_s)),
        ("likes", f.likes.to_string()),
        ("dislikes", f.dislikes.to_string()),
    ] {
        out += &format!("{k},{v}\n");
    }
    out += "\ndate,started,answered,missed\n";
    for d in &f.days {
        out += &format!("{},{},{},{}\n", d.date, d.started, d.answered, d.missed);
    }
    out += "\nhour,started\n";
    for (h, n) in f.hours.iter().enumerate() {
        out += &format!("{h:02}:00,{n}\n");
    }
    out += "\noperator,conversations,answered,closed,first_response_median_s,first_response_p90_s\n";
    for o in &f.operators {
        out += &format!(
            "{},{},{},{},{},{}\n",
            csv_field(&o.name),
            o.conversations,
            o.answered,
            o.closed,
            opt(o.first_response.median_s),
            opt(o.first_response.p90_s)
        );
    }
    out
}

/// A CSV field: quoted when needed, and never read as a formula by spreadsheets —
/// whichever separator they split on (`,`, or `;` where the decimal mark is a comma, as
/// in Polish Excel, or a tab): a field holding any of them is quoted, so no part of it
/// can start a cell of its own.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r', '|', '%']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', ';', '\t', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000;

    fn row(
        op: Option<i64>,
        first: Option<i64>,
        closed: Option<i64>,
        liked: Option<bool>,
        day: usize,
        hour: usize,
    ) -> Row {
        Row {
            operator: op,
            created_at: 0,
            first_response_at: first,
            closed_at: closed,
            liked,
            day,
            hour,
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(spread(vec![]).median_s, None);
        let s = spread((1..=10).map(|i| i * S).collect());
        assert_eq!((s.count, s.median_s, s.p90_s), (10, Some(5), Some(9)));
        let s = spread(vec![30 * S]);
        assert_eq!((s.median_s, s.p90_s), (Some(30), Some(30)));
        let s = spread(vec![3 * S, S, 2 * S]);
        assert_eq!((s.median_s, s.p90_s), (Some(2), Some(3)));
    }

    #[test]
    fn a_known_data_set_gives_known_figures() {
        let rows = vec![
            // Answered after 60 s and 120 s, closed after 10 min; one like, one dislike.
            row(Some(7), Some(60 * S), Some(600 * S), Some(true), 0, 9),
            row(Some(7), Some(120 * S), Some(600 * S), Some(false), 0, 9),
            // Answered after 30 s by another operator, still open.
            row(Some(8), Some(30 * S), None, None, 1, 14),
            // Missed: closed unanswered after 5 min.
            row(None, None, Some(300 * S), None, 1, 23),
            // Waiting.
            row(None, None, None, None, 2, 0),
        ];
        let dates: Vec<String> = ["2026-12-01", "2026-12-02", "2026-12-03"]
            .map(String::from)
            .to_vec();
        let f = compute(&rows, &dates);
        assert_eq!((f.started, f.answered, f.missed, f.waiting), (5, 3, 1, 1));
        assert_eq!(
            (f.first_response.median_s, f.first_response.p90_s),
            (Some(60), Some(120))
        );
        assert_eq!(
            (f.time_to_close.median_s, f.time_to_close.p90_s),
            (Some(600), Some(600))
        );
        assert_eq!((f.likes, f.dislikes), (1, 1));
        assert_eq!(
            f.days
                .iter()
                .map(|d| (d.started, d.answered, d.missed))
                .collect::<Vec<_>>(),
            [(2, 2, 0), (2, 1, 1), (1, 0, 0)]
        );
        assert_eq!((f.hours[9], f.hours[14], f.hours[23], f.hours[0]), (2, 1, 1, 1));
        assert_eq!(f.hours.iter().sum::<u64>(), 5);
        assert_eq!(f.operators.len(), 2);
        assert_eq!(
            (
                f.operators[0].user_id,
                f.operators[0].conversations,
                f.operators[0].closed
            ),
            (7, 2, 2)
        );
        assert_eq!(f.operators[0].first_response.median_s, Some(60));
        assert_eq!((f.operators[1].user_id, f.operators[1].answered), (8, 1));
        let csv = to_csv(&f);
        assert!(csv.starts_with(
            "metric,value\nstarted,5\nanswered,3\nmissed,1\nwaiting,1\nfirst_response_median_s,60\n"
        ));
        assert!(csv.contains("\ndate,started,answered,missed\n2026-12-01,2,2,0\n"));
        assert!(csv.contains("\n09:00,2\n"));
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("Anna"), "Anna");
        assert_eq!(csv_field("Kowalski, Jan"), "\"Kowalski, Jan\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-2"), "'-2");
        // Split on `;` (Polish Excel) a name must not become a formula cell.
        assert_eq!(csv_field("Zed;=1+2"), "\"Zed;=1+2\"");
        assert_eq!(csv_field("Zed\t=1+2"), "\"Zed\t=1+2\"");
        for hostile in ["Zed;=1+2", "a,=b", "x\t@SUM(1)", "q;+1", "w;-1"] {
            for sep in [',', ';', '\t'] {
                let line = format!("{},1", csv_field(hostile));
                // Naive splitting outside quotes: no cell starts with a formula mark.
                let mut cells = Vec::new();
                let (mut cur, mut quoted) = (String::new(), false);
                for ch in line.chars() {
                    match ch {
                        '"' => quoted = !quoted,
                        c if c == sep && !quoted => cells.push(std::mem::take(&mut cur)),
                        c => cur.push(c),
                    }
                }
                cells.push(cur);
                assert!(
                    cells.iter().all(|c| !c.starts_with(['=', '+', '-', '@'])),
                    "{hostile} split on {sep:?}: {cells:?}"
                );
            }
        }
    }
}
