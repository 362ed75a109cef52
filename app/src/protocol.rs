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
    /// Attached files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileView>,
    /// Rich blocks and link buttons (messages sent through the REST API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rich: Option<crate::domain::rich::Rich>,
}

/// A file attached to a message: opened at [`FileView::url`]; an image also has a
/// thumbnail at [`FileView::thumb_url`]. Only those who may read the conversation get
/// either.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileView {
    pub id: i64,
    pub name: String,
    pub mime: String,
    /// Bytes.
    pub size: i64,
    /// An image's width and height (none for other files).
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
}

impl FileView {
    pub fn is_image(&self) -> bool {
        self.width.is_some()
    }

    pub fn url(&self) -> String {
        format!("/files/{}", self.id)
    }

    pub fn thumb_url(&self) -> String {
        format!("/files/{}/thumb", self.id)
    }
}

/// A size for people: "812 B", "12.5 KB", "3.2 MB", "10.0 GB".
///
/// Integer arithmetic only: float formatting would add its code to every page's wasm.
pub fn human_size(bytes: i64) -> String {
    let tenths = |unit: i64| {
        let t = (bytes.max(0) * 10 + unit / 2) / unit;
        format!("{}.{}", t / 10, t % 10)
    };
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{} KB", tenths(1024)),
        b if b < 1024 * 1024 * 1024 => format!("{} MB", tenths(1024 * 1024)),
        _ => format!("{} GB", tenths(1024 * 1024 * 1024)),
    }
}

/// An operator's internal note on a conversation: shown to the operators of the
/// conversation's account only, never to the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteView {
    pub id: i64,
    pub conversation: ConversationId,
    pub author: UserId,
    pub author_name: String,
    pub body: String,
    /// Unix milliseconds.
    pub at: i64,
    pub client_id: String,
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
    /// The customer's rating once finished, and its comment.
    #[serde(default)]
    pub rating: Option<crate::domain::rating::Rating>,
    #[serde(default)]
    pub rating_comment: String,
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
    /// Is the connection still alive? Answered with [`ServerMsg::Pong`]; it does not
    /// count as activity of the session (an idle session still ends).
    Ping,
}

/// To a browser.
///
/// Written as `{"type": "ack", …fields}` (serde's internally tagged form, the tag first);
/// read back by [`wire`], which needs the tag first (what the derive above writes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    /// An operator wrote an internal note (published on the channel's operators' feed
    /// only: customers never subscribe to it).
    InternalNote { note: NoteView },
    /// Rights changed in `account` (server-internal: live sockets re-check what they
    /// may see; never sent to browsers).
    Access { account: AccountId },
    /// Sessions of `user` ended (server-internal: that user's live sockets check their
    /// own session and close if it is gone; never sent to browsers).
    SessionsEnded { user: UserId },
    /// A request failed; nothing was stored.
    Error {
        client_id: Option<String>,
        error: AppError,
    },
    /// The answer to [`ClientMsg::Ping`]: the connection is alive.
    Pong,
}

/// Reading a [`ServerMsg`] without serde's buffering of internally tagged enums.
///
/// The derived reader for `#[serde(tag = "type")]` first copies the whole object into
/// serde's private `Content` tree, because the tag may come last, and then reads every
/// nested type (messages, conversations, errors) a second time from that tree: in the
/// browser that was a third compiled copy of each of them. Every writer of these
/// messages (the derive above) puts the tag first, so this reader takes the first key as
/// the tag and hands the rest of the same object to the variant's fields, straight from
/// the JSON. An object whose first key is not `"type"` is refused.
mod wire {
    use super::*;
    use serde::de::{self, value::MapAccessDeserializer, MapAccess, Visitor};

