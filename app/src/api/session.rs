//! Who is signed in.

use super::SessionUser;
use crate::error::AppError;
use leptos::prelude::*;

/// The signed-in user, or `None`.
#[server(prefix = "/api", endpoint = "current_user", output = crate::api::Answer)]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    crate::backend::auth::current_user_from_context().await
}
