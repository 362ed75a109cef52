//! Adding messages to conversations: one rule, two ways through it.
//!
//! ```text
//! socket / form / REST / upload
//!    │ Append { party, target, client_id, body }
//!    ▼
//! Writer::append ──(an existing conversation)──▶ batch: snapshot ─▶ rules::admit ─▶ store
//!    │                                             │ refused, or admitted with duties
//!    ▼                                             ▼
//! full::send (a batch of one, plus what only it does: a new conversation, taking and
//!             answering, the offline message, files) ─▶ rules::admit ─▶ store
//!    │
//!    ▼ after the commit, never before
//! ack to the sender · hub publishes to the conversation's and the channel's topics
//! ```
//!
//! - [`rules`]: the pure rule, [`rules::admit`], asked by both ways; rights through
//!   [`crate::backend::policy`].
//! - [`writer`]: the batched writer (one task; group commit), reading its snapshot
//!   through SeaORM ([`batch`]) or, on an SQLite file, through its own connection
//!   ([`sqlite`]).
//! - [`full`]: one message per transaction, with every duty, for every entry point that
//!   is not the common case.
//!
//! The walk is one way: entry point → `messaging` → the services it uses
//! (`conversations` for the stored message and its view, `hours`, `queue`) → the store;
//! nothing below calls back up into `messaging`.

mod batch;
pub mod full;
pub mod rules;
mod sqlite;
mod writer;

pub use crate::backend::services::attachments::NewFile;
pub use full::{channel_send, send};
pub use writer::Writer;

use crate::backend::principal::Party;
use crate::domain::conversation::{ClientMsgId, MessageBody};
use crate::domain::ConversationId;

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A customer starts a new conversation (within the channel's rules).
    New,
    /// Continue this conversation.
    Existing(ConversationId),
}

/// One message to add.
#[derive(Clone, Debug)]
pub struct Append {
    pub party: Party,
    pub target: Target,
    pub client_id: ClientMsgId,
    pub body: MessageBody,
}

/// The server's acknowledgement of a stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    pub conversation: ConversationId,
    pub seq: i64,
    pub at: i64,
}
