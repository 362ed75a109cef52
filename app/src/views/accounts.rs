//! The signed-in user, accounts, members, invitations and storage, as the pages see them.

use crate::domain::{AccountId, Role, UserId};
use serde::{Deserialize, Serialize};

/// The signed-in user, as the pages see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    /// The time zone chosen on the profile (used where the browser's is unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// One account on the Network page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: AccountId,
    pub name: String,
    pub slug: String,
    /// The signed-in user's role in it.
    pub role: Role,
}

/// One member of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// The account's home page: the account, the viewer, and its members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub account: AccountSummary,
    pub me: UserId,
    pub members: Vec<MemberView>,
    /// Storage the account's files use and may use (admins only).
    #[serde(default)]
    pub storage: Option<StorageView>,
    /// Invitations waiting for their answer (admins only).
    #[serde(default)]
    pub invitations: Vec<InvitationView>,
}

/// An invitation of the account, waiting (admins see them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub expires_at: i64,
}

/// An invitation waiting for the signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyInvitationView {
    pub id: i64,
    pub account_name: String,
    pub role: Role,
    pub invited_by: String,
}

/// Bytes of files an account (or a user) has stored, and its quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageView {
    pub used: i64,
    pub quota: i64,
}
