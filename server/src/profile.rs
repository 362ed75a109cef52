//! Profile form endpoints: a member creates and revokes REST webhooks and access tokens
//! for themselves. A new secret travels to the page once in a short-lived cookie
//! (`Path=/profile`), never in an address.

use crate::extract::require_user;
use crate::forms::back_with_errors;
use crate::respond::see_other;
use app::api::profile::FRESH_COOKIE;
use app::backend::services::credentials;
use app::backend::AppState;
use app::error::AppError;
use app::util::with_query;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;

const PROFILE: &str = "/profile";

struct CredentialForm {
    account: String,
    title: String,
    scopes: Vec<String>,
}

fn read(body: &[u8]) -> CredentialForm {
    let mut f = CredentialForm {
        account: String::new(),
        title: String::new(),
        scopes: Vec::new(),
    };
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "account" => f.account = v.into_owned(),
            "title" => f.title = v.into_owned(),
            "scopes" => f.scopes.push(v.into_owned()),
            _ => {}
        }
    }
    f
}

fn fresh_cookie(state: &AppState, value: &str) -> String {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!("{FRESH_COOKIE}={value}; Path={PROFILE}; HttpOnly; SameSite=Strict; Max-Age=120{secure}")
}

/// The webhook URL for a user and code (what SDKs are configured with).
pub fn webhook_url(public_url: &str, user_id: i64, code: &str) -> String {
    format!("{public_url}/rest/{user_id}/{code}/")
}

/// `POST /profile/webhooks`: `account`, `title`, `scopes` (repeated).
pub async fn create_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let user = match require_user(&state, &headers, PROFILE).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let f = read(&body);
    match credentials::create_webhook(&state.db, user.id, &f.account, &f.title, &f.scopes).await {
        Ok((_, code)) => {
            let url = webhook_url(&state.config.public_url, user.id.0, &code);
            see_other(
                &with_query(PROFILE, &[("ok", "webhook_created")]),
                Some(fresh_cookie(&state, &url)),
            )
        }
        Err(e) => failed(&e, &f),
    }
}

/// `POST /profile/tokens`: `account`, `scopes` (repeated); the token lasts an hour.
pub async fn issue_token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let user = match require_user(&state, &headers, PROFILE).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let f = read(&body);
    match credentials::issue_token(&state.db, user.id, &f.account, &f.scopes).await {
        Ok((_, token)) => see_other(
            &with_query(PROFILE, &[("ok", "token_issued")]),
            Some(fresh_cookie(&state, &token)),
        ),
        Err(e) => failed(&e, &f),
    }
}

fn failed(e: &AppError, f: &CredentialForm) -> Response {
    let e = match e {
        // Not a member of that account (or no such account): say so at the field.
        AppError::NotFound => AppError::Invalid {
            field: app::error::Field::Account,
            code: app::error::Code::NotFound,
        },
        other => other.clone(),
    };
    back_with_errors(
        PROFILE,
        &[e],
        &[("title", f.title.trim()), ("account", f.account.as_str())],
    )
}

/// `POST /profile/credentials/{id}/revoke`.
pub async fn revoke(State(state): State<AppState>, Path(id): Path<i64>, headers: HeaderMap) -> Response {
    let user = match require_user(&state, &headers, PROFILE).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match credentials::revoke(&state.db, user.id, id).await {
        Ok(()) => see_other(&with_query(PROFILE, &[("ok", "revoked")]), None),
        Err(e) => back_with_errors(PROFILE, &[e], &[]),
    }
}

/// `POST /profile/time-zone`: `time_zone` (an IANA name; empty: the browser's, automatic).
pub async fn set_time_zone(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let user = match require_user(&state, &headers, PROFILE).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let zone = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "time_zone")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let chosen = (!zone.is_empty()).then_some(zone.as_str());
    match app::backend::services::users::set_time_zone(&state.db, user.id, chosen).await {
        Ok(()) => see_other(&with_query(PROFILE, &[("ok", "time_zone_saved")]), None),
        Err(e) => back_with_errors(PROFILE, &[e], &[("time_zone", zone.as_str())]),
    }
}

/// The profile's forms: webhooks, tokens, the time zone, revoking credentials.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/profile/webhooks", post(create_webhook))
        .route("/profile/tokens", post(issue_token))
        .route(
            "/profile/time-zone",
            post(set_time_zone).layer(DefaultBodyLimit::max(crate::contact_center::SMALL_FORM_LIMIT)),
        )
        .route("/profile/credentials/{id}/revoke", post(revoke))
}