    #[derive(Deserialize)]
    struct Ack {
        client_id: String,
        conversation: ConversationId,
        seq: i64,
        at: i64,
    }
    #[derive(Deserialize)]
    struct Message {
        message: MessageView,
    }
    #[derive(Deserialize)]
    struct Conversation {
        conversation: ConversationView,
    }
    #[derive(Deserialize)]
    struct Typing {
        conversation: ConversationId,
        by: Author,
        name: String,
    }
    #[derive(Deserialize)]
    struct Read {
        conversation: ConversationId,
        by: Author,
        seq: i64,
    }
    #[derive(Deserialize)]
    struct InternalNote {
        note: NoteView,
    }
    #[derive(Deserialize)]
    struct Access {
        account: AccountId,
    }
    #[derive(Deserialize)]
    struct SessionsEnded {
        user: UserId,
    }
    #[derive(Deserialize)]
    struct Error {
        client_id: Option<String>,
        error: AppError,
    }

    const TYPES: &[&str] = &[
        "ack",
        "message",
        "conversation",
        "typing",
        "read",
        "internal_note",
        "access",
        "sessions_ended",
        "error",
        "pong",
    ];

    struct TagFirst;

    impl<'de> Visitor<'de> for TagFirst {
        type Value = ServerMsg;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a server message: an object whose first key is \"type\"")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ServerMsg, A::Error> {
            match map.next_key::<String>()? {
                Some(key) if key == "type" => {}
                _ => return Err(de::Error::missing_field("type")),
            }
            let tag: String = map.next_value()?;
            let rest = MapAccessDeserializer::new(map);
            Ok(match tag.as_str() {
                "ack" => {
                    let Ack {
                        client_id,
                        conversation,
                        seq,
                        at,
                    } = Ack::deserialize(rest)?;
                    ServerMsg::Ack {
                        client_id,
                        conversation,
                        seq,
                        at,
                    }
                }
                "message" => ServerMsg::Message {
                    message: Message::deserialize(rest)?.message,
                },
                "conversation" => ServerMsg::Conversation {
                    conversation: Conversation::deserialize(rest)?.conversation,
                },
                "typing" => {
                    let Typing {
                        conversation,
                        by,
                        name,
                    } = Typing::deserialize(rest)?;
                    ServerMsg::Typing {
                        conversation,
                        by,
                        name,
                    }
                }
                "read" => {
                    let Read {
                        conversation,
                        by,
                        seq,
                    } = Read::deserialize(rest)?;
                    ServerMsg::Read {
                        conversation,
                        by,
                        seq,
                    }
                }
                "internal_note" => ServerMsg::InternalNote {
                    note: InternalNote::deserialize(rest)?.note,
                },
                "access" => ServerMsg::Access {
                    account: Access::deserialize(rest)?.account,
                },
                "sessions_ended" => ServerMsg::SessionsEnded {
                    user: SessionsEnded::deserialize(rest)?.user,
                },
                "error" => {
                    let Error { client_id, error } = Error::deserialize(rest)?;
                    ServerMsg::Error { client_id, error }
                }
                "pong" => {
                    de::IgnoredAny::deserialize(rest)?;
                    ServerMsg::Pong
                }
                other => return Err(de::Error::unknown_variant(other, TYPES)),
            })
        }
    }

    impl<'de> Deserialize<'de> for ServerMsg {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_map(TagFirst)
        }
    }
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

    fn every_server_msg() -> Vec<ServerMsg> {
        let message = MessageView {
            files: vec![FileView {
                id: 4,
                name: "faktura \"marzec\".pdf".into(),
                mime: "application/pdf".into(),
                size: 12_800,
                width: None,
                height: None,
            }],
            conversation: ConversationId(3),
            seq: 4,
            author: Author::Operator,
            author_name: "Ola \"W\"".into(),
            body: "zażółć\n{\"type\":\"x\"}".into(),
            at: 1_700_000_000_000,
            client_id: Some("abcdefgh".into()),
            rich: Some(crate::domain::rich::Rich {
                via: None,
                blocks: vec![
                    crate::domain::rich::Block::Text {
                        text: "Invoice".into(),
                    },
                    crate::domain::rich::Block::Delimiter,
                    crate::domain::rich::Block::Grid {
                        rows: vec![crate::domain::rich::GridRow {
                            name: "Total".into(),
                            value: "1 €".into(),
                        }],
                    },
                    crate::domain::rich::Block::Link {
                        name: "PDF".into(),
                        desc: String::new(),
                        url: "https://a.test/\"x".into(),
                    },
                ],
                buttons: vec![crate::domain::rich::Button {
                    text: "Pay".into(),
                    url: "https://a.test/pay".into(),
                }],
            }),
        };
        let conversation = ConversationView {
            id: ConversationId(3),
            channel: ChannelId(2),
            status: ConversationStatus::Open,
            customer_name: "Jan".into(),
            customer_account: "Acme".into(),
            last_seq: 4,
            created_at: 5,
            channel_name: "Sales".into(),
            operator: Some(UserId(9)),
            operator_name: "Ola".into(),
            preview: "hi".into(),
            updated_at: 6,
            unread: 1,
            operator_read_seq: 2,
            customer_read_seq: 3,
            rating: Some(crate::domain::rating::Rating::Dislike),
            rating_comment: "Too \"slow\"\nżółw".into(),
        };
        vec![
            ServerMsg::Pong,
            ServerMsg::Ack {
                client_id: "abcdefgh".into(),
                conversation: ConversationId(3),
                seq: 4,
                at: 5,
            },
            ServerMsg::Message { message },
            ServerMsg::Conversation { conversation },
            ServerMsg::Typing {
                conversation: ConversationId(3),
                by: Author::Customer,
                name: "Jan".into(),
            },
            ServerMsg::Read {
                conversation: ConversationId(3),
                by: Author::Operator,
                seq: 4,
            },
            ServerMsg::InternalNote {
                note: NoteView {
                    id: 3,
                    conversation: ConversationId(7),
                    author: UserId(2),
                    author_name: "Ola".into(),
                    body: "Klient \"VIP\" – {\"type\":\"message\"}".into(),
                    at: 5,
                    client_id: "n-1a2b3c4d".into(),
                },
            },
            ServerMsg::Access {
                account: AccountId(1),
            },
            ServerMsg::Error {
                client_id: None,
                error: AppError::Invalid {
                    field: crate::error::Field::Body,
                    code: crate::error::Code::TooLong,
                },
            },
        ]
    }

    #[test]
    fn server_messages_are_read_back_as_written_with_the_tag_first() {
        for m in every_server_msg() {
            let json = serde_json::to_string(&m).unwrap();
            assert!(json.starts_with("{\"type\":"), "{json}");
            assert_eq!(serde_json::from_str::<ServerMsg>(&json).unwrap(), m, "{json}");
            // What the derive would have read too: extra fields are ignored.
            let extra = format!("{},\"later\":[1,{{\"a\":2}}]}}", &json[..json.len() - 1]);
            assert_eq!(serde_json::from_str::<ServerMsg>(&extra).unwrap(), m, "{extra}");
        }
        assert_eq!(
            serde_json::to_string(&ServerMsg::Read {
                conversation: ConversationId(7),
                by: Author::Customer,
                seq: 2
            })
            .unwrap(),
            r#"{"type":"read","conversation":7,"by":"customer","seq":2}"#
        );
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(15), "15 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KB");
        assert_eq!(human_size(12_800), "12.5 KB");
        assert_eq!(human_size(10 * 1024 * 1024 * 1024), "10.0 GB");
        assert_eq!(human_size(2 * 1024 * 1024), "2.0 MB");
        assert_eq!(human_size(25 * 1024 * 1024 - 1), "25.0 MB");
    }

    #[test]
    fn server_messages_without_the_tag_first_or_with_an_unknown_tag_are_refused() {
        for bad in [
            r#"{"conversation":7,"type":"read","by":"customer","seq":2}"#,
            r#"{"conversation":7,"by":"customer","seq":2}"#,
            r#"{"type":"nope","conversation":7}"#,
            r#"{"type":7}"#,
            r#"{"type":"read","conversation":7,"by":"customer"}"#,
            r#"{"type":"read","conversation":7,"by":"customer","seq":2"#,
            r#"["read",7]"#,
            r#"{}"#,
        ] {
            assert!(serde_json::from_str::<ServerMsg>(bad).is_err(), "{bad}");
        }
    }
}
