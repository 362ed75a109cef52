//! The wire protocol between browsers and the server's live channel: one pair of enums,
//! serialised as JSON. Every event about a conversation carries its sequence number, so
//! a client that reconnects asks for exactly what it missed ("since seq N").

use crate::domain::conversation::{Author, ConversationStatus};
use crate::domain::{AccountId, ChannelId, ConversationId, UserId};
use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// One stored message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub conversation: ConversationId,
    /// Position in the conversation: 1, 2, 3… without gaps.
    pub seq: i64,
    pub author: Author,
    pub author_name: String,
    pub body: String,
    /// Unix milliseconds.
    pub at: i64,
    /// The sender's id for the message (customer and operator messages).
    pub client_id: Option<String>,
}

/// A conversation's header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationView {
    pub id: ConversationId,
    pub channel: ChannelId,
    pub status: ConversationStatus,
    pub customer_name: String,
    pub customer_account: String,
    pub last_seq: i64,
    pub created_at: i64,
    /// The open channel's name (operators' side).
    #[serde(default)]
    pub channel_name: String,
    /// The operator it is assigned to; `None` while it waits in the queue.
    #[serde(default)]
    pub operator: Option<UserId>,
    #[serde(default)]
    pub operator_name: String,
    /// The start of the last message.
    #[serde(default)]
    pub preview: String,
    /// Last activity (Unix milliseconds); the inbox is ordered by it.
    #[serde(default)]
    pub updated_at: i64,
    /// Customer messages the operators have not read yet.
    #[serde(default)]
    pub unread: i64,
    /// The last seq the operators / the customer have read.
    #[serde(default)]
    pub operator_read_seq: i64,
    #[serde(default)]
    pub customer_read_seq: i64,
}

impl ConversationView {
    /// The status people see. A conversation someone holds (assigned by the queue, a
    /// split or a transfer) is open even before its first answer; only one nobody holds
    /// waits; finished is closed.
    pub fn shown_status(&self) -> ConversationStatus {
        match (self.status, self.operator) {
            (ConversationStatus::Closed, _) => ConversationStatus::Closed,
            (_, None) => ConversationStatus::New,
            (_, Some(_)) => ConversationStatus::Open,
        }
    }
}

/// From a browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Follow a conversation, first receiving every message after `since_seq`.
    Resume {
        conversation: ConversationId,
        since_seq: i64,
    },
    /// Send a message; `conversation: None` starts a new conversation.
    Send {
        client_id: String,
        conversation: Option<ConversationId>,
        body: String,
    },
    /// The user is typing in `conversation` (sent at most every few seconds).
    Typing { conversation: ConversationId },
    /// The user has seen `conversation` up to `seq`.
    Read { conversation: ConversationId, seq: i64 },
}

/// To a browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// The message `client_id` is stored as `seq` of `conversation`.
    Ack {
        client_id: String,
        conversation: ConversationId,
        seq: i64,
        at: i64,
    },
    /// A stored message (live, or replayed on resume).
    Message { message: MessageView },
    /// A conversation was opened or changed status.
    Conversation { conversation: ConversationView },
    /// Someone on the other side is typing (not stored; shown for a few seconds).
    Typing {
        conversation: ConversationId,
        by: Author,
        name: String,
    },
    /// The customer (`by: customer`) or the operators (`by: operator`) have read
    /// `conversation` up to `seq`.
    Read {
        conversation: ConversationId,
        by: Author,
        seq: i64,
    },
    /// Rights changed in `account` (server-internal: live sockets re-check what they
    /// may see; never sent to browsers).
    Access { account: AccountId },
    /// A request failed; nothing was stored.
    Error {
        client_id: Option<String>,
        error: AppError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_a_stable_json_shape() {
        let m = ClientMsg::Send {
            client_id: "abcdefgh".into(),
            conversation: None,
            body: "hi".into(),
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"type":"send","client_id":"abcdefgh","conversation":null,"body":"hi"}"#
        );
        assert_eq!(serde_json::from_str::<ClientMsg>(&json).unwrap(), m);
        let r = ClientMsg::Resume {
            conversation: ConversationId(7),
            since_seq: 3,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"type":"resume","conversation":7,"since_seq":3}"#
        );
    }
}
