//! The operators' inbox: lists, filters, queues, search and one conversation.

use super::AccountSummary;
use crate::domain::{ChannelId, UserId};
use serde::{Deserialize, Serialize};

/// Which conversations the inbox lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxFilter {
    /// Every conversation the viewer may see.
    #[default]
    All,
    /// Assigned to the viewer and not finished.
    Mine,
    /// Not answered and not assigned: in the queue.
    Waiting,
    /// Answered and not finished.
    Open,
    Closed,
    /// Pinned by the viewer.
    Pinned,
}

impl InboxFilter {
    pub const ALL: [InboxFilter; 6] = [
        Self::All,
        Self::Mine,
        Self::Waiting,
        Self::Open,
        Self::Closed,
        Self::Pinned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Mine => "mine",
            Self::Waiting => "waiting",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Pinned => "pinned",
        }
    }

    pub fn parse(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .unwrap_or_default()
    }

    /// Whether a conversation belongs in this list for viewer `me` (`pinned`: by them).
    pub fn matches(self, c: &crate::protocol::ConversationView, me: UserId, pinned: bool) -> bool {
        use crate::domain::conversation::ConversationStatus as S;
        match self {
            Self::All => true,
            Self::Mine => c.operator == Some(me) && c.status != S::Closed,
            Self::Waiting => c.shown_status() == S::New,
            Self::Open => c.shown_status() == S::Open,
            Self::Closed => c.shown_status() == S::Closed,
            Self::Pinned => pinned,
        }
    }
}

/// One operator of a channel's queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorView {
    pub id: UserId,
    pub name: String,
    /// Conversations assigned and not finished.
    pub load: i64,
    /// Has an inbox open now.
    pub online: bool,
}

/// A channel as the inbox knows it: its queue settings and operators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub id: ChannelId,
    pub name: String,
    pub distribution: crate::domain::channel::Distribution,
    pub capacity: u16,
    pub operators: Vec<OperatorView>,
}

/// What "Start new conversation" would do in a conversation right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitRule {
    /// Multiple chats allowed and under the limit: a parallel conversation opens.
    Parallel,
    /// One chat at a time: the current conversation closes and a new one opens.
    ClosesCurrent,
    /// At the limit of simultaneous conversations: not available.
    AtLimit,
    /// The conversation is finished.
    Closed,
}

/// One page of the inbox list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPage {
    pub items: Vec<crate::protocol::ConversationView>,
    /// Cursor for the next (older) page.
    pub next: Option<String>,
}

/// One conversation found by a search, with the latest message that matched (none when
/// only the customer's name did).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub conversation: crate::protocol::ConversationView,
    #[serde(default)]
    pub snippet: Option<String>,
    #[serde(default)]
    pub seq: Option<i64>,
}

/// A page of search results, newest activity first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchPage {
    pub items: Vec<SearchHit>,
    /// Cursor for the next (older) page.
    pub next: Option<String>,
}

/// A conversation opened in the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub conversation: crate::protocol::ConversationView,
    /// The last messages, oldest first.
    pub messages: Vec<crate::protocol::MessageView>,
    pub has_older: bool,
    pub split: SplitRule,
    /// How many conversations this customer (from this account) has had with the channel.
    #[serde(default)]
    pub customer_conversations: i64,
    /// The operators' internal notes, oldest first.
    #[serde(default)]
    pub notes: Vec<crate::protocol::NoteView>,
}

/// Everything the inbox shows on load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxView {
    pub account: AccountSummary,
    pub me: UserId,
    pub me_name: String,
    pub filter: InboxFilter,
    pub page: InboxPage,
    pub queues: Vec<QueueView>,
    pub open: Option<ConversationDetail>,
    /// The conversations the viewer has pinned (in this account).
    #[serde(default)]
    pub pinned: Vec<crate::domain::ConversationId>,
    /// A search asked for in the address (`?q=`): what was typed, and its first page or
    /// why it could not run.
    #[serde(default)]
    pub search: Option<SearchOutcome>,
    /// The id the uploader's plain form sends (the script makes its own after that).
    #[serde(default)]
    pub form_client_id: String,
}

/// A search the inbox shows: what was typed, and its results or its error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchOutcome {
    pub query: String,
    pub result: Result<SearchPage, crate::error::Code>,
}
