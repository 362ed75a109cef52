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

pub mod channels;

use crate::domain::ChannelId;

/// A channel's Network connector, as listed in the Contact Center.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorSummary {
    pub code: String,
    pub connected: bool,
    pub name: String,
}

/// One open channel in the Contact Center.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub id: ChannelId,
    pub name: String,
    pub active: bool,
    pub operators: Vec<UserId>,
    pub network: Option<ConnectorSummary>,
}

/// The Contact Center of one account as the viewer may see it: admins see every channel
/// and can manage them; operators see the channels they are in, read-only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCenterView {
    pub account: AccountSummary,
    pub can_manage: bool,
    pub channels: Vec<ChannelView>,
    /// The account's members (to choose operators from); empty for non-admins.
    pub members: Vec<MemberView>,
}

/// The settings form of one Network connector (admins only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorSettingsView {
    pub account: AccountSummary,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub channel_active: bool,
    pub connected: bool,
    pub code: String,
    pub link: String,
    pub name: String,
    pub description: String,
    pub welcome_message: String,
    pub avatar_url: Option<String>,
    pub multi_chat: bool,
    pub chat_limit: u8,
}

/// What any signed-in user with the code may know about a channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCard {
    pub code: String,
    pub name: String,
    pub description: String,
    pub avatar_url: Option<String>,
    /// False when the connector is disconnected or the open channel is inactive.
    pub available: bool,
}

/// URL of an avatar rendition.
pub fn avatar_url(key: &str, size: u32) -> String {
    format!("/avatars/{key}/{size}.png")
}

pub mod chat;

/// One of the user's accounts on the customer's account picker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickerAccount {
    pub name: String,
    pub slug: String,
    pub role: Role,
    /// Why this account cannot write to the channel (it is the channel's own account).
    pub disabled: Option<crate::error::Code>,
}

/// The link page: the channel's card and the accounts to write from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickerView {
    pub card: ChannelCard,
    pub accounts: Vec<PickerAccount>,
}

/// Everything the chat page shows on load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatView {
    pub card: ChannelCard,
    pub account_name: String,
    pub account_slug: String,
    pub user_name: String,
    /// Newest first.
    pub conversations: Vec<crate::protocol::ConversationView>,
    /// The conversation shown (the requested one, else the newest).
    pub selected: Option<crate::domain::ConversationId>,
    /// The last messages of the selected conversation, oldest first.
    pub messages: Vec<crate::protocol::MessageView>,
    /// Whether older messages exist before the first one shown.
    pub has_older: bool,
    /// The channel's limit of simultaneous conversations (None: one at a time).
    pub limit: Option<i64>,
    /// A fresh id for the no-JavaScript form's message, so a resubmitted form is stored once.
    pub form_client_id: String,
}
