//! The Bitrix24-compatible REST API (see `shared/docs/bitrix24-rest.md`).
//!
//! - `/rest/{USER_ID}/{WEBHOOK_CODE}/{method}[.json]` — an inbound webhook;
//! - `/rest/{method}[.json]?auth=TOKEN` (or `auth` in the body) — an access token;
//! - parameters from the query string, a form (PHP-style brackets), multipart, or JSON;
//! - answers in Bitrix24's envelope: `result` + `time`, or `error` + `error_description`;
//! - a leaky bucket per credential (2/s, burst 50 by default) → 503 `QUERY_LIMIT_EXCEEDED`.
//!
//! Never authenticated by a browser session: REST calls carry their credential.

mod batch;
mod methods;
mod openapi;
pub mod params;

use crate::extract::ClientIp;
use app::backend::services::credentials::{self, AuthFailure, RestCaller};
use app::backend::AppState;
use app::error::{AppError, Code};
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use params::Params;
use serde_json::{json, Value};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub use openapi::openapi;

/// A REST error: HTTP status, Bitrix24 error code, description.
#[derive(Clone, Debug, PartialEq)]
pub struct RestError {
    pub status: StatusCode,
    pub error: String,
    pub description: String,
}

impl RestError {
    pub fn new(status: StatusCode, error: &str, description: impl Into<String>) -> Self {
        Self {
            status,
            error: error.to_string(),
            description: description.into(),
        }
    }

    pub fn bad(error: &str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, description)
    }

    fn body(&self) -> Value {
        json!({ "error": self.error, "error_description": self.description })
    }
}

/// The English sentence for an error code (REST descriptions are in English).
fn sentence(code: Code) -> &'static str {
    app::i18n::t(app::i18n::Lang::En, app::i18n::error_key(code))
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

impl From<AppError> for RestError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unauthorized => RestError::new(
                StatusCode::UNAUTHORIZED,
                "NO_AUTH_FOUND",
                "Authorization is required",
            ),
            AppError::Forbidden => RestError::new(StatusCode::FORBIDDEN, "ACCESS_DENIED", "Access denied"),
            AppError::NotFound => RestError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found"),
            AppError::Internal | AppError::Transport(_) => RestError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "Internal server error",
            ),
            AppError::Invalid { field, code } | AppError::Conflict { field, code } => RestError::bad(
                &code.as_str().to_ascii_uppercase(),
                format!("{}: {}", field.as_str().to_ascii_uppercase(), sentence(code)),
            ),
            AppError::Limit { code, .. } => {
                RestError::bad(&code.as_str().to_ascii_uppercase(), sentence(code))
            }
        }
    }
}

/// A method's result, with the paging fields of list methods.
pub struct Output {
    pub result: Value,
    pub total: Option<i64>,
    pub next: Option<i64>,
}

/// The caller's operating time on the method: (seconds used, seconds until reset).
type Operating = (f64, u64);

impl From<Value> for Output {
    fn from(result: Value) -> Self {
        Output {
            result,
            total: None,
            next: None,
        }
    }
}

