//! The profile page: REST credentials.

use super::{AccountSummary, SessionUser};
use serde::{Deserialize, Serialize};

/// A REST credential as its owner sees it (never the secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialView {
    pub id: i64,
    /// `webhook` or `token`.
    pub kind: String,
    pub account_name: String,
    pub account_slug: String,
    pub title: String,
    pub scopes: Vec<String>,
    /// The secret's first characters.
    pub hint: String,
    pub created_at: i64,
    /// 0: never.
    pub expires_at: i64,
}

/// The profile page: the user's accounts and REST credentials, and a secret just made
/// (shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub user: SessionUser,
    pub accounts: Vec<AccountSummary>,
    pub credentials: Vec<CredentialView>,
    /// The webhook URL or access token created just now.
    pub fresh: Option<String>,
    pub public_url: String,
    /// Every zone the server knows, for the profile's time-zone list.
    #[serde(default)]
    pub time_zones: Vec<String>,
}
