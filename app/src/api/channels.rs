//! Contact Center: open channels and Network connectors as the viewer may see them.

use super::{ChannelCard, ConnectorSettingsView, ContactCenterView};
use crate::error::AppError;
use leptos::prelude::*;

/// The Contact Center of account `slug` (admins: everything; operators: their channels).
#[server(prefix = "/api", endpoint = "contact_center", output = crate::api::Answer)]
pub async fn contact_center(slug: String) -> Result<ContactCenterView, AppError> {
    use crate::backend::{auth::require_user, services::accounts, services::channels, AppState};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    let actor = accounts::actor(&state.db, user.id, &slug).await?;
    channels::contact_center(&state.db, &actor).await
}

/// The settings form of the Network connector on channel `channel` (admins only).
#[server(prefix = "/api", endpoint = "connector_settings", output = crate::api::Answer)]
pub async fn connector_settings(slug: String, channel: i64) -> Result<ConnectorSettingsView, AppError> {
    use crate::backend::{auth::require_user, services::accounts, services::channels, AppState};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    let actor = accounts::actor(&state.db, user.id, &slug).await?;
    channels::settings(
        &state.db,
        &actor,
        crate::domain::ChannelId(channel),
        &state.config.public_url,
    )
    .await
}

/// The working hours and automatic messages of the Network connector on channel
/// `channel` (admins only).
#[server(prefix = "/api", endpoint = "hours_settings", output = crate::api::Answer)]
pub async fn hours_settings(slug: String, channel: i64) -> Result<crate::api::HoursSettingsView, AppError> {
    use crate::backend::{auth::require_user, services::accounts, services::hours, AppState};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    let actor = accounts::actor(&state.db, user.id, &slug).await?;
    hours::settings(&state.db, &actor, crate::domain::ChannelId(channel)).await
}

/// The public card of the channel behind a link's `IM_DIALOG` value (any signed-in user).
#[server(prefix = "/api", endpoint = "public_card", output = crate::api::Answer)]
pub async fn public_card(dialog: String) -> Result<ChannelCard, AppError> {
    use crate::backend::{auth::require_user, services::channels, AppState};
    use crate::domain::channel::ChannelCode;
    require_user().await?;
    let state = expect_context::<AppState>();
    let code = ChannelCode::from_dialog(&dialog).map_err(|_| AppError::NotFound)?;
    channels::card(&state.db, &code).await
}

/// The quick answers page of account `slug` (admins manage; operators read).
#[server(prefix = "/api", endpoint = "quick_answers_page", output = crate::api::Answer)]
pub async fn quick_answers_page(slug: String) -> Result<super::QuickAnswersView, AppError> {
    use crate::backend::{auth::require_user, services::accounts, services::quick_answers, AppState};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    let actor = accounts::actor(&state.db, user.id, &slug).await?;
    quick_answers::page(&state.db, &actor).await
}

/// The statistics of account `slug` for a period (`from`/`to` as `YYYY-MM-DD`, empty:
/// the last 7 days), one channel or all, in time zone `tz` (empty: the browser's zone
/// from its cookie, else the profile's, else UTC). Admins: the whole account; operators:
/// their own conversations.
#[server(prefix = "/api", endpoint = "statistics", output = crate::api::Answer)]
pub async fn statistics(
    slug: String,
    from: String,
    to: String,
    channel: Option<i64>,
    tz: String,
) -> Result<crate::api::StatsView, AppError> {
    use crate::backend::{auth::require_user, services::accounts, services::stats, AppState};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    let actor = accounts::actor(&state.db, user.id, &slug).await?;
    let time_zone = if tz.trim().is_empty() {
        crate::backend::services::users::viewer_zone(&state.db, user.id).await?
    } else {
        tz
    };
    let q = stats::StatsQuery {
        from,
        to,
        channel,
        time_zone,
    };
    stats::statistics(&state.db, &actor, &q).await
}
