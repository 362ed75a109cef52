//! `GET /healthz` for load balancers and `GET /metrics` for a scraper holding the token.

use app::backend::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// `GET /healthz`: 200 when the database answers (and, with several nodes, the node is
/// connected to NATS), 503 otherwise — a load balancer then sends its clients to the
/// other nodes, where they resume.
pub(crate) async fn healthz(State(state): State<AppState>) -> Response {
    let database = state.db.ping().await;
    if let Err(e) = &database {
        tracing::error!(error = %e, "health check: database unavailable");
    }
    let broker = state.cluster.as_ref().map(|c| c.connected());
    if broker == Some(false) {
        tracing::error!("health check: NATS unavailable");
    }
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let healthy = database.is_ok() && broker != Some(false);
    let mut body = serde_json::json!({ "status": word(healthy), "database": word(database.is_ok()) });
    if let Some(b) = broker {
        body["broker"] = serde_json::json!(word(b));
    }
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// `GET /metrics`: the node's metrics in the Prometheus text format, for a scraper that
/// bears `NETLINES_METRICS_TOKEN` (unset: 404, as if there were no such page).
pub(crate) async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let offered = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !app::backend::auth::same_secret(offered.as_bytes(), token.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(axum::http::header::WWW_AUTHENTICATE, "Bearer")],
            "a valid bearer token is required",
        )
            .into_response();
    }
    let m = app::backend::metrics::get();
    match app::backend::services::queue::waiting_per_channel(&state.db).await {
        Ok(waiting) => {
            m.waiting.clear();
            for (channel, n) in waiting {
                m.waiting
                    .get_or_create(&app::backend::metrics::ChannelLabels { channel })
                    .set(n);
            }
        }
        Err(e) => tracing::warn!(error = ?e, "metrics: waiting conversations unavailable"),
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.encode(),
    )
        .into_response()
}

/// Health for load balancers, metrics for a scraper.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/metrics", axum::routing::get(metrics))
}
