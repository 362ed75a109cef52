//! `GET /a/{slug}/statistics.csv`: the statistics page's figures as a CSV download, with
//! the page's rights (admins: the account; operators: their own conversations).

use crate::extract::Member;
use app::backend::services::{stats, users};
use app::backend::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct CsvQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    tz: String,
}

pub async fn csv(
    State(state): State<AppState>,
    Member(actor): Member,
    headers: HeaderMap,
    Query(q): Query<CsvQuery>,
) -> Response {
    let channel = match q.channel.trim() {
        "" => None,
        c => match c.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    let time_zone = if q.tz.trim().is_empty() {
        match users::cookie_zone(&headers) {
            Some(z) => z,
            None => match users::profile_zone(&state.db, actor.user).await {
                Ok(z) => z.unwrap_or_else(|| "UTC".into()),
                Err(e) => return error(&e),
            },
        }
    } else {
        q.tz
    };
    let query = stats::StatsQuery {
        from: q.from,
        to: q.to,
        channel,
        time_zone,
    };
    match stats::statistics(&state.db, &actor, &query).await {
        Ok(v) => {
            let name = format!("netlines-{}-{}-{}.csv", actor.slug.as_str(), v.from, v.to);
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                    (header::CACHE_CONTROL, "private, no-store".to_string()),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                ],
                // A byte-order mark first, so spreadsheets read Polish letters as UTF-8.
                format!("\u{FEFF}{}", app::domain::stats::to_csv(&v.figures)),
            )
                .into_response()
        }
        Err(e) => error(&e),
    }
}

fn error(e: &app::error::AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{}\n", e.code().as_str()),
    )
        .into_response()
}

/// The statistics' CSV download (the page itself is a Leptos page).
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/a/{slug}/statistics.csv", axum::routing::get(csv))
}
