//! The customer's side: the account picker and the chat.

use super::ChannelCard;
use crate::domain::Role;
use serde::{Deserialize, Serialize};

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
    /// False for a visitor who is not signed in: they see the card and the way in.
    #[serde(default)]
    pub signed_in: bool,
}

/// Everything the chat page shows on load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatView {
    pub card: ChannelCard,
    pub account_name: String,
    pub account_slug: String,
    pub user_name: String,
    /// The signed-in person (whose unsent messages the page may take back).
    pub user: crate::domain::UserId,
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
    /// The person's open conversations with the channel from their other accounts
    /// (they count towards `limit` too).
    #[serde(default)]
    pub open_elsewhere: i64,
    /// A fresh id for the no-JavaScript form's message, so a resubmitted form is stored once.
    pub form_client_id: String,
    /// Whether a finished conversation asks the customer for a rating.
    #[serde(default)]
    pub ask_rating: bool,
}
