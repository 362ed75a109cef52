//! OAuth 2.0 apps over HTTP, in Bitrix24's shapes:
//!
//! - `POST /a/{slug}/apps` (admins) registers an app; its `client_secret` travels to the
//!   page once in a short-lived cookie (`Path=/a/{slug}/apps`), never in an address;
//! - `POST /a/{slug}/apps/{id}/delete`, `POST /a/{slug}/apps/{id}/grants/{user}/revoke`,
//!   `POST /a/{slug}/apps/{id}/events/{event_id}/retry` ("Retry now" in the delivery log);
//! - `POST /oauth/authorize/`: the consent page's Allow / Deny, which redirects to the
//!   app with `code` (or `error=access_denied`);
//! - `GET|POST /oauth/token/`: `grant_type=authorization_code` or `refresh_token`, with
//!   `client_id` and `client_secret`, in the query string or a form body.

use crate::extract::require_user;
use crate::extract::ClientIp;
use crate::extract::Member;
use crate::forms::back_with_errors;
use crate::respond::see_other;
use app::api::apps::FRESH_APP_COOKIE;
use app::backend::services::apps::{self, ConsentError, OAuthError};
use app::backend::AppState;
use app::util::with_query;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

struct AppForm {
    name: String,
    handler_url: String,
    scopes: Vec<String>,
}

fn read_app_form(body: &[u8]) -> AppForm {
    let mut f = AppForm {
        name: String::new(),
        handler_url: String::new(),
        scopes: Vec::new(),
    };
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "name" => f.name = v.into_owned(),
            "handler_url" => f.handler_url = v.into_owned(),
            "scopes" => f.scopes.push(v.into_owned()),
            _ => {}
        }
    }
    f
}

fn apps_path(slug: &str) -> String {
    format!("/a/{slug}/apps")
}

/// `POST /a/{slug}/apps`: `name`, `handler_url`, `scopes` (repeated).
pub async fn create(State(state): State<AppState>, Member(actor): Member, body: Bytes) -> Response {
    let page = apps_path(actor.slug.as_str());
    let f = read_app_form(&body);
    let keep = [("name", f.name.trim()), ("handler_url", f.handler_url.trim())];
    if let Err(e) = actor.require_admin() {
        return back_with_errors(&page, &[e], &[]);
    }
    let errs = apps::form_errors(&f.name, &f.handler_url, &f.scopes);
    if !errs.is_empty() {
        return back_with_errors(&page, &errs, &keep);
    }
    match apps::create(&state.db, &actor, &f.name, &f.handler_url, &f.scopes).await {
        Ok((app, secret)) => {
            tracing::info!(account_id = actor.account.0, app = app.id, "OAuth app registered");
            let secure = if state.config.secure_cookies() {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{FRESH_APP_COOKIE}={}:{secret}; Path={page}; HttpOnly; SameSite=Strict; Max-Age=120{secure}",
                app.client_id
            );
            see_other(&with_query(&page, &[("ok", "app_created")]), Some(cookie))
        }
        Err(e) => back_with_errors(&page, &[e], &keep),
    }
}

/// `POST /a/{slug}/apps/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    let page = apps_path(actor.slug.as_str());
    match apps::delete(&state.db, &actor, id).await {
        Ok(()) => see_other(&with_query(&page, &[("ok", "app_deleted")]), None),
        Err(e) => back_with_errors(&page, &[e], &[]),
    }
}

/// `POST /a/{slug}/apps/{id}/grants/{user_id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id, member)): Path<(String, i64, i64)>,
) -> Response {
    let page = apps_path(actor.slug.as_str());
    match apps::revoke_member(&state.db, &actor, id, member).await {
        Ok(()) => see_other(&with_query(&page, &[("ok", "access_revoked")]), None),
        Err(e) => back_with_errors(&page, &[e], &[]),
    }
}

/// `POST /a/{slug}/apps/{id}/events/{event_id}/retry`: "Retry now" in the delivery log.
pub async fn retry_event(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id, event_id)): Path<(String, i64, i64)>,
) -> Response {
    let page = apps_path(actor.slug.as_str());
    match apps::retry_event(&state.db, &state.retry_presses, &actor, id, event_id).await {
        Ok(()) => see_other(&with_query(&page, &[("ok", "event_retried")]), None),
        Err(e) => back_with_errors(&page, &[e], &[]),
    }
}

/// The consent page's address with the same request, to come back to.
fn consent_path(client_id: &str, redirect_uri: &str, state: &str) -> String {
    let mut pairs = vec![("client_id", client_id), ("response_type", "code")];
    if !redirect_uri.is_empty() {
        pairs.push(("redirect_uri", redirect_uri));
    }
    if !state.is_empty() {
        pairs.push(("state", state));
    }
    with_query("/oauth/authorize/", &pairs)
}

