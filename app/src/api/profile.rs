//! The profile page's data: the user's REST credentials.

use super::ProfileView;
use crate::error::AppError;
use leptos::prelude::*;

/// Name of the short-lived cookie that carries a just-made secret to the profile page
/// once (never in an address).
pub const FRESH_COOKIE: &str = "netlines_fresh";

/// The signed-in user's profile. Reading it consumes the "just made" secret.
#[server(prefix = "/api", endpoint = "profile_page", output = crate::api::Answer)]
pub async fn profile_page() -> Result<ProfileView, AppError> {
    use crate::backend::services::{accounts, credentials};
    use crate::backend::{auth::require_user, http_util::cookie, AppState};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    let fresh = use_context::<http::request::Parts>().and_then(|p| cookie(&p.headers, FRESH_COOKIE));
    if fresh.is_some() {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            let clear = format!("{FRESH_COOKIE}=; Path=/profile; HttpOnly; SameSite=Strict; Max-Age=0");
            if let Ok(v) = http::HeaderValue::from_str(&clear) {
                res.append_header(http::header::SET_COOKIE, v);
            }
        }
    }
    Ok(ProfileView {
        accounts: accounts::list_for_user(&state.db, user.id).await?,
        credentials: credentials::list(&state.db, user.id).await?,
        fresh: fresh.filter(|f| !f.is_empty()),
        public_url: state.config.public_url.clone(),
        time_zones: crate::domain::hours::time_zone_names(),
        user,
    })
}
