//! Accounts as the signed-in user sees them.

use super::{AccountSummary, AccountView};
use crate::error::AppError;
use leptos::prelude::*;

/// Every account in which the signed-in user works (the Network page).
#[server(prefix = "/api", endpoint = "my_accounts", output = crate::api::Answer)]
pub async fn my_accounts() -> Result<Vec<AccountSummary>, AppError> {
    use crate::backend::{auth::require_user, services::accounts, AppState};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    accounts::list_for_user(&state.db, user.id).await
}

/// The invitations waiting for the signed-in user (the Network page).
#[server(prefix = "/api", endpoint = "my_invitations", output = crate::api::Answer)]
pub async fn my_invitations() -> Result<Vec<super::MyInvitationView>, AppError> {
    use crate::backend::{auth::require_user, services::invitations, AppState};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    invitations::pending_for_user(&state.db, user.id).await
}

/// One account's home page, for its members only.
#[server(prefix = "/api", endpoint = "account_page", output = crate::api::Answer)]
pub async fn account_page(slug: String) -> Result<AccountView, AppError> {
    use crate::backend::{auth::require_user, services::accounts, AppState};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    let actor = accounts::actor(&state.db, user.id, &slug).await?;
    let members = accounts::members(&state.db, &actor).await?;
    let storage = if actor.role == crate::domain::Role::Admin {
        Some(super::StorageView {
            used: crate::backend::services::storage::used_by_account(&state.db, actor.account).await?,
            quota: state.config.quotas.per_account_bytes,
        })
    } else {
        None
    };
    let invitations = if actor.role == crate::domain::Role::Admin {
        crate::backend::services::invitations::pending_for_account(&state.db, &actor).await?
    } else {
        Vec::new()
    };
    Ok(AccountView {
        storage,
        invitations,
        account: AccountSummary {
            id: actor.account,
            name: actor.account_name.clone(),
            slug: actor.slug.to_string(),
            role: actor.role,
        },
        me: user.id,
        members,
    })
}