/// `POST /oauth/authorize/`: `client_id`, `redirect_uri`, `state`, `decision`
/// (`allow` or `deny`) from the consent page. Everything is checked again here.
pub async fn decide(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (mut client_id, mut redirect_uri, mut st, mut decision) =
        (String::new(), String::new(), String::new(), String::new());
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "client_id" => client_id = v.into_owned(),
            "redirect_uri" => redirect_uri = v.into_owned(),
            "state" => st = v.into_owned(),
            "decision" => decision = v.into_owned(),
            _ => {}
        }
    }
    let back = consent_path(&client_id, &redirect_uri, &st);
    let user = match require_user(&state, &headers, &back).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let to = match decision.as_str() {
        "allow" => {
            apps::allow(
                &state.db,
                &state.config.public_url,
                user.id,
                &client_id,
                &redirect_uri,
                &st,
            )
            .await
        }
        "deny" => apps::deny(&state.db, user.id, &client_id, &redirect_uri, &st).await,
        _ => Err(ConsentError::BadRequest),
    };
    match to {
        Ok(to) => {
            tracing::info!(user = user.id.0, %decision, "OAuth consent");
            see_other(&to, None)
        }
        // Shown on the consent page itself (never sent to an unchecked address).
        Err(e) => {
            tracing::info!(error = ?e, "OAuth consent refused");
            see_other(&back, None)
        }
    }
}

fn oauth_error(status: StatusCode, e: OAuthError) -> Response {
    let mut res = (
        status,
        axum::Json(serde_json::json!({ "error": e.error, "error_description": e.description })),
    )
        .into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// The largest token request.
const TOKEN_BODY_LIMIT: usize = 16 * 1024;

/// `GET|POST /oauth/token/`: Bitrix24's token endpoint. Failed requests are limited per
/// client IP like REST calls with bad credentials.
pub async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    RawQuery(query): RawQuery,
    req: axum::extract::Request,
) -> Response {
    let mut p: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .take(32)
        .collect();
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"));
    let Ok(body) = axum::body::to_bytes(req.into_body(), TOKEN_BODY_LIMIT).await else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            OAuthError {
                error: "invalid_request",
                description: "The request body is too large",
            },
        );
    };
    if is_json {
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice::<serde_json::Value>(&body) {
            for (k, v) in m.into_iter().take(32) {
                if let Some(s) = v.as_str() {
                    p.push((k, s.to_string()));
                }
            }
        }
    } else {
        p.extend(url::form_urlencoded::parse(&body).into_owned().take(32));
    }
    let get = |name: &str| {
        p.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let (client_id, secret) = (get("client_id"), get("client_secret"));
    let result = match get("grant_type") {
        "authorization_code" => {
            let redirect = Some(get("redirect_uri")).filter(|r| !r.is_empty());
            apps::exchange_code(
                &state.db,
                &state.config.public_url,
                client_id,
                secret,
                get("code"),
                redirect,
            )
            .await
        }
        "refresh_token" => {
            apps::refresh(
                &state.db,
                &state.config.public_url,
                client_id,
                secret,
                get("refresh_token"),
            )
            .await
        }
        "" => Err(OAuthError {
            error: "invalid_request",
            description: "grant_type is required",
        }),
        _ => Err(OAuthError {
            error: "unsupported_grant_type",
            description: "grant_type must be authorization_code or refresh_token",
        }),
    };
    match result {
        Ok(t) => {
            let mut res = (StatusCode::OK, axum::Json(t)).into_response();
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            res
        }
        Err(e) if e.error == "server_error" => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => {
            if state.rest_bad_auth.take(ip).await.is_err() {
                tracing::warn!(%ip, "OAuth token requests with bad credentials limited");
                return oauth_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    OAuthError {
                        error: "slow_down",
                        description: "Too many failed requests; try again later",
                    },
                );
            }
            let status = if e.error == "invalid_client" {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            };
            oauth_error(status, e)
        }
    }
}

/// The routes of OAuth apps: the token endpoint, the consent's decision (its page is a
/// Leptos page; see `routes`), registering, deleting, revoking and "Retry now".
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/authorize", post(decide))
        .route("/oauth/token/", get(token).post(token))
        .route("/oauth/token", get(token).post(token))
        .route("/a/{slug}/apps", post(create))
        .route("/a/{slug}/apps/{id}/delete", post(delete))
        .route("/a/{slug}/apps/{id}/grants/{user_id}/revoke", post(revoke))
        .route("/a/{slug}/apps/{id}/events/{event_id}/retry", post(retry_event))
}
