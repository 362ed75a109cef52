//! Who is calling: the session's user, the member acting in an account, the client's
//! address — asked before anything else of the request (its body included) is read.
//! The form endpoints, sockets, files and REST all ask here.

use crate::respond::see_other;
use app::api::SessionUser;
use app::backend::principal::Actor;
use app::backend::services::accounts;
use app::backend::AppState;
use app::error::AppError;
use app::util::with_query;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// The signed-in member acting in the account named by the route's `{slug}`. Visitors
/// are sent to sign in (and back); people outside the account to its page, which
/// answers 404 — before the body is read or decoded.
pub struct Member(pub Actor);

impl FromRequestParts<AppState> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some(slug) = params
            .iter()
            .find(|(k, _)| *k == "slug")
            .map(|(_, v)| v.to_string())
        else {
            return Err(StatusCode::NOT_FOUND.into_response());
        };
        member_actor(state, &parts.headers, &slug).await.map(Member)
    }
}

/// The client's address for per-IP limits (see [`client_ip`]).
pub struct ClientIp(pub std::net::IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(request_ip(state, &parts.extensions, &parts.headers)))
    }
}

/// The client's address of a request from its parts (for middleware, which holds the
/// whole request): the TCP peer the server recorded, through [`client_ip`].
pub(crate) fn request_ip(
    state: &AppState,
    extensions: &axum::http::Extensions,
    headers: &HeaderMap,
) -> std::net::IpAddr {
    let peer = extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
    client_ip(state, peer, headers)
}

/// The session's user, if the request carries a live session.
pub(crate) async fn session_user(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SessionUser>, AppError> {
    app::backend::auth::user_from_headers(&state.db, &state.config, headers).await
}

/// The client's address for per-IP limits: the TCP peer, or behind a trusted proxy
/// (`NETLINES_TRUSTED_PROXIES`) the address it forwards.
pub(crate) fn client_ip(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> std::net::IpAddr {
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    state.config.client_ip(peer.ip(), forwarded)
}

/// Signed-in user or a redirect to the sign-in page that comes back to `back_to`.
pub(crate) async fn require_user(
    state: &AppState,
    headers: &HeaderMap,
    back_to: &str,
) -> Result<SessionUser, Response> {
    match session_user(state, headers).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(see_other(&with_query("/login", &[("next", back_to)]), None)),
        Err(e) => Err(back_with_code(back_to, &e)),
    }
}

/// The acting member for a form of account `slug`, or the response to send instead
/// (sign-in for visitors, the account page — a 404 — for outsiders).
pub(crate) async fn member_actor(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
) -> Result<Actor, Response> {
    let home = format!("/a/{slug}");
    let user = require_user(state, headers, &home).await?;
    match accounts::actor(&state.db, user.id, slug).await {
        Ok(a) => Ok(a),
        // The account page itself answers 404 for outsiders.
        Err(AppError::NotFound) => Err(see_other(&home, None)),
        Err(e) => Err(back_with_code(&home, &e)),
    }
}

/// Back to `path` with the error's code (and field) in the address.
fn back_with_code(path: &str, e: &AppError) -> Response {
    let field = e.field().map(|f| f.as_str()).unwrap_or("");
    see_other(
        &with_query(path, &[("error", e.code().as_str()), ("field", field)]),
        None,
    )
}
