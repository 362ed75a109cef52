//! OAuth apps: the account's apps page (admins) and the consent page (members).

use super::{AppsView, ConsentView};
use crate::error::AppError;
use leptos::prelude::*;

/// Name of the short-lived cookie that carries a just-registered app's `client_id` and
/// `client_secret` to the apps page once (never in an address).
pub const FRESH_APP_COOKIE: &str = "netlines_fresh_app";

/// The apps of account `slug` (admins only). Reading it consumes the "just registered"
/// secret.
#[server(prefix = "/api", endpoint = "apps_page", output = crate::api::Answer)]
pub async fn apps_page(slug: String) -> Result<AppsView, AppError> {
    use crate::backend::services::{accounts, apps};
    use crate::backend::{auth::require_user, http_util::cookie, AppState};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    let actor = accounts::actor(&state.db, user.id, &slug).await?;
    let list = apps::list(&state.db, &actor).await?;
    let fresh = use_context::<http::request::Parts>().and_then(|p| cookie(&p.headers, FRESH_APP_COOKIE));
    if fresh.is_some() {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            let clear = format!(
                "{FRESH_APP_COOKIE}=; Path=/a/{}/apps; HttpOnly; SameSite=Strict; Max-Age=0",
                actor.slug.as_str()
            );
            if let Ok(v) = http::HeaderValue::from_str(&clear) {
                res.append_header(http::header::SET_COOKIE, v);
            }
        }
    }
    // Only a secret of an app of this account is shown.
    let fresh = fresh.and_then(|f| {
        let (id, secret) = f.split_once(':')?;
        list.iter().any(|a| a.client_id == id).then(|| super::FreshApp {
            client_id: id.to_string(),
            client_secret: secret.to_string(),
        })
    });
    Ok(AppsView {
        slug: actor.slug.as_str().to_string(),
        account_name: actor.account_name.clone(),
        apps: list,
        fresh,
        public_url: state.config.public_url.clone(),
    })
}

/// What the consent page shows for `/oauth/authorize/?client_id=…` (signed-in members of
/// the app's account).
#[server(prefix = "/api", endpoint = "consent_page", output = crate::api::Answer)]
pub async fn consent_page(
    client_id: String,
    redirect_uri: String,
    response_type: String,
    state: String,
) -> Result<ConsentView, AppError> {
    use crate::backend::services::apps;
    use crate::backend::{auth::require_user, AppState};
    let user = require_user().await?;
    let app_state = expect_context::<AppState>();
    let view = apps::consent(
        &app_state.db,
        user.id,
        &client_id,
        &redirect_uri,
        &response_type,
        &state,
    )
    .await
    .map(|(v, _)| v)
    .map_err(consent_error)?;
    // Allow redirects to the app: the page's form may lead to its origin.
    if let Some(slot) = use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<crate::backend::web::PageNonceSlot>().cloned())
    {
        slot.allow_form_target(&view.redirect_origin);
    }
    Ok(view)
}

/// How a consent problem reaches the page.
#[cfg(feature = "ssr")]
pub fn consent_error(e: crate::backend::services::apps::ConsentError) -> AppError {
    use crate::backend::services::apps::ConsentError;
    use crate::error::{Code, Field};
    match e {
        ConsentError::UnknownClient => AppError::NotFound,
        ConsentError::NotMember => AppError::Forbidden,
        ConsentError::BadRedirect => AppError::Invalid {
            field: Field::HandlerUrl,
            code: Code::UrlFormat,
        },
        ConsentError::BadRequest => AppError::Invalid {
            field: Field::ClientId,
            code: Code::InvalidFormat,
        },
        ConsentError::Internal => AppError::Internal,
    }
}