fn unix_f64(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    chrono::DateTime::<chrono::Utc>::from_timestamp(d.as_secs() as i64, d.subsec_nanos())
        .map(|dt| dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
        .unwrap_or_default()
}

/// Bitrix24's `time` block.
fn time_block(start: SystemTime, started: Instant) -> Value {
    time_block_with(start, started, (0.0, 600))
}

fn time_block_with(start: SystemTime, started: Instant, (operating, reset_in): Operating) -> Value {
    let finish = SystemTime::now();
    let duration = started.elapsed().as_secs_f64();
    json!({
        "start": unix_f64(start),
        "finish": unix_f64(finish),
        "duration": duration,
        "processing": duration,
        "date_start": rfc3339(start),
        "date_finish": rfc3339(finish),
        "operating_reset_at": unix_f64(start) as i64 + reset_in as i64,
        "operating": operating,
    })
}

fn respond(result: Result<(Output, Operating), RestError>, start: SystemTime, started: Instant) -> Response {
    match result {
        Ok((o, operating)) => {
            let mut body = json!({ "result": o.result });
            if let Some(t) = o.total {
                body["total"] = json!(t);
            }
            if let Some(n) = o.next {
                body["next"] = json!(n);
            }
            body["time"] = time_block_with(start, started, operating);
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The largest body of an ordinary call.
const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The method that carries a file in its parameters.
const UPLOAD_METHOD: &str = "disk.folder.uploadfile";

/// The largest body of `disk.folder.uploadfile`: one file of the configured size as
/// base64 (4 characters for 3 bytes), plus the other parameters.
fn upload_body_limit(state: &AppState) -> usize {
    state.config.files.max_bytes / 3 * 4 + 64 * 1024
}

/// The request with its body under the uploads' minimum transfer rate.
fn upload_body(state: &AppState, req: Request) -> Request {
    let (parts, body) = req.into_parts();
    let limits = state.config.serve;
    let slow = crate::uploads::min_rate(
        body.into_data_stream(),
        limits.upload_min_bytes,
        limits.upload_window,
    );
    Request::from_parts(parts, axum::body::Body::from_stream(slow))
}

/// Reads every parameter source of the request (a body of at most `limit` bytes).
async fn read_params(req: Request, limit: usize) -> Result<Params, RestError> {
    let refused = |e: params::ParamError| RestError::bad("INVALID_REQUEST", e.describe());
    let mut p = Params::from_query(req.uri().query().unwrap_or("")).map_err(refused)?;
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bad_body =
        |what: &str| RestError::bad("WRONG_REQUEST", format!("The request body is not valid {what}"));
    if ctype.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &())
            .await
            .map_err(|_| bad_body("multipart"))?;
        let mut pairs = Vec::new();
        while let Some(field) = mp.next_field().await.map_err(|_| bad_body("multipart"))? {
            if pairs.len() >= params::MAX_PARAMS {
                return Err(refused(params::ParamError::TooMany));
            }
            let name = field.name().unwrap_or("").to_string();
            let text = field.text().await.map_err(|_| bad_body("multipart"))?;
            pairs.push((name, text));
        }
        p.merge(Params::from_pairs(pairs).map_err(refused)?);
        return Ok(p);
    }
    let bytes = axum::body::to_bytes(req.into_body(), limit).await.map_err(|e| {
        if crate::uploads::is_too_slow(&e) {
            RestError::from(crate::files::refuse(Code::UploadTooSlow))
        } else {
            RestError::bad("WRONG_REQUEST", "The request body is too large")
        }
    })?;
    if bytes.is_empty() {
        return Ok(p);
    }
    if ctype.starts_with("application/json") {
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad_body("JSON"))?;
        p.merge(
            Params::from_json(v)
                .map_err(refused)?
                .ok_or_else(|| bad_body("JSON object"))?,
        );
    } else {
        p.merge(
            Params::from_pairs(
                url::form_urlencoded::parse(&bytes).map(|(k, v)| (k.into_owned(), v.into_owned())),
            )
            .map_err(refused)?,
        );
    }
    Ok(p)
}

/// `imopenlines.network.join.json` → `imopenlines.network.join`; `.xml` is refused.
fn method_name(raw: &str) -> Result<String, RestError> {
    let m = raw.to_ascii_lowercase();
    if m.ends_with(".xml") {
        return Err(RestError::bad(
            "WRONG_REQUEST",
            "Only JSON responses are supported",
        ));
    }
    Ok(m.strip_suffix(".json").unwrap_or(&m).to_string())
}

fn too_many() -> RestError {
    RestError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "QUERY_LIMIT_EXCEEDED",
        "Too many requests",
    )
}

/// The caller, or its credential's error — requests with a bad credential limited per
/// client IP, so credentials cannot be guessed quickly.
async fn known_caller(
    state: &AppState,
    ip: std::net::IpAddr,
    caller: Result<RestCaller, RestError>,
) -> Result<RestCaller, RestError> {
    match caller {
        Ok(c) => Ok(c),
        Err(e) => {
            if state.rest_bad_auth.take(ip).await.is_err() {
                tracing::warn!(%ip, "REST requests with bad credentials limited");
                return Err(too_many());
            }
            Err(e)
        }
    }
}

