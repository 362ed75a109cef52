//! Form endpoints (POST, then redirect: the Post/Redirect/Get pattern).
//!
//! They serve the plain HTML forms of the pages, so every form works with JavaScript
//! disabled. Success redirects to the next page (`?ok=…` for a confirmation); failure
//! redirects back to the form with `?error=CODE&field=FIELD` and writes nothing; the
//! typed values (never passwords) come back through the server (`services::refills`,
//! [`keep_refills`]), never in the URL.

use crate::extract::ClientIp;
use crate::extract::{require_user, session_user, Member};
use crate::respond::see_other;
use app::backend::auth::{
    create_session, delete_session, session_cookie_name, session_token, SESSION_TTL_SECS,
};
use app::backend::http_util::set_cookie;
use app::backend::services::{accounts, refills, users};
use app::backend::AppState;
use app::domain::{safe_next, AccountName, DisplayName, Email, Password, Role, Slug, UserId};
use app::error::{AppError, Code};
use app::i18n::Lang;
use app::util::with_query;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::post;
use axum::Form;
use axum::Router;
use serde::Deserialize;

mod identity;
mod members;

use identity::*;
use members::*;

/// The `errors` query value: `field.code` pairs joined by commas, read back by the pages'
/// `query_errors`.
pub(crate) fn errors_param(errs: &[AppError]) -> String {
    errs.iter()
        .map(|e| {
            format!(
                "{}.{}",
                e.field().map(|f| f.as_str()).unwrap_or(""),
                e.code().as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// What a refused form had typed, on its way from a form endpoint to [`keep_refills`],
/// which keeps it on the server for the page the browser is sent back to.
#[derive(Clone, Debug)]
pub(crate) struct PendingRefill {
    path: String,
    values: Vec<(String, String)>,
}

/// 303 back to `path` (which may carry navigation state such as `?c=5`) with `pairs`
/// added to its query, and the typed `keep` values handed to [`keep_refills`]: they
/// never travel in the URL.
pub(crate) fn back_to(path: &str, pairs: &[(&str, &str)], keep: &[(&str, &str)]) -> Response {
    let mut res = see_other(&with_query(path, pairs), None);
    if keep.iter().any(|(_, v)| !v.is_empty()) {
        res.extensions_mut().insert(PendingRefill {
            path: path.split('?').next().unwrap_or(path).to_string(),
            values: keep.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        });
    }
    res
}

/// Redirects back to `path` with every field error (`errors=field.code,…`); the typed
/// values in `keep` come back through the server (see [`back_to`]).
pub(crate) fn back_with_errors(path: &str, errs: &[AppError], keep: &[(&str, &str)]) -> Response {
    if let [one] = errs {
        return back_with_error(path, one, keep);
    }
    let joined = errors_param(errs);
    back_to(path, &[("errors", &joined)], keep)
}

/// Redirects back to `path` with the error (`error=code&field=field`); the typed values
/// in `keep` come back through the server (see [`back_to`]).
pub(crate) fn back_with_error(path: &str, err: &AppError, keep: &[(&str, &str)]) -> Response {
    let mut pairs: Vec<(&str, &str)> = vec![("error", err.code().as_str())];
    if let Some(f) = err.field() {
        pairs.push(("field", f.as_str()));
    }
    back_to(path, &pairs, keep)
}

/// Middleware: keeps a refused form's typed values ([`PendingRefill`]) on the server,
/// named by the browser's refill cookie (set here when it has none), for the page the
/// browser is sent back to. Writes are limited per client IP; past the limit the
/// values are not kept (the error still shows).
pub(crate) async fn keep_refills(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let secure = state.config.secure_cookies();
    let had = app::backend::http_util::cookie(req.headers(), refills::cookie_name(secure))
        .filter(|t| refills::well_formed(t));
    let ip = crate::extract::request_ip(&state, req.extensions(), req.headers());
    let mut res = next.run(req).await;
    let Some(pending) = res.extensions_mut().remove::<PendingRefill>() else {
        return res;
    };
    if state.refill_writes.take(ip).await.is_err() {
        tracing::warn!(%ip, "refused form: refill not kept (write limit)");
        return res;
    }
    let token = had.unwrap_or_else(refills::new_token);
    // The cookie is (re)set with each refill, so it lives as long as the row it names.
    match refills::save(&state.db, &token, &pending.path, &pending.values).await {
        Ok(()) => {
            let cookie = set_cookie(
                refills::cookie_name(secure),
                &token,
                refills::TTL_MS / 1000,
                true,
                secure,
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        Err(e) => tracing::warn!(error = ?e, "refused form: refill not kept"),
    }
    res
}

/// For a page showing a refused form (`?error=` or `?errors=`): the values the browser
/// typed into it, if the server kept them for this path.
pub(crate) async fn page_refill(
    state: &AppState,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Option<app::ui::RequestRefill> {
    let shows_error = query
        .split('&')
        .any(|p| p.starts_with("error=") || p.starts_with("errors="));
    if !shows_error {
        return None;
    }
    let token =
        app::backend::http_util::cookie(headers, refills::cookie_name(state.config.secure_cookies()))?;
    match refills::load(&state.db, &token, path).await {
        Ok(Some(values)) => Some(app::ui::RequestRefill {
            path: path.to_string(),
            values,
        }),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = ?e, "page refill unavailable");
            None
        }
    }
}

/// Forgets the browser's refill (at sign-out: the next person at this browser must not
/// see what was typed).
async fn forget_refill(state: &AppState, headers: &HeaderMap) {
    if let Some(token) =
        app::backend::http_util::cookie(headers, refills::cookie_name(state.config.secure_cookies()))
    {
        if let Err(e) = refills::forget(&state.db, &token).await {
            tracing::warn!(error = ?e, "refill not forgotten at sign-out");
        }
    }
}

/// The routes of signing in and out, the language, accounts, members and invitations.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/register", post(register))
        .route("/auth/logout", post(logout))
        .route("/auth/logout-everywhere", post(logout_everywhere))
        .route("/lang", post(set_lang))
        .route("/accounts", post(create_account))
        .route("/a/{slug}/members", post(add_member))
        .route("/a/{slug}/invitations/{id}/cancel", post(cancel_invitation))
        .route("/invitations/{id}/accept", post(accept_invitation))
        .route("/invitations/{id}/decline", post(decline_invitation))
        .route("/a/{slug}/members/{user_id}/role", post(change_role))
        .route("/a/{slug}/members/{user_id}/remove", post(remove_member))
}
