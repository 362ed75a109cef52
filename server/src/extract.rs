//! Extractors shared by the form endpoints: who is calling, asked before anything else
//! of the request (its body included) is read.

use crate::forms;
use app::backend::services::accounts::Actor;
use app::backend::AppState;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

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
        forms::member_actor(state, &parts.headers, &slug)
            .await
            .map(Member)
    }
}