/// One request from the caller's leaky bucket: one per user, whichever of their
/// webhooks, tokens or apps' tokens calls (more credentials are not more calls).
async fn take_bucket(state: &AppState, caller: &RestCaller) -> Result<(), RestError> {
    state
        .rest_buckets
        .take(caller.actor.user.0)
        .await
        .map(|_| ())
        .map_err(|_| too_many())
}

async fn run(
    state: &AppState,
    ip: std::net::IpAddr,
    caller: Result<RestCaller, RestError>,
    method: &str,
    p: Params,
) -> Result<(Output, Operating), RestError> {
    let caller = known_caller(state, ip, caller).await?;
    // The operating budget is kept only for methods that exist (a made-up name must
    // not make the server remember it).
    if method != "batch" && !methods::is_known(method) {
        return Err(RestError::new(
            StatusCode::NOT_FOUND,
            "ERROR_METHOD_NOT_FOUND",
            format!("Method not found: {method}"),
        ));
    }
    take_bucket(state, &caller).await?;
    let budget = &state.rest_operating;
    let (used, reset_in) = budget
        .check(caller.actor.user.0, method)
        .await
        .map_err(|(_, reset)| {
            RestError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "OPERATION_TIME_LIMIT",
                format!("Method is blocked due to operation time limit; try again in {reset} s"),
            )
        })?;
    let started = Instant::now();
    let out = if method == "batch" {
        batch::batch(state, &caller, &p).await
    } else {
        methods::call(state, &caller, method, &p).await
    };
    let spent = started.elapsed().as_secs_f64();
    budget.spend(caller.actor.user.0, method, spent).await;
    out.map(|o| (o, (used + spent, reset_in)))
}

fn auth_error(f: AuthFailure) -> RestError {
    match f {
        AuthFailure::Invalid => RestError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Unable to authorize the request",
        ),
        AuthFailure::Expired => RestError::new(
            StatusCode::UNAUTHORIZED,
            "expired_token",
            "The access token provided has expired",
        ),
    }
}

/// `/rest/{user_id}/{code}/{method}`: an inbound webhook.
pub async fn with_webhook(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((user_id, code, method)): Path<(String, String, String)>,
    req: Request,
) -> Response {
    let (start, started) = (SystemTime::now(), Instant::now());
    let result = async {
        let method = method_name(&method)?;
        let caller = webhook_caller(&state, &user_id, &code).await;
        // A file-sized body only for a caller already known, a few of theirs at a time,
        // arriving at a minimum rate.
        let _slot;
        let (req, limit) = match &caller {
            Ok(c) if method == UPLOAD_METHOD => {
                _slot = crate::uploads::take_slot(&state, c.actor.user)?;
                (upload_body(&state, req), upload_body_limit(&state))
            }
            _ => (req, BODY_LIMIT),
        };
        let p = read_params(req, limit).await?;
        run(&state, ip, caller, &method, p).await
    }
    .await;
    counted(&method, respond(result, start, started))
}

/// `/rest/{method}?auth=TOKEN`: an access token (query or body).
pub async fn with_token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(method): Path<String>,
    req: Request,
) -> Response {
    let (start, started) = (SystemTime::now(), Instant::now());
    let has_session = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains(app::backend::auth::SESSION_COOKIE));
    let result = async {
        let method = method_name(&method)?;
        // A file-sized body only when the token in the query string is valid (checked
        // before the body is read), a few at a time; otherwise the ordinary bound.
        let _slot;
        let mut limit = BODY_LIMIT;
        let mut checked = None;
        let mut req = req;
        if method == UPLOAD_METHOD {
            let query = Params::from_query(req.uri().query().unwrap_or("")).unwrap_or_default();
            if let Some(token) = query.text("auth") {
                if let Ok(caller) = credentials::by_token(&state.db, &token).await {
                    _slot = crate::uploads::take_slot(&state, caller.actor.user)?;
                    limit = upload_body_limit(&state);
                    req = upload_body(&state, req);
                    checked = Some(caller);
                }
            }
        }
        let p = read_params(req, limit).await?;
        let caller = match (checked, p.text("auth")) {
            // The credential that allowed the body is the one that calls.
            (Some(caller), _) => Ok(caller),
            (None, Some(token)) => credentials::by_token(&state.db, &token).await.map_err(auth_error),
            // A browser session is not a REST credential.
            (None, None) if has_session && method == "imopenlines.network.message.add" => {
                Err(RestError::new(
                    StatusCode::FORBIDDEN,
                    "WRONG_AUTH_TYPE",
                    "This method cannot be called with a browser session",
                ))
            }
            (None, None) => Err(RestError::new(
                StatusCode::UNAUTHORIZED,
                "NO_AUTH_FOUND",
                "Wrong authorization data",
            )),
        };
        run(&state, ip, caller, &method, p).await
    }
    .await;
    counted(&method, respond(result, start, started))
}

