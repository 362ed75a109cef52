//! Types and server functions shared by the pages and the server.
//!
//! Reads go through server functions (so the hydrated pages can refetch them);
//! writes from forms go to plain form endpoints in the `server` crate, so every form
//! also works with JavaScript disabled.

pub mod accounts;
pub mod session;

use crate::domain::{AccountId, Role, UserId};
use serde::{Deserialize, Serialize};

/// The signed-in user, as the pages see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
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
}