/// An attached file for a REST caller who may read its conversation; the credential
/// counts against the same rate limit as calls. Bitrix24-style JSON errors.
async fn download(
    state: &AppState,
    ip: std::net::IpAddr,
    caller: Result<RestCaller, RestError>,
    id: &str,
    thumb: bool,
) -> Response {
    let result = async {
        let caller = known_caller(state, ip, caller).await?;
        if !caller.has_scope("im") {
            return Err(RestError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "The request requires higher privileges than provided by the credential (scope im)",
            ));
        }
        take_bucket(state, &caller).await?;
        let not_found = || RestError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "File is not found");
        let id = id.parse::<i64>().map_err(|_| not_found())?;
        match app::backend::services::attachments::readable_by_rest(
            &state.db,
            &caller.actor,
            &caller.user_name,
            id,
        )
        .await
        {
            Ok(a) if !thumb || a.thumb_key.is_some() => Ok(crate::files::send_file(state, &a, thumb).await),
            Ok(_) | Err(AppError::NotFound) => Err(not_found()),
            Err(e) => Err(e.into()),
        }
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

#[derive(serde::Deserialize)]
pub struct DownloadQuery {
    pub auth: Option<String>,
    #[serde(default)]
    pub thumb: Option<String>,
}

impl DownloadQuery {
    fn wants_thumb(&self) -> bool {
        self.thumb.as_deref().is_some_and(|t| t == "1" || t == "Y")
    }
}

/// The caller of an inbound webhook `/rest/{user_id}/{code}/…`.
async fn webhook_caller(state: &AppState, user_id: &str, code: &str) -> Result<RestCaller, RestError> {
    match user_id.parse::<i64>() {
        Ok(uid) => credentials::by_webhook(&state.db, uid, code)
            .await
            .map_err(auth_error),
        Err(_) => Err(auth_error(AuthFailure::Invalid)),
    }
}

/// `GET /rest/download/{id}?auth=TOKEN` (or `Authorization: Bearer TOKEN`); `&thumb=1`
/// for an image's thumbnail.
pub async fn download_with_token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DownloadQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let caller = match q.auth.clone().or(bearer) {
        Some(token) => credentials::by_token(&state.db, &token).await.map_err(auth_error),
        None => Err(RestError::new(
            StatusCode::UNAUTHORIZED,
            "NO_AUTH_FOUND",
            "Wrong authorization data",
        )),
    };
    download(&state, ip, caller, &id, q.wants_thumb()).await
}

/// `GET /rest/{user_id}/{code}/download/{id}`: the same with an inbound webhook.
pub async fn download_with_webhook(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((user_id, code, id)): Path<(String, String, String)>,
    axum::extract::Query(q): axum::extract::Query<DownloadQuery>,
) -> Response {
    let caller = webhook_caller(&state, &user_id, &code).await;
    download(&state, ip, caller, &id, q.wants_thumb()).await
}

/// Counts the call in the node's metrics (by method, when it is one we serve).
fn counted(method: &str, res: Response) -> Response {
    let known = methods::METHODS.iter().map(|m| m.name);
    app::backend::metrics::get().rest_call(method, known, res.status().as_u16());
    res
}

/// Every REST route.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::any;
    axum::Router::new()
        .route("/rest/openapi.json", axum::routing::get(openapi))
        .route("/rest/{method}", any(with_token))
        .route("/rest/download/{id}", axum::routing::get(download_with_token))
        .route("/rest/{user_id}/{code}/{method}", any(with_webhook))
        .route(
            "/rest/{user_id}/{code}/download/{id}",
            axum::routing::get(download_with_webhook),
        )
}
